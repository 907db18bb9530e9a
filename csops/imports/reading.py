"""How a sheet's columns and cells are read for `csops import`: the --map file, which column gives
which field, and each cell as a value of its column's kind (shared by every sheet type)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from csops import sheets, yamlio
from csops.errors import BadInput, CsopsError
from csops.i18n import _
from csops.imports.columns import CellError, Col, choose, flag, person, time, whole
from csops.render import header as zh_header
from csops.render import safe_text

# what a sheet listing adds for the moment it was made (deadlines): read past, never imported
COMPUTED = ("due", "overdue", "days", "callback_due")
COMPUTED_ZH = tuple(zh_header(name, "zh") for name in COMPUTED)


class Outcome(NamedTuple):
    what: str
    file: str
    rows: int                      # rows read (blank lines are not rows)
    new: list                      # ids (or people, or roster days) it adds
    skipped: int                   # rows imported before (their key is already there)
    problems: list                 # "FILE:ROW: CODE message", in row order
    ignored: list                  # headers no field answers to
    written: bool
    warnings: list = []


class Mapping(NamedTuple):
    renames: dict                  # sheet header → field
    values: dict                   # header or field → {cell text → value}


def load_map(path: Path | None) -> Mapping:
    """--map FILE.yaml: `原表列名: field` renames a column; `列名: {原值: value}` maps its values;
    `列名: {field: F, values: {…}}` does both."""
    if path is None:
        return Mapping({}, {})
    try:
        data = yamlio.load(path.read_bytes(), limit=yamlio.POLICY_BYTES)
    except OSError as exc:
        raise BadInput(_("--map {file}: {why}", file=safe_text(str(path)), why=exc.strerror)) from None
    except yamlio.YamlError as exc:
        raise BadInput(f"{safe_text(str(path))}:{exc.line or 1}: {exc.code} {exc.message}") from None
    if not isinstance(data, dict):
        raise BadInput(_("--map {file}: write one line per column, e.g. 处理结果: status", file=safe_text(str(path))))
    renames, values = {}, {}
    for name, spec in data.items():
        if isinstance(spec, str):
            renames[str(name)] = spec
        elif isinstance(spec, dict) and ("field" in spec or "values" in spec) and \
                set(spec) <= {"field", "values"}:
            if spec.get("field"):
                renames[str(name)] = str(spec["field"])
            values[str(name)] = {str(k): v for k, v in (spec.get("values") or {}).items()}
        elif isinstance(spec, dict):
            values[str(name)] = {str(k): v for k, v in spec.items()}
        else:
            raise BadInput(_("--map {file}: {name}: give a field name or a mapping of values",
                             file=safe_text(str(path)), name=name))
    return Mapping(renames, values)


def columns_of(sheet: sheets.Sheet, layout: list[Col], mapping: Mapping) -> tuple[dict, list]:
    """(sheet header → column, headers nothing answers to); refused when a required column is
    missing, naming it and the headers found."""
    fields = {col.field: col for col in layout}
    found, ignored, taken = {}, [], {}
    for head in sheet.headers:
        target = mapping.renames.get(head)
        if target is not None and target not in fields:
            raise BadInput(_("--map: {head}: {field} is not a column of this sheet type",
                             head=head, field=target), _("columns: {names}", names=", ".join(fields)))
        col = fields.get(target) if target else next(
            (c for c in layout if head == c.field or head.lower() == c.field or head in c.headers
             or head == zh_header(c.field, "zh")), None)
        if col is None:
            if head not in COMPUTED and head not in COMPUTED_ZH:
                ignored.append(head)
            continue
        if col.field in taken:
            raise BadInput(_("{file}: the columns {first} and {second} both give {field}",
                             file=sheet.name, first=taken[col.field], second=head, field=col.field),
                           _('leave one out, or rename it in a --map file'))
        taken[col.field] = head
        found[head] = col
    missing = [c for c in layout if c.required and c.field not in taken]
    if missing:
        col = missing[0]
        raise BadInput(_("{file}: no column {column} ({field}); the headers found: {headers}",
                         file=sheet.name, column=col.headers[0], field=col.field,
                         headers=", ".join(sheet.headers) or _("none")),
                       _("name the column {column} or {field}, or map it in a --map FILE.yaml",
                         column=col.headers[0], field=col.field))
    return found, ignored


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)                  # a phone or order number Excel keeps as a number
    return str(value).strip()


class Reader:
    """Cells → values for one sheet: value maps first, then the column's kind."""

    def __init__(self, session, found: dict, mapping: Mapping):
        self.session, self.found, self.mapping = session, found, mapping
        self.heads = {col.field: head for head, col in found.items()}
        self.known: dict = {}       # (column, cell) → value of a choice or a person: a sheet repeats them

    def head(self, field: str, layout: list[Col]) -> str:
        if field in self.heads:
            return self.heads[field]
        col = next(c for c in layout if c.field == field)
        return col.headers[0] if col.headers else field

    def values(self, cells: dict) -> dict:
        out = {}
        for head, col in self.found.items():
            raw = cells.get(head)
            if raw is None:
                continue
            table = self.mapping.values.get(head) or self.mapping.values.get(col.field)
            if table and _text(raw) in table:
                raw = table[_text(raw)]
                if raw is None:
                    continue
            if col.kind in ("choice", "person"):
                memo = (head, raw)
                if memo not in self.known:
                    try:
                        self.known[memo] = self.cell(col, head, raw)
                    except CellError as exc:
                        self.known[memo] = exc
                value = self.known[memo]
                if isinstance(value, CellError):
                    raise value
                out[col.field] = value
            else:
                out[col.field] = self.cell(col, head, raw)
        return out

    def cell(self, col: Col, head: str, raw):
        session = self.session
        if col.kind == "time":
            moment = time(raw, session.tz, head)
            if col.field == "end" and moment.time() == moment.time().min and _date_only(raw):
                import datetime as dt

                moment += dt.timedelta(days=1)    # a leave to 12-09 runs to the end of that day
            return moment
        if col.kind == "date":
            return time(raw, session.tz, head).date()
        if col.kind == "person":
            return person(raw, session.roster, head)
        if col.kind == "people":
            import re

            return [person(p, session.roster, head) for p in re.split(r"[,，、;；/\s]+", _text(raw)) if p]
        if col.kind == "choice":
            return choose(raw, col.choices(session), session, head)
        if col.kind == "int":
            if col.field == "satisfaction":
                from csops.vocab import SATISFACTION

                named = {label: n for n, label in SATISFACTION.items()}
                if _text(raw) in named:
                    return named[_text(raw)]
            return whole(raw, head)
        if col.kind == "money":
            from csops.money import parse_money

            try:
                return parse_money(_text(raw).removesuffix("元").strip(), what=head, positive=False)
            except CsopsError as exc:
                raise CellError("BAD_VALUE", exc.message) from None
        if col.kind == "flag":
            return flag(raw, head)
        text = _text(raw)
        if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r"):
            text = text[1:]                  # the quote csops puts before what a spreadsheet would run
        if col.field == "contact" and "*" in text:
            raise CellError("BAD_VALUE", _("{column} {value!r} is masked: import the contact in full (export with "
                                           "--reveal), or leave the cell empty", column=head, value=text))
        return text


def _date_only(raw) -> bool:
    import datetime as dt

    if isinstance(raw, dt.datetime):
        return raw.time() == dt.time(0)
    if isinstance(raw, dt.date):
        return True
    return ":" not in str(raw)
