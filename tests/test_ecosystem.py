"""Fitting the desk's tools (SPEC §10 "Git", issue: ecosystem): git present and new enough, init
that cleans up after itself, lenient date input."""

from __future__ import annotations

import os
import subprocess
import sys

ENV = {k: v for k, v in os.environ.items() if k not in ("CSOPS_DEBUG", "CSOPS_NOW", "CSOPS_USER")}


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
