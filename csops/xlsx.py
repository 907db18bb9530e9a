"""`--format xlsx --output FILE` (docs/rules.md): a real spreadsheet for supervisors who live in Excel
or WPS — one sheet, headers in the report's language, the header row frozen, numbers stored as
numbers, dates and times as dates (in the team's time zone), text never taken for a formula,
columns as wide as their Chinese text. Written with XlsxWriter."""

from __future__ import annotations

import datetime as dt
import re

from csops.render import Change, Rate, _width, cell, figure_text, header

_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_WIDTH = 60


def write_xlsx(rows: list[dict], columns: list[str], lang: str, path, *, title: str | None = None, tz=None) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                           "strings_to_numbers": False})
    try:
        if title:
            book.set_properties({"title": title})
        sheet = book.add_worksheet("csops")
        bold = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
        moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        formats: dict = {}

        def number_format(spec: str):
            if spec not in formats:
                formats[spec] = book.add_format({"num_format": spec})
            return formats[spec]

        # printed: A4 landscape, as wide as one page, the header row on every page
        sheet.set_paper(9)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(0)
        widths = []
        for col, key in enumerate(columns):
            label = header(key, lang)
            sheet.write_string(0, col, label, bold)
            widths.append(_width(label))
        for r, row in enumerate(rows, start=1):
            for col, key in enumerate(columns):
                value = row.get(key)
                shown = _write(sheet, r, col, value, lang, moment, day, tz, number_format)
                widths[col] = max(widths[col], shown)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, min(width + 2, MAX_WIDTH))
        sheet.freeze_panes(1, 0)
        if rows:
            sheet.autofilter(0, 0, len(rows), len(columns) - 1)
    finally:
        try:
            book.close()
        except xlsxwriter.exceptions.FileCreateError as exc:      # the folder is missing or read-only
            raise OSError(exc.args[0].errno if exc.args and isinstance(exc.args[0], OSError) else 0,
                          str(exc.args[0].strerror if exc.args and isinstance(exc.args[0], OSError) else exc)) from None


def _write(sheet, r: int, col: int, value, lang: str, moment, day, tz, number_format) -> int:
    """One typed cell; returns the display width it needs."""
    if value is None:
        return 0
    typed = figure_text(value)
    if typed is not None:              # a rate as a percentage, a change as a signed number
        fmt = "0.0%" if isinstance(value, Rate) else '+0.0" pt";-0.0" pt"' if value.points else "+0;-0;0"
        sheet.write_number(r, col, float(value) * (100 if isinstance(value, Change) and value.points else 1),
                           number_format(fmt))
        return len(typed)
    if isinstance(value, bool):
        sheet.write_boolean(r, col, value)
        return 5
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            sheet.write_string(r, col, str(value))
        else:
            sheet.write_number(r, col, value)
        return len(cell(value, lang))
    if isinstance(value, str) and _INSTANT.match(value):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            local = parsed.astimezone(tz) if tz is not None and parsed.tzinfo else parsed
            sheet.write_datetime(r, col, local.replace(tzinfo=None), moment)
            return 16
    if isinstance(value, str) and _DATE.match(value):
        try:
            sheet.write_datetime(r, col, dt.datetime.combine(dt.date.fromisoformat(value), dt.time(0)), day)
            return 10
        except ValueError:
            pass
    text = cell(value, lang)
    sheet.write_string(r, col, text)
    return max((_width(line) for line in text.splitlines()), default=0)
