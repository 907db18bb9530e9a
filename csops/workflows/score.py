"""Score events 考核 (SPEC §6): recorded by a team lead or above (班长记录), confirmed or revoked by
a supervisor or above (报告客服主任). Points, fines and dismissal rules come from the policy catalog.
"""

from __future__ import annotations

from csops import actions
from csops.engine import Transition, Workflow
from csops.errors import BadInput, Refused
from csops.schema import Bool, Date, Number, PersonRef, RecordRef, Str, decimals_of
from csops.timeutil import parse_date


def _check_event(rec, ctx, out, path):
    catalog = ctx.policy.catalog()
    code = rec.get("code")
    rule = catalog.get(code)
    if code is not None and rule is None:
        out.add(path, "UNKNOWN_CODE", f"code {code!r} is not in the policy catalog",
                "see scores.catalog in policy.yaml", key=("code",))
        return
    if rule is None:
        return
    if rule.get("applies_to") == "all_active_agents":
        if rec.get("person"):
            out.add(path, "BAD_FIELD", f"{code} is recorded without a person: it costs every active agent",
                    key=("person",))
    elif not rec.get("person"):
        out.add(path, "MISSING_FIELD", f"{code} needs the person it is about (--person)", key=("code",))
    fine = rec.get("fine")
    bounds = rule.get("fine")
    if fine is not None and not bounds:
        out.add(path, "BAD_FINE", f"{code} carries no fine in the catalog", key=("fine",))
    if fine is not None and bounds and isinstance(fine, (int, float)) and not bounds[0] <= fine <= bounds[1]:
        out.add(path, "BAD_FINE", f"{code} fine must be {bounds[0]}–{bounds[1]} yuan, got {fine}", key=("fine",))
    if rule.get("lateness") and rec.get("minutes") is None:
        out.add(path, "MISSING_FIELD", f"{code} needs the minutes late (--minutes)", key=("code",))


TRANSITIONS = (
    Transition("record", (), "recorded"),
    Transition("confirm", ("recorded",), "confirmed"),
    Transition("revoke", ("recorded", "confirmed"), "revoked"),
)

WORKFLOW = Workflow(
    type="score", prefix="S", folder="scores", label="考核",
    states=("recorded", "confirmed", "revoked"),
    transitions=TRANSITIONS,
    notes={("revoked", "confirmed"): "a revoked event is final; record a new one"},
    fields={
        "person": PersonRef(),
        "code": Str(required=True),
        "date": Date(required=True),
        "minutes": Number(integer=True, minimum=0, maximum=24 * 60),
        "fine": Number(minimum=0, decimals=2),
        "ref": RecordRef(),
        "days": Number(minimum=0, decimals=1),
        "derived": Bool(),
        "note": Str(),
    },
    record_checks=(_check_event,),
)


def add(session, *, person=None, code, date=None, fine=None, minutes=None, ref=None, note=None,
        derived=False) -> str:
    catalog = session.policy.catalog()
    code = (code or "").strip().upper()
    rule = catalog.get(code)
    if rule is None:
        raise Refused(f"unknown score code {code!r}", f"codes: {', '.join(sorted(catalog))}")
    if person:
        session.roster.require(person)
    day = parse_date(date, what="--date") if date else session.now.astimezone(session.tz).date()
    if fine is not None:
        if decimals_of(fine) > 2 or fine < 0:
            raise BadInput(f"--fine {fine}: a fine is a positive amount with at most two decimals")
        bounds = rule.get("fine")
        if not bounds:
            raise Refused(f"{code} carries no fine in the catalog")
        if not bounds[0] <= fine <= bounds[1]:
            raise Refused(f"{code} fine must be between {bounds[0]} and {bounds[1]} yuan, not {fine}")
    elif rule.get("fine"):
        fine = rule["fine"][0]   # omitted: the lower bound
    if minutes is not None and minutes < 0:
        raise BadInput("--minutes must not be negative")
    if ref:
        ref = session.store.locate(ref)[1].stem
    fields = {"code": code, "date": day.isoformat()}
    if person:
        fields["person"] = person
    for key, value in (("minutes", minutes), ("fine", fine), ("ref", ref), ("note", note)):
        if value is not None:
            fields[key] = value
    if derived:
        fields["derived"] = True
    return actions.create(session, "score", fields)



def derive(session, period: str) -> list[str]:
    """Record the events the records already prove, for one month, in one commit: late complaint
    callbacks (FOLLOWUP_LATE), inquiries resolved late (MESSAGE_LATE), returns refunded /
    exchanged / re-shipped late (SHIP_LATE), leave that counts as absence (ABSENT). Each is dated
    when it happened and carries `ref`; an event derived before (even if revoked since) is not
    derived again."""
    import datetime as dt

    from csops.timeutil import month_bounds
    from csops.timeutil import try_instant
    from csops.workflows import leave as leave_wf
    from csops.workflows import returns as returns_wf
    from csops.workflows import ticket as ticket_wf

    first, last = month_bounds(period)
    ctx, tz = session.ctx, session.tz
    allowed = session.policy.permission("score", "record")
    if not session.policy.role_matches(session.actor.role, allowed):
        raise Refused(f"{session.actor.id} ({session.actor.role}) may not record score events "
                      f"(allowed: {', '.join(allowed)})")

    def in_period(moment) -> str | None:
        day = moment.astimezone(tz).date()
        return day.isoformat() if first <= day <= last else None

    found = []
    for rec in ctx.records("ticket"):
        data = rec.data if isinstance(rec.data, dict) else {}
        who = data.get("assignee") or data.get("created_by")
        for callback, due in ticket_wf.late_callbacks(data, ctx):
            day = in_period(try_instant(callback.get("at"), tz))
            if day:
                found.append({"person": who, "code": "FOLLOWUP_LATE", "date": day, "ref": data["id"],
                              "note": f"回访 {callback.get('at')}，应于 {due.isoformat(timespec='minutes')} 前"})
        if data.get("kind") == "inquiry":
            for entry, at, due, _ in ticket_wf.resolutions(data, ctx):
                day = in_period(at)
                if day and due is not None and at > due:
                    found.append({"person": who, "code": "MESSAGE_LATE", "date": day, "ref": data["id"],
                                  "note": f"处理于 {entry.get('at')}，应于 {due.isoformat(timespec='minutes')} 前"})
    for rec in ctx.records("return"):
        data = rec.data if isinstance(rec.data, dict) else {}
        for what, due, done, by in returns_wf.late_steps(data, ctx):
            day = in_period(done)
            if day:
                found.append({"person": by, "code": "SHIP_LATE", "date": day, "ref": data["id"],
                              "note": f"{what} {done.isoformat(timespec='minutes')}，应于 {due.isoformat(timespec='minutes')} 前"})
    end = min(session.now, dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz))
    as_of = type(ctx)(ctx.policy, ctx.roster, ctx.store, end)
    as_of.seed("leave", ctx.records("leave"))
    for rec in ctx.records("leave"):
        data = rec.data if isinstance(rec.data, dict) else {}
        start = try_instant(data.get("start"), tz)
        if start is None:
            continue
        days = leave_wf.absence_days(data, as_of)
        day = in_period(start) or (first.isoformat() if start.astimezone(tz).date() < first else None)
        if days and day:
            found.append({"person": data.get("person"), "code": "ABSENT", "date": day, "ref": data["id"],
                          "days": days, "note": f"请假 {data['id']} 未获批准或缺病假证明"})
    existing = {(e.get("code"), e.get("ref"), e.get("person"), e.get("date"))
                for e in (r.data for r in ctx.records("score") if isinstance(r.data, dict)) if e.get("derived")}
    new = []
    for event in found:
        key = (event["code"], event["ref"], event["person"], event["date"])
        if key in existing or event["code"] not in session.policy.catalog() or not event["person"]:
            continue
        existing.add(key)
        new.append({**event, "derived": True})
    if not new:
        return []
    return actions.create_many(session, "score", new, subject=f"score: derive {period} ({len(new)} events)")
