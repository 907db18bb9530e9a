"""The accidents of real use (Trust IV, SPEC §10 third-round bullets): readers that close the
pipe, full disks, missing Git objects, a rebase in progress, files saved by YAML 1.2 tools,
merges that cannot both stand, machines without fork, and caches in odd Git states."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from tests.conftest import ENV, run_csops

NEW = ["ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李", "--summary", "x"]


def csops(repo, *args, **kwargs):
    return run_csops(repo, *args, **kwargs)


# -- pipes and full disks ----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "table", "csv", "markdown"])
def test_a_reader_gone_ends_every_format_quietly(repo, fmt):
    """`csops ticket list --format json | head -c 100`: the reader has what it wanted; exit 0, no
    message (the pipe is closed before csops writes, the harshest case)."""
    for n in range(3):
        repo.run(*NEW[:-1], f"摘要{n}")
    read, write = os.pipe()
    os.close(read)
    try:
        result = csops(repo, "ticket", "list", "--format", fmt, stdout=write)
    finally:
        os.close(write)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "PYTHONUNBUFFERED"])
def test_a_listing_to_a_full_disk_says_so_in_one_line(repo, unbuffered):
    repo.run(*NEW)
    with open("/dev/full", "w") as full:
        result = csops(repo, "ticket", "list", "--format", "json", stdout=full,
                       env={"PYTHONUNBUFFERED": "1" if unbuffered else None})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "No space left on device" in result.stderr
    assert "nothing was committed" in result.stderr


# -- missing Git objects -----------------------------------------------------------------------------

def _drop_object(repo, spec: str) -> str:
    """Delete the loose object `spec` names (as a repack racing a reader, or a broken disk, would
    leave it unreadable); returns its id."""
    sha = repo.git("rev-parse", spec).strip()
    loose = repo.root / ".git" / "objects" / sha[:2] / sha[2:]
    assert loose.exists(), "the object is packed: this test needs it loose"
    loose.unlink()
    return sha


def test_a_missing_tree_refuses_the_write_instead_of_emptying_the_folder(repo):
    """A folder Git cannot read is not an empty folder: taken for one, the next commit would drop
    every earlier ticket (the repack race's outcome). The write is refused, nothing committed."""
    first = repo.out(*NEW, now="2026-11-23T09:00:00+08:00")
    folder = str(repo.path_of(first).parent.relative_to(repo.root))
    head = repo.head()
    _drop_object(repo, f"HEAD:{folder}")
    result = repo.run(*NEW, now="2026-11-23T10:00:00+08:00", code=1)
    assert "missing or damaged object" in result.output and "git fsck" in result.output
    assert result.output.count("\n") == 1
    assert repo.head() == head


def test_a_missing_parent_tree_is_refused_too(repo):
    repo.out(*NEW)
    head = repo.head()
    _drop_object(repo, "HEAD:records/tickets")
    assert "missing or damaged object" in repo.run(*NEW, code=1).output
    assert repo.head() == head


def test_a_commit_that_would_change_more_than_its_files_never_lands(repo, monkeypatch):
    """The last guard, Git's own reading of the new commit: if the trees were ever misread, the
    ref does not move (here the misreading is forced: the old trees read as empty)."""
    from csops import gitlog

    repo.out(*NEW)
    head = repo.head()
    monkeypatch.setattr(gitlog.Git, "_old_trees", lambda self, head, folders: {f: {} for f in folders})
    monkeypatch.setattr(gitlog.Git, "ahead", lambda self, branch: None)
    result = repo.run(*NEW, code=1)
    assert "would also change" in result.output and "records/people/" in result.output
    assert repo.head() == head


# -- another Git operation between its steps ---------------------------------------------------------

@pytest.mark.parametrize("step", ["rebase-merge", "detached"])
def test_a_rebase_that_starts_during_a_write_is_not_tangled_with_it(repo, monkeypatch, step):
    """`git pull --rebase` racing csops: the rebase began after csops' first look. Under the index
    lock, just before the index goes in and the branch moves, csops looks again and refuses:
    nothing committed, the index and the branch as the rebase left them."""
    from csops import gitlog

    repo.out(*NEW)
    branch = repo.git("symbolic-ref", "HEAD").strip()
    head, index = repo.head(), (repo.root / ".git" / "index").read_bytes()
    made = gitlog.Git.make_commit

    def rebase_begins(self, *args, **kwargs):
        if step == "rebase-merge":
            (self.git_dir / "rebase-merge").mkdir(exist_ok=True)
        else:
            (self.git_dir / "HEAD.new").write_text(head + "\n")    # by rename, as Git writes it
            os.replace(self.git_dir / "HEAD.new", self.git_dir / "HEAD")
        return made(self, *args, **kwargs)

    monkeypatch.setattr(gitlog.Git, "make_commit", rebase_begins)
    output = repo.run(*NEW, code=1).output
    assert ("a rebase is in progress" in output) if step == "rebase-merge" else ("HEAD moved off" in output), output
    assert "nothing was committed" in output
    assert repo.git("rev-parse", branch).strip() == head
    assert (repo.root / ".git" / "index").read_bytes() == index


# -- an exit status that never lies ------------------------------------------------------------------

def test_a_link_loop_among_the_records_is_named_and_stops_nothing(repo):
    """`ln -s loop records/tickets/loop`: a write lands and exits 0 (a script that checks the
    status must not retry and make a duplicate); reads go on, naming the link; validate reports
    it with its code."""
    (repo.records / "tickets").mkdir(exist_ok=True)
    os.symlink("loop", repo.records / "tickets" / "loop")
    head = repo.head()
    made = csops(repo, *NEW)
    assert made.returncode == 0 and made.stdout.startswith("T-"), made.stderr
    assert repo.head() != head
    listed = csops(repo, "ticket", "list")
    assert listed.returncode == 0 and made.stdout.strip() in listed.stdout
    assert "SYMLINK_NOT_ALLOWED" in listed.stderr and "loop" in listed.stderr
    overdue = csops(repo, "report", "overdue")
    assert overdue.returncode == 0 and "SYMLINK_NOT_ALLOWED" in overdue.stderr
    checked = csops(repo, "validate")
    assert checked.returncode == 1 and "loop:1: SYMLINK_NOT_ALLOWED" in checked.stdout


def test_a_file_that_fails_after_the_commit_is_a_warning_not_a_failure(repo, monkeypatch):
    """A mutation whose change landed exits 0 whatever is read afterwards (here the related-records
    warning meets an unreadable file): the failure is a warning naming the commit."""
    from csops import txn

    real = txn.commit_files

    def then_a_read_fails(*args, **kwargs):
        real(*args, **kwargs)
        raise PermissionError(13, "Permission denied", str(repo.records / "tickets" / "x.yaml"))

    monkeypatch.setattr(txn, "commit_files", then_a_read_fails)
    head = repo.head()
    result = repo.run(*NEW, code=0)
    assert repo.head() != head
    assert "warning: " in result.stderr and "Permission denied" in result.stderr
    assert "the change was committed: " + repo.head()[:10] in result.stderr


# -- files as other tools write them: YAML 1.2 --------------------------------------------------------

def test_a_policy_saved_by_a_yaml_1_2_tool_means_what_it_says(repo):
    """ruamel's default YAML() — the round-trip library csops itself uses — unquotes `cutoff:
    '18:00'` on save. Under YAML 1.2 that is the text 18:00, and every command goes on."""
    from ruamel.yaml import YAML

    path = repo.records / "policy.yaml"
    tool = YAML()
    data = tool.load(path.read_text(encoding="utf-8"))
    with path.open("w", encoding="utf-8") as handle:
        tool.dump(data, handle)
    assert "'18:00'" not in path.read_text(encoding="utf-8") and ": 18:00" in path.read_text(encoding="utf-8")
    repo.git("commit", "-qam", "policy saved by another tool")
    record_id = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李",
                         "--summary", "x", now="2026-11-23T17:00:00+08:00")
    assert repo.json("ticket", "show", record_id)["due"].startswith("2026-11-23T18:00")
    assert repo.run("validate", as_=None).exit_code == 0


def test_hand_written_text_fields_keep_their_plain_scalars_as_written(repo):
    """`summary: 12:30`, `order: 0777`, a contact with its leading zero: text, exactly as written
    (YAML 1.1 read them as numbers and csops refused them)."""
    record_id = repo.out(*NEW)
    path = repo.path_of(record_id)
    text = path.read_text(encoding="utf-8").replace("summary: x", "summary: 12:30\norder: 0777\nextra1: 1_000")
    path.write_text(text, encoding="utf-8")
    repo.git("commit", "-qam", "hand edit by the creator", "--author", "张三 <zhangsan@example.com>")
    shown = repo.json("ticket", "show", record_id)
    assert (shown["summary"], shown["order"], shown["extra1"]) == ("12:30", "0777", "1_000")
    assert repo.run("validate", as_=None).exit_code == 0


def test_a_write_keeps_hand_written_plain_text_and_the_audit_does_not_blame_it(repo):
    """A csops write on a record with hand-written `extra1: 12:30` keeps the value (it may quote
    it for YAML 1.1 readers); validate --history finds nothing rewritten."""
    record_id = repo.out(*NEW)
    path = repo.path_of(record_id)
    path.write_text(path.read_text(encoding="utf-8") + "extra1: 12:30\n", encoding="utf-8")
    repo.git("commit", "-qam", "hand note", "--author", "张三 <zhangsan@example.com>")
    hand = repo.head()
    repo.run("ticket", "resolve", record_id, "--note", "答复了", now="2026-11-20T11:00:00+08:00")
    assert repo.json("ticket", "show", record_id)["extra1"] == "12:30"
    problems = repo.run("validate", "--history", as_=None, code=1).stdout.splitlines()
    assert len(problems) == 1 and f"commit {hand[:10]}" in problems[0], problems   # the hand edit alone


@pytest.mark.parametrize("typed", ["12:30", "no", "0777", "1e3", "1_000", "on", "~", "0x1F", ".inf", "+5",
                                   "电饭煲\x85内胆", "第一行\u2028第二行", "段\u2029落", "null", "True",
                                   "2026-11-03", "2026-11-03T10:00:00", "2026-1-3T1:00:00Z"])
def test_every_character_typed_comes_back_and_yaml_1_1_tools_read_the_same(repo, typed):
    """What csops writes reads the same with csops (YAML 1.2), with its pure loader, and with a
    YAML 1.1 reader (PyYAML's SafeLoader, as older tools): NEL (U+0085), LS and PS included."""
    import yaml

    record_id = repo.out(*NEW[:-1], typed)
    assert repo.json("ticket", "show", record_id)["summary"] == typed
    text = repo.path_of(record_id).read_text(encoding="utf-8")
    assert yaml.safe_load(text)["summary"] == typed


# -- every platform ----------------------------------------------------------------------------------

def test_a_cold_validate_of_many_records_works_where_fork_does_not_exist(repo, monkeypatch):
    """Windows has no fork: a cold validate of more records than one worker's chunk runs
    in-process (it exited 70 when the pool asked for fork unconditionally)."""
    import multiprocessing

    record_id = repo.out(*NEW)
    path = repo.path_of(record_id)
    text = path.read_text(encoding="utf-8")
    for n in range(1_100):
        other = "T-20261120-" + "".join("ABCDEFGHJK"[int(d)] for d in f"{n:06d}")
        (path.parent / f"{other}.yaml").write_text(text.replace(record_id, other), encoding="utf-8")
    repo.git("add", "-A")
    repo.git("commit", "-qm", "many", "--author", "张三 <zhangsan@example.com>")
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    real_context = multiprocessing.get_context

    def no_fork(method=None):
        if method == "fork":
            raise ValueError("cannot find context for 'fork'")
        return real_context(method)

    monkeypatch.setattr(multiprocessing, "get_context", no_fork)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    result = repo.run("validate", as_=None, code=None)
    assert result.exit_code == 0, result.output
    assert len(repo.json("ticket", "list")) == 1_101


# -- where output goes -------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["ticket", "list", "--format", "csv", "--output"], ["export", "sqlite"]])
def test_output_through_a_link_the_user_named_writes_the_file_it_points_at(repo, tmp_path, command):
    repo.out(*NEW)
    real = tmp_path / "reports" / "out.data"
    real.parent.mkdir()
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "latest"
    link.symlink_to(real)
    repo.run(*command, str(link))
    assert link.is_symlink() and os.path.realpath(link) == str(real)
    assert real.read_bytes() != b"old" and real.stat().st_size > 0


@pytest.mark.parametrize("command", [["ticket", "list", "--format", "csv", "--output"], ["export", "sqlite"]])
def test_output_to_a_pipe_or_device_is_refused_and_leaves_it_alone(repo, tmp_path, command):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    out = repo.refused(*command, str(fifo), code=2)
    assert "is a pipe, device or socket, not a file" in out and out.count("\n") == 1
    assert fifo.is_fifo()
    if os.path.exists("/dev/null"):
        assert "not a file" in repo.refused(*command, "/dev/null", code=2)
        assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


def test_a_full_disk_at_the_branch_move_says_so(repo, monkeypatch):
    """Git could not write the branch's log (the disk filled at the last step): the message says
    what Git said, not that a hook refused; nothing is committed."""
    from csops import gitlog

    monkeypatch.setattr(gitlog.Git, "move_ref", lambda self, *args: (
        False, "unable to append to '.git/logs/refs/heads/main': No space left on device"))
    head = repo.head()
    out = repo.run(*NEW, code=1).output
    assert "No space left on device" in out and "hook" not in out and "nothing was committed" in out
    assert repo.head() == head and repo.status() == ""


# -- the calendar is a fact ----------------------------------------------------------------------------

def test_a_calendar_imported_today_corrects_the_deadlines_of_that_year(repo):
    """`calendar import --year 2023` run today: a 2023 ticket is judged under the first policy
    version (in force then), but 2023's holidays and make-up workdays are facts — taken from the
    newest version that lists 2023. National Day week 2023 (9-29 … 10-06, make-up 10-07/08)."""
    record_id = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王",
                         "--summary", "旧账", now="2023-09-28T10:00:00+08:00")
    before = repo.run("ticket", "show", record_id, "--format", "json", now="2026-11-20T10:00:00+08:00")
    assert '"due": "2023-10-02T10:00:00+08:00"' in before.stdout       # every weekday counted
    assert "2023" in before.stderr                                     # and warned of
    repo.run("calendar", "import", "--year", "2023", as_="wangjl")
    after = repo.run("ticket", "show", record_id, "--format", "json", now="2026-11-20T10:00:00+08:00")
    assert '"due": "2023-10-08T10:00:00+08:00"' in after.stdout        # 7 h Thu, 8 h on 10-07, 1 h on 10-08
    assert "2023" not in after.stderr
    assert repo.run("validate", as_=None).exit_code == 0


def test_a_deadline_in_a_year_without_holidays_is_named_when_it_is_made(repo):
    """SPEC §10 calendar coverage: the ticket registered in 2031 (no holidays in the policy) is
    due in 2031 — `ticket new` says so on stderr (exit 0), as report overdue does."""
    made = repo.run(*NEW, now="2031-03-03T10:00:00+08:00")
    assert made.exit_code == 0
    assert made.stderr.count("\n") == 1 and "no holidays for 2031" in made.stderr
    assert "calendar import --year 2031" in made.stderr
    overdue = repo.run("report", "overdue", now="2031-03-05T10:00:00+08:00")
    assert "no holidays for 2031" in overdue.stderr


# -- caches in every Git state -----------------------------------------------------------------------

@pytest.mark.parametrize("flag", ["--assume-unchanged", "--skip-worktree"])
def test_a_record_git_is_told_not_to_look_at_is_read_as_it_is(repo, flag):
    """`git update-index --assume-unchanged` (or --skip-worktree), then an edit: git status no
    longer names the file, yet every listing shows the edit, as with the cache off."""
    record_id = repo.out(*NEW[:-1], "原文", "--contact", "13800001111")
    assert "原文" in repo.out("ticket", "list")                         # the caches are filled
    path = repo.path_of(record_id)
    repo.git("update-index", flag, str(path.relative_to(repo.root)))
    path.write_text(path.read_text(encoding="utf-8").replace("summary: 原文", "summary: 改过"), encoding="utf-8")
    assert repo.git("status", "--porcelain") == ""
    for args in (["ticket", "list"], ["customer", "show", "13800001111"], ["report", "overdue"]):
        cached = repo.run(*args, "--format", "json").stdout
        uncached = repo.run(*args, "--format", "json", env={"CSOPS_CACHE": "off"}).stdout
        assert cached == uncached, args
    assert "改过" in repo.out("ticket", "list") and "原文" not in repo.out("ticket", "list")


def test_a_flagged_record_that_is_the_first_file_git_lists_is_read_as_it_is(repo):
    """The first entry of Git's listing under the records (a leave request: leave/ sorts before
    people/) told not to be looked at, then edited and its index entry changed by a commit of
    another file: the long way through Git's listing still finds the flag on its first line."""
    leave = repo.out("leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "2026-12-01",
                     "--end", "2026-12-01", "--reason", "原因", now="2026-11-20T10:00")
    assert "原因" in repo.out("leave", "list", "--format", "json")           # the caches are filled
    path = repo.path_of(leave)
    rel = str(path.relative_to(repo.root))
    assert repo.git("ls-files", "--", "records/").splitlines()[0] == rel
    repo.git("update-index", "--assume-unchanged", rel)
    path.write_text(path.read_text(encoding="utf-8").replace("原因", "改过"), encoding="utf-8")
    repo.out(*NEW)                      # Git's index changed by csops
    repo.git("commit", "-q", "--allow-empty", "-m", "a commit of Git's own")
    repo.git("update-index", "--refresh")                    # … and by Git: the long way
    cached = repo.run("leave", "list", "--format", "json").stdout
    assert cached == repo.run("leave", "list", "--format", "json", env={"CSOPS_CACHE": "off"}).stdout
    assert "改过" in cached and "原因" not in cached


def test_a_forged_journal_cannot_make_recover_delete_a_record(repo):
    """recover deletes a write's temp files: only files named as csops names its temps, with the
    journal's own token — a journal that names records/policy.yaml as a temp deletes nothing."""
    import json

    record_id = repo.out(*NEW)
    record = str(repo.path_of(record_id).relative_to(repo.root))
    journal = {"format": 1, "state": "begun", "token": "0123456789abcdef", "pid": 1, "host": "x",
               "started": "2026-11-20T02:00:00+00:00", "branch": repo.git("symbolic-ref", "HEAD").strip(),
               "message": "forged", "commit": None, "head": None, "index": None,
               "files": [{"path": record, "temp": "records/policy.yaml", "base": None, "new": None},
                         {"path": "records/people/lisi.yaml", "temp": record, "base": None, "new": None}]}
    from csops import txn

    journal["format"] = txn.FORMAT
    (repo.root / ".git" / "csops-journal.json").write_text(json.dumps(journal), encoding="utf-8")
    repo.run("recover", as_=None)
    assert (repo.records / "policy.yaml").exists() and repo.path_of(record_id).exists()
    assert (repo.records / "people" / "lisi.yaml").exists()
    assert repo.status() == "" and not (repo.root / ".git" / "csops-journal.json").exists()


def test_a_forged_landed_journal_cannot_make_recover_write_outside_the_records(repo):
    """A journal naming the current commit as landed and `.git/config` (or a person file) with a
    blob of its own: recover writes nothing from it — a write of csops' own names only record
    files, each with the blob its commit holds."""
    import json

    from csops import txn

    config = (repo.root / ".git" / "config").read_bytes()
    person = (repo.records / "people" / "zhangsan.yaml").read_bytes()
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo.root, input=b"[core]\n\tfsmonitor = x\n",
                          capture_output=True, check=True).stdout.decode().strip()
    token = "0123456789abcdef"
    files = [{"path": p, "temp": txn.temp_name(p, token), "base": None, "new": blob}
             for p in (".git/config", "records/people/zhangsan.yaml")]
    journal = {"format": txn.FORMAT, "state": "prepared", "token": token, "pid": 1, "host": "x",
               "started": "2026-11-20T02:00:00+00:00", "branch": repo.git("symbolic-ref", "HEAD").strip(),
               "message": "forged", "commit": repo.head(), "head": repo.head(), "index": None, "files": files}
    (repo.root / ".git" / "csops-journal.json").write_text(json.dumps(journal), encoding="utf-8")
    repo.run("recover", as_=None)
    assert (repo.root / ".git" / "config").read_bytes() == config
    assert (repo.records / "people" / "zhangsan.yaml").read_bytes() == person
    journal["files"] = files[1:]                   # a record file alone, with a blob the commit does not hold
    (repo.root / ".git" / "csops-journal.json").write_text(json.dumps(journal), encoding="utf-8")
    repo.run("recover", as_=None)
    assert (repo.records / "people" / "zhangsan.yaml").read_bytes() == person and repo.status() == ""


# -- found by an adversarial pass ----------------------------------------------------------------------

def test_a_replaced_tree_never_stands_in_for_the_real_one(repo):
    """`git replace` of a month's tree with one holding a single ticket: csops reads objects as
    they are (GIT_NO_REPLACE_OBJECTS), so a write keeps every ticket."""
    first = repo.out(*NEW, now="2026-11-20T09:00:00+08:00")
    repo.out(*NEW, now="2026-11-20T09:10:00+08:00")
    folder = str(repo.path_of(first).parent.relative_to(repo.root))
    listing = repo.git("ls-tree", f"HEAD:{folder}").splitlines()[:1]
    fake = subprocess.run(["git", "mktree"], cwd=repo.root, input="\n".join(listing) + "\n", text=True,
                          capture_output=True, check=True).stdout.strip()
    repo.git("replace", repo.git("rev-parse", f"HEAD:{folder}").strip(), fake)
    repo.out(*NEW, now="2026-11-20T09:20:00+08:00")
    kept = subprocess.run(["git", "ls-tree", "--name-only", f"HEAD:{folder}"], cwd=repo.root, capture_output=True,
                          text=True, env={**os.environ, "GIT_NO_REPLACE_OBJECTS": "1"}).stdout.split()
    assert len(kept) == 3


@pytest.mark.parametrize("target", ["../../people", "11"])
def test_a_write_into_a_linked_folder_is_refused(repo, target):
    """`records/tickets/2026/12 -> ../../people` would commit a ticket among the people (and
    `-> 11` under November): the write is refused, nothing committed."""
    repo.out(*NEW, now="2026-11-20T09:00:00+08:00")
    (repo.records / "tickets" / "2026").mkdir(parents=True, exist_ok=True)
    os.symlink(target, repo.records / "tickets" / "2026" / "12")
    out = repo.refused(*NEW, now="2026-12-05T10:00:00+08:00", code=2)
    assert "SYMLINK_NOT_ALLOWED" in out and "tickets/2026/12" in out


def test_a_person_file_linked_elsewhere_is_never_read(repo, tmp_path):
    """An agent links their person file to a copy that makes them a manager: it is not read (the
    roster does not know them) and validate names the link."""
    person = repo.records / "people" / "lisi.yaml"
    forged = tmp_path / "lisi.yaml"
    forged.write_text(person.read_text(encoding="utf-8").replace("role: agent", "role: manager"), encoding="utf-8")
    person.unlink()
    person.symlink_to(forged)
    assert repo.run("person", "add", "xiaoli", "--name", "小李", "--role", "agent", as_="lisi", code=None).exit_code != 0
    assert "people/lisi.yaml:1: SYMLINK_OUTSIDE" in repo.run("validate", code=1).stdout


def test_output_into_the_records_is_refused(repo):
    repo.out(*NEW)
    policy = (repo.records / "policy.yaml").read_bytes()
    out = repo.refused("ticket", "list", "--format", "csv", "--output", str(repo.records / "policy.yaml"), code=2)
    assert "inside a records folder" in out and (repo.records / "policy.yaml").read_bytes() == policy


def test_a_closed_standard_output_is_no_bug(repo):
    """`csops ticket list >&-`: nowhere to write is like a reader gone — exit 0, never exit 70."""
    repo.out(*NEW)
    argv = [sys.executable, "-m", "csops", "--records", str(repo.records), "ticket", "list"]
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV,
                          preexec_fn=lambda: os.close(1))
    assert done.returncode == 0 and "internal error" not in done.stderr
