"""Spreadsheets (SPEC §11): --format xlsx --output FILE for every listing and report."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest


@pytest.mark.usefixtures("chinese")
def test_an_overdue_report_as_a_real_spreadsheet(repo, tmp_path):
    record_id = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "=HYPERLINK(1)",
                         "--summary", "问", now="2026-11-23T10:00")
    target = tmp_path / "逾期.xlsx"
    out = repo.out("report", "overdue", "--format", "xlsx", "--output", str(target), now="2026-11-24T10:00")
    assert out == str(target)
    sheet = openpyxl.load_workbook(target).active
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["编号", "类型", "待办", "截止时间", "负责人", "逾期小时"]
    row = [c.value for c in sheet[2]]
    assert row[0] == record_id and row[1] == "工单"
    assert row[3] == dt.datetime(2026, 11, 23, 18, 0) and sheet.cell(2, 4).number_format == "yyyy-mm-dd hh:mm"
    assert isinstance(row[5], (int, float)) and row[5] > 0              # a number, not text
    assert sheet.column_dimensions["D"].width >= 16
    listing = tmp_path / "tickets.xlsx"
    repo.run("ticket", "list", "--format", "xlsx", "--output", str(listing), "--lang", "en", now="2026-11-24T10:00")
    sheet = openpyxl.load_workbook(listing).active
    assert sheet.cell(1, 1).value == "id"
    customer = next(c for c in sheet[2] if c.value and "HYPERLINK" in str(c.value))
    assert customer.data_type == "s"                                     # text, never a formula


@pytest.mark.parametrize("args", [("report", "daily", "--date", "2026-11-23"), ("report", "agents", "--period", "2026-11"),
                                  ("report", "stats", "--period", "2026-11"), ("report", "scores", "--period", "2026-11"),
                                  ("report", "returns", "--date", "2026-11-23"), ("report", "vendor"),
                                  ("roster", "show", "--date", "2026-11-23"), ("leave", "list"), ("policy", "history"),
                                  ("person", "list")])
def test_every_listing_and_report_writes_xlsx(repo, tmp_path, args):
    target = tmp_path / "out.xlsx"
    repo.run(*args, "--format", "xlsx", "--output", str(target), now="2026-11-24T10:00")
    sheet = openpyxl.load_workbook(target).active
    assert sheet.max_column >= 2 and sheet.freeze_panes == "A2"


def test_xlsx_needs_a_file_and_a_document_is_not_a_spreadsheet(repo, tmp_path):
    assert "add --output FILE.xlsx" in repo.run("report", "overdue", "--format", "xlsx", code=2).output
    record_id = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李",
                         "--summary", "问", now="2026-11-23T10:00")
    assert "for listings and reports" in repo.run("ticket", "show", record_id, "--format", "xlsx",
                                                  "--output", str(tmp_path / "x.xlsx"), code=2).output
    out = repo.run("report", "overdue", "--format", "xlsx", "--output", str(tmp_path / "no" / "x.xlsx"), code=2).output
    assert "cannot write" in out and not (tmp_path / "no").exists()
    csv_file = tmp_path / "t.csv"
    repo.run("ticket", "list", "--format", "csv", "--output", str(csv_file), env={"CSOPS_LANG": "zh"})
    assert csv_file.read_text(encoding="utf-8").startswith("\ufeff编号,")


def test_spreadsheets_sum_and_print(repo, tmp_path):
    """Figures as numbers and rates as percentages (report stats), times as dates (report vendor),
    and every sheet A4 landscape, one page wide, its header row repeated on each page."""
    import datetime as dt

    import openpyxl

    record_id = repo.ticket("inquiry", now="2026-11-23T09:00")
    repo.run("ticket", "resolve", record_id, "--note", "已答复", now="2026-11-23T10:00")
    stats = tmp_path / "stats.xlsx"
    repo.run("report", "stats", "--period", "2026-11", "--format", "xlsx", "--output", stats, now="2026-11-24T10:00")
    sheet = openpyxl.load_workbook(stats).active
    rows = {(r[0].value, r[1].value): r for r in sheet.iter_rows(min_row=2)}
    registered = rows[("total", "registered")]
    assert registered[2].value == 1 and registered[2].data_type == "n"
    assert registered[4].value == 1 and registered[4].number_format == "+0;-0;0"
    on_time = rows[("total", "on_time_rate")]
    assert on_time[2].value == 1.0 and on_time[2].number_format == "0.0%"
    assert repo.out("report", "stats", "--period", "2026-11", now="2026-11-24T10:00").count("100.0%") >= 1
    for args in (("report", "stats", "--period", "2026-11"), ("report", "overdue"), ("ticket", "list")):
        target = tmp_path / "page.xlsx"
        repo.run(*args, "--format", "xlsx", "--output", target, now="2026-11-24T10:00")
        page = openpyxl.load_workbook(target).active
        assert page.page_setup.orientation == "landscape" and page.page_setup.paperSize == 9, args
        assert page.sheet_properties.pageSetUpPr.fitToPage and page.page_setup.fitToHeight == 0, args
        assert page.print_title_rows == "$1:$1", args
    assert isinstance(dt.datetime(2026, 1, 1), dt.datetime)
