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
from csops.workflows.score import counts, fine_in_range


def add(session, *, person=None, code, date=None, fine=None, minutes=None, ref=None, note=None,
        derived=False) -> str:
    day = parse_input_date(date, what="--date") if date is not None else session.now.astimezone(session.tz).date()
    catalog = session.ctx.on_day(day).policy.catalog()          # the catalog in force on the event's date
    code = (code or "").strip().upper()
    rule = catalog.get(code)
    if rule is None:                # a typo is bad input; a code of the rules of another time, a refusal
        error = Refused if any(code in policy.catalog() for policy in session.ctx.policies()) else BadInput
        raise error(_("unknown score code {code!r}",
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


class Period(NamedTuple):
    """The month a derivation looks at, as each rule needs it."""
    first: dt.date
    last: dt.date
    ctx: object               # the session's context
    as_of: object             # the context at the month's end (or now, if sooner)
    span: tuple               # (start, end) instants of the month up to now
    memo: dict                # a ticket's deadlines, worked out once for every rule that reads them

    def ticket_deadlines(self, data: dict) -> list:
        key = id(data)
        if key not in self.memo:
            self.memo[key] = ticket_wf.deadlines(data, self.ctx)
        return self.memo[key]

    def day(self, moment) -> str | None:
        """The local day of `moment` (ISO) if it falls in the month."""
        day = moment.astimezone(self.ctx.tz).date()
        return day.isoformat() if self.first <= day <= self.last else None


def _until(row) -> str:
    return f"{row.done.isoformat(timespec='minutes')}，应于 {row.due.isoformat(timespec='minutes')} 前"


def _late_followups(data: dict, period: Period) -> list[dict]:
    """FOLLOWUP_LATE: a complaint's callback or an inquiry's follow-up made late (the CS owner)."""
    out = []
    for row in period.ticket_deadlines(data):
        day = period.day(row.done) if row.late else None
        if day and row.what == "callback" and not row.retry:
            out.append({"person": row.owner, "code": "FOLLOWUP_LATE", "date": day, "ref": data["id"],
                        "note": f"回访 {_until(row)}"})
    return out


def _late_messages(data: dict, period: Period) -> list[dict]:
    """MESSAGE_LATE: an inquiry resolved late, or an inquiry or feedback resolved without a note."""
    out, rules = [], ticket_wf.rules_of(data, period.ctx)
    for row in period.ticket_deadlines(data) if rules == "inquiry" else ():
        day = period.day(row.done) if row.late else None
        if day and row.what == "resolve":
            out.append({"person": row.owner, "code": "MESSAGE_LATE", "date": day, "ref": data["id"],
                        "note": f"处理于 {_until(row)}"})
    if rules in ("inquiry", "feedback"):
        for entry in data.get("history") or []:
            at = try_instant(entry.get("at"), period.ctx.tz) if isinstance(entry, dict) else None
            day = period.day(at) if at and entry.get("to") == "resolved" and not entry.get("note") else None
            if day and entry.get("from") != "resolved":
                out.append({"person": entry.get("by"), "code": "MESSAGE_LATE", "date": day, "ref": data["id"],
                            "note": "留言处理后未写批注"})
    return out


def _late_shipments(data: dict, period: Period) -> list[dict]:
    """SHIP_LATE (001's 发货): goods exchanged or re-shipped late — the CS person who registered the
    return answers for it (a late refund is finance's and shows in report overdue)."""
    out = []
    for row in returns_wf.deadlines(data, period.ctx):
        day = period.day(row.done) if row.late and row.what in ("exchange", "reship") else None
        if day:
            out.append({"person": data.get("created_by"), "code": "SHIP_LATE", "date": day, "ref": data["id"],
                        "note": f"{row.what} {_until(row)}"})
    return out


def _absences(data: dict, period: Period) -> list[dict]:
    """ABSENT: only the absence days inside the period, dated on the first of them — so a leave
    across two months is counted once in each, never twice (docs/rules.md)."""
    days = leave_wf.absence_days(data, period.as_of, within=period.span)
    if not days:
        return []
    lo = max(leave_wf.absence_window(data, period.as_of)[0], period.span[0])
    own = leave_wf.under_rules(data, period.as_of).policy          # the person's own schedule (a duty Sunday)
    day = _first_working_day(lo, period.span[1], own) or lo.astimezone(period.ctx.tz).date()
    return [{"person": data.get("person"), "code": "ABSENT", "date": day.isoformat(), "ref": data["id"],
             "days": days, "note": f"请假 {data['id']} 未获批准或缺病假证明"}]


# What `score derive` records, one row per rule: the record type it reads and what it finds in
# one record. Each event names its person, code, date (when it happened) and `ref`.
DERIVATIONS = (
    ("ticket", _late_followups),
    ("ticket", _late_messages),
    ("return", _late_shipments),
    ("leave", _absences),
)


def derive(session, period: str) -> Derived:
    """Record the events the records already prove (DERIVATIONS), for one month, in one commit;
    an event derived before (even if revoked since) is not derived again, one its sources no
    longer prove is retracted. A source no customer-service person answers for is listed, never
    a reason to record nothing."""
    first, last = month_bounds(period)
    ctx, tz = session.ctx, session.tz
    session.policy.require(session.actor, "score", "record", doing=_("record score events"))
    span = (dt.datetime.combine(first, dt.time(0), tzinfo=tz),
            min(session.now, dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)))
    month = Period(first, last, ctx, ctx.as_of(span[1]), span, {})
    found = []
    for rtype, find in DERIVATIONS:
        for rec in ctx.records(rtype):
            if isinstance(rec.data, dict):
                found += find(rec.data, month)
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
    stale = [e for e in derived if counts(e) and first.isoformat() <= e.get("date", "")
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
