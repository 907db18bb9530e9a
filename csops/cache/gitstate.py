"""What the record index asks Git: which files differ from its index, each staged file's blob id,
the index's checksum — and what else the entries depend on (the fingerprint)."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from csops.cache.entries import CACHE_FORMAT
from csops.gitlog import STATUS, blob_id, index_checksum
from csops.store import read_regular

def fingerprint(store, policy_bytes: bytes, swaps: list[str] = ()) -> str:
    """What per-record results depend on besides the file: policy, roster, csops itself (its
    code and message catalogs) and the language its problems are written in."""
    from csops import i18n

    digest = hashlib.sha1(b"csops-index %d %s\n" % (CACHE_FORMAT, i18n.language().encode()))
    digest.update(policy_bytes)
    for path in store.person_files() + store.roster_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for swap in swaps:                              # approved swaps change who is on duty (leave days)
        digest.update(swap.encode() + b"\0")
    for line in _code_files(str(Path(__file__).resolve().parent.parent)):      # csops/
        digest.update(line.encode())
    return digest.hexdigest()


def _code_files(package: str) -> list[str]:
    """`path:size:mtime` of each .py and .po file of the package, sorted (os.scandir: a warm read
    pays this on every command; pathlib's glob and stat took five times as long)."""
    out, stack = [], [""]
    while stack:
        rel = stack.pop()
        with os.scandir(os.path.join(package, rel)) as listing:
            for entry in listing:
                name = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir():
                    if entry.name != "__pycache__":
                        stack.append(name)
                elif entry.name.endswith((".py", ".po")):
                    stat = entry.stat()
                    out.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return sorted(out)


def ask_git(git, root: Path, status=None, folders: tuple[str, ...] = ()):
    """Start asking Git what differs from its index in the work tree (it runs while the cache
    is loaded and the folders are listed) — in these `folders` of the records only, if named —
    unless the command already did (`status`: from gitlog.ask_status on this root and these
    folders); None without Git."""
    if git is None:
        return None
    prefix = git.rel(root)
    prefix = "" if prefix == "." else prefix + "/"
    return prefix, status or git.background(*STATUS, "--", *([prefix + folder for folder in folders] or [prefix or "."]))


def ask_staged(git, prefix: str):
    """Start asking Git for each staged file's blob id (and its tag: -v)."""
    return git.background("ls-files", "-s", "-v", "-z", "--", prefix or ".")


_STAGED = re.compile(r"[A-Za-z?] (?:100644|100755) ([0-9a-f]{40,64}) \d\t([^\0]*)\0")
# a file Git is told not to look at (update-index --assume-unchanged: a lower-case tag;
# --skip-worktree: S): git status never names its edits, so csops always looks at it itself.
# Matched from the NUL before an entry: a tag letter alone matches almost anywhere in the text
# (paths, blob ids), and every such start was tried (0.12 s at 100,000 files against 0.01 s).
_FLAGGED = re.compile(r"\0(?:[a-z]|S) \d+ [0-9a-f]{40,64} \d\t([^\0]*)(?=\0)")


def flagged(prefix: str, listed: str) -> set[str]:
    return {path[len(prefix):] for path in _FLAGGED.findall("\0" + listed) if path.startswith(prefix)}


def staged_blobs(prefix: str, listed: str) -> dict[str, str]:
    """rel path → blob id of every regular file in Git's index under the records root (a
    symlink's blob is the link's text, not the record it leads to: mode 120000 is left out).
    Match by match: a list of every match first would hold a million more tuples and strings at
    once (about 170 MB at a million files, on top of the text and the table)."""
    cut = len(prefix)
    return {found[2][cut:]: found[1] for found in _STAGED.finditer(listed) if found[2].startswith(prefix)}


def changed_paths(dirty: str) -> set[str]:
    """The paths `git status --porcelain -z` names (relative to the work tree's top)."""
    return {item[3:] for item in dirty.split("\0") if len(item) > 3}


def git_index_id(git) -> str | None:
    """Git's index checksum: the same checksum, the same staged blobs. None when there is none
    to trust (index.skipHash, another GIT_INDEX_FILE, no index)."""
    if git is None or os.environ.get("GIT_INDEX_FILE"):
        return None
    return index_checksum(git.git_dir / "index")


def content_id(path: Path) -> str:
    """The blob id of a file's bytes; a file that cannot be read (a dangling link, a FIFO, no
    permission) is named by that — the rules report it, the fingerprint must not stop on it."""
    try:
        return blob_id(read_regular(path)[0])
    except OSError as exc:
        return f"unreadable-{exc.errno}"


