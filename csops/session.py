"""One command's view of a records repository: the store, the policy, the roster, the clock and
the acting person. Immutable: "the report as of last Tuesday" is `session.as_of(t)`, a new
Session sharing what was already loaded, never a patched one.

The clock is passed in by the CLI. `now` is the moment reports and deadlines are computed for;
`clock()` is read by a mutation after it has taken the repository lock (it gives `now` when
`--now` was given).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

from csops.engine import UNWORKED, Context
from csops.i18n import _
from csops.store import Rec, Store
from csops.timeutil import format_instant
from csops.workflows import WORKFLOWS

_SHARED = ("policy_file", "roster", "git", "actor", "_index_git", "index", "db")   # what as_of() carries over: it does not depend on now


@dataclass(frozen=True)
class Session:
    store: Store
    now: dt.datetime
    clock: Callable[[], dt.datetime] | None = None
    as_person: str | None = None
    debug: bool = False
    backfill: str | None = None          # entries of this change were recorded late, and why
    real_clock: Callable[[], dt.datetime] | None = None   # the machine's clock, also under --now
    # "status": a git status the CLI started for this command; the record index takes it once
    early: dict = dataclasses.field(default_factory=dict, compare=False)
    # progress(total) -> a context giving step(n): shown on a terminal by the CLI (docs/rules.md)
    progress: Callable | None = dataclasses.field(default=None, compare=False)
    # the record types the command reads (None: every type); `status` asked Git about these only
    scope: tuple | None = dataclasses.field(default=None, compare=False)
    # whether the command reads what reports count of records (Workflow.facts): the record index
    # then works out those a validate left unworked
    with_facts: bool = dataclasses.field(default=True, compare=False)

    @cached_property
    def policy_file(self):
        """The working tree's policy.yaml (what `calendar import` edits and `validate` checks).
        Its `language` is the language of messages from here on, unless the reader chose one."""
        from csops import i18n

        policy = self.store.policy()
        i18n.use_policy(policy.language)
        return policy

    @cached_property
    def versions(self):
        """Every version of the policy, from Git history and the working tree (docs/rules.md)."""
        from csops.errors import NotFound
        from csops.versions import load_versions

        try:
            git = self.git
        except NotFound:                 # records outside Git: the working tree's policy only
            git = None
        return load_versions(self.store, git, self.policy_file, self.now)

    @cached_property
    def policy(self):
        """The policy in force now."""
        return self.versions.at(self.now)

    @cached_property
    def roster(self):
        return self.store.roster()

    @cached_property
    def git(self):
        from csops.gitlog import Git

        return Git(self.store.root)

    @cached_property
    def actor(self):
        from csops.people import resolve_actor

        email = None if self.as_person else self.git.config("user.email")
        return resolve_actor(self.roster, self.as_person, email)

    @cached_property
    def ctx(self) -> Context:
        from csops.store import caching

        return Context(self.policy, self.roster, self.store, self.now, WORKFLOWS, versions=self.versions,
                       source=RecordSource(self) if caching() else None)

    @cached_property
    def _index_git(self):
        from csops.errors import NotFound

        try:
            return self.git
        except NotFound:
            return None

    @cached_property
    def index(self):
        """The record index (csops.cache.index): each file's entry, cached by content; built once
        per command. While it is built, the rules read records straight from the files."""
        from csops.cache.index import build_index

        return build_index(self.store, self.ctx.from_files(), self._index_git, status=self.early.pop("status", None),
                           progress=self.progress, scope=self.scope, with_facts=self.with_facts)

    @cached_property
    def db(self):
        """The record index's database (csops.cache.db), or None: reads then come from the files."""
        from csops.cache.db import RecordDB
        from csops.store import caching

        return RecordDB.open(self._index_git) if caching() else None

    def close(self) -> None:
        """Let go of the database the record index opened for this command."""
        if self.__dict__.get("db") is not None:
            self.db.close()

    def batches(self, rtype: str, where=None, size: int = 5_000):
        """The usable records of a type in id order, a batch at a time (a dump of every record
        need not hold them all at once); what is skipped goes to ctx.skipped as with
        Context.records. None without the record index (CSOPS_CACHE=off): read them all."""
        from csops.query import Where
        from csops.store import caching

        if not caching():
            return None
        index, source = self.index, RecordSource(self)
        usable, _unusable = index.of_type(rtype)
        order = sorted(usable, key=lambda rel: str(index.id_of(rel)))

        def run():
            for start in range(0, max(len(order), 1), size):
                recs, skipped = source.records(rtype, where or Where(), only=order[start:start + size],
                                               unusable_too=start == 0)
                for item in skipped:
                    self.ctx.skip(item)
                yield recs
        return run()

    @property
    def tz(self):
        return self.policy.tz

    def stamp(self, moment: dt.datetime | None = None) -> str:
        return format_instant(moment or self.now, self.tz)

    def read_clock(self) -> dt.datetime:
        """The time of a change: --now, or the real clock read at this moment."""
        return self.clock().astimezone(self.tz) if self.clock is not None else self.now

    def as_of(self, moment: dt.datetime) -> "Session":
        """The same repository seen at another moment (records already read are shared)."""
        other = dataclasses.replace(self, now=moment)
        for name in _SHARED:
            if name in self.__dict__:
                other.__dict__[name] = self.__dict__[name]
        if "versions" in self.__dict__:
            other.__dict__["versions"] = self.versions
        if "ctx" in self.__dict__:
            other.__dict__["ctx"] = self.ctx.as_of(moment)
        return other

    @classmethod
    def open(cls, store: Store, *, now: str | None, real_clock: Callable[[], dt.datetime],
             as_person: str | None = None, debug: bool = False, backfill: str | None = None,
             status=None, progress=None, scope: tuple | None = None, with_facts: bool = True) -> "Session":
        """A session whose `now` is the --now text (read in the policy's time zone), or the real
        clock; mutations read `real_clock` again after taking the lock unless --now was given.
        `status`: a `git status` already started on the records (gitlog.ask_status), which the
        record index takes once."""
        from csops.timeutil import parse_input

        if backfill is not None and not backfill.strip():
            from csops.errors import BadInput

            raise BadInput(_('--backfill needs the reason the entry is recorded late'))
        first = cls(store, real_clock(), None if now is not None else real_clock, as_person, debug,
                    backfill.strip() if backfill else None, real_clock, {"status": status} if status else {},
                    progress, scope, with_facts)
        return first.as_of(parse_input(now, first.tz, what="--now") if now is not None     # '' is no moment
                           else first.now.astimezone(first.tz))

    def workflow(self, rtype: str):
        return WORKFLOWS[rtype]


class RecordSource:
    """Where a session's rules read records from: the record index — its entries say which files
    the rules can read, its database gives their content (only of the records that may fit the
    read's Where). Passed to the Context (engine.Context.source)."""

    def __init__(self, session: Session):
        self.session = session

    def kept(self, rec) -> str | None:
        """What the record index kept of a record it served for reports (Workflow.facts)."""
        rel = getattr(rec, "rel", None)                  # a record steps() served: its path as the index has it
        if rel is None:
            root = str(self.session.store.root)
            path = str(rec.path)
            if not path.startswith(root + os.sep):
                return None
            rel = path[len(root) + 1:]
        kept = self.session.index.facts_of(rec.type).get(rel)
        return kept if kept and kept != UNWORKED else None        # the report works it out itself

    def newest(self, rtype: str, where, count: int, order) -> list:
        """The usable records of a type that may fit `where`, at least the `count` first by
        `order(id, created)` of those the database holds (a search's page) — read only those;
        what cannot be read goes to the context's skipped, as with records()."""
        from csops.cache.index import load_newest

        session = self.session
        found = load_newest(session.index, session.db, session.store, rtype, where, count, order)
        recs, skipped = self._sorted(rtype, found, session.index.unusable_of(rtype), True)
        for item in skipped:
            session.ctx.skip(item)
        return recs

    def steps(self, rtype: str, where) -> tuple[list, list]:
        """(record, its Steps) of every usable record of a type that may fit `where`, in listing
        order, and what was skipped (as records()). A record whose Steps the database holds is
        not read: its data is read only if asked for."""
        import marshal

        from csops.cache.index import load_steps
        from csops.steps import Steps, steps

        session = self.session
        index, store, tz = session.index, session.store, session.tz
        usable, unusable = index.of_type(rtype)
        found = load_steps(index, session.db, store, rtype, usable, where)
        recs, skipped = self._sorted(rtype, [(rel, data, error) for rel, kept, data, error, _blob in found
                                             if kept is None], unusable, True)
        read = iter(recs)
        root = str(store.root)
        out = []
        for rel, kept, data, error, blob in found:
            if kept is not None:
                out.append((_Pending(rtype, rel, root, self, blob), Steps(*marshal.loads(kept))))
            elif error is None and isinstance(data, dict):      # else skipped
                rec = next(read)
                out.append((rec, steps(rec.data, tz)))
        return out, skipped

    def fetch(self, rtype: str, rel: str, blob: str):
        """The data of a record steps() served by its Steps only (_Pending), when it is asked for."""
        from csops.cache.index import _parse, data_of

        data = data_of(self.session.db, rtype, blob)
        if data is None:                                    # the row is gone: the file
            data = next(iter(_parse(self.session.store, [rel])))[1]
        return data

    def records(self, rtype: str, where, *, only: list[str] | None = None, unusable_too: bool = True):
        """Every usable record of a type that may fit `where`, and what was skipped (in listing order)."""
        from csops.cache.index import load_records

        session = self.session
        index, store = session.index, session.store
        usable, unusable = index.of_type(rtype)
        if only is not None:
            usable = only
        if where.owing:                       # the entries know what each file owes, and by when
            owing = {entry.rel for entry in index.owing(rtype) if _late(entry.duties, session.ctx.now)}
            usable = [rel for rel in usable if rel in owing]
        if not unusable_too:
            unusable = []
        found = load_records(index, session.db, store, rtype, usable, where, session.progress)
        return self._sorted(rtype, found, unusable, unusable_too)

    def _sorted(self, rtype: str, found, unusable, links_too: bool):
        """Records from (rel, data, read error) triples, and what was skipped — the ones that failed
        to read now, the files the index knows the rules cannot read, links — in listing order."""
        from csops.cache.analyse import why_unusable
        from csops.engine import Skipped
        from csops.store import Rec
        from csops.yamlio import line_of

        store = self.session.store
        recs, skipped = [], []
        root = str(store.root)
        for rel, data, error in found:
            path = os.path.join(root, rel)           # a str: 60,000 Path objects cost a second
            if error is not None or not isinstance(data, dict):     # changed since the index saw it
                reason = f"{error.code} {error.message}" if error else \
                    "BAD_RECORD " + _("a {rtype} file must be a mapping of fields", rtype=rtype)
                skipped.append(((0, rel), Skipped(store.display(path), error.line if error else 1, reason)))
            else:
                recs.append(Rec(rtype, path, data))
        for entry in unusable:
            code, message, _hint, key, line = why_unusable(entry)
            path = store.root / entry.rel
            if line is None and key:
                try:
                    line = line_of(path.read_bytes(), key)
                except OSError:
                    line = None
            skipped.append(((0, entry.rel), Skipped(store.display(path), line, f"{code} {message}")))
        for rel, reason in store.link_skips(rtype) if links_too else ():
            skipped.append(((1, rel), Skipped(store.display(store.root / rel), 1, reason)))
        return recs, [item for _key, item in sorted(skipped, key=lambda pair: pair[0])]   # listing order


def _late(duties: tuple, now: dt.datetime | None) -> bool:
    """Whether any of an entry's duties (what, due ISO, owner, wall clock) is past due at `now`
    (None: no clock to tell — any duty may be)."""
    return now is None or any(dt.datetime.fromisoformat(due) < now for _what, due, _owner, _wall in duties)


class _Pending(Rec):
    """A record whose data is read only when asked for (a report that counts from its Steps
    seldom does); `rel`: its path below the records root, as the record index has it."""
    __slots__ = ("rel", "_source", "_blob")

    def __init__(self, rtype: str, rel: str, root: str, source: RecordSource, blob: str):
        self.rel, self._source, self._blob = rel, source, blob
        super().__init__(rtype, os.path.join(root, rel), None)

    @property
    def data(self):
        value = Rec.data.__get__(self)
        if value is None and self._source is not None:
            value, self._source = self._source.fetch(self.type, self.rel, self._blob), None
            Rec.data.__set__(self, value)
        return value

    @data.setter
    def data(self, value) -> None:
        Rec.data.__set__(self, value)
