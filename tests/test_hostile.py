"""Hostile files and hostile text (SPEC §10): no crash, no hang, nothing silently left out,
nothing injected. One test per finding of the attack campaign, by name."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import Repo
from tests.conftest import ENV



def csops(repo: Repo, *args, as_="zhaozg", now="2026-11-30T10:00", env=None, timeout=20, encoding="utf-8"):
    """The real CLI in a child process (a crash shows as a signal, a hang as a timeout); its
    output decoded as the terminal would, line ends untouched."""
    argv = [sys.executable, "-m", "csops", "--records", str(repo.records), "--as", as_, "--now", now, *args]
    started = time.monotonic()
    result = subprocess.run(argv, capture_output=True, env={**ENV, **(env or {})}, timeout=timeout)
    result.seconds = time.monotonic() - started
    result.stdout, result.stderr = result.stdout.decode(encoding), result.stderr.decode(encoding)
    assert result.returncode in (0, 1, 2), (result.returncode, result.stderr)        # never 70, never a signal
    assert "Traceback" not in result.stderr + result.stdout
    return result


def inquiry(repo: Repo, **fields) -> str:
    return repo.ticket("inquiry", channel="chat", customer=fields.get("customer", "李"), contact="13812345678",
                       summary=fields.get("summary", "问发货"))


def plant(repo: Repo, name: str, data: bytes) -> "os.PathLike":
    path = repo.records / "tickets" / "2026" / "11" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- crashes and hangs -------------------------------------------------------------------------------

DEEP = b"id: T-20261123-DEEP00\nsummary: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"


def test_a_hundred_thousand_nested_brackets_are_refused_not_a_segfault(repo):
    plant(repo, "T-20261123-DEEP00.yaml", DEEP)
    (repo.records / "people" / "deep.yaml").write_bytes(b"id: deep\nname: " + b"[" * 100_000 + b"\n")
    out = csops(repo, "validate", as_="zhaozg")
    assert out.returncode == 1
    assert "T-20261123-DEEP00.yaml:2: TOO_DEEP nested more than 32 levels deep" in out.stdout
    assert "people/deep.yaml:2: TOO_DEEP" in out.stdout
    (repo.records / "people" / "deep.yaml").unlink()
    for args in (("ticket", "list"), ("report", "overdue"), ("report", "stats", "--period", "2026-11")):
        assert csops(repo, *args).returncode == 0
    policy = repo.records / "policy.yaml"
    policy.write_bytes(policy.read_bytes() + b"\nextra: " + b"[" * 100_000 + b"\n")
    refused = csops(repo, "ticket", "list")
    assert refused.returncode == 2 and "policy.yaml:" in refused.stderr and "TOO_DEEP" in refused.stderr


def test_the_merge_driver_survives_a_hostile_file(tmp_path):
    base, ours, theirs = tmp_path / "b", tmp_path / "o", tmp_path / "t"
    base.write_bytes(b"a: 1\n")
    ours.write_bytes(DEEP)
    theirs.write_bytes(b"a: 2\n")
    result = subprocess.run([sys.executable, "-m", "csops", "merge-file", str(base), str(ours), str(theirs), "x"],
                            capture_output=True, text=True, env=ENV, timeout=20)
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr


BOMB = b"".join([b"a0: &a0 [x, x, x, x, x, x, x, x, x]\n"] +
                [b"a%d: &a%d [" % (i, i) + b", ".join([b"*a%d" % (i - 1)] * 9) + b"]\n" for i in range(1, 10)])


def test_an_alias_bomb_is_refused_at_once_even_in_an_unused_key(repo):
    record_id = inquiry(repo)
    path = repo.path_of(record_id)
    path.write_bytes(path.read_bytes() + b"extra:\n" + b"".join(b"  " + line for line in BOMB.splitlines(True)))
    out = csops(repo, "validate")
    assert out.returncode == 1 and out.seconds < 5
    assert "ALIAS_NOT_ALLOWED YAML anchors and aliases (&name, *name) are not allowed" in out.stdout
    policy = repo.records / "policy.yaml"
    policy.write_bytes(policy.read_bytes() + b"\nextra:\n" + b"".join(b"  " + line for line in BOMB.splitlines(True)))
    refused = csops(repo, "report", "overdue")
    assert refused.returncode == 2 and "expand to more than 100000 values" in refused.stderr and refused.seconds < 5


def test_years_far_away_are_refused_so_no_calendar_walk_can_hang(repo):
    out = repo.refused("leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "2026-12-01",
                       "--end", "9999-12-31", as_="zhangsan", now="2026-11-20T10:00", code=2)
    assert "outside the years 2000–2099" in out
    started = time.monotonic()
    assert "outside the years 2000–2099" in csops(repo, "report", "overdue", now="9999-06-01T00:00").stderr
    assert time.monotonic() - started < 5
    leave = repo.out("leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "2026-12-01",
                     "--end", "2026-12-02", as_="zhangsan", now="2026-11-20T10:00")
    path = repo.path_of(leave)
    path.write_text(path.read_text().replace("end: 2026-12-03T00:00:00+08:00", "end: 9999-12-31T00:00:00+08:00"))
    listing = csops(repo, "leave", "list")
    assert listing.seconds < 5 and "BAD_FIELD end" in listing.stderr          # named, not a long walk
    assert "a leave lasts at most 366 days" in repo.refused(
        "leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "2026-12-01", "--end", "2028-01-01",
        as_="zhangsan", now="2026-11-20T10:00", code=2)


@pytest.mark.parametrize("content, code", [
    (b"", "BAD_RECORD"), (b"~\n", "BAD_RECORD"), (b"- a\n- b\n", "BAD_RECORD"), (b"5\n", "BAD_RECORD"),
    (b"id: T-20261123-ODD000\nstatus: [x]\n", "BAD_FIELD"),
    (("\nhistory:\n", "\nhistory: 5\nold_history:\n"), "BAD_FIELD"),
    (("created: 2026-11-23T10:00:00+08:00", "created: 2026-11-23T25:00:00+08:00"), "BAD_FIELD"),
    ("id: T-20261123-ODD000\nsummary: café\n".encode("latin-1"), "ENCODING"),
    ("id: T-20261123-ODD000\nsummary: 你好\n".encode("utf-16"), "ENCODING"),
    (b"id: T-20261123-ODD000\nsummary: a\nsummary: b\n", "DUPLICATE_KEY"),
])
def test_show_list_and_reports_of_an_odd_file_name_it_never_an_internal_error(repo, content, code):
    record_id = inquiry(repo)
    if isinstance(content, tuple):        # an otherwise valid record with one field gone wrong
        valid = repo.path_of(record_id).read_text().replace(record_id, "T-20261123-ODD000")
        assert content[0] in valid
        content = valid.replace(*content).encode()
    plant(repo, "T-20261123-ODD000.yaml", content)
    show = csops(repo, "ticket", "show", "T-20261123-ODD000")
    assert show.returncode == 2 and "T-20261123-ODD000.yaml:" in show.stderr and code in show.stderr
    for args in (("ticket", "list"), ("report", "stats", "--period", "2026-11")):
        result = csops(repo, *args, env={"CSOPS_LANG": "zh"})
        assert result.returncode == 0 and "警告：跳过 1 条记录" in result.stderr and code in result.stderr


@pytest.mark.parametrize("edit, code", [
    (("timezone: Asia/Shanghai", "timezone: [a]"), "BAD_POLICY"),
    (("PHONE_RINGS: {points: 1,", "PHONE_RINGS: {points: .nan,"), "BAD_CATALOG"),
    (("callback_hours: 24 ", "callback_hours: .inf "), "BAD_POLICY"),
])
def test_a_hostile_policy_is_named_not_a_crash(repo, edit, code):
    policy = repo.records / "policy.yaml"
    assert edit[0] in policy.read_text()
    policy.write_text(policy.read_text().replace(*edit))
    assert code in csops(repo, "validate").stdout
    assert csops(repo, "report", "overdue").returncode == 2


def test_bad_environment_and_arguments_are_usage_errors(repo):
    record_id = inquiry(repo)
    assert "CSOPS_LOCK_TIMEOUT" in csops(repo, "ticket", "route", record_id, "--to-dept", "x",
                                         env={"CSOPS_LOCK_TIMEOUT": "abc"}).stderr
    assert "--period" in csops(repo, "report", "stats", "--period", "0001-01").stderr
    assert "more than a year away" in csops(repo, "ticket", "route", record_id, "--to-dept", "x", "--due",
                                           "2028-01-01").stderr


def test_a_gbk_terminal_printing_an_emoji_does_not_die(repo):
    inquiry(repo, customer="王🌸")
    result = csops(repo, "ticket", "list", env={"PYTHONIOENCODING": "gbk"}, encoding="gbk")
    assert result.returncode == 0 and "王?" in result.stdout


def test_an_internal_error_is_exit_70_with_one_line_naming_a_saved_traceback(repo, tmp_path):
    bug = ("import sys, csops.reports.overdue\n"
           "def broken(*a, **k):\n    raise ZeroDivisionError('a bug')\n"
           "csops.reports.overdue.overdue_rows = broken\n"
           "from csops.cli import main\nmain(sys.argv[1:])\n")
    result = subprocess.run([sys.executable, "-c", bug, "--records", str(repo.records), "report", "overdue"],
                            capture_output=True, text=True, env={**ENV, "TMPDIR": str(tmp_path)})
    assert result.returncode == 70 and result.stderr.count("\n") == 1
    assert "internal error (a bug in csops): ZeroDivisionError: a bug; the traceback is saved in" in result.stderr
    saved = next(tmp_path.glob("csops-traceback-*.txt")).read_text()
    assert "Traceback" in saved and "ZeroDivisionError" in saved


# -- nothing vanishes ---------------------------------------------------------------------------------

def test_a_record_with_a_yaml_error_is_named_by_every_listing_and_fails_fail_if_any(repo):
    late = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王", "--summary", "x",
                    now="2026-11-20T09:00")
    path = repo.path_of(late)
    path.write_text(path.read_text().replace("kind: complaint", "kind: [complaint"))
    result = csops(repo, "report", "overdue", "--fail-if-any", now="2026-11-20T09:30", env={"CSOPS_LANG": "zh"})
    assert result.returncode == 1                                   # nothing due yet, but one record unread
    assert f"{late}.yaml:" in result.stderr and "警告：跳过 1 条记录" in result.stderr
    english = csops(repo, "--records", str(repo.records), "ticket", "list", "--lang", "en")
    assert "1 records skipped" in english.stderr or "跳过 1 条记录" in english.stderr


# -- validate refuses what the CLI cannot use -------------------------------------------------------

def test_validate_names_duplicate_keys_utf16_and_far_years(repo):
    record_id = inquiry(repo)
    path = repo.path_of(record_id)
    text = path.read_text()
    plant(repo, "T-20261123-DUPKEY.yaml", text.replace(record_id, "T-20261123-DUPKEY").encode() + b"kind: feedback\n")
    plant(repo, "T-20261123-UTF160.yaml", text.replace(record_id, "T-20261123-UTF160").encode("utf-16"))
    plant(repo, "T-20261123-YEAR01.yaml", text.replace(record_id, "T-20261123-YEAR01")
          .replace("created: 2026-11-23", "created: 0001-11-23").encode())
    out = csops(repo, "validate").stdout
    assert "T-20261123-DUPKEY.yaml:" in out and "DUPLICATE_KEY duplicate key: the key 'kind' is given twice" in out
    assert "T-20261123-UTF160.yaml:1: ENCODING the file is UTF-16, not UTF-8" in out
    assert "T-20261123-YEAR01.yaml:" in out and "(years 2000–2099), got '0001-11-23" in out


# -- nothing injected ---------------------------------------------------------------------------------

def test_escapes_and_bidi_overrides_are_shown_escaped_in_tables_and_markdown(repo):
    inquiry(repo, customer="\x1b]8;;http://evil\x07王\u202e女士\x1b[31m", summary="a|b\nc")
    table = csops(repo, "ticket", "list").stdout
    assert "\x1b" not in table and "\u202e" not in table
    assert "\\x1b]8;;http://evil\\x07王\\u202e女士\\x1b[31m" in table
    markdown = csops(repo, "ticket", "list", "--format", "markdown").stdout
    assert "a\\|b\\nc" in markdown and "\x1b" not in markdown
    shown = csops(repo, "ticket", "show", "--format", "table", repo.json("ticket", "list")[0]["id"]).stdout
    assert "\x1b" not in shown
    stored = repo.json("ticket", "list")[0]["customer"]["name"]
    assert stored.startswith("\x1b]8;;")                                    # what was typed is kept


def test_csv_cells_that_would_be_formulas_are_defused_and_csv_has_a_bom(repo):
    for evil in ("=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        inquiry(repo, customer=evil)
    out = csops(repo, "ticket", "list", "--format", "csv", "--lang", "en").stdout
    assert out.startswith("id,status,kind,channel,level,customer,contact,summary,order,department,assignee,")
    import csv
    import io

    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert len(rows) == 7                                                    # a CR never splits a row
    names = [row[5] for row in rows[1:]]
    assert sorted(names) == sorted(["'=HYPERLINK(\"http://x\")", "'+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx"])


def test_contacts_inside_free_text_are_masked_unless_revealed(repo):
    record_id = inquiry(repo, summary="客户电话13987654321，邮箱 wang.fang@example.com，请回电")
    listed = csops(repo, "ticket", "list", as_="zhangsan").stdout
    assert "13987654321" not in listed and "139****4321" in listed and "w***@example.com" in listed
    shown = csops(repo, "ticket", "show", record_id, "--format", "json", as_="zhangsan").stdout
    assert "13987654321" not in shown and "wang.fang@" not in shown
    revealed = csops(repo, "ticket", "show", record_id, "--format", "json", "--reveal", as_="zhaozg").stdout
    assert "13987654321" in revealed and "wang.fang@example.com" in revealed


def test_a_record_linked_outside_the_records_folder_is_never_read(repo, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("id: T-20261123-LINK00\nsummary: 工资表\n")
    link = repo.records / "tickets" / "2026" / "11" / "T-20261123-LINK00.yaml"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(secret)
    out = csops(repo, "validate")
    assert "T-20261123-LINK00.yaml:1: SYMLINK_OUTSIDE links outside the records folder" in out.stdout
    shown = csops(repo, "ticket", "show", "T-20261123-LINK00")
    assert shown.returncode == 2 and "SYMLINK_OUTSIDE" in shown.stderr and "工资表" not in shown.stdout
    listed = csops(repo, "ticket", "list")
    assert "工资表" not in listed.stdout and "SYMLINK_OUTSIDE" in listed.stderr


# -- fuzz finds (bench/fuzz.py, seed 5), each a regression test ---------------------------------------

def _commit_hand_edit(repo: Repo, message="hand edit"):
    repo.git("add", "-A")
    repo.git("-c", "user.name=赵主管", "-c", "user.email=zhaozg@example.com", "commit", "-qm", message)


def test_a_long_list_of_problems_in_one_file_is_located_quickly(repo):
    record_id = inquiry(repo)
    path = repo.path_of(record_id)
    text = path.read_text()
    path.write_text(text[:text.index("history:")] + "history: [" + ", ".join(["x"] * 3000) + "]\n")
    out = csops(repo, "validate")
    assert out.returncode == 1 and out.seconds < 5 and f"{record_id}.yaml:" in out.stdout


def test_a_command_on_a_malformed_record_names_the_file_and_field(repo):
    record_id = inquiry(repo)
    path = repo.path_of(record_id)
    path.write_text(path.read_text().replace("status: registered", "status:\n  v: registered"))
    _commit_hand_edit(repo)
    out = csops(repo, "ticket", "resolve", record_id, "--note", "x", as_="zhangsan")
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("status:"))
    assert out.returncode == 2 and f"{record_id}.yaml:{line}: BAD_FIELD status: {{'v': 'registered'}}" in out.stderr
    path.write_text("42\n")
    _commit_hand_edit(repo)
    for args in (("ticket", "escalate", record_id), ("ticket", "move", record_id, "routed")):
        out = csops(repo, *args, as_="zhangsan")
        assert out.returncode == 2 and "BAD_RECORD a ticket file must be a mapping of fields" in out.stderr


def test_an_impossible_date_in_a_record_is_refused_before_it_is_edited(repo):
    record_id = inquiry(repo)
    path = repo.path_of(record_id)
    path.write_text(path.read_text() + "follow_up: 2026-13-45\n")
    _commit_hand_edit(repo)
    out = csops(repo, "ticket", "resolve", record_id, "--note", "x", as_="zhangsan")
    assert out.returncode == 2 and "month must be in 1..12" in out.stderr


def test_the_history_audit_of_odd_entries_and_odd_file_names(repo):
    record_id = inquiry(repo)
    path = repo.path_of(record_id)
    path.write_text(path.read_text().replace("  by: zhangsan", "  by: [zhangsan, lisi]", 1))
    (repo.records / "people" / "x y.yaml").write_text((repo.records / "people" / "lisi.yaml").read_text())
    _commit_hand_edit(repo)
    out = csops(repo, "validate", "--history")
    assert out.returncode == 1 and "BY_NOT_AUTHOR" in out.stdout and "x y.yaml" in out.stdout


def test_the_merge_driver_merges_a_file_that_is_not_utf8_as_text(tmp_path):
    base, ours, theirs = tmp_path / "b", tmp_path / "o", tmp_path / "t"
    base.write_bytes("a: 1\nx: 1\ny: 2\nz: 3\nb: 旧\n".encode("gbk"))
    ours.write_bytes("a: 2\nx: 1\ny: 2\nz: 3\nb: 旧\n".encode("gbk"))
    theirs.write_bytes("a: 1\nx: 1\ny: 2\nz: 3\nb: 新\n".encode("gbk"))
    result = subprocess.run([sys.executable, "-m", "csops", "merge-file", str(base), str(ours), str(theirs), "x"],
                            capture_output=True, env=ENV, timeout=20)
    assert result.returncode == 0 and ours.read_bytes() == "a: 2\nx: 1\ny: 2\nz: 3\nb: 新\n".encode("gbk")


def test_an_alias_that_contains_itself_is_refused(repo):
    policy = repo.records / "policy.yaml"
    policy.write_text(policy.read_text() + "\nextra: &a {b: *a}\n")
    out = csops(repo, "ticket", "list")
    assert out.returncode == 2 and "ALIAS_NOT_ALLOWED an alias refers to the value it is part of" in out.stderr


@pytest.mark.parametrize("old, new, message", [
    ("AWAY_NO_STATUS: {points: 1, label: 离开超过1分钟未改状态, also: [{role: supervisor, points: 2}]}",
     "AWAY_NO_STATUS: {points: 1, label: 离开超过1分钟未改状态, also: 5}", "BAD_CATALOG AWAY_NO_STATUS: also entries"),
    ("  person_add: [supervisor+]", "  person_add: [supervisor+]\n  7: {8: 9}", "BAD_POLICY permissions.7.8 must be a list"),
])
def test_policy_values_of_the_wrong_shape_are_named(repo, old, new, message):
    policy = repo.records / "policy.yaml"
    assert old in policy.read_text()
    policy.write_text(policy.read_text().replace(old, new))
    out = csops(repo, "validate")
    assert out.returncode == 1 and message in out.stdout


def test_a_policy_version_that_is_not_utf8_is_passed_over(repo):
    policy = repo.records / "policy.yaml"
    good = policy.read_bytes()
    policy.write_bytes(good.replace("客服部制度".encode(), "客服部制度".encode("gbk")))
    _commit_hand_edit(repo, "policy saved as GBK")
    policy.write_bytes(good)
    _commit_hand_edit(repo, "policy back to UTF-8")
    assert csops(repo, "report", "overdue").returncode == 0
    history = csops(repo, "policy", "history", "--format", "json")
    assert history.returncode == 0 and "does not load, not used" in history.stdout


def test_a_repository_configured_for_gbk_commit_messages_still_logs_cleanly(repo):
    # found by bench/fuzz.py (seed 6): with i18n.commitEncoding=GBK csops' UTF-8 messages were
    # labelled GBK, and git log turned them into bytes that are not UTF-8
    repo.git("config", "i18n.commitEncoding", "GBK")
    record_id = inquiry(repo)
    out = csops(repo, "log", record_id, "--lang", "zh")
    assert out.returncode == 0 and "新建 → 已登记" in out.stdout and "\\udc" not in out.stdout
    path = repo.path_of(record_id)
    path.write_text(path.read_text().replace("summary: 问发货", "summary: 问发货了吗"))
    subprocess.run(["git", "-C", str(repo.root), "-c", "user.name=赵主管", "-c", "user.email=zhaozg@example.com",
                    "commit", "-qa", "-F", "-"], input="改摘要".encode(), check=True)      # UTF-8 bytes labelled GBK
    out = csops(repo, "log", record_id, "--lang", "zh")
    assert out.returncode == 0


def test_an_output_file_name_that_is_not_utf8_is_printed_escaped(repo, tmp_path):
    # found by bench/fuzz.py (seed 7): `--output` named with bytes that are not UTF-8
    import os

    name = os.fsdecode(b"\xd5\xc5\xc8\xfd.csv")                    # 张三 in GBK, as a file name
    out = csops(repo, "ticket", "list", "--format", "csv", "--output", str(tmp_path / name))
    assert out.returncode == 0 and "\\udcd5" in out.stdout and (tmp_path / name).exists()
    page = os.fsdecode(b"\xd5\xc5\xc8\xfd.html")                      # (seed 8) the monthly page alike
    out = csops(repo, "report", "monthly", "--period", "2026-11", "--html", str(tmp_path / page))
    assert out.returncode == 0 and "\\udcd5" in out.stdout and (tmp_path / page).exists()


@pytest.mark.parametrize("setting, message", [
    ("  clock_skew_hours: [24]", "audit.clock_skew_hours must be a positive number"),
    ("  require_signed: maybe", "audit.require_signed must be true or false"),
])
def test_audit_settings_of_the_wrong_type_are_named(repo, setting, message):
    # found by bench/fuzz.py (seed 7): a list as clock_skew_hours crashed the history audit
    policy = repo.records / "policy.yaml"
    key = setting.split(":")[0]
    text = "\n".join(setting if line.startswith(key + ":") else line for line in policy.read_text().splitlines())
    policy.write_text(text + "\n")
    out = csops(repo, "validate", "--history")
    assert out.returncode in (1, 2) and message in out.stdout + out.stderr


# -- the bulk loader builds records directly: it must read every document as PyYAML does -------

_SCALARS = ["yes", "No", "on", "OFF", "y", "true", "~", "null", "Null", "", "0x1F", "0o17", "017", "0b101", "1_000",
            "-0", "+1", "190:20:30", "1:30", "1e3", "1.5e-3", "3.", ".inf", "-.Inf", ".NaN", "2026-11-23",
            "2026-11-23T10:00:00+08:00", "2026-11-23 10:00", "2002-12-14t21:59:43.10-05:00", "=", "<<", "agent001",
            "张三", "已安排换货", "a: b", "'quoted'", '"dq\\u00e9"', "!!str 12", "!!int '7'", "!!float 1",
            "!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1]", "!!null ''", "[1, [2, [3]]]", "{a: 1, b: [x, y]}",
            "{}", "[]", "? [k]\n  : v", "- x", "!!map {a: 1}", "!!seq [1]", "'" + "9" * 400 + "'", "9" * 400]


def _as_before(text):
    """The reading before the direct constructor: the same checks and libyaml parser, then
    PyYAML's own constructor (a subclass of the bulk loader is built the old way)."""
    from csops import yamlio

    class Before(yamlio.FastLoader):
        pass

    return yamlio.load(text, loader=Before)


def _read(text, load):
    from csops import yamlio

    try:
        value = load(text)
    except yamlio.YamlError as exc:
        return ("error", exc.code, exc.line, exc.message)
    return (repr(value), value)


@pytest.mark.parametrize("value", _SCALARS)
def test_the_bulk_loader_reads_each_kind_of_value_as_before(value):
    from csops import yamlio

    for text in (f"k: {value}\n", f"- {value}\n- other\n", f"a:\n  k: {value}\n  j: [{value}]\n" if "\n" not in value
                 else "x: 1\n", f"{value}\n", f"k: {value}\nk2: {value}\n", f"{value}: 1\n"):
        assert _read(text, yamlio.load) == _read(text, _as_before), text


def test_the_bulk_loader_refuses_what_it_refused_the_same_way():
    """The same first complaint, at the same line, also when a file has several."""
    from csops import yamlio

    for text in ("a: 1\na: 2\n", "a:\n  b: 1\n  b: 1\n", "- {x: 1, x: 2}\n", "? [a]\n: 1\n", "<<: [1]\n",
                 "<<: {a: 1}\nb: 2\n", "a: !!int x\n", "a: !!binary '%'\n", "{[1]: 2}\n", "a: b: c\n", "--- 1\n--- 2\n",
                 "a: !!python/object:os.system x\n", "1: a\n0x1: b\n", "yes: 1\ntrue: 2\n",
                 "a:\n  b: 1\n  b: 2\nc: !foo y\n", "a:\n  - x: 1\n    x: 2\nb: {y: 1, y: 2}\n", "? !!set a\n: 1\n",
                 # one text, two readings (refused by its text); two texts, one key (kept as PyYAML keeps it)
                 "'1': a\n1: b\n", "a: 1\n'a': 2\n", "true: 1\nTrue: 2\n", "2026-11-23: a\n'2026-11-23': b\n",
                 "~: 1\nnull: 2\n", "x: 1\ny: {'z': 1, z: 2}\n"):
        assert _read(text, yamlio.load) == _read(text, _as_before), text


def test_the_bulk_loader_reads_every_demo_record_as_before_and_as_pure_python_does():
    from pathlib import Path

    from csops import yamlio

    files = sorted((Path(__file__).resolve().parent.parent / "records").rglob("*.yaml"))
    assert len(files) > 50
    for path in files:
        text = path.read_bytes()
        if b"&" in text or b"*" in text:
            continue                     # anchors: refused in records, read by the policy's own path
        assert _read(text, yamlio.load) == _read(text, _as_before), path
        assert _read(text, yamlio.load) == _read(text, lambda t: yamlio.load(t, loader=yamlio.PureLoader)), path


@pytest.mark.parametrize("text", ["k:\n" + "- " * 40 + "x\n", "k:\n" + "- " * 600 + "x\n", "- " * 40 + "x\n",
                                  "".join(" " * i + f"k{i}:\n" for i in range(40)) + " " * 40 + "v\n"])
def test_deep_nesting_of_any_spelling_is_too_deep_with_its_line(text):
    from csops import yamlio

    with pytest.raises(yamlio.YamlError) as caught:
        yamlio.load(text)
    assert caught.value.code == "TOO_DEEP" and caught.value.line is not None
