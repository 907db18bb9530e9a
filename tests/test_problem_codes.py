"""Every problem code csops can report, triggered the way a user would — a record made through
the CLI, then a hand edit of its YAML (or of a person file, or of policy.yaml) — and asserted as
the exact line `csops validate` prints: `path:line: CODE message (hint)`.

The last test scans csops' source for every code it can report and fails when one of them is
asserted by no test at all.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
PACKAGE = TESTS.parent / "csops"


@pytest.fixture
def repo(repo, monkeypatch):
    """The conftest repo, with the working directory at its root: validate then names files
    `records/…`, relative to where it runs."""
    monkeypatch.chdir(repo.root)
    return repo


# -- helpers: read and hand-edit the YAML text, run validate -----------------------------------------

def validate(repo, *args, code=1) -> list[str]:
    return repo.run("validate", *args, code=code).stdout.splitlines()


def rel(repo, path: Path) -> str:
    return path.relative_to(repo.root).as_posix()


def edit(path: Path, old: str, new: str) -> str:
    """Replace the one occurrence of `old` (a hand edit); returns the new text."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"expected {old!r} exactly once in {path.name}:\n{text}"
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


def add_history(path: Path, entry: str) -> str:
    """Append a hand-written entry at the end of the top-level `history:` list."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(n for n, line in enumerate(lines) if re.match(r"history:(\s|$)", line)) + 1
    while at < len(lines) and lines[at].startswith(("- ", "  ")):
        at += 1
    lines[at:at] = [entry]
    path.write_text("".join(lines), encoding="utf-8")
    return "".join(lines)


def line_with(text: str, needle: str) -> int:
    """The 1-based number of the one line containing `needle`."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) == 1, f"{needle!r} is on lines {hits}"
    return hits[0]


def item_line(text: str, section: str, index: int) -> int:
    """The line where item `index` of the top-level list `section` starts (its `- `)."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if re.match(rf"{section}:(\s|$)", line))
    items = [n for n, line in enumerate(lines[start + 1:], start + 2) if line.startswith("- ")]
    ends = next((n for n, line in enumerate(lines[start + 1:], start + 2) if line[:1] not in ("-", " ", "")),
                len(lines) + 1)
    items = [n for n in items if n < ends]
    return items[index]


# -- helpers: records made through the CLI ------------------------------------------------------------

def complaint(repo, now="2026-11-23T10:00") -> str:
    return repo.ticket(now=now)


def routed_complaint(repo) -> str:
    record_id = complaint(repo)
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "lisi", now="2026-11-23T10:30")
    return record_id


def resolved_complaint(repo) -> str:
    record_id = routed_complaint(repo)
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-23T15:00")
    return record_id


def self_return(repo, upto: str) -> str:
    """A self-return (A100 ×2, B200 ×1) moved through the CLI up to `upto`."""
    record_id = repo.out("return", "new", "--kind", "self", "--order", "TB20261120-0081", "--customer", "赵女士",
                         "--item", "A100:2", "--item", "B200:1", now="2026-11-23T10:00")
    steps = [("approved", "zhangsan", "2026-11-23T10:10", ()),
             ("received", "chenck", "2026-11-23T14:00", ()),
             ("inspected", "chenck", "2026-11-23T15:00", ()),
             ("qc_checked", "qianzj", "2026-11-24T10:00", ("--item", "A100=good:1,defective:1", "--item",
                                                           "B200=defective"))]
    for state, who, when, extra in steps:
        repo.run("return", "move", record_id, state, *extra, as_=who, now=when)
        if state == upto:
            return record_id
    raise AssertionError(upto)


def leave(repo) -> str:
    return repo.out("leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "2026-11-30T09:00",
                    "--end", "2026-11-30T18:00", now="2026-11-23T10:00")


def score(repo, *args) -> str:
    return repo.out("score", "add", "--person", "zhangsan", "--date", "2026-11-03", *args, as_="liubz",
                    now="2026-11-20T10:00")


# -- policy.yaml ------------------------------------------------------------------------------------
# validate checks the policy first and, when it is broken, reports only that (every other check
# reads it).

def test_no_policy_is_reported_by_the_check_validate_runs(repo):
    (repo.records / "policy.yaml").unlink()
    # csops finds the records folder by its policy.yaml: without one the CLI stops before any check …
    assert "no policy.yaml there" in repo.run("validate", code=2).output
    # … so NO_POLICY comes from the library check validate runs (e.g. on a --records given to it)
    from csops.checks import validate_tree
    from csops.store import Store

    assert [p.format() for p in validate_tree(Store(repo.records))] == [
        "records/policy.yaml: NO_POLICY cannot read policy: No such file or directory "
        "(run csops init or pass --records)"]


def test_no_policy_when_policy_yaml_is_unreadable(repo):
    policy = repo.records / "policy.yaml"
    policy.chmod(0)                               # e.g. copied in from another user's checkout
    try:
        try:
            policy.read_bytes()
        except PermissionError:
            pass
        else:
            pytest.skip("this user reads files without read permission (root)")
        assert validate(repo) == ["records/policy.yaml: NO_POLICY cannot read policy: Permission denied "
                                  "(run csops init or pass --records)"]
    finally:
        policy.chmod(0o644)


def test_bad_policy_language(repo):
    text = edit(repo.records / "policy.yaml", "language: zh ", "language: fr ")
    assert validate(repo) == [
        f"records/policy.yaml:{line_with(text, 'language: fr')}: BAD_POLICY language must be zh or en, not 'fr'"]


def test_bad_catalog_fine_range_upside_down(repo):
    text = edit(repo.records / "policy.yaml", "WRONG_INFO: {points: 0, label: 录入/告知错误信息, fine: [10, 20]}",
                "WRONG_INFO: {points: 0, label: 录入/告知错误信息, fine: [20, 10]}")
    assert validate(repo) == [
        f"records/policy.yaml:{line_with(text, 'WRONG_INFO:')}: BAD_CATALOG WRONG_INFO: fine must be [min, max] "
        "with 0 ≤ min ≤ max, got [20, 10]"]


def test_bad_calendar_interval_ends_before_it_starts(repo):
    text = edit(repo.records / "policy.yaml", 'mon: ["09:00-12:00", "13:00-18:00"]', 'mon: ["09:00-12:00", "18:00-13:00"]')
    assert validate(repo) == [
        f"records/policy.yaml:{line_with(text, 'calendar:')}: BAD_CALENDAR calendar.working_hours.mon: "
        "interval '18:00-13:00' ends before it starts"]


# -- the roster (records/people/) ---------------------------------------------------------------------

def test_bad_record_a_person_file_written_as_a_list(repo):
    (repo.records / "people" / "lisi.yaml").write_text("- id: lisi\n  name: 李四\n  role: agent\n", encoding="utf-8")
    assert validate(repo) == [
        "records/people/lisi.yaml:1: BAD_RECORD a person file must be a mapping (id, name, role, …)"]


def test_duplicate_email_ignores_case(repo):
    text = edit(repo.records / "people" / "zhangsan.yaml", "email: zhangsan@example.com", "email: LiSi@Example.com")
    assert validate(repo) == [
        f"records/people/zhangsan.yaml:{line_with(text, 'email:')}: DUPLICATE_EMAIL email lisi@example.com is also "
        "lisi's"]


def test_chain_cycle_when_the_manager_reports_to_their_supervisor(repo):
    text = edit(repo.records / "people" / "wangjl.yaml", "role: manager\n", "role: manager\nreports_to: zhaozg\n")
    out = validate(repo)
    assert (f"records/people/wangjl.yaml:{line_with(text, 'reports_to:')}: CHAIN_CYCLE the reporting chain above "
            "wangjl loops back to wangjl") in out
    zhaozg = (repo.records / "people" / "zhaozg.yaml").read_text(encoding="utf-8")
    assert (f"records/people/zhaozg.yaml:{line_with(zhaozg, 'reports_to:')}: CHAIN_CYCLE the reporting chain above "
            "zhaozg loops back to zhaozg") in out
    assert sum("CHAIN_CYCLE" in line for line in out) == 2        # only the two in the loop, not everyone below


def test_unknown_person_in_reports_to(repo):
    text = edit(repo.records / "people" / "lisi.yaml", "reports_to: liubz", "reports_to: wangwu")
    assert validate(repo) == [
        f"records/people/lisi.yaml:{line_with(text, 'reports_to:')}: UNKNOWN_PERSON reports_to 'wangwu' is not in "
        "the roster"]


def test_missing_field_person_without_a_name(repo):
    path = repo.records / "people" / "lisi.yaml"
    edit(path, "name: 李四\n", "")
    # a missing key has no line of its own: the problem points at the start of the file's mapping
    assert validate(repo) == ["records/people/lisi.yaml:1: MISSING_FIELD name is required"]


# -- any record file ----------------------------------------------------------------------------------

def test_bad_record_an_emptied_ticket_file(repo):
    path = repo.path_of(complaint(repo))
    path.write_text("", encoding="utf-8")
    assert validate(repo) == [f"{rel(repo, path)}:1: BAD_RECORD a ticket file must be a mapping of fields"]


def test_bad_id_a_mistyped_date_in_the_id(repo):
    record_id = complaint(repo)
    path = repo.path_of(record_id)
    wrong = "T-2026112-" + record_id.split("-")[2]            # one digit of the date lost
    renamed = path.with_name(f"{wrong}.yaml")
    renamed.write_text(path.read_text(encoding="utf-8").replace(record_id, wrong), encoding="utf-8")
    path.unlink()
    text = renamed.read_text(encoding="utf-8")
    assert validate(repo) == [
        f"{rel(repo, renamed)}:{line_with(text, 'id:')}: BAD_ID id {wrong} is not a ticket id (T-YYYYMMDD-XXXXXX)"]


def test_duplicate_id_a_record_copied_to_a_new_file(repo):
    record_id = complaint(repo)
    original = repo.path_of(record_id)
    copy = original.with_name("T-20261123-ZZZZZZ.yaml")       # sorts after the original
    shutil.copyfile(original, copy)
    line = line_with(copy.read_text(encoding="utf-8"), "id:")
    out = validate(repo)
    assert (f"{rel(repo, copy)}:{line}: DUPLICATE_ID id {record_id} is also used by {rel(repo, original)}") in out
    assert (f"{rel(repo, copy)}:{line}: ID_MISMATCH id {record_id} does not match the file name "
            "T-20261123-ZZZZZZ.yaml (rename the file or fix the id)") in out
    assert len(out) == 2


def test_time_backwards_an_entry_dated_before_the_one_before_it(repo):
    path = repo.path_of(routed_complaint(repo))
    text = edit(path, "- at: 2026-11-23T10:30:00+08:00", "- at: 2026-11-23T09:30:00+08:00")
    assert validate(repo) == [
        f"{rel(repo, path)}:{item_line(text, 'history', 1)}: TIME_BACKWARDS history[1] at 2026-11-23T09:30:00+08:00 "
        "is earlier than the entry before it (history is append-only and in time order)"]


def test_unknown_person_as_assignee(repo):
    path = repo.path_of(routed_complaint(repo))
    text = edit(path, "\nassignee: lisi\n", "\nassignee: wangwu\n")
    assert validate(repo) == [
        f"{rel(repo, path)}:{line_with(text, 'assignee: wangwu')}: UNKNOWN_PERSON assignee: no person 'wangwu' in the "
        "roster (add them with csops person add, or fix the id)"]


def test_missing_field_ticket_without_a_summary(repo):
    path = repo.path_of(complaint(repo))
    text = edit(path, "summary: 商品破损\n", "")
    # no line of its own: the problem points at the start of the record's mapping (its first key)
    assert validate(repo) == [f"{rel(repo, path)}:{line_with(text, 'id: T-')}: MISSING_FIELD summary is required"]


# -- files the YAML reader refuses before parsing them (SPEC §10) ---------------------------------------

def test_duplicate_key_a_field_given_twice(repo):
    path = repo.path_of(complaint(repo))
    text = path.read_text(encoding="utf-8") + "summary: 商品破损, 外包装完好\n"
    path.write_text(text, encoding="utf-8")
    assert validate(repo) == [
        f"{rel(repo, path)}:{len(text.splitlines())}: DUPLICATE_KEY duplicate key: the key 'summary' is given twice "
        "(keep one of them)"]


def test_encoding_a_record_saved_as_gbk(repo):
    path = repo.path_of(complaint(repo))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# 工单 ticket")                     # 工 is b9 a4 in GBK
    path.write_bytes(text.encode("gbk", errors="replace"))
    assert validate(repo) == [
        f"{rel(repo, path)}:1: ENCODING byte 0xb9 is not UTF-8 (latin-1 or GBK?) (save the file as UTF-8)"]


def test_alias_not_allowed_an_anchor_in_a_person_file(repo):
    path = repo.records / "people" / "lisi.yaml"
    text = edit(path, "reports_to: liubz", "reports_to: &boss liubz")
    assert validate(repo) == [
        f"records/people/lisi.yaml:{line_with(text, '&boss')}: ALIAS_NOT_ALLOWED YAML anchors and aliases "
        "(&name, *name) are not allowed in records and people (write the values out)"]


def test_too_deep_a_value_nested_past_the_limit(repo):
    path = repo.path_of(complaint(repo))
    text = edit(path, "summary: 商品破损", "summary: " + "[" * 40 + "商品破损" + "]" * 40)
    assert validate(repo) == [
        f"{rel(repo, path)}:{line_with(text, 'summary:')}: TOO_DEEP nested more than 32 levels deep (records are "
        "flat: a few levels at most)"]


def test_too_large_a_record_with_a_pasted_log(repo):
    path = repo.path_of(complaint(repo))
    with path.open("a", encoding="utf-8") as handle:
        handle.write("log: |\n" + "  客户来电记录 2026-11-23 10:00 通话 3 分钟\n" * 5000)
    size = path.stat().st_size // 1024
    assert size > 256
    assert validate(repo) == [
        f"{rel(repo, path)}:1: TOO_LARGE the file is {size} KB; the limit is 256 KB (split it, or remove what does "
        "not belong in it)"]


# -- tickets ------------------------------------------------------------------------------------------

def test_skipped_level_an_escalation_reported_past_the_team_lead(repo):
    record_id = complaint(repo)
    repo.run("ticket", "escalate", record_id, now="2026-11-23T10:10")
    path = repo.path_of(record_id)
    text = edit(path, "  reported_to: liubz\n", "  reported_to: zhaozg\n")
    assert validate(repo) == [
        f"{rel(repo, path)}:{item_line(text, 'escalations', 0)}: SKIPPED_LEVEL escalations[0]: reported to zhaozg, "
        "not liubz, the next one up from zhangsan (越级上报 needs emergency: true)"]


def test_bad_callback_satisfaction_lowered_after_the_ticket_closed(repo):
    record_id = resolved_complaint(repo)
    repo.run("ticket", "callback", record_id, "--outcome", "reached", "--satisfaction", "4", now="2026-11-24T10:00")
    path = repo.path_of(record_id)
    text = edit(path, "  satisfaction: 4\n", "  satisfaction: 2\n")
    assert validate(repo) == [
        f"{rel(repo, path)}:{item_line(text, 'history', 3)}: BAD_CALLBACK a callback with outcome reached and "
        "satisfaction 2 leads to routed, not closed"]


# -- returns ------------------------------------------------------------------------------------------

def test_qc_incomplete_a_hand_made_qc_check_without_counts(repo):
    path = repo.path_of(self_return(repo, upto="inspected"))
    edit(path, "status: inspected", "status: qc_checked")
    text = add_history(path, "- at: 2026-11-24T10:00:00+08:00\n  by: qianzj\n  from: inspected\n  to: qc_checked\n")
    assert validate(repo) == [
        f"{rel(repo, path)}:{item_line(text, 'history', 4)}: QC_INCOMPLETE the QC check must judge every item: "
        "items[0] (A100) has no good/defective count"]


def test_no_tracking_a_hand_made_reship(repo):
    record_id = repo.out("return", "new", "--kind", "transit", "--order", "TB20261120-0082", "--customer", "钱先生",
                         "--item", "C300:1", now="2026-11-23T10:00")
    repo.run("return", "move", record_id, "received", as_="chenck", now="2026-11-23T11:00")
    path = repo.path_of(record_id)
    edit(path, "status: received", "status: reshipped")
    text = add_history(path, "- at: 2026-11-23T12:00:00+08:00\n  by: chenck\n  from: received\n  to: reshipped\n")
    assert validate(repo) == [
        f"{rel(repo, path)}:{item_line(text, 'history', 2)}: NO_TRACKING a re-ship needs the new tracking number "
        "(--tracking)"]


def test_bad_vendor_note_an_entry_without_its_note(repo):
    path = repo.path_of(self_return(repo, upto="qc_checked"))
    text = add_history(path, "- at: 2026-11-25T14:00:00+08:00\n  by: suncg\n  from: qc_checked\n  to: qc_checked\n"
                             "  note: 退厂单 V-1 → 华东电子\n")
    assert validate(repo) == [
        f"{rel(repo, path)}:{item_line(text, 'history', 5)}: BAD_VENDOR_NOTE history[5] records a vendor note but "
        "vendor_notes has none at 2026-11-25T14:00:00+08:00"]


def test_quantity_good_and_defective_do_not_add_up(repo):
    path = repo.path_of(self_return(repo, upto="qc_checked"))
    text = edit(path, "  result: mixed\n  good: 1\n", "  result: mixed\n  good: 2\n")
    assert validate(repo) == [
        f"{rel(repo, path)}:{item_line(text, 'items', 0)}: QUANTITY items[0] A100: good 2 + defective 1 ≠ received 2"]


def test_bad_refund_filled_in_on_a_return_never_refunded(repo):
    path = repo.path_of(self_return(repo, upto="qc_checked"))
    text = path.read_text(encoding="utf-8") + "refund:\n  amount: '259.90'\n  at: 2026-11-24T16:00:00+08:00\n"
    path.write_text(text, encoding="utf-8")
    assert validate(repo) == [
        f"{rel(repo, path)}:{line_with(text, 'refund:')}: BAD_REFUND refund is filled in but the return was never "
        "refunded"]


def test_bad_refund_a_hand_made_refund_without_an_amount(repo):
    path = repo.path_of(self_return(repo, upto="qc_checked"))
    edit(path, "status: qc_checked", "status: refunded")
    text = add_history(path, "- at: 2026-11-24T16:00:00+08:00\n  by: zhoucw\n  from: qc_checked\n  to: refunded\n")
    assert validate(repo) == [
        f"{rel(repo, path)}:{item_line(text, 'history', 5)}: BAD_REFUND a refund needs an amount (--amount)"]


# -- leave --------------------------------------------------------------------------------------------

def test_leave_refused_the_end_moved_before_the_start(repo):
    path = repo.path_of(leave(repo))
    text = edit(path, "end: 2026-11-30T18:00:00+08:00", "end: 2026-11-29T18:00:00+08:00")
    assert validate(repo) == [
        f"{rel(repo, path)}:{item_line(text, 'history', 0)}: LEAVE_REFUSED the leave ends (2026-11-29T18:00:00+08:00) "
        "before it starts (2026-11-30T09:00:00+08:00)"]


# -- score events -------------------------------------------------------------------------------------

def test_unknown_ref_a_mistyped_record_id(repo):
    ticket = complaint(repo)
    path = repo.path_of(score(repo, "--code", "PHONE_RINGS", "--ref", ticket))
    text = edit(path, f"ref: {ticket}", "ref: T-20261123-0000XX")
    assert validate(repo) == [
        f"{rel(repo, path)}:{line_with(text, 'ref:')}: UNKNOWN_REF ref T-20261123-0000XX is not a record in this "
        "repository"]


def test_unknown_code_a_mistyped_catalog_code(repo):
    path = repo.path_of(score(repo, "--code", "PHONE_RINGS"))
    text = edit(path, "code: PHONE_RINGS", "code: PHONE_RING")
    assert validate(repo) == [
        f"{rel(repo, path)}:{line_with(text, 'code:')}: UNKNOWN_CODE code 'PHONE_RING' is not in the policy catalog "
        "(see scores.catalog in policy.yaml)"]


def test_bad_fine_above_the_catalog_range(repo):
    path = repo.path_of(score(repo, "--code", "WRONG_INFO", "--fine", "15"))
    text = edit(path, "fine: '15.00'", "fine: '25.00'")
    assert validate(repo) == [
        f"{rel(repo, path)}:{line_with(text, 'fine:')}: BAD_FINE WRONG_INFO fine must be 10–20 yuan, got 25.00"]


def test_bad_fine_on_a_code_without_fines(repo):
    path = repo.path_of(score(repo, "--code", "PHONE_RINGS"))
    text = edit(path, "date: '2026-11-03'", "date: '2026-11-03'\nfine: '5.00'")
    assert validate(repo) == [
        f"{rel(repo, path)}:{line_with(text, 'fine:')}: BAD_FINE PHONE_RINGS carries no fine in the catalog"]


def test_missing_field_lateness_without_minutes(repo):
    path = repo.path_of(score(repo, "--code", "LATE", "--minutes", "35"))
    text = edit(path, "minutes: 35\n", "")
    assert validate(repo) == [
        f"{rel(repo, path)}:{line_with(text, 'code:')}: MISSING_FIELD LATE needs the minutes late (--minutes)"]


# -- the clone and its history ------------------------------------------------------------------------

def test_no_merge_driver_is_a_warning(repo):
    from csops.bootstrap import merge_driver_command

    repo.git("config", "--unset", "merge.csops.driver")
    assert validate(repo, code=0) == [
        ".git/config: warning: NO_MERGE_DRIVER this clone has no csops merge driver: a merge of two edits to one "
        f"record will conflict (git config merge.csops.driver '{merge_driver_command()}')"]


def test_bad_signature_a_signed_commit_altered_afterwards(repo, tmp_path):
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed")
    key = tmp_path / "zhangsan_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "zhangsan@example.com", "-f", str(key)],
                   check=True)
    (repo.records / "allowed_signers").write_text(f"zhangsan@example.com {key.with_suffix('.pub').read_text()}")
    edit(repo.records / "policy.yaml", "  require_signed: false", "  require_signed: true")
    repo.git("add", "records")
    repo.git("-c", "user.name=赵主管", "-c", "user.email=zhaozg@example.com", "commit", "-q", "-m", "require signing")
    for key_, value in (("gpg.format", "ssh"), ("commit.gpgsign", "true"), ("user.signingkey", str(key))):
        repo.git("config", key_, value)
    complaint(repo)
    assert validate(repo, "--history", code=0) == []          # signed by its author: fine
    # the signed commit rewritten with another message, its signature kept
    body = repo.git("cat-file", "commit", "HEAD").replace("ticket ", "ticket (edited) ", 1)
    forged = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin"], cwd=repo.root, input=body,
                            capture_output=True, text=True, check=True).stdout.strip()
    repo.git("update-ref", "HEAD", forged)
    assert validate(repo, "--history") == [
        f"records: BAD_SIGNATURE commit {forged[:10]}: commit by zhangsan has a signature Git cannot verify (B) "
        "(is the signer in records/allowed_signers?)"]


# -- every code is asserted somewhere -------------------------------------------------------------------

CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
NOT_CODES = re.compile(r"^(?:CSOPS_|GIT_|SIG[A-Z]+$|NO_COLOR$|TERM$|HOME$|PATH$)")


def _literal(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value) \
            and not NOT_CODES.match(node.value):
        return node.value
    return None


def _arg(call: ast.Call, position: int, keyword: str):
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def reported_codes() -> dict[str, set[str]]:
    """code → the csops files that report it: literals passed as the code of Problems.add(path, CODE, …),
    Problem(path, CODE, …), Guard(CODE, …), an import's CellError(CODE, …) and RowProblem(CODE, …),
    and YamlError(message, line, CODE, …) (whose code the
    checks report), the (CODE, message, hint, key, line) tuples of the record index, and the default
    of a parameter named `code` (YamlError's "YAML")."""
    found: dict[str, set[str]] = {}
    for source in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), str(source))):
            codes = []
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                position = {"add": 1, "Problem": 1, "Guard": 0, "YamlError": 2, "CellError": 0, "RowProblem": 0}.get(name)
                if position is not None:
                    codes.append(_literal(_arg(node, position, "code")))
            elif isinstance(node, ast.Tuple) and len(node.elts) == 5:
                codes.append(_literal(node.elts[0]))
            elif isinstance(node, ast.arguments):
                params = node.posonlyargs + node.args
                defaults = dict(zip(params[len(params) - len(node.defaults):], node.defaults))
                defaults.update((a, d) for a, d in zip(node.kwonlyargs, node.kw_defaults) if d is not None)
                codes += [_literal(d) for a, d in defaults.items() if a.arg == "code"]
            for code in filter(None, codes):
                found.setdefault(code, set()).add(source.relative_to(PACKAGE.parent).as_posix())
    return found


def strings_in_tests() -> list[str]:
    """Every string literal (f-string parts too) in tests/*.py, except the meta-test's own code: the
    codes it names to check its scan do not count as asserted (the tests above, in this same
    file, do)."""
    mine = {"test_every_problem_code_is_asserted_by_a_test", "reported_codes", "strings_in_tests", "_literal", "_arg",
            "CODE", "NOT_CODES"}
    out = []
    for source in sorted(TESTS.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"), str(source))
        for top in tree.body:
            names = {top.name} if isinstance(top, (ast.FunctionDef, ast.ClassDef)) else {
                t.id for t in getattr(top, "targets", []) if isinstance(t, ast.Name)}
            if source == Path(__file__).resolve() and names & mine:
                continue
            out += [n.value for n in ast.walk(top) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return out


def test_every_problem_code_is_asserted_by_a_test():
    codes = reported_codes()
    # the scan must see each form a code is reported in; if one stops matching, this says so
    for code, where in (("BAD_FIELD", "csops/schema.py"), ("QC_INCOMPLETE", "csops/workflows/returns.py"),
                        ("CONFLICT_MARKERS", "csops/cache/analyse.py"), ("BAD_RECORD", "csops/cache/analyse.py"),
                        ("NO_POLICY", "csops/policy.py"), ("UNMERGED", "csops/checks.py"),
                        ("BAD_SIGNATURE", "csops/audit.py"), ("YAML", "csops/yamlio.py"),
                        ("DUPLICATE_KEY", "csops/imports/__init__.py"), ("STATUS_MISMATCH", "csops/imports/__init__.py"),
                        ("BAD_TIME", "csops/imports/columns.py")):
        assert where in codes.get(code, ()), f"the scan no longer finds {code} in {where}"
    assert not {"CSOPS_LOCK_TIMEOUT", "GIT_DIR", "SIGINT"} & set(codes)
    text = "\n".join(strings_in_tests())
    missing = sorted(c for c in codes if not re.search(rf"(?<![A-Z0-9_]){c}(?![A-Z0-9_])", text))
    assert not missing, "problem codes no test asserts: " + ", ".join(
        f"{c} ({', '.join(sorted(codes[c]))})" for c in missing)
