"""Rules in force (SPEC §9): a policy change never rewrites the past.

The versions of `policy.yaml` are its Git history plus the working tree's copy when it differs.
Each applies from its `effective: YYYY-MM-DD` (00:00 that day), or else from the author date of
the commit that made it (the working tree's: from now). The version in force at a moment is the
latest one — in commit order — that applies by then; before the first one's date, the first.

Reading the history costs one `git rev-parse` per command: the commits, their blobs and texts
are cached in .git/csops-cache/policy-versions.json under the HEAD they were read at, and a
newer HEAD that descends from it only reads the commits in between.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from csops.errors import CsopsError
from csops.gitlog import blob_id
from csops.policy import Policy, check_text
from csops.timeutil import try_instant

CACHE_FORMAT = 1


@dataclass(frozen=True)
class Version:
    policy: Policy | None          # None: this version does not load (its problem says why)
    since: dt.datetime             # the moment its rules apply from
    explicit: bool                 # `effective:` set in the file (else: the commit's author date)
    commit: str | None             # None: the working tree's uncommitted copy
    author: str
    date: str                      # the commit's author date (ISO), or "" for the working tree
    data: dict | None              # the file's own settings (for what changed between versions)
    problem: str | None = None
    blob: str = ""

    @property
    def effective(self) -> dt.date:
        return self.since.astimezone(self.policy.tz if self.policy else dt.timezone.utc).date() \
            if not self.explicit else self.since.date()


class Versions:
    """The policy's versions, oldest first, and which is in force when."""

    def __init__(self, versions: list[Version], current: Policy):
        self.all = versions
        self.usable = [v for v in versions if v.policy is not None]
        self.current = current
        # what results computed under these rules depend on (the record index's fingerprint)
        self.key = hashlib.sha1("\n".join(f"{v.blob}:{v.since.isoformat()}" for v in versions).encode()).hexdigest()

    def at(self, moment: dt.datetime | None) -> Policy:
        if moment is None or not self.usable:
            return self.current
        chosen = None
        for version in self.usable:
            if version.since <= moment:
                chosen = version
        return (chosen or self.usable[0]).policy


def _effective(data, tz) -> tuple[dt.datetime | None, str | None]:
    value = data.get("effective") if isinstance(data, dict) else None
    if value is None:
        return None, None
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return None, f"effective must be a date YYYY-MM-DD, not {value!r}"
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz), None


def _version(text: bytes, display: str, commit, author, date, fallback: dt.datetime, blob: str) -> Version:
    try:
        policy = check_text(text, display)
    except CsopsError as exc:
        return Version(None, fallback, False, commit, author, date, None, exc.message, blob)
    data = _quiet_load(text)
    since, problem = _effective(data, policy.tz)
    if problem:
        return Version(None, fallback, False, commit, author, date, data, problem, blob)
    return Version(policy, since or fallback, since is not None, commit, author, date, data or {}, None, blob)


def load_versions(store, git, current: Policy, now: dt.datetime) -> Versions:
    """Every version of the policy (see the module's docstring)."""
    rel = git.rel(store.policy_path) if git is not None else None
    commits, texts = _history(git, rel) if git is not None else ([], {})
    versions = []
    for sha, name, email, date, blob in commits:
        text = texts.get(blob)
        if text is None:
            continue
        fallback = try_instant(date, current.tz) or now
        versions.append(_version(text.encode("utf-8", "surrogateescape"), f"{rel}@{sha[:10]}", sha,
                                 f"{name} <{email}>", date, fallback, blob))
    try:
        working = store.policy_path.read_bytes()
    except OSError:
        working = None
    if working is not None and (not commits or blob_id(working) != commits[-1][4]):
        data = _quiet_load(working)
        since, _ = _effective(data, current.tz)          # a bad date is the working policy's BAD_POLICY
        versions.append(Version(current, since or now, since is not None, None, "(working tree)", "", data or {},
                                None, blob_id(working)))
    return Versions(versions, current)


def _quiet_load(text: bytes):
    from csops import yamlio

    try:
        data = yamlio.load(text, limit=yamlio.POLICY_BYTES, aliases=True)
    except yamlio.YamlError:
        return None
    return data if isinstance(data, dict) else None


# -- the Git side, cached --------------------------------------------------------------------------

def _cache_file(git) -> Path:
    return git.git_dir / "csops-cache" / "policy-versions.json"


def _history(git, rel: str) -> tuple[list[list[str]], dict[str, str]]:
    head = git.head()
    if head is None:
        return [], {}
    path = _cache_file(git)
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if cached.get("format") != CACHE_FORMAT or cached.get("path") != rel:
            cached = None
    except (OSError, ValueError):
        cached = None
    if cached and cached.get("head") == head:
        return cached["commits"], cached["texts"]
    if cached and cached.get("head") and git.is_ancestor(cached["head"], head):
        commits, texts = cached["commits"], cached["texts"]
        new = _log(git, rel, f"{cached['head']}..{head}")
    else:
        commits, texts = [], {}
        new = _log(git, rel, head)
    ids = git.object_ids([f"{sha}:{rel}" for sha, *_ in new])
    missing = sorted({b for b in ids if b and b not in texts})
    for blob, body in zip(missing, git.blobs(missing)):
        if body is not None:
            texts[blob] = body.decode("utf-8", "surrogateescape")
    commits = commits + [[*entry, blob] for entry, blob in zip(new, ids) if blob]
    _save(path, {"format": CACHE_FORMAT, "path": rel, "head": head, "commits": commits, "texts": texts})
    return commits, texts


def _log(git, rel: str, revs: str) -> list[list[str]]:
    sep = "\x1f"
    out = git.run("log", "--reverse", f"--format=%H{sep}%an{sep}%ae{sep}%aI", revs, "--", rel)
    return [line.split(sep) for line in out.splitlines() if line.count(sep) == 3]


def _save(path: Path, data: dict) -> None:
    """Best effort: a cache that cannot be written is read from Git next time."""
    try:
        path.parent.mkdir(exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}")
        temp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        pass


# -- what changed -----------------------------------------------------------------------------------

def changed_keys(old: dict | None, new: dict | None, prefix: str = "") -> tuple[list[str], list[str], list[str]]:
    """(added, changed, removed) dotted keys between two versions' own settings."""
    old, new = old or {}, new or {}
    added, changed, removed = [], [], []
    for key in new:
        name = f"{prefix}{key}"
        if key not in old:
            added.append(name)
        elif isinstance(new[key], dict) and isinstance(old[key], dict):
            a, c, r = changed_keys(old[key], new[key], name + ".")
            added += a
            changed += c
            removed += r
        elif new[key] != old[key]:
            changed.append(name)
    removed += [f"{prefix}{key}" for key in old if key not in new]
    return added, changed, removed
