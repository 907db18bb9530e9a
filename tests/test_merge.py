"""The merge driver and two clones working offline: both pushes merge, nothing is lost."""

import textwrap

from csops import yamlio
from csops.merge import merge_texts
from tests.conftest import clone, run_git

BASE = textwrap.dedent("""\
    # 工单 ticket
    id: T-20261123-AAAAAA
    status: resolved
    created: 2026-11-23T09:00:00+08:00
    created_by: zhangsan
    kind: complaint
    assignee: lisi   # 负责人
    history:
    - at: 2026-11-23T09:00:00+08:00
      by: zhangsan
      to: registered
    - at: 2026-11-23T09:30:00+08:00
      by: zhangsan
      from: registered
      to: routed
    - at: 2026-11-23T11:00:00+08:00
      by: lisi
      from: routed
      to: resolved
    """)


def append(text, at, by, note, extra=""):
    return text + f"- at: {at}\n  by: {by}\n  from: resolved\n  to: resolved\n  action: callback\n  note: {note}\n" + extra


def test_both_sides_appended_entries_union_by_time():
    ours = append(BASE, "2026-11-24T10:00:00+08:00", "zhangsan", "第一次")
    theirs = append(BASE, "2026-11-24T09:00:00+08:00", "lisi", "更早")
    result = merge_texts(BASE, ours, theirs)
    assert result.conflicts == []
    data = yamlio.load(result.text)
    assert [e.get("note") for e in data["history"]] == [None, None, None, "更早", "第一次"]
    assert "# 负责人" in result.text and "# 工单 ticket" in result.text


def test_status_is_rederived_and_one_sided_changes_win():
    theirs = BASE.replace("status: resolved", "status: closed").replace("kind: complaint", "kind: complaint\nclosure: satisfied") + \
        "- at: 2026-11-24T10:00:00+08:00\n  by: zhangsan\n  from: resolved\n  to: closed\n"
    ours = BASE.replace("assignee: lisi", "assignee: wangwu")
    result = merge_texts(BASE, ours, theirs)
    data = yamlio.load(result.text)
    assert result.conflicts == [] and data["status"] == "closed"
    assert data["closure"] == "satisfied" and data["assignee"] == "wangwu"


def test_the_same_field_changed_differently_is_a_conflict():
    ours = BASE.replace("assignee: lisi", "assignee: wangwu")
    theirs = BASE.replace("assignee: lisi", "assignee: zhaoliu")
    result = merge_texts(BASE, ours, theirs)
    assert result.conflicts == ["assignee"]
    assert "<<<<<<< ours\nassignee: wangwu\n=======\nassignee: zhaoliu\n>>>>>>> theirs\n" in result.text


def test_not_a_record_is_left_to_a_text_merge():
    assert merge_texts("a: 1\n", "a: 2\n", "a: 1\n") is None
    assert merge_texts("a: [\n", "a: 2\n", "a: 1\n") is None




def test_two_clones_offline_both_pushes_merge_and_nothing_is_lost(repo, tmp_path):
    from tests.conftest import Repo

    assert ".gitattributes" in repo.git("ls-files")
    record_id = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王",
                         "--summary", "x", now="2026-11-23T09:00")
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-11-23T09:30")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-23T11:00")
    origin = tmp_path / "origin.git"
    assert run_git(tmp_path, "clone", "-q", "--bare", str(repo.root), str(origin)).returncode == 0
    a, b = Repo(clone(origin, tmp_path / "a")), Repo(clone(origin, tmp_path / "b"))
    a.run("ticket", "callback", record_id, "--outcome", "unreachable", as_="zhangsan", now="2026-11-24T09:00")
    new_in_a = a.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "甲", "--summary", "a",
                     now="2026-11-24T09:05")
    b.run("ticket", "callback", record_id, "--outcome", "unreachable", as_="lisi", now="2026-11-24T10:00")
    new_in_b = b.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "乙", "--summary", "b",
                     now="2026-11-24T10:05")
    assert run_git(a.root, "push", "-q", "origin", "HEAD").returncode == 0
    assert run_git(b.root, "push", "-q", "origin", "HEAD").returncode != 0        # behind: must merge first
    pulled = run_git(b.root, "pull", "-q", "--no-edit", "origin", "HEAD")
    assert pulled.returncode == 0, pulled.stderr
    assert run_git(b.root, "push", "-q", "origin", "HEAD").returncode == 0
    data = b.json("ticket", "show", record_id, now="2026-11-24T11:00")
    assert [c["by"] for c in data["callbacks"]] == ["zhangsan", "lisi"]
    assert len(data["history"]) == 5 and data["status"] == "resolved"
    assert {new_in_a, new_in_b} <= {r["id"] for r in b.json("ticket", "list")}
    result = b.run("validate", "--history", code=None)
    assert result.exit_code == 0, result.output


def test_a_real_conflict_is_named_by_validate(repo, tmp_path):
    from tests.conftest import Repo

    record_id = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王",
                         "--summary", "x", now="2026-11-23T09:00")
    origin = tmp_path / "origin.git"
    run_git(tmp_path, "clone", "-q", "--bare", str(repo.root), str(origin))
    a, b = Repo(clone(origin, tmp_path / "a")), Repo(clone(origin, tmp_path / "b"))
    a.run("ticket", "amend", record_id, "--set", "summary=内胆划痕", "--reason", "补全", as_="zhaozg",
          now="2026-11-23T09:30")
    b.run("ticket", "amend", record_id, "--set", "summary=外壳破损", "--reason", "补全", as_="wangjl",
          now="2026-11-23T09:40")
    run_git(a.root, "push", "-q", "origin", "HEAD")
    pulled = run_git(b.root, "pull", "-q", "--no-edit", "origin", "HEAD")
    assert pulled.returncode != 0 and "CONFLICT" in pulled.stdout + pulled.stderr
    out = b.run("validate", code=1).stdout
    assert f"{record_id}.yaml:1: UNMERGED left conflicted by a merge" in out and "keep one value between" in out
    assert "CONFLICT_MARKERS the file still has merge conflict markers" in out


def _two_clones(repo, tmp_path):
    from tests.conftest import Repo

    origin = tmp_path / "origin.git"
    run_git(tmp_path, "clone", "-q", "--bare", str(repo.root), str(origin))
    return Repo(clone(origin, tmp_path / "a")), Repo(clone(origin, tmp_path / "b"))


def _routed_complaint_in_two_clones(repo, tmp_path):
    """A complaint routed to the warehouse, then two clones of the repository: (id, a, b)."""
    record_id = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王",
                         "--summary", "x", now="2026-11-23T09:00")
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-11-23T09:30")
    return (record_id, *_two_clones(repo, tmp_path))


def test_steps_that_cannot_both_stand_are_a_conflict_not_a_merge(repo, tmp_path):
    """Clone A resolves the ticket while clone B escalates it (merges never corrupt): the
    united history would be illegal (resolved, then routed → routed), so the driver writes no
    record; Git stops with a conflict on that file and the driver names the record and the two
    entries. Nothing illegal is committed; validate names the file as unmerged, with the way out."""
    record_id, a, b = _routed_complaint_in_two_clones(repo, tmp_path)
    a.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-23T10:00")
    b.run("ticket", "escalate", record_id, as_="zhangsan", now="2026-11-23T10:30")
    run_git(a.root, "push", "-q", "origin", "HEAD")
    head = b.head()
    pulled = run_git(b.root, "pull", "-q", "--no-edit", "origin", "HEAD")
    assert pulled.returncode != 0 and "CONFLICT" in pulled.stdout + pulled.stderr
    said = pulled.stdout + pulled.stderr
    assert f"{record_id}" in said and "cannot both stand" in said
    assert "routed→resolved" in said and "routed→routed (escalate)" in said
    assert b.head() == head                                     # no merge commit
    out = b.run("validate", code=1).stdout
    assert f"{record_id}.yaml:1: UNMERGED" in out and "git rebase --skip" in out
    assert "BAD_HISTORY" not in out
    # the way out it names: the escalation not yet pushed is dropped, the resolution stands
    assert run_git(b.root, "merge", "--abort").returncode == 0
    rebased = run_git(b.root, "pull", "-q", "--rebase", "origin", "HEAD")
    assert rebased.returncode != 0 and "cannot both stand" in rebased.stdout + rebased.stderr
    skipped = run_git(b.root, "-c", "core.editor=true", "rebase", "--skip")
    assert skipped.returncode == 0, skipped.stderr
    assert b.json("ticket", "show", record_id)["status"] == "resolved"
    checked = b.run("validate", "--history", code=None)
    assert checked.exit_code == 0, checked.output


def test_steps_that_can_both_stand_still_merge(repo, tmp_path):
    """Escalated first, resolved after: a legal sequence, united as before."""
    record_id, a, b = _routed_complaint_in_two_clones(repo, tmp_path)
    a.run("ticket", "escalate", record_id, as_="zhangsan", now="2026-11-23T10:00")
    b.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-23T10:30")
    run_git(a.root, "push", "-q", "origin", "HEAD")
    assert run_git(b.root, "pull", "-q", "--no-edit", "origin", "HEAD").returncode == 0
    data = b.json("ticket", "show", record_id)
    assert data["status"] == "resolved" and data["level"] == "urgent"
    assert b.run("validate", "--history", code=None).exit_code == 0


def test_entries_of_the_same_second_merge_in_one_order_from_either_side():
    """Ties are ordered by content, not by which side is ours: merging A into B and B into A
    give the same history."""
    ours = append(BASE, "2026-11-24T10:00:00+08:00", "zhangsan", "甲")
    theirs = append(BASE, "2026-11-24T10:00:00+08:00", "lisi", "乙")
    one, other = merge_texts(BASE, ours, theirs), merge_texts(BASE, theirs, ours)
    assert yamlio.load(one.text)["history"] == yamlio.load(other.text)["history"]
    assert [e.get("note") for e in yamlio.load(one.text)["history"]][3:] in (["甲", "乙"], ["乙", "甲"])


def test_four_clones_adding_in_the_same_second_merge_and_the_audit_accepts_every_merge(repo, tmp_path):
    """Four clones each call back at the same --now second; they pull and push in turn (each
    merge sees the others' ties in some order). Every merge lands; validate --history is clean:
    entries of the same second that trade places are no rewrite."""
    from tests.conftest import Repo

    record_id = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王",
                         "--summary", "x", now="2026-11-23T09:00")
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-11-23T09:30")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-23T11:00")
    origin = tmp_path / "origin.git"
    run_git(tmp_path, "clone", "-q", "--bare", str(repo.root), str(origin))
    clones = [Repo(clone(origin, tmp_path / name)) for name in "abcd"]
    for each, who in zip(clones, ["zhangsan", "lisi", "liubz", "zhaozg"]):
        each.run("ticket", "callback", record_id, "--outcome", "unreachable", "--note", who, as_=who,
                  now="2026-11-24T09:00")
    for each in clones + clones[::-1]:
        pulled = run_git(each.root, "pull", "-q", "--no-edit", "origin", "HEAD")
        assert pulled.returncode == 0, pulled.stderr
        assert run_git(each.root, "push", "-q", "origin", "HEAD").returncode == 0
    last = clones[0]
    run_git(last.root, "pull", "-q", "--no-edit", "origin", "HEAD")
    assert len(last.json("ticket", "show", record_id)["callbacks"]) == 4
    result = last.run("validate", "--history", code=None)
    assert result.exit_code == 0, result.output


def test_two_supervisors_filling_different_days_of_one_roster_month_merge(repo, tmp_path):
    """Roster months merge like records: different days (or different people on one day) are
    united; the same person's day set differently on both sides stays a conflict."""
    a, b = _two_clones(repo, tmp_path)
    a.run("roster", "set", "2026-11-28", "--person", "zhangsan", "--shift", "weekend_duty", as_="zhaozg")
    b.run("roster", "set", "2026-11-29", "--person", "lisi", "--shift", "weekend_duty", as_="zhaozg")
    b.run("roster", "set", "2026-11-28", "--person", "lisi", "--shift", "off", as_="zhaozg")
    run_git(a.root, "push", "-q", "origin", "HEAD")
    pulled = run_git(b.root, "pull", "-q", "--no-edit", "origin", "HEAD")
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    sat = {r["person"]: r["shift"] for r in b.json("roster", "show", "--date", "2026-11-28")}
    sun = {r["person"]: r["shift"] for r in b.json("roster", "show", "--date", "2026-11-29")}
    assert sat["zhangsan"] == "weekend_duty" and sat["lisi"] == "off" and sun["lisi"] == "weekend_duty"
    checked = b.run("validate", "--history", code=None)
    assert checked.exit_code == 0, checked.output
    run_git(b.root, "push", "-q", "origin", "HEAD")
    run_git(a.root, "pull", "-q", "--no-edit", "origin", "HEAD")
    a.run("roster", "set", "2026-11-30", "--person", "zhangsan", "--shift", "off", as_="zhaozg")
    b.run("roster", "set", "2026-11-30", "--person", "zhangsan", "--shift", "day", as_="zhaozg")
    run_git(a.root, "push", "-q", "origin", "HEAD")
    pulled = run_git(b.root, "pull", "-q", "--no-edit", "origin", "HEAD")
    assert pulled.returncode != 0 and "2026-11-30 zhangsan" in pulled.stdout + pulled.stderr


def test_two_escalations_from_the_same_level_cannot_both_stand(repo, tmp_path):
    """Both clones raise the same ticket normal → urgent: the states allow it (routed → routed),
    the escalations do not (the second does not start from urgent) — a conflict, not a merge."""
    record_id, a, b = _routed_complaint_in_two_clones(repo, tmp_path)
    a.run("ticket", "escalate", record_id, as_="zhangsan", now="2026-11-23T11:00")
    b.run("ticket", "escalate", record_id, as_="lisi", now="2026-11-23T11:01")
    run_git(a.root, "push", "-q", "origin", "HEAD")
    pulled = run_git(b.root, "pull", "-q", "--no-edit", "origin", "HEAD")
    assert pulled.returncode != 0 and "cannot both stand" in pulled.stdout + pulled.stderr


def test_a_duty_lead_made_off_in_the_other_clone_is_a_conflict(repo, tmp_path):
    """One supervisor makes zhangsan the day's lead, the other gives him the day off: each
    change alone is fine, together the lead is off (BAD_ROSTER) — a conflict, not a merge."""
    repo.run("roster", "set", "2026-11-28", "--person", "zhangsan", "--shift", "weekend_duty", as_="zhaozg")
    a, b = _two_clones(repo, tmp_path)
    a.run("roster", "lead", "2026-11-28", "--person", "zhangsan", as_="zhaozg")
    b.run("roster", "set", "2026-11-28", "--person", "zhangsan", "--shift", "off", as_="zhaozg")
    run_git(a.root, "push", "-q", "origin", "HEAD")
    pulled = run_git(b.root, "pull", "-q", "--no-edit", "origin", "HEAD")
    assert pulled.returncode != 0 and "2026-11-28" in pulled.stdout + pulled.stderr
