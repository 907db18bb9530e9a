"""Reading a team's spreadsheets for `csops import`: an .xlsx workbook (openpyxl, read-only: one
row in memory at a time) or a .csv file in UTF-8 (with or without the BOM Excel writes) or GB18030
(what Excel on a Chinese Windows saves as "CSV"), told apart by whether the bytes are UTF-8 — never
guessed into mojibake.

A sheet is its header row and its rows, each with the number a spreadsheet shows for it (the
header is row 1), its cells by header. Cells keep what the file holds: text, numbers, and for
.xlsx the dates and times Excel stores (openpyxl turns date-formatted serials into datetimes).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Iterator, NamedTuple

from csops.errors import BadInput
from csops.i18n import _
from csops.render import safe_text

EXCEL_EPOCH = dt.datetime(1899, 12, 30)     # serial 1 is 1900-01-01 (with Lotus' 1900-02-29)


class Row(NamedTuple):
    number: int            # as the spreadsheet shows it: the header is row 1
    cells: dict            # header → value (None for an empty cell)


class Sheet(NamedTuple):
    name: str              # the file's name, as problems cite it (FILE:ROW)
    headers: list[str]
    rows: list[Row]


def read(path: Path, sheet: str | None = None) -> Sheet:
    """The sheet of FILE (.xlsx: the first sheet, or `sheet`; .csv), refused in one line when it
    is not a spreadsheet csops reads."""
    name = safe_text(path.name)
    if not path.is_file():
        raise BadInput(_("{file}: no such file", file=safe_text(str(path))))
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        grid = _xlsx(path, sheet)
    elif suffix == ".csv":
        if sheet:
            raise BadInput(_("--sheet {sheet}: a CSV file has one sheet", sheet=sheet))
        grid = _csv(path)
    elif suffix in (".xls", ".et", ".ods", ".numbers"):
        raise BadInput(_("{file}: csops reads .xlsx and .csv", file=name),
                       _('save it as "Excel 工作簿 (*.xlsx)" or as CSV, then import that'))
    else:
        raise BadInput(_("{file} is not a spreadsheet: csops reads .xlsx and .csv", file=name))
    return _sheet(name, grid)


def _sheet(name: str, grid: Iterator[list]) -> Sheet:
    header = None
    for header in grid:
        if any(not _empty(v) for v in header):
            break
    else:
        raise BadInput(_("{file}: the sheet is empty (the first row names the columns)", file=name))
    headers = [_header(v) for v in header]
    while headers and not headers[-1]:
        headers.pop()
    seen: set = set()
    for text in headers:
        if text and text in seen:
            raise BadInput(_("{file}: the column {column} is there twice", file=name, column=text),
                           _('give each column a header of its own'))
        seen.add(text)
    rows = []
    for number, values in enumerate(grid, start=2):
        if all(_empty(v) for v in values):
            continue                                # a blank line between rows is not a row
        cells = {h: (None if _empty(v) else v) for h, v in zip(headers, values) if h}
        rows.append(Row(number, cells))
    return Sheet(name, [h for h in headers if h], rows)


def _header(value) -> str:
    return "" if value is None else " ".join(str(value).split())


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _xlsx(path: Path, sheet: str | None):
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise BadInput(_("{file} is not an .xlsx workbook ({why})", file=safe_text(path.name),
                         why=type(exc).__name__), _('open it in Excel or WPS and save it as .xlsx')) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise BadInput(_("--sheet {sheet}: {file} has no such sheet", sheet=sheet, file=safe_text(path.name)),
                           _("sheets: {names}", names=", ".join(book.sheetnames)))
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = [list(values) for values in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    yield from rows


def _csv(path: Path):
    data = path.read_bytes()
    data = data.removeprefix(b"\xef\xbb\xbf")
    if _utf8(data):
        text = data.decode("utf-8")
    else:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            text = None
    if text is None:
        raise BadInput(_("{file}: the text is neither UTF-8 nor GB18030", file=safe_text(path.name)),
                       _('save it from Excel or WPS as "CSV UTF-8", then import that'))
    if "\x00" in text:
        raise BadInput(_("{file} is not a spreadsheet: csops reads .xlsx and .csv", file=safe_text(path.name)))
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as exc:
        raise BadInput(_("{file}: not readable as CSV ({why})", file=safe_text(path.name), why=exc)) from None


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def instant(value, tz) -> dt.datetime | None:
    """A cell as a moment of the policy's time zone: an Excel date or time (a datetime, or its
    serial number of days since 1899-12-30), or text as people write it (2026/3/5 14:30,
    2026年3月5日, ISO 8601). None when the cell is empty; ValueError when it is not a time."""
    from csops.errors import CsopsError
    from csops.timeutil import parse_input

    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None else value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0), tz)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial(value, tz)
    text = str(value).strip()
    try:
        return _serial(float(text), tz)
    except ValueError:
        pass
    try:
        return parse_input(text, tz, what="time")
    except CsopsError:
        raise ValueError(text) from None


def _serial(days: float, tz) -> dt.datetime:
    if not 1 <= days < 2958466:                 # 1900-01-01 … 9999-12-31
        raise ValueError(str(days))
    moment = EXCEL_EPOCH + dt.timedelta(days=days)
    moment = (moment + dt.timedelta(microseconds=500_000)).replace(microsecond=0)   # Excel's float noise
    return moment.replace(tzinfo=tz)
