"""One write to a records repository, atomic with respect to other Git processes and to
interruption: the commit protocol, and `csops recover` for what an interrupted one left behind.

The protocol is a redo journal (the anchors: SQLite's rollback journal, Git's own lockfiles).
Everything that needs disk space happens before the one step that makes the change visible, and
everything after that step is a rename that recovery can redo:

  1. csops' own lock (.git/csops.lock, portable: filelock), then the journal
     .git/csops-journal.json is written and fsynced: which files, which branch, which token.
  2. Git's index lock (.git/index.lock, created exclusively with our token in it): from here a
     concurrent `git commit` waits or fails; it can no longer sweep csops' file into its commit.
  3. The new contents go to temp files beside their records (.NAME.csops-TOKEN.tmp, fsynced),
     are hashed into Git objects, and a commit is made on the branch's head (not yet visible);
     the new index is built in .git/csops-index-TOKEN (a copy of the index with the new blobs).
     The journal records the old head, the commit and the new blobs ("prepared").
  4. The branch is moved with compare-and-swap (`git update-ref REF NEW OLD`): the commit point.
  5. The temp files are renamed over the records, the new index over .git/index; the index
     lock and the journal are removed.

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
import secrets
import shutil
import signal
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from csops.errors import BadInput, Conflict, Refused
from csops.gitlog import Author, Git, blob_id

JOURNAL = "csops-journal.json"
LOCK = "csops.lock"
TEMP = re.compile(r"^\.(?P<name>.+)\.(csops-[0-9a-f]{16}|\d+)\.tmp$")   # ours, and round 1's (.NAME.PID.tmp)
FORMAT = 1

# Set when SIGINT/SIGTERM arrived during a write that then landed: the CLI says so and exits 130.
interrupted_after_commit: list[str] = []


def lock_timeout() -> float:
    text = os.environ.get("CSOPS_LOCK_TIMEOUT", "10")
    try:
        value = float(text)
    except ValueError:
        raise BadInput(f"CSOPS_LOCK_TIMEOUT={text!r} is not a number of seconds", "e.g. CSOPS_LOCK_TIMEOUT=10") from None
    if not 0 <= value <= 3600:
        raise BadInput(f"CSOPS_LOCK_TIMEOUT={text!r}: give 0 to 3600 seconds")
    return value


@contextlib.contextmanager
def repository_lock(git_dir: Path, timeout: float | None = None):
    """One csops writer per repository, waited for up to CSOPS_LOCK_TIMEOUT seconds (default 10)."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(Path(git_dir) / LOCK))
    try:
        lock.acquire(timeout=lock_timeout() if timeout is None else timeout, poll_interval=0.05)
    except Timeout:
        raise Conflict("another csops command is writing to this repository",
                       "wait for it to finish and try again") from None
    try:
        yield
    finally:
        lock.release()


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
        raise Conflict("an interrupted csops write was left behind in this repository",
                       "run csops recover (it finishes or undoes it), then try again")


def _read_journal(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError
        return data
    except (OSError, ValueError):
        return {"format": FORMAT, "unreadable": True, "files": []}


def _write_durably(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":
        return              # Windows cannot open a directory; NTFS journals the rename itself
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass
class _Journal:
    path: Path
    data: dict

    def save(self, **changes) -> None:
        self.data.update(changes)
        _write_durably(self.path, json.dumps(self.data, ensure_ascii=False, indent=1).encode())

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        _fsync_dir(self.path.parent)


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
    """Create .git/index.lock exclusively, as every Git command that writes the index does; wait
    while another Git process holds it."""
    lock = git.git_dir / "index.lock"
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            if time.monotonic() > deadline:
                raise Conflict("another Git process holds .git/index.lock",
                               "wait for it to finish; if none is running, remove .git/index.lock") from None
            time.sleep(0.05)
            continue
        try:
            os.write(fd, f"csops {token}\n".encode())
        except BaseException:
            os.close(fd)
            lock.unlink()
            raise
        os.close(fd)
        return lock


def _ours(lock: Path, token: str) -> bool:
    try:
        content = lock.read_bytes()
    except OSError:
        return False
    return content in (f"csops {token}\n".encode(), b"")


# -- the protocol --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """One file of a write: its new text, and the blob its old content had when it was read
    (None for a new file) — the write is refused if the branch no longer has that blob."""
    path: Path
    text: str
    base: str | None


def commit_files(git: Git, changes: list[Change], message: str, author: Author, when: dt.datetime | None) -> str:
    """Commit exactly `changes` on the current branch, whatever else is staged or changed, as one
    commit authored by `author`; update the work tree and the index. The caller holds
    repository_lock. Returns the commit id."""
    branch = git.branch()
    if branch is None:
        raise Refused("HEAD is detached: a change made here would be lost on the next checkout",
                      "git switch BRANCH (e.g. git switch main), then try again")
    token = secrets.token_hex(8)
    entries = []
    for change in changes:
        temp = change.path.with_name(f".{change.path.name}.csops-{token}.tmp")
        entries.append({"path": git.rel(change.path), "temp": git.rel(temp), "base": change.base})
    journal = _Journal(git.git_dir / JOURNAL, {
        "format": FORMAT, "state": "begun", "token": token, "pid": os.getpid(), "host": socket.gethostname(),
        "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "branch": branch,
        "message": message.splitlines()[0], "files": entries})
    received: list = []
    committed = False
    index_copy = git.git_dir / f"csops-index-{token}"
    with _deferred_signals(received):
        journal.save()
        lock = None
        try:
            lock = _take_index_lock(git, token, lock_timeout())
            temps = [git.root / e["temp"] for e in entries]
            for temp, change in zip(temps, changes):
                _write_temp(temp, change.text.encode("utf-8"))
            blobs = dict(zip((e["path"] for e in entries), git.hash_files(temps)))
            for entry in entries:
                entry["new"] = blobs[entry["path"]]
            for _ in range(3):
                head = git.ref(branch)
                commit, before = git.make_commit(head, blobs, message, author, when)
                stale = [rel for rel, e in zip(blobs, entries) if before[rel] != e["base"]]
                if stale:
                    raise Conflict(f"{stale[0]} was changed in Git while csops was writing it; nothing was committed",
                                   "try again")
                shutil.copyfile(git.git_dir / "index", index_copy) if (git.git_dir / "index").exists() else None
                git.index_with(index_copy, blobs)
                journal.save(state="prepared", head=head, commit=commit,
                             index=blob_id(index_copy.read_bytes()))
                if git.move_ref(branch, commit, head, "csops: " + message.splitlines()[0]):
                    committed = True                     # ← the commit point
                    break
            else:
                raise Conflict(f"{branch} kept moving while csops was committing; nothing was committed", "try again")
            _roll_forward(git, journal.data, lock)
            journal.remove()
        except BaseException:
            if not committed:
                _roll_back(git, journal.data, lock)
                journal.remove()
                raise
            # landed: finish what can be finished; what cannot is left for csops recover
            with contextlib.suppress(Exception):
                _roll_forward(git, journal.data, lock)
                journal.remove()
        finally:
            with contextlib.suppress(OSError):
                index_copy.unlink()
            if lock is not None and _ours(lock, token):
                with contextlib.suppress(OSError):
                    lock.unlink()
    if received:
        if committed:
            interrupted_after_commit.append(commit)
        else:  # pragma: no cover - a failure before the commit point already raised
            raise KeyboardInterrupt
    return commit


def _write_temp(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _roll_forward(git: Git, journal: dict, lock: Path | None) -> None:
    """After the commit point: the records and the index catch up with the commit."""
    folders = set()
    for entry in journal["files"]:
        target, temp = git.root / entry["path"], git.root / entry["temp"]
        if temp.exists() and blob_id(temp.read_bytes()) == entry["new"]:
            os.replace(temp, target)
        elif not (target.exists() and blob_id(target.read_bytes()) == entry["new"]):
            data = git.blobs([entry["new"]])[0]
            if data is None:
                raise Conflict(f"recover: blob {entry['new']} of {entry['path']} is missing from the repository")
            _write_temp(temp, data)
            os.replace(temp, target)
        folders.add(target.parent)
    for folder in folders:
        _fsync_dir(folder)
    index_copy = git.git_dir / f"csops-index-{journal['token']}"
    if index_copy.exists() and blob_id(index_copy.read_bytes()) == journal.get("index"):
        os.replace(index_copy, git.git_dir / "index")
    else:   # rebuild the entries in the real index, under Git's own locking
        if lock is not None and _ours(lock, journal["token"]):
            lock.unlink()
        git.index_with(git.git_dir / "index", {e["path"]: e["new"] for e in journal["files"]})


def _roll_back(git: Git, journal: dict, lock: Path | None) -> None:
    """Before the commit point: only temp files and the index copy exist; remove them."""
    for entry in journal.get("files", []):
        with contextlib.suppress(OSError):
            (git.root / entry["temp"]).unlink()
    with contextlib.suppress(OSError, KeyError):
        (git.git_dir / f"csops-index-{journal['token']}").unlink()
    if lock is not None and _ours(lock, journal.get("token", "")):
        with contextlib.suppress(OSError):
            lock.unlink()


# -- recover -------------------------------------------------------------------------------------

def stray_temps(git: Git, records_root: Path) -> list[Path]:
    """Temp files of csops writes (this protocol's and round 1's) under the records root."""
    out = []
    for folder, _, names in os.walk(records_root):
        out.extend(Path(folder) / n for n in names if TEMP.match(n))
    return sorted(out)


def recover(git: Git, records_root: Path) -> list[str]:
    """Finish or undo what an interrupted write left; idempotent. Returns what was done (empty
    when there was nothing to do)."""
    done = []
    with repository_lock(git.git_dir):
        path = git.git_dir / JOURNAL
        if path.exists():
            journal = _read_journal(path)
            lock = git.git_dir / "index.lock"
            token = journal.get("token", "")
            branch = journal.get("branch")
            commit = journal.get("commit")
            head = git.ref(branch) if branch else None
            landed = bool(commit and head and (head == commit or git.is_ancestor(commit, head)))
            if landed:
                _roll_forward(git, journal, lock if lock.exists() else None)
                done.append(f"completed the interrupted write: commit {commit[:10]} ({journal.get('message', '')})")
            else:
                _roll_back(git, journal, lock if lock.exists() else None)
                done.append(f"undid the interrupted write ({journal.get('message', '') or 'unreadable journal'}): "
                            "nothing of it had been committed")
            if lock.exists() and _ours(lock, token):
                lock.unlink()
            _Journal(path, journal).remove()
        for temp in stray_temps(git, records_root):
            temp.unlink()
            done.append(f"removed the temp file {git.rel(temp)}")
    return done
