"""The audit's last doors (Trust III, SPEC §9): an unreadable version in between, a record made
a link, signing switched off or bypassed through a merge, lists rewritten behind a new entry, a
reused e-mail address — each caught with its commit; honest moves and a departed signer's old
commits are not flagged. Real commits throughout, real ssh-keygen keys for signing."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import Repo
from tests.test_audit import EMAIL, NAME, complaint, edit, hand_commit, history_problems


def signed_commit(repo: Repo, who: str, key, message: str = "hand edit", *extra) -> str:
    repo.git("-c", f"user.name={NAME[who]}", "-c", f"user.email={EMAIL[who]}", "-c", "gpg.format=ssh",
             "-c", f"user.signingkey={key}", "commit", "-q", "-S", *extra, "-am", message)
    return repo.head()[:10]


# -- 1. an unreadable version in between -------------------------------------------------------------

MIDDLE = {
    "yaml": lambda text: text.replace("summary: 破损", "summary: [unclosed"),
    "too_large": lambda text: text.replace("summary: 破损", "summary: 破损\nfiller: '" + "x" * 270_000 + "'"),
    "gbk": lambda text: text,                       # written as GBK bytes below
    "alias": lambda text: text.replace("summary: 破损", "summary: &s 破损\nagain: *s"),
}


@pytest.mark.parametrize("middle", sorted(MIDDLE))
def test_an_unreadable_version_in_between_hides_no_rewrite(repo, middle):
    """The creator commits a version csops cannot read, then the original text back with kind
    complaint → inquiry and an entry's `by` changed: the unreadable version is a problem of its
    commit, and the next readable version is compared with the last readable one before it."""
    record_id = complaint(repo)
    path = repo.path_of(record_id)
    original = path.read_text(encoding="utf-8")
    broken = MIDDLE[middle](original)
    path.write_bytes(broken.encode("gbk") if middle == "gbk" else broken.encode("utf-8"))
    first = hand_commit(repo, "zhangsan", "a bad save")
    path.write_text(original.replace("kind: complaint", "kind: inquiry")
                    .replace("\n  by: zhangsan", "\n  by: lisi", 1),
                    encoding="utf-8")
    second = hand_commit(repo, "zhangsan", "put back")
    out = history_problems(repo)
    assert f"UNREADABLE_VERSION commit {first}: zhangsan commits a version of the record csops cannot read" in out
    assert f"FIELD_REWRITTEN commit {second}: zhangsan changes kind of {record_id}: complaint → inquiry" in out
    assert f"HISTORY_REWRITTEN commit {second}" in out


# -- 2. a record made a link -------------------------------------------------------------------------

def test_a_record_replaced_by_a_link_and_edited_behind_it_is_named(repo):
    record_id = complaint(repo)
    path = repo.path_of(record_id)
    hidden = repo.records / "misc" / path.name
    hidden.parent.mkdir()
    repo.git("mv", str(path), str(hidden))
    os.symlink(os.path.relpath(hidden, path.parent), path)
    repo.git("add", "-A")
    linked = hand_commit(repo, "zhangsan", "kept elsewhere")
    edit(hidden, "kind: complaint", "kind: inquiry")
    hand_commit(repo, "zhangsan", "edited behind the link")
    out = history_problems(repo)
    assert f"UNREADABLE_VERSION commit {linked}: zhangsan commits a version of the record csops cannot read " \
           "(a symbolic link)" in out
    assert f"{path.name}:1: SYMLINK_NOT_ALLOWED" in repo.run("validate", code=1).stdout


# -- 3, 4, 7. signing ----------------------------------------------------------------------------------

@pytest.fixture
def keys(tmp_path):
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed")
    made = {}
    for pid in ("zhangsan", "lisi", "zhaozg", "wangjl"):
        key = tmp_path / f"{pid}_key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", EMAIL[pid], "-f", str(key)], check=True)
        made[pid] = key
    return made


def _require_signing(repo: Repo, keys, people=("zhangsan", "lisi", "zhaozg", "wangjl")) -> None:
    (repo.records / "allowed_signers").write_text(
        "".join(f"{EMAIL[p]} {keys[p].with_suffix('.pub').read_text()}" for p in people))
    repo.git("add", "records/allowed_signers")
    edit(repo.records / "policy.yaml", "  require_signed: false", "  require_signed: true")
    signed_commit(repo, "zhaozg", keys["zhaozg"], "policy: sign every commit")


def test_signing_switched_off_by_an_unsigned_commit_does_not_open_the_door(repo, keys):
    """With require_signed in force, an unsigned commit turns it off and a forged unsigned
    commit follows: whether a commit must be signed is its parents' policy's call, whatever
    today's policy says — both are named."""
    record_id = complaint(repo)
    _require_signing(repo, keys)
    edit(repo.records / "policy.yaml", "  require_signed: true", "  require_signed: false")
    off = hand_commit(repo, "zhaozg", "policy: signing off")
    edit(repo.path_of(record_id), "summary: 破损", "summary: 完好")
    forged = hand_commit(repo, "zhangsan", "forged")
    out = history_problems(repo)
    assert f"UNSIGNED_COMMIT commit {off}: commit by zhaozg is not signed" in out
    assert f"UNSIGNED_COMMIT commit {forged}: commit by zhangsan is not signed" in out


def test_an_unsigned_commit_brought_in_by_a_signed_merge_is_named(repo, keys):
    """A branch from before signing was required carries a forged unsigned commit; a supervisor
    merges it with a signed merge commit. The commit lands where signing is required: named."""
    record_id = complaint(repo)
    base = repo.git("symbolic-ref", "--short", "HEAD").strip()
    repo.git("checkout", "-q", "-b", "old-branch")
    edit(repo.path_of(record_id), "summary: 破损", "summary: 完好")
    forged = hand_commit(repo, "zhangsan", "forged on an old branch")
    repo.git("checkout", "-q", base)
    _require_signing(repo, keys)
    repo.git("-c", f"user.name={NAME['zhaozg']}", "-c", f"user.email={EMAIL['zhaozg']}", "-c", "gpg.format=ssh",
             "-c", f"user.signingkey={keys['zhaozg']}", "merge", "-q", "-S", "--no-ff", "-m", "merge", "old-branch")
    out = history_problems(repo)
    assert f"UNSIGNED_COMMIT commit {forged}: commit by zhangsan is not signed" in out
    assert "UNSIGNED_COMMIT commit " + repo.head()[:10] not in out


def test_a_departed_signers_old_commits_stay_good(repo, keys):
    """Removing someone's key from allowed_signers when they leave does not turn their old
    commits into BAD_SIGNATURE: each is judged by the signers in force when it was made."""
    record_id = complaint(repo)
    _require_signing(repo, keys)
    edit(repo.path_of(record_id), "summary: 破损", "summary: 破损了")
    signed_commit(repo, "zhangsan", keys["zhangsan"], "signed by zhangsan")
    signers = repo.records / "allowed_signers"
    signers.write_text("".join(line for line in signers.read_text().splitlines(keepends=True)
                               if not line.startswith(EMAIL["zhangsan"])))
    signed_commit(repo, "zhaozg", keys["zhaozg"], "zhangsan left")
    checked = repo.run("validate", "--history", code=None)
    assert "BAD_SIGNATURE" not in checked.output and "UNSIGNED" not in checked.output, checked.output


# -- 5. lists only grow; a field changes only as its entry says ------------------------------------------

def test_an_earlier_callback_rewritten_behind_a_new_one_is_named(repo):
    record_id = complaint(repo)
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-11-23T09:30")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-23T11:00")
    repo.run("ticket", "callback", record_id, "--outcome", "reached", "--satisfaction", "1", as_="lisi",
             now="2026-11-23T12:00")                                    # reopens it
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-23T13:00")
    from csops import yamlio

    path = repo.path_of(record_id)
    doc = yamlio.rt_load(path.read_text(encoding="utf-8"))
    doc["callbacks"][0]["satisfaction"] = 2                  # the earlier, unhappy call made better
    doc["callbacks"][0]["by"] = "zhangsan"
    doc["callbacks"].append({"at": "2026-11-23T14:00:00+08:00", "by": "zhangsan", "outcome": "reached",
                             "satisfaction": 5})
    doc["history"].append({"at": "2026-11-23T14:00:00+08:00", "by": "zhangsan", "from": "resolved", "to": "closed",
                           "action": "callback"})
    doc["status"], doc["closure"] = "closed", "satisfied"
    path.write_text(yamlio.rt_dump(doc), encoding="utf-8")
    sha = hand_commit(repo, "zhangsan", "a callback, and an earlier one made better")
    out = history_problems(repo)
    assert f"FIELD_REWRITTEN commit {sha}: zhangsan rewrites earlier callbacks of {record_id}" in out


def test_a_route_entry_that_moves_the_deadline_without_saying_so_is_named(repo):
    record_id = complaint(repo)
    path = repo.path_of(record_id)
    text = path.read_text(encoding="utf-8")
    text = text.replace("status: registered", "status: routed")
    text += ("- at: 2026-11-23T09:30:00+08:00\n  by: zhangsan\n  from: registered\n  to: routed\n"
             "  department: 仓库\n")
    text = text.replace("\nhistory:", "\ndepartment: 仓库\ndue: 2027-11-20T09:00:00+08:00\nhistory:", 1)
    path.write_text(text, encoding="utf-8")
    sha = hand_commit(repo, "zhangsan", "routed, due a year out")
    out = history_problems(repo)
    assert f"FIELD_REWRITTEN commit {sha}: zhangsan changes due of {record_id}" in out
    assert "changes department" not in out


# -- 6. a reused e-mail address ------------------------------------------------------------------------

def test_a_reused_email_address_does_not_rewrite_who_did_the_past(repo):
    record_id = complaint(repo)
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-11-23T09:30")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-23T11:00")
    repo.run("person", "set", "lisi", "--email", "lisi.new@example.com", as_="zhaozg", now="2026-11-24T09:00")
    repo.run("person", "add", "xiaoli", "--name", "小李", "--role", "agent", "--reports-to", "liubz",
             "--email", EMAIL["lisi"], as_="zhaozg", now="2026-11-24T09:10")
    assert [row["by"] for row in repo.json("log", record_id)] == ["zhangsan", "zhangsan", "lisi"]
    checked = repo.run("validate", "--history", code=None)
    assert "BY_NOT_AUTHOR" not in checked.output and checked.exit_code == 0, checked.output


# -- 7. an honest move ---------------------------------------------------------------------------------

def test_a_record_moved_to_another_month_folder_is_no_deletion(repo):
    record_id = complaint(repo)
    path = repo.path_of(record_id)
    target = repo.records / "tickets" / "2026" / "12" / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    repo.git("mv", str(path), str(target))
    hand_commit(repo, "zhaozg", "filed under the right month")
    checked = repo.run("validate", "--history", code=None)
    assert "RECORD_DELETED" not in checked.output and checked.exit_code == 0, checked.output
    edit(target, "kind: complaint", "kind: inquiry")                   # a move is still audited
    sha = hand_commit(repo, "zhaozg", "and a rewrite")
    assert f"FIELD_REWRITTEN commit {sha}" in history_problems(repo)


# -- 9. messages -----------------------------------------------------------------------------------------

def test_audit_messages_in_chinese_name_what_is_wrong(repo):
    record_id = complaint(repo)
    path = repo.path_of(record_id)
    path.write_text(path.read_text(encoding="utf-8") + "filler: '" + "x" * 270_000 + "'\n", encoding="utf-8")
    shown = repo.run("ticket", "show", record_id, code=2, env={"CSOPS_LANG": "zh"})
    assert "TOO_LARGE 文件大小为" in shown.output and "the file is" not in shown.output


def test_an_entry_without_the_action_its_step_needs_is_explained(repo):
    """resolved → routed written as an escalation: the refusal names the steps that make it,
    instead of listing routed among the allowed targets."""
    record_id = complaint(repo)
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-11-23T09:30")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-23T11:00")
    from csops import yamlio

    path = repo.path_of(record_id)
    doc = yamlio.rt_load(path.read_text(encoding="utf-8"))
    doc["history"].append({"at": "2026-11-23T12:00:00+08:00", "by": "zhangsan", "from": "resolved", "to": "routed",
                           "action": "escalate"})
    doc["status"] = "routed"
    path.write_text(yamlio.rt_dump(doc), encoding="utf-8")
    out = repo.run("validate", code=1).stdout
    assert "ILLEGAL_TRANSITION resolved → routed (resolved → routed is made by " in out and ", not by escalate)" in out
    assert "可以转到" not in out and "it can go to" not in out


# -- found by a second adversarial pass ----------------------------------------------------------------

def test_a_forged_commit_made_the_first_parent_of_a_signed_merge_is_named(repo, keys):
    """The forger branches from before signing, commits unsigned, then merges main into the
    branch (a signed merge) and fast-forwards main to it: the forged commit is brought in where
    signing is on, whichever parent it is."""
    record_id = complaint(repo)
    base = repo.git("symbolic-ref", "--short", "HEAD").strip()
    start = repo.head()
    _require_signing(repo, keys)
    repo.git("checkout", "-q", "-b", "evil", start)
    edit(repo.path_of(record_id), "summary: 破损", "summary: 完好")
    forged = hand_commit(repo, "zhangsan", "forged before signing")
    repo.git("-c", f"user.name={NAME['zhaozg']}", "-c", f"user.email={EMAIL['zhaozg']}", "-c", "gpg.format=ssh",
             "-c", f"user.signingkey={keys['zhaozg']}", "merge", "-q", "-S", "--no-ff", "-m", "merge", base)
    repo.git("checkout", "-q", base)
    repo.git("merge", "-q", "--ff-only", "evil")
    assert f"UNSIGNED_COMMIT commit {forged}: commit by zhangsan is not signed" in history_problems(repo)


def test_an_agents_merge_of_a_supervisors_roster_and_policy_changes_is_no_change_of_theirs(repo, tmp_path):
    """An agent pulls (a merge commit of theirs) while a supervisor had added a person and
    changed the policy: the merge takes those files as the supervisor left them — not flagged."""
    from tests.test_merge import _two_clones

    a, b = _two_clones(repo, tmp_path)
    a.run("person", "add", "xiaoli", "--name", "小李", "--role", "agent", "--reports-to", "liubz", as_="zhaozg")
    policy = a.records / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("satisfied_min: 3", "satisfied_min: 4"),
                      encoding="utf-8")
    a.git("-c", f"user.name={NAME['wangjl']}", "-c", f"user.email={EMAIL['wangjl']}", "commit", "-qam", "policy")
    a.git("push", "-q", "origin", "HEAD")
    complaint(b)
    pulled = subprocess.run(["git", "-c", f"user.name={NAME['zhangsan']}", "-c", f"user.email={EMAIL['zhangsan']}",
                             "pull", "-q", "--no-rebase", "--no-edit", "origin", "HEAD"], cwd=b.root,
                            capture_output=True, text=True)
    assert pulled.returncode == 0, pulled.stderr
    checked = b.run("validate", "--history", code=None)
    assert "NOT_ALLOWED" not in checked.output and checked.exit_code == 0, checked.output


def test_a_record_moved_on_a_branch_and_merged_is_no_deletion(repo):
    record_id = complaint(repo)
    base = repo.git("symbolic-ref", "--short", "HEAD").strip()
    repo.git("checkout", "-q", "-b", "side")
    path = repo.path_of(record_id)
    target = repo.records / "tickets" / "2026" / "12" / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    repo.git("mv", str(path), str(target))
    hand_commit(repo, "zhaozg", "the right month")
    repo.git("checkout", "-q", base)
    repo.out("score", "add", "--person", "lisi", "--code", "PHONE_RINGS", "--date", "2026-11-23", as_="liubz",
             now="2026-11-23T18:00")                                  # main moves on with another record type
    repo.git("-c", f"user.name={NAME['zhaozg']}", "-c", f"user.email={EMAIL['zhaozg']}", "merge", "-q", "--no-ff",
             "-m", "merge", "side")
    checked = repo.run("validate", "--history", code=None)
    assert "RECORD_DELETED" not in checked.output and checked.exit_code == 0, checked.output


def test_two_callbacks_in_the_same_second_validate(repo):
    """The k-th callback step is the k-th attempt: an unreachable call and a reached one in the
    same second, as the CLI wrote them, validate."""
    record_id = complaint(repo)
    now = "2026-11-23T10:00"
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now=now)
    repo.run("ticket", "resolve", record_id, as_="lisi", now=now)
    repo.run("ticket", "callback", record_id, "--outcome", "unreachable", now=now)
    repo.run("ticket", "callback", record_id, "--outcome", "reached", "--satisfaction", "2", now=now)
    checked = repo.run("validate", "--history", code=None)
    assert checked.exit_code == 0, checked.output
