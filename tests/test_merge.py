"""The merge driver and two clones working offline: both pushes merge, nothing is lost."""

import subprocess
import sys
import textwrap
from pathlib import Path

from csops import yamlio
from csops.merge import merge_texts

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


def _git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def _clone(origin: Path, where: Path) -> Path:
    assert _git(where.parent, "clone", "-q", str(origin), where.name).returncode == 0
    _git(where, "config", "merge.csops.driver", f"{sys.executable} -m csops merge-file %O %A %B %P")
    _git(where, "config", "user.email", "ci@example.com")
    _git(where, "config", "user.name", "ci")
    _git(where, "config", "pull.rebase", "false")
    return where


def test_two_clones_offline_both_pushes_merge_and_nothing_is_lost(repo, tmp_path):
    from tests.conftest import Repo

    assert ".gitattributes" in repo.git("ls-files")
    record_id = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王",
                         "--summary", "x", now="2026-11-23T09:00")
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-11-23T09:30")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-23T11:00")
    origin = tmp_path / "origin.git"
    assert _git(tmp_path, "clone", "-q", "--bare", str(repo.root), str(origin)).returncode == 0
    a, b = Repo(_clone(origin, tmp_path / "a")), Repo(_clone(origin, tmp_path / "b"))
    a.run("ticket", "callback", record_id, "--outcome", "unreachable", as_="zhangsan", now="2026-11-24T09:00")
    new_in_a = a.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "甲", "--summary", "a",
                     now="2026-11-24T09:05")
    b.run("ticket", "callback", record_id, "--outcome", "unreachable", as_="lisi", now="2026-11-24T10:00")
    new_in_b = b.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "乙", "--summary", "b",
                     now="2026-11-24T10:05")
    assert _git(a.root, "push", "-q", "origin", "HEAD").returncode == 0
    assert _git(b.root, "push", "-q", "origin", "HEAD").returncode != 0        # behind: must merge first
    pulled = _git(b.root, "pull", "-q", "--no-edit", "origin", "HEAD")
    assert pulled.returncode == 0, pulled.stderr
    assert _git(b.root, "push", "-q", "origin", "HEAD").returncode == 0
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
    _git(tmp_path, "clone", "-q", "--bare", str(repo.root), str(origin))
    a, b = Repo(_clone(origin, tmp_path / "a")), Repo(_clone(origin, tmp_path / "b"))
    a.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-11-23T09:30")
    b.run("ticket", "route", record_id, "--to-dept", "物流", "--assignee", "liubz", now="2026-11-23T09:40")
    _git(a.root, "push", "-q", "origin", "HEAD")
    pulled = _git(b.root, "pull", "-q", "--no-edit", "origin", "HEAD")
    assert pulled.returncode != 0 and "CONFLICT" in pulled.stdout + pulled.stderr
    out = b.run("validate", code=1).stdout
    assert f"{record_id}.yaml:1: UNMERGED left conflicted by a merge" in out and "git checkout -m FILE" in out
    assert "CONFLICT_MARKERS the file still has merge conflict markers" in out


def test_entries_that_cannot_both_stand_are_united_and_named_by_validate(repo, tmp_path):
    from tests.conftest import Repo

    record_id = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王",
                         "--summary", "x", now="2026-11-23T09:00")
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-11-23T09:30")
    origin = tmp_path / "origin.git"
    _git(tmp_path, "clone", "-q", "--bare", str(repo.root), str(origin))
    a, b = Repo(_clone(origin, tmp_path / "a")), Repo(_clone(origin, tmp_path / "b"))
    a.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-23T10:00")
    b.run("ticket", "resolve", record_id, as_="zhangsan", now="2026-11-23T10:30")
    _git(a.root, "push", "-q", "origin", "HEAD")
    assert _git(b.root, "pull", "-q", "--no-edit", "origin", "HEAD").returncode == 0
    out = b.run("validate", code=1).stdout
    assert "BAD_HISTORY history[3] says from routed but the record was resolved" in out


def test_init_registers_the_merge_driver_and_can_write_ci_templates(tmp_path):
    from click.testing import CliRunner

    from csops.cli import cli

    result = CliRunner().invoke(cli, ["--now", "2026-11-23T09:00", "init", "--ci", str(tmp_path / "team")])
    assert result.exit_code == 0, result.output
    root = tmp_path / "team"
    assert (root / ".gitattributes").read_text() == "records/**/*.yaml merge=csops text eol=lf\n"
    import sys

    driver = _git(root, "config", "merge.csops.driver").stdout.strip()
    assert driver == f"{sys.executable} -m csops merge-file %O %A %B %P"      # whatever PATH git has
    assert not (root / ".pre-commit-hooks.yaml").exists()      # it belongs to csops' own repository
    config = yamlio.load((root / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for h in config["repos"][0]["hooks"]}
    assert hooks["csops-validate"]["entry"] == "csops validate"
    assert hooks["csops-validate-history"] == {**hooks["csops-validate-history"], "stages": ["pre-push"],
                                               "entry": "csops validate --history --since @{u}"}
    assert 'csops validate --history --since "origin/$BASE_REF"' in (root / ".github/workflows/csops.yml").read_text()
    assert _git(root, "status", "--porcelain").stdout == ""
