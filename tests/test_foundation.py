"""The foundation through the CLI: one commit per change, identity, refusals, validate, log."""

import json
import subprocess

import pytest
import yaml

from csops import yamlio


def new_inquiry(repo, **kwargs):
    return repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李先生",
                    "--contact", "13912345678", "--summary", "询问发货时间", **kwargs)


def test_init_writes_policy_with_holidays_and_an_empty_roster(tmp_path, repo):
    policy = yamlio.load((repo.records / "policy.yaml").read_text(), numbers=None)
    assert str(policy["calendar"]["holidays"]["2026-10-01"]) == "国庆节"
    assert "2026-09-20" in policy["calendar"]["makeup_workdays"]
    assert policy["timezone"] == "Asia/Shanghai"
    assert "# csops policy" in (repo.records / "policy.yaml").read_text()   # comments kept
    assert repo.git("log", "--format=%s").splitlines()[-1] == "csops init: policy and empty roster"


def test_a_new_record_is_one_commit_authored_by_the_acting_person(repo):
    before = int(repo.git("rev-list", "--count", "HEAD"))
    record_id = new_inquiry(repo)
    assert int(repo.git("rev-list", "--count", "HEAD")) == before + 1
    assert repo.status() == ""
    author = repo.git("log", "-1", "--format=%an <%ae>|%aI|%s|%(trailers:only,unfold)")
    name, date, subject, trailers = author.split("|", 3)
    assert name == "张三 <zhangsan@example.com>"
    assert date == "2026-11-20T10:00:00+08:00"
    assert subject == f"ticket {record_id}: new → registered"
    assert "Csops-Record: " + record_id in trailers and "Csops-By: zhangsan" in trailers
    changed = repo.git("show", "--name-only", "--format=", "HEAD").split()
    assert changed == [f"records/tickets/2026/11/{record_id}.yaml"]


def test_transition_commit_names_the_transition(repo):
    record_id = new_inquiry(repo)
    repo.run("ticket", "route", record_id, "--to-dept", "物流", "--assignee", "lisi")
    assert repo.git("log", "-1", "--format=%s").strip() == f"ticket {record_id}: registered → routed"


def test_written_files_keep_comments_and_load_with_both_loaders(repo):
    record_id = new_inquiry(repo)
    path = repo.path_of(record_id)
    text = path.read_text()
    text = text.replace("summary:", "# 客户很着急\nsummary:")
    path.write_text(text)
    repo.git("commit", "-qam", "hand comment")
    repo.run("ticket", "route", record_id, "--to-dept", "物流")
    after = path.read_text()
    assert "# 客户很着急" in after and "# 工单 ticket" in after
    assert yamlio.load(after) == yamlio.load(after, loader=yamlio.PureLoader)
    assert yaml.load(after, Loader=yaml.SafeLoader)["customer"]["contact"] == "13912345678"  # stays a string


def test_ids_are_dated_random_and_never_reused(repo):
    ids = {new_inquiry(repo) for _ in range(3)}
    assert len(ids) == 3
    for record_id in ids:
        assert record_id.startswith("T-20261120-") and len(record_id.split("-")[2]) == 6


def test_a_record_can_be_named_by_a_unique_part_of_its_id(repo):
    record_id = new_inquiry(repo)
    shown = repo.json("ticket", "show", record_id[-5:].lower())
    assert shown["id"] == record_id
    out = repo.refused("ticket", "show", "NOPE9", code=2)
    assert "no ticket NOPE9" in out


def test_refusal_changes_nothing_and_says_why(repo):
    complaint = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                         "--summary", "商品破损")
    out = repo.refused("ticket", "resolve", complaint)
    assert "complaints must be routed" in out and out.count("\n") == 1


def test_a_role_not_allowed_is_refused(repo):
    out = repo.refused("score", "add", "--person", "lisi", "--code", "PHONE_RINGS", as_="zhangsan")
    assert "ROLE_NOT_ALLOWED" in out and "zhangsan (agent)" in out


def test_uncommitted_edits_to_a_record_are_reported_not_overwritten(repo):
    record_id = new_inquiry(repo)
    path = repo.path_of(record_id)
    path.write_text(path.read_text() + "# half-finished edit\n")
    out = repo.refused("ticket", "route", record_id, "--to-dept", "物流")
    assert "uncommitted changes" in out


def test_a_git_process_holding_the_index_lock_is_waited_for_then_nothing_changes(repo):
    (repo.root / ".git" / "index.lock").write_text("")   # as a running `git commit` holds it
    out = repo.refused("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "x", "--summary", "y",
                       env={"CSOPS_LOCK_TIMEOUT": "0.3"})
    assert "another Git process holds .git/index.lock" in out
    (repo.root / ".git" / "index.lock").unlink()
    assert list(repo.records.rglob("T-*.yaml")) == [] and not list(repo.records.rglob(".*.tmp"))
    assert not (repo.root / ".git" / "csops-journal.json").exists()


def test_the_lock_keeps_two_writers_apart(repo):
    """csops takes .git/csops.lock as the filelock package does: either keeps the other out."""
    import os
    import sys

    from filelock import FileLock

    from csops import txn

    with FileLock(str(repo.root / ".git" / "csops.lock")):
        result = subprocess.run([sys.executable, "-m", "csops", "--records", str(repo.records), "--as", "zhangsan",
                                 "--now", "2026-11-20T10:00", "ticket", "new", "--kind", "inquiry", "--channel",
                                 "chat", "--customer", "x", "--summary", "y"], capture_output=True, text=True,
                                env={**os.environ, "CSOPS_LOCK_TIMEOUT": "0.5"})
    assert result.returncode == 1
    assert "another csops command is writing" in result.stderr
    with txn.repository_lock(repo.root / ".git"):
        with pytest.raises(TimeoutError):
            FileLock(str(repo.root / ".git" / "csops.lock")).acquire(timeout=0.2)
    with txn.repository_lock(repo.root / ".git", timeout=0):       # let go when the block ends
        pass


def test_identity_from_as_env_and_git_email(repo):
    record_id = new_inquiry(repo)
    assert repo.json("ticket", "show", record_id)["created_by"] == "zhangsan"
    result = repo.runner.invoke(__import__("csops.cli", fromlist=["cli"]).cli,
                                ["--records", str(repo.records), "--now", "2026-11-20T11:00", "ticket", "route",
                                 record_id, "--to-dept", "物流"], env={"CSOPS_USER": "lisi"})
    assert result.exit_code == 0, result.output
    repo.git("config", "user.email", "liubz@example.com")
    repo.run("ticket", "resolve", record_id, as_=None, now="2026-11-20T12:00")
    assert repo.git("log", "-1", "--format=%an").strip() == "刘班长"
    repo.git("config", "user.email", "stranger@example.com")
    out = repo.refused("ticket", "close", record_id, as_=None, code=2)
    assert "who is acting" in out


def test_the_first_person_bootstraps_then_only_supervisors_add_people(tmp_path):
    from tests.conftest import Repo

    root = tmp_path / "fresh"
    repo = Repo(root)
    repo.runner.invoke(__import__("csops.cli", fromlist=["cli"]).cli, ["init", str(root)], catch_exceptions=False)
    repo.run("person", "add", "boss", "--name", "老板", "--role", "manager", as_=None)
    repo.run("person", "add", "a1", "--name", "甲", "--role", "agent", "--reports-to", "boss", as_="boss")
    out = repo.refused("person", "add", "a2", "--name", "乙", "--role", "agent", as_="a1")
    assert "may not add people" in out
    assert repo.json("person", "list", as_=None)[0]["id"] == "a1"


def test_generic_list_show_move_and_log(repo):
    record_id = new_inquiry(repo)
    assert [r["id"] for r in repo.json("ticket", "list", "--status", "registered")] == [record_id]
    repo.run("ticket", "move", record_id, "resolved", now="2026-11-20T11:00")
    assert repo.json("ticket", "show", record_id)["status"] == "resolved"
    log = repo.json("log", record_id)
    assert [(r["by"], r["transition"]) for r in log] == [("zhangsan", "new → registered"),
                                                         ("zhangsan", "registered → resolved")]
    out = repo.refused("ticket", "move", record_id, "registered")
    assert "ILLEGAL_TRANSITION" in out


def test_validate_clean_then_compiler_style_problems(repo):
    record_id = new_inquiry(repo)
    assert repo.run("validate").exit_code == 0
    path = repo.path_of(record_id)
    text = path.read_text().replace("to: registered", "to: closed")
    path.write_text(text)
    result = repo.run("validate", code=1)
    rel = path.relative_to(repo.root)
    line = next(i + 1 for i, l in enumerate(text.splitlines()) if "to: closed" in l)
    assert f"{path}:{line}: ILLEGAL_TRANSITION created as closed" in result.stdout or \
        f"{rel}:{line}: ILLEGAL_TRANSITION" in result.stdout, result.stdout
    assert "STATUS_MISMATCH" in result.stdout


def test_validate_reports_malformed_yaml_with_its_line_never_a_traceback(repo):
    bad = repo.records / "tickets" / "2026" / "11" / "T-20261120-BAD000.yaml"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text("id: T-20261120-BAD000\nstatus: [unclosed\nkind: inquiry\n")
    result = repo.run("validate", code=1)
    assert "T-20261120-BAD000.yaml:3: YAML" in result.stdout
    assert "Traceback" not in result.output


def test_validate_checks_ids_people_and_policy(repo):
    record_id = new_inquiry(repo)
    path = repo.path_of(record_id)
    path.rename(path.with_name("T-20261120-OTHER1.yaml"))
    (repo.records / "people" / "ghost.yaml").write_text("id: ghost\nname: 鬼\nrole: wizard\nreports_to: nobody\n")
    out = repo.run("validate", code=1).stdout
    assert "ID_MISMATCH" in out and "role 'wizard'" in out and "reports_to 'nobody'" in out
    policy = repo.records / "policy.yaml"
    policy.write_text(policy.read_text().replace('mon: ["09:00-12:00", "13:00-18:00"]', 'mon: ["09:00-12:00", "11:00-18:00"]'))
    out = repo.run("validate", code=1).stdout
    assert "policy.yaml" in out and "overlap" in out


def test_validate_history_catches_rewrites_deletions_and_impersonation(repo):
    record_id = new_inquiry(repo)
    repo.run("ticket", "route", record_id, "--to-dept", "物流", now="2026-11-20T11:00")
    assert repo.run("validate", "--history").exit_code == 0
    path = repo.path_of(record_id)
    path.write_text(path.read_text().replace("by: zhangsan\n  to: registered", "by: lisi\n  to: registered"))
    repo.git("-c", "user.name=张三", "-c", "user.email=zhangsan@example.com", "commit", "-qam", "sneaky")
    out = repo.run("validate", "--history", code=1).stdout
    assert "HISTORY_REWRITTEN" in out and "commit " in out
    second = new_inquiry(repo)
    repo.git("rm", "-q", str(repo.path_of(second)))
    repo.git("-c", "user.name=张三", "-c", "user.email=zhangsan@example.com", "commit", "-qm", "delete")
    out = repo.run("validate", "--history", code=1).stdout
    assert "RECORD_DELETED" in out


def test_validate_history_since_limits_the_replay(repo):
    record_id = new_inquiry(repo)
    path = repo.path_of(record_id)
    text = path.read_text()
    text = text.replace("status: registered", "status: resolved") + \
        "- at: 2026-11-20T12:00:00+08:00\n  by: lisi\n  from: registered\n  to: resolved\n"
    path.write_text(text)
    repo.git("-c", "user.name=张三", "-c", "user.email=zhangsan@example.com", "commit", "-qam", "as someone else")
    out = repo.run("validate", "--history", code=1).stdout
    assert "BY_NOT_AUTHOR" in out
    head = repo.head()
    assert "BY_NOT_AUTHOR" not in repo.run("validate", "--history", "--since", head).stdout
    assert "not a known revision" in repo.refused("validate", "--history", "--since", "nosuchrev", code=2)


def test_calendar_import_adds_a_year_and_keeps_comments(repo):
    policy = repo.records / "policy.yaml"
    assert "2025-10-01" not in policy.read_text()
    out = repo.out("calendar", "import", "--country", "CN", "--year", "2025", as_="zhaozg")
    assert out.startswith("2025:")
    text = policy.read_text()
    assert "2025-10-01" in text and "2026-10-01" in text and "# csops policy" in text
    assert repo.git("log", "-1", "--format=%an").strip() == "赵主管"
    assert "may not change the policy" in repo.refused("calendar", "import", "--year", "2024", as_="zhangsan")
    assert repo.run("validate").exit_code == 0


def test_person_show_gives_the_chain(repo):
    data = repo.json("person", "show", "zhangsan")
    assert data["chain"] == ["liubz", "zhaozg", "wangjl"]


def test_version_and_help_load_no_heavy_modules():
    import subprocess
    import sys

    code = ("import sys; from csops.cli import cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('git', 'ruamel', 'tabulate', 'yaml')))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


def _csops_with(prelude: str, *args: str) -> subprocess.CompletedProcess:
    """`python -m csops ARGS` with some Python run first in the same process."""
    import sys

    code = f"{prelude}\nimport sys\nsys.argv = ['csops', *{list(args)!r}]\nfrom csops.__main__ import run\nrun()\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_leaving_without_teardown_keeps_exit_hooks_output_and_status(repo, tmp_path):
    """A command ends without the interpreter's teardown, but exit hooks still run, all output
    (even unflushed, through a pipe) arrives, and the exit status is the command's."""
    marker = tmp_path / "hook-ran"
    hook = f"import atexit, pathlib\natexit.register(pathlib.Path({str(marker)!r}).write_text, 'ran')"
    listed = _csops_with(hook, "--records", str(repo.records), "--now", "2026-11-20T10:00", "person", "list",
                         "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert {p["id"] for p in json.loads(listed.stdout)} >= {"zhangsan", "wangjl"}
    assert marker.read_text() == "ran"
    marker.unlink()
    refused = _csops_with(hook, "--records", str(repo.records), "ticket", "show", "T-19990101-NOSUCH")
    assert refused.returncode == 2 and refused.stderr.startswith("csops: ")
    assert marker.read_text() == "ran"


def test_a_thread_still_working_is_waited_for_as_at_a_normal_exit(repo, tmp_path):
    """A non-daemon thread still running when the command returns is not cut off: the process
    leaves the normal way, which waits for it."""
    marker = tmp_path / "thread-done"
    prelude = ("import threading, time, pathlib\n"
               f"threading.Thread(target=lambda: (time.sleep(0.5), pathlib.Path({str(marker)!r}).write_text('done')))"
               ".start()")
    result = _csops_with(prelude, "--records", str(repo.records), "--version")
    assert result.returncode == 0
    assert marker.read_text() == "done"


def test_only_the_program_itself_leaves_early():
    """A caller that catches the exit, a profiler and an exit code no process can have get the
    normal exit: the caller goes on, the profile is printed, Python wraps the code as before."""
    import sys

    caught = ("import sys\nsys.argv = ['csops', '--version']\nfrom csops.__main__ import run\n"
              "def call():\n    try:\n        run()\n    except SystemExit as leaving:\n"
              "        print('went on after', leaving.code)\ncall()\n")
    result = subprocess.run([sys.executable, "-c", caught], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.splitlines()[-1] == "went on after 0"
    profiled = subprocess.run([sys.executable, "-m", "cProfile", "-m", "csops", "--version"], capture_output=True,
                              text=True)
    assert profiled.returncode == 0 and "function calls" in profiled.stdout
    huge = _csops_with("import csops.cli\ndef main(): raise SystemExit(2**32 + 3)\ncsops.cli.main = main")
    assert huge.returncode == 3 and "Traceback" not in huge.stderr


# -- calendar coverage (SPEC §10): a year without its official 调休 schedule is marked estimated ----

def test_init_marks_a_year_without_an_official_schedule_estimated(repo):
    from csops import yamlio

    calendar = yamlio.load((repo.records / "policy.yaml").read_text(encoding="utf-8"), numbers=None)["calendar"]
    assert calendar["estimated"] == [2027]                   # the holidays package knows no 2027 调休 yet
    assert any(str(day).startswith("2027-") for day in calendar["holidays"])


def test_a_deadline_in_an_estimated_year_is_named_once_and_validate_warns(repo):
    result = repo.run("ticket", "new", "--kind", "inquiry", "--channel", "phone", "--customer", "李先生",
                      "--summary", "年底咨询", now="2026-12-31T18:30")
    record_id = result.stdout.strip()
    overdue = repo.run("report", "overdue", now="2027-01-06T09:00")
    assert record_id in overdue.stdout
    assert overdue.stderr.count("warning: the holidays of 2027 are estimated") == 1
    assert "csops calendar import --year 2027" in overdue.stderr
    check = repo.run("validate", now="2027-01-06T09:00")          # a warning: validate still passes
    assert f"{record_id}.yaml" in check.stdout and "warning: ESTIMATED_CALENDAR" in check.stdout
    quiet = repo.run("ticket", "new", "--kind", "inquiry", "--channel", "phone", "--customer", "李先生",
                     "--summary", "年中咨询", now="2026-06-01T10:00")
    assert "estimated" not in quiet.stderr


def test_statistics_over_an_estimated_year_say_so_whether_or_not_the_index_kept_the_figures(repo):
    record_id = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "phone", "--customer", "李先生",
                         "--summary", "年底咨询", now="2026-12-31T18:30")     # counts on the 4th: 2027
    repo.run("ticket", "route", record_id, "--to-dept", "售后", "--assignee", "lisi", now="2027-01-04T09:00")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2027-01-04T10:00")
    runs = [repo.run("report", "stats", "--period", "2027-01", "--format", "json", now="2027-02-01T09:00",
                     env={"CSOPS_CACHE": cache}) for cache in ("off", "on", "on")]   # worked out, kept, read back
    assert [json.loads(r.stdout)["total"]["resolved"] for r in runs] == [1, 1, 1]
    assert [r.stderr.count("warning: the holidays of 2027 are estimated") for r in runs] == [1, 1, 1]
    daily = repo.run("report", "daily", "--date", "2027-01-04", now="2027-02-01T09:00")
    assert daily.stderr.count("warning: the holidays of 2027 are estimated") == 1


def test_a_year_the_policy_has_no_holidays_for_is_named(repo):
    repo.run("ticket", "new", "--kind", "inquiry", "--channel", "phone", "--customer", "李先生",
             "--summary", "很久以后", now="2028-03-01T10:00")
    result = repo.run("report", "overdue", now="2028-03-06T10:00")
    assert "warning: the policy has no holidays for 2028" in result.stderr


def test_importing_a_year_again_with_its_schedule_clears_the_mark(repo, monkeypatch):
    from csops import bootstrap, yamlio

    policy = repo.records / "policy.yaml"
    text, _off, _worked = bootstrap.import_year(policy.read_text(encoding="utf-8"), "CN", 2026)
    assert yamlio.load(text, numbers=None)["calendar"]["estimated"] == [2027]
    monkeypatch.setattr(bootstrap, "holidays_for", lambda country, year: ({"2027-10-01": "国庆节"},
                                                                           {"2027-09-26": "调休"}))
    text, _off, worked = bootstrap.import_year(policy.read_text(encoding="utf-8"), "CN", 2027)
    assert worked == 1 and "estimated" not in yamlio.load(text, numbers=None)["calendar"]


def test_the_estimated_years_must_be_years(repo):
    policy = repo.records / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("estimated:\n  - 2027", "estimated: [soon]"),
                      encoding="utf-8")
    out = repo.run("validate", code=1).stdout
    assert "BAD_CALENDAR" in out and "calendar.estimated" in out


def test_an_old_year_without_make_up_days_is_not_estimated():
    from csops.bootstrap import estimated_schedule, holidays_for

    assert not estimated_schedule("CN", holidays_for("CN", 2000)[1], 2000)      # nothing will be published
    assert estimated_schedule("CN", holidays_for("CN", 2027)[1], 2027)


def test_leave_in_an_estimated_year_warns_and_rebuilding_the_index_does_not(repo):
    import shutil

    repo.run("ticket", "new", "--kind", "inquiry", "--channel", "phone", "--customer", "李先生",
             "--summary", "年底咨询", now="2026-12-31T18:30")              # due in 2027
    shutil.rmtree(repo.root / ".git" / "csops-cache", ignore_errors=True)
    assert "estimated" not in repo.run("score", "list", now="2026-12-31T19:00").stderr   # computes no 2027 date
    leave = repo.run("leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "2027-02-08",
                     "--end", "2027-02-12", "--reason", "探亲", now="2026-12-01T10:00")
    assert "warning: the holidays of 2027 are estimated" in leave.stderr
