"""Tickets 工单 (SPEC §3): complaints 投诉, inquiries 咨询 and feedback 建议 — registered, routed
to a department with a deadline, resolved, called back (回访), closed; reopened when the
customer is not satisfied; escalated level by level (逐级上报).
"""

from __future__ import annotations

import datetime as dt

from csops.engine import Guard, Obligation, Transition, Workflow
from csops.schema import Bool, Enum, Instant, List, Map, Number, PersonRef, RecordRef, Spec, Str
from csops.timeutil import format_instant, try_instant
from csops.vocab import CHANNELS, CLOSURES, OUTCOMES, TICKET_KINDS as KINDS
from csops.workflows.common import AMEND


class Level(Spec):
    """A level from policy tickets.levels (normal | urgent | major by default)."""

    def check(self, value, key, ctx, out, path):
        levels = ctx.policy.section("tickets").get("levels") or []
        if value not in levels:
            out.add(path, "BAD_FIELD", f"level: {value!r} is not one of {', '.join(levels)}", key=key)


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
    if any(c.get("outcome") == "reached" and _sat(c) >= tickets["close_min_satisfaction"] for c in attempts):
        return None
    unreachable = sum(1 for c in attempts if c.get("outcome") == "unreachable")
    if unreachable >= tickets["unreachable_attempts"]:
        return None
    return (f"a complaint closes only after a reached callback (satisfaction ≥ {tickets['close_min_satisfaction']}) "
            f"or {tickets['unreachable_attempts']} unreachable attempts; it has {unreachable} unreachable and no "
            f"satisfied callback since its resolution")


def callback_target(attempt: dict, policy) -> str:
    """Where a callback leads (004): unreachable → still resolved; reached and satisfied → closed;
    reached and not satisfied → back to routed (客户不满意继续督导)."""
    if attempt.get("outcome") == "unreachable":
        return "resolved"
    return "closed" if _sat(attempt) >= policy.section("tickets")["close_min_satisfaction"] else "routed"


def _callback_guard(step) -> str | None:
    """A callback step must be backed by a callback made at that moment, with a matching outcome."""
    at = step.entry.get("at")
    made = [c for c in step.rec.get("callbacks") or [] if isinstance(c, dict) and c.get("at") == at]
    if not made:
        return f"history[{step.index}] records a callback but callbacks has no attempt at {at}"
    callback = made[-1]
    expected, target = callback_target(callback, step.ctx.policy), step.entry.get("to")
    if target != expected:
        return (f"a callback with outcome {callback.get('outcome')} and satisfaction {callback.get('satisfaction')} "
                f"leads to {expected}, not {target}")
    if target == "closed":
        return _close_guard(step)
    return None


def _sat(callback: dict) -> int:
    value = callback.get("satisfaction")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def closure_for(rec: dict, policy) -> str:
    """How a ticket closes: a complaint satisfied or unreachable; anything else resolved."""
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


def _route(doc, entry, params) -> None:
    for key in ("department", "assignee", "due"):
        if params.get(key):
            doc[key] = params[key]
            entry[key] = params[key]


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


def _void(doc, entry, params) -> None:
    if params.get("duplicate_of"):
        doc["duplicate_of"] = params["duplicate_of"]
        entry["duplicate_of"] = params["duplicate_of"]


CLOSE = Guard("CALLBACK_REQUIRED", _close_guard)
CALLBACK = Guard("BAD_CALLBACK", _callback_guard)

TRANSITIONS = (
    Transition("register", (), ("registered",)),
    Transition("route", ("registered", "routed"), ("routed",), sets=("department", "assignee", "due"),
               effect=_route, needs=("department",), command="ticket route ID --to-dept D"),
    Transition("resolve", ("routed",), ("resolved",)),
    Transition("resolve", ("registered",), ("resolved",), when=lambda r: not _is_complaint(r),
               why_not="complaints must be routed before they are resolved (投诉分流)"),
    Transition("reopen", ("resolved",), ("routed",), sets=("due",), effect=_reopen),
    Transition("close", ("resolved",), ("closed",), guards=(CLOSE,), sets=("closure",), effect=_close,
               complete=lambda rec, params, ctx: {**params, "closure": closure_for(rec, ctx.policy)}),
    Transition("callback", ("resolved",), ("resolved", "closed", "routed"), guards=(CALLBACK,),
               sets=("callbacks", "closure", "due"), effect=_callback, needs=("outcome",),
               choose=lambda rec, params, ctx: callback_target(params, ctx.policy),
               command="ticket callback ID --outcome reached|unreachable"),
    Transition("escalate", ("registered", "routed"), (), stays=True, sets=("level", "escalations"),
               effect=_escalate, needs=("to_level",), command="ticket escalate ID"),
    Transition("void", ("registered", "routed"), ("voided",), sets=("duplicate_of",), effect=_void),
    AMEND,
)

NOTES = {
    ("registered", "closed"): lambda rec: ("complaints must be routed and called back first" if _is_complaint(rec)
                                           else "a ticket must be resolved before it closes"),
    ("routed", "closed"): "a ticket must be resolved before it closes",
    ("closed", "routed"): "a closed ticket is final; register a new one",
    ("voided", "routed"): "a voided ticket is final; register a new one",
}


def _check_callbacks(rec, ctx, out, path):
    for i, callback in enumerate(rec.get("callbacks") or []):
        if not isinstance(callback, dict):
            continue
        reached = callback.get("outcome") == "reached"
        if reached and callback.get("satisfaction") is None:
            out.add(path, "MISSING_FIELD", f"callbacks[{i}]: a reached callback needs satisfaction 1–5",
                    key=("callbacks", i))
        if not reached and callback.get("satisfaction") is not None:
            out.add(path, "BAD_FIELD", f"callbacks[{i}]: an unreachable callback has no satisfaction",
                    key=("callbacks", i, "satisfaction"))


def _check_escalations(rec, ctx, out, path):
    for i, esc in enumerate(rec.get("escalations") or []):
        if not isinstance(esc, dict) or esc.get("emergency"):
            continue
        person = ctx.roster.get(esc.get("by"))
        if person and esc.get("reported_to") and esc.get("reported_to") != person.reports_to:
            out.add(path, "SKIPPED_LEVEL", f"escalations[{i}]: {person.id} reported to {esc.get('reported_to')}, "
                    f"not their superior {person.reports_to} (越级上报 needs emergency: true)", key=("escalations", i))


# -- deadlines ---------------------------------------------------------------------------------

def clock_start(rec: dict, tz) -> dt.datetime | None:
    """Registration, or the latest reopening (resolved → routed)."""
    history = rec.get("history") or []
    start = None
    for entry in history:
        if entry.get("from") is None or (entry.get("from") == "resolved" and entry.get("to") == "routed"):
            start = try_instant(entry.get("at"), tz) or start
    return start


def resolve_due(rec: dict, ctx) -> dt.datetime | None:
    if rec.get("due"):
        return try_instant(rec.get("due"), ctx.tz)
    return sla_due(rec, clock_start(rec, ctx.tz), ctx)


def sla_due(rec: dict, start: dt.datetime | None, ctx) -> dt.datetime | None:
    """The policy deadline for a ticket whose clock started at `start`."""
    policy, cal = ctx.policy, ctx.calendar
    if start is None:
        return None
    tickets = policy.section("tickets")
    if _is_complaint(rec):
        hours = (tickets.get("complaint_hours") or {}).get(rec.get("level") or "normal")
        return cal.add_working_hours(start, hours) if hours else None
    local = start.astimezone(policy.tz)
    if cal.is_working_day(local.date()) and local.time() < policy.clock("tickets", "cutoff"):
        return dt.datetime.combine(local.date(), policy.clock("tickets", "same_day_due"), tzinfo=policy.tz)
    return cal.next_working_day_at(start, policy.clock("tickets", "next_day_due"))


def resolutions(rec: dict, ctx) -> list[tuple[dict, dt.datetime, dt.datetime | None, dt.datetime | None]]:
    """Every resolution with its time, the deadline it had then and when its clock started:
    (entry, at, due, start)."""
    start, explicit, out = None, None, []
    for entry in rec.get("history") or []:
        at = try_instant(entry.get("at"), ctx.tz)
        if entry.get("from") is None or (entry.get("from") == "resolved" and entry.get("to") == "routed"):
            start, explicit = at, None
        if entry.get("due"):
            explicit = try_instant(entry.get("due"), ctx.tz)
        if entry.get("to") == "resolved" and entry.get("from") != "resolved" and at is not None:
            out.append((entry, at, explicit or sla_due(rec, start, ctx), start))
    return out


def late_callbacks(rec: dict, ctx) -> list[tuple[dict, dt.datetime]]:
    """Complaint callbacks made more than callback_hours after the resolution they follow:
    (callback, due)."""
    if not _is_complaint(rec):
        return []
    hours = ctx.policy.section("tickets")["callback_hours"]
    attempts = [(try_instant(c.get("at"), ctx.tz), c) for c in rec.get("callbacks") or [] if isinstance(c, dict)]
    out = []
    for _, resolved, _, _ in resolutions(rec, ctx):
        following = sorted((at, c) for at, c in attempts if at is not None and at >= resolved)
        if following and following[0][0] > resolved + dt.timedelta(hours=hours):
            out.append((following[0][1], resolved + dt.timedelta(hours=hours)))
    return out


def resolved_at(rec: dict, tz) -> dt.datetime | None:
    history = rec.get("history") or []
    index = _last_resolution_index(history, len(history))
    return try_instant(history[index].get("at"), tz) if index is not None else None


def callback_due(rec: dict, ctx) -> dt.datetime | None:
    """24 wall-clock hours after resolution; after an unreachable attempt, the retry interval
    after it; none once enough attempts failed (the complaint may then close)."""
    if not _is_complaint(rec) or rec.get("status") != "resolved":
        return None
    tickets = ctx.policy.section("tickets")
    resolved = resolved_at(rec, ctx.tz)
    if resolved is None:
        return None
    attempts = callbacks_since_resolution(rec, len(rec.get("history") or []), ctx)
    if len(attempts) >= tickets["unreachable_attempts"]:
        return None
    if attempts:
        last = try_instant(attempts[-1].get("at"), ctx.tz)
        return last + dt.timedelta(hours=tickets["callback_retry_hours"])
    return resolved + dt.timedelta(hours=tickets["callback_hours"])


def owner(rec: dict) -> str | None:
    return rec.get("assignee") or rec.get("created_by")


def obligations(rec: dict, ctx) -> list[Obligation]:
    status = rec.get("status")
    if status in ("registered", "routed"):
        due = resolve_due(rec, ctx)
        return [Obligation("resolve", due, owner(rec))] if due else []
    if status == "resolved":
        due = callback_due(rec, ctx)
        return [Obligation("callback", due, owner(rec), wall_clock=True)] if due else []
    return []


def computed(rec: dict, ctx) -> dict:
    due = resolve_due(rec, ctx)
    cb_due = callback_due(rec, ctx)
    now = ctx.now
    overdue = any(o.due < now for o in obligations(rec, ctx)) if now else False
    return {"due": format_instant(due, ctx.tz), "callback_due": format_instant(cb_due, ctx.tz), "overdue": overdue}


WORKFLOW = Workflow(
    type="ticket",
    transitions=TRANSITIONS,
    notes=NOTES,
    fields={
        "kind": Enum(required=True, values=KINDS),
        "channel": Enum(required=True, values=CHANNELS),
        "level": Level(required=True),
        "customer": Map(required=True, fields={"name": Str(required=True), "contact": Str()}),
        "summary": Str(required=True),
        "department": Str(),
        "assignee": PersonRef(),
        "due": Instant(),
        "closure": Enum(values=CLOSURES),
        "duplicate_of": RecordRef(),
        "callbacks": List(item=Map(fields={
            "at": Instant(required=True), "by": PersonRef(required=True),
            "outcome": Enum(required=True, values=OUTCOMES),
            "satisfaction": Number(integer=True, minimum=1, maximum=5), "note": Str()})),
        "escalations": List(item=Map(fields={
            "at": Instant(required=True), "by": PersonRef(required=True),
            "from_level": Level(required=True), "to_level": Level(required=True),
            "reported_to": PersonRef(), "emergency": Bool(), "skipped": List(item=PersonRef()),
            "report_after": Str()})),
    },
    computed=computed,
    obligations=obligations,
    record_checks=(_check_callbacks, _check_escalations),
)
