"""The duty roster 排班 (docs/rules.md): who works which shift on which day, and who leads the day.

`records/roster/YYYY-MM.yaml` holds, per date, person → shift name (policy `shifts`) or `off`,
and the day's `duty_lead` 值班长:

    month: 2026-11
    days:
      2026-11-28:
        duty_lead: liubz
        shifts: {zhangsan: weekend_duty, lisi: off}

A person with no entry on a day works the team calendar. Approved swaps 调班 (csops.workflows.swap)
exchange two people's schedules on their dates; they are applied on read, so the roster file
always says what was planned and the swap record says what changed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Callable

from csops.calendar import BusinessCalendar
from csops.i18n import _

OFF = "off"
FILE_NAME = re.compile(r"^(\d{4})-(\d{2})\.yaml$")
_CALENDAR = object()            # a schedule taken over from someone without an entry: the team calendar


@dataclass(frozen=True, eq=False)
class PersonalCalendar(BusinessCalendar):
    """The team calendar with one person's own schedule on the days the roster (or a swap) sets."""
    own: Callable[[dt.date], tuple | None] = None

    def day_hours(self, day: dt.date):
        hours = self.own(day)
        return super().day_hours(day) if hours is None else hours


@dataclass(frozen=True, eq=False)
class ServiceCalendar(BusinessCalendar):
    """The team calendar plus every rostered shift's hours: a day the duty roster staffs is a
    service day for tickets, its hours the union of the rostered shifts' (周末值班, 001)."""
    extra: Callable[[dt.date], tuple] = None

    def day_hours(self, day: dt.date):
        own, more = super().day_hours(day), self.extra(day)
        return _union(own + more) if more else own


def _union(intervals: tuple) -> tuple:
    """Intervals (start, end) as one sorted tuple, overlapping and touching ones joined."""
    out: list = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


@dataclass
class Duty:
    days: dict = field(default_factory=dict)        # date → {person: shift name | "off"}
    leads: dict = field(default_factory=dict)       # date → person
    swaps: list = field(default_factory=list)       # approved: (person, with, [dates], id) in approval order
    _cache: dict = field(default_factory=dict)

    @classmethod
    def load(cls, docs: list[tuple[str, object]], swaps: list[dict]) -> "Duty":
        """From the roster files' parsed YAML ((file name, data) pairs; what does not fit the
        format is left out — `validate` reports it) and the approved swap records."""
        duty = cls()
        for name, data in docs:
            match = FILE_NAME.match(name)
            days = data.get("days") if isinstance(data, dict) else None
            if not match or not isinstance(days, dict):
                continue
            for key, entry in days.items():
                day = _date(key)
                if day is None or (day.year, day.month) != (int(match[1]), int(match[2])) or not isinstance(entry, dict):
                    continue
                shifts = entry.get("shifts")
                if isinstance(shifts, dict):
                    duty.days[day] = {str(p): str(s) for p, s in shifts.items() if isinstance(s, str)}
                if isinstance(entry.get("duty_lead"), str):
                    duty.leads[day] = entry["duty_lead"]
        for swap in swaps:
            dates = sorted({d for d in (_date(swap.get("date")), _date(swap.get("with_date"))) if d})
            if dates:
                duty.swaps.append((swap.get("person"), swap.get("with"), dates, swap.get("id")))
        return duty

    def without(self, swap_id) -> "Duty":
        """The duty as it stood without one swap (what that swap itself exchanged)."""
        return Duty(self.days, self.leads, [s for s in self.swaps if s[3] != swap_id])

    def assignment(self, day: dt.date) -> dict:
        """person → shift name, "off", or _CALENDAR (a swap handed over a team-calendar day) for
        everyone with a schedule of their own that day."""
        if day not in self._cache:
            plan = dict(self.days.get(day, {}))
            for a, b, dates, _ignored in self.swaps:
                if day in dates:
                    plan[a], plan[b] = plan.get(b, _CALENDAR), plan.get(a, _CALENDAR)
            self._cache[day] = plan
        return self._cache[day]

    def lead(self, day: dt.date) -> str | None:
        """The day's duty lead 值班长: as planned, or whoever took the planned lead's shift by an
        approved swap (the duties of a shift go with it)."""
        lead = self.leads.get(day)
        for a, b, dates, _ignored in self.swaps:
            if lead is not None and day in dates and lead in (a, b):
                lead = b if lead == a else a
        return lead

    def involves(self, person: str) -> bool:
        return any(person in plan for plan in self.days.values()) or any(person in s[:2] for s in self.swaps)

    def uses_roster(self, day: dt.date) -> bool:
        """The team planned this day with the roster (someone has an entry)."""
        return any(name is not _CALENDAR for name in self.assignment(day).values())

    def hours(self, person: str, day: dt.date, shifts: dict) -> tuple | None:
        """The person's working intervals that day; None: the team calendar's."""
        name = self.assignment(day).get(person)
        if name is None or name is _CALENDAR:
            return None
        return () if name == OFF else shifts.get(name, ())

    def shift(self, person: str, day: dt.date) -> str | None:
        """The shift name or "off"; None when the person works the team calendar that day."""
        name = self.assignment(day).get(person)
        return None if name is _CALENDAR else name

    def scheduled(self, person: str, day: dt.date, calendar: BusinessCalendar, shifts: dict) -> bool:
        hours = self.hours(person, day, shifts)
        return calendar.is_working_day(day) if hours is None else bool(hours)

    def service_hours(self, day: dt.date, shifts: dict) -> tuple:
        """The hours of every shift someone is rostered on that day (none: the team calendar's)."""
        return tuple(interval for name in self.assignment(day).values()
                     if name is not _CALENDAR and name != OFF for interval in shifts.get(name, ()))

    def service_calendar(self, calendar: BusinessCalendar, shifts: dict) -> BusinessCalendar:
        """The team calendar, with the days and hours the roster staffs (itself for a team without
        a roster)."""
        if not self.days and not self.swaps:
            return calendar
        return ServiceCalendar(calendar.tz, calendar.weekly, calendar.makeup_hours, calendar.holidays,
                               calendar.makeup_days, calendar.estimated,
                               extra=lambda day: self.service_hours(day, shifts))

    def calendar_for(self, person: str, calendar: BusinessCalendar, shifts: dict) -> BusinessCalendar:
        if not self.involves(person):
            return calendar
        return PersonalCalendar(calendar.tz, calendar.weekly, calendar.makeup_hours, calendar.holidays,
                                calendar.makeup_days, calendar.estimated, own=lambda day: self.hours(person, day, shifts))


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def check_roster_file(name: str, data, shifts: dict, people: set, display: str, problems) -> None:
    """What `validate` says about one roster file (problem codes BAD_ROSTER, UNKNOWN_PERSON)."""
    match = FILE_NAME.match(name)
    if not match:
        problems.add(display, "BAD_ROSTER", _("{name}: a roster file is named YYYY-MM.yaml", name=name), line=1)
        return
    if not isinstance(data, dict) or not isinstance(data.get("days"), dict):
        problems.add(display, "BAD_ROSTER", _('a roster file has `days:`, a mapping of dates'), line=1)
        return
    for key, entry in data["days"].items():
        day = _date(key)
        if day is None or (day.year, day.month) != (int(match[1]), int(match[2])):
            problems.add(display, "BAD_ROSTER", _("{key!r} is not a date of {start}-{end}",
                                                  key=key, start=match[1], end=match[2]), key=("days", key))
            continue
        if not isinstance(entry, dict) or not set(entry) <= {"shifts", "duty_lead"}:
            problems.add(display, "BAD_ROSTER", _("{key}: expected shifts and/or duty_lead",
                                                  key=key), key=("days", key))
            continue
        plan = entry.get("shifts") or {}
        if not isinstance(plan, dict):
            problems.add(display, "BAD_ROSTER", _("{key}: shifts maps people to a shift name or off", key=key),
                         key=("days", key, "shifts"))
            continue
        for person, shift in plan.items():
            if str(person) not in people:
                problems.add(display, "UNKNOWN_PERSON", _("{key}: {person!r} is not in the roster of people",
                                                          key=key, person=person),
                             key=("days", key, "shifts", person))
            if shift != OFF and shift not in shifts:
                problems.add(display, "BAD_ROSTER", _("{key}: {person}: {shift!r} is not a shift ({names})",
                                                      key=key, person=person, shift=shift,
                                                      names=', '.join([*shifts, OFF])), _("write 'off' in quotes "
                                                                                          "(YAML reads off as false)")
                             if shift is False else _("shifts are named in policy.yaml"),
                                                    key=("days", key, "shifts", person))
        lead = entry.get("duty_lead")
        if lead is not None:
            if str(lead) not in people:
                problems.add(display, "UNKNOWN_PERSON", _("{key}: duty_lead {lead!r} is not in the roster of people",
                                                          key=key, lead=lead),
                             key=("days", key, "duty_lead"))
            elif plan.get(lead) == OFF:
                problems.add(display, "BAD_ROSTER", _("{key}: the duty lead {lead} is off that day", key=key, lead=lead),
                             key=("days", key, "duty_lead"))
