"""Score commands 考核: record an event, and derive the events the records already prove."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from csops import actions
from csops.errors import BadInput, Refused
from csops.i18n import _
from csops.money import money_text, parse_money
from csops.timeutil import month_bounds, parse_input_date, try_instant
from csops.workflows import leave as leave_wf
from csops.workflows import returns as returns_wf
from csops.workflows import ticket as ticket_wf
from csops.vocab import CS_ROLES
from csops.workflows.score import fine_in_range


def add(session, *, person=None, code, date=None, fine=None, minutes=None, ref=None, note=None,
        derived=False) -> str:
    day = parse_input_date(date, what="--date") if date else session.now.astimezone(session.tz).date()
    catalog = session.ctx.on_day(day).policy.catalog()          # the catalog in force on the event's date
    code = (code or "").strip().upper()
    rule = catalog.get(code)
    if rule is None:
        raise Refused(_("unknown score code {code!r}",
                        code=code), _("codes: {names}", names=', '.join(sorted(catalog))))
    if person:
        session.roster.require(person)
    if fine is not None:
        amount = parse_money(fine, what="--fine", positive=False)
        bounds = rule.get("fine")
        if not bounds:
            raise Refused(_("{code} carries no fine in the catalog", code=code))
        if not fine_in_range(amount, bounds):
            raise Refused(_("{code} fine must be between {low} and {high} yuan, not {fine}",
                            code=code, low=bounds[0], high=bounds[1], fine=fine))
        fine = money_text(amount)
    elif rule.get("fine"):
        fine = money_text(parse_money(rule["fine"][0], positive=False))   # omitted: the lower bound
    if minutes is not None and minutes < 0:
        raise BadInput(_('--minutes must not be negative'))
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


class Derived(NamedTuple):
    new: list[str]            # the events recorded
    retracted: list[str]      # events its sources no longer prove, retracted
    unattributed: list[str]   # sources no customer-service person answers for (listed, not recorded)


def derive(session, period: str) -> Derived:
    """Record the events the records already prove, for one month, in one commit: late complaint
    and inquiry callbacks (FOLLOWUP_LATE, the ticket's CS owner), inquiries resolved late or
    without a note (MESSAGE_LATE), returns exchanged or re-shipped late — goods not shipped in a
    working day (SHIP_LATE; a late refund is finance's and shows in report overdue), leave that
    counts as absence (ABSENT). Each is dated when it happened and carries `ref`; an event
    derived before (even if revoked since) is not derived again. A source no customer-service
    person answers for is listed, never a reason to record nothing."""
    first, last = month_bounds(period)
    ctx, tz = session.ctx, session.tz
    session.policy.require(session.actor, "score", "record", doing=_("record score events"))

    def in_period(moment) -> str | None:
        day = moment.astimezone(tz).date()
        return day.isoformat() if first <= day <= last else None

    found = []
    for rec in ctx.records("ticket"):
        data = rec.data if isinstance(rec.data, dict) else {}
        for row in ticket_wf.deadlines(data, ctx):
            day = in_period(row.done) if row.late else None
            if day and row.what == "callback" and not row.retry:
                found.append({"person": row.owner, "code": "FOLLOWUP_LATE", "date": day, "ref": data["id"],
                              "note": f"回访 {row.done.isoformat(timespec='minutes')}，应于 "
                                      f"{row.due.isoformat(timespec='minutes')} 前"})
            if day and row.what == "resolve" and data.get("kind") in ("inquiry", "query"):
                found.append({"person": row.owner, "code": "MESSAGE_LATE", "date": day, "ref": data["id"],
                              "note": f"处理于 {row.done.isoformat(timespec='minutes')}，应于 "
                                      f"{row.due.isoformat(timespec='minutes')} 前"})
        if data.get("kind") in ("inquiry", "feedback"):
            for entry in data.get("history") or []:
                at = try_instant(entry.get("at"), tz) if isinstance(entry, dict) else None
                day = in_period(at) if at and entry.get("to") == "resolved" and not entry.get("note") else None
                if day and entry.get("from") != "resolved":
                    found.append({"person": entry.get("by"), "code": "MESSAGE_LATE", "date": day, "ref": data["id"],
                                  "note": "留言处理后未写批注"})
    for rec in ctx.records("return"):
        data = rec.data if isinstance(rec.data, dict) else {}
        for row in returns_wf.deadlines(data, ctx):
            day = in_period(row.done) if row.late and row.what in ("exchange", "reship") else None
            if day:   # 001's 发货: the CS person who registered the return answers for goods not shipped
                found.append({"person": data.get("created_by"), "code": "SHIP_LATE", "date": day, "ref": data["id"],
                              "note": f"{row.what} {row.done.isoformat(timespec='minutes')}，应于 "
                                      f"{row.due.isoformat(timespec='minutes')} 前"})
    # ABSENT: only the absence days inside the period, dated on the first of them — so a leave
    # across two months is counted once in each, never twice (SPEC §6)
    month = (dt.datetime.combine(first, dt.time(0), tzinfo=tz),
             min(session.now, dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)))
    as_of = ctx.as_of(month[1])
    for rec in ctx.records("leave"):
        data = rec.data
        days = leave_wf.absence_days(data, as_of, within=month)
        if days:
            lo = max(leave_wf.absence_window(data, as_of)[0], month[0])
            own = leave_wf.under_rules(data, as_of).policy          # the person's own schedule (a duty Sunday)
            day = _first_working_day(lo, month[1], own) or lo.astimezone(tz).date()
            found.append({"person": data.get("person"), "code": "ABSENT", "date": day.isoformat(), "ref": data["id"],
                          "days": days, "note": f"请假 {data['id']} 未获批准或缺病假证明"})
    derived = [r.data for r in ctx.records("score") if r.data.get("derived")]
    existing = {(e.get("code"), e.get("ref"), e.get("person"), e.get("date")) for e in derived}
    new, unattributed = [], []
    for event in found:
        key = (event["code"], event["ref"], event["person"], event["date"])
        if key in existing or event["code"] not in session.policy.catalog():
            continue
        person = session.roster.get(event["person"]) if event["person"] else None
        if person is None or person.role not in CS_ROLES:     # score events concern customer service only
            unattributed.append(_("{code} {ref} ({date}): {who} is not in customer service",
                                  code=event["code"], ref=event["ref"], date=event["date"],
                                  who=event["person"] or _("nobody")))
            continue
        existing.add(key)
        new.append({**event, "derived": True})
    proven = {(e["code"], e["ref"], e["person"], e["date"]) for e in found}
    stale = [e for e in derived if e.get("status") in ("recorded", "confirmed") and first.isoformat() <= e.get("date", "")
             <= last.isoformat() and (e.get("code"), e.get("ref"), e.get("person"), e.get("date")) not in proven]
    # its source no longer proves it (a certificate was attached): retracted, saying why — in the
    # same commit as what is new
    steps = [actions.Step(e["id"], "retract", note=f"derive {period}: the records no longer prove it "
                                                   f"({e.get('ref')})") for e in stale]
    ids: list[str] = []
    if new or steps:
        ids, _moved = actions.create_and_transition(session, "score", new, steps,
                                                    subject=f"score: derive {period} ({len(new)} events)")
    return Derived(ids, [e["id"] for e in stale], unattributed)


def _first_working_day(lo: dt.datetime, hi: dt.datetime, policy):
    """The first day in [lo, hi) with working time (the day an absence is dated on)."""
    cal, day = policy.calendar, lo.astimezone(policy.tz).date()
    while dt.datetime.combine(day, dt.time(0), tzinfo=policy.tz) < hi:
        if cal.is_working_day(day):
            return day
        day += dt.timedelta(days=1)
    return None
