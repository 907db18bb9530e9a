"""The duty roster 排班 (docs/rules.md): set shifts and the day's duty lead; show a day or a week."""

from __future__ import annotations

import datetime as dt

from dateutil.rrule import DAILY, rrule

from csops import actions, yamlio
from csops.duty import OFF
from csops.errors import BadInput, Refused
from csops.i18n import _
from csops.timeutil import parse_input_date
from csops.vocab import ROSTER

MAX_DAYS = 366


def parse_range(value: str) -> list[dt.date]:
    """DATE or DATE..DATE (inclusive), every day between (dateutil's rrule)."""
    if (value or "").count("..") > 1:
        raise BadInput(_("{value}: write DATE or DATE..DATE", value=value))
    first, dots, last = (value or "").partition("..")
    start = parse_input_date(first.strip(), what="DATE")
    end = parse_input_date(last.strip(), what="DATE") if dots else start
    if end < start:
        raise BadInput(_("{value}: the range ends before it starts", value=value))
    if (end - start).days >= MAX_DAYS:
        raise BadInput(_("{value}: at most {MAX_DAYS} days at once", value=value, MAX_DAYS=MAX_DAYS))
    return [d.date() for d in rrule(DAILY, dtstart=dt.datetime.combine(start, dt.time(0)),
                                    until=dt.datetime.combine(end, dt.time(0)))]


def month_path(session, day: dt.date):
    return session.store.root / ROSTER / f"{day:%Y-%m}.yaml"


def editor(days: list[dt.date], change):
    """An edit of one month file: `change(entry)` on each day's entry (a round-trip mapping)."""
    def edit(text):
        doc = yamlio.rt_load(text) if text else None
        if not isinstance(doc, dict):
            doc = yamlio.rt_load(f"# 排班 duty roster {days[0]:%Y-%m} (csops roster set / lead; 《电商部管理细则》周末值班)\n"
                                 f"month: '{days[0]:%Y-%m}'\ndays: {{}}\n")
        if not isinstance(doc.get("days"), dict):
            raise BadInput(_("roster {day:%Y-%m}: `days` is not a mapping",
                             day=days[0]), _('fix the file (csops validate), then try again'))
        plan = doc["days"]
        if hasattr(plan, "fa"):
            plan.fa.set_block_style()
        for day in days:
            key = next((k for k in plan if str(k) == day.isoformat()), day)   # a date key, as YAML reads it
            if not isinstance(plan.get(key), dict):
                entry = yamlio.rt_load("{}")
                entry.fa.set_block_style()
                if key in plan:
                    plan[key] = entry
                else:                                  # days stay in date order
                    plan.insert(sum(1 for k in plan if str(k) < str(key)), key, entry)
            change(plan[key])
        return yamlio.rt_dump(doc)
    return edit


def _by_month(days: list[dt.date]) -> dict[str, list[dt.date]]:
    months: dict[str, list[dt.date]] = {}
    for day in days:
        months.setdefault(f"{day:%Y-%m}", []).append(day)
    return months


def _refuse_past(session, day: dt.date) -> None:
    """A past day's roster says who worked: changing it changes leave days and scores already
    reported, so it takes --backfill REASON (supervisor and above), named in the commit."""
    if day < session.now.astimezone(session.tz).date() and not session.backfill:
        raise Refused(_("{day} is in the past: its roster is the record of who worked", day=day),
                      _('to correct it, say why with --backfill REASON'))


def _active(session, person: str):
    session.roster.require(person)
    if not session.roster.get(person).active:
        raise BadInput(_("{person} is not active", person=person))


def _message(session, text: str) -> str:
    return text + (f"\n\nBackfill: {session.backfill}" if session.backfill else "")


def set_shift(session, dates: str, person: str, shift: str) -> list[dt.date]:
    session.policy.require(session.actor, "roster_edit", doing=_("change the duty roster"))
    _active(session, person)
    shifts = session.policy.shifts()
    if shift != OFF and shift not in shifts:
        raise BadInput(_("--shift {shift}: not a shift",
                         shift=shift), _("shifts: {names} (policy.yaml shifts)", names=', '.join([*shifts, OFF])))
    days = parse_range(dates)
    _refuse_past(session, days[0])

    def change(entry):
        if not isinstance(entry.get("shifts"), dict):
            entry["shifts"] = yamlio.rt_load("{}")
        entry["shifts"][person] = shift
        if shift == OFF and entry.get("duty_lead") == person:
            del entry["duty_lead"]
    edits = {month_path(session, month[0]): editor(month, change) for month in _by_month(days).values()}
    span = days[0].isoformat() + (f"..{days[-1].isoformat()}" if len(days) > 1 else "")
    actions.edit_files(session, edits, _message(session, f"roster: {span} {person} → {shift}"), session.actor.author)
    return days


def set_lead(session, date: str, person: str) -> list[dt.date]:
    """The duty lead 值班长 of a day, or of each day of DATE..DATE (one commit); each day the
    person must work and not be on leave."""
    session.policy.require(session.actor, "roster_edit", doing=_("change the duty roster"))
    _active(session, person)
    days = parse_range(date)
    for day in days:
        _refuse_past(session, day)
        then = session.ctx.on_day(day)
        if not then.duty.scheduled(person, day, then.calendar, then.policy.shifts()):
            raise BadInput(_("{person} does not work on {day}: the duty lead works that day", person=person, day=day),
                           _("csops roster set {day} --person {person} --shift SHIFT first", day=day, person=person))
    for row in show(session, days):
        if row["person"] == person and row["on_leave"]:
            raise BadInput(_("{person} is on leave on {day}: the duty lead works that day", person=person,
                             day=row["date"]))

    def change(entry):
        entry["duty_lead"] = person
    edits = {month_path(session, month[0]): editor(month, change) for month in _by_month(days).values()}
    span = days[0].isoformat() + (f"..{days[-1].isoformat()}" if len(days) > 1 else "")
    actions.edit_files(session, edits, _message(session, f"roster: {span} duty lead {person}"), session.actor.author)
    return days


def show(session, days: list[dt.date]) -> list[dict]:
    """Who works when: per day and person — shift (None: the team calendar), on duty (scheduled
    and not on approved leave), on leave, duty lead."""
    from csops.workflows.leave import span

    ctx = session.ctx
    duty = ctx.duty
    leaves = []
    for rec in ctx.records("leave"):
        if rec.data.get("status") == "approved":
            start, end = span(rec.data, ctx.tz)
            if start and end:
                leaves.append((rec.data.get("person"), start.astimezone(ctx.tz).date(),
                               (end - dt.timedelta(microseconds=1)).astimezone(ctx.tz).date()))
    rows = []
    for day in days:
        policy = ctx.on_day(day).policy
        shifts = policy.shifts()
        for person in session.roster:
            if not person.active:
                continue
            away = any(p == person.id and a <= day <= b for p, a, b in leaves)
            scheduled = duty.scheduled(person.id, day, policy.calendar, shifts)
            rows.append({"date": day.isoformat(), "person": person.id, "name": person.name,
                         "shift": duty.shift(person.id, day), "on_duty": scheduled and not away, "on_leave": away,
                         "duty_lead": duty.lead(day) == person.id})
    return rows


def week_days(value: str) -> list[dt.date]:
    """YYYY-Www → its seven days, Monday first."""
    try:
        year, week = value.split("-W")
        monday = dt.date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise BadInput(_("--week {value!r}: write YYYY-Www, e.g. 2026-W48", value=value)) from None
    return [monday + dt.timedelta(days=n) for n in range(7)]
