"""Rule fidelity 3: what a 客服经理's month at a real desk showed wrong, each rule with the seed
sentence it comes from (../shared/seeds/000 … 004)."""

from __future__ import annotations


def complaint(repo, now="2026-12-01T09:00"):
    return repo.ticket(summary="内胆划痕", now=now)


def test_a_callback_is_owed_by_customer_service_not_the_department_it_was_routed_to(repo):
    """000: 客服部门需对投诉进行跟踪回访 — a complaint routed to the warehouse and resolved there is
    called back by its CS owner (who registered it): report overdue names them, and score derive
    records the late callback for them without refusing the month."""
    record_id = complaint(repo)
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "chenck", now="2026-12-01T09:30")
    repo.run("ticket", "resolve", record_id, as_="chenck", now="2026-12-01T11:00")
    rows = repo.json("report", "overdue", now="2026-12-02T12:00")
    assert [(r["what"], r["owner"]) for r in rows] == [("callback", "zhangsan")]
    repo.run("ticket", "callback", record_id, "--outcome", "reached", "--satisfaction", "4", now="2026-12-02T15:00")
    ids = repo.out("score", "derive", "--period", "2026-12", as_="liubz", now="2026-12-31T18:00").split()
    events = repo.json("score", "list", now="2026-12-31T18:00")
    assert [(e["code"], e["person"], e["date"]) for e in events] == [("FOLLOWUP_LATE", "zhangsan", "2026-12-02")]
    assert len(ids) == 1


def test_a_source_nobody_in_customer_service_answers_for_is_listed_and_the_rest_recorded(repo):
    """A transit return registered by the warehouse and re-shipped late has no CS person to answer
    for it: listed (exit 1), while the month's other events are recorded, in one commit."""
    record_id = complaint(repo)
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-12-01T09:30")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-12-01T11:00")
    repo.run("ticket", "callback", record_id, "--outcome", "reached", "--satisfaction", "4", now="2026-12-03T15:00")
    r = repo.out("return", "new", "--kind", "transit", "--order", "O1", "--customer", "赵", "--item", "A:1",
                 as_="chenck", now="2026-12-01T09:00")
    repo.run("return", "move", r, "received", as_="chenck", now="2026-12-01T10:00")
    repo.run("return", "move", r, "reshipped", "--tracking", "SF1", as_="chenck", now="2026-12-03T10:00")
    head = repo.head()
    result = repo.run("score", "derive", "--period", "2026-12", as_="liubz", now="2026-12-31T18:00", code=1)
    assert f"SHIP_LATE {r}" in result.stderr and "chenck" in result.stderr
    assert repo.git("rev-list", "--count", f"{head}..HEAD").strip() == "1"
    assert [e["code"] for e in repo.json("score", "list", now="2026-12-31T18:00")] == ["FOLLOWUP_LATE"]


def test_an_inquiry_is_followed_up_the_next_service_day(repo):
    """001: 征询单第二日必须跟踪,未准时完毕回访工作扣0.5分 — an inquiry resolved on Tuesday is
    followed up by Wednesday 18:00; a late follow-up is FOLLOWUP_LATE for its CS owner."""
    record_id = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李",
                         "--summary", "发货时间", now="2026-12-01T10:00")
    repo.run("ticket", "resolve", record_id, "--note", "已答复", now="2026-12-01T11:00")
    assert repo.json("ticket", "show", record_id, now="2026-12-01T12:00")["callback_due"] == "2026-12-02T18:00:00+08:00"
    repo.run("ticket", "callback", record_id, "--outcome", "reached", "--satisfaction", "5", now="2026-12-03T10:00")
    repo.out("score", "derive", "--period", "2026-12", as_="liubz", now="2026-12-31T18:00")
    events = repo.json("score", "list", now="2026-12-31T18:00")
    assert [(e["code"], e["person"], e["date"]) for e in events] == [("FOLLOWUP_LATE", "zhangsan", "2026-12-03")]


def test_leave_asked_tuesday_for_friday_is_in_time(repo):
    """000/002 一般事假需在三天前提出 — Tuesday 10:00 for Friday is three days: the team lead's
    approval makes it approved, no manager needed, no absence."""
    record_id = repo.out("leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "2026-12-04",
                         "--end", "2026-12-04", "--reason", "家事", now="2026-12-01T10:00")
    shown = repo.json("leave", "show", record_id, now="2026-12-01T10:05")
    assert shown["notice_ok"] is True and "manager_approval" not in shown["needs"]
    repo.run("leave", "approve", record_id, as_="liubz", now="2026-12-01T11:00")
    assert repo.json("leave", "show", record_id, now="2026-12-05T10:00")["status"] == "approved"


def test_a_voided_ticket_counts_only_as_voided_and_the_satisfied_level_is_the_policys(repo):
    """SPEC §11: a voided ticket is never 已登记; 满意率 counts reached callbacks at
    stats.satisfied_min or above (4 here: 满意 = 高度满意 + 一般满意), and the report says so."""
    kept = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李", "--summary", "a",
                    now="2026-12-01T10:00")
    twice = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李", "--summary", "a",
                     now="2026-12-01T10:05")
    repo.run("ticket", "void", twice, "--reason", "重复登记", "--duplicate-of", kept, as_="liubz",
             now="2026-12-01T10:10")
    repo.run("ticket", "resolve", kept, "--note", "答复", now="2026-12-01T11:00")
    repo.run("ticket", "callback", kept, "--outcome", "reached", "--satisfaction", "3", now="2026-12-02T10:00")
    stats = repo.json("report", "stats", "--period", "2026-12", now="2026-12-31T18:00")
    assert (stats["total"]["registered"], stats["total"]["voided"]) == (1, 1)
    assert stats["total"]["satisfaction_rate"] == 1.0 and stats["satisfied_min"] == 3
    daily = {r["person"]: r for r in repo.json("report", "daily", "--date", "2026-12-01", now="2026-12-31T18:00")}
    assert daily["zhangsan"]["registered"] == 1
    policy = repo.records / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("satisfied_min: 3", "satisfied_min: 4"),
                      encoding="utf-8")
    stats = repo.json("report", "stats", "--period", "2026-12", now="2026-12-31T18:00")
    assert stats["total"]["satisfaction_rate"] == 0.0 and stats["satisfied_min"] == 4
    table = repo.out("report", "stats", "--period", "2026-12", "--lang", "zh", now="2026-12-31T18:00")
    assert "满意率：满意度 ≥ 4" in table.splitlines()[0]


def test_masking_is_one_function_for_tickets_and_returns(repo):
    """002: 在任何情况下不泄露客户的任何资料 — a return's phone is masked as a ticket's, and +86 is no
    part of the number."""
    t = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "phone", "--customer", "王",
                 "--contact", "+86 138-1234-5678", "--summary", "x", now="2026-12-01T10:00")
    r = repo.out("return", "new", "--kind", "self", "--order", "O9", "--customer", "王", "--contact",
                 "+86 138-1234-5678", "--item", "A:1", "--reason", "坏了", now="2026-12-01T10:00")
    assert repo.json("ticket", "show", t)["customer"]["contact"] == "138****5678"
    assert repo.json("return", "show", r)["contact"] == "138****5678"
    listed = repo.run("return", "list", "--format", "json").stdout + repo.run("return", "list").stdout
    assert "12345678" not in listed and "138****5678" in listed


def test_the_explanation_of_a_supervisor_who_shares_a_penalty(repo):
    """001: 离开超过1分钟未改状态 — the agent's supervisor loses points too; --explain of the
    supervisor names whose event it was (it exited 70)."""
    repo.run("score", "add", "--person", "zhangsan", "--code", "AWAY_NO_STATUS", "--date", "2026-12-02",
             as_="liubz", now="2026-12-02T18:00")
    rows = repo.json("report", "scores", "--period", "2026-12", "--explain", "zhaozg", now="2026-12-31T18:00")
    assert "AWAY_NO_STATUS by zhangsan: their supervisor also loses points" in str(rows)


def test_a_duty_lead_for_a_range_of_days(repo):
    repo.run("roster", "set", "2026-12-05..2026-12-06", "--person", "liubz", "--shift", "weekend_duty", as_="zhaozg",
             now="2026-12-01T10:00")
    repo.run("roster", "lead", "2026-12-05..2026-12-06", "--person", "liubz", as_="zhaozg", now="2026-12-01T10:00")
    for day in ("2026-12-05", "2026-12-06"):
        leads = [r["person"] for r in repo.json("roster", "show", "--date", day, now="2026-12-01T10:00") if r["duty_lead"]]
        assert leads == ["liubz"]


def test_approvals_in_the_same_minute_keep_their_order(repo):
    """SPEC §5: approvals in the same minute are in order as written — what the CLI accepted,
    validate accepts (it reported APPROVAL_ORDER)."""
    record_id = repo.out("leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "2026-12-02",
                         "--end", "2026-12-02", "--reason", "急事", now="2026-12-01T10:00")     # short notice
    for who in ("liubz", "zhaozg", "wangjl"):
        repo.run("leave", "approve", record_id, as_=who, now="2026-12-01T10:30")
    assert repo.json("leave", "show", record_id, now="2026-12-01T10:31")["status"] == "approved"
    checked = repo.run("validate", "--history", code=None)
    assert checked.exit_code == 0, checked.output


def test_the_head_of_a_department_approves_their_own_staffs_leave(repo):
    """000 请假制度: 逐级办理 — being in the requester's chain is what counts: the warehouse head
    approves the warehouse staff's leave, whatever the policy's role list for approve says."""
    repo.run("person", "add", "xiaocang", "--name", "小仓", "--role", "warehouse", "--reports-to", "chenck",
             as_="wangjl", now="2026-12-01T09:00")
    record_id = repo.out("leave", "new", "--person", "xiaocang", "--kind", "personal", "--start", "2026-12-08",
                         "--end", "2026-12-08", "--reason", "家事", as_="xiaocang", now="2026-12-01T10:00")
    repo.run("leave", "approve", record_id, as_="chenck", now="2026-12-01T11:00")
    assert repo.json("leave", "show", record_id, now="2026-12-01T11:01")["status"] == "approved"
    assert repo.run("validate", "--history", code=None).exit_code == 0


def test_wrong_contact_details_let_a_complaint_close(repo):
    """000/002: 如联系信息有误或3—5次联系不上的可做结案 — one callback that finds the contact
    details wrong (with a note saying how) lets the complaint close, closure wrong_contact."""
    record_id = complaint(repo)
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-12-01T09:30")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-12-01T11:00")
    assert "needs --note" in repo.refused("ticket", "callback", record_id, "--outcome", "wrong_contact",
                                          now="2026-12-01T15:00", code=2)
    repo.run("ticket", "callback", record_id, "--outcome", "wrong_contact", "--note", "空号", now="2026-12-01T15:00")
    repo.run("ticket", "close", record_id, now="2026-12-01T15:05")
    shown = repo.json("ticket", "show", record_id, now="2026-12-01T16:00")
    assert (shown["status"], shown["closure"]) == ("closed", "wrong_contact")
    assert repo.run("validate", "--history", code=None).exit_code == 0


def test_score_confirm_takes_several_events_in_one_commit(repo):
    """001 班长记录, 报告客服主任: the supervisor confirms the week's events at once."""
    ids = [repo.out("score", "add", "--person", who, "--code", "PHONE_RINGS", "--date", "2026-12-02", as_="liubz",
                    now="2026-12-02T18:00") for who in ("zhangsan", "lisi")]
    head = repo.head()
    assert repo.out("score", "confirm", *ids, as_="zhaozg", now="2026-12-03T09:00").split() == ids
    assert repo.git("rev-list", "--count", f"{head}..HEAD").strip() == "1"
    assert {e["status"] for e in repo.json("score", "list", now="2026-12-03T09:00")} == {"confirmed"}


def _qc_checked(repo, results):
    r = repo.out("return", "new", "--kind", "self", "--order", "O7", "--customer", "赵", "--item", "A:1",
                 "--reason", "内胆划痕", now="2026-12-01T09:00")
    repo.run("return", "move", r, "approved", now="2026-12-01T09:10")
    repo.run("return", "move", r, "received", as_="chenck", now="2026-12-01T10:00")
    repo.run("return", "move", r, "inspected", as_="chenck", now="2026-12-01T11:00")
    repo.run("return", "move", r, "qc_checked", "--item", f"A={results}", as_="qianzj", now="2026-12-01T12:00")
    return r


def test_an_exchange_keeps_its_tracking_number(repo):
    """SPEC §4: a --tracking given on exchanged is stored on that step and shown (it was dropped)."""
    r = _qc_checked(repo, "defective")
    repo.run("return", "move", r, "exchanged", "--tracking", "SF-NEW-001", now="2026-12-01T14:00")
    shown = repo.json("return", "show", r)
    assert shown["tracking"] == "SF-NEW-001" and shown["history"][-1]["tracking"] == "SF-NEW-001"
    assert repo.run("validate", "--history", code=None).exit_code == 0


def test_an_option_a_step_does_not_use_is_refused(repo):
    r = _qc_checked(repo, "defective")
    out = repo.refused("return", "move", r, "refunded", "--amount", "10", "--tracking", "SF1", as_="zhoucw",
                       now="2026-12-01T14:00", code=2)
    assert "no good items to send back" in out


def test_lunch_off_post_costs_the_agents_on_duty_that_day(repo):
    """001 午餐轮流顶替时脱岗 — every agent on duty that day, as roster show answers it: on a
    Saturday only the agent rostered for weekend duty, not the one at home."""
    repo.run("roster", "set", "2026-12-05", "--person", "zhangsan", "--shift", "weekend_duty", as_="zhaozg",
             now="2026-12-01T10:00")
    repo.run("score", "add", "--code", "LUNCH_OFF_POST", "--date", "2026-12-05", as_="liubz", now="2026-12-05T18:00")
    on_duty = {r["person"] for r in repo.json("roster", "show", "--date", "2026-12-05", now="2026-12-05T18:00")
               if r["on_duty"]}
    sheet = {r["person"]: r for r in repo.json("report", "scores", "--period", "2026-12", now="2026-12-31T18:00")}
    assert "zhangsan" in on_duty and "lisi" not in on_duty
    assert sheet["zhangsan"]["deductions"] == 1 and sheet["lisi"]["deductions"] == 0


def test_an_emergency_escalation_owes_its_after_the_fact_report(repo):
    """000 逐级上报…紧急情况可越级上报，事后必须向上级汇报 — the report to the level skipped is listed
    in report overdue (owner: who escalated) until `ticket report-after` records it."""
    record_id = complaint(repo)
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-12-01T09:30")
    repo.run("ticket", "escalate", record_id, "--emergency", "--to", "zhaozg", now="2026-12-01T10:00")
    rows = [r for r in repo.json("report", "overdue", now="2026-12-02T11:00") if r["what"] == "report_after"]
    assert [(r["id"], r["owner"]) for r in rows] == [(record_id, "zhangsan")]
    assert "no emergency escalation of yours" in repo.refused("ticket", "report-after", record_id, as_="lisi",
                                                             now="2026-12-02T11:00")
    repo.run("ticket", "report-after", record_id, "--note", "已向刘班长汇报", now="2026-12-02T11:30")
    assert not [r for r in repo.json("report", "overdue", now="2026-12-02T12:00") if r["what"] == "report_after"]
    assert repo.run("validate", "--history", code=None).exit_code == 0


def test_weekend_duty_is_service_time_for_tickets(repo):
    """001 周末值班 — a Saturday the roster staffs is a service day: an inquiry taken at 10:00 is
    due at the end of that day's service hours (17:00), counts in Saturday's 日报, and a Friday
    resolution's callback is due Saturday, not Monday. Teams without a roster see no change."""
    before = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "甲", "--summary", "a",
                      now="2026-11-21T10:00")                  # a Saturday before any roster
    assert repo.json("ticket", "show", before)["due"] == "2026-11-23T12:00:00+08:00"
    repo.run("roster", "set", "2026-12-05", "--person", "zhangsan", "--shift", "weekend_duty", as_="zhaozg",
             now="2026-12-01T10:00")
    saturday = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "乙",
                        "--summary", "b", now="2026-12-05T10:00")
    assert repo.json("ticket", "show", saturday, now="2026-12-05T11:00")["due"] == "2026-12-05T17:00:00+08:00"
    daily = {r["person"]: r for r in repo.json("report", "daily", "--date", "2026-12-05", now="2026-12-05T18:00")}
    assert daily["zhangsan"]["registered"] == 1
    record_id = complaint(repo, now="2026-12-03T09:00")
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-12-03T09:30")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-12-04T10:00")          # a Friday
    assert repo.json("ticket", "show", record_id, now="2026-12-04T11:00")["callback_due"] == \
        "2026-12-05T10:00:00+08:00"


def test_an_absence_on_a_sunday_duty_day_is_dated_that_sunday(repo):
    """002 旷工 — ABSENT is dated on the first absence day, on the person's own schedule: a
    Sunday they were rostered for is that day, not the Monday after."""
    repo.run("roster", "set", "2026-12-06", "--person", "zhangsan", "--shift", "weekend_duty", as_="zhaozg",
             now="2026-12-01T10:00")
    leave = repo.out("leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "2026-12-06",
                     "--end", "2026-12-07", "--reason", "家事", now="2026-12-05T10:00")     # never approved
    repo.out("score", "derive", "--period", "2026-12", as_="liubz", now="2026-12-31T18:00")
    events = [e for e in repo.json("score", "list", now="2026-12-31T18:00") if e["code"] == "ABSENT"]
    assert [(e["ref"], e["date"], e["days"]) for e in events] == [(leave, "2026-12-06", 2)]


def test_a_month_at_the_desk_derives_and_scores_as_counted_by_hand(repo):
    """December at a small desk — weekend duty, a complaint routed to the warehouse, inquiries
    followed up late or answered without a note, leave asked in time, a sick day without a
    certificate, lunch cover and an agent away from their status — derived without a single
    refusal, and the score sheet equal to the hand count (001 points; 002 旷工)."""
    run = repo.run
    run("roster", "set", "2026-12-05", "--person", "zhangsan", "--shift", "weekend_duty", as_="zhaozg",
        now="2026-11-30T10:00")
    a = complaint(repo, now="2026-12-01T09:00")
    run("ticket", "route", a, "--to-dept", "仓库", "--assignee", "chenck", now="2026-12-01T09:30")
    run("ticket", "resolve", a, as_="chenck", now="2026-12-01T11:00")
    run("ticket", "callback", a, "--outcome", "reached", "--satisfaction", "4", now="2026-12-02T15:00")   # 4 h late
    b = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李", "--summary", "b",
                 as_="lisi", now="2026-12-01T10:00")
    run("ticket", "resolve", b, "--note", "已答复", as_="lisi", now="2026-12-01T11:00")
    run("ticket", "callback", b, "--outcome", "reached", "--satisfaction", "5", as_="lisi", now="2026-12-03T10:00")
    c = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "钱", "--summary", "c",
                 as_="lisi", now="2026-12-02T10:00")
    run("ticket", "resolve", c, as_="lisi", now="2026-12-02T11:00")                     # no note: 无批注
    leave = repo.out("leave", "new", "--person", "lisi", "--kind", "personal", "--start", "2026-12-04",
                     "--end", "2026-12-04", "--reason", "家事", as_="lisi", now="2026-12-01T10:00")
    run("leave", "approve", leave, as_="liubz", now="2026-12-01T11:00")
    sick = repo.out("leave", "new", "--person", "zhangsan", "--kind", "sick", "--start", "2026-12-09",
                    "--end", "2026-12-09", "--reason", "发烧", now="2026-12-08T17:00")
    run("leave", "approve", sick, as_="liubz", now="2026-12-08T17:30")
    run("score", "add", "--code", "LUNCH_OFF_POST", "--date", "2026-12-05", as_="liubz", now="2026-12-05T18:00")
    run("score", "add", "--person", "zhangsan", "--code", "AWAY_NO_STATUS", "--date", "2026-12-07", as_="liubz",
        now="2026-12-07T18:00")
    derived = run("score", "derive", "--period", "2026-12", as_="liubz", now="2026-12-31T18:00")
    assert derived.exit_code == 0 and "not recorded" not in derived.stderr
    events = sorted((e["code"], e.get("person"), e["date"]) for e in repo.json("score", "list", now="2026-12-31T18:00")
                    if e.get("derived"))
    assert events == [("ABSENT", "zhangsan", "2026-12-09"), ("FOLLOWUP_LATE", "lisi", "2026-12-03"),
                      ("FOLLOWUP_LATE", "zhangsan", "2026-12-02"), ("MESSAGE_LATE", "lisi", "2026-12-02")]
    sheet = {r["person"]: r for r in repo.json("report", "scores", "--period", "2026-12", now="2026-12-31T18:00")}
    # zhangsan: late callback 0.5 + lunch cover on his duty Saturday 1 + away 1; one sick day unproven
    assert (sheet["zhangsan"]["score"], sheet["zhangsan"]["absence_days"]) == (97.5, 1)
    assert (sheet["lisi"]["score"], sheet["lisi"]["absence_days"]) == (98, 0)      # follow-up 0.5 + 无批注 1.5
    assert sheet["zhaozg"]["score"] == 98                                           # the supervisor's share: 2
    assert sheet["liubz"]["score"] == 100 and sheet["wangjl"]["score"] == 100
    assert run("validate", "--history", code=None).exit_code == 0
