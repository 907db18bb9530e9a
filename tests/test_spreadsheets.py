"""Spreadsheets (SPEC §11): --format xlsx --output FILE for every listing and report."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest


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
    repo.run("ticket", "list", "--format", "csv", "--output", str(csv_file))
    assert csv_file.read_text(encoding="utf-8").startswith("\ufeff编号,")
