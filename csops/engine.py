"""The transition engine: applies a record type's workflow table (states, transitions, roles,
guards, the fields each transition sets) to a record, and checks a stored record's whole history
against the same table.

The CLI and `validate` share these checks, so a thing the CLI refuses is exactly a thing
validate reports when it is done by hand; the history audit reads the same rows to know which
fields an entry was entitled to change.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Callable, NamedTuple

from csops import vocab
from csops.i18n import _, translate
from csops.problems import Problems
from csops.schema import Enum, Instant, List, Map, PersonRef, Str, check_fields
from csops.timeutil import try_instant


class Guard(NamedTuple):
    code: str
    check: Callable[["Step"], str | None]   # returns why the step is refused, or None


# Effect: (round-trip document, the new history entry, the command's parameters) → None. Pure:
# everything it needs is in its arguments, so the CLI, the merge of two clones and a hand edit
# all come to the same document.
Effect = Callable[[dict, dict, dict], None]


class Transition(NamedTuple):
    action: str                      # the verb; also the key of its roles in policy.permissions
    sources: tuple[str, ...]         # states it may leave from; () creates the record
    targets: tuple[str, ...]         # states it may lead to (several: `choose` picks one)
    guards: tuple[Guard, ...] = ()
    when: Callable[[dict], bool] | None = None   # a condition on the record (e.g. only inquiries)
    why_not: str = ""                # said when `when` is false
    sets: tuple[str, ...] = ()       # the fields this action may change (the history audit reads it)
    effect: Effect | None = None
    choose: Callable | None = None   # (record, params, ctx) → target, when there are several
    complete: Callable | None = None # (record, params, ctx) → params with what follows from the record
    needs: tuple[str, ...] = ()      # parameters the effect cannot do without (`move` cannot give them)
    takes: tuple[str, ...] = ()      # the command-line options (as parameters) this step accepts
    command: str = ""                # the command that gives them, named when they are missing
    stays: bool = False              # the record stays in its state (target == source)
    also_allowed: Callable | None = None   # (step) → True: allowed beyond the policy's roles
    named: bool = False              # an entry is this step only when it says `action: <action>`
    mirrors: tuple[str, ...] = ()    # fields of `sets` whose new value the entry carries too (the audit holds them equal)

    def leaves(self, source: str | None) -> bool:
        return source in self.sources or (self.stays and "*" in self.sources and source is not None)

    def leads(self, source: str | None, target: str) -> bool:
        if self.stays:
            return source == target and self.leaves(source)
        if target not in self.targets:
            return False
        return (source is None and not self.sources) or (source is not None and self.leaves(source))

    def target_for(self, rec: dict, params: dict, ctx) -> str:
        if self.stays:
            return rec.get("status")
        if self.choose is not None:
            return self.choose(rec, params, ctx)
        return self.targets[0]

    def fields_set(self, entry: dict) -> tuple[str, ...]:
        """The fields this step was entitled to change (a correction names its own)."""
        if self.action == "amend":
            changes = entry.get("changes")
            return tuple(changes) if isinstance(changes, dict) else ()
        return self.sets


class Deadline(NamedTuple):
    """One deadline a record has had: what, by when, whose, since when — and when it was met
    (`done`), or `owed` while the record still waits for it. One list answers both "what is owed
    now" (the overdue report, show) and "what was late" (stats, score derive)."""
    what: str
    due: dt.datetime
    owner: str | None
    start: dt.datetime
    done: dt.datetime | None = None
    owed: bool = False
    wall_clock: bool = False   # lateness in real hours (callbacks), not working hours
    retry: bool = False        # a repeat of the one before (a callback after an unreachable attempt)
    by: str | None = None      # who met it

    @property
    def late(self) -> bool:
        return self.done is not None and self.done > self.due


class Obligation(NamedTuple):
    """Something owed on a record by a deadline: what the overdue report lists."""
    what: str
    due: dt.datetime
    owner: str | None
    wall_clock: bool = False   # a wall-clock deadline (callbacks): lateness in real hours, not working hours


# The facts (Workflow.facts) of a record a command did not work out, reading none (validate, a
# listing): the record index works them out for the first command that counts
# (csops.cache.index.build_index, `with_facts`); any other reader works them out itself.
UNWORKED = "?"


class Workflow:
    """A record type's rules as data: its transitions, its fields' schema, what cannot be done
    and why, and the functions that compute its deadlines, facts and checks. Never changed once
    built (csops.workflows builds one per type at import)."""

    def __init__(self, type: str, transitions: tuple[Transition, ...], fields: dict, notes: dict | None = None,
                 computed: Callable | None = None, deadlines: Callable | None = None,
                 facts: Callable | None = None, record_checks: tuple = (), cross_checks: tuple = (),
                 owed: Callable | None = None):
        self.type = type                      # ticket | return | leave | score (vocab.TYPES)
        self.transitions = transitions
        self.fields = fields                  # schema of the type's own fields
        self.notes = notes if notes is not None else {}   # (from, to) → why it is not allowed (text, or rec → text)
        self.computed = computed              # (rec, ctx) → extra keys for show
        self.deadlines = deadlines            # (rec, ctx) → [Deadline]
        self.owed = owed                      # (rec, ctx) → the owed ones alone, sooner (else from deadlines)
        self.facts = facts                    # (rec, ctx, deadlines, noted) → text reports count (the index keeps it)
        self.record_checks = record_checks    # (rec, ctx, out, path) → None
        self.cross_checks = cross_checks      # like record_checks, but reading other records

    @property
    def prefix(self) -> str:
        return vocab.TYPES[self.type].prefix

    @property
    def folder(self) -> str:
        return vocab.TYPES[self.type].folder

    @property
    def label(self) -> str:
        return vocab.TYPES[self.type].label

    @property
    def states(self) -> tuple[str, ...]:
        return vocab.TYPES[self.type].states

    def duties(self, rec: dict, ctx: "Context", rows: list | None = None) -> list[Obligation]:
        """What a well-formed record owes now (its owed deadlines; `rows`: its deadlines, if
        already worked out)."""
        if self.deadlines is None:
            return []
        if rows is None:
            rows = self.owed(rec, ctx) if self.owed is not None else self.deadlines(rec, ctx)
        return [Obligation(d.what, d.due, d.owner, d.wall_clock) for d in rows if d.owed]

    def extra(self, rec: dict, ctx: "Context") -> dict:
        """The computed keys of `show` (due, overdue, days, …) of a well-formed record."""
        return self.computed(rec, ctx) if self.computed else {}

    @property
    def initial(self) -> str:
        return next(t.targets[0] for t in self.transitions if not t.sources)

    def find(self, source: str | None, target: str, action: str | None, rec: dict) -> Transition | None:
        """The transition a history step stands for (first declared wins when no action is named)."""
        try:
            fitting = self.__dict__.setdefault("_fitting", {}).get((source, target, action))
        except TypeError:                       # a value no key can be (a list): tried one by one
            fitting = None
        if fitting is None:
            fitting = [t for t in self.transitions if not (t.named and action != t.action)
                       and t.leads(source, target) and action in (None, t.action)]
            try:
                self._fitting[(source, target, action)] = fitting      # asked of every history entry
            except TypeError:
                pass
        for t in fitting:
            if t.when is None or t.when(rec):
                return t
        return None

    def by_action(self, action: str, source: str, rec: dict) -> Transition | None:
        for t in self.transitions:
            if t.action == action and t.leaves(source) and (t.when is None or t.when(rec)):
                return t
        return None

    def names_action(self, source: str | None, target: str, action: str, rec: dict) -> bool:
        """Whether an entry must say `action:` — when (from, to) alone would read as another."""
        found = self.find(source, target, None, rec)
        return found is None or found.action != action or found.named

    def explain(self, source: str | None, target: str, rec: dict, action: str | None = None) -> str:
        if (source, target) in self.notes:
            note = self.notes[(source, target)]
            return note(rec) if callable(note) else translate(note)
        for t in self.transitions:
            if t.leads(source, target) and t.when is not None and not t.when(rec) and t.why_not:
                return translate(t.why_not)
        if action and not any(t.action == action for t in self.transitions):
            return _("{rtype} has no action {action!r}", rtype=self.type, action=action)
        leading = [t for t in self.transitions if t.leads(source, target) and (t.when is None or t.when(rec))]
        if leading:        # the step exists, but not as this entry says it
            actions = ", ".join(sorted({t.action for t in leading}))
            if action:
                return _("{source} → {target} is made by {actions}, not by {action}",
                         source=source, target=target, actions=actions, action=action)
            return _("{source} → {target} is the step {actions}: the entry must say action: {first}",
                     source=source, target=target, actions=actions, first=sorted({t.action for t in leading})[0])
        nexts = sorted({x for t in self.transitions if t.leaves(source) and not t.stays
                        and (t.when is None or t.when(rec)) for x in t.targets})
        return _("from {source} it can go to: {names}",
                 source=source, names=', '.join(nexts) if nexts else _('nothing (final state)'))

    @functools.cached_property
    def common_fields(self) -> dict:
        """The fields every record has (built once per workflow: checked for every record)."""
        states = Enum(required=True, values=self.states)
        entry = Map(fields={
            "at": Instant(required=True),
            "by": PersonRef(required=True),
            "from": Enum(values=self.states),
            "to": Enum(required=True, values=self.states),
            "action": Str(),
            "note": Str(),
        })
        return {
            "id": Str(required=True),
            "status": states,
            "created": Instant(required=True),
            "created_by": PersonRef(required=True),
            "history": List(required=True, item=entry, min_len=1),
        }


class Skipped(NamedTuple):
    """A record a listing or report could not use: where, and why (never silently left out)."""
    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line or 1}: {self.reason}"


class Context:
    """What rules may look at: the policy, the roster, and (lazily) other records — only records
    whose fields are well formed; the others are remembered in `skipped`. Rules therefore run on
    well-formed data only, and an exception in one is a bug, never "a malformed record"."""

    def __init__(self, policy, roster, store=None, now: dt.datetime | None = None, workflows: dict | None = None,
                 skipped: list | None = None, _cache: dict | None = None, versions=None, _views: dict | None = None,
                 source=None):
        self.policy, self.roster, self.store, self.now = policy, roster, store, now
        # where records come from: a RecordSource (csops.session: the record index) or, None, the files
        self.source = source
        self.workflows = workflows if workflows is not None else {}
        self.skipped = skipped if skipped is not None else []
        self._cache = _cache if _cache is not None else {}
        self.versions = versions         # csops.versions.Versions: which policy was in force when
        self._views = _views if _views is not None else {}

    def in_force(self, moment: dt.datetime | None) -> "Context":
        """The same context under the policy version in force at `moment` (docs/rules.md rules in
        force): each deadline, penalty and absence is computed with the rules of the moment its
        clock started."""
        if self.versions is None or moment is None:
            return self
        policy = self.versions.at(moment)
        if policy is self.policy:
            return self
        view = self._views.get(id(policy))
        if view is None:
            view = Context(policy, self.roster, self.store, self.now, self.workflows, self.skipped, self._cache,
                           self.versions, self._views, self.source)
            self._views[id(policy)] = view
        return view

    def kept(self, rec) -> str | None:
        """What the record index kept of a record it served, for reports (Workflow.facts); None
        when it did not (the caller works it out)."""
        return self.source.kept(rec) if self.source is not None else None

    def policies(self) -> list:
        """Every policy some moment may be under: each version's (docs/rules.md), or this one alone."""
        versions = [v.policy for v in self.versions.all if v.policy is not None] if self.versions is not None else []
        return versions or [self.policy]

    @property
    def duty(self):
        """The duty roster with the approved swaps applied (csops.duty), read once per command."""
        if "duty" not in self._cache:
            from csops.duty import Duty

            docs = []
            for path, data, error in self.store.roster_docs() if self.store is not None else []:
                if error is not None or not isinstance(data, dict) or not isinstance(data.get("days"), dict):
                    # nothing vanishes: a roster month that cannot be read is named like a record
                    self.skip(Skipped(self.store.display(path), error.line if error else 1,
                                      f"{error.code} {error.message}" if error else "BAD_ROSTER not a roster month"))
                    continue
                docs.append((path.name, data))
            # swaps are few: read from their files, a write that works out a deadline need not
            # look at every record to learn who is on duty
            swaps = [r.data for r in self.from_files().records("swap") if r.data.get("status") == "approved"] \
                if self.store is not None and "swap" in self.workflows else []
            self._cache["duty"] = Duty.load(docs, swaps)
        return self._cache["duty"]

    def for_person(self, person) -> "Context":
        """The same context with `person`'s own calendar (their duty roster) in its policy."""
        if self.store is None or not isinstance(person, str) or not self.duty.involves(person):
            return self
        key = ("person", person, id(self.policy))
        view = self._views.get(key)
        if view is None:
            calendar = self.duty.calendar_for(person, self.policy.calendar, self.policy.shifts())
            view = Context(self.policy.personal(calendar), self.roster, self.store, self.now, self.workflows,
                           self.skipped, self._cache, self.versions, self._views, self.source)
            self._views[key] = view
        return view

    def on_day(self, day) -> "Context":
        """Under the rules in force on a date (a score event's; YYYY-MM-DD or a date)."""
        try:
            day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
        except ValueError:
            return self
        return self.in_force(dt.datetime.combine(day, dt.time(12), tzinfo=self.tz))

    @property
    def calendar(self):
        return self.policy.calendar

    @property
    def service_calendar(self):
        """The business calendar of tickets: the team calendar plus the days and hours the duty
        roster staffs (周末值班 is service time, 001); leave and a person's own duties keep theirs."""
        if self.store is None:
            return self.policy.calendar
        key = ("service", id(self.policy))
        found = self._views.get(key)
        if found is None:
            found = self._views[key] = self.duty.service_calendar(self.policy.calendar, self.policy.shifts())
        return found

    @property
    def tz(self):
        return self.policy.tz

    def records(self, rtype: str, *, status: str | None = None, days: tuple[str, str] | None = None,
                who: str | None = None, where=None) -> list:
        """Every usable record of a type (loaded once per command); the others go to `skipped`.

        `status`, `days` (ISO dates, inclusive), `who` (a customer key, csops.tables.keys) and
        `where` (csops.query.Where) are a hint, not a filter: the record index may leave out
        records that do not fit them; the caller still tests each record it gets."""
        if rtype in self._cache:
            return self._cache[rtype]
        if self.source is not None:
            from csops.query import Where

            where = where or Where(status=(status,) if status else (), days=days, keys=(who,) if who else ())
            key = (rtype, where)
            if key not in self._cache:
                usable, skipped = self.source.records(rtype, where)     # the record index
                for item in skipped:
                    self.skip(item)
                self._cache[key] = usable
            return self._cache[key]
        usable = []
        for rec in self.store.load_type(rtype) if self.store else []:
            reason = unusable(rec, self.workflows[rtype], self)
            if reason is None:
                usable.append(rec)
            else:
                self.skip(Skipped(self.store.display(rec.path), *reason))
        for rel, reason in self.store.link_skips(rtype) if self.store else []:
            self.skip(Skipped(self.store.display(self.store.root / rel), 1, reason))
        self._cache[rtype] = usable
        return usable

    def steps(self, rtype: str, *, days: tuple[str, str] | None = None) -> list:
        """(record, csops.steps.Steps) of every usable record of a type (a ticket or a
        return) that may touch `days` (a hint, as with records) — for reports that count people's
        steps: the record index gives the Steps it keeps without reading the records."""
        from csops.steps import steps

        if self.source is None or rtype in self._cache:
            return [(rec, steps(rec.data, self.tz)) for rec in self.records(rtype, days=days)]
        from csops.query import Where

        key = ("steps", rtype, days)
        if key not in self._cache:
            found, skipped = self.source.steps(rtype, Where(days=days))
            for item in skipped:
                self.skip(item)
            self._cache[key] = found
        return self._cache[key]

    def from_files(self) -> "Context":
        """The same context reading records straight from the files (what the record index
        itself uses while it is built), sharing what was read."""
        return Context(self.policy, self.roster, self.store, self.now, self.workflows, self.skipped, self._cache,
                       self.versions)

    def skip(self, skipped: Skipped) -> None:
        if skipped not in self.skipped:
            self.skipped.append(skipped)

    def as_of(self, moment: dt.datetime) -> "Context":
        """The same records seen at another moment (the records already read are shared), under
        the policy in force then."""
        policy = self.versions.at(moment) if self.versions is not None else self.policy
        return Context(policy, self.roster, self.store, moment, self.workflows, self.skipped, self._cache,
                       self.versions)


class Step:
    """One history entry seen in the light of its record: what guards look at."""
    __slots__ = ("rec", "index", "entry", "source", "transition", "ctx")

    def __init__(self, rec: dict, index: int, entry: dict, source: str | None, transition: Transition, ctx: Context):
        self.rec, self.index, self.entry, self.source, self.transition, self.ctx = \
            rec, index, entry, source, transition, ctx

    @property
    def at(self) -> dt.datetime | None:
        return try_instant(self.entry.get("at"), self.ctx.tz)

    @property
    def by(self) -> str:
        return self.entry.get("by")

    @property
    def person(self):
        return self.ctx.roster.get(self.by)


def schema_problems(rec: dict, wf: Workflow, ctx: Context, out: Problems, path: str) -> bool:
    """The fields every record has and the type's own, checked by their specs; True when well formed."""
    before = len(out)
    check_fields(rec, wf.common_fields, (), ctx, out, path)
    check_fields(rec, wf.fields, (), ctx, out, path)
    return not any(not p.is_warning for p in out.items[before:])     # a warning leaves it usable


def unusable(rec, wf: Workflow, ctx: Context) -> tuple[int | None, str] | None:
    """Why a record read from disk cannot be used by the rules — (line, "CODE message") — or None."""
    if rec.error is not None:
        return rec.error.line, f"{rec.error.code} {rec.error.message}"
    if not isinstance(rec.data, dict):
        return 1, "BAD_RECORD " + _("a {rtype} file must be a mapping of fields", rtype=wf.type)
    out = Problems()
    if schema_problems(rec.data, wf, ctx, out, ""):
        return None
    first = next(p for p in out if not p.is_warning)
    from csops.yamlio import line_of

    try:
        line = line_of(Path(rec.path).read_bytes(), first.key)
    except OSError:
        line = None
    return line, f"{first.code} {first.message}"


def check_record(rec: dict, wf: Workflow, ctx: Context, out: Problems, path: str, *,
                 only_step: int | set | None = None) -> bool:
    """Schema, then history replay (legal steps, roles, guards, time order) and the type's own
    checks. The rules run only on a record whose fields are well formed (they read the fields'
    values); returns whether they were (a malformed record reports its schema problems only).

    `only_step` limits the replay's role and guard checks to one history entry, or a set of
    them (the CLI checks the step it is about to add, the audit a commit's; validate all)."""
    if not schema_problems(rec, wf, ctx, out, path):
        return False
    _check_history(rec, rec["history"], wf, ctx, out, path, only_step)
    for check in wf.record_checks:
        check(rec, ctx, out, path)
    return True


def _check_history(rec, history, wf, ctx, out, path, only_step):
    tz = ctx.policy.tz
    source, previous_at = None, None
    first = history[0]
    if rec.get("created") is not None and first.get("at") != rec.get("created"):
        out.add(path, "BAD_HISTORY", _('created must equal the time of the first history entry'), key=("created",))
    if rec.get("created_by") is not None and first.get("by") != rec.get("created_by"):
        out.add(path, "BAD_HISTORY", _('created_by must be who made the first history entry'), key=("created_by",))
    for index, entry in enumerate(history):
        key = ("history", index)
        at = try_instant(entry.get("at"), tz)
        if at is not None and previous_at is not None and at < previous_at:
            out.add(path, "TIME_BACKWARDS", _("history[{index}] at {at} is earlier than the entry before it",
                                              index=index, at=entry.get('at')),
                    _('history is append-only and in time order'), key=key + ("at",))
        previous_at = at or previous_at
        target = entry.get("to")
        stated = entry.get("from")
        if index and stated is not None and stated != source:
            out.add(path, "BAD_HISTORY", _("history[{index}] says from {stated} but the record was {source}",
                                           index=index, stated=stated, source=source),
                    _('two changes were merged on top of each other; fix the later entry'), key=key + ("from",))
        transition = wf.find(source, target, entry.get("action"), rec)
        if transition is None:
            arrow = f"{source} → {target}" if source else f"created as {target}"
            out.add(path, "ILLEGAL_TRANSITION", f"{arrow} ({wf.explain(source, target, rec, entry.get('action'))})",
                    key=key + ("to",))
            source = target
            continue
        if only_step is None or (index in only_step if isinstance(only_step, set) else only_step == index):
            then = ctx.in_force(at)                  # each entry is judged by the rules in force at its time
            step = Step(rec, index, entry, source, transition, then)
            problem = role_problem(step, wf)
            if problem:
                out.add(path, "ROLE_NOT_ALLOWED", problem, key=key + ("by",))
            if entry.get("backfill") and step.person is not None and not then.policy.role_matches(
                    step.person.role, then.policy.permission("backfill")):
                out.add(path, "ROLE_NOT_ALLOWED", _("{id} ({role}) may not backfill an entry (allowed: {names})",
                                                    id=step.person.id, role=step.person.role,
                                                    names=', '.join(map(str, then.policy.permission('backfill')))),
                                                  key=key + ("backfill",))
            for guard in transition.guards:
                reason = guard.check(step)
                if reason:
                    out.add(path, guard.code, reason, key=key)
        source = target
    if rec.get("status") is not None and rec.get("status") != source:
        out.add(path, "STATUS_MISMATCH", _("status is {status} but the last history entry goes to {source}",
                                           status=rec.get('status'), source=source),
                _('status must equal the `to` of the last history entry'), key=("status",))


def role_problem(step: Step, wf: Workflow) -> str | None:
    person = step.person
    if person is None:
        return None  # reported as UNKNOWN_PERSON by the schema
    policy = step.ctx.policy
    action = step.transition.action
    known = policy.__dict__.setdefault("_may", {})     # asked of every history entry: once per role and step
    key = (wf.type, action, person.role)
    may = known.get(key)
    if may is None:
        may = known[key] = policy.role_matches(person.role, policy.permission(wf.type, action))
    if may:
        return None
    allowed = policy.permission(wf.type, action)
    if step.transition.also_allowed is not None and step.transition.also_allowed(step):
        return None
    return _("{who} may not {action} a {rtype} (allowed: {names})", who=who_is(person, step.ctx.policy),
             action=step.transition.action, rtype=wf.type, names=allowed_roles(allowed, step.ctx.policy))


def who_is(person, policy) -> str:
    """A person as a message names them: `chenck (warehouse)`; in Chinese `陈仓管（仓库）`."""
    from csops.i18n import language

    if language() == "zh":
        return f"{person.name or person.id}（{policy.role_label(person.role)}）"
    return f"{person.id} ({person.role})"


def allowed_roles(specs, policy) -> str:
    """Who may, as a message says it: `agent+`; in Chinese `客服专员及以上`."""
    from csops.i18n import language

    if not specs:
        return _("nobody")
    if language() != "zh":
        return ", ".join(map(str, specs))
    words = [policy.role_label(str(spec)[:-1]) + "及以上" if str(spec).endswith("+") else policy.role_label(str(spec))
             for spec in specs]
    return "、".join(words)
