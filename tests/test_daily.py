"""The desk's daily work (SPEC §11): 日报 per person, the same per month or week, 满意率."""

from __future__ import annotations

import pytest

from tests.conftest import Repo


def complaint(repo: Repo, now: str, by="zhangsan") -> str:
    return repo.ticket(customer="王", summary="x", by=by, now=now, route_to="售后")


def busy_day(repo: Repo) -> None:
    first = complaint(repo, "2026-11-23T09:00")                       # due 11-24 18:00
    repo.run("ticket", "resolve", first, as_="lisi", now="2026-11-24T10:00")
    repo.run("ticket", "callback", first, "--outcome", "reached", "--satisfaction", "5", as_="zhangsan",
             now="2026-11-24T11:00")
    late = complaint(repo, "2026-11-20T09:00")                        # due 11-23 10:00 (Friday + Monday)
    repo.run("ticket", "resolve", late, as_="lisi", now="2026-11-24T15:00")
    repo.run("ticket", "callback", late, "--outcome", "reached", "--satisfaction", "2", as_="zhangsan",
             now="2026-11-24T16:00")
    repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李", "--summary", "y",
             as_="lisi", now="2026-11-23T19:00")                      # after 18:00: counts on 11-24 (001)
    ret = repo.out("return", "new", "--kind", "transit", "--order", "TB1", "--customer", "赵", "--item", "A1:1",
                   as_="chenck", now="2026-11-24T09:00")
    repo.run("return", "move", ret, "received", as_="chenck", now="2026-11-24T10:00")


@pytest.mark.usefixtures("chinese")
def test_the_daily_report_counts_each_persons_day_with_a_total(repo):
    # 000/002: 值班长…日报; 001: 18点以后的征询归类为第二个工作日
    busy_day(repo)
    repo.run("roster", "lead", "2026-11-24", "--person", "liubz", as_="zhaozg", now="2026-11-23T10:00")
    rows = {r["person"]: r for r in repo.json("report", "daily", "--date", "2026-11-24", now="2026-11-24T18:00")}
    assert rows["lisi"] == {"person": "lisi", "name": "李四", "registered": 1, "resolved": 2, "on_time": 1,
                            "callbacks": 0, "satisfaction_avg": None, "returns_handled": 0, "duty_lead": False}
    assert rows["zhangsan"]["callbacks"] == 2 and rows["zhangsan"]["satisfaction_avg"] == 3.5
    assert rows["chenck"]["returns_handled"] == 1 and rows["liubz"]["duty_lead"] is True
    assert rows["total"] == {"person": "total", "name": "", "registered": 1, "resolved": 2, "on_time": 1,
                             "callbacks": 2, "satisfaction_avg": 3.5, "returns_handled": 1, "duty_lead": None}
    table = repo.out("report", "daily", "--date", "2026-11-24", now="2026-11-24T18:00")
    assert table.splitlines()[0] == "日报 2026-11-24（值班长：刘班长）" and "合计" in table


def test_the_agents_report_sums_a_period_per_person(repo):
    busy_day(repo)
    rows = {r["person"]: r for r in repo.json("report", "agents", "--period", "2026-11", now="2026-11-30T18:00")}
    assert rows["zhangsan"]["registered"] == 2 and rows["lisi"]["resolved"] == 2
    assert rows["total"]["registered"] == 3
    week = {r["person"]: r for r in repo.json("report", "agents", "--period", "2026-W47", now="2026-11-30T18:00")}
    assert week["zhangsan"]["registered"] == 1                          # the 11-20 complaint only


@pytest.mark.usefixtures("chinese")
def test_stats_give_the_satisfaction_rate_and_the_levels_by_name(repo):
    # 004: 客户满意度 5 高度满意 … 1 极不满意; 满意率 = reached callbacks at 3 or above
    busy_day(repo)
    stats = repo.json("report", "stats", "--period", "2026-11", now="2026-11-30T18:00")
    assert stats["total"]["satisfaction_rate"] == 0.5
    table = repo.out("report", "stats", "--period", "2026-11", now="2026-11-30T18:00")
    assert "满意率" in table and "5 高度满意:1" in table and "2 有些不满意:1" in table


# -- the customer archive 客户档案 (004) ---------------------------------------------------------------

def test_the_archive_shows_by_when_what_a_record_owes_is_due(repo):
    """A resolved complaint owes its 回访: customer show gives the callback's deadline beside it,
    as ticket show does — not the resolution's, long met."""
    ticket = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                      "--contact", "13812345678", "--summary", "划痕", now="2026-11-20T10:00")
    row = repo.json("customer", "show", "13812345678", now="2026-11-20T10:30")["records"][0]
    assert row["owed"] == ["resolve"] and row["due"] == repo.json("ticket", "show", ticket, now="2026-11-20T10:30")["due"]
    repo.run("ticket", "route", ticket, "--to-dept", "售后", "--assignee", "lisi", now="2026-11-20T10:40", code=0)
    repo.run("ticket", "resolve", ticket, "--note", "换货", as_="lisi", now="2026-11-20T11:00", code=0)
    shown = repo.json("ticket", "show", ticket, now="2026-11-20T11:30")
    row = repo.json("customer", "show", "13812345678", now="2026-11-20T11:30")["records"][0]
    assert row["owed"] == ["callback"] and row["due"] == shown["callback_due"] != shown["due"]


def test_a_repeat_caller_is_flagged_and_the_archive_shows_every_contact(repo):
    first = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                     "--contact", "13812345678", "--summary", "电饭煲内胆划痕", "--order", "TB1", now="2026-11-20T10:00")
    repo.run("ticket", "route", first, "--to-dept", "售后", "--assignee", "lisi", now="2026-11-20T10:10")
    result = repo.run("ticket", "new", "--kind", "inquiry", "--channel", "phone", "--customer", "王女士",
                      "--contact", "+86 138-1234-5678", "--summary", "问进度", "--link", first, now="2026-11-23T09:00",
                      env={"CSOPS_LANG": None})
    second = result.stdout.strip()
    assert f"警告：该客户或订单还有未结记录：{first} (同一联系方式)" in result.stderr
    ret = repo.run("return", "new", "--kind", "self", "--order", "TB1", "--customer", "王女士", "--item", "RC-5L:1",
                   now="2026-11-23T09:30", env={"CSOPS_LANG": "zh"})
    assert f"{first} (同一订单)" in ret.stderr and ret.exit_code == 0
    assert repo.json("ticket", "show", second)["links"] == [first]
    data = repo.json("customer", "show", "138 1234 5678", now="2026-11-23T10:00")
    assert data["customer"] == {"name": "王女士", "contact": "138****5678"}
    assert [r["id"] for r in data["records"]] == [second, first]          # newest first; the return has no contact
    assert data["records"][1]["owed"] == ["resolve"] and data["records"][1]["order"] == "TB1"
    by_name = repo.json("customer", "show", "王女士", now="2026-11-23T10:00")
    assert len(by_name["records"]) == 3
    assert "13812345678" in repo.out("customer", "show", "13812345678", "--reveal", as_="zhaozg")
    assert "may not use --reveal" in repo.refused("customer", "show", "13812345678", "--reveal")
    quiet = repo.run("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李",
                     "--contact", "lee@example.com", "--summary", "问", now="2026-11-23T11:00")
    assert quiet.stderr == ""
    assert "no record NOPE" in repo.run("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李",
                                        "--summary", "问", "--link", "NOPE", code=2).output
