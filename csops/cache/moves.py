"""What csops' own writes did to Git's index (.git/csops-cache/index-moves): one line per commit,
"the index whose checksum was A became B by putting these blobs at these paths". A read whose
cache was built at A and finds B then knows every other file's staged blob is as it was — it
looks at the written files only, not at the 100,000 lines of `git ls-files -s` (csops.cache.index).

Every line is a fact about two index contents (their checksums name them), written by the writer
that made B from A while it held Git's index lock: whatever order lines arrive in, a chain of them
from A to B is true. A line cut short (a crash mid-append), one that is not ours, a log that cannot
be read or is no file at all is only a lost shortcut: the read takes the long way, and a write
never fails on it (its commit has landed by the time it notes it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

NAME = "index-moves"
KEEP = 200             # the log is cut back to the newest KEEP lines once it holds twice as many …
MOST = 1 << 20         # … or this many bytes
MANY = 1000            # a commit of more files (an import) is not noted: the read after it reads much anyway


def _path(git_dir: Path) -> Path:
    return Path(git_dir) / "csops-cache" / NAME


def note(git_dir: Path, before: str | None, after: str | None, blobs: dict[str, str]) -> None:
    """Append the move before → after (Git index checksums) made by writing `blobs` (path from the
    repository's top → blob id). Best effort: a log that cannot be written costs one slow read."""
    if not before or not after or before == after or len(blobs) > MANY:
        return
    path = _path(git_dir)
    try:
        line = (json.dumps({"from": before, "to": after, "blobs": blobs}, ensure_ascii=False) + "\n").encode()
        path.parent.mkdir(exist_ok=True)
        with open(path, "ab+") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size:
                handle.seek(size - 1)
                if handle.read(1) != b"\n":
                    line = b"\n" + line         # a line left cut short (a crash) stays a line of its own
            handle.write(line)
            size = handle.tell()
        if size > 2 * KEEP * 256:                 # a rough size first: most writes read nothing back
            from csops.store import read_regular

            lines = read_regular(path)[0].splitlines(keepends=True)
            if len(lines) > 2 * KEEP or size > MOST:
                kept, total = [], 0
                for kept_line in reversed(lines[-KEEP:]):
                    total += len(kept_line)
                    if total > MOST // 2:
                        break
                    kept.append(kept_line)
                tmp = path.with_name(f".{NAME}.{os.getpid()}.tmp")
                tmp.write_bytes(b"".join(reversed(kept)))
                os.replace(tmp, path)
    except Exception:  # noqa: BLE001 - the commit has landed: a note that cannot be kept only costs a slow read
        pass


def between(git_dir: Path, since: str | None, now: str | None) -> dict[str, str] | None:
    """path → blob of every file csops' writes put into Git's index on the way from the index
    `since` to the index `now` (the later blob where a path was written twice); None when the log
    does not lead from one to the other (another program changed the index)."""
    if not since or not now or since == now:
        return None
    from csops.store import read_regular

    try:
        data = read_regular(_path(git_dir))[0]        # a FIFO or a folder in its place is refused, not waited on
    except OSError:
        return None
    moves: dict[str, tuple[str, dict]] = {}
    for line in data.splitlines():
        try:
            move = json.loads(line.decode("utf-8"))
            step = (move["from"], move["to"], move["blobs"])
        except (ValueError, TypeError, KeyError, RecursionError):
            continue                     # cut short or not ours: no link of a chain
        if all(isinstance(part, str) for part in step[:2]) and isinstance(step[2], dict):
            moves[step[0]] = (step[1], step[2])
    out: dict[str, str] = {}
    at, seen = since, set()
    while at != now:
        if at in seen or at not in moves:
            return None
        seen.add(at)
        at, blobs = moves[at]
        out.update(blobs)
    return out
