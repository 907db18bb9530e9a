"""Rule fidelity 3: what a 客服经理's month at a real desk showed wrong, each rule with the seed
sentence it comes from (../shared/seeds/000 … 004)."""

from __future__ import annotations


def complaint(repo, now="2026-12-01T09:00"):
    return repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                    "--summary", "内胆划痕", now=now)


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
