"""csops import: the team's existing 台账 brought in from .xlsx and .csv — every type, all or
nothing by row number, twice without duplicates, checked by the same rules as the commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path



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


def test_returns_leave_and_scores_come_in_with_their_steps(repo, tmp_path):
    returns = write_csv(tmp_path / "退货登记表.csv", [
        ["编号", "状态", "种类", "订单", "客户", "商品", "原因", "登记时间", "登记人", "审批时间", "收货时间", "收货人",
         "初检时间", "初检人", "质检时间", "质检人", "质检结果", "退款时间", "退款人", "退款金额", "结案时间", "结案人"],
        ["TH-1", "已关闭", "自退件", "TB2001", "王女士", "A100×2", "质量问题", "2026-11-02 10:00", "zhangsan",
         "2026-11-02 11:00", "2026-11-04 09:00", "chenck", "2026-11-04 10:00", "chenck", "2026-11-04 15:00", "qianzj",
         "不合格", "2026-11-05 10:00", "zhoucw", "199.00", "2026-11-05 11:00", "chenck"],
        ["TH-2", "已收货", "拒收件", "TB2002", "李先生", "B200:1", "", "2026-11-03 10:00", "zhangsan", "",
         "2026-11-04 09:30", "陈仓管", "", "", "", "", "", "", "", "", "", ""],
    ])
    repo.run("import", "returns", returns, as_="zhaozg")
    made = {r["source_key"]: r for r in repo.json("return", "list")}
    assert made["TH-1"]["status"] == "closed" and made["TH-1"]["refund"]["amount"] == "199.00"
    assert made["TH-1"]["items"][0]["defective"] == 2 and made["TH-2"]["status"] == "received"
    leave = write_csv(tmp_path / "请假单.csv", [
        ["人员", "种类", "开始", "结束", "原因", "申请时间", "审批人", "审批时间", "状态"],
        ["张三", "事假", "2026-11-13 09:00", "2026-11-13", "家事", "2026-11-10 09:00", "liubz", "2026-11-10 11:00",
         "已批准"],
        ["lisi", "病假", "2026-11-16", "2026-11-16", "发烧", "2026-11-16 08:00", "", "", "已申请"],
    ])
    out = repo.run("import", "leave", leave, as_="zhaozg")
    assert "no id column: importing it again would add its rows again" in out.stderr
    leaves = {r["person"]: r for r in repo.json("leave", "list")}
    assert leaves["zhangsan"]["status"] == "approved" and leaves["zhangsan"]["end"] == "2026-11-14T00:00:00+08:00"
    assert leaves["lisi"]["status"] == "requested"
    scores = write_csv(tmp_path / "考核.csv", [
        ["编号", "人员", "代码", "日期", "分钟", "确认时间", "确认人"],
        ["KH-1", "zhangsan", "LATE", "2026-11-12", "12", "2026-11-13 09:00", "赵主管"],
    ])
    repo.run("import", "scores", scores, "--default-by", "liubz", as_="zhaozg")
    (event,) = repo.json("score", "list")
    assert (event["code"], event["minutes"], event["status"], event["created_by"]) == ("LATE", 12, "confirmed", "liubz")
    assert repo.run("validate").exit_code == 0


def test_people_from_the_staff_list_and_the_roster_grid(repo, tmp_path):
    people = write_csv(tmp_path / "花名册.csv", [
        ["编号", "姓名", "角色", "上级", "邮箱"],
        ["wuyq", "吴一琴", "客服专员", "mazl", "wuyq@example.cn"],
        ["mazl", "马主力", "班长", "赵主管", ""],
        ["zhangsan", "张三", "agent", "liubz", "zhangsan@example.com"],
    ])
    out = repo.run("import", "people", people, as_="zhaozg").stdout
    assert "3 rows, 2 new, 1 imported before (one commit)" in out
    listed = {p["id"]: p for p in repo.json("person", "list")}
    assert listed["wuyq"]["reports_to"] == "mazl" and listed["mazl"]["reports_to"] == "zhaozg"
    changed = write_csv(tmp_path / "改.csv", [["编号", "姓名", "角色"], ["lisi", "李四", "team_lead"]])
    assert ("改.csv:2: PERSON_EXISTS lisi is already on the roster with other role; change them with "
            "csops person set") in repo.refused("import", "people", changed, as_="zhaozg")
    assert "may not add people" in repo.refused("import", "people", people, as_="liubz")

    grid = write_csv(tmp_path / "排班表.csv", [
        ["姓名", "班组", "1", "2", "5", "6"],
        ["张三", "一组", "白班", "休", "周末值班", ""],
        ["lisi", "一组", "day", "day", "off", "周末值班"],
    ])
    out = repo.run("import", "roster", grid, "--month", "2026-12", as_="zhaozg", now="2026-11-25T10:00")
    assert "2 rows, 7 person-days to set, 0 already so (one commit)" in out.stdout
    assert "columns not imported: 班组" in out.stderr
    shown = {(r["date"], r["person"]): r["shift"] for r in repo.json("roster", "show", "--week", "2026-W49",
                                                                      now="2026-11-25T10:00")}
    assert shown[("2026-12-05", "zhangsan")] == "weekend_duty" and shown[("2026-12-02", "zhangsan")] == "off"
    again = repo.run("import", "roster", grid, "--month", "2026-12", as_="zhaozg", now="2026-11-25T10:00")
    assert "0 person-days to set, 7 already so (nothing to write)" in again.stdout
    later = write_csv(tmp_path / "改排班.csv", [["姓名", "1"], ["张三", "休"]])
    assert "ROSTER_PAST 2026-12-01 is in the past and the roster says day for zhangsan" in repo.refused(
        "import", "roster", later, "--month", "2026-12", as_="zhaozg", now="2026-12-03T10:00")
    bad = write_csv(tmp_path / "错.csv", [["姓名", "1"], ["张三", "夜班"]])
    assert "错.csv:2: BAD_VALUE 1 '夜班' is not one of: day, weekend_duty, off" in repo.refused(
        "import", "roster", bad, "--month", "2026-12", as_="zhaozg", now="2026-11-25T10:00")


def test_an_export_imports_back_unchanged(repo, _template_repo, tmp_path):
    """list --format csv|xlsx writes every column the import reads: a sheet from one repository,
    imported into another, lists the same there (same ids, times, people, steps, deadlines)."""
    import shutil

    from tests.conftest import Repo

    done = repo.ticket("complaint", now="2026-11-16T09:00", summary="内胆划痕", contact="13812345678")
    repo.run("ticket", "route", done, "--to-dept", "仓库", "--assignee", "chenck", now="2026-11-16T09:30")
    repo.run("ticket", "resolve", done, "--note", "已换货", as_="chenck", now="2026-11-16T15:00")
    repo.run("ticket", "callback", done, "--outcome", "reached", "--satisfaction", "4", now="2026-11-17T10:00")
    asked = repo.ticket("inquiry", now="2026-11-17T11:00", summary="问发票")
    repo.run("ticket", "resolve", asked, now="2026-11-17T11:20")
    repo.ticket("feedback", now="2026-11-18T14:00", summary="希望有夜班")
    parcel = repo.out("return", "new", "--kind", "refused", "--order", "TB9", "--customer", "钱女士", "--item",
                      "A100:2", now="2026-11-16T10:00")
    repo.run("return", "move", parcel, "received", as_="chenck", now="2026-11-17T10:00")
    leave = repo.out("leave", "new", "--person", "lisi", "--kind", "personal", "--start", "2026-11-26T09:00",
                     "--end", "2026-11-26T18:00", "--reason", "家事", as_="lisi", now="2026-11-18T09:00")
    repo.run("leave", "approve", leave, as_="liubz", now="2026-11-18T10:00")
    event = repo.out("score", "add", "--person", "zhangsan", "--code", "LATE", "--date", "2026-11-17", "--minutes",
                     "7", as_="liubz", now="2026-11-17T18:00")
    repo.run("score", "confirm", event, as_="zhaozg", now="2026-11-18T09:00")

    other = Repo(tmp_path / "other")
    shutil.copytree(_template_repo, other.root)
    now = "2026-11-20T10:00"
    for rtype, what in (("ticket", "tickets"), ("return", "returns"), ("leave", "leave"), ("score", "scores")):
        for fmt, lang in (("csv", "en"), ("xlsx", "zh")):
            sheet = tmp_path / f"{what}-{lang}.{fmt}"
            repo.run(rtype, "list", "--format", fmt, "--lang", lang, "--reveal", "--output", sheet, as_="zhaozg",
                     now=now)
        other.run("import", what, tmp_path / f"{what}-zh.xlsx", as_="zhaozg", now=now)
        again = tmp_path / f"{what}-again.csv"
        other.run(rtype, "list", "--format", "csv", "--lang", "en", "--reveal", "--output", again, as_="zhaozg",
                  now=now)
        assert again.read_text(encoding="utf-8-sig") == (tmp_path / f"{what}-en.csv").read_text(encoding="utf-8-sig")
        # and the CSV imports back into the first repository as rows already there
        assert "0 new" in repo.run("import", what, tmp_path / f"{what}-en.csv", as_="zhaozg", now=now).stdout
    assert other.run("validate").exit_code == 0


def test_a_defused_formula_cell_comes_back_as_typed(repo, tmp_path):
    rows = [TICKETS[0][:7] + ["登记时间", "登记人"], ["F1", "", "咨询", "电话", "'=1+2", "", "'-退款", "2026-11-05 10:00",
                                                     "lisi"]]
    repo.run("import", "tickets", write_csv(tmp_path / "f.csv", rows), as_="zhaozg")
    text = repo.path_of(repo.json("ticket", "list")[0]["id"]).read_text()
    assert "name: =1+2" in text and "summary: -退款" in text


def test_empty_cells_duplicate_keys_and_bad_times_are_named(repo, tmp_path):
    rows = [TICKETS[0], list(TICKETS[1]), list(TICKETS[1]), list(TICKETS[2]), list(TICKETS[3]), list(TICKETS[3])]
    rows[3][0] = "GD-X"
    rows[3][10] = "去年春天"                  # row 4: not a time
    rows[4][4] = ""                          # row 5: no customer
    rows[5][0], rows[5][11] = "GD-Y", ""     # row 6: nobody registered it, and no --default-by
    out = repo.refused("import", "tickets", write_csv(tmp_path / "d.csv", rows), as_="zhaozg")
    assert "d.csv:3: DUPLICATE_KEY 编号 GD-001 is also row 2" in out
    assert "d.csv:4: BAD_TIME 登记时间 '去年春天' is not a time (e.g. 2026-03-05 14:30)" in out
    assert "d.csv:5: MISSING_VALUE 客户 is empty" in out
    assert "d.csv:6: MISSING_VALUE 登记人 is empty and no --default-by was given" in out
    rows[5][11] = ""
    fixed = [TICKETS[0], rows[5]]
    repo.run("import", "tickets", write_csv(tmp_path / "ok.csv", fixed), "--default-by", "lisi", as_="zhaozg")
    assert repo.json("ticket", "list")[0]["created_by"] == "lisi"


def test_the_key_option_and_the_sheet_option(repo, tmp_path):
    rows = [TICKETS[0][:7] + ["登记时间", "登记人", "原编号"],
            ["", "", "咨询", "电话", "甲", "", "问一", "2026-11-05 10:00", "lisi", "N-1"],
            ["", "", "咨询", "电话", "乙", "", "问二", "2026-11-05 11:00", "lisi", "N-2"]]
    sheet = write_csv(tmp_path / "k.csv", rows)
    repo.run("import", "tickets", sheet, "--key", "原编号", as_="zhaozg")
    assert sorted(r["source_key"] for r in repo.json("ticket", "list")) == ["N-1", "N-2"]
    assert "0 new, 2 imported before" in repo.run("import", "tickets", sheet, "--key", "原编号", as_="zhaozg").stdout
    assert "--key 单号: k.csv has no such column" in repo.refused("import", "tickets", sheet, "--key", "单号",
                                                                   as_="zhaozg", code=2)
    book = write_xlsx(tmp_path / "b.xlsx", rows)
    assert "--sheet 二月: b.xlsx has no such sheet (sheets: 台账)" in repo.refused(
        "import", "tickets", book, "--sheet", "二月", as_="zhaozg", code=2)


def test_progress_shows_on_a_terminal_only(repo, tmp_path):
    import subprocess
    import sys

    from tests.conftest import ENV, stderr_on_a_terminal

    rows = [TICKETS[0][:7] + ["登记时间", "登记人"]] + [
        [f"P{n}", "", "咨询", "电话", "甲", "", f"问{n}", "2026-11-05 10:00", "lisi"] for n in range(1200)]
    sheet = write_csv(tmp_path / "many.csv", rows)
    argv = [sys.executable, "-m", "csops", "--records", str(repo.records), "--as", "zhaozg", "--now",
            "2026-11-20T10:00", "import", "tickets", str(sheet), "--dry-run"]
    piped = subprocess.run(argv, capture_output=True, text=True, env=ENV, timeout=300)
    assert "1200 rows, 1200 new" in piped.stdout and "checking the rows" not in piped.stderr
    code, stderr = stderr_on_a_terminal(argv)
    assert code == 0 and "checking the rows" in stderr


def test_an_imported_month_reports_and_scores_as_counted_by_hand(repo, tmp_path):
    """Four tickets of November 2026 (working hours 09–12, 13–18; complaints due in 16 working
    hours, inquiries by 18:00 the same day or 12:00 the next when after the 18:00 cut-off)."""
    head = TICKETS[0][:14] + ["回访结果", "满意度", "结案时间", "处理结果"]
    rows = [head,
            # on time: 5 working hours; called back within a day, 5 → closed
            ["A", "", "投诉", "电话", "甲", "13800000001", "破损", "", "仓库", "chenck", "2026-11-02 09:00", "zhangsan",
             "2026-11-02 15:00", "2026-11-03 10:00", "接通", "5", "", "已换货"],
            # due 11-04 18:00, resolved 11-06 17:00: 31 working hours, late
            ["B", "", "投诉", "电话", "乙", "13800000002", "少件", "", "仓库", "chenck", "2026-11-03 09:00", "lisi",
             "2026-11-06 17:00", "2026-11-07 10:00", "接通", "4", "", "已补发"],
            # on time, 5 working hours, answered with a note
            ["C", "", "咨询", "在线", "丙", "", "问价", "", "", "", "2026-11-04 10:00", "zhangsan", "2026-11-04 16:00", "",
             "", "", "", "已答复"],
            # after the cut-off: due 11-06 12:00, resolved 14:00 (4 working hours): late → MESSAGE_LATE for lisi
            ["D", "", "咨询", "在线", "丁", "", "问货", "", "", "", "2026-11-05 19:00", "lisi", "2026-11-06 14:00", "", "",
             "", "", "已答复"]]
    repo.run("import", "tickets", write_csv(tmp_path / "十一月.csv", rows), as_="zhaozg")
    stats = repo.json("report", "stats", "--period", "2026-11", now="2026-12-01T10:00")["total"]
    assert (stats["registered"], stats["resolved"], stats["closed"], stats["callbacks"]) == (4, 4, 2, 2)
    assert (stats["on_time_rate"], stats["avg_resolve_hours"], stats["satisfaction"]["5"]) == (0.5, 11.25, 1)
    repo.run("score", "derive", "--period", "2026-11", now="2026-12-01T10:00", as_="zhaozg")
    (event,) = repo.json("score", "list", as_="zhaozg")
    assert (event["person"], event["code"], event["date"]) == ("lisi", "MESSAGE_LATE", "2026-11-06")
    sheet = {r["person"]: r["score"] for r in repo.json("report", "scores", "--period", "2026-11", as_="zhaozg",
                                                         now="2026-12-01T10:00")}
    assert (sheet["lisi"], sheet["zhangsan"]) == (98.5, 100)


def test_a_large_sheet_is_checked_on_every_core_with_the_same_verdicts(repo, tmp_path):
    rows = [TICKETS[0][:7] + ["登记时间", "登记人"]] + [
        [f"P{n}", "", "咨询", "电话", "甲", "", f"问{n}", "2026-11-05 10:00", "lisi"] for n in range(2100)]
    rows[1500][4] = ""
    rows[2001][8] = "王五"
    out = repo.refused("import", "tickets", write_csv(tmp_path / "big.csv", rows), as_="zhaozg")
    assert out.splitlines()[:2] == ["big.csv:1501: MISSING_VALUE 客户 is empty",
                                    "big.csv:2002: UNKNOWN_PERSON 登记人 '王五': no such person in the roster (id or "
                                    "exact name)"]
    rows[1500][4], rows[2001][8] = "甲", "lisi"
    rows[2100][7] = "2025-12-31 10:00"       # a year the policy has no holidays for: said, not refused
    result = repo.run("import", "tickets", write_csv(tmp_path / "big2.csv", rows), "--dry-run", as_="zhaozg")
    assert "2100 rows, 2100 new" in result.stdout and "the policy has no holidays for 2025" in result.stderr


def test_rows_of_one_day_whose_chunks_draw_the_same_id_are_all_imported(repo, tmp_path, monkeypatch):
    """Each chunk of 250 rows draws its ids apart (on every core): an id two chunks drew is given
    anew to the later row — a row that kept its sheet's own csops id keeps it — never refused."""
    import csops.store

    drawn = iter(range(10**6))

    def colliding(count):                # the second chunk draws the first one's ids again
        n = next(drawn)
        return f"{n % 260 if n < 500 else n:0{count}d}"

    monkeypatch.setattr(csops.store, "random_text", colliding)
    rows = [TICKETS[0][:7] + ["登记时间", "登记人"]] + [
        [f"P{n}", "", "咨询", "电话", "甲", "", f"问{n}", "2026-11-05 10:00", "lisi"] for n in range(500)]
    rows[251][0] = "T-20261105-000100"   # a csops id the sheet brings: kept, the random one that drew it moves
    result = repo.run("import", "tickets", write_csv(tmp_path / "day.csv", rows), as_="zhaozg")
    assert "500 rows, 500 new" in result.stdout
    files = sorted(repo.records.rglob("T-20261105-*.yaml"))
    assert len(files) == 500 and all(f"id: {path.stem}\n" in path.read_text(encoding="utf-8") for path in files)
    assert "summary: 问250" in (repo.records / "tickets/2026/11/T-20261105-000100.yaml").read_text(encoding="utf-8")
    assert repo.run("validate", as_=None).exit_code == 0


# -- the guide: docs/import.md and its sample sheets -------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_the_sample_sheets_are_what_their_script_makes(tmp_path):
    import subprocess
    import sys

    subprocess.run([sys.executable, str(DOCS / "samples" / "make_samples.py"), str(tmp_path)], check=True)
    made = sorted(p.name for p in tmp_path.iterdir())
    kept = sorted(p.name for p in (DOCS / "samples").iterdir() if p.name != "make_samples.py")
    assert made == kept
    for name in made:
        assert (tmp_path / name).read_bytes() == (DOCS / "samples" / name).read_bytes(), name


def test_the_guide_runs_as_written(tmp_path):
    """Every `$ csops …` line of docs/import.md's console block, run in a new folder with the
    sample sheets beside it; each output line the guide shows is printed, in order (a record id's
    random part written …… matches any)."""
    import os
    import re
    import shlex
    import shutil
    import subprocess
    import sys

    from tests.conftest import ENV

    text = (DOCS / "import.md").read_text(encoding="utf-8")
    block = text.split("```console\n", 1)[1].split("```", 1)[0]
    steps, current = [], None
    for line in block.splitlines():
        if line.startswith("$ "):
            current = (line[2:], [])
            steps.append(current)
        else:
            current[1].append(line)
    work = tmp_path / "desk"
    shutil.copytree(DOCS / "samples", work)
    cwd, env = work, {**ENV, "CSOPS_NOW": "2026-12-07T09:00", "CSOPS_LANG": "zh"}
    for command, shown in steps:
        argv = shlex.split(command)
        if argv[0] == "cd":
            cwd = cwd / argv[1]
            continue
        if argv[0] == "export":
            name, value = argv[1].split("=", 1)
            env[name] = value
            continue
        assert argv[0] == "csops", command
        done = subprocess.run([sys.executable, "-m", "csops", *argv[1:]], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, f"{command}: {done.stderr}"
        printed = (done.stdout + done.stderr).splitlines()
        at = 0
        for want in shown:
            pattern = re.compile(r"\s+".join(re.escape(part).replace("……", "[0-9A-Z]{6}") for part in want.split())
                                 + r"\s*$")
            while at < len(printed) and not pattern.match(printed[at]):
                at += 1
            assert at < len(printed), f"{command}: the guide shows {want!r}, csops printed:\n" + "\n".join(printed)
            at += 1
    assert os.path.isdir(work / "kefu" / ".git")


def test_a_roster_grid_with_dates_for_headers_and_an_edit_of_an_import_caught_later(repo, tmp_path):
    from tests.test_audit import hand_commit

    book = write_xlsx(tmp_path / "排班.xlsx", [["人员", dt.datetime(2026, 12, 5), dt.datetime(2026, 12, 6), "备注"],
                                               ["zhangsan", "周末值班", "休", "x"]])
    out = repo.run("import", "roster", book, as_="zhaozg", now="2026-11-25T10:00")
    assert "1 rows, 2 person-days to set" in out.stdout and "columns not imported: 备注" in out.stderr
    two = write_xlsx(tmp_path / "跨月.xlsx", [["人员", dt.datetime(2026, 11, 30), dt.datetime(2026, 12, 1)],
                                             ["zhangsan", "day", "day"]])
    assert "跨月.xlsx: one month per sheet, this one has days of 2026-11, 2026-12" in repo.refused(
        "import", "roster", two, as_="zhaozg", now="2026-11-25T10:00", code=2)
    assert "no day columns (1–31 with --month YYYY-MM, or dates)" in repo.refused(
        "import", "roster", write_csv(tmp_path / "g.csv", [["姓名", "1"], ["张三", "休"]]), as_="zhaozg", code=2)

    repo.run("import", "tickets", write_csv(tmp_path / "t.csv", TICKETS), as_="zhaozg")
    path = next(p for p in repo.records.rglob("T-*.yaml") if "GD-003" in p.read_text())
    path.write_text(path.read_text().replace("kind: feedback", "kind: complaint"))
    sha = hand_commit(repo, "zhaozg", "fix kind")
    assert f"FIELD_REWRITTEN commit {sha}: zhaozg changes kind of" in repo.run("validate", "--history", code=1).stdout


def test_a_map_naming_an_unknown_field_is_refused(repo, tmp_path):
    (tmp_path / "m.yaml").write_text("客户名: client\n", encoding="utf-8")
    rows = [list(r) for r in TICKETS]
    rows[0][4] = "客户名"
    out = repo.refused("import", "tickets", write_csv(tmp_path / "t2.csv", rows), "--map", tmp_path / "m.yaml",
                       as_="zhaozg", code=2)
    assert "--map: 客户名: client is not a column of this sheet type" in out
