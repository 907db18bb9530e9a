"""Tickets (SPEC §3) through the CLI: states, deadlines on the business calendar, callbacks,
reopening, escalation, the overdue report and masking."""

import pytest


def new(repo, kind="complaint", level=None, now="2026-11-23T10:00", as_="zhangsan", contact="13812345678"):
    args = ["ticket", "new", "--kind", kind, "--channel", "phone", "--customer", "王女士", "--summary", "商品破损"]
    if level:
        args += ["--level", level]
    if contact:
        args += ["--contact", contact]
    return repo.out(*args, now=now, as_=as_)


def show(repo, record_id, now="2026-11-23T10:00"):
    return repo.show("ticket", record_id, now)


@pytest.mark.parametrize("kind, registered, due", [
    ("inquiry", "2026-11-23T10:00", "2026-11-23T18:00:00+08:00"),    # before the cut-off: that day 18:00
    ("inquiry", "2026-11-23T17:59", "2026-11-23T18:00:00+08:00"),
    ("inquiry", "2026-11-23T18:00", "2026-11-24T12:00:00+08:00"),    # at the cut-off: next working day 12:00
    ("feedback", "2026-11-20T19:30", "2026-11-23T12:00:00+08:00"),   # Friday evening → Monday noon
    ("inquiry", "2026-11-21T10:00", "2026-11-23T12:00:00+08:00"),    # on a Saturday
    ("inquiry", "2026-09-30T19:00", "2026-10-08T12:00:00+08:00"),    # into the National Day week
    ("inquiry", "2026-10-03T10:00", "2026-10-08T12:00:00+08:00"),    # during it
    ("inquiry", "2026-09-19T10:00", "2026-09-20T12:00:00+08:00"),    # Saturday → the make-up Sunday
    ("inquiry", "2026-09-20T10:00", "2026-09-20T18:00:00+08:00"),    # on the make-up Sunday itself
    ("inquiry", "2026-11-23T07:30", "2026-11-23T18:00:00+08:00"),    # before opening on a working day
])
def test_inquiry_and_feedback_deadlines(repo, kind, registered, due):
    record_id = new(repo, kind=kind, now=registered)
    assert show(repo, record_id, now=registered)["due"] == due


@pytest.mark.parametrize("level, registered, due", [
    (None, "2026-11-23T10:00", "2026-11-25T10:00:00+08:00"),          # normal: 16 working hours
    ("urgent", "2026-11-23T11:00", "2026-11-24T11:00:00+08:00"),      # 8 hours across the lunch break
    ("major", "2026-11-23T11:00", "2026-11-23T16:00:00+08:00"),       # 4 hours across lunch
    ("major", "2026-11-23T17:00", "2026-11-24T12:00:00+08:00"),       # ends exactly at 12:00, not 13:00
    ("major", "2026-11-20T17:00", "2026-11-23T12:00:00+08:00"),       # Friday evening → Monday
    ("urgent", "2026-09-30T15:00", "2026-10-08T15:00:00+08:00"),      # across National Day
    ("urgent", "2026-09-18T15:00", "2026-09-20T15:00:00+08:00"),      # onto the make-up Sunday
])
def test_complaint_deadlines_in_working_hours(repo, level, registered, due):
    record_id = new(repo, level=level, now=registered)
    assert show(repo, record_id, now=registered)["due"] == due


def test_complaints_must_be_routed_inquiries_may_be_answered_at_once(repo):
    complaint = new(repo)
    assert "complaints must be routed" in repo.refused("ticket", "resolve", complaint)
    inquiry = new(repo, kind="inquiry")
    repo.run("ticket", "resolve", inquiry, "--note", "已答复", now="2026-11-23T11:00")
    assert show(repo, inquiry)["status"] == "resolved"
    repo.run("ticket", "close", inquiry, now="2026-11-23T11:05")
    assert show(repo, inquiry)["closure"] == "resolved"


def test_rerouting_keeps_history_and_explicit_due_wins(repo):
    record_id = new(repo)
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-11-23T10:30")
    repo.run("ticket", "route", record_id, "--to-dept", "物流", "--assignee", "liubz", "--due", "2026-11-24T12:00",
             now="2026-11-23T11:00")
    data = show(repo, record_id)
    assert [(e.get("from"), e["to"]) for e in data["history"]] == [
        (None, "registered"), ("registered", "routed"), ("routed", "routed")]
    assert data["history"][1]["department"] == "仓库" and data["department"] == "物流"
    assert data["due"] == "2026-11-24T12:00:00+08:00"
    assert "not in the future" in repo.refused("ticket", "route", record_id, "--to-dept", "x", "--due",
                                               "2026-11-01T00:00", code=2, now="2026-11-23T11:10")


def resolved_complaint(repo):
    record_id = new(repo)
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-11-23T10:30")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-23T15:00")
    return record_id


def test_callback_due_24_wall_hours_after_resolution_and_satisfied_callback_closes(repo):
    record_id = resolved_complaint(repo)
    data = show(repo, record_id, now="2026-11-24T14:00")
    assert data["callback_due"] == "2026-11-24T15:00:00+08:00" and data["overdue"] is False
    assert show(repo, record_id, now="2026-11-24T15:01")["overdue"] is True
    assert "CALLBACK_REQUIRED" in repo.refused("ticket", "close", record_id, now="2026-11-24T09:00")
    repo.run("ticket", "callback", record_id, "--outcome", "reached", "--satisfaction", "4", now="2026-11-24T10:00")
    data = show(repo, record_id)
    assert data["status"] == "closed" and data["closure"] == "satisfied" and data["callback_due"] is None
    assert data["callbacks"][0]["satisfaction"] == 4


def test_dissatisfied_callback_reopens_with_a_fresh_deadline(repo):
    record_id = resolved_complaint(repo)
    repo.run("ticket", "callback", record_id, "--outcome", "reached", "--satisfaction", "2", now="2026-11-24T10:00")
    data = show(repo, record_id, now="2026-11-24T10:00")
    assert data["status"] == "routed"
    assert data["due"] == "2026-11-26T10:00:00+08:00"        # 16 working hours from the reopening
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-25T09:00")
    assert show(repo, record_id, now="2026-11-25T09:00")["callback_due"] == "2026-11-26T09:00:00+08:00"


def test_a_complaint_closes_after_three_unreachable_attempts(repo):
    record_id = resolved_complaint(repo)
    for i, when in enumerate(("2026-11-24T10:00", "2026-11-24T14:00", "2026-11-24T17:00")):
        if i:
            assert "CALLBACK_REQUIRED" in repo.refused("ticket", "close", record_id, now=when)
        repo.run("ticket", "callback", record_id, "--outcome", "unreachable", now=when)
    assert show(repo, record_id, now="2026-11-24T17:00")["callback_due"] is None
    repo.run("ticket", "close", record_id, now="2026-11-24T17:30")
    assert show(repo, record_id)["closure"] == "unreachable"


def test_callback_input_errors(repo):
    record_id = resolved_complaint(repo)
    later = "2026-11-24T10:00"
    assert "needs --satisfaction" in repo.refused("ticket", "callback", record_id, "--outcome", "reached", code=2,
                                                  now=later)
    assert "only applies" in repo.refused("ticket", "callback", record_id, "--outcome", "unreachable",
                                          "--satisfaction", "3", code=2, now=later)
    repo.refused("ticket", "callback", record_id, "--outcome", "reached", "--satisfaction", "9", code=2, now=later)
    fresh = new(repo)
    assert "cannot callback" in repo.refused("ticket", "callback", fresh, "--outcome", "unreachable", now=later)


def test_escalation_goes_one_level_up_and_skipping_needs_emergency(repo):
    record_id = new(repo)
    repo.run("ticket", "escalate", record_id, now="2026-11-23T10:10")
    data = show(repo, record_id, now="2026-11-23T10:10")
    assert data["level"] == "urgent"
    assert data["escalations"][0]["reported_to"] == "liubz" and "emergency" not in data["escalations"][0]
    # 000: an escalation brings the deadline forward to 8 working hours from the escalation, never
    # to 8 hours from registration (which would make it overdue at once): Tue 10:10, not Wed 10:00
    assert data["due"] == "2026-11-24T10:10:00+08:00"
    assert "逐级上报" in repo.refused("ticket", "escalate", record_id, "--to", "zhaozg", now="2026-11-23T10:15")
    repo.run("ticket", "escalate", record_id, "--emergency", now="2026-11-23T10:20")
    esc = show(repo, record_id)["escalations"][1]
    assert esc["reported_to"] == "zhaozg" and esc["emergency"] is True and esc["skipped"] == ["liubz"]
    assert esc["report_after"] == "liubz"
    # 000 逐级上报: at major the level stays and the report goes on up, from zhaozg to the manager …
    repo.run("ticket", "escalate", record_id, now="2026-11-23T10:30")
    esc = show(repo, record_id)["escalations"][2]
    assert (esc["from_level"], esc["to_level"], esc["reported_to"]) == ("major", "major", "wangjl")
    # … and when nobody is left above, it is refused
    assert "nobody is left above wangjl" in repo.refused("ticket", "escalate", record_id, now="2026-11-23T10:40")
    assert repo.run("validate").exit_code == 0


def test_report_overdue_lists_resolve_and_callback_with_owner_and_hours(repo):
    late_inquiry = new(repo, kind="inquiry", now="2026-11-20T19:00", contact=None)      # due Mon 12:00
    late_callback = resolved_complaint(repo)                                            # callback due Tue 15:00
    on_time = new(repo, now="2026-11-24T09:00")
    rows = repo.json("report", "overdue", now="2026-11-24T16:00")
    by_id = {r["id"]: r for r in rows}
    assert on_time not in by_id
    assert by_id[late_inquiry] == {"id": late_inquiry, "type": "ticket", "what": "resolve",
                                   "due": "2026-11-23T12:00:00+08:00", "owner": "zhangsan", "overdue_hours": 11.0}
    assert by_id[late_callback]["what"] == "callback" and by_id[late_callback]["owner"] == "lisi"
    assert by_id[late_callback]["overdue_hours"] == 1.0
    assert [r["id"] for r in rows] == [late_inquiry, late_callback]      # most overdue first
    repo.run("report", "overdue", "--fail-if-any", now="2026-11-24T16:00", code=1)
    repo.run("report", "overdue", "--fail-if-any", now="2026-11-20T09:00", code=0)


def test_overdue_hours_skip_the_national_day_week(repo):
    record_id = new(repo, kind="inquiry", now="2026-09-30T10:00")        # due Sep 30 18:00
    rows = repo.json("report", "overdue", now="2026-10-08T10:00")
    assert rows[0]["id"] == record_id and rows[0]["overdue_hours"] == 1.0


def test_contacts_are_masked_in_tables_and_csv_unless_revealed_by_a_supervisor(repo):
    new(repo)
    table = repo.out("ticket", "list")
    assert "138****5678" in table and "13812345678" not in table
    assert "13812345678" not in repo.out("ticket", "list", "--format", "csv")
    assert "zhangsan (agent) may not use --reveal" in repo.refused("ticket", "list", "--reveal")
    assert "13812345678" in repo.out("ticket", "list", "--reveal", as_="zhaozg")


def test_a_hand_made_close_is_reported_like_a_compiler(repo):
    record_id = new(repo)
    path = repo.path_of(record_id)
    text = path.read_text().replace("status: registered", "status: closed") + \
        "- at: 2026-11-23T10:30:00+08:00\n  by: zhangsan\n  from: registered\n  to: closed\n"
    path.write_text(text)
    line = len(text.splitlines())
    rel = path.relative_to(repo.root)
    import os

    cwd = os.getcwd()
    os.chdir(repo.root)
    try:
        out = repo.run("validate", code=1).stdout
    finally:
        os.chdir(cwd)
    assert f"{rel}:{line}: ILLEGAL_TRANSITION registered → closed (complaints must be routed and called back first)" \
        in out.splitlines()
