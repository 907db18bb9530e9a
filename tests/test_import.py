"""csops import: the team's existing 台账 brought in from .xlsx and .csv — every type, all or
nothing by row number, twice without duplicates, checked by the same rules as the commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8-sig") -> Path:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list]) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("台账")
    dates = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value, dates)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return path


TICKETS = [
    ["编号", "状态", "种类", "渠道", "客户", "联系方式", "摘要", "订单", "部门", "处理人", "登记时间", "登记人",
     "处理时间", "回访时间", "回访结果", "满意度", "结案时间"],
    ["GD-001", "已关闭", "投诉", "电话", "王女士", "13812345678", "电饭煲内胆有划痕", "TB1001", "仓库", "chenck",
     "2026-11-02 09:10", "张三", "2026-11-02 15:00", "2026-11-03 10:00", "接通", "4", "2026-11-03 10:00"],
    ["GD-002", "已处理", "咨询", "在线", "李先生", "", "询问发货时间", "", "", "", "2026-11-03 11:00", "李四",
     "2026-11-03 11:30", "", "", "", ""],
    ["GD-003", "已登记", "建议", "邮件", "赵女士", "zhao@example.cn", "希望增加夜间客服", "", "", "",
     "2026-11-04 14:00", "zhangsan", "", "", "", "", ""],
]


def test_tickets_from_csv_become_records_as_of_their_own_times(repo, tmp_path):
    sheet = write_csv(tmp_path / "工单台账.csv", TICKETS)
    before = repo.head()
    result = repo.run("import", "tickets", sheet, as_="zhaozg")
    assert "3 rows, 3 new, 0 imported before (one commit)" in result.stdout
    assert repo.git("rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert repo.git("log", "-1", "--format=%an %s").startswith("赵主管 import tickets: 工单台账.csv, 3 rows")
    rows = {r["source_key"]: r for r in repo.json("ticket", "list", as_="zhaozg") if "source_key" in r} or None
    listed = repo.json("ticket", "list", "--status", "closed")
    assert len(listed) == 1
    closed = repo.json("ticket", "show", listed[0]["id"])
    assert closed["source_key"] == "GD-001" and closed["created"] == "2026-11-02T09:10:00+08:00"
    assert [(e["to"], e["by"], e["import"]) for e in closed["history"]] == [
        ("registered", "zhangsan", "工单台账.csv:2"), ("routed", "zhangsan", "工单台账.csv:2"),
        ("resolved", "chenck", "工单台账.csv:2"), ("closed", "zhangsan", "工单台账.csv:2")]
    assert closed["callbacks"][0]["satisfaction"] == 4 and closed["closure"] == "satisfied"
    assert repo.status() == ""


def test_xlsx_with_excel_dates_and_serials_and_validate_history_accepts_it(repo, tmp_path):
    from tests.test_audit import edit, hand_commit

    edit(repo.records / "policy.yaml", "  clock_skew_hours:", "  clock_skew_hours: 24")
    hand_commit(repo, "zhaozg", "policy")
    serial = (dt.datetime(2026, 11, 5, 9, 30) - dt.datetime(1899, 12, 30)).total_seconds() / 86400
    sheet = write_xlsx(tmp_path / "tickets.xlsx", [
        ["id", "status", "kind", "channel", "customer", "contact", "summary", "created", "created_by"],
        ["A1", "registered", "inquiry", "phone", "钱先生", 13900001111, "问保修", dt.datetime(2026, 11, 4, 16, 5),
         "lisi"],
        ["A2", "registered", "feedback", "chat", "孙女士", None, "包装太大", serial, "lisi"],
    ])
    now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    repo.run("import", "tickets", sheet, as_="zhaozg", now=now)
    made = {r["source_key"]: r for r in repo.json("ticket", "list", now=now)}
    assert made["A1"]["created"] == "2026-11-04T16:05:00+08:00"
    assert made["A2"]["created"] == "2026-11-05T09:30:00+08:00"
    assert "contact: '13900001111'" in repo.path_of(made["A1"]["id"]).read_text()   # a phone Excel kept as a number
    assert "CLOCK_SKEW" not in repo.run("validate", "--history", now=now).stdout


def test_a_gb18030_csv_is_read_without_mojibake(repo, tmp_path):
    sheet = write_csv(tmp_path / "gbk.csv", TICKETS[:1] + TICKETS[3:], encoding="gb18030")
    repo.run("import", "tickets", sheet, as_="zhaozg")
    (made,) = repo.json("ticket", "list")
    assert made["summary"] == "希望增加夜间客服" and made["customer"]["name"] == "赵女士"


def test_importing_twice_adds_nothing(repo, tmp_path):
    sheet = write_csv(tmp_path / "t.csv", TICKETS)
    repo.run("import", "tickets", sheet, as_="zhaozg")
    head = repo.head()
    again = repo.run("import", "tickets", sheet, as_="zhaozg")
    assert "3 rows, 0 new, 3 imported before (nothing to write)" in again.stdout
    assert repo.head() == head and len(repo.json("ticket", "list")) == 3
    # a new row in the same sheet comes in alone
    more = write_csv(tmp_path / "t2.csv", TICKETS + [["GD-004", "", "咨询", "电话", "周先生", "", "问价格", "", "", "",
                                                     "2026-11-05 10:00", "lisi", "", "", "", "", ""]])
    assert "4 rows, 1 new, 3 imported before (one commit)" in repo.run("import", "tickets", more, as_="zhaozg").stdout


def test_bad_rows_refuse_the_whole_file_each_named_by_row(repo, tmp_path):
    rows = [list(r) for r in TICKETS]
    rows[2][2] = "抱怨"                      # row 3: no such kind
    rows[3][11] = "王五"                     # row 4: no such person
    sheet = write_csv(tmp_path / "bad.csv", rows)
    out = repo.refused("import", "tickets", sheet, as_="zhaozg")
    assert "bad.csv:3: BAD_VALUE 种类 '抱怨' is not one of: complaint, inquiry, feedback" in out
    assert "bad.csv:4: UNKNOWN_PERSON 登记人 '王五': no such person in the roster (id or exact name)" in out
    assert "bad.csv:2" not in out
    assert "nothing imported — 2 of 3 rows refused" in out
    assert repo.json("ticket", "list") == []


def test_dry_run_prints_the_verdicts_and_writes_nothing(repo, tmp_path):
    sheet = write_csv(tmp_path / "t.csv", TICKETS)
    head = repo.head()
    out = repo.run("import", "tickets", sheet, "--dry-run", as_="zhaozg").stdout
    assert "3 rows, 3 new, 0 imported before (dry run: nothing written)" in out
    assert repo.head() == head and repo.status() == ""
    rows = [list(r) for r in TICKETS]
    rows[1][12] = "2026-11-01 08:00"          # resolved before it was registered
    out = repo.refused("import", "tickets", write_csv(tmp_path / "b.csv", rows), "--dry-run", as_="zhaozg")
    assert "b.csv:2: TIME_BACKWARDS" in out


def test_a_row_breaking_a_rule_is_refused_as_the_command_would_be(repo, tmp_path):
    rows = [TICKETS[0], ["X1", "已关闭", "投诉", "电话", "吴女士", "13700000000", "破损", "", "仓库", "chenck",
                         "2026-11-02 09:10", "zhangsan", "2026-11-02 15:00", "", "", "", "2026-11-03 10:00"],
            ["X2", "已处理", "投诉", "电话", "郑先生", "", "少件", "", "", "", "2026-11-02 09:10", "zhangsan",
             "2026-11-02 15:00", "", "", "", ""],
            ["X3", "已关闭", "咨询", "电话", "冯女士", "", "问价", "", "", "", "2026-11-02 09:10", "zhangsan", "", "", "",
             "", ""]]
    out = repo.refused("import", "tickets", write_csv(tmp_path / "r.csv", rows), as_="zhaozg")
    assert "r.csv:2: CALLBACK_REQUIRED" in out
    assert "r.csv:3: ILLEGAL_TRANSITION cannot resolve (registered → resolved: complaints must be routed" in out
    assert ("r.csv:4: STATUS_MISMATCH 状态 says closed but the row's times lead to registered: give the time of "
            "each step in between") in out


def test_bad_files_and_columns_are_named_in_one_line(repo, tmp_path):
    out = repo.refused("import", "tickets", write_csv(tmp_path / "n.csv", [["编号", "客户", "备注"], ["1", "x", "y"]]),
                       as_="zhaozg", code=2)
    assert "n.csv: no column 种类 (kind); the headers found: 编号, 客户, 备注" in out
    (tmp_path / "notes.txt").write_text("hello")
    assert "notes.txt is not a spreadsheet: csops reads .xlsx and .csv" in repo.refused(
        "import", "tickets", tmp_path / "notes.txt", as_="zhaozg", code=2)
    (tmp_path / "fake.xlsx").write_text("not a zip")
    assert "fake.xlsx is not an .xlsx workbook" in repo.refused("import", "tickets", tmp_path / "fake.xlsx",
                                                                 as_="zhaozg", code=2)
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    assert "old.xls: csops reads .xlsx and .csv" in repo.refused("import", "tickets", tmp_path / "old.xls",
                                                                 as_="zhaozg", code=2)
    (tmp_path / "latin.csv").write_bytes(b"\xff\xfe\x00\x00\x81")
    assert "latin.csv: the text is neither UTF-8 nor GB18030" in repo.refused(
        "import", "tickets", tmp_path / "latin.csv", as_="zhaozg", code=2)


def test_importing_records_takes_the_backfill_permission(repo, tmp_path):
    out = repo.refused("import", "tickets", write_csv(tmp_path / "t.csv", TICKETS), as_="zhangsan")
    assert "zhangsan (agent) may not import records" in out


def test_a_map_file_names_columns_and_values(repo, tmp_path):
    sheet = write_csv(tmp_path / "own.csv", [
        ["工单号", "问题类型", "来源渠道", "顾客", "问题", "受理时间", "受理人", "处理结果"],
        ["K-9", "退换货咨询", "旺旺", "陈女士", "问退货地址", "2026/11/6 10:20", "李四", "待处理"],
    ])
    (tmp_path / "map.yaml").write_text(
        "工单号: id\n问题类型: {field: kind, values: {退换货咨询: inquiry}}\n来源渠道: {field: channel, values: {旺旺: chat}}\n"
        "顾客: customer\n问题: summary\n受理时间: created\n受理人: created_by\n处理结果: {field: status, values: {待处理: registered}}\n",
        encoding="utf-8")
    repo.run("import", "tickets", sheet, "--map", tmp_path / "map.yaml", as_="zhaozg")
    (made,) = repo.json("ticket", "list")
    assert (made["kind"], made["channel"], made["created_by"], made["source_key"]) == ("inquiry", "chat", "lisi", "K-9")


def test_a_hand_made_import_entry_by_an_agent_is_named_by_the_audit(repo):
    from tests.test_audit import hand_commit

    record_id = repo.ticket("inquiry", summary="问价", by="lisi")
    path = repo.path_of(record_id)
    text = path.read_text()
    forged = path.with_name(record_id[:-6] + "FORGED.yaml")
    forged.write_text(text.replace(record_id, forged.stem).replace("  to: registered\n",
                                                                   "  to: registered\n  import: x.csv:2\n"))
    repo.git("add", str(forged))
    sha = hand_commit(repo, "zhangsan", "import by hand", str(forged))
    out = repo.run("validate", "--history", code=1).stdout
    assert f"IMPORT_NOT_ALLOWED commit {sha}: zhangsan imports entries of other people but may not" in out
