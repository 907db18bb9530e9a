"""Business calendar: working hours per weekday with breaks, public holidays and make-up workdays (调休).

The arithmetic every deadline in csops is computed with (the workflow tables say which
deadline, this module how far it is on the business calendar). Working intervals are half-open [start, end) for
"is this working time", but a span that ends exactly at the end of an interval ends there
(12:00, not 13:00). All arithmetic is done in UTC so that wall-clock offsets never leak into
durations; days are the policy time zone's days.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from csops.errors import CalendarError, CsopsError
from csops.i18n import _
from csops.timeutil import parse_clock, parse_date, zone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Interval = tuple[dt.time, dt.time]

# How far any search may look ahead before declaring the calendar unable to answer.
HORIZON_DAYS = 3 * 366


def _parse_intervals(spec, where: str) -> tuple[Interval, ...]:
    if spec is None:
        return ()
    if not isinstance(spec, list):
        raise CalendarError(_('{where}: expected a list like ["09:00-12:00", "13:00-18:00"], got {spec!r}',
                              where=where, spec=spec))
    out: list[Interval] = []
    for item in spec:
        if not isinstance(item, str) or item.count("-") != 1:
            raise CalendarError(_("{where}: {item!r} is not an interval",
                                  where=where, item=item), _('write "HH:MM-HH:MM" in quotes'))
        start_text, end_text = item.split("-")
        try:
            start, end = parse_clock(start_text, what=where), parse_clock(end_text, what=where)
        except CsopsError as exc:
            raise CalendarError(exc.message, exc.hint) from None
        if start >= end:
            raise CalendarError(_("{where}: interval {item!r} ends before it starts", where=where, item=item))
        out.append((start, end))
    out.sort()
    for (_ignored, prev_end), (next_start, _ignored) in zip(out, out[1:]):
        if next_start < prev_end:
            raise CalendarError(_("{where}: intervals {spec!r} overlap", where=where, spec=spec))
    return tuple(out)


parse_intervals = _parse_intervals     # shift patterns (policy `shifts`) are written the same way


def _parse_dates(spec, where: str) -> dict[dt.date, str]:
    """A mapping date → name, or a plain list of dates."""
    if spec is None:
        return {}
    items = spec.items() if isinstance(spec, dict) else ((d, "") for d in spec) if isinstance(spec, list) else None
    if items is None:
        raise CalendarError(_("{where}: expected a mapping of dates to names, got {__name__}",
                              where=where, __name__=type(spec).__name__))
    out = {}
    for key, name in items:
        try:
            out[parse_date(key, what=where)] = str(name or "")
        except CsopsError:
            raise CalendarError(_("{where}: {key!r} is not a date",
                                  where=where, key=key), _('write it as YYYY-MM-DD')) from None
    return out


# The uncertain years — estimated, or with no holiday data — a computation used, collected for
# whoever opened a `collecting()` scope around it (the CLI, to warn of each once; the record
# index, to keep them with a result). Outside every scope nothing is collected.
_COLLECTING: contextvars.ContextVar = contextvars.ContextVar("csops_uncertain_years", default=None)


@contextlib.contextmanager
def collecting():
    """The uncertain years computed with inside the block: year → "estimated" | "missing", filled
    as it runs (the first state noted for a year wins)."""
    years: dict[int, str] = {}
    token = _COLLECTING.set(years)
    try:
        yield years
    finally:
        _COLLECTING.reset(token)


class noting:  # noqa: N801 - used as the function it was: `with calendar.noting() as noted`
    """collecting(), as (year, state) pairs in a list filled when the block ends — set aside from
    the scope around it: to keep with a result and note (note_years) when the result is used.
    (A class, not a generator: a cold read enters one several times for every ticket.)"""
    __slots__ = ("noted", "years", "token")

    def __enter__(self) -> list:
        self.noted, self.years = [], {}
        self.token = _COLLECTING.set(self.years)
        return self.noted

    def __exit__(self, *exc) -> None:
        _COLLECTING.reset(self.token)
        self.noted.extend(self.years.items())


def note_years(noted) -> None:
    """(year, state) pairs from `noting`, noted as if computed now."""
    years = _COLLECTING.get()
    if years is not None:
        for year, state in noted:
            years.setdefault(year, state)


def _parse_years(spec) -> frozenset[int]:
    if spec is None:
        return frozenset()
    if not isinstance(spec, list) or not all(isinstance(y, int) and not isinstance(y, bool) and 2000 <= y <= 2099
                                             for y in spec):
        raise CalendarError(_("calendar.estimated: expected a list of years (2000–2099), got {value!r}",
                              value=spec))
    return frozenset(spec)


@dataclass(frozen=True, eq=False)
class BusinessCalendar:
    tz: ZoneInfo
    weekly: tuple[tuple[Interval, ...], ...]            # Monday … Sunday
    makeup_hours: tuple[Interval, ...]                  # hours worked on a make-up workday
    holidays: dict[dt.date, str] = field(default_factory=dict)
    makeup_days: dict[dt.date, str] = field(default_factory=dict)
    estimated: frozenset[int] = frozenset()            # years imported before their official schedule

    @classmethod
    def from_config(cls, config: dict, tz_name: str) -> "BusinessCalendar":
        """Build from the policy's `calendar` section; raises CalendarError naming the bad key."""
        if not isinstance(config, dict):
            raise CalendarError(_('calendar: missing or not a mapping'))
        hours = config.get("working_hours")
        if not isinstance(hours, dict):
            raise CalendarError(_('calendar.working_hours: missing or not a mapping of weekday to intervals'))
        unknown = set(hours) - set(WEEKDAYS)
        if unknown:
            raise CalendarError(_("calendar.working_hours: unknown weekday {names!r}",
                                  names=sorted(map(str, unknown))[0]),
                                _('use mon, tue, wed, thu, fri, sat, sun'))
        weekly = tuple(_parse_intervals(hours.get(day), f"calendar.working_hours.{day}") for day in WEEKDAYS)
        makeup = _parse_intervals(config.get("makeup_workday_hours"), "calendar.makeup_workday_hours")
        holidays = _parse_dates(config.get("holidays"), "calendar.holidays")
        makeup_days = _parse_dates(config.get("makeup_workdays"), "calendar.makeup_workdays")
        both = sorted(set(holidays) & set(makeup_days))
        if both:
            raise CalendarError(_("calendar: {day} is both a holiday and a make-up workday", day=both[0]))
        if makeup_days and not makeup:
            raise CalendarError(_('calendar.makeup_workday_hours: make-up workdays are listed but no hours are set'))
        if not any(weekly) and not makeup_days:
            raise CalendarError(_('calendar: no working hours on any day'), _('set calendar.working_hours'))
        return cls(zone(tz_name), weekly, makeup, holidays, makeup_days, _parse_years(config.get("estimated")))

    # -- days ---------------------------------------------------------------------------------

    def day_hours(self, day: dt.date) -> tuple[Interval, ...]:
        if day in self.makeup_days:
            return self.makeup_hours
        if day in self.holidays:
            return ()
        return self.weekly[day.weekday()]

    # -- coverage (docs/rules.md): a year estimated, or with no holiday data ----------------------

    @functools.cached_property
    def covered_years(self) -> frozenset[int]:
        """The years the policy has holiday data for (official or estimated)."""
        return frozenset(d.year for d in (*self.holidays, *self.makeup_days)) | self.estimated

    def coverage(self, year: int) -> str | None:
        """"estimated", "missing" (the policy lists holidays, but none for this year) or None.
        A calendar without any holiday data is a team that keeps none: nothing is missing."""
        if year in self.estimated:
            return "estimated"
        if self.covered_years and year not in self.covered_years:
            return "missing"
        return None

    def _note(self, day: dt.date) -> None:
        """A date a computation answered with (a deadline, the ends of a span): the walks in
        between look further ahead, and do not count."""
        years = _COLLECTING.get()
        if years is not None and day.year not in years:
            state = self.coverage(day.year)
            if state:
                years[day.year] = state

    def note_dates(self, days) -> None:
        """Dates computed earlier (a cached deadline) count as computed with now."""
        for day in days:
            self._note(day)

    def is_working_day(self, day: dt.date) -> bool:
        return bool(self.day_hours(day))

    @functools.lru_cache(maxsize=8192)
    def intervals(self, day: dt.date) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        """The working intervals of a day as aware UTC datetimes."""
        out = []
        for start, end in self.day_hours(day):
            begin = dt.datetime.combine(day, start, tzinfo=self.tz)
            finish = (dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self.tz)
                      if end == dt.time.max else dt.datetime.combine(day, end, tzinfo=self.tz))
            out.append((begin.astimezone(dt.timezone.utc), finish.astimezone(dt.timezone.utc)))
        return tuple(out)

    def local_date(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.tz).date()

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        for offset in range(1, HORIZON_DAYS + 1):
            candidate = day + dt.timedelta(days=offset)
            if self.is_working_day(candidate):
                self._note(candidate)
                return candidate
        raise self._no_working_time(day)

    def end_of_working_day(self, day: dt.date) -> dt.datetime:
        spans = self.intervals(day)
        if not spans:
            raise CalendarError(_("{day} is not a working day", day=day))
        self._note(day)
        return spans[-1][1].astimezone(self.tz)

    def _no_working_time(self, start) -> CalendarError:
        return CalendarError(_("no working time within {HORIZON_DAYS} days after {start}",
                               HORIZON_DAYS=HORIZON_DAYS, start=start),
                             _('check calendar.working_hours and holidays in policy.yaml'))

    # -- instants -----------------------------------------------------------------------------

    def within_working_day(self, moment: dt.datetime) -> bool:
        """On a working day, between its first opening and its last closing (breaks included)."""
        spans = self.intervals(self.local_date(moment))
        return bool(spans) and spans[0][0] <= moment <= spans[-1][1]

    def add_working_hours(self, start: dt.datetime, hours) -> dt.datetime:
        """The instant `hours` working hours after `start`. A start outside working time begins at
        the next opening; a span that ends at the close of an interval ends there."""
        remaining = _as_timedelta(hours)
        if remaining < dt.timedelta(0):
            raise CalendarError(_("cannot add a negative number of working hours ({hours})", hours=hours))
        cursor = start.astimezone(dt.timezone.utc)
        day = self.local_date(cursor)
        for offset in range(HORIZON_DAYS + 1):
            for a, b in self.intervals(day + dt.timedelta(days=offset)):
                if b < cursor:
                    continue
                begin = max(a, cursor)
                available = b - begin
                if remaining <= available:
                    self._note(day + dt.timedelta(days=offset))
                    return (begin + remaining).astimezone(self.tz)
                remaining -= available
        raise self._no_working_time(start)

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time inside [start, end]; zero when end is not after start. Whole days in
        between come from running totals, so a span of years costs no more than a day."""
        start, end = start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)
        total = dt.timedelta(0)
        if end <= start:
            return total
        first, last = self.local_date(start), self.local_date(end)
        self._note(first)
        self._note(last)
        for day in {first, last}:
            for a, b in self.intervals(day):
                overlap = min(b, end) - max(a, start)
                if overlap > dt.timedelta(0):
                    total += overlap
        if (last - first).days > 1:
            total += self._between_days(first, last)
        return total

    def _day_time(self, day: dt.date) -> dt.timedelta:
        return sum((b - a for a, b in self.intervals(day)), dt.timedelta(0))

    def _between_days(self, first: dt.date, last: dt.date) -> dt.timedelta:
        """Working time of the whole days strictly between `first` and `last`, from running
        totals kept per calendar (extended as far as asked, in either direction)."""
        base, sums = self.__dict__.get("_running", (None, None))
        if base is None or first < base or last > base + dt.timedelta(days=len(sums) - 1):
            lo = min(first, base) if base else first
            hi = max(last, base + dt.timedelta(days=len(sums) - 1)) if base else last
            sums, running, day = [], dt.timedelta(0), lo
            while day <= hi:
                running += self._day_time(day)
                sums.append(running)
                day += dt.timedelta(days=1)
            base = lo
            self.__dict__["_running"] = (base, sums)   # a cache on a frozen dataclass
        return sums[(last - base).days - 1] - sums[(first - base).days]

    def working_hours_between(self, start: dt.datetime, end: dt.datetime) -> float:
        return self.working_time_between(start, end) / dt.timedelta(hours=1)

    def next_working_day_at(self, moment: dt.datetime, clock: dt.time) -> dt.datetime:
        """`clock` o'clock on the first working day after the day of `moment`."""
        day = self.next_working_day(self.local_date(moment))
        return dt.datetime.combine(day, clock, tzinfo=self.tz)

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """`days` working days after `start`: the same clock time on the n-th next working day
        when `start` falls within a working day; otherwise the close of the n-th working day,
        counting from the next opening (a parcel received on Saturday is due Monday evening)."""
        if days < 0:
            raise CalendarError(_("cannot add a negative number of working days ({days})", days=days))
        local = start.astimezone(self.tz)
        day = local.date()
        if self.within_working_day(start):
            for _ignored in range(days):
                day = self.next_working_day(day)
            return dt.datetime.combine(day, local.time(), tzinfo=self.tz)
        opening = self.add_working_hours(start, 0)
        day = self.local_date(opening)
        for _ignored in range(max(days - 1, 0)):
            day = self.next_working_day(day)
        return self.end_of_working_day(day) if days else opening

    def working_days_between(self, start: dt.datetime, end: dt.datetime, split: dt.time) -> float:
        """Working days touched by [start, end), in half days: each working day counts 0.5 for
        any working time taken before `split` (the morning) and 0.5 for any after it. Days that
        are not working days (weekends, holidays) count 0; make-up workdays count."""
        start, end = start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)
        if end <= start:
            return 0.0
        total = 0.0
        day, last = self.local_date(start), self.local_date(end - dt.timedelta(microseconds=1))
        self._note(day)
        self._note(last)
        while day <= last:
            noon = dt.datetime.combine(day, split, tzinfo=self.tz).astimezone(dt.timezone.utc)
            morning = afternoon = False
            for a, b in self.intervals(day):
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    morning |= lo < noon
                    afternoon |= hi > noon
            total += 0.5 * morning + 0.5 * afternoon
            day += dt.timedelta(days=1)
        return total

    def holidays_between(self, start: dt.datetime, end: dt.datetime) -> list[dt.date]:
        first, last = self.local_date(start), self.local_date(end - dt.timedelta(microseconds=1))
        self._note(first)
        self._note(last)
        return sorted(d for d in self.holidays if first <= d <= last)


def _as_timedelta(hours) -> dt.timedelta:
    if isinstance(hours, dt.timedelta):
        return hours
    if isinstance(hours, (int, float)):
        return dt.timedelta(hours=hours)
    return dt.timedelta(seconds=float(hours * 3600))       # a Decimal
