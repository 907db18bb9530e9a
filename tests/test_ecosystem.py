"""Fitting the desk's tools (SPEC §10 "Git", issue: ecosystem): git present and new enough, init
that cleans up after itself, lenient date input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from tests.conftest import ENV



def init(tmp_path, target, *extra, env=None):
    return subprocess.run([sys.executable, "-m", "csops", "--now", "2026-11-23T09:00", "init", *extra, str(target)],
                          capture_output=True, text=True, cwd=tmp_path, env={**ENV, **(env or {})})


def test_init_makes_main_unless_the_user_chose_a_default_branch(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    result = init(tmp_path, tmp_path / "team", env={"HOME": str(home)})
    assert result.returncode == 0, result.stderr
    branch = subprocess.run(["git", "symbolic-ref", "HEAD"], cwd=tmp_path / "team", capture_output=True, text=True)
    assert branch.stdout.strip() == "refs/heads/main"


def test_no_git_or_an_old_git_is_one_line_and_init_leaves_nothing_behind(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    no_git = init(tmp_path, tmp_path / "a", env={"PATH": str(bin_dir)})
    assert no_git.returncode == 2 and no_git.stderr.count("\n") == 1
    assert "git is not installed" in no_git.stderr and not (tmp_path / "a").exists()
    real = subprocess.run(["which", "git"], capture_output=True, text=True).stdout.strip()
    fake = bin_dir / "git"
    fake.write_text(f'#!/bin/sh\n[ "$1" = "--version" ] && {{ echo "git version 2.20.1"; exit 0; }}\nexec {real} "$@"\n')
    fake.chmod(0o755)
    old = init(tmp_path, tmp_path / "b", env={"PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert old.returncode == 2 and "git version 2.20.1 is too old: csops needs git 2.34 or newer" in old.stderr
    assert not (tmp_path / "b").exists()


def test_init_inside_another_work_tree_needs_inside(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path / "project")], check=True)
    refused = init(tmp_path, tmp_path / "project" / "team")
    assert refused.returncode == 1 and "is inside the Git work tree" in refused.stderr and "--inside" in refused.stderr
    assert not (tmp_path / "project" / "team").exists()
    assert init(tmp_path, tmp_path / "project" / "team", "--inside").returncode == 0


def test_dates_are_read_the_ways_people_write_them(repo):
    for written in ("2026/12/01", "20261201", "2026年12月1日", "2026-12-01"):
        leave = repo.out("leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", written,
                         "--end", written, as_="zhangsan", now="2026-11-20T10:00")
        data = repo.json("leave", "show", leave, now="2026-11-20T10:00")
        assert (data["start"], data["end"]) == ("2026-12-01T00:00:00+08:00", "2026-12-02T00:00:00+08:00"), written
        repo.run("leave", "withdraw", leave, as_="zhangsan", now="2026-11-20T10:01")
    record_id = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "x", "--summary", "y",
                         now="2026/11/20 10:00")
    assert repo.json("ticket", "show", record_id)["created"] == "2026-11-20T10:00:00+08:00"
    assert "is not an ISO 8601 time" in repo.refused(*("ticket", "route", record_id, "--to-dept", "x", "--due",
                                                         "14:00"), code=2)


# SQLite's keywords (https://sqlite.org/lang_keywords.html): a column named by one breaks plain SQL
SQL_KEYWORDS = set("""ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT BEFORE BEGIN
BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT CREATE CROSS CURRENT CURRENT_DATE
CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT DEFERRABLE DEFERRED DELETE DESC DETACH DISTINCT DO DROP EACH ELSE
END ESCAPE EXCEPT EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB
GROUP GROUPS HAVING IF IGNORE IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT INSTEAD INTERSECT INTO IS ISNULL
JOIN KEY LAST LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NO NOT NOTHING NOTNULL NULL NULLS OF OFFSET ON OR ORDER
OTHERS OUTER OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE RANGE RECURSIVE REFERENCES REGEXP REINDEX
RELEASE RENAME REPLACE RESTRICT RETURNING RIGHT ROLLBACK ROW ROWS SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN
TIES TO TRANSACTION TRIGGER UNBOUNDED UNION UNIQUE UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH
WITHOUT""".split())


def test_export_sqlite_gives_analysts_tables_they_can_join(repo, tmp_path):
    import sqlite3

    ticket = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                      "--contact", "13812345678", "--summary", "破损，回电13812345678", now="2026-11-23T09:00")
    repo.run("ticket", "route", ticket, "--to-dept", "售后", "--assignee", "lisi", now="2026-11-23T09:10")
    repo.run("ticket", "resolve", ticket, as_="lisi", now="2026-11-23T10:00")
    repo.run("ticket", "callback", ticket, "--outcome", "reached", "--satisfaction", "4", now="2026-11-23T11:00")
    ret = repo.out("return", "new", "--kind", "self", "--order", "TB1", "--customer", "赵", "--item", "A1:2@华东电子",
                   now="2026-11-23T09:00")
    repo.run("return", "move", ret, "approved", now="2026-11-23T09:05")
    repo.run("return", "move", ret, "received", as_="chenck", now="2026-11-23T10:00")
    repo.run("return", "move", ret, "inspected", as_="chenck", now="2026-11-23T11:00")
    repo.run("return", "move", ret, "qc_checked", "--item", "A1=defective", as_="qianzj", now="2026-11-23T12:00")
    repo.run("return", "move", ret, "refunded", "--amount", "199.90", as_="zhoucw", now="2026-11-23T13:00")
    leave = repo.out("leave", "new", "--person", "lisi", "--kind", "personal", "--start", "2026-12-07",
                     "--end", "2026-12-07", as_="lisi", now="2026-11-23T09:00")
    repo.run("leave", "approve", leave, as_="liubz", now="2026-11-23T10:00")
    swap = repo.out("swap", "new", "--with", "lisi", "--date", "2026-11-27", "--reason", "家里有事", now="2026-11-23T09:00")
    target = tmp_path / "cs.db"
    out = repo.out("export", "sqlite", str(target), now="2026-11-23T14:00")
    assert out.startswith(f"{target}: ") and "tickets 1" in out
    db = sqlite3.connect(target)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("SELECT contact, summary, status FROM tickets").fetchall() == [
        ("138****5678", "破损，回电138****5678", "closed")]
    assert db.execute("SELECT p.name, c.satisfaction FROM callbacks c JOIN people p ON p.id = c.by_person"
                      ).fetchall() == [("张三", 4)]
    # who handles what: the ticket's assignee, department and CS owner, each step's department
    assert db.execute("SELECT assignee, department, cs_owner, order_no FROM tickets").fetchall() == [
        ("lisi", "售后", "lisi", None)]
    assert db.execute("SELECT department, assignee FROM history WHERE to_state = 'routed'").fetchall() == [("售后", "lisi")]
    assert db.execute("SELECT c.contact, c.tickets FROM customers c JOIN tickets t ON t.customer_id = c.id"
                      ).fetchall() == [("138****5678", 1)]
    assert db.execute("SELECT refund_amount, refund_cents FROM returns").fetchall() == [("199.90", 19990)]
    assert db.execute("SELECT sku, defective, supplier FROM return_items").fetchall() == [("A1", 2, "华东电子")]
    assert db.execute("SELECT l.days, a.by_person FROM leave l JOIN approvals a ON a.leave_id = l.id").fetchall() == [
        (1.0, "liubz")]
    steps = db.execute("SELECT to_state FROM history WHERE record_id = ? ORDER BY seq", (ret,)).fetchall()
    assert [s for (s,) in steps] == ["requested", "approved", "received", "inspected", "qc_checked", "refunded"]
    assert db.execute("SELECT id, with_person, status FROM swaps").fetchall() == [(swap, "lisi", "requested")]
    indexes = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"history_by_person", "scores_by_person", "return_items_by_supplier"} <= indexes
    # plain SQL: no column named by a keyword; every reference a foreign key; every table a key
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
        assert not {c.upper() for c in columns} & SQL_KEYWORDS, table
        assert any(row[5] for row in db.execute(f"PRAGMA table_info({table})")), f"{table} has no primary key"
    keys = {(row[2], row[3]) for table in ("tickets", "scores") for row in db.execute(f"PRAGMA foreign_key_list({table})")}
    assert {("tickets", "duplicate_of"), ("records", "ref")} <= keys
    assert {"tickets", "returns", "leave", "scores", "swaps", "people", "customers"} <= {
        name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    db.close()
    assert "may not use --reveal" in repo.refused("export", "sqlite", str(target), "--reveal", as_="zhangsan")
    repo.run("export", "sqlite", str(target), "--reveal", as_="zhaozg")
    assert sqlite3.connect(target).execute("SELECT contact FROM tickets").fetchone() == ("13812345678",)
    assert "is a directory" in repo.run("export", "sqlite", str(tmp_path), code=2).output
    out = repo.run("export", "sqlite", str(tmp_path / "missing" / "cs.db"), code=2).output
    assert "cs.db: cannot write the database" in out and not (tmp_path / "missing").exists()


# -- CI and hooks on a fresh runner -------------------------------------------------------------------

def _init_ci(tmp_path, monkeypatch, spec):
    from click.testing import CliRunner

    import csops.bootstrap
    from csops.cli import cli

    monkeypatch.setattr(csops.bootstrap, "install_spec", lambda: spec)
    result = CliRunner().invoke(cli, ["--now", "2026-11-23T09:00", "init", "--ci", str(tmp_path / "team")])
    assert result.exit_code == 0, result.output
    return tmp_path / "team", result


def _schema_check(path):
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(path)], capture_output=True, text=True, timeout=120)


def test_init_ci_writes_a_pinned_least_privilege_workflow_that_passes_the_actions_schema(tmp_path, monkeypatch):
    from csops import yamlio

    spec = "csops @ git+https://git.example.com/csops.git@0123456789abcdef0123456789abcdef01234567"
    root, result = _init_ci(tmp_path, monkeypatch, spec)
    assert "warning" not in result.stderr
    path = root / ".github" / "workflows" / "csops.yml"
    workflow = yamlio.load(path.read_text(), numbers=None)
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow.get("on", workflow.get(True))["push"]["branches"] == ["main"]      # YAML 1.1 reads `on` as true
    job = workflow["jobs"]["validate"]
    assert job["env"]["CSOPS_SPEC"] == f"${{{{ vars.CSOPS_SPEC || '{spec}' }}}}"
    assert job["steps"][0]["with"]["fetch-depth"] == 0
    validate = job["steps"][-1]
    assert validate["env"]["BASE_REF"] == "${{ github.base_ref }}"        # not spliced into the script
    assert 'csops validate --history --since "origin/$BASE_REF"' in validate["run"]
    checked = _schema_check(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    config = yamlio.load((root / ".pre-commit-config.yaml").read_text(), numbers=None)
    assert config["repos"] == [{"repo": "https://git.example.com/csops.git",
                                "rev": "0123456789abcdef0123456789abcdef01234567",
                                "hooks": [{"id": "csops-validate"}, {"id": "csops-validate-history"}]}]
    broken = tmp_path / "broken.yml"
    broken.write_text(path.read_text().replace("runs-on:", "runs_on:"))
    assert _schema_check(broken).returncode == 1                          # the check can fail
    # the scheduled reports (发布钉钉日报): 09:00 and 18:10 Asia/Shanghai as Actions' UTC cron, every day —
    # the command decides whether it is a working day (调休 included); secrets from the repository's
    notify = root / ".github" / "workflows" / "csops-notify.yml"
    scheduled = yamlio.load(notify.read_text(), numbers=None)
    assert scheduled["permissions"] == {"contents": "read"}
    assert [c["cron"] for c in scheduled.get("on", scheduled.get(True))["schedule"]] == ["0 1 * * *", "10 10 * * *"]
    job = scheduled["jobs"]["notify"]
    assert job["env"]["DINGTALK_SECRET"] == "${{ secrets.DINGTALK_SECRET }}"
    runs = [step.get("run", "") for step in job["steps"]]
    assert any("csops notify overdue" in r and "--working-days-only" in r for r in runs)
    assert any("csops notify daily" in r and "--working-days-only" in r for r in runs)
    checked = _schema_check(notify)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_init_ci_without_a_known_source_says_so_and_the_workflow_fails_clearly(tmp_path, monkeypatch):
    root, result = _init_ci(tmp_path, monkeypatch, None)
    assert "set the repository variable CSOPS_SPEC" in result.stderr
    path = root / ".github" / "workflows" / "csops.yml"
    text = path.read_text()
    assert "vars.CSOPS_SPEC || ''" in text and "::error::where to install csops from is not known" in text
    assert _schema_check(path).returncode == 0
    assert "language: system" in (root / ".pre-commit-config.yaml").read_text()


def test_the_install_spec_comes_from_the_install_metadata(monkeypatch):
    from importlib import metadata

    from csops.bootstrap import install_spec

    class Dist:
        version = "0.2.0"

        def __init__(self, direct):
            self.direct = direct

        def read_text(self, name):
            return self.direct if name == "direct_url.json" else None

    cases = [
        ('{"url": "https://git.example.com/csops.git", "vcs_info": {"vcs": "git", "commit_id": "abc123"}}',
         "csops @ git+https://git.example.com/csops.git@abc123"),
        ('{"url": "https://files.example.com/csops-0.2.0-py3-none-any.whl", "archive_info": '
         '{"hashes": {"sha256": "ff00"}}}', "csops @ https://files.example.com/csops-0.2.0-py3-none-any.whl#sha256=ff00"),
        ('{"url": "file:///home/me/csops", "dir_info": {"editable": true}}', None),
        (None, "csops==0.2.0"),
    ]
    for direct, expected in cases:
        monkeypatch.setattr(metadata, "distribution", lambda name, d=direct: Dist(d))
        assert install_spec() == expected


def test_the_pre_commit_framework_installs_and_runs_csops_hooks_from_this_repository(tmp_path):
    import shutil

    from click.testing import CliRunner

    from csops.cli import cli

    project = Path(__file__).resolve().parent.parent
    source = tmp_path / "csops-src"                     # this working tree as a repository pre-commit can clone
    source.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(project / name, source / name)
    for folder in ("csops", "templates"):
        shutil.copytree(project / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(source)], check=True)
    subprocess.run([*git, "-C", str(source), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(source), "commit", "-qm", "csops"], check=True)
    rev = subprocess.run(["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    team = tmp_path / "team"
    assert CliRunner().invoke(cli, ["--now", "2026-11-23T09:00", "init", str(team)]).exit_code == 0
    (team / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {source}\n  rev: {rev}\n  hooks:\n  - id: csops-validate\n")
    subprocess.run([*git, "-C", str(team), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(team), "commit", "-qm", "hooks"], check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}

    def run():
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=team, env=env,
                              capture_output=True, text=True, timeout=600)

    ok = run()
    assert ok.returncode == 0 and "csops validate" in ok.stdout and "Passed" in ok.stdout, ok.stdout + ok.stderr
    bad = team / "records" / "tickets" / "2026" / "11" / "T-20261123-BAD000.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text("id: T-20261123-BAD000\nstatus: closed\n")
    subprocess.run(["git", "-C", str(team), "add", "-A"], check=True)
    failed = run()
    assert failed.returncode == 1 and "T-20261123-BAD000.yaml" in failed.stdout and "Failed" in failed.stdout


def test_the_projects_own_ci_template_has_a_windows_job_and_passes_the_actions_schema():
    from csops import yamlio

    path = Path(__file__).resolve().parent.parent / ".ci" / "github-actions.yml"
    workflow = yamlio.load(path.read_text(), numbers=None)
    assert workflow["jobs"]["windows"]["runs-on"] == "windows-latest"
    assert workflow["permissions"] == {"contents": "read"}
    checked = _schema_check(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_shell_completion_knows_record_ids_people_and_states(repo):
    record_id = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李",
                         "--summary", "问", now="2026-11-23T10:00")

    def complete(words: str) -> list[str]:
        env = {**os.environ, "_CSOPS_COMPLETE": "bash_complete", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
        done = subprocess.run([sys.executable, "-m", "csops"], cwd=repo.root, env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return [line.split(",", 1)[1] for line in done.stdout.splitlines() if "," in line]

    assert complete("csops ticket show T-2026") == [record_id]
    assert complete(f"csops log {record_id[:6]}") == [record_id]
    assert complete("csops return show T-") == []                       # only returns under `return`
    assert complete("csops --as zha") == ["zhangsan", "zhaozg"]
    assert complete("csops ticket route X --assignee li") == ["lisi", "liubz"]
    assert complete("csops ticket new --channel w") == ["wechat"]                  # the policy's channels
    assert complete("csops ticket new --kind p") == ["proactive"]                  # and kinds
    assert complete("csops leave list --status w") == ["withdrawn"]
    assert complete("csops ticket list --assignee zha") == ["zhangsan", "zhaozg"]     # every filter completes
    assert complete("csops ticket list --kind c") == ["complaint"]
    assert complete("csops return list --kind s") == ["self"]
    assert complete("csops ticket list --channel ch") == ["chat"]
    assert complete("csops ticket list --level ur") == ["urgent"]
    assert "CUSTOMER_CONFLICT" in complete("csops score list --code CU")
    # no record: every state ("OLIU" can be part of no id: Crockford base 32 has none of those letters)
    assert complete("csops ticket move OLIU ") == ["registered", "routed", "waiting", "resolved", "closed", "voided"]
    legal = complete(f"csops ticket move {record_id} ")                                # from registered
    assert "routed" in legal and "closed" not in legal and "registered" not in legal


def test_reading_a_repository_when_git_is_gone_says_nothing_of_threads(tmp_path):
    """A listing or validate starts `git status` early, on a thread; with no git on PATH that
    thread must fail quietly (the command reads every file instead), not print a traceback."""
    assert init(tmp_path, tmp_path / "team").returncode == 0
    empty = tmp_path / "bin"
    empty.mkdir()
    for args in (["validate"], ["ticket", "list"], ["report", "overdue"]):
        run = subprocess.run([sys.executable, "-m", "csops", "--records", str(tmp_path / "team" / "records"), *args],
                             capture_output=True, text=True, env={**ENV, "PATH": str(empty)})
        assert "Traceback" not in run.stderr and "Exception in thread" not in run.stderr, (args, run.stderr)
        assert run.returncode in (0, 1, 2), (args, run.returncode)


def test_a_git_put_in_front_of_the_path_later_is_checked_again(repo, tmp_path):
    """The answer kept for one git binary is not taken for another (each is asked once)."""

    def write(path):                                  # a write: it cannot go on without a usable git
        return subprocess.run([sys.executable, "-m", "csops", "--records", str(repo.records), "--as", "zhangsan",
                               "--now", "2026-11-23T10:00", "ticket", "new", "--kind", "inquiry", "--channel", "chat",
                               "--customer", "李", "--summary", "x"],
                              capture_output=True, text=True, env={**ENV, "PATH": path})

    assert write(os.environ["PATH"]).returncode == 0
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    real = shutil.which("git")
    fake = bin_dir / "git"
    fake.write_text(f'#!/bin/sh\n[ "$1" = "--version" ] && {{ echo "git version 2.20.1"; exit 0; }}\nexec {real} "$@"\n')
    fake.chmod(0o755)
    old = write(f"{bin_dir}:{os.environ['PATH']}")
    assert old.returncode == 2 and "git version 2.20.1 is too old" in old.stderr
    (bin_dir / "git").chmod(0o644)                     # not executable: the PATH's next git runs
    assert write(f"{bin_dir}:{os.environ['PATH']}").returncode == 0


def test_an_install_without_its_templates_says_so_in_one_line(repo, tmp_path, monkeypatch):
    from csops import templates

    monkeypatch.setattr(templates, "templates_dir", lambda: tmp_path)     # a wheel built without its data
    result = repo.run("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李", "--summary", "x",
                      code=2)
    assert "cannot be read" in result.output and "the installation is incomplete" in result.output
    assert "reinstall csops" in result.output and "Traceback" not in result.output
    assert repo.git("status", "--porcelain", "--", "records") == ""


def test_every_package_is_installed():
    """A non-editable install carries every csops package (pyproject lists them by name)."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(root).parts) for p in (root / "csops").rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)


def test_the_readme_shows_the_demo_records_output_as_it_is():
    """The README's "a desk's day on the demo records" block is real output: each `$ csops …` line
    run on records/ prints exactly the lines under it (a rule that changes a figure changes it
    there too)."""
    project = Path(__file__).resolve().parent.parent
    text = (project / "README.md").read_text(encoding="utf-8")
    block = text.split("A desk's day on the demo records", 1)[1].split("```sh\n", 1)[1].split("\n```", 1)[0]
    runs = [part.split("\n", 1) for part in block.split("$ csops ")[1:]]
    assert len(runs) >= 2
    for command, shown in runs:
        done = subprocess.run([sys.executable, "-m", "csops", *command.split()], cwd=project, capture_output=True,
                              text=True, env={**ENV, "CSOPS_LANG": "zh", "COLUMNS": "200"})
        assert done.returncode == 0, done.stderr
        assert done.stdout.rstrip("\n") == shown.rstrip("\n"), command
