"""Leave (SPEC §5): notice, level-by-level approval, holidays, certificates, absence."""

import pytest


def request(repo, person="zhangsan", kind="personal", start="2026-11-30T09:00", end="2026-11-30T18:00",
            now="2026-11-23T10:00", as_=None, code=0, **extra):
    args = ["leave", "new", "--person", person, "--kind", kind, "--start", start, "--end", end]
    for key, value in extra.items():
        args += [f"--{key}", value]
    result = repo.run(*args, now=now, as_=as_ or person, code=code)
    return result.stdout.strip() if code == 0 else result.output


def show(repo, record_id, now="2026-11-23T10:00"):
    return repo.show("leave", record_id, now)


@pytest.mark.parametrize("kind, start, asked, ok", [
    # 000/002 一般事假需在三天前提出；病假需在一天前提出 — calendar days from the request's date
    ("personal", "2026-11-26T10:00", "2026-11-23T10:00", True),     # Monday for Thursday: 3 days
    ("personal", "2026-11-27T09:00", "2026-11-24T10:00", True),     # Tuesday 10:00 for Friday: in time
    ("personal", "2026-11-26T09:59", "2026-11-24T08:00", False),    # Tuesday for Thursday: 2 days
    ("sick", "2026-11-24T10:00", "2026-11-23T10:00", True),         # the day before
    ("sick", "2026-11-24T09:00", "2026-11-23T17:00", True),         # the evening before: in time
    ("sick", "2026-11-24T09:00", "2026-11-24T08:00", False),        # the same morning
    # 000: 特殊事假需在班前一小时提出 — an hour before the start of the shift (09:00), not of the leave
    ("special", "2026-11-23T15:00", "2026-11-23T08:00", True),      # exactly 1 hour before the shift
    ("special", "2026-11-23T15:00", "2026-11-23T08:01", False),     # the leave is hours away, the shift is not
    ("special", "2026-11-23T11:00", "2026-11-23T10:00", False),     # asked during the shift
])
def test_notice_thresholds(repo, kind, start, asked, ok):
    record_id = request(repo, kind=kind, start=start, end=start[:10] + "T18:00", now=asked)
    data = show(repo, record_id)
    assert data["notice_ok"] is ok
    assert ("manager_approval" in data["needs"]) is (not ok)


def test_enough_notice_is_approved_by_the_direct_superior(repo):
    record_id = request(repo)
    assert show(repo, record_id)["next_approver"] == "liubz"
    repo.run("leave", "approve", record_id, as_="liubz", now="2026-11-23T11:00")
    data = show(repo, record_id)
    assert data["status"] == "approved" and data["approvals"] == [{"by": "liubz", "at": "2026-11-23T11:00:00+08:00"}]
    assert data["days"] == 1


def test_short_notice_climbs_the_chain_to_a_manager_one_level_at_a_time(repo):
    record_id = request(repo, start="2026-11-24T09:00", end="2026-11-24T18:00")
    assert "next approver is liubz" in repo.refused("leave", "approve", record_id, as_="zhaozg", now="2026-11-23T11:00")
    assert "next approver is liubz" in repo.refused("leave", "approve", record_id, as_="wangjl", now="2026-11-23T11:00")
    repo.run("leave", "approve", record_id, as_="liubz", now="2026-11-23T11:00")
    assert show(repo, record_id)["status"] == "requested"
    assert "next approver is zhaozg" in repo.refused("leave", "approve", record_id, as_="wangjl", now="2026-11-23T11:10")
    repo.run("leave", "approve", record_id, as_="zhaozg", now="2026-11-23T11:10")
    assert show(repo, record_id)["status"] == "requested"
    repo.run("leave", "approve", record_id, as_="wangjl", now="2026-11-23T11:20")
    data = show(repo, record_id)
    assert data["status"] == "approved" and [a["by"] for a in data["approvals"]] == ["liubz", "zhaozg", "wangjl"]
    assert repo.run("validate").exit_code == 0


def test_nobody_approves_their_own_request_and_only_the_next_approver_rejects(repo):
    record_id = request(repo, person="liubz", as_="liubz")
    assert "their own" in repo.refused("leave", "approve", record_id, as_="liubz", now="2026-11-23T11:00")
    assert "next approver is zhaozg" in repo.refused("leave", "reject", record_id, as_="wangjl", now="2026-11-23T11:00")
    repo.run("leave", "reject", record_id, as_="zhaozg", now="2026-11-23T11:00")
    assert show(repo, record_id)["status"] == "rejected"


def test_holiday_leave_is_refused_with_short_notice_and_needs_a_manager_otherwise(repo):
    out = request(repo, start="2026-10-05T09:00", end="2026-10-05T18:00", now="2026-10-04T10:00", code=1)
    assert "public holiday 2026-10-05" in out
    record_id = request(repo, start="2026-09-30T09:00", end="2026-10-08T18:00", now="2026-09-21T10:00")
    data = show(repo, record_id, now="2026-09-21T10:00")
    assert data["notice_ok"] is True and "manager_approval" in data["needs"]
    assert data["days"] == 2                      # Sep 30 and Oct 8; the holiday week counts 0


def test_days_count_weekends_holidays_and_makeup_workdays(repo):
    across_weekend = request(repo, start="2026-11-27T09:00", end="2026-11-30T18:00", now="2026-11-20T10:00")
    assert show(repo, across_weekend)["days"] == 2
    makeup = request(repo, person="lisi", start="2026-09-18T09:00", end="2026-09-21T18:00", now="2026-09-10T10:00")
    assert show(repo, makeup)["days"] == 3         # Fri, the make-up Sunday 09-20, Mon
    half = request(repo, person="liubz", start="2026-12-01T13:00", end="2026-12-01T18:00", now="2026-11-20T10:00")
    assert show(repo, half)["days"] == 0.5


def test_overlap_is_refused_but_two_halves_of_a_day_are_fine(repo):
    request(repo, start="2026-12-01T09:00", end="2026-12-01T12:00")
    request(repo, start="2026-12-01T13:00", end="2026-12-01T18:00")
    assert "LEAVE_OVERLAP" in request(repo, start="2026-12-01T11:00", end="2026-12-01T14:00", code=1)


def test_missing_or_reversed_dates_are_clear_errors(repo):
    assert "not after --start" in request(repo, start="2026-12-02T09:00", end="2026-12-01T18:00", code=2)
    result = repo.run("leave", "new", "--person", "zhangsan", "--kind", "sick", "--start", "2026-12-01", code=2,
                      as_="zhangsan")
    assert "--end" in result.output
    assert "not an ISO 8601" in request(repo, start="tomorrow", end="2026-12-01", code=2)


def test_absence_without_approval_and_without_a_certificate(repo):
    pending = request(repo, kind="special", start="2026-11-24T09:00", end="2026-11-25T18:00")
    assert show(repo, pending, now="2026-11-24T15:00")["absence_days"] == 1      # the first day, so far
    assert show(repo, pending, now="2026-11-26T09:00")["absence_days"] == 2
    rows = repo.json("report", "overdue", now="2026-11-24T15:00")
    assert rows[0]["id"] == pending and rows[0]["what"] == "approve" and rows[0]["owner"] == "liubz"

    sick = request(repo, person="lisi", kind="sick", start="2026-11-26T09:00", end="2026-11-26T18:00")
    repo.run("leave", "approve", sick, as_="liubz", now="2026-11-23T11:00")
    assert show(repo, sick, now="2026-11-27T09:00")["absence_days"] == 1
    assert "certificate" in show(repo, sick)["needs"]
    repo.run("leave", "certify", sick, "--certificate", "市一医院-1126-017", as_="lisi", now="2026-11-27T09:00")
    data = show(repo, sick, now="2026-11-27T09:00")
    assert data["absence_days"] == 0 and "certificate" not in data["needs"]


def test_withdraw_and_cancel_belong_to_the_requester(repo):
    record_id = request(repo)
    assert "only zhangsan" in repo.refused("leave", "withdraw", record_id, as_="lisi", now="2026-11-23T11:00")
    repo.run("leave", "withdraw", record_id, as_="zhangsan", now="2026-11-23T11:00")
    other = request(repo, start="2026-12-03T09:00", end="2026-12-03T18:00")
    repo.run("leave", "approve", other, as_="liubz", now="2026-11-23T11:00")
    repo.run("leave", "cancel", other, as_="zhangsan", now="2026-11-23T12:00")
    assert show(repo, other)["status"] == "cancelled"
    assert repo.run("validate").exit_code == 0


def test_validate_catches_a_hand_made_skip_level_approval(repo):
    record_id = request(repo)
    path = repo.path_of(record_id)
    path.write_text(path.read_text().replace("status: requested", "status: approved") +
                    "- at: 2026-11-23T11:00:00+08:00\n  by: zhaozg\n  from: requested\n  to: approved\n"
                    "approvals:\n- by: zhaozg\n  at: 2026-11-23T11:00:00+08:00\n")
    out = repo.run("validate", code=1).stdout
    assert "APPROVAL_ORDER" in out and "next approver is liubz" in out
