"""The business calendar: each known pitfall, and the algebra that must always hold."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csops.calendar import BusinessCalendar
from csops.errors import CalendarError
from csops.policy import Policy, default_policy_data
from csops.bootstrap import holidays_for

TZ = "Asia/Shanghai"
HOURS = {d: ["09:00-12:00", "13:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def china_2026() -> BusinessCalendar:
    off, worked = holidays_for("CN", 2026)
    return BusinessCalendar.from_config({"working_hours": HOURS, "makeup_workday_hours": ["09:00-12:00", "13:00-18:00"],
                                         "holidays": off, "makeup_workdays": worked}, TZ)


CAL = china_2026()


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text + "+08:00")


def test_the_2026_holidays_and_makeup_workdays_come_from_the_holidays_package():
    off, worked = holidays_for("CN", 2026)
    assert sorted(off) == ["2026-01-01", "2026-01-02", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
                           "2026-02-20", "2026-02-23", "2026-04-06", "2026-05-01", "2026-05-04", "2026-05-05",
                           "2026-06-19", "2026-09-25", "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06",
                           "2026-10-07"]
    assert sorted(worked) == ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]


@pytest.mark.parametrize("start, hours, expected", [
    ("2026-11-23T10:00", 1, "2026-11-23T11:00"),           # plain
    ("2026-11-23T11:00", 2, "2026-11-23T14:00"),           # across the lunch break
    ("2026-11-23T12:30", 1, "2026-11-23T14:00"),           # start in the lunch break
    ("2026-11-23T07:00", 1, "2026-11-23T10:00"),           # start before opening
    ("2026-11-20T20:00", 1, "2026-11-23T10:00"),           # Friday evening → Monday
    ("2026-11-21T10:00", 1, "2026-11-23T10:00"),           # start on a Saturday
    ("2026-11-23T09:00", 3, "2026-11-23T12:00"),           # ends exactly at 12:00, not 13:00
    ("2026-11-23T13:00", 5, "2026-11-23T18:00"),           # ends exactly at closing
    ("2026-09-18T17:00", 2, "2026-09-20T10:00"),           # Friday → the make-up Sunday 2026-09-20
    ("2026-09-30T17:00", 2, "2026-10-08T10:00"),           # across the National Day week
    ("2026-10-01T10:00", 1, "2026-10-08T10:00"),           # start on a holiday
    ("2026-10-09T17:00", 2, "2026-10-10T10:00"),           # Friday → the make-up Saturday 2026-10-10
    ("2026-11-23T10:00", 16, "2026-11-25T10:00"),          # a normal complaint's 16 hours
])
def test_add_working_hours(start, hours, expected):
    assert CAL.add_working_hours(at(start), hours) == at(expected)


def test_working_time_and_days():
    assert CAL.working_hours_between(at("2026-11-23T09:00"), at("2026-11-23T13:00")) == 3    # the lunch break is off
    assert not CAL.is_working_day(dt.date(2026, 10, 5))         # holiday (Monday)
    assert CAL.is_working_day(dt.date(2026, 9, 20))             # make-up Sunday
    assert CAL.next_working_day_at(at("2026-09-30T19:00"), dt.time(12)) == at("2026-10-08T12:00")
    assert CAL.next_working_day_at(at("2026-09-19T10:00"), dt.time(12)) == at("2026-09-20T12:00")
    assert CAL.working_hours_between(at("2026-09-30T17:00"), at("2026-10-08T10:00")) == 2


def test_working_days_in_half_days():
    split = dt.time(12)
    days = CAL.working_days_between
    assert days(at("2026-11-23T09:00"), at("2026-11-23T18:00"), split) == 1
    assert days(at("2026-11-23T09:00"), at("2026-11-23T12:00"), split) == 0.5
    assert days(at("2026-11-23T13:00"), at("2026-11-23T18:00"), split) == 0.5
    assert days(at("2026-11-20T09:00"), at("2026-11-24T00:00"), split) == 2       # Fri + Mon, weekend excluded
    assert days(at("2026-09-18T09:00"), at("2026-09-21T00:00"), split) == 2       # Fri + make-up Sunday
    assert days(at("2026-10-01T09:00"), at("2026-10-01T12:00"), split) == 0       # a half day on a holiday: 0
    assert days(at("2026-09-30T00:00"), at("2026-10-09T00:00"), split) == 2       # Sep 30 and Oct 8 only


def test_add_working_days():
    assert CAL.add_working_days(at("2026-11-20T15:00"), 1) == at("2026-11-23T15:00")   # over a weekend
    assert CAL.add_working_days(at("2026-11-21T10:00"), 1) == at("2026-11-23T18:00")   # received on Saturday
    assert CAL.add_working_days(at("2026-09-30T10:00"), 1) == at("2026-10-08T10:00")


@pytest.mark.parametrize("config, message", [
    ({"working_hours": {}}, "no working hours"),
    ({"working_hours": {"mon": ["09:00-12:00", "11:00-13:00"]}}, "overlap"),
    ({"working_hours": {"mon": ["12:00-09:00"]}}, "ends before it starts"),
    ({"working_hours": {"mon": ["9-12"]}}, "not a time of day"),
    ({"working_hours": {"mon": [540]}}, "not an interval"),
    ({"working_hours": {"funday": ["09:00-12:00"]}}, "unknown weekday"),
    ({"working_hours": {"mon": ["09:00-12:00"]}, "holidays": {"2026-13-01": "x"}}, "not a date"),
    ({"working_hours": {"mon": ["09:00-12:00"]}, "holidays": {"2026-11-23": "x"},
      "makeup_workdays": {"2026-11-23": "y"}, "makeup_workday_hours": ["09:00-12:00"]}, "both a holiday"),
    (None, "not a mapping"),
])
def test_malformed_calendar_is_an_error(config, message):
    with pytest.raises(CalendarError, match=message):
        BusinessCalendar.from_config(config, TZ)


def test_a_calendar_with_no_reachable_working_time_is_an_error_not_a_loop():
    everything_off = {str(dt.date(2026, 1, 1) + dt.timedelta(days=i)): "off" for i in range(4 * 366)}
    cal = BusinessCalendar.from_config({"working_hours": HOURS, "holidays": everything_off}, TZ)
    with pytest.raises(CalendarError, match="no working time"):
        cal.add_working_hours(at("2026-03-01T10:00"), 1)
    with pytest.raises(CalendarError, match="no working time"):
        cal.next_working_day(dt.date(2026, 3, 1))


def test_the_default_policy_calendar_loads():
    policy = Policy(default_policy_data())
    assert policy.calendar.add_working_hours(at("2026-11-23T17:00"), 2) == at("2026-11-24T10:00")


instants = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 6, 30)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=CAL.tz))
minutes = st.integers(min_value=0, max_value=60 * 60)


def _in_closed_working_interval(moment):
    return any(a <= moment <= b for a, b in CAL.intervals(CAL.local_date(moment)))


@settings(max_examples=300, deadline=None)
@given(instants, minutes, minutes)
def test_adding_a_then_b_equals_adding_a_plus_b(start, a, b):
    td = dt.timedelta
    assert CAL.add_working_hours(CAL.add_working_hours(start, td(minutes=a)), td(minutes=b)) == \
        CAL.add_working_hours(start, td(minutes=a + b))


@settings(max_examples=300, deadline=None)
@given(instants, minutes)
def test_the_result_is_always_inside_working_time(start, a):
    assert _in_closed_working_interval(CAL.add_working_hours(start, dt.timedelta(minutes=a)))


@settings(max_examples=300, deadline=None)
@given(instants, minutes)
def test_working_time_between_inverts_add(start, a):
    end = CAL.add_working_hours(start, dt.timedelta(minutes=a))
    assert CAL.working_time_between(start, end) == dt.timedelta(minutes=a)
