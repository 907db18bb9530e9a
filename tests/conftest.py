"""Shared fixtures: a real records repository in a temporary Git repo, driven through the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from csops.cli import cli

# A machine's own Git settings never reach a test: on a new laptop or a CI runner there is no
# global identity, and the tests' plain `git commit`s need one (csops' own commits do not).
_GIT_HOME = Path(__import__("tempfile").mkdtemp(prefix="csops-tests-git-"))
(_GIT_HOME / "gitconfig").write_text("[user]\n\tname = csops tests\n\temail = tests@csops.invalid\n",
                                    encoding="utf-8")
os.environ["GIT_CONFIG_GLOBAL"] = str(_GIT_HOME / "gitconfig")
os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
for _name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_DIR",
              "GIT_WORK_TREE", "GIT_INDEX_FILE", "PYTHONUNBUFFERED"):
    os.environ.pop(_name, None)

os.environ.setdefault("CSOPS_DEBUG", "1")   # a bug in a test run shows its traceback
os.environ.setdefault("CSOPS_LANG", "en")   # messages asserted in English; tests/test_i18n.py checks the Chinese

# The demo team used by the CLI tests: a reporting chain plus the departments returns pass through.
TEAM = [
    # id, name, role, reports_to
    ("wangjl", "王经理", "manager", None),
    ("zhaozg", "赵主管", "supervisor", "wangjl"),
    ("liubz", "刘班长", "team_lead", "zhaozg"),
    ("zhangsan", "张三", "agent", "liubz"),
    ("lisi", "李四", "agent", "liubz"),
    ("chenck", "陈仓管", "warehouse", "wangjl"),
    ("qianzj", "钱质检", "qc", "wangjl"),
    ("zhoucw", "周财务", "finance", "wangjl"),
    ("suncg", "孙采购", "purchasing", "wangjl"),
]


@pytest.fixture
def chinese(monkeypatch):
    """A reader who left the language alone: labels and messages in Chinese, as a desk sees them
    (the other tests set CSOPS_LANG=en to assert English messages)."""
    monkeypatch.setenv("CSOPS_LANG", "zh")


class Repo:
    """A records repo and a way to run csops in it as someone at some time."""

    def __init__(self, root: Path):
        self.root = root
        self.records = root / "records"
        self.runner = CliRunner()

    def run(self, *args, as_: str | None = "zhangsan", now: str = "2026-11-20T10:00:00+08:00", code: int | None = 0,
            env: dict | None = None):
        argv = ["--records", str(self.records), "--now", now]
        if as_:
            argv += ["--as", as_]
        result = self.runner.invoke(cli, argv + [str(a) for a in args], catch_exceptions=False, env=env)
        if code is not None:
            assert result.exit_code == code, f"exit {result.exit_code} != {code}: {result.output}"
        return result

    def out(self, *args, **kwargs) -> str:
        return self.run(*args, **kwargs).stdout.strip()

    def json(self, *args, **kwargs):
        return json.loads(self.run(*args, "--format", "json", **kwargs).stdout)

    def git(self, *args) -> str:
        return subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True, check=True).stdout

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def status(self) -> str:
        return self.git("status", "--porcelain", "--untracked-files=all")

    def path_of(self, record_id: str) -> Path:
        return next(self.records.rglob(f"{record_id}.yaml"))

    def ticket(self, kind: str = "complaint", *, now: str = "2026-11-23T10:00", customer: str = "王女士",
               summary: str = "商品破损", channel: str = "phone", contact: str | None = None, by: str = "zhangsan",
               route_to: str | None = None, assignee: str = "lisi") -> str:
        """A new ticket (the helper every test file shares); routed when `route_to` names a department."""
        args = ["ticket", "new", "--kind", kind, "--channel", channel, "--customer", customer, "--summary", summary]
        record_id = self.out(*args, *(["--contact", contact] if contact else []), as_=by, now=now)
        if route_to:
            self.run("ticket", "route", record_id, "--to-dept", route_to, "--assignee", assignee, as_=by, now=now)
        return record_id

    def show(self, rtype: str, record_id: str, now: str = "2026-11-23T10:00") -> dict:
        return self.json(rtype, "show", record_id, now=now)

    def refused(self, *args, code: int = 1, **kwargs) -> str:
        """Run a command that must be refused: exit code, one message, no commit, no change."""
        before, status = self.head(), self.status()
        result = self.run(*args, code=code, **kwargs)
        assert self.head() == before, "a refused command made a commit"
        assert self.status() == status, "a refused command changed files"
        assert "Traceback" not in result.output
        return result.output


@pytest.fixture(scope="session")
def _template_repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("template") / "repo"
    repo = Repo(root)
    result = repo.runner.invoke(cli, ["--now", "2026-11-01T09:00", "init", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for pid, name, role, boss in TEAM:
        args = ["person", "add", pid, "--name", name, "--role", role, "--email", f"{pid}@example.com"]
        if boss:
            args += ["--reports-to", boss]
        repo.run(*args, as_="wangjl" if pid != "wangjl" else None, now="2026-11-01T09:00")
    return root


@pytest.fixture
def repo(_template_repo, tmp_path) -> Repo:
    root = tmp_path / "repo"
    shutil.copytree(_template_repo, root)
    return Repo(root)


# -- the helpers the test files share ----------------------------------------------------------

# the environment of a csops run in a child process: this one without the variables that would
# choose the acting person, the clock or a debug mode for it
ENV = {k: v for k, v in os.environ.items() if k not in ("CSOPS_DEBUG", "CSOPS_NOW", "CSOPS_USER")}


def run_csops(repo: "Repo", *args, as_: str | None = "zhangsan", now: str | None = "2026-11-23T10:00", env=None,
        check: int | None = None, **kwargs) -> subprocess.CompletedProcess:
    """The real CLI in a child process (`python -m csops`, never whatever is on PATH), its output as
    text; an `env` value None unsets that variable; `check`: the exit code it must have."""
    argv = [sys.executable, "-m", "csops", "--records", str(repo.records)]
    argv += ["--as", as_] if as_ else []
    argv += ["--now", now] if now else []
    options = {"capture_output": True} if "stdout" not in kwargs else {"stderr": subprocess.PIPE}
    environment = {k: v for k, v in {**ENV, **(env or {})}.items() if v is not None}
    result = subprocess.run(argv + [str(a) for a in args], text=True, env=environment, **options, **kwargs)
    if check is not None:
        assert result.returncode == check, result.stderr
    assert "Traceback" not in (result.stderr or "")
    return result


def stderr_on_a_terminal(argv: list, env: dict | None = None, timeout: float = 300) -> tuple[int, str]:
    """(exit code, stderr) of a command whose stderr is a terminal (a pty), its stdout a pipe:
    what a person at a terminal sees, e.g. a progress bar."""
    import pty
    import threading

    master, slave = pty.openpty()
    got = []

    def read():
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            got.append(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=slave, env=ENV if env is None else env,
                          timeout=timeout)
    os.close(slave)
    reader.join(timeout=30)
    os.close(master)
    return done.returncode, b"".join(got).decode("utf-8", "replace")


def run_git(cwd, *args) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def clone(origin: Path, where: Path) -> Path:
    """A clone of `origin` with the merge driver registered and an identity of its own."""
    assert run_git(where.parent, "clone", "-q", str(origin), where.name).returncode == 0
    for key, value in (("merge.csops.driver", f"{sys.executable} -m csops merge-file %O %A %B %P"),
                       ("user.email", "ci@example.com"), ("user.name", "ci"), ("pull.rebase", "false")):
        run_git(where, "config", key, value)
    return where

