"""Writes that never lose or misattribute a change (SPEC §10 "Writes" and "Files"): a plain
`git commit` racing csops, SIGKILL and SIGINT at every point of a write, a full disk, a detached
HEAD, GIT_DIR pointing elsewhere, the clock read after the lock, money as decimal strings.

Crashes are real: csops runs in a child process (`sys.executable -m csops`, or a wrapper that
makes it die at a named point of the protocol) and is killed; `csops recover` then runs.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from csops import yamlio
from tests.conftest import ENV, run_csops

NEW = ["ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李", "--summary", "x"]


def csops(repo, *args, **kwargs):
    return run_csops(repo, *args, **kwargs)


def records_status(repo) -> str:
    """Anything uncommitted or untracked under records/, and any lock or journal left in .git."""
    status = repo.git("status", "--porcelain", "--untracked-files=all", "--", "records")
    leftovers = [p.name for p in (repo.root / ".git").glob("*") if p.name in ("index.lock", "csops-journal.json")
                 or p.name.startswith("csops-index-")]
    return status + " ".join(leftovers)


def landed_records(repo) -> dict[str, str]:
    """record id → the author of the commit that created it, for every csops commit in history."""
    out = {}
    log = repo.git("log", "--format=%an%x09%(trailers:key=Csops-Record,valueonly,separator=%x2C)")
    for line in log.splitlines():
        author, _, ids = line.partition("\t")
        for record_id in filter(None, ids.split(",")):
            out.setdefault(record_id.strip(), author)
    return out


# -- a plain git commit racing csops -----------------------------------------------------------------

def test_a_plain_git_commit_racing_csops_never_carries_its_change_under_another_name(repo):
    repo.git("config", "user.name", "路人甲")
    repo.git("config", "user.email", "passerby@example.com")
    racer = subprocess.Popen(["bash", "-c", "while :; do date +%s%N > n; git add n 2>/dev/null; "
                              "git commit -qm u >/dev/null 2>&1; done"], cwd=repo.root)
    try:
        ids = []
        for i in range(12):
            result = csops(repo, *NEW, now=f"2026-11-23T10:{i:02d}")
            assert result.returncode == 0, result.stderr
            ids.append(result.stdout.strip())
    finally:
        racer.kill()
        racer.wait()
    while (repo.root / ".git" / "index.lock").exists():
        time.sleep(0.05)
    for record_id in ids:
        path = repo.path_of(record_id).relative_to(repo.root).as_posix()
        authors = repo.git("log", "--format=%an", "--", path).split()
        assert authors == ["张三"], (record_id, authors, repo.git("log", "--format=%h %an %s", "--stat", "-5", "--", path),
                                     repo.git("log", "-p", "-3", "--format=%h %an", "--", path)[-1500:])
    passerby = repo.git("log", "--author=passerby", "--name-only", "--format=")
    assert "records/" not in passerby
    assert repo.git("status", "--porcelain", "--", "records") == ""
    assert csops(repo, "validate", "--history", as_=None, now=None).returncode == 0


# -- SIGKILL at each point of the protocol ----------------------------------------------------------

DIE_AT = textwrap.dedent("""
    import os, sys
    import csops.gitlog, csops.txn
    point = sys.argv[1]
    def die(*args, **kwargs):
        os._exit(137)
    if point == "after-journal":
        csops.txn._take_index_lock = die
    elif point == "after-temps":
        csops.gitlog.Git.hash_files = die
    elif point == "before-commit-point":
        csops.gitlog.Git.move_ref = die
    elif point == "after-commit-point":
        original = csops.gitlog.Git.move_ref
        def move_then_die(self, *args, **kwargs):
            if original(self, *args, **kwargs):
                os._exit(137)
            return False
        csops.gitlog.Git.move_ref = move_then_die
    elif point == "as-index-installed":          # dies as the new index is put in place (before HEAD moves)
        replace = os.replace
        os.replace = lambda src, dst: die() if str(dst).endswith(os.sep + "index") else replace(src, dst)
    elif point == "as-records-renamed":          # dies as the record file is put in place (after HEAD moved)
        replace = os.replace
        os.replace = lambda src, dst: die() if str(dst).endswith(".yaml") else replace(src, dst)
    from csops.cli import main
    main(sys.argv[2:])
""")


def die_at(repo, point, *args, now="2026-11-23T11:00"):
    argv = ["--records", str(repo.records), "--as", "zhangsan", "--now", now, *args]
    result = subprocess.run([sys.executable, "-c", DIE_AT, point, *argv], capture_output=True, text=True, env=ENV)
    assert result.returncode == 137, result.stderr


def routed(repo, record_id) -> bool:
    return yamlio.load(repo.path_of(record_id).read_text())["status"] == "routed"


@pytest.mark.parametrize("point, lands", [("after-journal", False), ("after-temps", False),
                                          ("as-index-installed", False), ("before-commit-point", False),
                                          ("after-commit-point", True), ("as-records-renamed", True)])
def test_a_write_killed_at_any_point_is_finished_or_undone_by_recover(repo, point, lands):
    record_id = repo.out(*NEW, now="2026-11-23T10:00")
    head = repo.head()
    die_at(repo, point, "ticket", "route", record_id, "--to-dept", "仓库")
    # every command sees the leftover first; validate names it
    refused = csops(repo, "ticket", "list")
    assert refused.returncode == 1 and "run csops recover" in refused.stderr
    report = csops(repo, "validate", as_=None, now=None)
    assert report.returncode == 1 and "INTERRUPTED_WRITE" in report.stdout
    done = csops(repo, "recover", as_=None, now=None, check=0)
    assert ("completed" in done.stdout) == lands and ("undid" in done.stdout) == (not lands)
    assert records_status(repo) == ""
    assert (repo.head() != head) == lands and routed(repo, record_id) == lands
    assert csops(repo, "validate", "--history", as_=None, now=None).returncode == 0
    again = csops(repo, "recover", as_=None, now=None, check=0)          # idempotent
    assert again.stdout == "" and "nothing to recover" in again.stderr
    csops(repo, "ticket", "route", record_id, "--to-dept", "物流", now="2026-11-23T12:00", check=0)


def test_a_new_record_killed_before_its_commit_leaves_nothing(repo):
    head = repo.head()
    die_at(repo, "before-commit-point", *NEW)
    csops(repo, "recover", as_=None, now=None, check=0)
    assert repo.head() == head and not list(repo.records.rglob("T-*.yaml")) and records_status(repo) == ""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_signals_at_random_moments_leave_the_old_or_the_new_state(repo, sig):
    """Seeded: the same delays on every run. Whatever the moment, after recover the record is
    either unchanged or changed and committed — never changed and uncommitted — and csops never
    said "nothing was committed" for a change that landed."""
    rng = random.Random(f"csops-{int(sig)}")
    record_id = repo.out(*NEW, now="2026-11-23T10:00")
    for i in range(8):
        before = repo.head()
        argv = [sys.executable, "-m", "csops", "--records", str(repo.records), "--as", "zhangsan", "--now",
                f"2026-11-23T11:{i:02d}", "ticket", "route", record_id, "--to-dept", f"D{i}"]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(sig)
        _, err = proc.communicate()
        assert "Traceback" not in err
        csops(repo, "recover", as_=None, now=None, check=0)
        assert records_status(repo) == ""
        landed = repo.head() != before
        data = yamlio.load(repo.path_of(record_id).read_text())
        assert (data.get("department") == f"D{i}") == landed
        if "nothing was committed" in err:
            assert not landed, err
    assert csops(repo, "validate", "--history", as_=None, now=None).returncode == 0


# -- a full disk -----------------------------------------------------------------------------------

@pytest.fixture
def tiny_disk(tmp_path):
    """A 6 MB tmpfs (needs root and mount; the test is skipped where it cannot be made)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("making a tiny filesystem needs root and mount")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_full_disk_leaves_the_old_state_and_one_line(repo, tiny_disk):
    from tests.conftest import Repo

    root = tiny_disk / "repo"
    shutil.copytree(repo.root, root)
    small = Repo(root)
    record_id = small.out(*NEW, now="2026-11-23T10:00")
    filler = tiny_disk / "filler"
    for free in (0, 2048, 6144, 12288, 24576, 65536):     # from nothing left to room for some steps
        filler.unlink(missing_ok=True)
        stat = os.statvfs(tiny_disk)
        size = max(stat.f_bavail * stat.f_frsize - free, 0)
        with open(filler, "wb") as handle:
            try:
                handle.write(b"\0" * size)
            except OSError:
                pass
        head = small.head()
        result = csops(small, "ticket", "route", record_id, "--to-dept", f"F{free}", now=f"2026-11-23T11:{free % 60:02d}")
        filler.unlink()
        if result.returncode != 0:
            assert result.returncode in (1, 2) and result.stderr.count("\n") == 1, result.stderr
            assert small.head() == head
        assert records_status(small) == "", (free, result.stderr)
        assert routed(small, record_id) == (result.returncode == 0 or small.head() != head)
    assert csops(small, "validate", "--history", as_=None, now=None).returncode == 0


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "PYTHONUNBUFFERED"])
def test_output_lost_after_the_commit_says_the_change_was_committed(repo, unbuffered):
    """Printing the new id to a full disk fails after the commit: the message must not say
    nothing was committed — whatever Python's buffering (buffered, it fails only at the flush)."""
    head = repo.head()
    argv = [sys.executable, "-m", "csops", "--records", str(repo.records), "--as", "zhangsan", "--now",
            "2026-11-23T10:00", *NEW]
    env = {k: v for k, v in ENV.items() if k != "PYTHONUNBUFFERED"} | ({"PYTHONUNBUFFERED": "1"} if unbuffered else {})
    with open("/dev/full", "w") as full:
        result = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE, text=True, env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Exception ignored" not in result.stderr
    assert "but the change was committed" in result.stderr and "nothing was committed" not in result.stderr
    assert repo.git("rev-parse", "HEAD~1").strip() == head and records_status(repo) == ""


# -- where csops commits ---------------------------------------------------------------------------

def test_a_detached_head_is_refused_with_the_way_out(repo):
    repo.git("checkout", "-q", "--detach")
    out = repo.refused(*NEW)
    assert "HEAD is detached" in out and "git switch" in out


def test_the_branch_read_from_the_head_file_is_what_git_says(repo):
    """Git.branch reads .git/HEAD itself; whatever that file holds, the answer is git symbolic-ref's."""
    from csops.gitlog import Git

    head = repo.root / ".git" / "HEAD"

    def says() -> str | None:
        done = subprocess.run(["git", "symbolic-ref", "-q", "HEAD"], cwd=repo.root, capture_output=True, text=True)
        return done.stdout.strip() or None

    commit, original = repo.git("rev-parse", "HEAD").strip(), head.read_text(encoding="utf-8")
    for text in (None, f"{commit}\n", "ref: refs/heads/other\n", "ref: refs/heads/main", "ref: refs/heads/.invalid\n",
                 "ref: refs/heads/工单\n", "ref: refs/heads/x~1\n", "ref: refs/heads/a..b\n", "ref: refs/heads/x.lock\n",
                 "ref: refs/heads/a b\n", "ref: refs/heads/\n", "ref: refs/heads/../../config\n"):
        if text is not None:
            head.write_text(text, encoding="utf-8")
        assert Git(repo.root).branch() == says(), text
    head.write_text(original, encoding="utf-8")
    repo.git("-c", "core.preferSymlinkRefs=true", "checkout", "-q", "-b", "feat")      # HEAD as a symbolic link
    assert head.is_symlink() and Git(repo.root).branch() == says() == "refs/heads/feat"
    repo.git("checkout", "-q", "--detach")
    assert Git(repo.root).branch() is None and says() is None


def test_a_commit_gpgsign_git_cannot_read_refuses_the_write(repo):
    """Asked on the side while the change is built; a value git cannot read (as `git commit`
    would) refuses the write rather than committing unsigned."""
    repo.git("config", "commit.gpgsign", "maybe")
    out = repo.refused(*NEW)
    assert "commit.gpgsign" in out and "bad boolean" in out and "nothing was committed" in out
    repo.git("config", "commit.gpgsign", "false")
    repo.run(*NEW)


def test_git_dir_in_the_environment_cannot_send_the_commit_elsewhere(repo, tmp_path):
    other = tmp_path / "other"
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    env = {"GIT_DIR": str(other / ".git"), "GIT_WORK_TREE": str(other), "GIT_INDEX_FILE": str(other / ".git" / "x")}
    result = csops(repo, *NEW, env=env, check=0)
    assert repo.git("log", "-1", "--format=%s").startswith(f"ticket {result.stdout.strip()}: new")
    assert subprocess.run(["git", "-C", str(other), "rev-parse", "--verify", "-q", "HEAD"],
                          capture_output=True).returncode != 0           # the other repository got nothing


def test_the_clock_of_a_change_is_read_after_the_lock(repo):
    """Eight writers on one record, each with the real clock: read after the lock, the entries
    stay in time order (read before it, a writer that waited wrote an older time)."""
    record_id = repo.out(*NEW, now="2026-11-20T10:00")
    argv = [sys.executable, "-m", "csops", "--records", str(repo.records), "--as", "zhangsan", "ticket", "route",
            record_id, "--to-dept"]
    procs = [subprocess.Popen(argv + [f"D{i}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**ENV, "CSOPS_LOCK_TIMEOUT": "60"}) for i in range(8)]
    for proc in procs:
        _, err = proc.communicate()
        assert proc.returncode == 0, err
    history = yamlio.load(repo.path_of(record_id).read_text())["history"]
    assert len(history) == 9
    assert csops(repo, "validate", "--history", as_=None, now=None).returncode == 0


# -- money -----------------------------------------------------------------------------------------

def test_money_is_a_bounded_decimal_string_never_a_float(repo):
    from tests.test_returns import self_return_to_qc

    record_id = self_return_to_qc(repo)
    for bad in ("90071992547409.93", "1000000.01", "1e3", "nan", "0.001"):
        out = repo.refused("return", "move", record_id, "refunded", "--amount", bad, as_="zhoucw",
                           now="2026-11-25T10:00", code=2)
        assert "--amount" in out
    repo.run("return", "move", record_id, "refunded", "--amount", "999999.99", as_="zhoucw", now="2026-11-25T10:00")
    text = repo.path_of(record_id).read_text()
    assert "amount: '999999.99'" in text
    assert repo.json("return", "show", record_id, as_="zhoucw")["refund"]["amount"] == "999999.99"


def test_a_round_one_number_amount_is_a_warning_and_the_next_write_converts_it(repo):
    event = repo.out("score", "add", "--person", "lisi", "--code", "WRONG_INFO", "--fine", "15", as_="liubz",
                     now="2026-11-23T10:00")
    path = repo.path_of(event)
    path.write_text(path.read_text().replace("fine: '15.00'", "fine: 15"))
    repo.git("-c", "user.name=刘班长", "-c", "user.email=liubz@example.com", "commit", "-qam", "round 1 file")
    result = repo.run("validate")
    assert "warning: LEGACY_AMOUNT" in result.stdout and 'write it as "15.00"' in result.stdout
    repo.run("score", "confirm", event, as_="zhaozg", now="2026-11-23T11:00")
    assert "fine: '15.00'" in path.read_text() and "LEGACY_AMOUNT" not in repo.run("validate").stdout


# -- found by an adversarial pass -------------------------------------------------------------------

def test_ctrl_c_to_the_whole_process_group_at_the_commit_point_never_says_nothing_was_committed(repo):
    """Ctrl-C reaches every process of the terminal's group; a `git update-ref` killed after the
    branch moved used to make csops report failure for a change that had landed."""
    hook = repo.root / ".git" / "hooks" / "reference-transaction"
    hook.write_text('#!/bin/sh\n[ "$1" = committed ] && sleep 1.5\nexit 0\n')
    hook.chmod(0o755)
    head = repo.head()
    argv = [sys.executable, "-m", "csops", "--records", str(repo.records), "--as", "zhangsan", "--now",
            "2026-11-23T10:00", *NEW]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                            start_new_session=True)
    deadline = time.monotonic() + 20
    while repo.head() == head and time.monotonic() < deadline:      # the ref has moved; its hook still runs
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate()
    hook.unlink()
    assert repo.head() != head
    assert "nothing was committed" not in err and "only after the change was committed" in err, err
    assert proc.returncode == 130 and out.strip().startswith("T-")
    assert records_status(repo) == ""
    assert csops(repo, "validate", "--history", as_=None, now=None).returncode == 0


def test_a_second_writer_never_erases_a_crashed_writers_journal(repo):
    record_id = repo.out(*NEW, now="2026-11-23T10:00")
    die_at(repo, "after-commit-point", "ticket", "route", record_id, "--to-dept", "仓库")
    journal = (repo.root / ".git" / "csops-journal.json").read_bytes()
    other = csops(repo, *NEW, now="2026-11-23T12:00")
    assert other.returncode == 1 and "run csops recover" in other.stderr
    assert (repo.root / ".git" / "csops-journal.json").read_bytes() == journal
    assert "completed" in csops(repo, "recover", as_=None, now=None, check=0).stdout
    assert routed(repo, record_id) and records_status(repo) == ""


def test_recover_never_touches_another_git_processs_index_lock(repo):
    lock = repo.root / ".git" / "index.lock"
    lock.write_bytes(b"")                                  # git add hashing a big file holds it empty
    assert csops(repo, "recover", as_=None, now=None, check=0).stdout == ""
    assert lock.exists()
    lock.unlink()
    record_id = repo.out(*NEW, now="2026-11-23T10:00")
    die_at(repo, "after-journal", "ticket", "route", record_id, "--to-dept", "仓库")
    lock.write_bytes(b"")
    csops(repo, "recover", as_=None, now=None, check=0)
    assert lock.exists() and lock.read_bytes() == b""
    lock.unlink()


def test_recover_after_someone_removed_the_lock_keeps_their_staged_work(repo):
    record_id = repo.out(*NEW, now="2026-11-23T10:00")
    die_at(repo, "after-commit-point", "ticket", "route", record_id, "--to-dept", "仓库")
    (repo.root / ".git" / "index.lock").unlink()                    # as git's own message advises
    (repo.root / "mywork.txt").write_text("mine\n")
    repo.git("add", "mywork.txt")
    csops(repo, "recover", as_=None, now=None, check=0)
    assert "A  mywork.txt" in repo.git("status", "--porcelain")
    assert routed(repo, record_id) and repo.git("status", "--porcelain", "--", "records") == ""


def test_an_edit_saved_while_csops_writes_is_refused_not_committed_under_its_name(repo):
    record_id = repo.out(*NEW, now="2026-11-23T10:00")
    path = repo.path_of(record_id)
    sneak = textwrap.dedent(f"""
        import sys, csops.gitlog
        original = csops.gitlog.Git.make_commit
        def edit_then_commit(self, *args, **kwargs):
            with open({str(path)!r}, "a") as handle:
                handle.write("# TEAMMATE UNSAVED EDIT\\n")
            return original(self, *args, **kwargs)
        csops.gitlog.Git.make_commit = edit_then_commit
        from csops.cli import main
        main(sys.argv[1:])
    """)
    head = repo.head()
    result = subprocess.run([sys.executable, "-c", sneak, "--records", str(repo.records), "--as", "zhangsan",
                             "--now", "2026-11-23T11:00", "ticket", "route", record_id, "--to-dept", "仓库"],
                            capture_output=True, text=True, env=ENV)
    assert result.returncode == 1 and "was edited while csops was writing it" in result.stderr
    assert "nothing was committed" in result.stderr and repo.head() == head
    assert "TEAMMATE" not in repo.git("show", "HEAD:" + path.relative_to(repo.root).as_posix())


def test_staged_changes_a_merge_in_progress_and_a_record_named_twice_are_refused(repo):
    record_id = repo.out(*NEW, now="2026-11-23T10:00")
    path = repo.path_of(record_id)
    original = path.read_text()
    path.write_text(original.replace("summary: x", "summary: staged"))
    repo.git("add", str(path))
    path.write_text(original)                                        # work tree back, the index still staged
    out = repo.refused("ticket", "route", record_id, "--to-dept", "仓库", now="2026-11-23T11:00")
    assert "has staged changes" in out
    repo.git("reset", "-q")
    (repo.root / ".git" / "MERGE_HEAD").write_text(repo.head() + "\n")
    assert "a merge is in progress" in repo.refused("ticket", "route", record_id, "--to-dept", "仓库",
                                                    now="2026-11-23T11:00")
    (repo.root / ".git" / "MERGE_HEAD").unlink()
    from tests.test_returns import self_return_to_qc

    ret = self_return_to_qc(repo)
    out = repo.refused("return", "vendor", "--supplier", "S1", ret, ret[-6:], as_="suncg", now="2026-11-25T10:00",
                       code=2)
    assert "named twice" in out


def test_a_crlf_checkout_is_the_same_record_and_stray_files_are_left_alone(repo):
    record_id = repo.out(*NEW, now="2026-11-23T10:00")
    path = repo.path_of(record_id)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))    # as a Windows desk with autocrlf sees it
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", now="2026-11-23T11:00")
    draft = path.parent / ".draft.20261123.tmp"                       # someone's own temp file
    draft.write_text("mine")
    csops(repo, "recover", as_=None, now=None, check=0)
    assert draft.exists()
    assert "INTERRUPTED_WRITE" not in csops(repo, "validate", as_=None, now=None).stdout


def test_an_index_lock_left_by_csops_after_its_journal_is_released_by_recover(repo):
    lock = repo.root / ".git" / "index.lock"
    lock.write_bytes(b"csops 0123456789abcdef\n")
    refused = csops(repo, *NEW)
    assert refused.returncode == 1 and "run csops recover" in refused.stderr
    assert "removed the index lock" in csops(repo, "recover", as_=None, now=None, check=0).stdout
    assert not lock.exists()


def test_a_round_one_amount_is_only_a_warning_reports_still_use_the_record(repo):
    event = repo.out("score", "add", "--person", "lisi", "--code", "WRONG_INFO", "--fine", "15", as_="liubz",
                     now="2026-11-23T10:00")
    path = repo.path_of(event)
    path.write_text(path.read_text().replace("fine: '15.00'", "fine: 15"))
    result = repo.run("report", "scores", "--period", "2026-11", "--format", "json", now="2026-11-30T18:00")
    assert "跳过" not in result.stderr and "skipped" not in result.stderr
    assert {r["person"]: r for r in __import__("json").loads(result.stdout)}["lisi"]["fines"] == 15


def test_a_hook_that_refuses_the_branch_move_is_named_and_leaves_no_folder_behind(repo):
    # found by bench/fuzz.py (seed 6): the refusal left records/scores/2026/12/ behind, empty
    hook = repo.root / ".git" / "hooks" / "reference-transaction"
    hook.write_text('#!/bin/sh\n[ "$1" = prepared ] && exit 1\nexit 0\n')
    hook.chmod(0o755)
    out = repo.refused("score", "add", "--person", "lisi", "--code", "PHONE_RINGS", "--date", "2026-12-02",
                       as_="liubz", now="2026-12-02T18:00")
    assert "git refused to move refs/heads/main (a reference-transaction hook?)" in out
    assert "nothing was committed" in out
    assert not (repo.records / "scores" / "2026" / "12").exists()


def test_a_ctrl_c_while_csops_is_still_loading_is_one_line(monkeypatch, capsys):
    """Before the CLI's error boundary exists: an interrupt while csops imports, and one Python
    would report as ignored in a module lock's callback."""
    import types

    from csops import __main__ as entry

    class Interrupting(types.ModuleType):
        def __getattr__(self, name):
            raise KeyboardInterrupt

    monkeypatch.setitem(sys.modules, "csops.cli", Interrupting("csops.cli"))
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    with pytest.raises(SystemExit) as stop:
        entry.run()
    assert stop.value.code == 130 and "nothing was committed" in capsys.readouterr().err
    seen = []
    info = types.SimpleNamespace(exc_type=KeyboardInterrupt)
    entry._quiet_interrupt(info, default=seen.append)
    assert seen == []                                      # said nothing
    other = types.SimpleNamespace(exc_type=ValueError)
    entry._quiet_interrupt(other, default=seen.append)
    assert seen == [other]                                 # anything else as Python would


def test_blobs_or_trees_git_makes_otherwise_than_csops_worked_out_are_refused(repo, monkeypatch):
    """csops names the new blobs and trees itself (the commit is made while Git writes them);
    Git's answers are compared before anything points at them."""
    from csops import gitlog

    head = repo.head()
    real_hash, real_body = gitlog.Git.hash_files, gitlog._tree_body
    with monkeypatch.context() as patch:
        patch.setattr(gitlog.Git, "hash_files", lambda self, paths: ["0" * 40 for _ in real_hash(self, paths)])
        out = repo.refused(*NEW)
    assert "git hash-object wrote different blobs than expected" in out and "nothing was committed" in out
    assert repo.head() == head and records_status(repo) == ""
    with monkeypatch.context() as patch:
        patch.setattr(gitlog, "_tree_body", lambda entries: real_body(entries) + b"\0")
        out = repo.refused(*NEW)
    assert "git mktree wrote different trees than expected" in out and "nothing was committed" in out
    assert repo.head() == head and records_status(repo) == ""
    repo.out(*NEW)                                   # and the next write lands
    assert repo.head() != head and records_status(repo) == ""


def test_a_commit_landing_after_git_was_asked_ahead_is_kept_under_the_write(repo, monkeypatch):
    """A write asks Git for the branch's commit and trees while it builds the change (read_ahead);
    a plain commit landing after that answer is not overwritten: the write goes on top of it."""
    from csops import gitlog

    real = gitlog.Git.ahead

    def ahead_then_someone_commits(self, branch):
        wait = real(self, branch)
        assert wait is not None                      # the write did ask ahead
        head, known = wait()
        # a committer that read the index before csops took its lock (its own index file here)
        other = {**os.environ, "GIT_INDEX_FILE": str(repo.root / ".git" / "other-index")}
        (repo.root / "notes.txt").write_text("meanwhile\n")
        for args in (["read-tree", "HEAD"], ["add", "notes.txt"],
                     ["-c", "user.name=路人甲", "-c", "user.email=p@example.com", "commit", "-qm", "meanwhile"]):
            subprocess.run(["git", *args], cwd=repo.root, env=other, check=True, capture_output=True)
        return lambda: (head, known)                 # what was read before that commit

    monkeypatch.setattr(gitlog.Git, "ahead", ahead_then_someone_commits)
    record_id = repo.out(*NEW)
    monkeypatch.undo()
    log = repo.git("log", "--format=%an %s", "-2").splitlines()
    assert log[0].startswith("张三") and log[1] == "路人甲 meanwhile"
    assert repo.git("show", "HEAD:notes.txt") == "meanwhile\n"
    assert repo.git("ls-tree", "--name-only", "-r", "HEAD", "--", str(repo.path_of(record_id).relative_to(repo.root)))
    assert records_status(repo) == ""


def test_a_commit_of_the_same_record_landing_after_git_was_asked_ahead_is_built_on(repo, monkeypatch):
    """The branch read ahead is older than the record the change is made from: asked again, not
    refused as "changed in Git"."""
    from csops import gitlog

    record_id = repo.out(*NEW)
    path = repo.path_of(record_id)
    real = gitlog.Git.read_ahead

    def ahead_then_the_record_is_committed(self, paths):
        real(self, paths)
        self.__dict__["_ahead"]()                     # Git has answered …
        path.write_text(path.read_text() + "# checked by hand\n")
        repo.git("add", str(path))                   # … and then a hand edit of this record is committed
        repo.git("-c", "user.name=路人甲", "-c", "user.email=p@example.com", "commit", "-qm", "by hand")

    monkeypatch.setattr(gitlog.Git, "read_ahead", ahead_then_the_record_is_committed)
    repo.out("ticket", "route", record_id, "--to-dept", "仓库", now="2026-11-23T11:00")
    monkeypatch.undo()
    assert repo.git("log", "--format=%an", "-2").split() == ["张三", "路人甲"]
    text = repo.git("show", f"HEAD:{path.relative_to(repo.root).as_posix()}")
    assert "# checked by hand" in text and "status: routed" in text
    assert records_status(repo) == ""
