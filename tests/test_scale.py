"""Every read served from the caches (the record index and the parsed-data cache) answers exactly
what reading every file afresh answers (CSOPS_CACHE=off) — on a generated repository after a
csops change, hand edits committed and not, a merge, a policy change and a broken file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Repo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

NOW = "2026-11-23T09:00"
READS = [
    ("validate",),
    ("ticket", "list", "--format", "json"),
    ("ticket", "list", "--status", "resolved", "--format", "json"),
    ("return", "list", "--format", "json"),
    ("leave", "list", "--format", "json"),
    ("score", "list", "--format", "json"),
    ("report", "overdue", "--format", "json"),
    ("report", "stats", "--period", "2026-10", "--format", "json"),
    ("report", "stats", "--period", "2024-10", "--format", "json"),
    ("report", "scores", "--period", "2026-11", "--format", "json"),
    ("report", "daily", "--date", "2026-11-19", "--format", "json"),
    ("report", "agents", "--period", "2026-10", "--format", "json"),
    ("report", "returns", "--date", "2026-11-19", "--format", "json"),
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Repo:
    from generate import generate

    root = tmp_path_factory.mktemp("scale") / "repo"
    root.mkdir()
    generate(root, 600)
    repo = Repo(root)
    repo.git("config", "user.email", "mgr@bench.example")
    repo.git("config", "user.name", "经理")
    return repo


def _answers(repo: Repo, cache: str) -> list[tuple[int, str, str]]:
    out = []
    for args in READS:
        result = repo.run(*args, as_=None, now=NOW, code=None, env={"CSOPS_CACHE": cache})
        out.append((result.exit_code, result.stdout, result.stderr))
    return out


def _compare(repo: Repo) -> None:
    fresh = _answers(repo, "off")
    cold = _answers(repo, "on")                 # fills the caches
    warm = _answers(repo, "on")                 # served from them
    for args, want, got_cold, got_warm in zip(READS, fresh, cold, warm):
        assert got_cold == want, f"{' '.join(args)}: the caching run differs from reading every file"
        assert got_warm == want, f"{' '.join(args)}: the cached answer differs from reading every file"


def test_cached_reads_equal_fresh_reads_through_edits_merges_and_policy_changes(generated):
    repo = generated
    _compare(repo)
    assert (repo.root / ".git" / "csops-cache" / "data-ticket.marshal").exists()
    tickets = sorted(repo.records.rglob("T-2026*.yaml"))
    # csops changes
    new = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                   "--summary", "漏发", as_="agent001", now="2026-11-20T09:30")
    repo.run("ticket", "route", new, "--to-dept", "售后", "--assignee", "agent000", as_="agent001",
             now="2026-11-20T10:00")
    # a hand edit, committed
    edited = tickets[-5]
    edited.write_text(edited.read_text(encoding="utf-8").replace("summary:", "summary: 改过 ", 1), encoding="utf-8")
    repo.git("commit", "-qam", "hand edit")
    # a merge of two branches, each editing a different record
    repo.git("checkout", "-qb", "side")
    side = tickets[-7]
    side.write_text(side.read_text(encoding="utf-8").replace("level: normal", "level: urgent"), encoding="utf-8")
    repo.git("commit", "-qam", "side")
    repo.git("checkout", "-q", "-")
    main = tickets[-9]
    main.write_text(main.read_text(encoding="utf-8").replace("channel: ", "channel: x", 1).replace("channel: x", "channel: "),
                    encoding="utf-8")
    main.write_text(main.read_text(encoding="utf-8") + "# 备注\n", encoding="utf-8")
    repo.git("commit", "-qam", "main")
    repo.git("merge", "-q", "--no-edit", "side")
    # a policy change: complaints due sooner
    policy = repo.records / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("complaint_hours: {normal: 16", "complaint_hours: {normal: 6"),
                      encoding="utf-8")
    assert "normal: 6" in policy.read_text(encoding="utf-8")
    repo.git("commit", "-qam", "policy: complaints in 6 working hours")
    _compare(repo)
    # uncommitted: a changed record and a broken one
    hand = tickets[-11]
    hand.write_text(hand.read_text(encoding="utf-8").replace("status: closed", "status: resolved"), encoding="utf-8")
    broken = tickets[-13]
    broken.write_text("kind: [unterminated\n", encoding="utf-8")
    _compare(repo)
    assert subprocess.run(["git", "status", "--porcelain"], cwd=repo.root, capture_output=True, text=True).stdout
