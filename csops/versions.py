"""Rules in force (docs/rules.md): a policy change never rewrites the past.

The versions of `policy.yaml` are its Git history plus the working tree's copy when it differs.
Each applies from its `effective: YYYY-MM-DD` (00:00 that day), or else from the author date of
the commit that made it (the working tree's: from now). The version in force at a moment is the
latest one — in commit order — that applies by then; before the first one's date, the first.

Reading the history costs one `git rev-parse` per command: the commits, their blobs and texts
are cached in .git/csops-cache/policy-versions.json under the HEAD they were read at, and a
newer HEAD that descends from it only reads the commits in between. A csops write that leaves
the policy alone moves the cache to its own commit (`advance`): the next command reads no log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import os
from pathlib import Path

from csops.errors import CsopsError
from csops.gitlog import blob_id
from csops.policy import Policy, check_text
from csops.timeutil import try_instant

CACHE_FORMAT = 1


class Version:
    """One version of the policy; its rules are parsed only when asked for (most commands need
    only today's, which is the working tree's and already loaded)."""

    def __init__(self, text: bytes | None, display: str, since: dt.datetime, explicit: bool, commit: str | None,
                 author: str, date: str, blob: str, policy: Policy | None = None, problem: str | None = None,
                 parse_cache=None):
        self.text, self.display, self.since, self.explicit = text, display, since, explicit
        self.commit, self.author, self.date, self.blob = commit, author, date, blob
        self._policy, self.problem = policy, problem
        self.parse_cache = parse_cache    # the store's (yamlio.ParseCache)

    @property
    def policy(self) -> Policy | None:
        """Its rules, or None when this version does not load (`problem` then says why)."""
        if self._policy is None and self.problem is None:
            try:
                self._policy = check_text(self.text, self.display, self.parse_cache)
            except CsopsError as exc:
                self.problem = exc.message
        return self._policy

    @property
    def data(self) -> dict:
        """The file's own settings (what changed between versions)."""
        return _quiet_load(self.text, self.parse_cache) or {} if self.text is not None else {}

    @property
    def effective(self) -> dt.date:
        return self.since.date()


class Versions:
    """The policy's versions, oldest first, and which is in force when."""

    def __init__(self, versions: list[Version], current: Policy):
        self.all = versions
        self.current = current
        self._asked: dict = {}
        self._with_facts: dict = {}       # id(policy) → the same policy with the calendar's facts
        # each version's start as a UTC timestamp, newest commit first: a moment is placed with
        # one utcoffset of its own, not one per version it is compared with
        self._starts = [(v.since.timestamp(), v) for v in reversed(versions)]
        # what results computed under these rules depend on (the record index's fingerprint)
        self.key = hashlib.sha1("\n".join(f"{v.blob}:{v.since.isoformat()}" for v in versions).encode()).hexdigest()

    def at(self, moment: dt.datetime | None) -> Policy:
        """The latest version (in commit order) that applies by `moment`; before the first one's
        date, the first. A version that does not load is passed over. Its calendar holds each
        year's public holidays and make-up workdays as the newest version listing that year
        says them (facts)."""
        if moment is None or not self.all:
            return self.with_facts(self.current)
        if len(self.all) == 1:               # in force at every moment (before its date: the first)
            only = self.all[0].policy
            return only if only is not None else self.current
        when = moment.timestamp()            # the instant (aware datetimes of one zone compare by wall clock)
        last = self.all[-1]                  # most moments are under the newest version: no search
        if self._starts[0][0] <= when and last.policy is not None:
            return self.with_facts(last.policy)
        found = self._asked.get(when)        # a record's entries are judged one by one: remembered
        if found is None:
            chosen = next((v for since, v in self._starts if since <= when and v.policy is not None), None)
            if chosen is None:
                chosen = next((v for v in self.all if v.policy is not None), None)
            found = self.with_facts(chosen.policy if chosen is not None else self.current)
            if len(self._asked) >= 16384:
                self._asked.clear()
            self._asked[when] = found
        return found

    # -- the business calendar is a fact, not a rule ------------------------------------------------

    @functools.cached_property
    def facts(self) -> dict:
        """year → (holidays, make-up workdays, estimated) as the newest version that lists the
        year says them: `calendar import --year 2023` today corrects 2023 in every version."""
        out: dict = {}
        for version in reversed(self.all):
            policy = version.policy
            if policy is None:
                continue
            calendar = policy.calendar
            for year in calendar.covered_years - set(out):
                out[year] = ({d: n for d, n in calendar.holidays.items() if d.year == year},
                             {d: n for d, n in calendar.makeup_days.items() if d.year == year},
                             year in calendar.estimated)
        return out

    def with_facts(self, policy: Policy) -> Policy:
        """`policy` with each year's holidays and make-up workdays taken from `facts` (itself
        when they agree already); one copy per version."""
        if len(self.all) < 2:
            return policy
        done = self._with_facts.get(id(policy))
        if done is not None:
            return done
        calendar, facts = policy.calendar, self.facts
        mine = {year: ({d: n for d, n in calendar.holidays.items() if d.year == year},
                       {d: n for d, n in calendar.makeup_days.items() if d.year == year},
                       year in calendar.estimated) for year in calendar.covered_years}
        if mine == facts:
            done = policy
        else:
            holidays = {d: n for year, (off, _worked, _est) in facts.items() for d, n in off.items()}
            makeup = {d: n for year, (_off, worked, _est) in facts.items() for d, n in worked.items()}
            estimated = frozenset(year for year, (_off, _worked, est) in facts.items() if est)
            done = policy.with_calendar(dataclasses.replace(calendar, holidays=holidays, makeup_days=makeup,
                                                            estimated=estimated))
        self._with_facts[id(policy)] = done
        return done


def _effective(text: bytes | None, tz, parse_cache=None) -> tuple[dt.datetime | None, str | None]:
    """A version's own `effective:` date as the moment it starts (00:00 in the team's zone)."""
    data = _quiet_load(text, parse_cache) if text is not None else None
    value = data.get("effective") if isinstance(data, dict) else None
    if value is None:
        return None, None
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return None, f"effective must be a date YYYY-MM-DD, not {value!r}"
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz), None


def load_versions(store, git, current: Policy, now: dt.datetime) -> Versions:
    """Every version of the policy (see the module's docstring)."""
    tz = current.tz
    rel = git.rel(store.policy_path) if git is not None else None
    commits, texts, effective = _history(git, rel, tz) if git is not None else ([], {}, {})
    try:
        working = store.policy_path.read_bytes()
    except OSError:
        working = None
    working_blob = blob_id(working) if working is not None else None
    versions = []
    for sha, name, email, date, blob in commits:
        if blob not in texts:
            continue
        explicit = effective.get(blob)
        since = (dt.datetime.fromisoformat(explicit) if explicit else None) or \
            (try_instant(date, tz) or now).astimezone(tz)
        text = texts[blob].encode("utf-8", "surrogateescape")
        reuse = current if blob == working_blob else None          # today's rules: already loaded
        versions.append(Version(text, f"{rel}@{sha[:10]}", since, bool(explicit), sha, f"{name} <{email}>", date,
                                blob, reuse, parse_cache=store.parse_cache))
    if working is not None and (not commits or working_blob != commits[-1][4]):
        since, _ = _effective(working, tz, store.parse_cache)    # a bad date is the working policy's BAD_POLICY
        versions.append(Version(working, store.display(store.policy_path), since or now.astimezone(tz),
                                since is not None, None,
                                "(working tree)", "", working_blob, current, parse_cache=store.parse_cache))
    return Versions(versions, current)


def _quiet_load(text: bytes, parse_cache=None):
    from csops import yamlio

    try:
        data = (parse_cache or yamlio).load(text, limit=yamlio.POLICY_BYTES, aliases=True, numbers=None)
    except yamlio.YamlError:
        return None
    return data if isinstance(data, dict) else None


# -- the Git side, cached --------------------------------------------------------------------------

def _cache_file(git) -> Path:
    return git.git_dir / "csops-cache" / "policy-versions.json"


def _history(git, rel: str, tz) -> tuple[list[list[str]], dict[str, str], dict[str, str | None]]:
    """(commits [sha, author name, e-mail, author date, blob] oldest first, blob → text,
    blob → its explicit effective moment or None)."""
    head = git.head_at_start()
    if head is None:
        return [], {}, {}
    path = _cache_file(git)
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if cached.get("format") != CACHE_FORMAT or cached.get("path") != rel:
            cached = None
    except (OSError, ValueError):
        cached = None
    if cached and cached.get("head") == head and cached.get("zone") == str(tz):
        return cached["commits"], cached["texts"], cached["effective"]
    if cached and cached.get("head") and cached.get("zone") == str(tz) and git.is_ancestor(cached["head"], head):
        commits, texts, effective = cached["commits"], cached["texts"], cached["effective"]
        new = _log(git, rel, f"{cached['head']}..{head}")
    else:
        commits, texts, effective = [], {}, {}
        new = _log(git, rel, head)
    ids = git.object_ids([f"{sha}:{rel}" for sha, *_ in new])
    missing = sorted({b for b in ids if b and b not in texts})
    for blob, body in zip(missing, git.blobs(missing)):
        if body is not None:
            texts[blob] = body.decode("utf-8", "surrogateescape")
            since, _ = _effective(body, tz)
            effective[blob] = since.isoformat() if since else None
    commits = commits + [[*entry, blob] for entry, blob in zip(new, ids) if blob]
    _save(path, {"format": CACHE_FORMAT, "path": rel, "zone": str(tz), "head": head, "commits": commits,
                 "texts": texts, "effective": effective})
    return commits, texts, effective


def advance(git, landed, paths: list[str]) -> None:
    """After csops' own commit (a txn.Landed; `paths` as Git names them): a commit that leaves
    the policy alone, made on top of the HEAD the cache was read at, adds no version — the cache
    is moved to it, and the next command asks Git for no history. Best effort: anything else
    leaves the cache for _history to bring up to date."""
    path = _cache_file(git)
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not isinstance(cached, dict) or cached.get("format") != CACHE_FORMAT or landed.parent is None \
            or cached.get("head") != landed.parent or cached.get("path") in paths:
        return
    _save(path, {**cached, "head": landed.commit})


def _log(git, rel: str, revs: str) -> list[list[str]]:
    sep = "\x1f"
    out = git.run("log", "--encoding=UTF-8", "--reverse", f"--format=%H{sep}%an{sep}%ae{sep}%aI", revs, "--", rel)
    return [line.split(sep) for line in out.splitlines() if line.count(sep) == 3]


def _save(path: Path, data: dict) -> None:
    """Best effort: a cache that cannot be written is read from Git next time."""
    try:
        path.parent.mkdir(exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}")
        temp.write_text(json.dumps(data), encoding="ascii")     # \u escapes keep non-UTF-8 bytes (surrogates)
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
