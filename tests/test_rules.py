"""Rule fidelity, round 2 (SPEC §3–§6 revised): each test cites the seed line its rule comes from."""

from __future__ import annotations

from tests.conftest import Repo


def complaint(repo: Repo, now: str, assignee="lisi", dept="售后") -> str:
    record_id = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王",
                         "--summary", "x", now=now)
    repo.run("ticket", "route", record_id, "--to-dept", dept, "--assignee", assignee, now=now)
    return record_id


def test_an_inquiry_after_six_counts_on_the_next_working_day(repo):
    # 001: 18点前的留言归类为当天征询数据, 18点以后的征询归类为第二个工作日征询数据
    repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李", "--summary", "晚上留言",
             now="2026-11-30T19:00")                                          # Monday evening, the month's last day
    assert repo.json("report", "stats", "--period", "2026-11", now="2026-12-02T10:00")["total"]["registered"] == 0
    assert repo.json("report", "stats", "--period", "2026-12", now="2026-12-02T10:00")["total"]["registered"] == 1


def test_the_department_a_ticket_was_routed_to_resolves_it(repo):
    # 000: 相关部门需在规定时限内处理并反馈 — the warehouse assignee reports back by resolving
    record_id = complaint(repo, "2026-11-23T09:00", assignee="chenck", dept="仓库")
    out = repo.refused("ticket", "resolve", record_id, as_="qianzj", now="2026-11-23T10:00")
    assert "ROLE_NOT_ALLOWED qianzj (qc) may not resolve a ticket" in out
    repo.run("ticket", "resolve", record_id, as_="chenck", now="2026-11-23T10:00")
    assert repo.run("validate", "--history").exit_code == 0


def test_three_unreachable_calls_in_ten_minutes_are_one_attempt(repo):
    # 002: 如联系信息有误或3—5次联系不上的可做结案 — attempts count when callback_retry_min_hours apart
    record_id = complaint(repo, "2026-11-23T09:00")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-23T10:00")
    for minute in ("11:00", "11:05", "11:10"):
        repo.run("ticket", "callback", record_id, "--outcome", "unreachable", now=f"2026-11-23T{minute}")
    out = repo.refused("ticket", "close", record_id, now="2026-11-23T11:20")
    assert "CALLBACK_REQUIRED" in out and "at least 2 h apart; it has 1 such" in out
    repo.run("ticket", "callback", record_id, "--outcome", "unreachable", now="2026-11-23T13:10")
    repo.run("ticket", "callback", record_id, "--outcome", "unreachable", now="2026-11-23T15:10")
    repo.run("ticket", "close", record_id, now="2026-11-23T15:20")
    assert repo.json("ticket", "show", record_id)["closure"] == "unreachable"


def test_the_callback_clock_does_not_run_over_days_off(repo):
    # 002: 回访人员必须在24小时内给予客户回访 — days that are not working days do not count
    record_id = complaint(repo, "2026-11-20T09:00")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-20T17:00")     # Friday
    data = repo.json("ticket", "show", record_id, now="2026-11-23T09:30")
    assert data["callback_due"] == "2026-11-23T17:00:00+08:00" and data["overdue"] is False


def test_lunch_off_post_costs_every_agent_on_duty_but_not_one_on_leave(repo):
    # 001: 午餐时间轮流顶替,如出现脱岗状态,全体客服人员扣1分 — those on duty; lisi was on approved leave
    leave = repo.out("leave", "new", "--person", "lisi", "--kind", "personal", "--start", "2026-11-25",
                     "--end", "2026-11-25", as_="lisi", now="2026-11-20T09:00")
    repo.run("leave", "approve", leave, as_="liubz", now="2026-11-20T10:00")
    repo.run("score", "add", "--code", "LUNCH_OFF_POST", "--date", "2026-11-25", as_="liubz", now="2026-11-25T14:00")
    sheet = {r["person"]: r for r in repo.json("report", "scores", "--period", "2026-11", now="2026-11-30T18:00")}
    assert sheet["zhangsan"]["deductions"] == 1 and sheet["lisi"]["deductions"] == 0


def test_the_top_of_the_chain_is_approved_by_the_top_approvers(repo):
    # 000: 请事假要逐级办理 — and whoever has nobody above is approved by leave.top_approvers
    out = repo.refused("leave", "new", "--person", "wangjl", "--kind", "personal", "--start", "2026-12-07",
                       "--end", "2026-12-07", as_="wangjl", now="2026-11-20T09:00")
    assert "LEAVE_REFUSED" in out and "leave.top_approvers" in out
    policy = repo.records / "policy.yaml"
    policy.write_text(policy.read_text().replace("  top_approvers: []", "  top_approvers: [zhaozg]"))
    repo.git("-c", "user.name=赵主管", "-c", "user.email=zhaozg@example.com", "commit", "-qam", "top approvers")
    leave = repo.out("leave", "new", "--person", "wangjl", "--kind", "personal", "--start", "2026-12-07",
                     "--end", "2026-12-07", as_="wangjl", now="2026-11-20T09:00")
    assert repo.json("leave", "show", leave, now="2026-11-20T09:00")["next_approver"] == "zhaozg"
    repo.run("leave", "approve", leave, as_="zhaozg", now="2026-11-20T10:00")
    assert repo.json("leave", "show", leave, now="2026-11-20T10:00")["status"] == "approved"


def test_absence_across_two_months_is_counted_once_in_each(repo):
    # 002: 病假满一天,必须持医疗单位证明方可生效 — and each absence day is counted in its own month, once
    leave = repo.out("leave", "new", "--person", "lisi", "--kind", "sick", "--start", "2026-10-29",
                     "--end", "2026-11-03", as_="lisi", now="2026-10-20T09:00")
    repo.run("leave", "approve", leave, as_="liubz", now="2026-10-20T10:00")
    repo.out("score", "derive", "--period", "2026-10", as_="liubz", now="2026-11-10T18:00")
    repo.out("score", "derive", "--period", "2026-11", as_="liubz", now="2026-11-10T18:00")
    events = sorted((e["date"], e["days"]) for e in repo.json("score", "list", now="2026-11-10T18:00")
                    if e["code"] == "ABSENT")
    assert events == [("2026-10-29", 2), ("2026-11-02", 2)]         # Oct 29–30, Nov 2–3 (a weekend between)
    assert repo.out("score", "derive", "--period", "2026-11", as_="liubz", now="2026-11-11T18:00") == ""


def test_a_certificate_attached_later_retracts_the_derived_absence(repo):
    leave = repo.out("leave", "new", "--person", "lisi", "--kind", "sick", "--start", "2026-11-02",
                     "--end", "2026-11-03", as_="lisi", now="2026-10-30T09:00")
    repo.run("leave", "approve", leave, as_="liubz", now="2026-10-30T10:00")
    derived = repo.out("score", "derive", "--period", "2026-11", as_="liubz", now="2026-11-10T18:00")
    repo.run("leave", "certify", leave, "--certificate", "市一医院-017", as_="lisi", now="2026-11-11T09:00")
    result = repo.run("score", "derive", "--period", "2026-11", as_="liubz", now="2026-11-12T18:00")
    assert f"1 retracted ({derived})" in result.stderr
    event = repo.json("score", "show", derived, now="2026-11-12T18:00")
    assert event["status"] == "revoked" and event["history"][-1]["action"] == "retract"
    assert repo.json("report", "scores", "--period", "2026-11", now="2026-11-30T18:00")[0]["absence_days"] == 0
    assert repo.run("validate", "--history").exit_code == 0


def test_only_derived_events_are_retracted(repo):
    event = repo.out("score", "add", "--person", "lisi", "--code", "PHONE_RINGS", as_="liubz", now="2026-11-23T10:00")
    path = repo.path_of(event)
    path.write_text(path.read_text().replace("status: recorded", "status: revoked")
                    + "- at: 2026-11-23T11:00:00+08:00\n  by: liubz\n  from: recorded\n  to: revoked\n"
                      "  action: retract\n  note: x\n")
    assert "NOT_DERIVED only an event `score derive` recorded is retracted by it" in repo.run("validate", code=1).stdout


def test_score_events_and_sheets_concern_customer_service_only(repo):
    # 001 is customer service's list (客服部绩效考核): not the warehouse's
    out = repo.refused("score", "add", "--person", "chenck", "--code", "PHONE_RINGS", as_="liubz",
                       now="2026-11-23T10:00")
    assert "chenck is warehouse: score events concern customer-service roles" in out
    people = {r["person"] for r in repo.json("report", "scores", "--period", "2026-11", now="2026-11-30T18:00")}
    assert people == {"wangjl", "zhaozg", "liubz", "zhangsan", "lisi"}


def test_leaving_early_is_absence_like_lateness_and_first_reply_slow_costs_a_point(repo):
    # 002: 不迟到,不早退 — 早退 like 迟到: ≥ 30 minutes half a day, ≥ 60 a day;
    # 001: 首句征询必须在45秒内回复客人
    repo.run("score", "add", "--person", "lisi", "--code", "EARLY_LEAVE", "--minutes", "40", "--date", "2026-11-23",
             as_="liubz", now="2026-11-23T18:00")
    repo.run("score", "add", "--person", "lisi", "--code", "FIRST_REPLY_SLOW", "--date", "2026-11-23", as_="liubz",
             now="2026-11-23T18:00")
    row = {r["person"]: r for r in repo.json("report", "scores", "--period", "2026-11", now="2026-11-30T18:00")}["lisi"]
    assert row["absence_days"] == 0.5 and row["deductions"] == 1


def test_an_inquiry_resolved_without_a_note_is_message_late(repo):
    # 001: 晚上的留言第二个工作日12点之前必须解决完毕 … 留言未在次日12点前处理完/无批注
    record_id = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李",
                         "--summary", "x", now="2026-11-23T10:00")
    repo.run("ticket", "resolve", record_id, now="2026-11-23T11:00")                       # on time, no note
    repo.out("score", "derive", "--period", "2026-11", as_="liubz", now="2026-11-30T18:00")
    events = [e for e in repo.json("score", "list", now="2026-11-30T18:00") if e["ref"] == record_id]
    assert [(e["code"], e["person"]) for e in events] == [("MESSAGE_LATE", "zhangsan")]
