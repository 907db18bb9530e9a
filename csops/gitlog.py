"""The only module that runs Git: find the work tree, the plumbing a journaled commit is made of
(csops.txn orchestrates it), a record's log, and the commits and file versions that
`validate --history` replays.

Everything goes through the git binary, always on the repository that holds the records root:
GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE and the like are removed from the environment of every
git process. (GitPython was the first choice; its import and repo object cost 50–80 ms of a
mutating command whose whole budget on a 100,000-record repository is 1.5× a plain
`git add && git commit`, and its index API is an order of magnitude slower.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import signal
import sys
import threading
from pathlib import Path
from typing import NamedTuple

from csops.errors import Conflict, NotARepository, NotFound
from csops.i18n import _

# Variables that would point git at another repository, work tree or index than the one holding
# the records root (a hook, an IDE or a wrapper script may have set them).
_REPOSITORY_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                         "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX",
                         "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM")


def clean_env(extra: dict | None = None) -> dict:
    """The environment every git csops runs gets: the repository is the one holding the records,
    whatever GIT_DIR and the like say, and objects are what they are — `git replace` never
    stands in for one (a replaced tree would make a write drop files, or hide history from the
    audit)."""
    env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_VARIABLES}
    env["GIT_NO_REPLACE_OBJECTS"] = "1"
    env.update(extra or {})
    return env


def find_git_dir(path: Path) -> Path | None:
    """The Git folder of the work tree holding `path`, found without running git (a `.git`
    folder, or a `.git` file pointing at one); None when there is none."""
    for folder in (Path(path).resolve(), *Path(path).resolve().parents):
        dot = folder / ".git"
        if dot.is_dir():
            return dot
        if dot.is_file():
            text = dot.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text[len("gitdir:"):].strip())
                return target if target.is_absolute() else (folder / target).resolve()
    return None


def blob_id(data: bytes) -> str:
    """The id Git gives these bytes as a blob (what `git hash-object` prints)."""
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def index_checksum(path) -> str | None:
    """The checksum Git ends an index file with, as text (with the file's size): the same
    checksum, the same content, without reading it. None when there is no file or Git wrote no
    checksum (index.skipHash)."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 20))
            tail = handle.read()
    except OSError:
        return None
    return f"trailer:{tail.hex()}:{size}" if len(tail) == 20 and tail.strip(b"\0") else None


_KINDS = {b"40000": "040000 tree", b"160000": "160000 commit"}


def _folders(rels: list[str]) -> list[str]:
    """The folders on the way to `rels` (Git paths), deepest first, the root ("") last."""
    return sorted({"/".join(rel.split("/")[:i]) for rel in rels for i in range(rel.count("/") + 1)},
                  key=lambda f: (-f.count("/") if f else 1, f))


def _parse_tree(body: bytes) -> dict[bytes, tuple[bytes, bytes]]:
    """name → (mode, 20-byte id) from a raw tree object."""
    entries, pos = {}, 0
    while pos < len(body):
        space = body.index(b" ", pos)
        nul = body.index(b"\0", space)
        entries[body[space + 1:nul]] = (body[pos:space], body[nul + 1:nul + 21])
        pos = nul + 21
    return entries


def _listed(folder: str, bodies: dict[str, bytes | None]) -> bool:
    """Whether `folder` is named in its parent's tree (`bodies`: folder → raw tree or None; the
    root always is). A parent that could not be read is taken as listing it."""
    if not folder:
        return True
    parent, _sep, name = folder.rpartition("/")
    body = bodies.get(parent)
    if body is None:
        return _listed(parent, bodies)
    return name.encode("utf-8", "surrogateescape") in _parse_tree(body)


def _tree_body(entries: dict[bytes, tuple[bytes, bytes]]) -> bytes:
    """A raw tree object, entries in Git's order (a folder sorts as if its name ended in /)."""
    order = sorted(entries, key=lambda name: name + b"/" if entries[name][0] == b"40000" else name)
    return b"".join(entries[n][0] + b" " + n + b"\0" + entries[n][1] for n in order)


def _run(args: list[str], *, cwd, env: dict | None = None, stdin: bytes | None = None, shielded: bool = False,
         shown: bool = False):
    """`shielded`: in a session of its own, so a Ctrl-C or SIGTERM sent to the terminal's process
    group cannot kill it half-way (the commit point must either happen or not, and be known).
    `shown`: git's stderr goes to csops' own (its progress on a terminal), not captured."""
    import subprocess

    try:
        return subprocess.run(["git", *args], cwd=cwd, env=env if env is not None else clean_env(), input=stdin,
                              stdout=subprocess.PIPE, stderr=None if shown else subprocess.PIPE, check=False,
                              start_new_session=shielded and os.name != "nt")
    except FileNotFoundError:
        raise NotFound(_('git is not installed (or not on PATH)'), _('install git 2.34 or newer')) from None


def on_a_thread(work, /, *args, **kwargs):
    """Start `work(*args, **kwargs)` on a thread now (a git process runs while csops goes on);
    the returned function waits for it and returns what it returned, or raises what it raised."""
    import threading

    box: dict = {}

    def run() -> None:
        try:
            box["value"] = work(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the answer
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def wait():
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["value"]

    return wait


def _background(args: list[str], cwd, codes: tuple[int, ...] = (0,)):
    """Start `git ARGS` now; the returned function waits and gives its stdout (None when git
    exits with a code not among `codes`, or is not installed). On POSIX the process is spawned
    here and read when asked (os.posix_spawn: no thread and no subprocess module, whose import
    would compete with csops' own while git runs); elsewhere it runs on a thread."""
    if not hasattr(os, "posix_spawn"):
        return _on_a_thread_run(args, cwd, codes)
    binary = _git_binary()
    read_end, write_end = os.pipe()
    try:
        pid = os.posix_spawn(binary, ["git", "-C", str(cwd), *args], clean_env(), file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, write_end, 1),
            (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
    except OSError:                  # no git on PATH (or not runnable): as if Git knew nothing
        os.close(read_end)
        return lambda: None
    finally:
        os.close(write_end)

    kept: list = []                 # its stdout once read (None: dropped unread, or git failed)

    def wait() -> str | None:
        if not kept:
            kept.append(None)           # read once, whatever happens
            chunks = []
            try:
                while chunk := os.read(read_end, 1 << 20):
                    chunks.append(chunk)
            finally:
                os.close(read_end)
            _pid, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) in codes:
                kept[0] = b"".join(chunks).decode("utf-8", "surrogateescape")
        return kept[0]

    def drop() -> None:
        """Not wanted after all (the command ended without reading it): the pipe is closed and the
        process — a read-only git: status, log, rev-parse — stopped if it is still running, then
        reaped (a long-lived process keeps no zombie)."""
        if not kept:
            kept.append(None)
            os.close(read_end)
            with contextlib.suppress(OSError):
                if os.waitpid(pid, os.WNOHANG) == (0, 0):
                    os.kill(pid, signal.SIGTERM)
                    os.waitpid(pid, 0)

    wait.drop = drop
    return wait


def _on_a_thread_run(args: list[str], cwd, codes: tuple[int, ...]):
    def ask() -> str | None:
        try:
            done = _run(args, cwd=cwd)
        except NotFound:                 # no git on PATH: the caller reads as if Git knew nothing
            return None
        return done.stdout.decode("utf-8", "surrogateescape") if done.returncode in codes else None

    return on_a_thread(ask)


# What differs from Git's index in the work tree, without untracked files or rename detection.
# --no-optional-locks: status must not rewrite the index (and leave index.lock behind when csops
# stops before it has finished). Porcelain paths are relative to the top of the work tree.
STATUS = ["--no-optional-locks", "status", "--porcelain", "-z", "--untracked-files=no", "--no-renames"]


def ask_status(root: Path, folders: tuple[str, ...] = ()):
    """Start `git status` on the records folder (or only on these of its `folders`) now, for a
    command that reads through the record index: it runs while csops loads (at 100,000 files it
    takes about as long). Returns what `Git.background` returns, for
    csops.cache.index.build_index to take; None outside Git."""
    started = _STARTED.pop((Path(root), tuple(folders)), None)
    if started is not None:
        return started
    if find_git_dir(root) is None:
        return None
    return _background([*STATUS, "--", *(folders or ["."])], root)


_STARTED: dict = {}     # (folder, its folders asked of) → a git status started for the command now running;
                        # ("where", folder) → the rev-parse a Git for that folder starts with (Git.__init__)


def _log_file_args(pathspec: str, signers: Path | None) -> list[str]:
    """`git log` of one file's history as Git.log_file reads it (fields split by \\x1f, commits
    ended by \\x1e)."""
    sep, end = "\x1f", "\x1e"
    fields = ["%H", "%an", "%ae", "%aI", "%s", "%cn", "%ce"] + (["%G?", "%GS"] if signers else [])
    config = ["-c", f"gpg.ssh.allowedSignersFile={signers}"] if signers else []
    return [*config, "log", "--encoding=UTF-8", "--reverse", f"--format={sep.join(fields)}{end}", "--", pathspec]


def _log_key(path, signers: Path | None) -> tuple:
    """What names a walk of one file's history started early (start_log) for Git.log_file."""
    return "log", os.path.realpath(path), signers and str(signers)


def start_log(root: Path, path: Path, signers: Path | None) -> None:
    """Start the `git log` of a record's history (Git.log_file, which takes it) and the rev-parse
    its Git starts with, as the process starts (csops.reads: `csops log ID`): at 100,000 commits
    the walk takes about as long as csops takes to load. Those already started for the same (as
    the process started: csops.__main__) are kept; any other is dropped."""
    key, where = _log_key(path, signers), ("where", Path(root))
    started, located = _STARTED.pop(key, None), _STARTED.pop(where, None)
    forget_status()
    _STARTED[key] = started or _background(_log_file_args(os.path.relpath(path, root), signers), root)
    _STARTED[where] = located or _background(_WHERE, root, codes=(0, 1))


def forget_status() -> None:
    """Drop a git status started for a command that ended without taking it: it must not stand
    in for a later command's (in the same process: an edit made in between would be missed)."""
    for started in _STARTED.values():
        getattr(started, "drop", lambda: None)()        # (on a thread, elsewhere: nothing to close)
    _STARTED.clear()


def start_status(root: Path, folders: tuple[str, ...] = ()) -> None:
    """ask_status now, for the command that is about to load (csops.reads: a command that reads
    through the record index); its ask_status on the same folder takes it — and the rev-parse its
    Git starts with (where the repository is, HEAD), which Git(root) takes. Those already started
    for the same (as the process started: csops.__main__) are kept; any other is dropped."""
    key, where = (Path(root), tuple(folders)), ("where", Path(root))
    started, located = _STARTED.pop(key, None), _STARTED.pop(where, None)
    forget_status()
    started = started or ask_status(root, folders)
    if started is not None:
        _STARTED[key] = started
        _STARTED[where] = located or _background(_WHERE, root, codes=(0, 1))


# where the repository is and which commit HEAD is at (1: HEAD names no commit yet — an unborn
# branch — after printing the first two)
_WHERE = ["rev-parse", "--show-toplevel", "--absolute-git-dir", "--verify", "--quiet", "HEAD"]

# git gc --auto's default thresholds: gc.auto (6,700 loose objects, sampled in one folder of 256), gc.autoPackLimit
GC_LOOSE, GC_PACKS = 27, 50
GRAPH_BEHIND = 256      # commits a walk of one file's history reads without Git's path filters (Git.keep_history_graph)


def _objects_dir(git_dir: Path) -> Path:
    """The object store of a repository (a linked worktree's is its main repository's)."""
    try:
        common = (git_dir / "commondir").read_text(encoding="utf-8").strip()
    except (OSError, ValueError):
        return git_dir / "objects"
    return (git_dir / common).resolve() / "objects"


def _graph_has_filters(info: Path) -> bool:
    """Whether the commit-graph Git reads (objects/info/commit-graph, else the newest layer of
    objects/info/commit-graphs) carries changed-path filters (its BDAT chunk): a graph written
    without them (by `git gc`, by an older Git) is written again with them."""
    single = info / "commit-graph"
    try:
        if single.exists():
            path = single
        else:
            layers = (info / "commit-graphs" / "commit-graph-chain").read_text(encoding="ascii").split()
            if not layers:
                return False
            path = info / "commit-graphs" / f"graph-{layers[-1]}.graph"
            if not all((info / "commit-graphs" / f"graph-{layer}.graph").is_file() for layer in layers):
                return False                              # Git reads no filter of a broken chain
        with open(path, "rb") as handle:
            head = handle.read(8)
            if len(head) < 8 or head[:4] != b"CGPH" or head[4] != 1:
                return False                              # not a graph Git 2.x reads
            table = handle.read(12 * (head[6] + 1))       # the chunks' table: (id, offset) each, then the end
            size = os.fstat(handle.fileno()).st_size
    except (OSError, ValueError):
        return False
    if len(table) < 12 * (head[6] + 1) or int.from_bytes(table[-8:], "big") > size:
        return False                                      # cut short: Git ignores it
    return any(table[at:at + 4] == b"BDAT" for at in range(0, len(table) - 12, 12))


MINIMUM = (2, 34)      # SSH signing (gpg.format ssh, verify-commit with allowed signers)


def _git_binary() -> str:
    """The git that `git …` runs: on POSIX the first executable `git` of the PATH, as subprocess
    looks for it (shutil.which, whose import costs every command 2 ms, on Windows: PATHEXT)."""
    if os.name == "nt":
        import shutil

        return shutil.which("git") or "git"
    for folder in os.get_exec_path():
        path = os.path.join(folder, "git")
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return "git"


def require_version(git_dir: Path) -> None:
    """git ≥ MINIMUM, checked once per git binary: the answer is kept in .git/csops-git-version
    keyed by the binary's path and modification time, so no command pays a process for it."""
    binary = _git_binary()
    try:
        key = f"{binary} {os.stat(binary).st_mtime_ns}"
    except OSError:
        key = binary
    stamp = Path(git_dir) / "csops-git-version"
    try:
        if stamp.read_text(encoding="utf-8").strip() == key:
            return
    except OSError:
        pass
    done = _run(["--version"], cwd=git_dir)
    found = tuple(int(x) for x in re.findall(r"\d+", done.stdout.decode())[:2])
    if len(found) < 2 or found < MINIMUM:
        raise NotFound(_("{version} is too old: csops needs git {names} or newer",
                         version=done.stdout.decode().strip() or 'git', names='.'.join(map(str, MINIMUM))), _("install a "
                                                                                                         "newer git"))
    try:
        stamp.write_text(key + "\n", encoding="utf-8")
    except OSError:
        pass


def merge_file(ours: Path, base: Path, theirs: Path) -> bool:
    """Git's own three-way text merge into `ours` (for files that are not records); True when clean."""
    done = _run(["merge-file", "-L", "ours", "-L", "base", "-L", "theirs", str(ours), str(base), str(theirs)],
                cwd=Path(ours).parent)
    return done.returncode == 0


class Author(NamedTuple):
    name: str
    email: str


class LogEntry(NamedTuple):
    commit: str
    author: Author
    date: str
    subject: str
    committer: Author
    signer: str | None = None     # the verified signer's principal, when signed and verifiable


class FileChange(NamedTuple):
    status: str          # A, M, D
    path: str            # relative to the work tree
    mode: str = ""       # the new file's mode (120000: a symbolic link; "" when unknown or deleted)


class CommitInfo(NamedTuple):
    sha: str
    parents: tuple[str, ...]
    author: Author
    changes: tuple[FileChange, ...]    # against the first parent; a merge: every path changed against any parent
    committed: str = ""                # committer date, ISO
    signature: str = ""                # %G? (G good, B bad, N none, …) when asked for
    signer: str = ""                   # the signer's principal (%GS) when asked for


_SIGNING = ["config", "--type=bool", "--get", "commit.gpgsign"]

# A branch name git itself would accept (git check-ref-format), in the plainest spelling: anything
# else in .git/HEAD is left to git symbolic-ref to read.
_FULL_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")          # a commit id in full (SHA-1 or SHA-256)
_DIFFS: dict = {}        # (git dir, old, new) commit ids → Git.changed_paths (commits never change)
_BRANCH = re.compile(r"refs/heads/(?!.*(?:\.\.|//|@\{|\.lock/|/\.))(?!\.)[^\x00-\x20\x7f~^:?*\[\\]+(?<![./])(?<!\.lock)")


class Git:
    """A Git work tree. Construction fails with NotFound outside a repository."""

    def __init__(self, path: Path):
        path = Path(path)
        while not path.exists() and path != path.parent:
            path = path.parent
        # one process for where the repository is and which commit HEAD was at the start (a
        # read started it as the process started: start_status)
        started = _STARTED.pop(("where", path), None)
        text = started() if started is not None else None
        if text is None:
            done = _run(_WHERE, cwd=path)
            text = done.stdout.decode() if done.returncode in (0, 1) else ""
        lines = text.splitlines()
        if len(lines) < 2:
            raise NotARepository(_("{path} is not inside a Git repository",
                             path=path), _('run csops init, or git init there'))
        self.root = Path(lines[0]).resolve()
        self.git_dir = Path(lines[1]).resolve()
        self._started_at = lines[2] if len(lines) > 2 else None
        require_version(self.git_dir)

    @staticmethod
    def init(path: Path) -> "Git":
        """`git init`, on the user's configured default branch or `main`."""
        Path(path).mkdir(parents=True, exist_ok=True)
        configured = _run(["config", "--global", "--get", "init.defaultBranch"], cwd=path)
        branch = [] if configured.returncode == 0 and configured.stdout.strip() else ["-b", "main"]
        done = _run(["init", "-q", *branch, str(path)], cwd=path)
        if done.returncode != 0:
            raise Conflict(_("git init failed: {detail}", detail=done.stderr.decode().strip()))
        return Git(path)

    def run(self, *args, env: dict | None = None, stdin: bytes | None = None, raw: bool = False):
        """Run `git ARGS` in the work tree; stdout (text, or bytes with raw); Conflict on failure."""
        done = _run(list(args), cwd=self.root, env=clean_env(env), stdin=stdin)
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
            first = detail[0].removeprefix("fatal: ").removeprefix("error: ") if detail else done.returncode
            raise Conflict(_("git {command} failed: {first}", command=args[0], first=first))
        return done.stdout if raw else done.stdout.decode("utf-8", "surrogateescape").rstrip("\n")

    def background(self, *args):
        """Start `git ARGS` now; the returned function waits and gives its stdout (see _background)."""
        return _background(list(args), self.root)

    def rel(self, path: Path) -> str:
        """`path` from the top of the work tree, links resolved: its folder resolved once per
        folder (an import names ten thousand files in a few hundred), the file itself when it is
        a link."""
        path = Path(path)
        if os.path.islink(path) or os.path.isdir(path) or path.name in ("", ".", ".."):
            return Path(os.path.relpath(path.resolve(), self.root)).as_posix()
        folders = self.__dict__.setdefault("_resolved_folders", {})
        parent = folders.get(path.parent)
        if parent is None:
            parent = folders[path.parent] = Path(os.path.relpath(path.parent.resolve(), self.root)).as_posix()
        return path.name if parent == "." else f"{parent}/{path.name}"

    def head(self) -> str | None:
        done = _run(["rev-parse", "--verify", "--quiet", "HEAD"], cwd=self.root)
        return done.stdout.decode().strip() or None if done.returncode == 0 else None

    def head_at_start(self) -> str | None:
        """HEAD's commit when this Git was made (what a command reads its history up to; a
        write asks head() again under the lock)."""
        return self._started_at or self.head()

    def has_commits(self) -> bool:
        return self.head() is not None

    def config(self, key: str, kind: str | None = None) -> str | None:
        done = _run(["config", *([f"--type={kind}"] if kind else []), "--get", key], cwd=self.root)
        return done.stdout.decode().strip() or None if done.returncode == 0 else None

    def ask_signing(self) -> None:
        """Start asking git whether commits are signed (commit.gpgsign) now, on a thread: a
        write does this before it builds its change, and make_commit takes the answer."""
        self._signing = on_a_thread(_run, _SIGNING, cwd=self.root)

    def read_ahead(self, paths: list[Path]) -> None:
        """While a change to `paths` is still being made: ask Git now, on a thread, for what its
        commit will need — the commit the current branch is at, and that commit's trees on the
        way to the files (make_commit takes them through `ahead`). A newer question replaces an
        answer no write took."""
        self.__dict__.pop("_ahead", None)
        branch = self.branch()
        if branch is None:
            return
        folders = _folders([self.rel(path) for path in paths])

        def ask():
            head = self.ref(branch)
            return branch, head, self._old_trees(head, folders) if head else {}

        self._ahead = on_a_thread(ask)

    def ahead(self, branch: str):
        """None when read_ahead asked nothing; else a function that waits for its answer —
        (head, folder → tree) — or, when it was asked of another branch or failed, asks for the
        head of `branch` now (head, None). Each answer is taken once."""
        asked = self.__dict__.pop("_ahead", None)
        if asked is None:
            return None

        def wait():
            try:
                found, head, trees = asked()
            except Exception:  # noqa: BLE001 - asked again in the foreground, where it is reported
                found = None
            return (head, trees) if found == branch else (self.ref(branch), None)

        return wait

    def signs_commits(self) -> bool:
        """Whether commit.gpgsign asks for signed commits; refused when git cannot say (a value
        that is no boolean: `git commit` would refuse too)."""
        asked = self.__dict__.pop("_signing", None)
        done = None
        if asked is not None:
            try:
                done = asked()
            except Exception:  # noqa: BLE001 - asked again in the foreground, where it is reported
                done = None
        if done is None:
            done = _run(_SIGNING, cwd=self.root)
        if done.returncode == 1:                 # not set
            return False
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise Conflict(_("git config commit.gpgsign: {detail}",
                             detail=detail[0].removeprefix("fatal: ") if detail else done.returncode),
                           _('fix the setting (git config commit.gpgsign true|false), then try again'))
        return done.stdout.decode().strip() == "true"

    def committed_blob(self, path: Path, head: str | None = None) -> str | None:
        """The blob id of `path` in HEAD (None when HEAD has no such file)."""
        head = head or self.head()
        if head is None:
            return None
        done = _run(["rev-parse", "--verify", "--quiet", f"{head}:{self.rel(path)}"], cwd=self.root)
        return done.stdout.decode().strip() or None if done.returncode == 0 else None

    def branch(self) -> str | None:
        """The ref HEAD points at (refs/heads/main), or None on a detached HEAD."""
        head = self.git_dir / "HEAD"
        try:        # the HEAD file says it (git writes it whole, by rename): no process needed
            text = "" if head.is_symlink() else head.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        name = text[5:-1] if text.startswith("ref: ") and text.endswith("\n") else ""
        if _BRANCH.fullmatch(name) and name != "refs/heads/.invalid":
            return name
        if re.fullmatch(r"[0-9a-f]{40}(?:[0-9a-f]{24})?\n", text):
            return None                          # detached
        # anything else (a reftable repository's placeholder, a symlink, …): as git says
        done = _run(["symbolic-ref", "-q", "HEAD"], cwd=self.root)
        return done.stdout.decode().strip() or None if done.returncode == 0 else None

    def ref(self, name: str) -> str | None:
        """The commit a ref points at; None for an unborn branch."""
        done = _run(["rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"], cwd=self.root, shielded=True)
        if done.returncode < 0:
            raise Conflict(_("git rev-parse was interrupted (signal {status})", status=-done.returncode))
        return done.stdout.decode().strip() or None if done.returncode == 0 else None

    def staged_blobs(self, index_file: Path | None, paths: list[str]) -> dict[str, str]:
        """path → blob the index has for it (stage 0), for the given paths."""
        env = clean_env({"GIT_INDEX_FILE": str(index_file)}) if index_file else None
        done = _run(["ls-files", "-s", "-z", "--", *paths], cwd=self.root, env=env)
        if done.returncode != 0:
            raise Conflict(_("git ls-files failed: {detail}", detail=done.stderr.decode('utf-8', 'replace').strip()))
        out = {}
        for item in done.stdout.decode("utf-8", "surrogateescape").split("\0"):
            if "\t" in item:
                meta, path = item.split("\t", 1)
                parts = meta.split()
                out[path] = parts[1] if parts[2] == "0" else "unmerged"
        return out

    def hash_files(self, paths: list[Path]) -> list[str]:
        """Write the files' bytes as blobs (no filters: the bytes are what is committed)."""
        listing = "\n".join(str(p) for p in paths).encode("utf-8", "surrogateescape")
        return self.run("hash-object", "-w", "--no-filters", "--stdin-paths", stdin=listing).split()

    def write_blobs(self, datas: list[bytes]) -> list[str]:
        """Blobs of these bytes, their ids in order, written as one pack by `git fast-import`:
        many files at once (an import) without a loose object, and a file, each."""
        stream = bytearray()
        for mark, data in enumerate(datas, start=1):
            stream += b"blob\nmark :%d\ndata %d\n" % (mark, len(data))
            stream += data
            stream += b"\n"
        marks = self.git_dir / f"csops-marks-{os.getpid()}-{threading.get_ident()}"
        try:
            done = _run(["fast-import", "--quiet", "--done", f"--export-marks={marks}"], cwd=self.root,
                        stdin=bytes(stream) + b"done\n")
            if done.returncode != 0:
                last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
                raise Conflict(_("git fast-import failed: {status}", status=last[0] if last else done.returncode))
            ids = dict(line.split(" ", 1) for line in marks.read_text(encoding="ascii").split("\n") if line)
        finally:
            with contextlib.suppress(OSError):
                marks.unlink()
        return [ids.get(f":{mark}", "") for mark in range(1, len(datas) + 1)]

    def make_commit(self, head: str | None, blobs: dict[str, str], message: str, author: Author,
                    when: dt.datetime | None, known: dict | None = None) -> tuple[str, dict[str, str | None]]:
        """A commit of HEAD's tree with `blobs` (path → blob) put in, parented on `head`; nothing
        points at it yet. Also returns each path's blob in `head` (None where it had none).
        `known`: trees of `head` already read (folder → entries, as read_ahead gives them)."""
        tree, before = self._trees(head, blobs, known)
        env = clean_env({"GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.email})
        if when is not None:
            env["GIT_AUTHOR_DATE"] = when.isoformat(timespec="seconds")
        # the message is UTF-8 whatever i18n.commitEncoding says (else the header would mislabel it)
        args = ["-c", "i18n.commitEncoding=UTF-8", "commit-tree", tree, "-F", "-"] + (["-p", head] if head else [])
        if self.signs_commits():                 # sign as `git commit` would (SSH or GPG)
            args.append("-S")
        done = _run(args, cwd=self.root, env=env, stdin=message.encode())
        if done.returncode != 0 and b"tell me who you are" in done.stderr.lower():
            # a machine with no Git identity (CI): the committer is then csops itself
            env.update({"GIT_COMMITTER_NAME": "csops", "GIT_COMMITTER_EMAIL": "csops@localhost"})
            done = _run(args, cwd=self.root, env=env, stdin=message.encode())
        if done.returncode != 0:
            last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            raise Conflict(_("git commit-tree failed: {status}", status=last[0] if last else done.returncode))
        return done.stdout.decode().strip(), before

    def index_with(self, index_file: Path, blobs: dict[str, str]) -> None:
        """Put `blobs` (path → blob) into the index file `index_file` (a copy of the real one)."""
        info = "".join(f"100644 {blob}\t{rel}\n" for rel, blob in blobs.items())
        done = _run(["update-index", "--add", "--index-info"], cwd=self.root,
                    env=clean_env({"GIT_INDEX_FILE": str(index_file)}), stdin=info.encode("utf-8", "surrogateescape"))
        if done.returncode != 0:
            raise Conflict(_("git update-index failed: {detail}",
                             detail=done.stderr.decode('utf-8', 'replace').strip()))

    def move_ref(self, ref: str, new: str, old: str | None, message: str) -> tuple[bool, str]:
        """Compare-and-swap: point `ref` at `new` only if it still points at `old`. Returns
        whether it moved, and when not, the last line Git said (why)."""
        done = _run(["update-ref", "-m", message, ref, new, old or "0" * 40], cwd=self.root, shielded=True)
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return done.returncode == 0, (said[-1].removeprefix("fatal: ").removeprefix("error: ") if said else "")

    def changed_paths(self, old: str | None, new: str) -> set[str]:
        """The file paths whose entries differ between commits `old` and `new` (all of `new`'s
        files when `old` is None). Asked of Git once per pair of commit ids in a process: a write
        asks it of the commit it made, and its repeat-caller warning again, for tickets and returns."""
        known = _DIFFS.get((self.git_dir, old, new))
        if known is not None:
            return set(known)
        args = ["diff-tree", "-r", "--no-renames", "--name-only", "-z"] + ([old, new] if old else ["--root", new])
        done = _run(args, cwd=self.root)
        if done.returncode != 0:
            raise Conflict(_("git diff-tree failed: {detail}", detail=done.stderr.decode("utf-8", "replace").strip()))
        names = done.stdout.decode("utf-8", "surrogateescape").split("\0")
        found = {name for name in names[0 if old else 1:] if name}
        if all(_FULL_ID.fullmatch(commit or "0" * 40) for commit in (old, new)):
            _DIFFS[(self.git_dir, old, new)] = frozenset(found)
        return found

    def is_ancestor(self, older: str, newer: str) -> bool:
        return _run(["merge-base", "--is-ancestor", older, newer], cwd=self.root).returncode == 0

    def _old_trees(self, head: str, folders: list[str]) -> dict[str, dict]:
        """`head`'s trees at `folders` (folder → entries; {} where it has no such folder), read
        with one `cat-file --batch`. `folders` holds every folder on the way (as _folders gives
        them), so a folder Git could not read is told from one that is not there: its parent
        lists it. A tree that is listed but cannot be read (a missing or corrupt object, a
        repack racing the read) is asked once more, then refused: taken for an empty folder, it
        would drop every file under it from the next commit."""
        specs = [f"{head}:{f}" if f else f"{head}^{{tree}}" for f in folders]
        for attempt in range(2):
            bodies = dict(zip(folders, self.blobs(specs)))
            unreadable = [folder for folder in folders if bodies[folder] is None and _listed(folder, bodies)]
            if not unreadable:
                return {folder: _parse_tree(body) if body is not None else {} for folder, body in bodies.items()}
        raise Conflict(_("Git cannot read the folder {folder} of commit {commit} (a missing or damaged object)",
                         folder=unreadable[0] or "/", commit=head[:10]),
                       _('run git fsck to see what is missing (fetch it again from a clone, or restore the '
                         'repository from a backup), then try again'))

    def _trees(self, head: str | None, blobs: dict[str, str], known: dict | None = None
               ) -> tuple[str, dict[str, str | None]]:
        """The root tree of HEAD with `blobs` put in, and the blobs they replace: the trees on
        the way to them are read with one `cat-file --batch` (unless `known` has them all),
        rebuilt here, and written with one `mktree --batch`."""
        folders = _folders(list(blobs))
        old = {}
        if head is not None:
            old = known if known is not None and all(f in known for f in folders) else self._old_trees(head, folders)
        before = {}
        for rel in blobs:
            folder, _ignored, name = rel.rpartition("/")
            entry = old.get(folder, {}).get(name.encode("utf-8", "surrogateescape"))
            before[rel] = entry[1].hex() if entry and entry[0] != b"40000" else None
        made, batch = {}, []
        for folder in folders:
            entries = dict(old.get(folder, {}))
            prefix = f"{folder}/" if folder else ""
            for rel, blob in blobs.items():
                if rel.startswith(prefix) and "/" not in rel[len(prefix):]:
                    entries[rel[len(prefix):].encode()] = (b"100644", bytes.fromhex(blob))
            for child, sha in made.items():
                if child.startswith(prefix) and child and "/" not in child[len(prefix):]:
                    entries[child[len(prefix):].encode()] = (b"40000", bytes.fromhex(sha))
            body = _tree_body(entries)
            made[folder] = hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()
            batch.append("".join(f"{_KINDS.get(mode, mode.decode() + ' blob')} {sha.hex()}\t"
                                 f"{name.decode('utf-8', 'surrogateescape')}\n" for name, (mode, sha) in entries.items()))
        # --missing: the blobs may still be being written (commit_files checks them before a ref points here)
        written = self.run("mktree", "--missing", "--batch", stdin="\n".join(batch).encode("utf-8", "surrogateescape")).split()
        if written != [made[f] for f in folders]:   # our tree hashing must agree with Git's
            raise Conflict(_('git mktree wrote different trees than expected'))
        return made[""], before

    def log_file(self, path: Path, signers: Path | None = None) -> list[LogEntry]:
        """Every commit that touched the file, oldest first: author, committer and (with an SSH
        allowed-signers file) the verified signer. Keeps Git's commit-graph for the walk first
        (keep_history_graph: seconds the first time in a long history), and takes the walk started
        as the process started (start_log) when there is one."""
        self.keep_history_graph()
        sep, end = "\x1f", "\x1e"
        started = _STARTED.pop(_log_key(path, signers), None)
        out = started() if started is not None else None        # started as the process started (start_log)
        if out is None:
            out = self.run(*_log_file_args(self.rel(path), signers))
        entries = []
        for chunk in out.split(end):
            chunk = chunk.strip("\n")
            if not chunk:
                continue
            sha, name, email, date, subject, cname, cemail, *signed = chunk.split(sep)
            signer = signed[1] if signed and signed[0] in ("G", "U") and signed[1] else None
            entries.append(LogEntry(sha, Author(name, email), date, subject, Author(cname, cemail), signer))
        return entries

    def after_commit(self) -> None:
        """What `git commit` does after a commit, for csops' own (made with commit-tree): `git gc
        --auto`, which packs the loose objects once enough have gathered — in the background, as
        Git does — and keeps the commit-graph (with its path filters: keep_history_graph). Every
        write adds about seven loose objects; without it a desk's repository would only ever grow
        them. Git is asked only when its own estimate could call for it at its default thresholds
        (more than 27 loose objects in objects/17, the folder it samples, or more than 50 packs):
        below them a write spawns nothing. Best effort."""
        objects = _objects_dir(self.git_dir)
        try:
            loose = sum(1 for _entry in os.scandir(objects / "17"))
        except OSError:
            loose = 0
        try:
            packs = sum(1 for entry in os.scandir(objects / "pack") if entry.name.endswith(".pack"))
        except OSError:
            packs = 0
        if loose > GC_LOOSE or packs > GC_PACKS:
            _run(["gc", "--auto", "--quiet"], cwd=self.root)

    def keep_history_graph(self) -> None:
        """Keep Git's commit-graph, with its changed-path filters, within GRAPH_BEHIND commits of
        HEAD, for a walk of one file's history (`git log -- FILE`): without the filters Git compares
        the trees of every commit in the history — a desk makes a commit per change, and at 100,000
        commits `csops log ID` took 1.3 s; with them 0.3 s. The first time, every commit's filter is
        worked out (about 6 s at 100,000 commits); then a layer of the new commits is added
        (`--split`) once GRAPH_BEHIND have gathered. Best effort: a graph Git cannot write (a lock
        held by another, a read-only repository, a shallow clone) is not tried — Git would work out
        every filter before it found out — and a failed write is tried again only once GRAPH_BEHIND
        commits have gathered; the walk is left as it was."""
        head = self.head_at_start()
        if head is None:
            return
        marker = self.git_dir / "csops-cache" / "history-graph"
        objects = _objects_dir(self.git_dir)
        try:
            known, _sep, outcome = marker.read_text(encoding="ascii").strip().partition(" ")
        except (OSError, ValueError):
            known, outcome = "", ""
        filters = _graph_has_filters(objects / "info")
        if known and (filters or outcome == "failed"):
            if known == head:
                return
            behind = _run(["rev-list", "--count", f"{known}..{head}"], cwd=self.root)
            if behind.returncode == 0 and int(behind.stdout.strip() or 0) < GRAPH_BEHIND:
                return
        info = objects / "info"
        if (objects.parent / "shallow").exists() or not os.access(info if info.is_dir() else objects, os.W_OK) \
                or any(info.glob("commit-graph*.lock")) or any(info.glob("commit-graphs/*.lock")):
            ok = False          # Git would work every filter out, then fail to write: not tried (a shallow clone: nothing to write)
        else:
            args = ["commit-graph", "write", "--reachable", "--changed-paths",
                    "--split" if filters else "--split=replace"]
            shown = not filters and sys.stderr is not None and sys.stderr.isatty()  # the long first time: Git's progress
            ok = _run([*args, "--progress" if shown else "--no-progress"], cwd=self.root, shown=shown).returncode == 0
        temp = marker.with_name(f".{marker.name}.{os.getpid()}")
        try:                    # a failed write is tried again only once GRAPH_BEHIND commits have gathered
            marker.parent.mkdir(exist_ok=True)
            temp.write_text(f"{head} {'written' if ok else 'failed'}\n", encoding="ascii")
            os.replace(temp, marker)              # never seen half-written
        except OSError:
            temp.unlink(missing_ok=True)          # only costs speed: the next walk asks again

    # -- history replay -----------------------------------------------------------------------

    def resolve(self, rev: str) -> str:
        return self.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").strip()


    def commits_touching(self, prefix: str, since: str | None, *, signers: Path | None = None) -> list[CommitInfo]:
        """Commits (parents before children) that change files under `prefix`, each with its file
        changes: against its first parent, or for a merge every path that differs from any parent.
        `since` limits the walk to REV..HEAD; `signers` (an SSH allowed-signers file) also asks Git
        to verify each commit's signature."""
        if not self.has_commits():
            return []
        revs = [f"{since}..HEAD"] if since else ["HEAD"]
        sep, end = "\x1f", "\x1e"
        fields = ["%H", "%P", "%an", "%ae", "%cI"] + (["%G?", "%GS"] if signers else [])
        config = ["-c", f"gpg.ssh.allowedSignersFile={signers}"] if signers else []
        out = self.run(*config, "log", "--encoding=UTF-8", "--reverse", "--topo-order", "--full-history", "--no-renames", "--raw", "--root",
                       "--no-abbrev", f"--format={end}{sep.join(fields)}", *revs, "--", prefix)
        commits = []
        for chunk in out.split(end):
            chunk = chunk.strip("\n")
            if not chunk:
                continue
            header, *lines = chunk.split("\n")
            sha, parents, name, email, committed, *signed = header.split(sep)
            parents = tuple(parents.split())
            if len(parents) > 1:  # git log shows no raw diff for merges: ask for it against each parent
                lines = [line for parent in parents for line in
                         self.run("diff-tree", "-r", "--no-renames", "--no-abbrev", parent, sha, "--", prefix).splitlines()]
            changes, seen = [], set()
            for line in lines:
                if line.startswith(":") and "\t" in line:
                    meta, path = line.split("\t", 1)
                    if path not in seen:
                        seen.add(path)
                        fields = meta.split()
                        changes.append(FileChange(fields[-1][0] if len(parents) < 2 else "M", path,
                                                  fields[1] if fields[1] != "000000" else ""))
            commits.append(CommitInfo(sha, parents, Author(name, email), tuple(changes), committed,
                                      *(signed + ["", ""])[:2]))
        return commits

    def signatures(self, shas: list[str], signers: bytes | None) -> dict[str, tuple[str, str]]:
        """sha → (%G?, %GS) of each commit, verified against `signers` (the allowed-signers file's
        content in force for them; None: no SSH signer is allowed)."""
        if not shas:
            return {}
        import tempfile

        with tempfile.TemporaryDirectory(prefix="csops-signers-") as folder:
            allowed = Path(folder) / "allowed_signers"
            allowed.write_bytes(signers or b"")
            done = _run(["-c", f"gpg.ssh.allowedSignersFile={allowed}", "log", "--no-walk=unsorted", "--stdin",
                         "--format=%H%x1f%G?%x1f%GS"], cwd=self.root, stdin="\n".join(shas).encode() + b"\n")
        out = {}
        for line in done.stdout.decode("utf-8", "replace").splitlines():
            sha, _sep, rest = line.partition("\x1f")
            status, _sep, signer = rest.partition("\x1f")
            out[sha] = (status, signer)
        return out

    def object_ids(self, specs: list[str]) -> list[str | None]:
        """The ids of many `rev:path` objects through one `git cat-file --batch-check`."""
        if not specs:
            return []
        done = _run(["cat-file", "--batch-check"], cwd=self.root, stdin="\n".join(specs).encode() + b"\n")
        out = []
        for line in done.stdout.decode("utf-8", "surrogateescape").splitlines()[:len(specs)]:
            parts = line.split()
            out.append(parts[0] if len(parts) >= 3 and parts[1] != "missing" else None)
        return out + [None] * (len(specs) - len(out))

    def tree_blobs(self, rev: str, paths: list[str]) -> dict[str, str]:
        """path → blob id of those of `paths` (from the top) that are regular files at `rev`."""
        out: dict[str, str] = {}
        for start in range(0, len(paths), 500):
            done = _run(["ls-tree", "-z", rev, "--", *paths[start:start + 500]], cwd=self.root)
            if done.returncode != 0:
                raise Conflict(_("git ls-tree failed: {detail}", detail=done.stderr.decode("utf-8", "replace").strip()))
            for item in done.stdout.decode("utf-8", "surrogateescape").split("\0"):
                meta, _tab, path = item.partition("\t")
                fields = meta.split()
                if len(fields) == 3 and fields[1] == "blob" and fields[0] in ("100644", "100755"):
                    out[path] = fields[2]
        return out

    def files_under(self, rev: str, folder: str) -> list[str]:
        """Paths of the files under `folder` at `rev`."""
        done = _run(["ls-tree", "-r", "--name-only", "-z", rev, "--", folder], cwd=self.root)
        return [p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p] if done.returncode == 0 else []

    def unmerged(self, prefix: str) -> list[str]:
        """Files left conflicted in the index by a merge, rebase or cherry-pick."""
        done = _run(["ls-files", "-u", "-z", "--", prefix or "."], cwd=self.root)
        paths = {item.split("\t", 1)[1] for item in done.stdout.decode("utf-8", "surrogateescape").split("\0")
                 if "\t" in item}
        return sorted(paths)

    def blobs(self, specs: list[str]) -> list[bytes | None]:
        """Contents of many `rev:path` objects through one `git cat-file --batch` process."""
        if not specs:
            return []
        proc = _run(["cat-file", "--batch"], cwd=self.root, stdin="\n".join(specs).encode() + b"\n")
        if proc.returncode != 0:
            raise Conflict(_("git cat-file failed ({returncode}): {detail}",
                             returncode=proc.returncode, detail=proc.stderr.decode('utf-8', 'replace').strip()))
        data, pos, out = proc.stdout, 0, []
        for _ignored in specs:
            newline = data.find(b"\n", pos)
            if newline < 0:
                raise Conflict(_('git cat-file stopped half-way (was it interrupted?)'))
            line = data[pos:newline]
            pos = newline + 1
            if line.endswith((b" missing", b" ambiguous")):      # "<name> missing": the name may hold spaces
                out.append(None)
                continue
            size = int(line.rsplit(b" ", 1)[1])                   # "<oid> <type> <size>"
            out.append(data[pos:pos + size])
            pos += size + 1
        return out
