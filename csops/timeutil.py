"""Instants and dates: the one place where time zones are resolved, parsed and formatted.

Stored timestamps are ISO 8601 strings with a UTC offset. Input without an offset is read in the
policy's time zone; output is shown in it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from csops.errors import BadInput, PolicyError
from csops.i18n import _

_DATE_ONLY = re.compile(r"^\d{4}-?\d{2}-?\d{2}$")          # 2026-11-23, or ISO basic 20261123
FIRST_YEAR, LAST_YEAR = 2000, 2099      # every date csops accepts (docs/rules.md): calendar walks stay bounded


def in_range(day: dt.date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


def zone(name) -> ZoneInfo:
    if not isinstance(name, str):
        raise PolicyError(_("timezone: {name!r} is not a time zone name",
                            name=name), _('use an IANA name such as Asia/Shanghai'))
    return _zone(name)


@functools.lru_cache(maxsize=32)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise PolicyError(_("unknown time zone {name!r}",
                            name=name), _('use an IANA name such as Asia/Shanghai')) from None


@functools.lru_cache(maxsize=65536)
def _parse_cached(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_instant(value, tz: ZoneInfo, *, what: str = "time", end_of_day: bool = False) -> dt.datetime:
    """An aware datetime from ISO text (offset optional) or a datetime; a bare date is midnight.

    With `end_of_day`, a bare date means the end of that day (midnight of the next), which is
    what a person means by "until 2026-11-25".
    """
    parsed, text = _instant(value, tz, end_of_day)
    if parsed is None:
        raise BadInput(_("{what}: {text!r} is not an ISO 8601 time",
                         what=what, text=text[:60]), _('write e.g. 2026-11-23T09:30 or 2026-11-23T09:30:00+08:00'))
    if parsed is _OUT_OF_RANGE:
        raise BadInput(_("{what}: {text!r} is outside the years {FIRST_YEAR}–{LAST_YEAR}",
                         what=what, text=text[:60], FIRST_YEAR=FIRST_YEAR, LAST_YEAR=LAST_YEAR), _('check the year'))
    return parsed


_OUT_OF_RANGE = object()


def _instant(value, tz: ZoneInfo, end_of_day: bool = False):
    """(the instant, or None, or _OUT_OF_RANGE; the text read): no exception, no message — a
    check over a hundred thousand records reads many a missing time."""
    if isinstance(value, dt.datetime):
        parsed, text = value, value.isoformat()
    else:
        text = value.isoformat() if isinstance(value, dt.date) else str(value).strip()
        parsed = _parse_cached(text)
    if parsed is None:
        return None, text
    if not in_range(parsed.date()):
        return _OUT_OF_RANGE, text
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    if end_of_day and _DATE_ONLY.match(text):
        parsed += dt.timedelta(days=1)
    return parsed, text


_LOOSE_DATE = re.compile(r"^\s*\d{4}\s*[-/.年]?\s*\d{1,2}\s*[-/.月]?\s*\d{1,2}")


def parse_input(value, tz: ZoneInfo, *, what: str = "time", end_of_day: bool = False) -> dt.datetime:
    """A time typed on the command line: ISO 8601, or the ways people write it — 2026/11/23 14:00,
    2026-11-23 14:00, 20261123, 2026.11.23 (python-dateutil reads them; a date must be there, so
    "14:00" alone is refused rather than taken as today)."""
    text = str(value).strip()
    if _parse_cached(text) is not None or not _LOOSE_DATE.match(text):
        return parse_instant(text, tz, what=what, end_of_day=end_of_day)
    from dateutil import parser

    date_only = ":" not in text and "T" not in text.upper()
    try:
        parsed = parser.parse(text.replace("年", "-").replace("月", "-").replace("日", " "), yearfirst=True,
                              dayfirst=False)
        iso = parsed.date().isoformat() if date_only else parsed.isoformat()
    except (ValueError, OverflowError):        # also an offset of a day or more (+25:00)
        raise BadInput(_("{what}: {text!r} is not a time",
                         what=what, text=text[:60]), _('write e.g. 2026-11-23T09:30 or 2026/11/23 09:30')) from None
    return parse_instant(iso, tz, what=what, end_of_day=end_of_day)


def parse_input_date(value, *, what: str = "date") -> dt.date:
    """A date typed on the command line: YYYY-MM-DD, 2026/11/23, 20261123, 2026年11月23日."""
    text = str(value).strip()
    if _LOOSE_DATE.match(text) and not _DATE_ONLY.match(text):
        return parse_input(text, zone("UTC"), what=what).date()
    return parse_date(text, what=what)


def try_instant(value, tz: ZoneInfo) -> dt.datetime | None:
    """Like parse_instant but None for anything unparseable (used by checks that report it)."""
    if value is None:
        return None
    if value.__class__ is not str:
        parsed, _text = _instant(value, tz)
        return None if parsed is _OUT_OF_RANGE else parsed
    # a record's times are read several times over (its fields' check, the history replay, its
    # deadlines): the answer for a text is remembered (a bounded dict: datetimes are immutable)
    key = (value, tz)
    found = _TRIED.get(key, _OUT_OF_RANGE)
    if found is _OUT_OF_RANGE:
        parsed, _text = _instant(value, tz)
        found = None if parsed is _OUT_OF_RANGE else parsed
        if len(_TRIED) >= 16384:
            _TRIED.clear()
        _TRIED[key] = found
    return found


_TRIED: dict = {}


def parse_date(value, *, what: str = "date") -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(_("{what}: {text!r} is not a date",
                         what=what, text=text[:60]), _('write it as YYYY-MM-DD')) from None
    if not in_range(day):
        raise BadInput(_("{what}: {text!r} is outside the years {FIRST_YEAR}–{LAST_YEAR}",
                         what=what, text=text, FIRST_YEAR=FIRST_YEAR, LAST_YEAR=LAST_YEAR), _('check the year'))
    return day


def parse_clock(value, *, what: str = "time of day") -> dt.time:
    """'HH:MM' → time. Ints are refused: YAML 1.1 reads an unquoted 13:00 as the number 780."""
    if isinstance(value, dt.time):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        raise PolicyError(_("{what}: {value!r} is not a time of day",
                            what=what, value=value), _('write it in quotes as "HH:MM"'))
    hours, minutes = (int(p) for p in value.strip().split(":"))
    if hours == 24 and minutes == 0:
        return dt.time.max
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise PolicyError(_("{what}: {value!r} is not a time of day",
                            what=what, value=value), _('write it in quotes as "HH:MM"'))
    return dt.time(hours, minutes)


def format_instant(moment: dt.datetime | None, tz: ZoneInfo) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(tz).isoformat(timespec="seconds")


def format_short(moment: dt.datetime | None, tz: ZoneInfo) -> str:
    """For tables: 2026-11-23 09:30."""
    if moment is None:
        return ""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def period_bounds(period: str, *, weeks: bool = True) -> tuple[dt.date, dt.date]:
    """First and last day of a month YYYY-MM, or (with `weeks`) of an ISO week YYYY-Www."""
    text = (period or "").strip()
    month = re.fullmatch(r"(\d{4})-(\d{2})", text)
    week = re.fullmatch(r"(\d{4})-W(\d{2})", text, flags=re.IGNORECASE) if weeks else None
    try:
        if month and FIRST_YEAR <= int(month[1]) <= LAST_YEAR:
            first = dt.date(int(month[1]), int(month[2]), 1)
            following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return first, following - dt.timedelta(days=1)
        if week and FIRST_YEAR <= int(week[1]) <= LAST_YEAR:
            first = dt.date.fromisocalendar(int(week[1]), int(week[2]), 1)
            return first, first + dt.timedelta(days=6)
    except ValueError:
        pass
    if weeks:
        raise BadInput(_("--period {period!r}: write a month as YYYY-MM or an ISO week as YYYY-Www (e.g. 2026-W48)",
                         period=period))
    raise BadInput(_("--period {period!r}: write a month as YYYY-MM", period=period))


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    return period_bounds(period, weeks=False)
