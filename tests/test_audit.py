"""The tamper-evident audit (SPEC §9): every tamper is named with its commit and author; honest
Git work — corrections, merges, rebases, cherry-picks — passes."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from tests.conftest import TEAM, Repo
from tests.conftest import clone

EMAIL = {pid: f"{pid}@example.com" for pid, *_ in TEAM}
NAME = {pid: name for pid, name, *_ in TEAM}


def hand_commit(repo: Repo, who: str, message: str = "hand edit", *paths) -> str:
    repo.git("-c", f"user.name={NAME[who]}", "-c", f"user.email={EMAIL[who]}", "commit", "-q",
             *(["-m", message, "--", *paths] if paths else ["-am", message]))
    return repo.head()[:10]


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, text
    path.write_text(text.replace(old, new, 1))


def history_problems(repo: Repo) -> str:
    return repo.run("validate", "--history", code=1).stdout


def complaint(repo: Repo, now="2026-11-23T09:00") -> str:
    return repo.ticket(summary="破损", now=now)


# -- tampers ---------------------------------------------------------------------------------------

def test_a_hand_edited_field_is_field_rewritten_with_commit_author_and_values(repo):
    record_id = complaint(repo)
    edit(repo.path_of(record_id), "kind: complaint", "kind: inquiry")       # the SLA would drop from 16 h to EOD
    sha = hand_commit(repo, "zhangsan")
    out = history_problems(repo)
    assert (f"FIELD_REWRITTEN commit {sha}: zhangsan changes kind of {record_id}: complaint → inquiry, with no "
            "history entry that may set it") in out
    assert "csops ticket amend ID --set kind=VALUE --reason R" in out


def test_moving_a_penalty_to_someone_else_is_named(repo):
    event = repo.out("score", "add", "--person", "lisi", "--code", "BAD_REVIEW", as_="liubz", now="2026-11-23T10:00")
    edit(repo.path_of(event), "person: lisi", "person: zhangsan")
    sha = hand_commit(repo, "liubz")
    assert f"FIELD_REWRITTEN commit {sha}: liubz changes person of {event}: lisi → zhangsan" in history_problems(repo)


def test_extending_ones_own_approved_leave_by_hand_is_named(repo):
    leave = repo.out("leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "2026-12-01",
                     "--end", "2026-12-01", now="2026-11-20T10:00")
    repo.run("leave", "approve", leave, as_="liubz", now="2026-11-20T11:00")
    edit(repo.path_of(leave), "end: 2026-12-02T00:00:00+08:00", "end: 2026-12-05T00:00:00+08:00")
    sha = hand_commit(repo, "zhangsan")
    out = history_problems(repo)
    assert f"FIELD_REWRITTEN commit {sha}: zhangsan changes end of {leave}" in out


def test_promoting_oneself_widening_reveal_and_deleting_a_person_are_named(repo):
    edit(repo.records / "people" / "zhangsan.yaml", "role: agent", "role: manager")
    promote = hand_commit(repo, "zhangsan", "promote")
    edit(repo.records / "policy.yaml", "  reveal: [supervisor+]", "  reveal: [agent+]")
    widen = hand_commit(repo, "lisi", "widen")
    repo.git("rm", "-q", "records/people/lisi.yaml")
    delete = hand_commit(repo, "zhaozg", "delete")
    out = history_problems(repo)
    assert f"ROSTER_CHANGE_NOT_ALLOWED commit {promote}: zhangsan (agent) changes the roster" in out
    assert f"POLICY_CHANGE_NOT_ALLOWED commit {widen}: lisi (agent) changes policy.yaml" in out
    assert f"PERSON_DELETED commit {delete}: zhaozg deletes lisi from the roster" in out
    assert "csops person set lisi --active false" in out


def test_a_supervisor_changing_their_own_role_by_hand_is_named(repo):
    edit(repo.records / "people" / "zhaozg.yaml", "role: supervisor", "role: manager")
    sha = hand_commit(repo, "zhaozg")
    assert f"ROSTER_CHANGE_NOT_ALLOWED commit {sha}: zhaozg changes their own role" in history_problems(repo)


def test_a_merge_that_keeps_only_ours_is_history_dropped(repo, tmp_path):
    record_id = complaint(repo)
    repo.git("checkout", "-q", "-b", "side")
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", now="2026-11-23T09:30")
    repo.git("checkout", "-q", "-")
    repo.run("ticket", "route", record_id, "--to-dept", "物流", as_="lisi", now="2026-11-23T09:40")
    repo.git("-c", "user.name=张三", "-c", f"user.email={EMAIL['zhangsan']}", "merge", "-q", "-s", "ours",
             "--no-edit", "side")
    sha = repo.head()[:10]
    out = history_problems(repo)
    assert f"HISTORY_DROPPED commit {sha}: the merge by zhangsan drops 1 history entry of parent" in out


def test_nobody_revokes_a_penalty_about_themselves(repo):
    leak = repo.out("score", "add", "--person", "zhaozg", "--code", "DATA_LEAK", as_="liubz", now="2026-11-23T10:00")
    out = repo.refused("score", "revoke", leak, as_="zhaozg", now="2026-11-23T11:00")
    assert "CONFLICT_OF_INTEREST zhaozg may not revoke a score event about themselves" in out
    path = repo.path_of(leak)
    edit(path, "status: recorded", "status: revoked")
    path.write_text(path.read_text() + "- at: 2026-11-23T11:00:00+08:00\n  by: zhaozg\n  from: recorded\n"
                                       "  to: revoked\n")
    sha = hand_commit(repo, "zhaozg")
    assert f"CONFLICT_OF_INTEREST commit {sha}: zhaozg may not revoke" in history_problems(repo)


def test_an_entry_by_someone_else_than_the_author_is_by_not_author(repo):
    record_id = complaint(repo)
    path = repo.path_of(record_id)
    edit(path, "status: registered", "status: routed")
    path.write_text(path.read_text() + "- at: 2026-11-23T09:30:00+08:00\n  by: lisi\n  from: registered\n"
                                       "  to: routed\n")
    sha = hand_commit(repo, "zhangsan")
    out = history_problems(repo)
    assert f"BY_NOT_AUTHOR commit {sha}: history[1] is by lisi but the commit's author is zhangsan" in out


# -- corrections are entries ------------------------------------------------------------------------

def test_amend_is_an_entry_with_old_and_new_values_and_the_audit_accepts_it(repo):
    record_id = complaint(repo)
    later = "2026-11-23T10:00"
    assert "ROLE_NOT_ALLOWED" in repo.refused("ticket", "amend", record_id, "--set", "kind=inquiry", "--reason", "x",
                                              as_="liubz", now=later)
    assert "never corrected" in repo.refused("ticket", "amend", record_id, "--set", "status=closed", "--reason", "x",
                                             as_="zhaozg", now=later, code=2)
    assert "BAD_FIELD" in repo.refused("ticket", "amend", record_id, "--set", "kind=banana", "--reason", "x",
                                       as_="zhaozg", now=later)
    repo.run("ticket", "amend", record_id, "--set", "kind=inquiry", "--set", "customer.name=王芳", "--reason",
             "登记错误", as_="zhaozg", now="2026-11-23T10:00")
    data = repo.json("ticket", "show", record_id)
    assert data["kind"] == "inquiry" and data["customer"]["name"] == "王芳"
    last = data["history"][-1]
    assert last["action"] == "amend" and last["note"] == "登记错误"
    assert last["changes"]["kind"] == {"from": "complaint", "to": "inquiry"}
    assert repo.run("validate", "--history").exit_code == 0


def test_nobody_amends_a_record_about_themselves(repo):
    event = repo.out("score", "add", "--person", "zhaozg", "--code", "PHONE_RINGS", as_="liubz", now="2026-11-23T10:00")
    out = repo.refused("score", "amend", event, "--set", "code=AUTO_REPLY", "--reason", "x", as_="zhaozg",
                       now="2026-11-23T11:00")
    assert "BAD_CORRECTION zhaozg may not correct a record about themselves" in out


def test_void_a_duplicate_ticket(repo):
    first, second = complaint(repo), complaint(repo, now="2026-11-23T09:05")
    assert "ROLE_NOT_ALLOWED" in repo.refused("ticket", "void", second, "--reason", "重复", as_="zhangsan",
                                              now="2026-11-23T09:10")
    repo.run("ticket", "void", second, "--reason", "重复登记", "--duplicate-of", first, as_="liubz",
             now="2026-11-23T09:10")
    data = repo.json("ticket", "show", second)
    assert data["status"] == "voided" and data["duplicate_of"] == first and data["due"] is None
    assert second not in [r["id"] for r in repo.json("report", "overdue", now="2026-12-30T09:00")]
    assert repo.run("validate", "--history").exit_code == 0


def test_leave_amend_shortened_keeps_its_approval_longer_goes_back_up_the_chain(repo):
    leave = repo.out("leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "2026-12-01",
                     "--end", "2026-12-02", now="2026-11-20T10:00")
    repo.run("leave", "approve", leave, as_="liubz", now="2026-11-20T11:00")
    assert "NOT_YOURS" in repo.refused("leave", "amend", leave, "--end", "2026-12-01", "--reason", "x", as_="lisi",
                                       now="2026-11-21T10:00")
    repo.run("leave", "amend", leave, "--end", "2026-12-01", "--reason", "提前返岗", now="2026-11-21T10:00")
    data = repo.json("leave", "show", leave)
    assert data["status"] == "approved" and data["days"] == 1
    assert data["history"][-1]["changes"]["end"]["to"] == "2026-12-02T00:00:00+08:00"
    repo.run("leave", "amend", leave, "--end", "2026-12-03", "--reason", "延长", now="2026-11-22T10:00")
    data = repo.json("leave", "show", leave)
    assert data["status"] == "requested" and data["next_approver"] == "liubz"
    repo.run("leave", "approve", leave, as_="liubz", now="2026-11-22T11:00")
    assert repo.json("leave", "show", leave)["status"] == "approved"
    assert repo.run("validate", "--history").exit_code == 0


def test_person_set_is_audited_and_nobody_changes_their_own_role(repo):
    assert "may not change people" in repo.refused("person", "set", "lisi", "--role", "team_lead", as_="liubz")
    assert "their own role" in repo.refused("person", "set", "zhaozg", "--role", "manager", as_="zhaozg")
    repo.run("person", "set", "lisi", "--role", "team_lead", "--reports-to", "zhaozg", as_="zhaozg")
    repo.run("person", "set", "zhangsan", "--active", "false", as_="zhaozg")
    people = {p["id"]: p for p in repo.json("person", "list")}
    assert people["lisi"]["role"] == "team_lead" and people["zhangsan"]["active"] is False
    assert repo.run("validate", "--history").exit_code == 0


# -- honest Git work -------------------------------------------------------------------------------

def _clone(origin, where) -> Repo:
    return Repo(clone(origin, where))


def test_pull_rebase_with_an_older_entry_and_cherry_pick_are_accepted(repo, tmp_path):
    record_id = complaint(repo)
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-11-23T09:10")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-23T10:00")
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.root), str(origin)], check=True)
    a, b = _clone(origin, tmp_path / "a"), _clone(origin, tmp_path / "b")
    a.run("ticket", "callback", record_id, "--outcome", "unreachable", now="2026-11-23T11:00")   # older …
    b.run("ticket", "callback", record_id, "--outcome", "unreachable", as_="lisi", now="2026-11-23T12:00")
    subprocess.run(["git", "push", "-q", "origin", "HEAD"], cwd=b.root, check=True)        # … lands later
    pulled = subprocess.run(["git", "pull", "-q", "--rebase", "origin", "HEAD"], cwd=a.root, capture_output=True,
                            text=True)
    assert pulled.returncode == 0, pulled.stderr
    history = a.json("ticket", "show", record_id)["history"]
    assert [e["by"] for e in history[-2:]] == ["zhangsan", "lisi"]        # inserted in time order
    assert a.run("validate", "--history").exit_code == 0
    # cherry-pick a colleague's commit from another branch
    b.git("checkout", "-q", "-b", "side")
    other = b.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "x", "--summary", "y",
                  as_="lisi", now="2026-11-23T13:00")
    sha = b.head()
    b.git("checkout", "-q", "-")
    b.git("cherry-pick", sha)
    assert other in [r["id"] for r in b.json("ticket", "list")]
    assert b.run("validate", "--history").exit_code == 0


def test_a_squash_merge_gets_the_merge_without_squashing_hint(repo):
    record_id = complaint(repo)
    repo.git("checkout", "-q", "-b", "feature")
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-11-23T09:10")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-23T10:00")
    repo.git("checkout", "-q", "-")
    repo.git("merge", "-q", "--squash", "feature")
    sha = hand_commit(repo, "zhangsan", "squashed")
    out = history_problems(repo)
    assert f"BY_NOT_AUTHOR commit {sha}: history[2] is by lisi" in out and "merge without squashing" in out


# -- when and who ------------------------------------------------------------------------------------

def _policy_with(repo: Repo, old: str, new: str) -> None:
    edit(repo.records / "policy.yaml", old, new)
    hand_commit(repo, "zhaozg", "policy")


def test_clock_skew_needs_a_backfill_by_a_supervisor(repo):
    _policy_with(repo, "  clock_skew_hours:", "  clock_skew_hours: 24")
    out = repo.refused(*("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "x", "--summary",
                         "y"), now="2026-01-05T10:00")
    assert "CLOCK_SKEW" in out and "--backfill REASON" in out
    record_id = repo.out("--backfill", "补录纸质登记单", *("ticket", "new", "--kind", "inquiry", "--channel", "chat",
                                                    "--customer", "x", "--summary", "y"), as_="zhaozg",
                         now="2026-01-05T10:00")
    assert repo.json("ticket", "show", record_id)["history"][0]["backfill"] == "补录纸质登记单"
    path = repo.path_of(record_id)
    hand = path.with_name("T-20260105-HAND00.yaml")
    hand.write_text(path.read_text().replace(record_id, "T-20260105-HAND00").replace("  backfill: 补录纸质登记单\n", ""))
    repo.git("add", str(hand))
    sha = hand_commit(repo, "zhaozg", "hand", str(hand))
    assert f"CLOCK_SKEW commit {sha}: history[0] at 2026-01-05T10:00:00+08:00 is" in history_problems(repo)


def test_backfill_is_for_supervisors(repo):
    out = repo.refused("--backfill", "补录", "ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer",
                       "x", "--summary", "y", now="2026-11-01T10:00")
    assert "may not backfill" in out


@pytest.fixture
def keys(tmp_path):
    import shutil

    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed")
    made = {}
    for pid in ("zhangsan", "lisi", "zhaozg"):
        key = tmp_path / f"{pid}_key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", EMAIL[pid], "-f", str(key)], check=True)
        made[pid] = key
    return made


def test_signed_commits_unsigned_bad_and_signer_not_author(repo, keys):
    signers = "".join(f"{EMAIL[p]} {k.with_suffix('.pub').read_text()}" for p, k in keys.items())
    (repo.records / "allowed_signers").write_text(signers)
    repo.git("add", "records/allowed_signers")
    _policy_with(repo, "  require_signed: false", "  require_signed: true")
    repo.git("config", "gpg.format", "ssh")
    repo.git("config", "commit.gpgsign", "true")
    repo.git("config", "user.signingkey", str(keys["zhangsan"]))
    good = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "x", "--summary", "y",
                    now="2026-11-23T10:00")
    assert "gpgsig" in repo.git("cat-file", "-p", "HEAD")
    assert "UNSIGNED" not in repo.run("validate", "--history").stdout
    repo.run("ticket", "route", good, "--to-dept", "x", as_="lisi", now="2026-11-23T11:00")    # signed by zhangsan
    not_author = repo.head()[:10]
    repo.git("config", "commit.gpgsign", "false")
    repo.run("ticket", "resolve", good, now="2026-11-23T12:00")
    unsigned = repo.head()[:10]
    out = history_problems(repo)
    assert f"SIGNER_NOT_AUTHOR commit {not_author}: commit by lisi is signed by zhangsan@example.com" in out
    assert f"UNSIGNED_COMMIT commit {unsigned}: commit by zhangsan is not signed" in out
    log = repo.json("log", good)
    assert log[0]["signer"] == "zhangsan@example.com" and log[-1]["signer"] is None


def test_log_believes_the_author_never_a_trailer(repo):
    record_id = complaint(repo)
    path = repo.path_of(record_id)
    edit(path, "summary: 破损", "summary: 破损 ")
    repo.git("-c", "user.name=李四", "-c", f"user.email={EMAIL['lisi']}", "commit", "-qam",
             "edit\n\nCsops-By: zhaozg")
    rows = repo.json("log", record_id)
    assert rows[-1]["by"] == "lisi"


def _graph(repo) -> tuple[list[str], list[bool]]:
    """(the layers of Git's commit-graph chain, whether each carries changed-path filters)."""
    folder = repo.root / ".git" / "objects" / "info" / "commit-graphs"
    try:
        layers = (folder / "commit-graph-chain").read_text().split()
    except FileNotFoundError:
        return [], []
    return layers, [b"BDAT" in (folder / f"graph-{layer}.graph").read_bytes()[:400] for layer in layers]


def test_log_keeps_gits_commit_graph_with_path_filters_a_few_commits_behind_at_most(repo, monkeypatch):
    """A desk makes a commit per change; `csops log ID` walks the file's history, which without
    Git's changed-path filters compares the trees of every commit. The first log writes the graph
    with them; a layer of the new commits is added once GRAPH_BEHIND have gathered; a graph written
    without them (git gc, an older Git) is written again; a lock held by another writer leaves the
    answer as it was."""
    monkeypatch.setattr("csops.gitlog.GRAPH_BEHIND", 3)
    info = repo.root / ".git" / "objects" / "info"
    record_id = repo.ticket()
    answer = repo.json("log", record_id)
    layers, filtered = _graph(repo)
    assert len(layers) == 1 and filtered == [True]
    repo.ticket(summary="第二张")
    repo.ticket(summary="第三张")                       # two commits behind: the graph is left
    assert repo.json("log", record_id) == answer and _graph(repo)[0] == layers
    repo.ticket(summary="第四张")                       # three: a layer of the new ones
    assert repo.json("log", record_id) == answer
    assert _graph(repo)[0][:1] == layers and _graph(repo)[1] == [True, True]
    repo.git("commit-graph", "write", "--reachable", "--no-changed-paths")     # as git gc writes it
    assert (info / "commit-graph").exists()
    assert repo.json("log", record_id) == answer
    assert not (info / "commit-graph").exists() and _graph(repo)[1] == [True]
    held = info / "commit-graphs" / "commit-graph-chain.lock"
    for n in range(3):
        repo.ticket(summary=f"第{n}张")
    before = _graph(repo)[0]
    held.write_text("")                                 # another writer's lock: not tried
    assert repo.json("log", record_id) == answer and _graph(repo)[0] == before
    held.unlink()
    assert repo.json("log", record_id) == answer and _graph(repo)[0] == before     # tried again only…
    for n in range(3):
        repo.ticket(summary=f"再{n}张")
    assert repo.json("log", record_id) == answer and len(_graph(repo)[0]) == 2      # …GRAPH_BEHIND later
    folder = info / "commit-graphs"
    (folder / f"graph-{_graph(repo)[0][0]}.graph").unlink()                        # a chain Git cannot read
    assert repo.json("log", record_id) == answer and _graph(repo)[1] == [True]     # written whole again
    layer = folder / f"graph-{_graph(repo)[0][0]}.graph"
    layer.chmod(0o644)
    layer.write_bytes(layer.read_bytes()[:200])                                     # cut short
    assert repo.json("log", record_id) == answer and _graph(repo)[1] == [True]
    assert len(layer.read_bytes()) != 200 or not layer.exists()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process's children in /proc")
def test_a_history_walk_the_command_never_took_leaves_no_process_behind(repo):
    """`csops log ID` starts its walk as the command's words are read; a command that then stops
    (a refused format) stops and reaps it: a long-lived process keeps no child behind."""
    def children() -> set[str]:
        found = set()
        for task in Path("/proc/self/task").iterdir():
            with contextlib.suppress(OSError):
                found |= set((task / "children").read_text().split())
        return found

    record_id = repo.ticket()
    before = children()
    for _ in range(5):
        assert "bogus" in repo.run("log", record_id, "--format", "bogus", code=2).output
    assert children() <= before


def test_a_write_lets_git_pack_its_loose_objects_as_git_commit_does(repo):
    """csops commits with commit-tree, which never runs `git gc --auto` as `git commit` does: a desk
    writing only through csops would gather loose objects for ever. Past Git's default threshold
    (as Git estimates it: the loose objects of objects/17) a write packs them, its own commit too
    (the work not sent to the background here); below it, a write asks Git nothing."""
    import hashlib

    repo.git("config", "gc.autoDetach", "false")
    record_id = repo.ticket()
    head = repo.head()
    assert (repo.root / ".git" / "objects" / head[:2] / head[2:]).exists()          # loose: below the threshold
    found, n = [], 0
    while len(found) < 30:                              # contents whose object ids fall in objects/17
        body = f"{n}\n".encode()
        if hashlib.sha1(b"blob %d\0" % len(body) + body).hexdigest().startswith("17"):
            found.append(body)
        n += 1
    for k, body in enumerate(found):
        (repo.root / f"loose{k}").write_bytes(body)
    subprocess.run(["git", "hash-object", "-w", "--stdin-paths"], cwd=repo.root, check=True, capture_output=True,
                   input="".join(f"loose{k}\n" for k in range(len(found))).encode())
    for k in range(len(found)):
        (repo.root / f"loose{k}").unlink()
    record_id = repo.ticket(summary="第二张")
    head = repo.head()
    assert not (repo.root / ".git" / "objects" / head[:2] / head[2:]).exists()       # packed
    assert record_id in repo.out("ticket", "list") and repo.git("fsck", "--no-dangling") == ""


def test_the_replay_reads_the_history_a_batch_of_commits_at_a_time_and_finds_the_same(repo, monkeypatch):
    """A desk's history is long (a commit per change): the replay holds one batch of commits'
    record versions at a time — at 100,000 commits all of them at once took gigabytes. What it
    finds does not depend on where the batches end: a move (one change, within its commit), a
    rewrite and a deletion are named alike with batches of one and two commits."""
    record_id = complaint(repo)
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-11-23T09:30")
    path = repo.path_of(record_id)
    target = repo.records / "tickets" / "2026" / "12" / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    repo.git("mv", str(path), str(target))
    hand_commit(repo, "zhaozg", "filed under the right month")
    edit(target, "kind: complaint", "kind: inquiry")
    rewrite = hand_commit(repo, "zhaozg", "and a rewrite")
    other = complaint(repo, now="2026-11-23T10:00")
    repo.git("rm", "-q", str(repo.path_of(other)))
    gone = hand_commit(repo, "zhangsan", "removed")
    whole = history_problems(repo)
    assert f"FIELD_REWRITTEN commit {rewrite}" in whole and gone in whole and "RECORD_DELETED" in whole
    monkeypatch.setattr("csops.audit.BATCH", 1)
    assert history_problems(repo) == whole
    monkeypatch.setattr("csops.audit.BATCH", 2)
    assert history_problems(repo) == whole
