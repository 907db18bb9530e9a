"""In the team's own language: under zh every label and message a person reads is Chinese — the
demo's reports and records say no English word that is not a code, an id, a person's id, a
command or an option — and what a 客服经理 would write is what csops writes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ENV

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-23T09:30"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo records (records/) in a repository of their own: nothing is written into the project."""
    root = tmp_path_factory.mktemp("demo") / "kefu"
    shutil.copytree(ROOT / "records", root / "records")
    for args in (("init", "-q"), ("add", "-A"), ("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "demo")):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root


def zh(demo: Path, *args) -> str:
    done = subprocess.run([sys.executable, "-m", "csops", "--records", str(demo / "records"), "--now", NOW, *args],
                          capture_output=True, text=True, env={**ENV, "CSOPS_LANG": "zh"}, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout + done.stderr


def english_words(text: str, people: set[str]) -> list[str]:
    """Words of English in `text` that are not a code (LATE, WRONG_INFO), an id (T-20261117-G1247M,
    TB20261101-0093, RC-5L), an e-mail address, a person's id, a command (csops …) or an option."""
    text = re.sub(r"\S+@\S+", " ", text)                              # e-mail addresses
    text = re.sub(r"--[a-z][a-z-]*", " ", text)                       # options
    out = []
    for token in re.findall(r"[A-Za-z0-9_.*-]+", text):
        if re.search(r"\d", token) or token.isupper() or token in people or token in ("csops",):
            continue
        out += [word for word in re.findall(r"[A-Za-z]{2,}", token)]
    return out


MAIN = [("report", "overdue"), ("report", "daily", "--date", "2026-11-20"), ("report", "agents", "--period", "2026-11"),
        ("report", "stats", "--period", "2026-11"), ("report", "scores", "--period", "2026-11"),
        ("report", "returns", "--date", "2026-11-20"), ("report", "vendor"), ("roster", "show", "--week", "2026-W48"),
        ("ticket", "list"), ("return", "list"), ("leave", "list"), ("score", "list"), ("swap", "list"),
        ("person", "list"), ("search", "破损")]


def test_no_english_in_the_demo_reports_and_records_under_zh(demo):
    people = {p.stem for p in (demo / "records" / "people").glob("*.yaml")}
    found = {}
    for args in MAIN:
        words = english_words(zh(demo, *args), people)
        if words:
            found[" ".join(args)] = sorted(set(words))
    for path in sorted((demo / "records").glob("*/2026/11/*.yaml")):
        rtype = {"T": "ticket", "R": "return", "L": "leave", "S": "score", "W": "swap"}[path.stem[0]]
        words = english_words(zh(demo, rtype, "show", path.stem), people)
        if words:
            found[f"{rtype} show {path.stem}"] = sorted(set(words))
    assert not found, found


def test_a_correction_says_its_fields_and_reason_in_the_commit_message(repo):
    record_id = repo.ticket("complaint", summary="破损", now="2026-11-20T09:00")
    repo.run("ticket", "amend", record_id, "--set", "kind=inquiry", "--reason", "登记错误：实为咨询", as_="zhaozg")
    message = repo.git("log", "-1", "--format=%B")
    assert message.splitlines()[:3] == [f"ticket {record_id}: registered → registered (amend)", "",
                                        "kind: complaint → inquiry; 登记错误：实为咨询"]
    assert repo.git("log", "-1", "--format=%(trailers:key=Csops-Action,valueonly)").strip() == "amend"


@pytest.mark.usefixtures("chinese")
def test_what_a_manager_would_write(repo):
    record_id = repo.ticket("complaint", summary="破损", contact="13812345678", now="2026-11-20T09:00")
    repo.run("ticket", "route", record_id, "--to-dept", "仓库", "--assignee", "chenck")
    repo.run("ticket", "resolve", record_id, as_="chenck", now="2026-11-20T11:00:00+08:00")
    out = repo.run("ticket", "callback", record_id, "--outcome", "reached", "--satisfaction", "4", as_="suncg",
                   now="2026-11-20T12:00:00+08:00", code=1).output
    assert "孙采购（采购）无权回访工单，需客服专员及以上" in out
    other = repo.ticket("complaint", summary="少件", now="2026-11-20T09:00")
    repo.run("ticket", "escalate", other, now="2026-11-20T10:10:00+08:00")                # → urgent, to liubz
    repo.run("ticket", "escalate", other, "--emergency", now="2026-11-20T10:20:00+08:00")  # → major, to zhaozg
    repo.run("ticket", "escalate", other, now="2026-11-20T10:30:00+08:00")                # on up, to wangjl
    out = repo.run("ticket", "escalate", other, now="2026-11-20T10:40:00+08:00", code=1).output
    assert "王经理之上已无可上报人员（当前已是“重大”级）" in out
    shown = repo.out("ticket", "show", record_id, "--reveal", as_="zhaozg")
    assert "客户      王女士（13812345678）" in shown
    leave = repo.out("leave", "new", "--person", "lisi", "--kind", "sick", "--start", "2026-11-23", "--end",
                     "2026-11-23", as_="lisi", now="2026-11-20T09:00:00+08:00")
    shown = repo.out("leave", "show", leave)
    for label in ("提前申请", "待补", "下一审批人  刘班长"):
        assert label in shown, shown


def test_the_user_guide_is_what_its_script_writes(tmp_path):
    """docs/guide/: a chapter per role, made by running its commands on the demo records — run
    again, it writes the same (the guide cannot drift from csops)."""
    guide = ROOT / "docs" / "guide"
    subprocess.run([sys.executable, str(guide / "make_guide.py"), str(tmp_path)], check=True, env=ENV, timeout=900)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in guide.glob("*.md"))
    assert len(written) == 7                          # six roles and the index
    for name in written:
        assert (tmp_path / name).read_text(encoding="utf-8") == (guide / name).read_text(encoding="utf-8"), name


@pytest.mark.usefixtures("chinese")
def test_csv_values_and_a_policys_own_shift_labels_are_chinese(repo, tmp_path):
    from tests.test_audit import edit, hand_commit

    record_id = repo.ticket("complaint", summary="破损", customer="phone", now="2026-11-20T09:00")
    out = repo.out("ticket", "list", "--format", "csv")
    line = next(line for line in out.splitlines() if line.startswith(record_id))
    assert ",已登记,投诉,电话,普通,phone," in line                # a customer called phone stays phone
    edit(repo.records / "policy.yaml", "shifts:\n", 'shifts:\n  early: {hours: ["08:00-12:00", "13:00-17:00"], label: 早班}\n')
    hand_commit(repo, "zhaozg", "policy: 早班")
    later = "2026-12-10T10:00"                     # the policy's new version is in force from its commit
    said = repo.out("roster", "set", "2026-12-14", "--person", "zhangsan", "--shift", "early", as_="zhaozg", now=later)
    assert "班次 早班" in said
    shown = repo.out("roster", "show", "--date", "2026-12-14", now=later)
    assert "早班" in shown and "early" not in shown
    rows = repo.json("roster", "show", "--date", "2026-12-14", now=later)
    assert next(r for r in rows if r["person"] == "zhangsan")["shift"] == "early"      # JSON keeps the name
    grid = tmp_path / "排班.csv"
    grid.write_text("姓名,15\n李四,早班\n", encoding="utf-8")
    repo.run("import", "roster", grid, "--month", "2026-12", as_="zhaozg", now=later)
    rows = repo.json("roster", "show", "--date", "2026-12-15", now=later)
    assert next(r for r in rows if r["person"] == "lisi")["shift"] == "early"
    edit(repo.records / "policy.yaml", "label: 早班}", "label: 早班, colour: red}")
    assert "BAD_POLICY" in repo.run("validate", code=None).output


@pytest.mark.usefixtures("chinese")
def test_a_leave_reads_as_its_days(repo):
    one = repo.out("leave", "new", "--person", "lisi", "--kind", "sick", "--start", "2026-11-23", "--end", "2026-11-23",
                   "--reason", "发烧", as_="lisi", now="2026-11-20T09:00:00+08:00")
    half = repo.out("leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "2026-11-27T13:00",
                    "--end", "2026-11-27T18:00", "--reason", "办事", now="2026-11-20T09:00:00+08:00")
    table = repo.out("leave", "list")
    assert f"{one}" in table and "2026-11-23 全天（1天）" in table and "2026-11-27 13:00–18:00（0.5天）" in table
    assert half in table
    assert "2026-11-23T00:00:00+08:00" in repo.out("leave", "list", "--lang", "en")
