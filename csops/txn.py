"""One write to a records repository, atomic with respect to other Git processes and to
interruption: the commit protocol, and `csops recover` for what an interrupted one left behind.

The protocol is a redo journal (the anchors: SQLite's rollback journal, Git's own lockfiles).
Everything that needs disk space happens before the one step that makes the change visible, and
everything after that step is a rename that recovery can redo:

  1. csops' own lock (.git/csops.lock: flock, or msvcrt.locking on Windows), then the journal
     .git/csops-journal.json is written and fsynced: which files, which branch, which token.
  2. Git's index lock (.git/index.lock, created exclusively with our token in it): from here a
     concurrent `git commit` waits or fails; it can no longer sweep csops' file into its commit.
  3. The new contents go to temp files beside their records (.NAME.csops-TOKEN.tmp, fsynced),
     are hashed into Git objects, and a commit is made on the branch's head (not yet visible);
     the new index is built in .git/csops-index-TOKEN (a copy of the index with the new blobs).
     The journal records the old head, the commit and the new blobs ("prepared"); the new index
     is renamed over .git/index, the old one kept as .git/csops-index-TOKEN.before.
  4. The branch is moved with compare-and-swap (`git update-ref REF NEW OLD`): the commit point.
     If it lost the race, the old index goes back and the commit is rebuilt on the new head.
  5. The temp files are renamed over the records; the kept index, the index lock and the
     journal are removed.

Crash table — what `csops recover` does with a journal it finds (the lock's holder is gone):
  - before step 4 (the branch is not at the journal's commit): roll back — delete the temp
    files and the index copy, release the index lock if it is ours; the work tree was never
    touched, so the old state stands.
  - after step 4 (the branch is at the journal's commit, or past it): roll forward — rename each
    temp file in (or write the committed blob where the temp is gone), install the new index
    (or rebuild its entries), release the lock; the new state stands.
SIGINT and SIGTERM are deferred from step 1 to step 5; SIGKILL, a power cut or a full disk at any
point leave one of the two cases above. A failure before step 4 is reported as "nothing was
committed"; after step 4 csops never reports failure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import signal
import threading
import time
from pathlib import Path
from typing import NamedTuple

from csops.cache import moves
from csops.errors import BadInput, Conflict, CsopsError, Refused
from csops.gitlog import Author, Git, blob_id, index_checksum, on_a_thread
from csops.i18n import _
from csops.store import atomic_write, fsync_dir, write_file

JOURNAL = "csops-journal.json"
LOCK = "csops.lock"
TEMP = re.compile(r"^\.(?P<name>.+\.yaml)\.(csops-[0-9a-f]{16}|\d+)\.tmp$")   # ours, and round 1's (.X.yaml.PID.tmp)
LOCK_TEXT = re.compile(rb"^csops [0-9a-f]{16}\n$")                              # what csops writes into index.lock
FORMAT = 1

# Set when SIGINT/SIGTERM arrived during a write that then landed: the CLI says so and exits 130.
interrupted_after_commit: list[str] = []
# Every commit this process made: an interrupt at any later moment is "after the change was committed".
committed: list[str] = []


def lock_timeout() -> float:
    text = os.environ.get("CSOPS_LOCK_TIMEOUT", "10")
    try:
        value = float(text)
    except ValueError:
        raise BadInput(_("CSOPS_LOCK_TIMEOUT={text!r} is not a number of seconds",
                         text=text), _('e.g. CSOPS_LOCK_TIMEOUT=10')) from None
    if not 0 <= value <= 3600:
        raise BadInput(_("CSOPS_LOCK_TIMEOUT={text!r}: give 0 to 3600 seconds", text=text))
    return value


@contextlib.contextmanager
def repository_lock(git_dir: Path, timeout: float | None = None):
    """One csops writer per repository, waited for up to CSOPS_LOCK_TIMEOUT seconds (default 10):
    an exclusive lock on .git/csops.lock, as the filelock package takes it (flock on POSIX,
    msvcrt.locking of its first byte on Windows), so a tool holding it through filelock keeps
    csops out too. The operating system lets go of it when the process ends, however it ends.
    (filelock itself is not used: importing it cost 8-15 ms of every write.)"""
    wait = lock_timeout() if timeout is None else timeout
    fd = os.open(Path(git_dir) / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise Conflict(_('another csops command is writing to this repository'),
                               _('wait for it to finish and try again'))
            time.sleep(0.05)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


if os.name == "nt":  # pragma: no cover - Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:          # held by another open file: another process (or writer)
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def leftover(git_dir: Path) -> dict | None:
    """The journal of an interrupted write (one whose process is gone), or None."""
    path = Path(git_dir) / JOURNAL
    if not path.exists():
        return None
    try:
        with repository_lock(git_dir, timeout=0):
            # the write may have finished between the look and the lock: only what is still there
            return _read_journal(path) if path.exists() else None
    except Conflict:
        return None            # a write is in progress right now: not a leftover


def check_for_leftovers(records_root: Path) -> None:
    """Before any command: a journal beside the repository's Git folder means an interrupted write
    (found without running git: one stat on the usual path)."""
    from csops.gitlog import find_git_dir

    git_dir = find_git_dir(records_root)
    if git_dir is not None and (git_dir / JOURNAL).exists():
        refuse_leftovers(git_dir)


def refuse_leftovers(git_dir: Path) -> None:
    if leftover(git_dir) is not None:
        raise Conflict(_('an interrupted csops write was left behind in this repository'),
                       _('run csops recover (it finishes or undoes it), then try again'))


def refuse_leftovers_locked(git: Git) -> None:
    """Under the repository lock: any journal is an interrupted write (no other writer can be
    in progress), and so is an index lock csops left; a merge, rebase or cherry-pick under way
    must be finished first (a commit on top of it would lose the other side)."""
    if (git.git_dir / JOURNAL).exists() or _csops_lock(git.git_dir / "index.lock"):
        raise Conflict(_('an interrupted csops write was left behind in this repository'),
                       _('run csops recover (it finishes or undoes it), then try again'))
    refuse_operation_in_progress(git)


def refuse_operation_in_progress(git: Git, branch: str | None = None) -> None:
    """A merge, rebase, cherry-pick, revert or `git am` between its steps must be finished first:
    a commit on top of it would be tangled in it (staged into its next step, or its final ref
    update refused). With `branch`: also refused when HEAD no longer names that branch (a
    rebase detaches it). Asked again under the index lock just before the index goes in and
    the ref moves — an operation that began after the first look is caught there."""
    steps = {"MERGE_HEAD": _("a merge"), "CHERRY_PICK_HEAD": _("a cherry-pick"), "REVERT_HEAD": _("a revert"),
             "rebase-merge": _("a rebase"), "rebase-apply": _("a rebase or git am"), "sequencer": _("a cherry-pick")}
    for name, what in steps.items():
        if (git.git_dir / name).exists():
            raise Refused(_("{what} is in progress in this repository: a change made now would be tangled in it",
                            what=what),
                          _('finish it (resolve, git add, git commit or git rebase --continue) or abort it first'))
    if branch is not None and git.branch() != branch:
        raise Conflict(_("HEAD moved off {branch} while csops was committing", branch=branch), _('try again'))


def _read_journal(path: Path) -> dict:
    """The journal, or an "unreadable" one. Nothing in it is trusted that does not have its
    shape: every path must be a plain relative path inside the repository (recover deletes and
    writes what it names)."""
    unreadable = {"format": FORMAT, "unreadable": True, "files": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return unreadable
    text = (str, type(None))
    if (not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), list)
            or not re.fullmatch(r"[0-9a-f]{16}", str(data.get("token")))
            or not all(isinstance(data.get(k), text) for k in ("branch", "commit", "head", "index", "message"))):
        return unreadable
    for entry in data["files"]:
        if not (isinstance(entry, dict) and all(_safe_rel(entry.get(k)) for k in ("path", "temp"))
                and all(isinstance(entry.get(k), text) for k in ("base", "new"))):
            return unreadable
        # the temp must be the one a write names (commit_files): recover never deletes anything else
        if entry["temp"] != temp_name(entry["path"], data["token"]):
            return unreadable
    return data


def temp_name(rel: str, token: str) -> str:
    """The temporary file a write of `rel` (a path from the repository's top) uses."""
    folder, _sep, name = rel.rpartition("/")
    return f"{folder}/.{name}.csops-{token}.tmp" if folder else f".{name}.csops-{token}.tmp"


def _safe_rel(value) -> bool:
    """A relative path that stays inside the repository and out of its Git folder."""
    if not isinstance(value, str) or not value or value.startswith(("/", "\\")) or ":" in value:
        return False
    parts = value.replace("\\", "/").split("/")
    return ".." not in parts and not any(part.lower() == ".git" for part in parts)


class _Journal:
    def __init__(self, path: Path, data: dict):
        self.path, self.data = path, data

    def save(self, **changes) -> None:
        self.data.update(changes)
        atomic_write(self.path, json.dumps(self.data, ensure_ascii=False, indent=1).encode(),
                     temp=self.path.name + ".new")

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        fsync_dir(self.path.parent)


def _host() -> str:
    uname = getattr(os, "uname", None)
    return uname().nodename if uname else os.environ.get("COMPUTERNAME", "")


# -- signals -------------------------------------------------------------------------------------

@contextlib.contextmanager
def _deferred_signals(received: list):
    """SIGINT and SIGTERM wait until the block is over (only the main thread can catch them)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = [s for s in ("SIGINT", "SIGTERM") if hasattr(signal, s)]
    saved = {name: signal.getsignal(getattr(signal, name)) for name in names}
    for name in names:
        signal.signal(getattr(signal, name), lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        for name, handler in saved.items():
            signal.signal(getattr(signal, name), handler)


# -- Git's index lock ----------------------------------------------------------------------------

def _take_index_lock(git: Git, token: str, timeout: float) -> Path:
    """Take .git/index.lock exclusively, as every Git command that writes the index does, waiting
    while another Git process holds it. The lock is born with csops' token in it (a hard link of
    a file already written), so a lock that is not exactly ours is never mistaken for ours."""
    lock = git.git_dir / "index.lock"
    mine = git.git_dir / f"csops-lock-{token}"
    atomic_write(mine, f"csops {token}\n".encode(), sync_dir=False, temp=mine.name + ".new")
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                try:
                    os.link(mine, lock)
                except FileExistsError:
                    raise
                except OSError:          # a file system without hard links (FAT, some network shares)
                    fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                    try:
                        os.write(fd, mine.read_bytes())
                    finally:
                        os.close(fd)
                return lock
            except FileExistsError:
                if time.monotonic() > deadline:
                    raise Conflict(_('another Git process holds .git/index.lock'),
                                   _('wait for it to finish; if none is running, remove .git/index.lock')) from None
                time.sleep(0.05)
    finally:
        mine.unlink()


def _ours(lock: Path, token: str) -> bool:
    try:
        return bool(token) and lock.read_bytes() == f"csops {token}\n".encode()
    except OSError:
        return False


def _csops_lock(lock: Path) -> bool:
    """An index lock left by csops (whatever its token)."""
    try:
        return LOCK_TEXT.match(lock.read_bytes()) is not None
    except OSError:
        return False


# -- the protocol --------------------------------------------------------------------------------

class Change(NamedTuple):
    """One file of a write: its new text, and the blob its old content had when it was read
    (None for a new file) — the write is refused if the branch no longer has that blob."""
    path: Path
    text: str
    base: str | None


class Landed(NamedTuple):
    """A write that landed: the commit it made, on top of `parent` (None on an unborn branch)."""
    parent: str | None
    commit: str


# A change of more files than this (an import) writes them all, then flushes them to disk at once.
BULK_FILES = 64


def commit_files(git: Git, changes: list[Change], message: str, author: Author, when: dt.datetime | None, *,
                 started: dt.datetime) -> Landed:
    """Commit exactly `changes` on the current branch, whatever else is staged or changed, as one
    commit authored by `author`; update the work tree and the index. The caller holds
    repository_lock and has called refuse_leftovers_locked."""
    branch = git.branch()
    if branch is None:
        raise Refused(_('HEAD is detached: a change made here would be lost on the next checkout'),
                      _('git switch BRANCH (e.g. git switch main), then try again'))
    token = os.urandom(8).hex()
    for change in changes:
        _refuse_linked_folders(git, change.path)
    entries = []
    for change in changes:
        rel = git.rel(change.path)
        entries.append({"path": rel, "temp": temp_name(rel, token), "base": change.base})
    if len({e["path"] for e in entries}) != len(entries):
        raise BadInput(_('the same file twice in one change'))
    journal = _Journal(git.git_dir / JOURNAL, {
        "format": FORMAT, "state": "begun", "token": token, "pid": os.getpid(), "host": _host(),
        "started": started.astimezone(dt.timezone.utc).isoformat(timespec="seconds"), "branch": branch,
        "message": message.splitlines()[0], "files": entries})
    received: list = []
    landed, commit, lock = False, None, None
    move: tuple = (None, None)          # Git's index before and after (csops.cache.moves)
    asked: list = []                    # git processes started on the side (their waiters)
    index_copy = git.git_dir / f"csops-index-{token}"
    with _deferred_signals(received):
        if journal.path.exists():
            raise Conflict(_('an interrupted csops write was left behind in this repository'), _('run csops recover'))
        journal.save()
        temps = [git.root / e["temp"] for e in entries]
        made = _missing_folders(temps, git.root)       # removed again if nothing lands
        try:
            lock = _take_index_lock(git, token, lock_timeout())
            # git answers while the files are written (or already did, asked while the change was made)
            head_soon = git.ahead(branch) or on_a_thread(lambda: (git.ref(branch), None))
            asked.append(head_soon)
            blobs = {}
            datas = [change.text.encode("utf-8") for change in changes]
            bulk = len(changes) > BULK_FILES
            if bulk:       # many files (an import): Git packs their blobs while they are written
                written_soon = on_a_thread(git.write_blobs, datas)
                asked.append(written_soon)
            for data, entry in zip(datas, entries):
                blobs[entry["path"]] = entry["new"] = blob_id(data)   # what hash-object --no-filters gives
            if bulk:
                from concurrent.futures import ThreadPoolExecutor

                # the file system creates files on several threads at once; one flush of them all
                with ThreadPoolExecutor(max_workers=4) as pool:
                    list(pool.map(lambda pair: write_file(pair[0], pair[1], sync=False), zip(temps, datas)))
                os.sync()
            else:
                for temp, data in zip(temps, datas):
                    write_file(temp, data)
                # Git writes the blobs while the trees and the commit are made (checked before a ref points at them)
                written_soon = on_a_thread(git.hash_files, temps)
                asked.append(written_soon)
            index, saved = git.git_dir / "index", git.git_dir / f"csops-index-{token}.before"
            if index.exists():
                _link_or_copy(index, saved)              # the index as it was: put back if nothing lands
            # what is staged for these files, asked of the index as it was (each try starts from a
            # copy of it; csops holds index.lock, so no git writes it meanwhile) while the commit is made
            staged_soon = on_a_thread(git.staged_blobs, saved if saved.exists() else None, list(blobs))
            asked.append(staged_soon)

            def index_prepared() -> None:
                """The index copy with the new blobs, once Git has written the very blobs named."""
                if written_soon() != list(blobs.values()):
                    raise Conflict(_('git hash-object wrote different blobs than expected'))
                if saved.exists():
                    _link_or_copy(saved, index_copy)
                git.index_with(index_copy, blobs)

            index_ready = on_a_thread(index_prepared)
            asked.append(index_ready)
            for attempt in range(10):                    # another committer may keep winning the race
                head, known = head_soon() if attempt == 0 else (git.ref(branch), None)
                commit, before = git.make_commit(head, blobs, message, author, when, known)
                # Git's own reading of the two commits: the new one changes exactly these files
                # (a tree misread as empty would drop its files: refused before a ref points here)
                changed_soon = on_a_thread(git.changed_paths, head, commit)
                asked.append(changed_soon)
                index_ready()                            # (a second call waits for nothing)
                if not changed_soon() <= set(blobs):
                    raise Conflict(_("the commit csops made would also change {paths}",
                                     paths=", ".join(sorted(changed_soon() - set(blobs))[:3])),
                                   _('run git fsck: the repository may be missing objects'))
                try:
                    _refuse_changed_meanwhile(git, entries, before)
                except Conflict:
                    if known is None:
                        raise
                    continue                 # read ahead, before a commit of these files landed: again
                _refuse_staged(entries, staged_soon())
                refuse_operation_in_progress(git, branch)   # one that began since the first look
                journal.save(state="prepared", head=head, commit=commit, index=index_id(index_copy),
                             saved=saved.exists())
                move = (index_checksum(saved), index_checksum(index_copy))     # (the record index's shortcut)
                # The index goes in *before* HEAD moves: a plain `git commit` reads the index before
                # it takes index.lock (which csops holds), then builds its tree from what it read. One
                # that read the old index also read the old HEAD, and its ref update fails once HEAD
                # has moved; one that read the new index carries csops' file as it is committed.
                os.replace(index_copy, index)
                moved, why = git.move_ref(branch, commit, head, "csops: " + message.splitlines()[0])
                if moved or git.ref(branch) == commit:
                    landed = True                        # ← the commit point
                    committed.append(commit)
                    break
                _put_index_back(git, journal.data)
                if git.ref(branch) == head and why and "hook" not in why:
                    # not another committer's race: Git itself could not (a full disk, permissions)
                    raise Conflict(_("git could not move {branch}: {why}", branch=branch, why=why),
                                   _('fix what Git names (a full disk: free some space; a missing object: git '
                                     'fsck), then try again'))
                index_ready = index_prepared              # the copy went in and came out: made again
            else:
                if git.ref(branch) == head:
                    raise Conflict(_("git refused to move {branch} (a reference-transaction hook?)", branch=branch),
                                   _('see what .git/hooks/reference-transaction says, then try again'))
                raise Conflict(_("{branch} kept moving while csops was committing", branch=branch), _('try again'))
        except BaseException as exc:
            if landed:        # pragma: no cover - nothing after the commit point is in this block
                raise
            for waiter in asked:      # done reading the index copy and the ref before they go
                with contextlib.suppress(BaseException):
                    waiter()
            _roll_back(git, journal.data, lock)
            journal.remove()
            for folder in reversed(made):
                with contextlib.suppress(OSError):
                    folder.rmdir()                 # only if still empty
            if isinstance(exc, CsopsError) and not getattr(exc, "said_nothing_committed", False):
                said = type(exc)(_("{message}; nothing was committed", message=exc.message), exc.hint)
                said.said_nothing_committed = True        # an outer write does not say it twice
                raise said from None
            raise
        # landed: csops never reports failure from here on; what cannot be finished is left for recover
        try:
            _roll_forward(git, journal.data, lock, writer=True)
            moves.note(git.git_dir, *move, blobs)          # still under the lock: the index is the copy
            if lock is not None and _ours(lock, token):
                lock.unlink()
            journal.remove()
        except Exception:  # noqa: BLE001 - the change is committed; recover finishes the work tree
            interrupted_after_commit.append(commit)
    if received:
        interrupted_after_commit.append(commit)
    return Landed(head, commit)


def _refuse_linked_folders(git: Git, path: Path) -> None:
    """A file is written where its path says: no folder on the way (below the repository's top)
    and not the file itself may be a symbolic link — `records/tickets/2026/12 -> ../../people`
    would put a ticket among the people, and the audit could not follow it."""
    rel = Path(os.path.relpath(os.path.abspath(path), git.root))     # links on the way kept, not resolved
    for depth in range(1, len(rel.parts) + 1):
        here = git.root.joinpath(*rel.parts[:depth])
        if os.path.islink(here):
            raise BadInput(_("{file}: SYMLINK_NOT_ALLOWED is a symbolic link; records are plain files "
                             "(a change made through a link would escape the audit)",
                             file="/".join(rel.parts[:depth])),
                           _('replace the link with the folder it points to, then try again'))


def _missing_folders(paths: list[Path], root: Path) -> list[Path]:
    """The folders (outermost first) that writing `paths` will create."""
    out: dict = {}
    for parent in dict.fromkeys(path.parent for path in paths):       # each folder once
        missing, folder = [], parent
        while folder != root and folder not in out and root in folder.parents and not folder.exists():
            missing.append(folder)
            folder = folder.parent
        out.update((f, None) for f in reversed(missing))
    return list(out)


def _refuse_changed_meanwhile(git: Git, entries: list[dict], before: dict) -> None:
    """The branch and the work tree still hold what the change was computed from."""
    for entry in entries:
        rel, base = entry["path"], entry["base"]
        if before.get(rel) != base:
            raise Conflict(_("{rel} was changed in Git while csops was writing it", rel=rel), _('try again'))
        target = git.root / rel
        now = work_tree_blob(target)
        if now != base:
            raise Conflict(_("{rel} was edited while csops was writing it",
                             rel=rel), _('save or discard that edit, then try again'))


def work_tree_blob(path: Path) -> str | None:
    """The blob a work-tree file stands for (CRLF line ends read as Git's autocrlf would)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return blob_id(data.replace(b"\r\n", b"\n")) if b"\r\n" in data else blob_id(data)


def _refuse_staged(entries: list[dict], staged: dict[str, str]) -> None:
    """A change someone staged for these files (git add) would be overwritten: refuse."""
    for entry in entries:
        if staged.get(entry["path"]) != entry["base"]:
            raise Conflict(_("{path} has staged changes (git add)", path=entry['path']),
                           _('commit them (git commit) or unstage them (git restore --staged FILE) first'))


def _roll_forward(git: Git, journal: dict, lock: Path | None, *, writer: bool = False) -> list[str]:
    """After the commit point: the records and the index catch up with the commit. With csops'
    index lock still in place and HEAD still on the branch, nothing else can have moved: the temp
    files and the prepared index go in. Otherwise only csops' own files and index entries are
    brought up to date, and a file someone has edited since is left as it is (and named)."""
    token = journal["token"]
    on_branch = writer or git.branch() == journal.get("branch")   # the writer itself never left it
    safe = lock is not None and _ours(lock, token) and on_branch
    left = []
    if not on_branch:
        left.append(_("HEAD is no longer on {branch}: the commit is there; the work tree was not touched",
                      branch=journal.get('branch')))
        _roll_back(git, journal, lock)
        return left
    index_copy = git.git_dir / f"csops-index-{token}"
    index_done = False
    index = git.git_dir / "index"
    if safe and index_copy.exists() and is_index(index_copy, journal.get("index")):
        os.replace(index_copy, index)          # a journal of an older csops: its index went in after
        index_done = True
    elif safe and index.exists() and is_index(index, journal.get("index")):
        index_done = True                      # installed before the commit point, as it should be
    with contextlib.suppress(OSError):
        (git.git_dir / f"csops-index-{token}.before").unlink()
    folders = set()
    for entry in journal["files"]:
        target, temp = git.root / entry["path"], git.root / entry["temp"]
        current = work_tree_blob(target)
        if current == entry["new"]:
            temp.unlink(missing_ok=True)
            continue
        if not safe and current != entry.get("base"):
            left.append(_("{path} was edited after the commit; left as it is (git diff shows how)", path=entry['path']))
            temp.unlink(missing_ok=True)
            continue
        if not (temp.exists() and blob_id(temp.read_bytes()) == entry["new"]):
            data = git.blobs([entry["new"]])[0]
            if data is None:
                raise Conflict(_("recover: blob {new} of {path} is missing from the repository",
                                 new=entry['new'], path=entry['path']))
            write_file(temp, data)
        os.replace(temp, target)
        folders.add(target.parent)
    for folder in folders:
        fsync_dir(folder)
    if not index_done:   # only csops' own entries, in the real index, under Git's own locking
        index_copy.unlink(missing_ok=True)
        if lock is not None and _ours(lock, token):
            lock.unlink()
        git.index_with(git.git_dir / "index", {e["path"]: e["new"] for e in journal["files"]})
    return left


def index_id(path: Path) -> str:
    """What names an index file's content: the checksum Git ends it with (reading 11 MB to hash
    them again costs a mutation 25 ms at 100,000 records), or its blob id where Git writes no
    checksum (index.skipHash)."""
    return index_checksum(path) or blob_id(path.read_bytes())


def is_index(path: Path, recorded: str | None) -> bool:
    """Whether the index file at `path` is the one a journal recorded (by index_id; a journal of
    an older csops recorded the blob id)."""
    if not recorded:
        return False
    if recorded.startswith("trailer:"):
        return index_id(path) == recorded
    return blob_id(path.read_bytes()) == recorded


def _link_or_copy(source: Path, target: Path) -> None:
    """Keep `source` as it is under another name. Git never writes an index in place (it writes
    a new file and renames it over), so a second link is as good as a copy and costs nothing."""
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:                      # no hard links here (FAT, some network shares)
        import shutil

        shutil.copyfile(source, target)


def _put_index_back(git: Git, journal: dict) -> None:
    """Nothing landed: the index as it was before this write, if csops' prepared one is still in
    place (the index lock was held all along, so nothing else can have written it)."""
    token = journal.get("token", "")
    saved, index = git.git_dir / f"csops-index-{token}.before", git.git_dir / "index"
    if not journal.get("index") or not index.exists() or not is_index(index, journal["index"]):
        return
    if saved.exists():
        back = git.git_dir / f"csops-index-{token}.back"
        _link_or_copy(saved, back)
        os.replace(back, index)
    elif journal.get("saved") is False:
        index.unlink()                         # there was no index before


def _roll_back(git: Git, journal: dict, lock: Path | None) -> None:
    """Before the commit point: temp files, the index copy, and perhaps csops' prepared index in
    place of the old one; put the old one back and remove the rest."""
    for entry in journal.get("files", []):
        with contextlib.suppress(OSError):
            (git.root / entry["temp"]).unlink()
    with contextlib.suppress(OSError, KeyError):
        _put_index_back(git, journal)
    with contextlib.suppress(OSError, KeyError):
        (git.git_dir / f"csops-index-{journal['token']}").unlink()
    with contextlib.suppress(OSError, KeyError):
        (git.git_dir / f"csops-index-{journal['token']}.before").unlink()
    if lock is not None and _ours(lock, journal.get("token", "")):
        with contextlib.suppress(OSError):
            lock.unlink()


# -- recover -------------------------------------------------------------------------------------

def stray_temps(git: Git, records_root: Path, seen: list[Path] | None = None) -> list[Path]:
    """Temp files of csops writes (this protocol's and round 1's) under the records root; `seen`:
    the dot files a listing of the folders just found (Store.dot_files), instead of a walk."""
    if seen is not None:
        return sorted(path for path in seen if TEMP.match(path.name))
    out = []
    for folder, _ignored, names in os.walk(records_root):
        out.extend(Path(folder) / n for n in names if TEMP.match(n))
    return sorted(out)


def _commit_holds(git: Git, journal: dict, records_root: Path) -> bool:
    """Whether every file the journal names is a record-folder file that its commit holds with
    exactly the blob the journal says (what a write of csops' own would have left)."""
    prefix = git.rel(records_root).rstrip("/") + "/"
    files = journal.get("files", [])
    if not all(e["path"].startswith(prefix) or prefix == "./" for e in files):
        return False
    held = git.object_ids([f"{journal['commit']}:{e['path']}" for e in files])
    return all(blob == e.get("new") for blob, e in zip(held, files))


def recover(git: Git, records_root: Path) -> list[str]:
    """Finish or undo what an interrupted write left; idempotent. Returns what was done (empty
    when there was nothing to do)."""
    done = []
    with repository_lock(git.git_dir):
        path, lock = git.git_dir / JOURNAL, git.git_dir / "index.lock"
        (git.git_dir / (JOURNAL + ".new")).unlink(missing_ok=True)
        if path.exists():
            journal = _read_journal(path)
            commit, branch = journal.get("commit"), journal.get("branch")
            head = git.ref(branch) if branch else None
            landed = bool(commit and head and (head == commit or git.is_ancestor(commit, head)))
            if landed and not _commit_holds(git, journal, records_root):
                # the journal names files its commit does not hold, or files outside the records:
                # not a csops write; nothing is written from it
                journal = {"format": FORMAT, "unreadable": True, "files": [], "token": journal.get("token", "")}
                landed = False
            mine = lock if lock.exists() and _ours(lock, journal.get("token", "")) else None
            if landed:
                left = _roll_forward(git, journal, mine)
                done.append(_("completed the interrupted write: commit {commit} ({what})", commit=commit[:10],
                               what=journal.get('message', '')))
                done.extend(left)
            else:
                _roll_back(git, journal, mine)
                done.append(_("undid the interrupted write ({what}): nothing of it had been committed",
                               what=journal.get('message', '') or _('unreadable journal')))
            if lock.exists() and _ours(lock, journal.get("token", "")):
                lock.unlink()
            _Journal(path, journal).remove()
        elif _csops_lock(lock):          # the write had finished; only its index lock was left
            lock.unlink()
            done.append(_("removed the index lock an interrupted csops write left behind"))
        for stale in git.git_dir.glob("csops-index-*"):
            stale.unlink()
        for temp in stray_temps(git, records_root):
            temp.unlink()
            done.append(_("removed the temp file {file}", file=git.rel(temp)))
    return done
