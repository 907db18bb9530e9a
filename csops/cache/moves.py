"""What csops' own writes did to Git's index (.git/csops-cache/index-moves): one line per commit,
"the index whose checksum was A became B by putting these blobs at these paths". A read whose
cache was built at A and finds B then knows every other file's staged blob is as it was — it
looks at the written files only, not at the 100,000 lines of `git ls-files -s` (csops.cache.index).

Every line is a fact about two index contents (their checksums name them), written by the writer
that made B from A while it held Git's index lock: whatever order lines arrive in, a chain of them
from A to B is true. A line cut short (a crash mid-append) or a log that cannot be read is only
a lost shortcut: the read takes the long way."""

from __future__ import annotations

import json
import os
from pathlib import Path

NAME = "index-moves"
KEEP = 200        # the log is cut back to the newest KEEP lines once it holds twice as many


def _path(git_dir: Path) -> Path:
    return Path(git_dir) / "csops-cache" / NAME


def note(git_dir: Path, before: str | None, after: str | None, blobs: dict[str, str]) -> None:
    """Append the move before → after (Git index checksums) made by writing `blobs` (path from the
    repository's top → blob id). Best effort: a log that cannot be written costs one slow read."""
    if not before or not after or before == after:
        return
    path = _path(git_dir)
    line = (json.dumps({"from": before, "to": after, "blobs": blobs}, ensure_ascii=False) + "\n").encode()
    try:
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
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            if len(lines) > 2 * KEEP:
                tmp = path.with_name(f".{NAME}.{os.getpid()}.tmp")
                tmp.write_text("".join(lines[-KEEP:]), encoding="utf-8")
                os.replace(tmp, path)
    except OSError:
        pass


def between(git_dir: Path, since: str | None, now: str | None) -> dict[str, str] | None:
    """path → blob of every file csops' writes put into Git's index on the way from the index
    `since` to the index `now` (the later blob where a path was written twice); None when the log
    does not lead from one to the other (another program changed the index)."""
    if not since or not now or since == now:
        return None
    try:
        text = _path(git_dir).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    moves: dict[str, tuple[str, dict]] = {}
    for line in text.splitlines():
        try:
            move = json.loads(line)
            step = (move["from"], move["to"], move["blobs"])
        except (ValueError, TypeError, KeyError):
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
