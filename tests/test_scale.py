"""Every read served from the caches (the record index and the parsed-data cache) answers exactly
what reading every file afresh answers (CSOPS_CACHE=off) — on a generated repository after a
csops change, hand edits committed and not, a merge, a policy change and a broken file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ENV, Repo

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
    ("report", "stats", "--period", "2026-11"),                      # with the month before it
    ("report", "scores", "--period", "2026-11", "--format", "json"),
    ("report", "scores", "--period", "2026-09", "--format", "json"),
    ("report", "daily", "--date", "2026-11-19", "--format", "json"),
    ("report", "agents", "--period", "2026-10", "--format", "json"),
    ("report", "returns", "--date", "2026-11-19", "--format", "json"),
    # finding things (SPEC §14): filters, words, search
    ("ticket", "list", "--assignee", "agent000", "--status", "routed", "--status", "resolved", "--format", "json"),
    ("ticket", "list", "--kind", "complaint", "--since", "2026-11-01", "--until", "2026-11-15", "--format", "json"),
    ("ticket", "list", "--text", "退款", "--overdue", "--format", "json"),
    ("return", "list", "--by", "agent001", "--text", "破损", "--format", "json"),
    ("score", "list", "--code", "CUSTOMER_CONFLICT", "--format", "json"),
    ("search", "破损", "--limit", "30", "--format", "json"),
    ("search", "退款未到账", "--type", "ticket", "--limit", "0", "--format", "json"),
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


def _customers(repo: Repo) -> list[tuple]:
    """The customer archive of the first ticket's customer (by contact) and the first return's
    (by name)."""
    import yaml

    ticket = yaml.safe_load(min(repo.records.rglob("T-*.yaml")).read_text(encoding="utf-8"))
    ret = yaml.safe_load(min(repo.records.rglob("R-*.yaml")).read_text(encoding="utf-8"))
    return [("customer", "show", ticket["customer"]["contact"], "--format", "json"),
            ("customer", "show", ret["customer"], "--format", "json")]


def _answers(repo: Repo, cache: str) -> list[tuple[int, str, str]]:
    out = []
    for args in READS + _customers(repo):
        result = repo.run(*args, as_=None, now=NOW, code=None, env={"CSOPS_CACHE": cache})
        out.append((result.exit_code, result.stdout, result.stderr))
    return out


def _compare(repo: Repo) -> None:
    fresh = _answers(repo, "off")
    cold = _answers(repo, "on")                 # fills the caches
    warm = _answers(repo, "on")                 # served from them
    for args, want, got_cold, got_warm in zip(READS + _customers(repo), fresh, cold, warm):
        assert got_cold == want, f"{' '.join(args)}: the caching run differs from reading every file"
        assert got_warm == want, f"{' '.join(args)}: the cached answer differs from reading every file"


def test_cached_reads_equal_fresh_reads_through_edits_merges_and_policy_changes(generated):
    repo = generated
    _compare(repo)
    assert (repo.root / ".git" / "csops-cache" / "index.sqlite").exists()
    tickets = sorted(repo.records.rglob("T-2026*.yaml"))
    # csops changes
    new = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                   "--summary", "漏发", as_="agent001", now="2026-11-20T09:30")
    repo.run("ticket", "route", new, "--to-dept", "售后", "--assignee", "agent000", as_="agent001",
             now="2026-11-20T10:00")
    # score events read from years back (the third conflict means dismissal), one that costs
    # every agent on duty, and a leave across the month's edge that spares one of them
    def sheets():
        return {row["person"]: row for row in repo.json("report", "scores", "--period", "2026-11", as_=None, now=NOW)}

    before = sheets()
    for day in ("2025-03-10", "2026-07-15", "2026-09-10"):
        repo.run("score", "add", "--person", "agent000", "--code", "CUSTOMER_CONFLICT", "--fine", "30",
                 "--date", day, as_="lead00", now="2026-11-20T11:00")
    repo.run("score", "add", "--code", "LUNCH_OFF_POST", "--date", "2026-11-02", as_="lead00", now="2026-11-20T11:00")
    leave = repo.out("leave", "new", "--person", "agent001", "--kind", "personal", "--start", "2026-10-30T09:00",
                     "--end", "2026-11-02T18:00", as_="agent001", now="2026-10-20T09:00")
    repo.run("leave", "approve", leave, as_="lead00", now="2026-10-20T10:00")
    after = sheets()
    assert "dismissal" in after["agent000"]["flags"] and "dismissal" not in before["agent000"]["flags"]
    docked = {person for person in after if after[person]["deductions"] > before[person]["deductions"]}
    assert "agent001" not in docked and len(docked) >= 5
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


# -- what an adversarial pass found in the caches ---------------------------------------------------

def _inquiry(repo, now="2026-11-20T10:00"):
    return repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李", "--summary", "原文",
                    now=now)


@pytest.mark.parametrize("linked", ["file", "folder"])
def test_a_record_that_is_a_link_inside_the_records_is_never_read(repo, linked):
    """Records are plain files: a link, even to a file inside the records, is refused by name
    (the audit replays what Git stores — for a link, its text — so an edit made through the
    link would pass unseen)."""
    import os

    record_id = _inquiry(repo)
    path = repo.path_of(record_id)
    source = path if linked == "file" else path.parent
    held = repo.records / "hold" / source.name
    held.parent.mkdir()
    repo.git("mv", str(source), str(held))
    os.symlink(os.path.relpath(held, source.parent), source)
    repo.git("add", "-A")
    repo.git("commit", "-qm", "kept elsewhere, linked")
    listed = repo.run("ticket", "list")
    assert "原文" not in listed.stdout and "SYMLINK_NOT_ALLOWED" in listed.stderr
    shown = repo.run("ticket", "show", record_id, code=2)
    assert "SYMLINK_NOT_ALLOWED is a symbolic link" in shown.output and "原文" not in shown.stdout
    assert f"{source.name}:1: SYMLINK_NOT_ALLOWED" in repo.run("validate", code=1).stdout


def test_a_swap_file_that_is_no_file_names_itself_and_stops_nothing(repo):
    import os

    folder = repo.records / "swaps" / "2026"
    folder.mkdir(parents=True)
    os.symlink("../../nowhere.yaml", folder / "W-20261120-AAAAAA.yaml")
    os.mkfifo(folder / "W-20261120-BBBBBB.yaml")                   # reading it would block for ever
    _inquiry(repo)
    assert repo.run("ticket", "list").exit_code == 0
    out = repo.run("validate", code=1).stdout
    assert "W-20261120-AAAAAA.yaml" in out and "W-20261120-BBBBBB.yaml" in out and "not a regular file" in out


def test_a_record_file_is_read_by_one_open_whatever_it_turns_out_to_be(tmp_path):
    import os
    import socket

    from csops.store import read_regular

    plain = tmp_path / "T-20261120-AAAAAA.yaml"
    plain.write_bytes(b"x" * 70_000)
    assert read_regular(plain) == (b"x" * 70_000, 70_000)
    assert read_regular(plain, 100) == (b"x" * 101, 70_000)      # the limit and one byte: enough to refuse
    assert read_regular(plain, 100_000) == (b"x" * 70_000, 70_000)
    (tmp_path / "empty.yaml").write_bytes(b"")
    assert read_regular(tmp_path / "empty.yaml") == (b"", 0)
    assert read_regular(plain, 69_999) == (b"x" * 70_000, 70_000)
    (tmp_path / "folder.yaml").mkdir()
    os.symlink("nowhere.yaml", tmp_path / "link.yaml")
    os.symlink("loop.yaml", tmp_path / "loop.yaml")
    os.mkfifo(tmp_path / "fifo.yaml")                          # no writer: a blocking open would hang
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "socket.yaml"))
    for name in ("folder.yaml", "link.yaml", "loop.yaml", "fifo.yaml", "socket.yaml", "missing.yaml"):
        with pytest.raises(OSError, match="not a regular file"):
            read_regular(tmp_path / name)
    server.close()


def test_a_failed_read_is_not_cached():
    from csops.cache import analyse

    analyse.WORKER.update(ctx=None, workflows={}, root="/")
    [(blob, packed, facts)] = analyse.work([("ticket", "dev/null", "0" * 40)])   # not a regular file
    assert blob is None and packed[2][0][0] == "YAML" and not packed[5] and facts is None


def test_a_record_file_that_cannot_be_read_is_named_by_every_run(tmp_path):
    """A file whose read failed is not cached (it is tried again), and the folder listing that
    holds it is not trusted either: the second run must not lose it."""
    import os
    import time

    from generate import generate

    generate(tmp_path, 60)
    repo = Repo(tmp_path)
    folder = next(repo.records.glob("tickets/*/*"))
    os.mkfifo(folder / "T-20261120-AAAAAA.yaml")
    time.sleep(2.2)                  # a folder changed in the last 2 s is listed again anyway (store.RACY_NS)
    for run in (1, 2, 3):
        assert "T-20261120-AAAAAA.yaml" in repo.run("ticket", "list", as_=None, now=NOW).stderr, f"run {run}"
    assert "T-20261120-AAAAAA.yaml" in repo.run("validate", as_=None, now=NOW, code=1).stdout


def test_a_skipped_record_is_named_by_what_makes_it_unreadable(repo):
    record_id = _inquiry(repo)
    path = repo.path_of(record_id)
    path.write_text(path.read_text(encoding="utf-8").replace(f"id: {record_id}", "id: T-20261120-OTHER0")
                    .replace("kind: inquiry", "kind: bogus"), encoding="utf-8")
    for cache in ("on", "off"):
        err = repo.run("ticket", "list", env={"CSOPS_CACHE": cache}).stderr
        assert "BAD_FIELD" in err and "ID_MISMATCH" not in err, cache


def test_a_month_report_counts_tickets_written_in_basic_iso_form():
    from csops.workflows.ticket import active_between

    window = ("2026-09-30", "2026-11-01")
    assert active_between({"history": [{"at": "20261012T114100+0800"}]}, window)
    assert active_between({"history": [{"at": "2026-10-12T11:41:00+08:00"}]}, window)
    assert not active_between({"history": [{"at": "2025-10-12T11:41:00+08:00"}]}, window)


def test_the_window_reaches_back_over_any_holiday_before_the_period():
    import datetime as dt

    from csops.engine import Context
    from csops.policy import Policy, default_policy_data
    from csops.workflows.ticket import activity_window

    import copy

    data = copy.deepcopy(default_policy_data())       # the default is shared: never edit it in place
    first = dt.date(2026, 8, 25)
    data["calendar"]["holidays"] = {(first + dt.timedelta(days=n)).isoformat(): "长假" for n in range(52)}
    ctx = Context(Policy(data), None)
    low, high = activity_window(ctx, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert low <= "2026-08-23" and high == "2026-11-01"      # registered 08-24 after the cut-off counts on 10-16


# -- the warm path: only what Git's index, git status and the folders say may have changed is read --

def _listing(repo, cache="on"):
    return repo.out("ticket", "list", "--format", "json", env={"CSOPS_CACHE": cache})


def test_the_warm_path_sees_every_edit_that_leaves_gits_index_alone(repo):
    import os
    import time

    record_id = _inquiry(repo)
    path = repo.path_of(record_id)
    committed = path.read_text(encoding="utf-8")
    assert "原文" in _listing(repo) and "原文" in _listing(repo)       # the second run is the warm one
    for word in ("改一", "改二"):                                       # a tracked file, edited twice, unstaged
        path.write_text(committed.replace("summary: 原文", f"summary: {word}"), encoding="utf-8")
        assert word in _listing(repo)
    repo.git("checkout", "--", str(path))                              # and back as committed
    assert "改二" not in _listing(repo) and "原文" in _listing(repo)
    other = path.with_name(record_id[:-6] + "ZZZZZZ.yaml")             # a record Git does not know
    other.write_text(committed.replace(record_id, other.stem).replace("summary: 原文", "summary: 新一"),
                     encoding="utf-8")
    assert "新一" in _listing(repo) and "新一" in _listing(repo)
    other.write_text(other.read_text(encoding="utf-8").replace("新一", "新二"), encoding="utf-8")
    assert "新二" in _listing(repo) and "新一" not in _listing(repo)
    # folders listed long ago are remembered; a file added to one is seen, even when the folder's
    # modification time is put back (its change time moves)
    for folder in [p for p in repo.records.rglob("*") if p.is_dir()]:
        os.utime(folder, (1_600_000_000, 1_600_000_000))
    time.sleep(2.1)                     # a folder changed in the last seconds is never remembered
    assert "新二" in _listing(repo) and "新二" in _listing(repo)
    third = path.with_name(record_id[:-6] + "YYYYYY.yaml")
    third.write_text(committed.replace(record_id, third.stem).replace("summary: 原文", "summary: 新三"),
                     encoding="utf-8")
    os.utime(path.parent, (1_600_000_000, 1_600_000_000))
    assert "新三" in _listing(repo)
    third.unlink()
    os.utime(path.parent, (1_600_000_000, 1_600_000_000))
    assert "新三" not in _listing(repo)
    assert _listing(repo) == _listing(repo, "off")
    assert repo.out("validate", env={"CSOPS_CACHE": "on"}) == repo.out("validate", env={"CSOPS_CACHE": "off"})


def test_a_read_after_csops_writes_reads_only_what_they_wrote_and_answers_as_every_file_would(repo, monkeypatch):
    """csops notes what each of its commits put into Git's index (.git/csops-cache/index-moves):
    the next read looks at those files and the ones added or gone, not at every staged file (no
    `git ls-files`) — and answers as reading every file does, for every type, whatever else
    happened meanwhile: a hand edit of a written file, a file removed, another program changing
    Git's index, a note cut short."""
    from csops import gitlog

    asked = []
    background = gitlog._background

    def counting(args, cwd, **options):
        asked.extend(word for word in args if word == "ls-files")
        return background(args, cwd, **options)

    monkeypatch.setattr(gitlog, "_background", counting)
    later = "2026-12-01T10:00:00+08:00"
    reads = (["ticket", "list", "--format", "json"], ["return", "list", "--format", "json"],
             ["report", "overdue", "--format", "json"], ["search", "内胆", "--format", "json"], ["validate"])

    def same(shortcut: bool) -> None:
        asked.clear()
        for args in reads:
            cached = repo.run(*args, now=later, code=None)
            fresh = repo.run(*args, now=later, code=None, env={"CSOPS_CACHE": "off"})
            assert (cached.exit_code, cached.stdout) == (fresh.exit_code, fresh.stdout), args
        assert (asked == []) == shortcut, asked

    moves = repo.root / ".git" / "csops-cache" / "index-moves"
    noted = moves.read_text(encoding="utf-8").count("\n")
    first = repo.out("return", "new", "--kind", "self", "--customer", "王女士", "--order", "TB1", "--item", "RC-5L:1",
                     "--reason", "内胆有划痕", now="2026-11-30T10:00:00+08:00")
    repo.run("ticket", "list", now=later)
    repo.run("validate", now=later)                        # every type's entries cached
    made = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                    "--contact", "13800138000", "--summary", "电饭煲内胆有划痕", now=later)
    repo.run("ticket", "route", made, "--to-dept", "售后", "--assignee", "lisi", now=later)
    same(shortcut=True)
    assert made in repo.out("search", "内胆", now=later) and first in repo.out("search", "内胆", now=later)
    assert moves.read_text(encoding="utf-8").count("\n") == noted + 3          # one note a commit

    path = repo.path_of(made)                # written by csops, then edited by hand before a read
    repo.run("ticket", "resolve", made, "--note", "换新内胆", now=later)
    path.write_text(path.read_text(encoding="utf-8").replace("电饭煲内胆有划痕", "电饭煲内胆又坏了"), encoding="utf-8")
    same(shortcut=True)
    assert "又坏了" in repo.out("search", "又坏了", now=later)
    repo.git("checkout", "--", str(path))   # Git refreshes its index: not csops' move — the long way, once
    same(shortcut=False)

    gone = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李",
                    "--summary", "问内胆价格", now=later)
    removed = repo.path_of(gone)
    removed.unlink()                         # removed by hand right after csops wrote it
    same(shortcut=True)
    assert gone not in repo.out("ticket", "list", now=later)
    repo.git("checkout", "--", str(removed))

    repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李",
             "--summary", "问内胆尺寸", now=later)
    removed.write_text(removed.read_text(encoding="utf-8").replace("问内胆价格", "问内胆价钱"), encoding="utf-8")
    repo.git("add", str(removed))            # another program changes Git's index too
    same(shortcut=False)

    repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李",
             "--summary", "问内胆颜色", now=later)
    moves.write_text(moves.read_text(encoding="utf-8")[:-20], encoding="utf-8")    # its last note cut short
    same(shortcut=False)
    repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李",
             "--summary", "问内胆材质", now=later)
    same(shortcut=True)                       # later notes follow on from the broken line


def test_after_a_write_many_files_added_by_hand_and_one_that_cannot_be_read_answer_as_every_file_would(repo):
    """The cache is written again from its own columns after a write (only the changed files put
    in, replaced or taken out); with hundreds of files added by hand at once, or a file added that
    cannot be read (never cached: named by every run), it is written whole instead — and either way
    every later read answers as reading every file does."""
    import os

    later = "2026-12-01T10:00:00+08:00"

    def same() -> None:
        for args in (["ticket", "list", "--format", "json"], ["validate"], ["report", "overdue", "--format", "json"]):
            cached = repo.run(*args, now=later, code=None)
            fresh = repo.run(*args, now=later, code=None, env={"CSOPS_CACHE": "off"})
            assert (cached.exit_code, cached.stdout, cached.stderr) == \
                (fresh.exit_code, fresh.stdout, fresh.stderr), args

    made = _inquiry(repo)
    repo.run("ticket", "list", now=later)                      # cached
    path = repo.path_of(made)
    text = path.read_text(encoding="utf-8")
    repo.run("ticket", "resolve", made, "--note", "答复了", now=later)
    for n in range(300):                                       # more than a few: the cache is written whole
        twin = path.with_name(f"{made[:-6]}{n:06d}.yaml")
        twin.write_text(text.replace(made, twin.stem).replace("原文", f"第{n}件"), encoding="utf-8")
    same()
    assert "第299件" in repo.out("ticket", "list", now=later)
    same()                                                     # and read back from the cache so written

    second = _inquiry(repo)
    os.mkfifo(repo.path_of(second).with_name(f"{second[:-6]}AAAAAA.yaml"))
    for run in (1, 2):
        assert f"{second[:-6]}AAAAAA.yaml" in repo.run("ticket", "list", now=later).stderr, run
    same()


def test_a_damaged_note_of_csops_writes_costs_a_slow_read_never_a_failed_write_or_read(repo):
    """.git/csops-cache/index-moves holding bytes that are not text (past the size at which a write
    reads it back), a line nested too deep to parse, or a FIFO in its place: every write lands
    whole (no journal, no lock left), every read answers as reading every file does, none waits."""
    import os

    from tests.conftest import run_csops

    moves = repo.root / ".git" / "csops-cache" / "index-moves"
    later = "2026-12-01T10:00:00+08:00"

    def write_then_read(summary: str) -> None:
        made = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李",
                        "--summary", summary, now=later)
        assert not (repo.root / ".git" / "index.lock").exists() and not (repo.root / ".git" / "csops-journal.json").exists()
        for args in (["ticket", "list", "--format", "json"], ["validate"]):
            cached = run_csops(repo, *args, now=later, timeout=120)
            fresh = run_csops(repo, *args, now=later, env={"CSOPS_CACHE": "off"}, timeout=120)
            assert (cached.returncode, cached.stdout) == (fresh.returncode, fresh.stdout), args
        assert made in repo.out("ticket", "list", now=later)

    _inquiry(repo)
    repo.run("ticket", "list", now=later)
    moves.write_bytes(os.urandom(120_000).replace(b"\n", b"x"))     # not UTF-8, past the read-back size
    write_then_read("问内胆一")
    write_then_read("问内胆二")
    with open(moves, "a", encoding="utf-8") as handle:
        handle.write("[" * 100_000 + "\n")
    write_then_read("问内胆三")
    moves.unlink()
    os.mkfifo(moves)
    write_then_read("问内胆四")


def test_a_cold_build_keys_an_uncommitted_edit_by_its_content_not_by_gits_blob(tmp_path):
    """A cold build hands every file to the workers before Git has said what changed: what they
    read of an edited file must not be remembered as the committed version (reverted, the file
    is checked again), nor a new file Git does not know."""
    import shutil

    from generate import generate

    generate(tmp_path, 450)                        # more files than one chunk: the workers run
    repo = Repo(tmp_path)
    edited = sorted(repo.records.rglob("T-*.yaml"))[3]
    committed = edited.read_text(encoding="utf-8")
    edited.write_text(committed.replace("status: ", "status: 坏", 1), encoding="utf-8")
    stranger = edited.with_name(edited.stem[:-6] + "ZZZZZZ.yaml")
    stranger.write_text(committed.replace(edited.stem, "T-坏"), encoding="utf-8")
    shutil.rmtree(tmp_path / ".git" / "csops-cache", ignore_errors=True)
    cold = repo.run("validate", as_=None, now=NOW, code=1, env={"CSOPS_CACHE": "on"}).stdout
    assert f"{edited.name}:" in cold and "BAD_FIELD" in cold and f"{stranger.name}:" in cold
    repo.git("checkout", "--", str(edited.relative_to(tmp_path)))    # Git's index untouched: the warm path
    stranger.unlink()
    warm = repo.run("validate", as_=None, now=NOW, code=None, env={"CSOPS_CACHE": "on"})
    assert edited.name not in warm.stdout and stranger.name not in warm.stdout
    assert warm.stdout == repo.run("validate", as_=None, now=NOW, code=None, env={"CSOPS_CACHE": "off"}).stdout


def test_what_reports_count_is_left_by_validate_and_worked_out_once_by_the_first_report(generated):
    """A validate of a fresh clone works out what each file owes — of a closed ticket, without its
    deadlines — and leaves what reports count (facts) unworked; listings leave it too; the first
    report that counts works it out and keeps it, and answers as reading every file does."""
    import shutil

    from csops.cache.entries import load

    repo = generated
    cache = repo.root / ".git" / "csops-cache"
    shutil.rmtree(cache, ignore_errors=True)

    def unworked() -> int:
        return sum(load(next(cache.glob("index-*.marshal"))).unworked.values())

    repo.run("validate", as_=None, now=NOW, code=None, env={"CSOPS_CACHE": "on"})
    left = unworked()
    assert left >= 300                                  # every ticket of the repository
    overdue = repo.out("report", "overdue", "--format", "json", as_=None, now=NOW, env={"CSOPS_CACHE": "on"})
    repo.out("ticket", "list", "--format", "json", as_=None, now=NOW, env={"CSOPS_CACHE": "on"})
    assert unworked() == left
    stats = [repo.out("report", "stats", "--period", "2026-10", "--format", "json", as_=None, now=NOW,
                      env={"CSOPS_CACHE": cache}) for cache in ("on", "on", "off")]
    assert unworked() == 0 and stats[0] == stats[1] == stats[2]
    assert overdue == repo.out("report", "overdue", "--format", "json", as_=None, now=NOW, env={"CSOPS_CACHE": "off"})
    # a few files changed since (a write, a hand edit) are worked out whole by whoever reads them
    repo.run("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士", "--summary", "漏发",
             as_="agent001", now="2026-10-20T09:30")
    repo.out("ticket", "list", "--format", "json", as_=None, now=NOW, env={"CSOPS_CACHE": "on"})
    assert unworked() == 0


def test_what_a_ticket_owes_is_what_its_deadlines_owe(generated):
    """Workflow.owed (what validate asks of every file) gives the owed rows of deadlines for
    every ticket of a generated desk, and for a closed one that owes a report after an emergency
    escalation."""
    from csops.cli.common import real_clock
    from csops.session import Session
    from csops.store import Store
    from csops.workflows import ticket

    session = Session.open(Store(generated.records), now=NOW, real_clock=real_clock)
    ctx = session.ctx.from_files()
    records = [rec.data for rec in ctx.records("ticket")]
    assert {rec["status"] for rec in records} >= {"closed", "routed"}
    closed = next(rec for rec in records if rec["status"] == "closed")
    for rec in [r for r in records if r["status"] == "closed"][:50]:     # each as it was once resolved
        cut = max(i for i, entry in enumerate(rec["history"]) if entry["to"] == "resolved")
        records.append({**rec, "status": "resolved", "history": rec["history"][:cut + 1], "callbacks": []})
    at = closed["history"][-1]["at"]
    emergency = {**closed, "escalations": [{"at": at, "by": closed["created_by"], "emergency": True,
                                            "report_after": True, "from_level": "normal", "to_level": "major"}]}
    for rec in [*records, emergency]:
        assert ticket.owed(rec, ctx) == [row for row in ticket.deadlines(rec, ctx) if row.owed], rec["id"]
    assert [row.what for row in ticket.owed(emergency, ctx)] == ["report_after"]
    assert any(row.what == "callback" for rec in records[-50:] for row in ticket.owed(rec, ctx))


def test_problems_across_records_are_found_again_when_one_file_changes(repo):
    """validate keeps what it found across records (duplicate ids, refs, overlapping leave) for
    an unchanged index only."""
    record_id = _inquiry(repo)
    path = repo.path_of(record_id)
    twin = path.parent.parent / "twin" / path.name
    validate = lambda: repo.run("validate", code=None, env={"CSOPS_CACHE": "on"})  # noqa: E731
    assert "DUPLICATE_ID" not in validate().stdout + validate().stdout
    twin.parent.mkdir()
    twin.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert "DUPLICATE_ID" in validate().stdout and "DUPLICATE_ID" in validate().stdout
    twin.write_text(path.read_text(encoding="utf-8").replace(record_id, record_id[:-6] + "ZZZZZZ"), encoding="utf-8")
    first, second = validate(), validate()
    assert "DUPLICATE_ID" not in first.stdout + second.stdout and "ID_MISMATCH" in first.stdout + second.stdout
    assert second.stdout == repo.run("validate", code=None, env={"CSOPS_CACHE": "off"}).stdout


def test_a_damaged_or_locked_index_database_is_read_past_never_believed(repo):
    """The SQLite database is a cache: a file that is no database is made anew, a row that does
    not match its file is never served (rows are kept by content), and a database another
    process holds locked leaves the command reading the files."""
    import sqlite3

    for summary in ("一", "二", "三"):
        repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李", "--summary", summary)
    want = _listing(repo, "off")
    assert _listing(repo) == want                                   # fills the database
    path = repo.root / ".git" / "csops-cache" / "index.sqlite"
    for suffix in ("-wal", "-shm"):
        (repo.root / ".git" / "csops-cache" / f"index.sqlite{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"not a database at all" * 100)
    assert _listing(repo) == want
    assert _listing(repo) == want                                   # made anew, then served
    with sqlite3.connect(path) as db:                               # a row changed behind csops' back
        db.execute("UPDATE tickets SET status = 'closed'")
        db.execute("DELETE FROM meta WHERE name LIKE 'synced:%'")
    assert _listing(repo) == want
    held = sqlite3.connect(path, isolation_level=None)
    held.execute("BEGIN EXCLUSIVE")                                 # another process writing
    try:
        edited = next(repo.records.rglob("T-*.yaml"))
        edited.write_text(edited.read_text(encoding="utf-8").replace("summary: ", "summary: 改", 1), encoding="utf-8")
        repo.git("commit", "-qam", "by hand")
        assert _listing(repo) == _listing(repo, "off")
    finally:
        held.execute("ROLLBACK")
        held.close()


def test_a_type_whose_records_are_all_gone_lists_nothing(tmp_path):
    """A record cache left with no records at all (every return removed) reads as empty."""
    from generate import generate

    root = tmp_path / "repo"
    root.mkdir()
    generate(root, 1000)                                  # 150 returns: more than a cache keeps unasked
    repo = Repo(root)
    assert len(repo.json("return", "list", as_=None)) > 100       # fills the cache
    repo.git("rm", "-rq", "records/returns")
    repo.git("-c", "user.name=经理", "-c", "user.email=mgr@bench.example", "commit", "-qm", "no returns")
    for _run in range(2):                                 # the cache is rewritten empty, then read back
        assert repo.json("return", "list", as_=None) == []
        assert repo.run("report", "returns", "--date", "2026-11-19", as_=None).exit_code == 0


def test_a_json_listing_is_streamed_as_the_same_document(repo, tmp_path):
    import json

    assert repo.out("ticket", "list", "--format", "json") == "[]"
    for summary in ("一", "二\n第二行", "三"):
        repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李", "--summary", summary)
    streamed = repo.out("ticket", "list", "--format", "json", env={"CSOPS_CACHE": "on"})
    assert streamed == repo.out("ticket", "list", "--format", "json", env={"CSOPS_CACHE": "off"})
    rows = json.loads(streamed)
    assert len(rows) == 3 and [row["id"] for row in rows] == sorted(row["id"] for row in rows)
    first = next(repo.records.glob("tickets/2026/11/*.yaml"))       # a file whose folder sorts last, id first
    moved = repo.records / "tickets" / "2026" / "12" / "T-20261120-000000.yaml"
    moved.parent.mkdir()
    moved.write_text(first.read_text(encoding="utf-8").replace(first.stem, moved.stem), encoding="utf-8")
    repo.git("add", "-A")
    repo.git("commit", "-qm", "a ticket filed out of order")
    streamed = repo.out("ticket", "list", "--format", "json", env={"CSOPS_CACHE": "on"})
    assert streamed == repo.out("ticket", "list", "--format", "json", env={"CSOPS_CACHE": "off"})
    assert [row["id"] for row in json.loads(streamed)][0] == moved.stem
    target = tmp_path / "all.json"
    repo.out("ticket", "list", "--format", "json", "--output", str(target))
    assert target.read_text(encoding="utf-8") == streamed + "\n"
    assert "--status closing" in repo.run("ticket", "list", "--status", "closing", "--format", "json", code=2).output


def test_a_temp_file_in_a_remembered_folder_is_still_found(repo):
    import time

    record_id = _inquiry(repo)
    path = repo.path_of(record_id)
    temp = path.with_name(f".{path.name}.csops-0123456789abcdef.tmp")
    temp.write_text("half", encoding="utf-8")
    time.sleep(2.1)                     # the folder settles: its listing is remembered from now on
    for _ in range(3):                  # listed, then served from what was remembered
        out = repo.run("validate", code=None, env={"CSOPS_CACHE": "on"}).stdout
        assert "INTERRUPTED_WRITE" in out and temp.name in out
    temp.unlink()
    assert "INTERRUPTED_WRITE" not in repo.run("validate", code=None, env={"CSOPS_CACHE": "on"}).stdout


def test_a_status_asked_early_for_one_command_is_not_used_by_the_next(repo):
    """A listing asks Git what changed before it loads (csops.gitlog.ask_status); a command that
    stops before reading leaves that answer unused, and it must not stand in for a later
    command's question in the same process: an edit made in between would be missed (here, the
    leave a new request overlaps)."""
    import time

    first = repo.out("leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "2026-12-01T09:00",
                     "--end", "2026-12-01T18:00")
    assert first in repo.out("leave", "list")                        # fills the caches
    assert repo.run("leave", "list", "--reveal", code=None).exit_code != 0   # refused before reading
    time.sleep(0.5)                                                # its git status has long finished
    path = repo.path_of(first)
    path.write_text(path.read_text(encoding="utf-8").replace("2026-12-01T", "2026-12-02T"), encoding="utf-8")
    refused = repo.run("leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "2026-12-02T09:00",
                       "--end", "2026-12-02T18:00", code=None)
    assert refused.exit_code == 1 and "LEAVE_OVERLAP" in refused.output + refused.stderr


def test_a_cold_build_shows_its_progress_on_a_terminal_only(tmp_path):
    """SPEC §10: work longer than about a second shows progress on stderr when stderr is a
    terminal — a cold index, the database filled — and prints nothing of it into a pipe."""
    import shutil
    import subprocess
    import sys

    from generate import generate
    from tests.conftest import ENV, stderr_on_a_terminal

    root = tmp_path / "repo"
    root.mkdir()
    generate(root, 2600)
    commands = [["validate"], ["ticket", "list", "--status", "resolved"]]

    def run(args, tty: bool) -> str:
        argv = [sys.executable, "-m", "csops", "--records", str(root / "records"), "--now", "2026-11-23T09:00", *args]
        if not tty:
            return subprocess.run(argv, capture_output=True, text=True, env=ENV, timeout=300).stderr
        code, stderr = stderr_on_a_terminal(argv)
        assert code in (0, 1)
        return stderr

    for args in commands:                       # cold each time: the entries, then the database
        assert "reading the records" in run(args, tty=True), args
    shutil.rmtree(root / ".git" / "csops-cache")
    for args in commands:
        assert "reading the records" not in run(args, tty=False), args


def test_a_read_starts_git_status_before_it_loads_and_a_write_does_not(repo, monkeypatch):
    """A command that reads through the record index has `git status` started as soon as its words
    are parsed (csops.cli.READS), before its code is imported, and takes that one — Git is asked
    once; a write, and a read that only shows its help, start none."""
    from csops import gitlog

    started = []
    background = gitlog._background

    def counting(args, cwd, **options):
        import inspect

        if "status" in args:       # by whom: csops.cli, as the words were parsed, or the command itself
            started.append([frame.function for frame in inspect.stack()[1:4]])
        return background(args, cwd, **options)

    monkeypatch.setattr(gitlog, "_background", counting)
    made = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                    "--summary", "电饭煲内胆有划痕")
    assert started == []
    for args in (["report", "overdue"], ["ticket", "list", "--status", "registered"], ["search", "内胆"],
                 ["customer", "show", "王女士"]):
        started.clear()
        assert made in repo.out(*args, now="2026-12-01T10:00:00+08:00"), args
        assert len(started) == 1 and "start_status" in started[0], (args, started)
        assert gitlog._STARTED == {}, args          # taken, or forgotten when the command ended
    started.clear()
    repo.out("report", "overdue", "--help")
    repo.out("customer", "set", "王女士", "--tier", "A", code=None)
    assert started == [] and gitlog._STARTED == {}


def _probe(background: str, again: str) -> str:
    """A `python -c` script that runs csops as `python -m csops` does and prints, at exit, what the
    lines `background` (in csops.gitlog._background) and `again` (in _run) noted in `seen` of the
    git processes it started — each line sees `args`."""
    return ("import sys, csops.gitlog as g\n"
            "seen = []\n"
            "real = g._background\n"
            "def counting(args, cwd, **options):\n"
            f"{background}"
            "    return real(args, cwd, **options)\n"
            "g._background = counting\n"
            "ran = g._run\n"
            "def running(args, **options):\n"
            f"{again}"
            "    return ran(args, **options)\n"
            "g._run = running\n"
            "import atexit; atexit.register(lambda: print('SEEN', seen, file=sys.stderr))\n"
            "sys.argv = ['csops'] + sys.argv[1:]\n"
            "from csops.__main__ import run\n"
            "run()\n")


def _started(repo, probe: str, words) -> tuple[str, list]:
    """(stdout, what the probe saw) of `words` run through `probe` in the repository."""
    done = subprocess.run([sys.executable, "-c", probe, *words], capture_output=True, text=True,
                          env={**ENV, "CSOPS_RECORDS": str(repo.records)}, cwd=repo.root)
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout, eval(done.stderr.rsplit("SEEN ", 1)[1])


def test_the_process_starts_git_status_before_click_loads_and_the_command_takes_it(repo):
    """`python -m csops` starts `git status` for a read from its words alone, before click and the
    command's code are imported (csops.reads.start_early), on the folders the command reads; the
    command takes that one and asks Git no second time. A write, a help, an option csops does not
    know before the command, start none."""
    made = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                    "--summary", "电饭煲内胆有划痕")
    repo.out("validate")                 # the cache as the write left it: a read asks Git about its folders only
    probe = _probe("    if 'status' in args: seen.append(('click' in sys.modules, args[args.index('--') + 1:]))\n"
                   "    if 'rev-parse' in args: seen.append(('click' in sys.modules, 'rev-parse'))\n",
                   "    if 'rev-parse' in args or 'status' in args: seen.append(('again', args[0]))\n")

    def started(*words):
        return _started(repo, probe, words)

    out, seen = started("--now", "2026-12-01T10:00", "ticket", "list")        # and where the repository is
    assert made in out and seen == [(False, ["tickets", "customers"]), (False, "rev-parse")]
    out, seen = started(f"--records={repo.records}", "--as", "zhangsan", "search", "内胆")
    assert made in out and seen == [(False, ["."]), (False, "rev-parse")]
    assert started("ticket", "show", made)[1] == [(False, ["customers"]), (False, "rev-parse")]  # a tier's deadlines
    for words in (["ticket", "list", "--help"], ["--help"], ["--bogus", "ticket", "list"],
                  ["--now", "2026-12-01T10:00", "ticket", "note", made, "--note", "x"]):
        assert started(*words)[1] == [], words


def test_the_process_starts_a_records_history_walk_before_click_loads_and_log_takes_it(repo):
    """`python -m csops log ID` starts `git log` of the file the id's date puts it in as the process
    starts (csops.reads): the command takes that walk and runs none of its own, and answers as in
    one process (CliRunner). An abbreviation, or an id with no file where its date puts it, starts
    none (the command looks for it)."""
    made = repo.ticket()
    repo.run("ticket", "route", made, "--to-dept", "售后", "--assignee", "lisi", now="2026-11-24T10:00")
    probe = _probe("    if 'log' in args: seen.append(('click' in sys.modules, args[-1]))\n",
                   "    if 'log' in args: seen.append(('again', args[-1]))\n")

    def started(*words):
        return _started(repo, probe, words)

    rel = repo.path_of(made).relative_to(repo.records).as_posix()
    out, seen = started("log", made, "--format", "json")
    assert seen == [(False, rel)]
    assert json.loads(out) == repo.json("log", made) and len(json.loads(out)) == 2
    out, seen = started("log", made[-6:], "--format", "json")                  # an abbreviation
    assert json.loads(out) == repo.json("log", made) and all(who == "again" for who, _path in seen)
    assert started("log", made[:2] + "19991231" + made[10:])[1] == []          # no such file


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts the process's open files in /proc")
def test_a_git_status_a_command_never_took_leaves_nothing_open(repo):
    """A read that stops before it asks for the `git status` started for it (a refused filter)
    leaves no pipe open behind it in a long-lived process: it is dropped as the command ends."""
    import os

    from csops import gitlog

    repo.out("ticket", "list")
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        assert "--status bogus" in repo.run("ticket", "list", "--status", "bogus", code=2).stderr
    assert len(os.listdir("/proc/self/fd")) <= before and gitlog._STARTED == {}


def test_a_read_asks_git_about_its_own_folders_and_later_reads_still_see_every_edit(repo, monkeypatch):
    """`report stats` and `ticket list` ask Git only about tickets/ (and customers/): an edit left
    uncommitted in leave/ meanwhile is still seen by the next command that reads leave, and by
    validate; a command reading a type it did not name is a bug the index refuses loudly."""
    from csops import reads

    ticket = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "phone", "--customer", "王女士",
                      "--summary", "问发货")
    leave = repo.out("leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "2026-12-01T09:00",
                     "--end", "2026-12-01T18:00")
    later = "2026-12-01T10:00:00+08:00"
    for args in (["ticket", "list"], ["leave", "list"], ["validate"], ["report", "stats", "--period", "2026-11"]):
        repo.run(*args, now=later)                       # every cache filled
    path = repo.path_of(leave)
    path.write_text(path.read_text(encoding="utf-8").replace("2026-12-01T18:00", "2026-12-01T17:00"),
                    encoding="utf-8")
    assert ticket in repo.out("ticket", "list", now=later)
    repo.run("report", "stats", "--period", "2026-11", now=later)
    assert "17:00" in repo.out("leave", "show", leave, now=later)
    assert any(row["id"] == leave and "17:00" in str(row) for row in repo.json("leave", "list", now=later))
    assert repo.run("validate", now=later, code=None).exit_code == 0

    monkeypatch.setitem(reads.READS, "ticket", {"list": ("leave",)})
    with pytest.raises(AssertionError, match="asked about ticket, but Git only about leave"):
        repo.run("ticket", "list", now=later, code=None)      # the tests run with CSOPS_DEBUG: raised


def test_the_benchmark_files_a_run_under_the_size_asked_for(tmp_path):
    """`bench/run.py --markdown` replaces the section of the size asked for: a reused repository
    grows by each run's writes, and a run on it must not add a section of its own each time."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_run", Path(__file__).parent.parent / "bench" / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\n## Method\n\nhow\n\n## 1,000,000 records\n\nold\n", encoding="utf-8")
    header = ("figure", "measured", "baseline", "ratio", "target", "met")
    for count, figure in ((100_059, "0.31 s"), (100_529, "0.27 s")):
        run._write_markdown(doc, 100_000, count, header, [("report stats", figure, "", "", "≤ 0.3 s", "yes")])
    text = doc.read_text(encoding="utf-8")
    assert text.count("## 100,000 records") == 1 and "100,059" not in text and "0.31 s" not in text
    assert "(100,529 records in the repository)" in text and "| report stats | 0.27 s |" in text
    assert "## Method\n\nhow" in text and "## 1,000,000 records\n\nold" in text
