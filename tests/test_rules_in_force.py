"""Rules in force (SPEC §9): a policy change never rewrites the past — each deadline, penalty and
absence is computed with the policy version in force when its clock started."""

from __future__ import annotations

import pytest

from tests.conftest import Repo

SUPERVISOR = ("-c", "user.name=赵主管", "-c", "user.email=zhaozg@example.com")


def change_policy(repo: Repo, old: str, new: str, effective: str | None = None, *, commit=True) -> None:
    policy = repo.records / "policy.yaml"
    text = policy.read_text()
    assert old in text
    text = text.replace(old, new, 1)
    if effective:
        text = "\n".join(line for line in text.splitlines() if not line.startswith("effective:")) + \
            f"\neffective: {effective}\n"
    policy.write_text(text)
    if commit:
        repo.git(*SUPERVISOR, "commit", "-qam", "policy change")


def complaint(repo: Repo, now: str) -> str:
    return repo.ticket(customer="王", summary="x", now=now, route_to="售后")


def test_a_closed_months_stats_and_score_sheet_do_not_change_with_a_later_policy(repo):
    late = complaint(repo, "2026-11-02T09:00")                   # 16 working hours: due Tue 11-03 18:00
    repo.run("ticket", "resolve", late, as_="lisi", now="2026-11-03T17:00")
    repo.run("score", "add", "--person", "lisi", "--code", "PHONE_RINGS", "--date", "2026-11-05", as_="liubz",
             now="2026-11-05T18:00")
    stats = repo.json("report", "stats", "--period", "2026-11", now="2026-12-02T09:00")
    sheet = repo.json("report", "scores", "--period", "2026-11", now="2026-12-02T09:00")
    assert stats["total"]["on_time_rate"] == 1.0
    change_policy(repo, "complaint_hours: {normal: 16,", "complaint_hours: {normal: 2,", "2026-12-01")
    change_policy(repo, "PHONE_RINGS: {points: 1,", "PHONE_RINGS: {points: 4,", "2026-12-01")
    assert repo.json("report", "stats", "--period", "2026-11", now="2026-12-02T09:00") == stats
    assert repo.json("report", "scores", "--period", "2026-11", now="2026-12-02T09:00") == sheet
    repo.run("score", "add", "--person", "lisi", "--code", "PHONE_RINGS", "--date", "2026-12-03", as_="liubz",
             now="2026-12-03T18:00")
    december = {r["person"]: r for r in repo.json("report", "scores", "--period", "2026-12", now="2026-12-04T09:00")}
    assert december["lisi"]["deductions"] == 4                   # December's event: December's catalog
    assert repo.run("validate", "--history").exit_code == 0


def test_the_clock_start_picks_the_version_on_each_side_of_the_effective_date(repo):
    change_policy(repo, "complaint_hours: {normal: 16,", "complaint_hours: {normal: 2,", "2026-11-10")
    before = complaint(repo, "2026-11-09T09:00")                  # Monday: old rules, 16 working hours
    after = complaint(repo, "2026-11-10T09:00")                   # Tuesday: new rules, 2 working hours
    assert repo.json("ticket", "show", before, now="2026-11-10T10:00")["due"] == "2026-11-10T18:00:00+08:00"
    assert repo.json("ticket", "show", after, now="2026-11-10T10:00")["due"] == "2026-11-10T11:00:00+08:00"
    reopened = complaint(repo, "2026-11-06T09:00")                # resolved under the old, reopened under the new
    repo.run("ticket", "resolve", reopened, as_="lisi", now="2026-11-06T10:00")
    repo.run("ticket", "callback", reopened, "--outcome", "reached", "--satisfaction", "1", now="2026-11-11T09:00")
    assert repo.json("ticket", "show", reopened, now="2026-11-11T09:00")["due"] == "2026-11-11T11:00:00+08:00"


def test_each_years_holiday_calendar_in_one_report(repo):
    """The days off of a year are a fact, not a rule (《客服部请假制度》's calendar, SPEC §9): a
    year's holidays are those of the newest version that lists that year, in every version. A
    version that keeps 2026's party and adds 2027's: both count; one that drops 2026's entry
    says 2026-12-25 was a working day after all."""
    change_policy(repo, "  holidays:\n", "  holidays:\n    2026-12-25: 公司年会\n", "2026-11-01")
    change_policy(repo, "    2026-12-25: 公司年会\n", "    2026-12-25: 公司年会\n    2027-01-13: 公司年会\n",
                  "2027-01-01")
    christmas_eve = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "甲",
                             "--summary", "x", now="2026-12-24T19:00")     # after 18:00; the 25th is off in 2026
    january = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "乙",
                       "--summary", "x", now="2027-01-12T19:00")           # the 13th is off in the 2027 version
    rows = {r["id"]: r["due"] for r in repo.json("report", "overdue", now="2027-01-15T09:00")}
    assert rows == {christmas_eve: "2026-12-28T12:00:00+08:00", january: "2027-01-14T12:00:00+08:00"}
    change_policy(repo, "    2026-12-25: 公司年会\n", "", "2027-01-01")          # the newest says: no party in 2026
    rows = {r["id"]: r["due"] for r in repo.json("report", "overdue", now="2027-01-15T09:00")}
    assert rows[christmas_eve] == "2026-12-25T12:00:00+08:00"


def test_validate_judges_each_entry_by_the_rules_of_its_time(repo):
    code = "    TRIAL_RULE: {points: 1, label: 试行条款}\n"
    change_policy(repo, "  catalog:\n", "  catalog:\n" + code, "2026-11-01")
    repo.run("score", "add", "--person", "lisi", "--code", "TRIAL_RULE", "--date", "2026-11-05", as_="liubz",
             now="2026-11-05T18:00")
    change_policy(repo, code, "", "2026-12-01")                    # the trial ends with November
    assert repo.run("validate", "--history").exit_code == 0       # the code was in the catalog on 11-05
    out = repo.refused("score", "add", "--person", "lisi", "--code", "TRIAL_RULE", "--date", "2026-12-02",
                       as_="liubz", now="2026-12-02T18:00")
    assert "unknown score code 'TRIAL_RULE'" in out


def test_an_uncommitted_policy_applies_from_now_or_its_effective_date(repo):
    record_id = complaint(repo, "2026-11-23T09:00")
    change_policy(repo, "complaint_hours: {normal: 16,", "complaint_hours: {normal: 2,", commit=False)
    assert repo.json("ticket", "show", record_id, now="2026-11-23T09:30")["due"] == "2026-11-24T18:00:00+08:00"
    change_policy(repo, "complaint_hours: {normal: 2,", "complaint_hours: {normal: 2,", "2026-11-23", commit=False)
    assert repo.json("ticket", "show", record_id, now="2026-11-23T09:30")["due"] == "2026-11-23T11:00:00+08:00"


@pytest.mark.usefixtures("chinese")
def test_policy_history_lists_versions_with_what_changed(repo):
    change_policy(repo, "complaint_hours: {normal: 16,", "complaint_hours: {normal: 12,", "2026-12-01")
    rows = repo.json("policy", "history")
    assert len(rows) == 2 and rows[0]["changes"] == "first version"
    assert rows[1] == {"effective": "2026-12-01", "explicit": True, "author": "赵主管 <zhaozg@example.com>",
                       "commit": repo.head()[:10], "date": rows[1]["date"],
                       "changes": "~tickets.complaint_hours.normal"}
    assert "生效日期" in repo.out("policy", "history")


def test_an_effective_date_before_the_previous_versions_is_reported(repo):
    change_policy(repo, "complaint_hours: {normal: 16,", "complaint_hours: {normal: 12,", "2026-12-01")
    change_policy(repo, "complaint_hours: {normal: 12,", "complaint_hours: {normal: 10,", "2026-11-15")
    out = repo.run("validate", "--history", code=1).stdout
    assert (f"EFFECTIVE_BACKWARDS commit {repo.head()[:10]}: zhaozg makes the policy effective 2026-11-15, before "
            "the version it replaces (2026-12-01") in out


def test_a_bad_effective_date_is_a_bad_policy(repo):
    change_policy(repo, "complaint_hours: {normal: 16,", "complaint_hours: {normal: 16,", "2026-02-30", commit=False)
    out = repo.run("validate", code=1).stdout
    assert "BAD_POLICY effective must be a date YYYY-MM-DD" in out


def test_csops_writes_keep_the_policy_history_cache_current(repo, tmp_path):
    import json

    cache = repo.root / ".git" / "csops-cache" / "policy-versions.json"
    versions = len(repo.json("policy", "history"))
    complaint(repo, "2026-11-09T09:00")                 # two csops commits that leave the policy alone
    head = repo.git("rev-parse", "HEAD").strip()
    assert json.loads(cache.read_text())["head"] == head
    trace = tmp_path / "trace"
    repo.run("report", "overdue", env={"GIT_TRACE": str(trace)})
    assert "git log" not in trace.read_text()           # the next command asks Git for no history
    repo.run("calendar", "import", "--country", "CN", "--year", "2025", as_="zhaozg")
    assert json.loads(cache.read_text())["head"] != repo.git("rev-parse", "HEAD").strip()
    assert len(repo.json("policy", "history")) == versions + 1     # csops' own policy commit is a version
    change_policy(repo, "complaint_hours: {normal: 16,", "complaint_hours: {normal: 2,")   # by plain git
    assert len(repo.json("policy", "history")) == versions + 2


def test_the_version_in_force_is_told_by_the_instant_in_a_repeated_hour():
    """A zone that repeats an hour (autumn's daylight-saving end): a version that starts at 01:10
    the second time round (EST) is not in force at 01:30 the first time (EDT, 40 minutes
    earlier), though its clock reads later."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from csops.versions import Version, Versions

    from types import SimpleNamespace

    zone = ZoneInfo("America/New_York")
    no_holidays = SimpleNamespace(holidays={}, makeup_days={}, estimated=frozenset(), covered_years=frozenset())
    old, new = SimpleNamespace(calendar=no_holidays), SimpleNamespace(calendar=no_holidays)
    start = dt.datetime(2026, 11, 1, 1, 10, tzinfo=zone, fold=1)          # EST: 06:10 UTC
    versions = Versions([Version(None, "old", start - dt.timedelta(days=30), True, "a", "x", "", "b1", old),
                         Version(None, "new", start, True, "b", "x", "", "b2", new)], new)
    assert versions.at(dt.datetime(2026, 11, 1, 1, 30, tzinfo=zone)) is old             # EDT: 05:30 UTC
    assert versions.at(dt.datetime(2026, 11, 1, 1, 20, tzinfo=zone, fold=1)) is new     # EST: 06:20 UTC
    assert versions.at(dt.datetime(2026, 11, 1, 0, 50, tzinfo=zone, fold=1)) is old
