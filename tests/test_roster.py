"""The duty roster 排班 and swaps 调班 (SPEC §12; 000 不得私自换班、调班, 001 周末值班, 003 值班安排)."""

from __future__ import annotations

import pytest

from tests.conftest import Repo

SAT, SUN = "2026-11-28", "2026-11-29"


def roster(repo: Repo, dates: str, person: str, shift: str, **kw):
    return repo.run("roster", "set", dates, "--person", person, "--shift", shift, as_="zhaozg",
                    now="2026-11-23T10:00", **kw)


def on_duty(repo: Repo, day: str) -> dict:
    return {r["person"]: r for r in repo.json("roster", "show", "--date", day, now="2026-11-23T12:00")}


def swap(repo: Repo, *extra, as_="zhangsan", with_="lisi", day=SAT) -> str:
    return repo.out("swap", "new", "--with", with_, "--date", day, "--reason", "家里有事", *extra, as_=as_,
                    now="2026-11-23T11:00")


@pytest.mark.usefixtures("chinese")
def test_a_weekend_duty_roster_with_its_duty_lead(repo):
    # 001 周末值班; 000 值班长
    roster(repo, f"{SAT}..{SUN}", "zhangsan", "weekend_duty")
    roster(repo, SAT, "liubz", "weekend_duty")
    repo.run("roster", "lead", SAT, "--person", "liubz", as_="zhaozg", now="2026-11-23T10:05")
    day = on_duty(repo, SAT)
    assert day["zhangsan"] == {**day["zhangsan"], "shift": "weekend_duty", "on_duty": True, "duty_lead": False}
    assert day["liubz"]["duty_lead"] is True and day["lisi"] == {**day["lisi"], "shift": None, "on_duty": False}
    assert on_duty(repo, "2026-11-27")["lisi"]["on_duty"] is True        # no entry: the team calendar (Friday)
    week = repo.json("roster", "show", "--week", "2026-W48", now="2026-11-23T12:00")
    assert len(week) == 7 * 9 and {r["date"] for r in week} == {f"2026-11-{d}" for d in range(23, 30)}
    assert "值班长" in repo.out("roster", "show", "--date", SAT, now="2026-11-23T12:00")
    assert len(repo.git("log", "--oneline").splitlines()) == 9 + 1 + 3        # init, people, three roster commits
    assert repo.run("validate", "--history").exit_code == 0


def test_only_a_supervisor_changes_the_roster_and_only_to_known_shifts(repo):
    assert "may not change the duty roster" in repo.refused("roster", "set", SAT, "--person", "zhangsan", "--shift",
                                                            "weekend_duty", as_="liubz", now="2026-11-23T10:00")
    assert "not a shift" in repo.refused("roster", "set", SAT, "--person", "zhangsan", "--shift", "night",
                                         as_="zhaozg", now="2026-11-23T10:00", code=2)
    assert "at most 366 days" in repo.refused("roster", "set", "2026-01-01..2027-06-01", "--person", "zhangsan",
                                              "--shift", "off", as_="zhaozg", now="2026-11-23T10:00", code=2)
    roster(repo, SAT, "zhangsan", "off")
    assert "does not work on 2026-11-28" in repo.refused("roster", "lead", SAT, "--person", "zhangsan", as_="zhaozg",
                                                         now="2026-11-23T10:05", code=2)
    assert "does not work on 2026-11-29" in repo.refused("roster", "lead", SUN, "--person", "lisi", as_="zhaozg",
                                                         now="2026-11-23T10:05", code=2)
    assert "nothing to change" in repo.refused("roster", "set", SAT, "--person", "zhangsan", "--shift", "off",
                                               as_="zhaozg", now="2026-11-23T10:06", code=2)
    assert "write DATE or DATE..DATE" in repo.refused("roster", "set", f"{SAT}..{SUN}..2026-11-30", "--person",
                                                      "lisi", "--shift", "off", as_="zhaozg", now="2026-11-23T10:06",
                                                      code=2)
    out = repo.refused("roster", "set", "2026-11-20", "--person", "lisi", "--shift", "off", as_="zhaozg",
                       now="2026-11-23T10:07")
    assert "2026-11-20 is in the past" in out and "--backfill REASON" in out
    repo.run("--backfill", "补登：当天调休", "roster", "set", "2026-11-20", "--person", "lisi", "--shift", "off",
             as_="zhaozg", now="2026-11-23T10:07")
    assert "Backfill: 补登：当天调休" in repo.git("log", "-1", "--format=%B")


def test_a_swap_needs_the_colleague_then_the_chain_and_only_then_changes_duty(repo):
    # 000: 不得私自换班、调班
    roster(repo, SAT, "zhangsan", "weekend_duty")
    record_id = swap(repo)
    assert "only lisi, the colleague asked, accepts" in repo.refused("swap", "accept", record_id, as_="liubz",
                                                                     now="2026-11-23T11:05")
    assert on_duty(repo, SAT)["zhangsan"]["on_duty"] is True
    repo.run("swap", "accept", record_id, as_="lisi", now="2026-11-23T11:10")
    assert "ROLE_NOT_ALLOWED lisi (agent) may not approve a swap" in repo.refused(
        "swap", "approve", record_id, as_="lisi", now="2026-11-23T11:15")
    assert on_duty(repo, SAT)["lisi"]["on_duty"] is False                     # accepted is not approved
    rows = repo.json("report", "overdue", "--type", "swap", now="2026-11-28T08:00")
    assert [(r["id"], r["what"], r["owner"]) for r in rows] == [(record_id, "approve", "liubz")]
    repo.run("roster", "lead", SAT, "--person", "zhangsan", as_="zhaozg", now="2026-11-23T11:16")
    repo.run("swap", "approve", record_id, as_="liubz", now="2026-11-23T11:20")
    day = on_duty(repo, SAT)
    assert (day["zhangsan"]["on_duty"], day["lisi"]["on_duty"], day["lisi"]["shift"]) == (False, True, "weekend_duty")
    assert day["lisi"]["duty_lead"] is True and day["zhangsan"]["duty_lead"] is False      # the lead goes with the shift
    assert repo.run("validate", "--history").exit_code == 0


def test_a_swap_is_asked_by_oneself_and_approved_by_neither_party(repo):
    thu, fri = "2026-11-26", "2026-11-27"                               # working days on the team calendar
    assert "a swap needs a colleague" in repo.refused("swap", "new", "--with", "zhangsan", "--date", thu, "--reason",
                                                      "x", as_="zhangsan", now="2026-11-23T11:00")
    record_id = swap(repo, as_="liubz", with_="zhangsan", day=thu)     # the team lead asks an agent
    repo.run("swap", "accept", record_id, as_="zhangsan", now="2026-11-23T11:10")
    out = repo.refused("swap", "approve", record_id, as_="liubz", now="2026-11-23T11:15")
    assert "SWAP_REFUSED liubz is a party to this swap and may not approve it" in out
    repo.run("swap", "approve", record_id, as_="zhaozg", now="2026-11-23T11:20")
    declined = swap(repo, day=fri)
    repo.run("swap", "reject", declined, as_="lisi", now="2026-11-23T11:30")
    withdrawn = swap(repo, "--with-date", "2026-12-04", day=fri)
    assert "only zhangsan, who asked, withdraws" in repo.refused("swap", "withdraw", withdrawn, as_="lisi",
                                                                  now="2026-11-23T11:40")
    repo.run("swap", "withdraw", withdrawn, now="2026-11-23T11:40")
    statuses = {r["id"]: r["status"] for r in repo.json("swap", "list")}
    assert statuses == {record_id: "approved", declined: "rejected", withdrawn: "withdrawn"}


def test_a_swap_gives_away_a_real_shift_before_its_day(repo):
    # found by an adversarial pass: a swap of a day off, approved after the day, turned duty around
    assert "SWAP_REFUSED zhangsan has no shift on 2026-11-28 to exchange" in repo.refused(
        "swap", "new", "--with", "lisi", "--date", SAT, "--reason", "x", now="2026-11-23T11:00")
    assert "cannot take part in a swap" in repo.refused("swap", "new", "--with", "chenck", "--date", "2026-11-26",
                                                        "--reason", "x", now="2026-11-23T11:00", code=2)
    record_id = swap(repo, day="2026-11-26")
    repo.run("swap", "accept", record_id, as_="lisi", now="2026-11-23T11:10")
    out = repo.refused("swap", "approve", record_id, as_="liubz", now="2026-11-26T09:00")
    assert "the swap's day 2026-11-26 has begun" in out


def test_leave_days_count_the_persons_own_scheduled_days(repo):
    # 003 值班安排: a leave over a weekend duty counts that day; a rostered day off does not
    roster(repo, SAT, "zhangsan", "weekend_duty")
    roster(repo, "2026-11-30", "zhangsan", "off")
    leave = repo.out("leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "2026-11-27",
                     "--end", "2026-11-30", as_="zhangsan", now="2026-11-20T09:00")
    assert repo.json("leave", "show", leave, now="2026-11-20T09:00")["days"] == 2.0     # Fri + Sat duty; Mon off
    other = repo.out("leave", "new", "--person", "lisi", "--kind", "personal", "--start", "2026-11-27",
                     "--end", "2026-11-30", as_="lisi", now="2026-11-20T09:00")
    assert repo.json("leave", "show", other, now="2026-11-20T09:00")["days"] == 2.0      # Fri + Mon (calendar)


def test_special_leave_notice_runs_to_the_start_of_the_persons_shift(repo):
    # 000: 特殊事假需在班前一小时提出 —班前: the person's own shift
    policy = repo.records / "policy.yaml"
    policy.write_text(policy.read_text().replace("shifts:\n", 'shifts:\n  late: ["13:00-21:00"]\n', 1)
                      + "effective: 2026-11-01\n")
    repo.git("-c", "user.name=赵主管", "-c", "user.email=zhaozg@example.com", "commit", "-qam", "late shift")
    roster(repo, "2026-11-25", "zhangsan", "late")
    late = repo.out("leave", "new", "--person", "zhangsan", "--kind", "special", "--start", "2026-11-25T13:00",
                    "--end", "2026-11-25T21:00", as_="zhangsan", now="2026-11-25T11:30")
    assert repo.json("leave", "show", late, now="2026-11-25T11:30")["notice_ok"] is True
    early = repo.out("leave", "new", "--person", "lisi", "--kind", "special", "--start", "2026-11-25T13:00",
                     "--end", "2026-11-25T18:00", as_="lisi", now="2026-11-25T11:30")
    assert repo.json("leave", "show", early, now="2026-11-25T11:30")["notice_ok"] is False   # shift began 09:00


def test_duty_penalties_concern_people_on_duty(repo):
    # 001: 午餐轮流顶替时脱岗 (everyone on duty), 周末值班脱岗 (the one on weekend duty)
    roster(repo, SAT, "zhangsan", "weekend_duty")
    roster(repo, "2026-11-25", "lisi", "off")
    repo.run("score", "add", "--code", "LUNCH_OFF_POST", "--date", "2026-11-25", as_="liubz", now="2026-11-25T14:00")
    sheet = {r["person"]: r for r in repo.json("report", "scores", "--period", "2026-11", now="2026-11-30T18:00")}
    assert sheet["zhangsan"]["deductions"] == 1 and sheet["lisi"]["deductions"] == 0
    out = repo.refused("score", "add", "--person", "lisi", "--code", "WEEKEND_OFF_POST", "--date", SAT, as_="liubz",
                       now="2026-11-28T18:00")
    assert "lisi was not on duty on 2026-11-28 (duty roster)" in out
    repo.run("score", "add", "--person", "zhangsan", "--code", "WEEKEND_OFF_POST", "--date", SAT, as_="liubz",
             now="2026-11-28T18:00")


def test_validate_checks_the_roster_files_and_the_audit_names_a_hand_edit(repo):
    roster(repo, SAT, "zhangsan", "weekend_duty")
    path = repo.records / "roster" / "2026-11.yaml"
    text = path.read_text()
    path.write_text(text.replace("zhangsan: weekend_duty", "zhangsan: night\n      ghost: off")
                    + "  2026-12-01:\n    shifts: {lisi: off}\n")
    out = repo.run("validate", code=1).stdout
    assert "BAD_ROSTER 2026-11-28: zhangsan: 'night' is not a shift" in out
    assert "UNKNOWN_PERSON 2026-11-28: 'ghost' is not in the roster of people" in out
    assert "BAD_ROSTER '2026-12-01' is not a date of 2026-11" in out
    path.write_text(text.replace("zhangsan: weekend_duty", "zhangsan: off"))
    repo.git("-c", "user.name=张三", "-c", "user.email=zhangsan@example.com", "commit", "-qam", "my day off")
    out = repo.run("validate", "--history", code=1).stdout
    assert "ROSTER_CHANGE_NOT_ALLOWED" in out and "zhangsan (agent) changes the duty roster roster/2026-11.yaml" in out


def test_an_accepted_swap_is_not_corrected_into_another(repo):
    # found by an adversarial pass: amend moved an approved swap to a colleague who never agreed
    record_id = swap(repo, day="2026-11-26")
    repo.run("swap", "accept", record_id, as_="lisi", now="2026-11-23T11:10")
    out = repo.refused("swap", "amend", record_id, "--set", "with=liubz", "--reason", "写错了", as_="zhaozg",
                       now="2026-11-23T11:20")
    assert "SWAP_REFUSED" in out and "already accepted" in out
    repo.run("swap", "amend", record_id, "--set", "reason=家里有事（补充）", "--reason", "补充说明", as_="zhaozg",
             now="2026-11-23T11:25")
