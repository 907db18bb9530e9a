"""Tickets 工单 (docs/rules.md): complaints 投诉, inquiries 咨询 and feedback 建议 — registered, routed
to a department with a deadline, resolved, called back (回访), closed; reopened when the
customer is not satisfied; escalated level by level (逐级上报).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from csops import calendar
from csops.calendar import HORIZON_DAYS
from csops.engine import Deadline, Guard, Transition, Workflow
from csops.i18n import N_, _
from csops.schema import Bool, Enum, Instant, List, Map, Number, PersonRef, RecordRef, Spec, Str
from csops.timeutil import format_instant, try_instant
from csops.vocab import CLOSURES, CS_ROLES, OUTCOMES, WAIT_ON
from csops.workflows.customers import customer_key
from csops.workflows.common import AMEND, set_given


class Level(Spec):
    """A level from policy tickets.levels (normal | urgent | major by default)."""

    def check(self, value, key, ctx, out, path):
        levels = ctx.policy.section("tickets").get("levels") or []
        if value not in levels:
            out.add(path, "BAD_FIELD", _("level: {value!r} is not one of {names}",
                                         value=value, names=', '.join(levels)), key=key)


class PolicyName(Spec):
    """A kind or channel named in policy tickets.kinds / tickets.channels — in any version of the
    rules, so one removed later still reads in the months it was used."""

    section: str = "kinds"

    def check(self, value, key, ctx, out, path):
        names = known_names(ctx, self.section)
        if value not in names:
            out.add(path, "BAD_FIELD", _("{field}: {value!r} is not in the policy's tickets.{section} ({names})",
                                         field=key[-1], value=value, section=self.section,
                                         names=", ".join(names)), key=key)


def known_names(ctx, section: str) -> list:
    """Every kind (or channel) some version of the policy names, in the current one's order first
    (worked out once per command: every ticket's fields are checked against it)."""
    key = ("policy names", section, id(ctx.policy))
    if key not in ctx._cache:
        names: dict = {}
        for policy in [ctx.policy, *ctx.policies()]:
            names.update(dict.fromkeys(policy.ticket_kinds() if section == "kinds" else policy.channels()))
        ctx._cache[key] = list(names)
    return ctx._cache[key]


def rules_of(rec: dict, ctx) -> str:
    """The rules a ticket's kind follows: complaint, inquiry (a 查询 too), feedback or proactive."""
    kind = rec.get("kind")
    return ctx.policy.ticket_kinds().get(kind) or next(
        (p.ticket_kinds()[kind] for p in ctx.policies() if kind in p.ticket_kinds()), kind)


def _is_complaint(rec: dict) -> bool:
    return rec.get("kind") == "complaint"


# -- guards: functions of the stored record, so validate checks exactly what the CLI refuses ----

def _last_resolution_index(history: list, before: int) -> int | None:
    for i in range(before - 1, -1, -1):
        if history[i].get("to") == "resolved" and history[i].get("from") != "resolved":
            return i
    return None


def callbacks_since_resolution(rec: dict, step_index: int, ctx) -> list[dict]:
    """Callback attempts made after the latest resolution and no later than the step."""
    history = rec.get("history") or []
    resolved_at = None
    index = _last_resolution_index(history, step_index + 1 if step_index < len(history) else len(history))
    if index is not None:
        resolved_at = try_instant(history[index].get("at"), ctx.tz)
    limit = try_instant(history[step_index].get("at"), ctx.tz) if step_index < len(history) else None
    out = []
    for callback in rec.get("callbacks") or []:
        if not isinstance(callback, dict):
            continue
        at = try_instant(callback.get("at"), ctx.tz)
        if at is None or (resolved_at and at < resolved_at) or (limit and at > limit):
            continue
        out.append(callback)
    return out


def _close_guard(step) -> str | None:
    if not _is_complaint(step.rec):
        return None
    tickets = step.ctx.policy.section("tickets")
    attempts = callbacks_since_resolution(step.rec, step.index, step.ctx)
    if any(c.get("outcome") == "wrong_contact" for c in attempts):
        return None                  # 如联系信息有误…可做结案 (002)
    if any(c.get("outcome") == "reached" and _sat(c) >= tickets["close_min_satisfaction"] for c in attempts):
        return None
    unreachable = counted_unreachable(attempts, step.ctx.tz, step.ctx.policy)
    if unreachable >= tickets["unreachable_attempts"]:
        return None
    return (_("a complaint closes only after a reached callback (satisfaction ≥ {close_min_satisfaction}) or "
              "{unreachable_attempts} unreachable attempts at least {hours} h apart; it has {unreachable} such and "
              "no satisfied callback since its resolution",
              close_min_satisfaction=tickets['close_min_satisfaction'],
              unreachable_attempts=tickets['unreachable_attempts'], hours=tickets.get('callback_retry_min_hours') or 0,
              unreachable=unreachable))


def assignee_at(step) -> str | None:
    """Who the ticket was assigned to when this step was made (the last routing before it)."""
    for entry in reversed((step.rec.get("history") or [])[:step.index]):
        if isinstance(entry, dict) and entry.get("assignee"):
            return entry["assignee"]
    return step.rec.get("assignee")


def callback_target(attempt: dict, policy) -> str:
    """Where a callback leads (004): unreachable → still resolved; reached and satisfied → closed;
    reached and not satisfied → back to routed (客户不满意继续督导)."""
    if attempt.get("outcome") in ("unreachable", "wrong_contact"):
        return "resolved"            # wrong contact details: it may be closed at once (002)
    return "closed" if _sat(attempt) >= policy.section("tickets")["close_min_satisfaction"] else "routed"


def _callback_guard(step) -> str | None:
    """A callback step must be backed by a callback made at that moment, with a matching outcome."""
    at = step.entry.get("at")
    # the k-th callback step is the k-th attempt (two in the same second keep their order)
    history = step.rec.get("history") or []
    k = sum(1 for e in history[:step.index + 1] if isinstance(e, dict) and _is_callback_entry(e))
    attempts = [c for c in step.rec.get("callbacks") or [] if isinstance(c, dict)]
    made = [attempts[k - 1]] if 0 < k <= len(attempts) and attempts[k - 1].get("at") == at else \
        [c for c in attempts if c.get("at") == at]
    if not made:
        return _("history[{index}] records a callback but callbacks has no attempt at {at}", index=step.index, at=at)
    callback = made[0] if len(made) == 1 else made[-1]
    expected, target = callback_target(callback, step.ctx.policy), step.entry.get("to")
    if target != expected:
        return (_("a callback with outcome {outcome} and satisfaction {satisfaction} leads to {expected}, not "
                  "{target}",
                  outcome=callback.get('outcome'), satisfaction=callback.get('satisfaction'), expected=expected,
                  target=target))
    if target == "closed":
        return _close_guard(step)
    return None


def _is_callback_entry(entry: dict) -> bool:
    """A history entry of a callback step (resolved → resolved needs no action: only a callback
    makes it)."""
    return entry.get("action") == "callback" or (entry.get("from") == "resolved" and entry.get("to") == "resolved"
                                                  and entry.get("action") is None)


def _sat(callback: dict) -> int:
    value = callback.get("satisfaction")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def closure_for(rec: dict, policy) -> str:
    """How a ticket closes: wrong contact details (the last attempt said so); a complaint
    satisfied or unreachable; anything else resolved."""
    attempts = [c for c in rec.get("callbacks") or [] if isinstance(c, dict)]
    if attempts and attempts[-1].get("outcome") == "wrong_contact":
        return "wrong_contact"
    if not _is_complaint(rec):
        return "resolved"
    reached = [c for c in rec.get("callbacks") or [] if isinstance(c, dict) and c.get("outcome") == "reached"]
    minimum = policy.section("tickets")["close_min_satisfaction"]
    return "satisfied" if reached and _sat(reached[-1]) >= minimum else "unreachable"


# -- effects: (document, new entry, parameters) → None ------------------------------------------

def _clear_due(doc) -> None:
    """A reopening restarts the clock: an explicit deadline set before it no longer applies."""
    if "due" in doc:
        del doc["due"]


def _reopen(doc, entry, params) -> None:
    _clear_due(doc)


def _callback(doc, entry, params) -> None:
    attempt = {"at": entry["at"], "by": entry["by"], "outcome": params["outcome"]}
    for key in ("satisfaction", "note"):
        if params.get(key) is not None:
            attempt[key] = params[key]
    doc.setdefault("callbacks", [])
    doc["callbacks"].append(attempt)
    if entry["to"] == "closed":
        doc["closure"] = "satisfied"
    if entry["to"] == "routed":
        _clear_due(doc)


def _close(doc, entry, params) -> None:
    doc["closure"] = params["closure"]


def _escalate(doc, entry, params) -> None:
    record = {"at": entry["at"], "by": entry["by"], "from_level": params["from_level"],
              "to_level": params["to_level"], "reported_to": params["reported_to"]}
    if params.get("skipped"):
        record.update({"emergency": True, "skipped": params["skipped"], "report_after": params["report_after"]})
    doc["level"] = params["to_level"]
    doc.setdefault("escalations", [])
    doc["escalations"].append(record)
    entry["note"] = entry.get("note") or params["summary"]


def _reported_after(doc, entry, params) -> None:
    """事后必须向上级汇报 (000): the after-the-fact report of an emergency escalation."""
    doc.setdefault("after_reports", [])
    doc["after_reports"].append({"at": entry["at"], "by": entry["by"], "escalation": params["escalation"],
                                 "to": params["to"]})
    entry["note"] = entry.get("note") or params["summary"]


def _wait(doc, entry, params) -> None:
    """挂起: the ticket waits on the customer, a supplier or a department (tickets.pause_on says
    which of them stop its resolve clock)."""
    doc["waiting_on"] = params["on"]
    entry["on"] = params["on"]


def _resume(doc, entry, params) -> None:
    doc.pop("waiting_on", None)


def _resumed_state(rec: dict, params, ctx) -> str:
    """A resumed ticket goes back to where it waited from (routed, or registered)."""
    for entry in reversed(rec.get("history") or []):
        if isinstance(entry, dict) and entry.get("to") == "waiting" and entry.get("from") != "waiting":
            return entry.get("from") if entry.get("from") in ("registered", "routed") else "routed"
    return "routed"


def _void(doc, entry, params) -> None:
    if params.get("duplicate_of"):
        doc["duplicate_of"] = params["duplicate_of"]
        entry["duplicate_of"] = params["duplicate_of"]


CLOSE = Guard("CALLBACK_REQUIRED", _close_guard)
CALLBACK = Guard("BAD_CALLBACK", _callback_guard)

TRANSITIONS = (
    Transition("register", (), ("registered",)),
    Transition("route", ("registered", "routed"), ("routed",), sets=("department", "assignee", "due"),
               mirrors=("department", "assignee", "due"),
               effect=set_given("department", "assignee", "due"), needs=("department",), command="ticket route ID --to-dept D"),
    # 000: 相关部门需在规定时限内处理并反馈 — the department it was routed to handles it and reports back
    Transition("resolve", ("routed",), ("resolved",), also_allowed=lambda step: step.by == assignee_at(step)),
    Transition("resolve", ("registered",), ("resolved",), when=lambda r: not _is_complaint(r),
               why_not=N_("complaints must be routed before they are resolved (投诉分流)")),
    Transition("reopen", ("resolved",), ("routed",), sets=("due",), effect=_reopen),
    Transition("close", ("resolved",), ("closed",), guards=(CLOSE,), sets=("closure",), effect=_close,
               complete=lambda rec, params, ctx: {**params, "closure": closure_for(rec, ctx.policy)}),
    Transition("callback", ("resolved",), ("resolved", "closed", "routed"), guards=(CALLBACK,),
               sets=("callbacks", "closure", "due"), effect=_callback, needs=("outcome",),
               choose=lambda rec, params, ctx: callback_target(params, ctx.policy),
               command="ticket callback ID --outcome reached|unreachable"),
    Transition("escalate", ("registered", "routed"), (), stays=True, sets=("level", "escalations"),
               effect=_escalate, needs=("to_level",), command="ticket escalate ID"),
    Transition("void", ("registered", "routed", "waiting"), ("voided",), sets=("duplicate_of",), effect=_void),
    # 挂起: waiting on the customer, a supplier or a department; a complaint only once routed (投诉分流)
    Transition("wait", ("routed",), ("waiting",), sets=("waiting_on",), effect=_wait,
               needs=("on",), command="ticket wait ID --on customer|supplier|department --reason R",
               also_allowed=lambda step: step.by == assignee_at(step)),
    Transition("wait", ("registered",), ("waiting",), when=lambda r: not _is_complaint(r),
               why_not=N_("a complaint is routed before it waits (投诉分流)"), sets=("waiting_on",),
               effect=_wait, needs=("on",),
               command="ticket wait ID --on customer|supplier|department --reason R"),
    Transition("resume", ("waiting",), ("routed", "registered"), sets=("waiting_on",), effect=_resume,
               choose=_resumed_state, also_allowed=lambda step: step.by == assignee_at(step)),
    Transition("resolve", ("waiting",), ("resolved",), sets=("waiting_on",), effect=_resume,
               also_allowed=lambda step: step.by == assignee_at(step)),
    Transition("report_after", ("registered", "routed", "resolved", "closed"), (), stays=True, named=True,
               sets=("after_reports",), effect=_reported_after, needs=("escalation",),
               command="ticket report-after ID"),
    AMEND,
)

NOTES = {
    ("registered", "closed"): lambda rec: (_("complaints must be routed and called back first") if _is_complaint(rec)
                                           else _("a ticket must be resolved before it closes")),
    ("routed", "closed"): N_("a ticket must be resolved before it closes"),
    ("closed", "routed"): N_("a closed ticket is final; register a new one"),
    ("voided", "routed"): N_("a voided ticket is final; register a new one"),
}


def _check_callbacks(rec, ctx, out, path):
    for i, callback in enumerate(rec.get("callbacks") or []):
        if not isinstance(callback, dict):
            continue
        reached = callback.get("outcome") == "reached"
        if callback.get("outcome") == "wrong_contact" and not callback.get("note"):
            out.add(path, "MISSING_FIELD", _("callbacks[{i}]: wrong contact details need a note saying what was wrong",
                                             i=i), key=("callbacks", i))
        if reached and callback.get("satisfaction") is None:
            out.add(path, "MISSING_FIELD", _("callbacks[{i}]: a reached callback needs satisfaction 1–5", i=i),
                    key=("callbacks", i))
        if not reached and callback.get("satisfaction") is not None:
            out.add(path, "BAD_FIELD", _("callbacks[{i}]: an unreachable callback has no satisfaction", i=i),
                    key=("callbacks", i, "satisfaction"))


MAX_DUE = dt.timedelta(days=366)      # docs/rules.md: an explicit deadline ≤ a year after registration


def _check_due(rec, ctx, out, path):
    due, created = try_instant(rec.get("due"), ctx.tz), try_instant(rec.get("created"), ctx.tz)
    if due and created and due - created > MAX_DUE:
        out.add(path, "BAD_FIELD", _("due {due} is more than a year after registration",
                                     due=rec.get('due')), key=("due",))


def _check_escalations(rec, ctx, out, path):
    """逐级上报: each escalation is reported to the next person up — the escalating person's
    superior, or at the top level the superior of whoever it was last reported to."""
    previous = None
    for i, esc in enumerate(rec.get("escalations") or []):
        if not isinstance(esc, dict):
            continue
        person = ctx.roster.get(esc.get("by"))
        stays = esc.get("from_level") == esc.get("to_level") and previous
        above = ctx.roster.get(previous) if stays else person
        if not esc.get("emergency") and above and esc.get("reported_to") and esc.get("reported_to") != above.reports_to:
            out.add(path, "SKIPPED_LEVEL", _("escalations[{i}]: reported to {reported_to}, not {reports_to}, the "
                                             "next one up from {id} (越级上报 needs emergency: true)",
                                             i=i, reported_to=esc.get('reported_to'), reports_to=above.reports_to,
                                             id=above.id),
                    key=("escalations", i))
        previous = esc.get("reported_to") or previous


# -- deadlines: one list answers "what is owed now" and "what was late" -------------------------

def sla_due(rec: dict, level: str | None, start: dt.datetime, ctx) -> dt.datetime | None:
    """The policy deadline of a ticket whose clock started at `start`: complaints in working hours
    by level (000); inquiries and feedback by the cut-off — that working day's end, or the next
    working day's noon (001)."""
    policy, cal = ctx.policy, _service(ctx)
    tickets = policy.section("tickets")
    if rules_of(rec, ctx) == "proactive":          # 主动服务: no deadline
        return None
    if _is_complaint(rec):
        hours = (tickets.get("complaint_hours") or {}).get(level or "normal")
        return cal.add_working_hours(start, hours) if hours else None
    local = start.astimezone(policy.tz)
    if cal.is_working_day(local.date()) and local.time() < _cutoff(ctx, local.date(), "cutoff"):
        cal.note_dates((local.date(),))           # a deadline in a year without holidays is named
        return _clock_on(ctx, local.date(), "same_day_due")
    return cal.next_working_day_at(start, policy.clock("tickets", "next_day_due"))


def _service(ctx):
    """Tickets' calendar: the service calendar (weekend duty included) where the context has one."""
    return getattr(ctx, "service_calendar", None) or ctx.calendar


def _cutoff(ctx, day: dt.date, key: str) -> dt.time:
    """The cut-off (or the same-day due) of a day: the policy's clock on a team working day; on a
    day only the roster staffs (weekend duty), the end of that day's service hours (17:00)."""
    team, service = ctx.calendar, _service(ctx)
    if service is not team and not team.is_working_day(day) and service.is_working_day(day):
        return service.end_of_working_day(day).astimezone(ctx.policy.tz).time()
    return ctx.policy.clock("tickets", key)


def _clock_on(ctx, day: dt.date, key: str) -> dt.datetime:
    return dt.datetime.combine(day, _cutoff(ctx, day, key), tzinfo=ctx.policy.tz)


def escalation_due(level: str, at: dt.datetime, ctx) -> dt.datetime | None:
    """An escalation's own deadline: the new level's working hours from the escalation (000)."""
    hours = (ctx.policy.section("tickets").get("complaint_hours") or {}).get(level)
    return _service(ctx).add_working_hours(at, hours) if hours else None


def callback_deadline(after: dt.datetime, hours, cal) -> dt.datetime:
    """`hours` after `after`, where a day that is not a working day does not count: each one
    between the two adds 24 h (resolved Friday 17:00 → due Monday 17:00 on a Mon–Fri week, 002)."""
    due = after + dt.timedelta(hours=float(hours))
    day = cal.local_date(after) + dt.timedelta(days=1)
    for _ignored in range(HORIZON_DAYS):
        if day > cal.local_date(due):
            break
        if not cal.is_working_day(day):
            due += dt.timedelta(hours=24)
        day += dt.timedelta(days=1)
    cal.note_dates((cal.local_date(due),))
    return due


def followup_deadline(resolved: dt.datetime, cal) -> dt.datetime:
    """An inquiry's follow-up: by the end of the next service day after its resolution
    (征询单第二日必须跟踪, 001)."""
    return cal.end_of_working_day(cal.next_working_day(cal.local_date(resolved)))


def counted_unreachable(attempts: list[dict], tz, policy) -> int:
    """Unreachable attempts that count toward closing: each at least callback_retry_min_hours
    after the last one counted (three calls in ten minutes are one attempt, 002)."""
    gap = dt.timedelta(hours=float(policy.section("tickets").get("callback_retry_min_hours") or 0))
    counted, last = 0, None
    for attempt in attempts:
        at = try_instant(attempt.get("at"), tz)
        if attempt.get("outcome") != "unreachable" or at is None:
            continue
        if last is None or at - last >= gap:
            counted, last = counted + 1, at
    return counted


def _starts_clock(entry: dict) -> bool:
    """Registration, or a reopening (resolved → routed, by reopen or a dissatisfied callback)."""
    return entry.get("from") is None or (entry.get("from") == "resolved" and entry.get("to") == "routed")


def deadlines(rec: dict, ctx) -> list[Deadline]:
    """Every deadline the ticket has had: each resolve (from registration or a reopening; an
    explicit `due` wins; an escalation brings it forward, never past) and each callback after a
    complaint's resolution, with when it was met — or `owed` while the ticket still waits."""
    tz, history = ctx.tz, rec.get("history") or []
    escalated = {e.get("at"): e for e in rec.get("escalations") or [] if isinstance(e, dict)}
    first = next(iter(escalated.values()), None)
    level = first.get("from_level") if first else rec.get("level")
    owner, rows, spans = rec.get("created_by"), [], []
    cs = rec.get("created_by")          # who owes the callbacks (cs_owner)
    start = due = None
    waiting = None                      # (since, on, who) while the ticket waits
    for entry in history:
        at = try_instant(entry.get("at"), tz)
        if at is None:
            continue
        if waiting is not None and entry.get("from") == "waiting" and entry.get("to") != "waiting":
            due = _after_wait(due, waiting, at, ctx)
            rows.append(_wait_row(waiting, at, ctx))
            waiting = None
        if entry.get("to") == "waiting" and entry.get("from") != "waiting":
            waiting = (at, entry.get("on"), entry.get("by"))
        if entry.get("assignee"):
            owner = entry["assignee"]
            if _in_customer_service(owner, ctx):
                cs = owner
        if _starts_clock(entry):                       # under the rules in force when the clock starts
            start, due = at, sla_due(rec, level, at, ctx.in_force(at))
        if entry.get("due"):
            due = try_instant(entry.get("due"), tz) or due
        if entry.get("at") in escalated and entry.get("from") == entry.get("to") and start is not None:
            level = escalated[entry.get("at")].get("to_level") or level
            sooner = escalation_due(level, at, ctx.in_force(start))
            due = min(due, sooner) if due and sooner else due or sooner
        if entry.get("to") == "resolved" and entry.get("from") != "resolved" and start is not None:
            if due is not None:
                rows.append(Deadline("resolve", due, owner, start, done=at))
            spans.append((at, cs))
            start = None
        elif entry.get("to") in ("closed", "voided"):
            start = None
    if start is not None and due is not None and rec.get("status") in ("registered", "routed"):
        rows.append(Deadline("resolve", due, owner, start, owed=True))
    if waiting is not None and rec.get("status") == "waiting":
        paused = waiting[1] in _pause_on(ctx.in_force(waiting[0]))
        if start is not None and due is not None and not paused:      # waiting on what does not stop the clock
            rows.append(Deadline("resolve", due, owner, start, owed=True))
        rows.append(_wait_row(waiting, None, ctx))
    if _owes_callback(rec, ctx):
        rows.extend(_callback_deadlines(rec, spans, ctx))
    rows.extend(_after_reports(rec, ctx))
    return rows


# The states in which a ticket's resolve, wait or callback clock may be running (deadlines owes
# them only there); in any other — closed, voided — it can owe only a report after an emergency
# escalation.
_CLOCKS_RUN = frozenset({"registered", "routed", "waiting", "resolved"})


def owed(rec: dict, ctx) -> list[Deadline]:
    """The deadlines a ticket owes now: the owed rows of `deadlines`, the rest left unworked where
    the status says nothing else can be owed (a validate reads years of closed tickets for what
    they owe: none)."""
    rows = deadlines(rec, ctx) if rec.get("status") in _CLOCKS_RUN else _after_reports(rec, ctx)
    return [row for row in rows if row.owed]


def _pause_on(ctx) -> tuple:
    """What a ticket may wait on with its resolve clock stopped (tickets.pause_on)."""
    return tuple(ctx.policy.section("tickets").get("pause_on") or ())


def _after_wait(due, waiting, resumed: dt.datetime, ctx):
    """The resolve deadline after a wait: later by the service hours the ticket waited, when it
    waited on something in tickets.pause_on (the customer, a supplier); unchanged otherwise."""
    since, on, _who = waiting
    if due is None or on not in _pause_on(ctx.in_force(since)):
        return due
    cal = _service(ctx.in_force(since))
    waited = cal.working_time_between(since, resumed)
    return cal.add_working_hours(due, waited.total_seconds() / 3600) if waited else due


def _wait_row(waiting, ended, ctx) -> Deadline:
    """A wait of at most tickets.max_wait_days calendar days (report overdue: `wait`), owed by whoever
    set the ticket waiting until it is resumed or resolved."""
    since, _on, who = waiting
    days = ctx.in_force(since).policy.section("tickets").get("max_wait_days") or 7
    return Deadline("wait", since + dt.timedelta(days=float(days)), who, since, done=ended, owed=ended is None,
                    wall_clock=True)


def waited_hours(rec: dict, ctx, until: dt.datetime | None = None) -> float:
    """Service hours the ticket spent waiting (挂起), for the statistics."""
    tz, total, since = ctx.tz, dt.timedelta(0), None
    for entry in rec.get("history") or []:
        at = try_instant(entry.get("at"), tz) if isinstance(entry, dict) else None
        if at is None:
            continue
        if since is not None and entry.get("from") == "waiting" and entry.get("to") != "waiting":
            total += _service(ctx.in_force(since)).working_time_between(since, at)
            since = None
        if entry.get("to") == "waiting" and entry.get("from") != "waiting":
            since = at
    if since is not None and until is not None:
        total += _service(ctx.in_force(since)).working_time_between(since, until)
    return total.total_seconds() / 3600


def _after_reports(rec: dict, ctx) -> list[Deadline]:
    """An emergency escalation that skipped a level is reported afterwards to the level skipped
    (事后必须向上级汇报, 000): owed by who escalated, within tickets.report_after_hours (wall clock),
    until `ticket report-after` records it."""
    tz, rows = ctx.tz, []
    done = {str(r.get("escalation")): try_instant(r.get("at"), tz)
            for r in rec.get("after_reports") or [] if isinstance(r, dict)}
    for esc in rec.get("escalations") or []:
        at = try_instant(esc.get("at"), tz) if isinstance(esc, dict) else None
        if at is None or not esc.get("emergency") or not esc.get("report_after"):
            continue
        hours = float(ctx.in_force(at).policy.section("tickets").get("report_after_hours") or 24)
        reported = done.get(str(esc.get("at")))
        rows.append(Deadline("report_after", at + dt.timedelta(hours=hours), esc.get("by"), at, done=reported,
                             owed=reported is None and rec.get("status") != "voided", wall_clock=True))
    return rows


def _owes_callback(rec: dict, ctx) -> bool:
    """Complaints are called back within 24 h (002), inquiries (and kinds on their rules, 查询)
    followed up the next day (征询单第二日必须跟踪, 001); feedback and proactive service owe none."""
    return rules_of(rec, ctx) in ("complaint", "inquiry")


def _in_customer_service(person_id, ctx) -> bool:
    person = ctx.roster.get(person_id) if person_id else None
    return person is not None and person.role in CS_ROLES


def cs_owner(rec: dict, ctx) -> str | None:
    """The ticket's customer-service owner: its last assignee with a customer-service role,
    else who registered it. Callbacks are customer service's work (客服部门需对投诉进行跟踪回访,
    000), never the department it was routed to: the CS owner owes them and answers for a late one."""
    owner = rec.get("created_by")
    for entry in rec.get("history") or []:
        if isinstance(entry, dict) and entry.get("assignee") and _in_customer_service(entry["assignee"], ctx):
            owner = entry["assignee"]
    return owner


def _callback_deadlines(rec: dict, resolutions: list, ctx) -> list[Deadline]:
    """After each resolution: a callback within callback_hours (002), then after an unreachable
    attempt another within callback_retry_hours, until one reaches the customer or enough spaced
    attempts failed."""
    tz = ctx.tz
    attempts = sorted(((try_instant(c.get("at"), tz), c) for c in rec.get("callbacks") or []
                       if isinstance(c, dict) and try_instant(c.get("at"), tz)), key=lambda x: x[0])
    rows = []
    for n, (resolved, owner) in enumerate(resolutions):
        following = resolutions[n + 1][0] if n + 1 < len(resolutions) else None
        mine = [c for at, c in attempts if at >= resolved and (following is None or at < following)]
        then = ctx.in_force(resolved)                  # the callback clock starts at the resolution
        cal, tickets = _service(then), then.policy.section("tickets")
        first_due = callback_deadline(resolved, tickets["callback_hours"], cal) if _is_complaint(rec) \
            else followup_deadline(resolved, cal)
        due, failed, done = first_due, [], False
        for i, attempt in enumerate(mine):
            at = try_instant(attempt.get("at"), tz)
            rows.append(Deadline("callback", due, owner, resolved, done=at, wall_clock=True, retry=i > 0))
            if attempt.get("outcome") != "unreachable":
                done = True
                break
            failed.append(attempt)
            if counted_unreachable(failed, tz, then.policy) >= tickets["unreachable_attempts"]:
                done = True
                break
            due = callback_deadline(at, tickets["callback_retry_hours"], cal)
        if not done and following is None and rec.get("status") == "resolved":
            rows.append(Deadline("callback", due, owner, resolved, owed=True, wall_clock=True, retry=bool(mine)))
    return rows


def facts(rec: dict, ctx, rows: list | None = None, noted=()) -> str:
    """What the statistics and the daily and agents reports count of a ticket, worked out once
    per file content (the record index keeps it beside the entry): its registration's business
    day, and for each resolution that had a deadline when it was, whether it was late and the
    working hours since the clock started — each with the uncertain calendar years it was worked
    out with (a report names those it uses). One line of text (the index keeps it so), read back
    by counted(): `day|its years|the deadlines' years|resolution;…`, each resolution `resolved at
    (a UTC timestamp),late (1/0),working hours,their years`. `rows`: the ticket's deadlines if
    already worked out, and `noted` the years (calendar.noting) that noted."""
    if rows is None:
        with calendar.noting() as noted:
            rows = deadlines(rec, ctx)
    with calendar.noting() as day_years:
        history = rec.get("history") or []
        first = history[0] if history and isinstance(history[0], dict) else {}
        registered = try_instant(first.get("at"), ctx.tz)
        day = business_day(registered, ctx.in_force(registered)).isoformat() if registered is not None else ""
    resolutions = []
    for d in rows:
        if d.what == "resolve" and d.done is not None:
            with calendar.noting() as hour_years:
                hours = _service(ctx.in_force(d.start)).working_hours_between(d.start, d.done)
            resolutions.append(f"{d.done.timestamp()!r},{int(bool(d.late))},{hours!r},{_years_text(hour_years)}")
    return f"{day}|{_years_text(day_years)}|{_years_text(noted)}|{';'.join(resolutions)}"


def _years_text(pairs) -> str:
    """Uncertain calendar years (year, state) as `2027:estimated 2028:missing`."""
    return " ".join(f"{int(year)}:{state}" for year, state in pairs)


def _years(text: str) -> tuple:
    if not text:                        # the usual case: no uncertain year (read for every ticket a report counts)
        return ()
    return tuple((int(year), state) for year, _sep, state in (pair.partition(":") for pair in text.split(" ") if pair))


class Counted(NamedTuple):
    """A ticket's facts (see facts)."""
    registered_day: dt.date | None      # its registration's business day
    resolutions: list                   # (resolved at: a UTC timestamp, late, working hours taken, uncertain years)
    day_years: tuple                    # the uncertain years its business day was worked out with
    deadline_years: tuple               # … and its deadlines


def counted(rec, ctx) -> Counted:
    """A ticket's facts as the record index kept them (Context.kept), else worked out now (also
    when what was kept does not read back: it is never trusted)."""
    text = ctx.kept(rec)
    if text is not None:
        try:
            return _read_facts(text)
        except (ValueError, IndexError, KeyError, TypeError):
            pass
    return _read_facts(facts(rec.data, ctx))


def _read_facts(text: str) -> Counted:
    day, day_years, deadline_years, listed = text.split("|")
    resolutions = []
    for row in listed.split(";") if listed else ():
        done, late, hours, years = row.split(",")
        resolutions.append((float(done), late == "1", float(hours), _years(years)))
    return Counted(dt.date.fromisoformat(day) if day else None, resolutions, _years(day_years),
                   _years(deadline_years))


def activity_window(ctx, first: dt.date, last: dt.date) -> tuple[str, str]:
    """The dates (ISO text) a ticket's steps must touch to count in a report on first..last. A
    registration counts on its business day (the next working day after a cut-off, a weekend or
    a holiday): one registered after the last working day before `first` may count, whatever the
    length of the holiday in between. A day of slack each side covers any UTC offset."""
    earliest = first
    for policy in ctx.policies():
        day = first - dt.timedelta(days=1)
        for _ignored in range(HORIZON_DAYS):
            if policy.calendar.is_working_day(day):
                break
            day -= dt.timedelta(days=1)
        earliest = min(earliest, day)
    return (earliest - dt.timedelta(days=1)).isoformat(), (last + dt.timedelta(days=1)).isoformat()


def activity_moments(window: tuple[str, str]) -> tuple[float, float]:
    """An activity window's ISO days as the moments a time written on them with any UTC offset
    (−12:00 … +14:00) may be."""
    low, high = (dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc) for day in window)
    return (low - dt.timedelta(hours=14)).timestamp(), (high + dt.timedelta(days=1, hours=12)).timestamp()


def day_moments(first: dt.date, last: dt.date, tz) -> tuple[float, float]:
    """first..last (local days) as UTC timestamps: from first's midnight to the one after last."""
    return (dt.datetime.combine(first, dt.time(), tzinfo=tz).timestamp(),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz).timestamp())


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]|$)")


def step_days(rec: dict) -> list[str] | None:
    """The days (ISO text) of a record's steps and callbacks; None when a time is not ISO text
    (it may fall on any day)."""
    days = []
    for listed in (rec.get("history"), rec.get("callbacks")):
        if listed is None:
            continue
        if not isinstance(listed, list):
            return None
        for item in listed:
            at = item.get("at") if isinstance(item, dict) else None
            if not isinstance(at, str) or not ISO_DAY.match(at):
                return None
            days.append(at[:10])
    return days


def active_between(rec: dict, window: tuple[str, str]) -> bool:
    """Whether a ticket may count in a report on a window from `activity_window`: some step or
    callback of it falls in it — a cheap text test on the ISO times that lets a report over one
    month skip years of tickets. A time it cannot read this way counts as active. (The record
    index keeps the first and last of these days per record: csops.cache.db.days_of.)"""
    low, high = window
    days = step_days(rec)
    return days is None or any(low <= day <= high for day in days)


def business_day(moment: dt.datetime, ctx) -> dt.date:
    """The day a ticket counts on in statistics and daily reports: registered after the cut-off or
    on a day that is not a service day, it counts on the next one (18点以后的征询归类为第二个工作日征询
    数据, 001; a weekend duty day is a service day)."""
    cal, local = _service(ctx), moment.astimezone(ctx.policy.tz)
    if cal.is_working_day(local.date()) and local.time() < _cutoff(ctx, local.date(), "cutoff"):
        return local.date()
    return cal.next_working_day(local.date())


def computed(rec: dict, ctx) -> dict:
    rows = deadlines(rec, ctx)
    resolve = [d for d in rows if d.what == "resolve"]
    callback = [d for d in rows if d.what == "callback" and d.owed]
    now = ctx.now
    out = {"due": format_instant(resolve[-1].due, ctx.tz) if resolve else None,
           "callback_due": format_instant(callback[-1].due, ctx.tz) if callback else None,
           "overdue": bool(now and any(d.owed and d.due < now for d in rows))}
    customer = rec.get("customer") if isinstance(rec.get("customer"), dict) else {}
    key = customer_key(customer.get("contact"))
    if key:
        from csops.workflows.cards import card_tiers

        tier = card_tiers(ctx).get(key)
        if tier:
            out["tier"] = tier          # 客户分级: the customer's card
    return out


WORKFLOW = Workflow(
    type="ticket",
    transitions=TRANSITIONS,
    notes=NOTES,
    fields={
        "kind": PolicyName(required=True, section="kinds"),
        "channel": PolicyName(required=True, section="channels"),
        "level": Level(required=True),
        "customer": Map(required=True, fields={"name": Str(required=True), "contact": Str()}),
        "summary": Str(required=True),
        "order": Str(),
        "links": List(item=RecordRef()),
        "department": Str(),
        "assignee": PersonRef(),
        "due": Instant(),
        "closure": Enum(values=CLOSURES),
        "duplicate_of": RecordRef(),
        "waiting_on": Enum(values=WAIT_ON),
        "callbacks": List(item=Map(fields={
            "at": Instant(required=True), "by": PersonRef(required=True),
            "outcome": Enum(required=True, values=OUTCOMES),
            "satisfaction": Number(integer=True, minimum=1, maximum=5), "note": Str()})),
        "escalations": List(item=Map(fields={
            "at": Instant(required=True), "by": PersonRef(required=True),
            "from_level": Level(required=True), "to_level": Level(required=True),
            "reported_to": PersonRef(), "emergency": Bool(), "skipped": List(item=PersonRef()),
            "report_after": Str()})),
        "after_reports": List(item=Map(fields={
            "at": Instant(required=True), "by": PersonRef(required=True), "escalation": Instant(required=True),
            "to": Str()})),
    },
    computed=computed,
    deadlines=deadlines,
    owed=owed,
    facts=facts,
    record_checks=(_check_callbacks, _check_escalations, _check_due),
)
