"""Tickets 工单 (SPEC §3): complaints 投诉, inquiries 咨询 and feedback 建议 — registered, routed
to a department with a deadline, resolved, called back (回访), closed; reopened when the
customer is not satisfied; escalated level by level (逐级上报).
"""

from __future__ import annotations

import datetime as dt

from csops import actions
from csops.engine import Guard, Obligation, Transition, Workflow
from csops.errors import BadInput, Refused
from csops.schema import Bool, Enum, Instant, List, Map, Number, PersonRef, Spec, Str
from csops.timeutil import format_instant, parse_instant, try_instant

KINDS = ("complaint", "inquiry", "feedback")
CHANNELS = ("phone", "email", "chat", "visit", "letter", "other")
OUTCOMES = ("reached", "unreachable")


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


def _callback_guard(step) -> str | None:
    """A callback step must be backed by a callback made at that moment, with a matching outcome."""
    at = step.entry.get("at")
    made = [c for c in step.rec.get("callbacks") or [] if isinstance(c, dict) and c.get("at") == at]
    if not made:
        return f"history[{step.index}] records a callback but callbacks has no attempt at {at}"
    callback = made[-1]
    minimum = step.ctx.policy.section("tickets")["close_min_satisfaction"]
    target = step.transition.target
    if callback.get("outcome") == "unreachable":
        expected = "resolved"
    else:
        expected = "closed" if _sat(callback) >= minimum else "routed"
    if target != expected:
        return f"a callback with outcome {callback.get('outcome')} and satisfaction {callback.get('satisfaction')} leads to {expected}, not {target}"
    return None


def _sat(callback: dict) -> int:
    value = callback.get("satisfaction")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _clear_due(doc, entry) -> None:
    """A reopening restarts the clock: an explicit deadline set before it no longer applies."""
    if "due" in doc:
        del doc["due"]


CLOSE = Guard("CALLBACK_REQUIRED", _close_guard)
CALLBACK = Guard("BAD_CALLBACK", _callback_guard)

TRANSITIONS = (
    Transition("register", (), "registered"),
    Transition("route", ("registered", "routed"), "routed"),
    Transition("resolve", ("routed",), "resolved"),
    Transition("resolve", ("registered",), "resolved", when=lambda r: not _is_complaint(r),
               why_not="complaints must be routed before they are resolved (投诉分流)"),
    Transition("reopen", ("resolved",), "routed", effect=_clear_due),
    Transition("close", ("resolved",), "closed", guards=(CLOSE,)),
    Transition("callback", ("resolved",), "resolved", guards=(CALLBACK,)),
    Transition("callback", ("resolved",), "closed", guards=(CALLBACK, CLOSE)),
    Transition("callback", ("resolved",), "routed", guards=(CALLBACK,), effect=_clear_due),
    Transition("escalate", ("registered",), "registered"),
    Transition("escalate", ("routed",), "routed"),
)

NOTES = {
    ("registered", "closed"): lambda rec: ("complaints must be routed and called back first" if _is_complaint(rec)
                                           else "a ticket must be resolved before it closes"),
    ("routed", "closed"): "a ticket must be resolved before it closes",
    ("closed", "routed"): "a closed ticket is final; register a new one",
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
    type="ticket", prefix="T", folder="tickets", label="工单",
    states=("registered", "routed", "resolved", "closed"),
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
        "closure": Enum(values=("satisfied", "unreachable", "resolved")),
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


# -- commands (library calls; the CLI only parses and renders) --------------------------------

def new(session, *, kind, channel, level, customer, contact, summary, note=None) -> str:
    level = level or "normal"
    fields = {"kind": kind, "channel": channel, "level": level,
              "customer": {"name": customer, **({"contact": contact} if contact else {})}, "summary": summary}
    return actions.create(session, "ticket", fields, note=note)


def route(session, ref, *, department, assignee=None, due=None, note=None) -> str:
    if assignee:
        session.roster.require(assignee)
    due_text = format_instant(parse_instant(due, session.tz, what="--due"), session.tz) if due else None
    if due_text and parse_instant(due_text, session.tz) <= session.now:
        raise BadInput(f"--due {due} is not in the future", "give a deadline after --now")

    def effect(doc, entry):
        doc["department"] = department
        if assignee:
            doc["assignee"] = assignee
        if due_text:
            doc["due"] = due_text
        entry["department"] = department
        if assignee:
            entry["assignee"] = assignee
        if due_text:
            entry["due"] = due_text

    return actions.transition(session, "ticket", ref, "route", effect=effect, note=note)


def resolve(session, ref, *, note=None) -> str:
    return actions.transition(session, "ticket", ref, "resolve", note=note)


def callback(session, ref, *, outcome, satisfaction=None, note=None) -> str:
    if outcome not in OUTCOMES:
        raise BadInput(f"--outcome must be reached or unreachable, not {outcome!r}")
    if outcome == "reached" and satisfaction is None:
        raise BadInput("--outcome reached needs --satisfaction 1-5 (5 高度满意 … 1 极不满意)")
    if outcome == "unreachable" and satisfaction is not None:
        raise BadInput("--satisfaction only applies to a reached callback")
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise BadInput(f"--satisfaction must be 1 to 5, not {satisfaction}")
    tickets = session.policy.section("tickets")
    at = session.stamp()
    attempt = {"at": at, "by": session.actor.id, "outcome": outcome}
    if satisfaction is not None:
        attempt["satisfaction"] = satisfaction
    if note:
        attempt["note"] = note

    def prepare(current):
        if outcome == "unreachable":
            return "resolved"
        return "closed" if satisfaction >= tickets["close_min_satisfaction"] else "routed"

    def effect(doc, entry):
        doc.setdefault("callbacks", [])
        doc["callbacks"].append(attempt)
        if entry["to"] == "closed":
            doc["closure"] = "satisfied"
        if entry["to"] == "routed":
            _clear_due(doc, entry)

    return actions.transition(session, "ticket", ref, "callback", prepare=prepare, effect=effect, note=note)


def escalate(session, ref, *, emergency=False, to=None, note=None) -> str:
    actor = session.actor
    levels = list(session.policy.section("tickets").get("levels") or [])
    chain = session.roster.chain_above(actor.id)
    if not chain:
        raise Refused(f"{actor.id} has nobody to report to (no reports_to in the roster)")
    target = session.roster.require(to) if to else (chain[1] if emergency and len(chain) > 1 else chain[0])
    if target.id not in [p.id for p in chain]:
        raise Refused(f"{target.id} is not above {actor.id} in the reporting chain")
    skipped = [p.id for p in chain[: [p.id for p in chain].index(target.id)]]
    if skipped and not emergency:
        raise Refused(f"reporting to {target.id} skips {', '.join(skipped)}: 逐级上报 — use --emergency "
                      "to skip a level (it is flagged for after-the-fact reporting)")

    def prepare(current):
        level = current.get("level") or levels[0]
        if level not in levels or levels.index(level) + 1 >= len(levels):
            raise Refused(f"ticket {current.get('id')} is already at the highest level ({level})")
        return None

    def effect(doc, entry):
        level = doc.get("level") or levels[0]
        new_level = levels[levels.index(level) + 1]
        record = {"at": entry["at"], "by": actor.id, "from_level": level, "to_level": new_level,
                  "reported_to": target.id}
        if skipped:
            record.update({"emergency": True, "skipped": skipped, "report_after": chain[0].id})
        doc["level"] = new_level
        doc.setdefault("escalations", [])
        doc["escalations"].append(record)
        entry["note"] = entry.get("note") or f"{level} → {new_level}, reported to {target.id}" + (
            " (emergency: report to " + chain[0].id + " afterwards)" if skipped else "")

    return actions.transition(session, "ticket", ref, "escalate", prepare=prepare, effect=effect, note=note)


def close(session, ref, *, note=None) -> str:
    minimum = session.policy.section("tickets")["close_min_satisfaction"]

    def effect(doc, entry):
        if doc.get("kind") == "complaint":
            reached = [c for c in doc.get("callbacks") or [] if c.get("outcome") == "reached"]
            doc["closure"] = "satisfied" if reached and _sat(reached[-1]) >= minimum else "unreachable"
        else:
            doc["closure"] = "resolved"

    return actions.transition(session, "ticket", ref, "close", effect=effect, note=note)


WORKFLOW.commands.update({"close": close})
