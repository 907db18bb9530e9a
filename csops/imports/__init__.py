"""`csops import TYPE FILE`: a team's existing 台账 — tickets, returns, leave, scores, the staff
list and the roster grid — from .xlsx or .csv, all or nothing.

Every row is read and checked before anything is written: a row the rules refuse refuses the
whole file, each problem reported as FILE:ROW: CODE message (the header is row 1). A file that
passes is one commit by the acting person. A row whose key (`--key`, by default the id column) was
imported before is skipped and counted, so importing a file twice adds nothing.

Importing records is recording the past after the fact: it takes the `backfill` permission
(supervisor and above by default); the people and the roster take their own (person_add,
roster_edit). Each history entry an import makes carries `import: FILE:ROW`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import NamedTuple

from csops import sheets, yamlio
from csops.errors import BadInput, Conflict, CsopsError
from csops.i18n import _
from csops.imports import records as builders
from csops.imports.columns import LAYOUTS, CellError
from csops.imports.reading import Outcome, Reader, _text, columns_of, load_map

KINDS = ("people", "roster", "tickets", "returns", "leave", "scores")
RTYPES = {"tickets": "ticket", "returns": "return", "leave": "leave", "scores": "score"}


def run(session, what: str, path: Path, *, sheet: str | None = None, map_file: Path | None = None,
        key: str | None = None, default_by: str | None = None, month: str | None = None,
        dry_run: bool = False, progress=None, backfill_past: bool = False) -> Outcome:
    """Import FILE as `what` (KINDS); nothing is written when a row is refused or with dry_run."""
    if what == "people":
        from csops.imports.people import import_people

        return import_people(session, path, sheet=sheet, mapping=load_map(map_file), dry_run=dry_run)
    if what == "roster":
        from csops.imports.people import import_roster

        return import_roster(session, path, sheet=sheet, mapping=load_map(map_file), month=month,
                             dry_run=dry_run)
    rtype = RTYPES[what]
    session.policy.require(session.actor, "backfill", doing=_("import records (entries recorded after the fact)"))
    if default_by:
        default_by = session.roster.require(default_by).id
    mapping = load_map(map_file)
    table = sheets.read(path, sheet)
    layout = LAYOUTS[rtype]
    found, ignored = columns_of(table, layout, mapping)
    reader = Reader(session, found, mapping)
    heads = {col.field: reader.head(col.field, layout) for col in layout}
    key_head = _key_column(table, found, key)
    return _records(session, rtype, what, table, reader, heads, key_head, default_by, dry_run, progress, ignored)


def _key_column(table, found: dict, key: str | None) -> str | None:
    if key is not None:
        if key in table.headers:
            return key
        named = next((h for h, col in found.items() if col.field == key), None)
        if named is None:
            raise BadInput(_("--key {key}: {file} has no such column", key=key, file=table.name),
                           _("the headers found: {headers}", headers=", ".join(table.headers)))
        return named
    return next((h for h, col in found.items() if col.field == "id"), None)


def _records(session, rtype, what, table, reader, heads, key_head, default_by, dry_run, progress, ignored):
    """Every row checked (on every core when there are many), then one commit of the new records."""
    from csops import calendar
    from csops.pool import each_in_parallel

    known_keys, known_ids = set(), set()
    for rec in session.ctx.records(rtype):
        known_ids.add(rec.data.get("id"))
        if rec.data.get("source_key") is not None:
            known_keys.add(str(rec.data["source_key"]))
    problems, skipped, seen, work = {}, 0, {}, []
    warnings = [] if key_head else [_("{file} has no id column: importing it again would add its rows again "
                                      "(name the sheet's own number with --key COLUMN)", file=table.name)]
    for row in table.rows:                       # the keys first: what is new, what was imported before
        where = f"{table.name}:{row.number}"
        source_key = _text(row.cells[key_head]) if key_head and row.cells.get(key_head) is not None else None
        if key_head and source_key is None:
            problems[row.number] = _said(where, CellError("MISSING_VALUE", _(
                "{column} is empty (the key of each row)", column=key_head)))
        elif source_key is not None and source_key in seen:
            problems[row.number] = _said(where, CellError("DUPLICATE_KEY", _(
                "{column} {key} is also row {row}", column=key_head, key=source_key, row=seen[source_key])))
        elif source_key is not None and (source_key in known_keys or source_key in known_ids):
            seen[source_key] = row.number
            skipped += 1
        else:
            if source_key is not None:
                seen[source_key] = row.number
            work.append((row.number, row.cells, source_key))
    global _JOB
    _JOB = _Job(session, rtype, table.name, reader, heads, default_by, not dry_run, known_ids)
    made: dict = {}
    keys = {number: source_key for number, _cells, source_key in work if source_key is not None}
    step = progress(len(work)) if progress and work else None
    try:
        with step if step is not None else contextlib.nullcontext() as advance:
            for result in each_in_parallel(_check_rows, work, chunk=250, parallel_from=2000):
                if result[0] == "years":
                    calendar.note_years(result[1])
                    continue
                if advance:
                    advance(1)
                number, record_id, text = result
                if record_id is None:
                    problems[number] = text
                elif record_id in made or record_id in known_ids:
                    # each chunk of rows draws its ids apart: two thousand rows of one day
                    # collide about once in five hundred imports — the one that drew it is given
                    # another (a row that kept its sheet's own id keeps it)
                    if keys.get(number) == record_id:
                        other, other_text = _another_id(session.store, rtype, record_id, made.pop(record_id), made,
                                                        known_ids)
                        made[other] = other_text
                    else:
                        record_id, text = _another_id(session.store, rtype, record_id, text, made, known_ids)
                    made[record_id] = text
                else:
                    made[record_id] = text
    finally:
        _JOB = None
    written = False
    if not problems and made and not dry_run:
        store = session.store
        files = [(store.canonical_path(rtype, record_id), text) for record_id, text in made.items()]
        subject = f"import {what}: {table.name}, {len(table.rows)} rows ({len(made)} new, {skipped} imported before)"
        from csops.actions import write_new

        write_new(session, files, f"{subject}\n\nCsops-Import: {table.name}\nCsops-By: {session.actor.id}")
        written = True
    return Outcome(what, table.name, len(table.rows), list(made), skipped, [problems[n] for n in sorted(problems)],
                   ignored, written, warnings)


class _Job(NamedTuple):
    """What the workers checking rows read (set before they fork)."""
    session: object
    rtype: str
    file: str
    reader: Reader
    heads: dict
    default_by: str | None
    texts: bool                  # make each record's file text (not for a dry run)
    known_ids: set


_JOB: _Job | None = None


def _check_rows(chunk: list) -> list:
    """(row number, record id, file text) of each row — (row number, None, the problem) for a
    refused one — then ("years", the uncertain calendar years the rows' deadlines touched)."""
    from csops import calendar
    from csops.workflows import WORKFLOWS

    job = _JOB
    session, rtype, wf = job.session, job.rtype, WORKFLOWS[job.rtype]
    out, taken, months = [], set(job.known_ids), set()
    with calendar.collecting() as years:
        for number, cells, source_key in chunk:
            where = f"{job.file}:{number}"
            try:
                values = job.reader.values(cells)
                empty = next((c.field for c in LAYOUTS[rtype] if c.required and values.get(c.field) in (None, "")),
                             None)
                if empty is not None:
                    raise builders.RowProblem("MISSING_VALUE", _("{column} is empty", column=job.heads[empty]))
                built = _build(session, rtype, values, job.heads, job.default_by)
                record_id = _record_id(session, rtype, source_key, built, taken)
                taken.add(record_id)
                month = f"{built.created:%Y-%m}"     # deadlines of a new month: its calendar is looked at once
                kept = source_key if source_key is not None and source_key != record_id else None
                doc = builders.assemble(session, wf, built, record_id, where, kept, deadlines=month not in months)
                months.add(month)
                if values.get("status") and doc["status"] != values["status"]:
                    raise builders.RowProblem("STATUS_MISMATCH", _(
                        "{column} says {status} but the row's times lead to {reached}: give the time of each step "
                        "in between ({hint})", column=job.heads["status"], status=values["status"],
                        reached=doc["status"], hint=_STEP_COLUMNS[rtype]))
                out.append((number, record_id, _yaml(doc) if job.texts else ""))
            except (CellError, builders.RowProblem) as exc:
                out.append((number, None, _said(where, exc)))
            except CsopsError as exc:
                out.append((number, None, _said(where, CellError("BAD_VALUE", exc.message))))
        out.append(("years", list(years.items())))
    return out


def _said(where: str, problem) -> str:
    """A refused row as the import prints it: FILE:ROW: CODE message."""
    return f"{where}: {problem.code} {problem.message}"


_STEP_COLUMNS = {"ticket": "部门, 处理时间, 回访时间/回访结果, 结案时间",
                 "return": "审批时间, 收货时间, 初检时间, 质检时间, 退款时间, 结案时间 …",
                 "leave": "审批人/审批时间, 撤回时间",
                 "score": "确认时间, 撤销时间"}


def _build(session, rtype, values, heads, default_by):
    if rtype == "ticket":
        return builders.ticket(values, heads, default_by)
    if rtype == "return":
        return builders.returns(values, heads, default_by)
    if rtype == "leave":
        from csops.timeutil import format_instant

        values = {**values, "start": format_instant(values["start"], session.tz),
                  "end": format_instant(values["end"], session.tz)}
        return builders.leave(values, heads, default_by)
    return builders.score(values, heads, default_by, session)


def _record_id(session, rtype, source_key, built, taken: set) -> str:
    """The sheet's own id when it is a csops id of this type for the day the record was made (an
    export imported back keeps its ids), else a new one."""
    from csops.store import ID_PATTERN
    from csops.vocab import TYPES

    day = built.created.astimezone(session.tz).date()
    if source_key:
        match = ID_PATTERN.match(source_key)
        if match and match["prefix"] == TYPES[rtype].prefix and match["date"] == f"{day:%Y%m%d}" \
                and source_key not in taken and not session.store.canonical_path(rtype, source_key).exists():
            return source_key
    from csops.store import ID_RANDOM_CHARS, random_text

    while True:        # not a file yet: the write refuses a path that exists by then
        record_id = f"{TYPES[rtype].prefix}-{day:%Y%m%d}-{random_text(ID_RANDOM_CHARS)}"
        if record_id not in taken:
            return record_id


def _another_id(store, rtype: str, drawn: str, text: str, made: dict, known_ids: set) -> tuple[str, str]:
    """(a new id for the record that drew `drawn` — the same day, not yet used — and its file
    text with that id)."""
    from csops.store import ID_RANDOM_CHARS, random_text

    line = f"id: {drawn}\n"
    if text and not text.startswith(line) and f"\n{line}" not in text:      # pragma: no cover - csops wrote it
        raise Conflict(_("two new records drew the same id {id}: run the import again", id=drawn))
    for _ignored in range(20):
        record_id = f"{drawn[:-ID_RANDOM_CHARS]}{random_text(ID_RANDOM_CHARS)}"
        if record_id not in made and record_id not in known_ids and not store.canonical_path(rtype, record_id).exists():
            fresh = ("\n" + text).replace(f"\n{line}", f"\nid: {record_id}\n", 1)[1:] if text else text
            return record_id, fresh
    raise Conflict(_("two new records drew the same id {id}: run the import again", id=drawn))  # pragma: no cover


def _yaml(doc: dict) -> str:
    """The record's file: PyYAML's C emitter (a hundred times ruamel's round-trip dumper, which
    keeps comments an import has none of), read back with the loader every command uses; any
    text it would read differently (YAML 1.1 and 1.2 disagree on a few scalars) is written by the
    round-trip dumper instead."""
    import yaml

    text = yaml.dump(doc, Dumper=yaml.CSafeDumper if hasattr(yaml, "CSafeDumper") else yaml.SafeDumper,
                     allow_unicode=True, sort_keys=False, width=1 << 20, default_flow_style=False)
    if yamlio.load(text) != doc:
        text = yamlio.dump_plain(doc)
    return text
