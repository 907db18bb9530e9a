"""The record index's work on one file: parse it, check it by the rules, and note what the
checks across records and the overdue report need of it (an Entry). Run in worker processes
when many files are read (csops.pool)."""

from __future__ import annotations

import os
from typing import NamedTuple

from csops import calendar, yamlio
from csops.engine import UNWORKED, Context, check_record
from csops.errors import CsopsError
from csops.gitlog import blob_id
from csops.i18n import _
from csops.problems import Problem, Problems
from csops.store import ID_PATTERN, read_regular

SUMMARISED = ("leave", "score")      # the types the checks across records read more than the id of
CHUNK = 400


class Summary(NamedTuple):
    """What the checks across records read of a leave or score event."""
    id: str | None
    status: str | None
    person: str | None
    start: str | None
    end: str | None
    ref: str | None


class Entry(NamedTuple):
    type: str
    rel: str                 # path below the records root
    id: str | None
    problems: tuple          # ((code, message, hint, key, line), …)
    summary: Summary | None  # leave, score: for the checks across records
    duties: tuple            # ((what, due ISO, owner, wall_clock), …)
    usable: bool = True      # well formed: the rules could read it (otherwise its first problem says why)
    facts: str | None = None  # what reports count of it (Workflow.facts), kept in a column of its own


# -- one file ----------------------------------------------------------------------------------

WORKER: dict = {}


def _analyse(rtype: str, rel: str, data: bytes, ctx: Context, workflows, facts_wanted: bool = True) -> Entry:
    out = Problems()
    wf = workflows[rtype]
    try:
        rec = yamlio.load(data)
    except yamlio.YamlError as exc:
        marker = next((i + 1 for i, line in enumerate(data.splitlines()) if line.startswith((b"<<<<<<< ", b">>>>>>> "))),
                      None)
        if marker:
            return Entry(rtype, rel, None, (("CONFLICT_MARKERS", _("the file still has merge conflict markers"),
                                             _("register the merge driver (see NO_MERGE_DRIVER / csops validate) and "
                                               "git checkout -m FILE, or edit the file to one version"), (), marker),),
                         None, (), False)
        return Entry(rtype, rel, None, ((exc.code, exc.message, exc.hint, (), exc.line or 1),), None, (), False)
    if not isinstance(rec, dict):
        return Entry(rtype, rel, None, (("BAD_RECORD", _("a {rtype} file must be a mapping of fields", rtype=rtype),
                                         None, (), 1),), None, (), False)
    record_id = rec.get("id")
    stem = os.path.splitext(os.path.basename(rel))[0]
    if isinstance(record_id, str):
        match = ID_PATTERN.match(record_id)
        if stem != record_id:
            out.add("", "ID_MISMATCH", _("id {record_id} does not match the file name {stem}.yaml",
                                         record_id=record_id, stem=stem),
                    _('rename the file or fix the id'), key=("id",))
        if not match or match["prefix"] != wf.prefix:
            out.add("", "BAD_ID", _("id {record_id} is not a {rtype} id ({prefix}-YYYYMMDD-XXXXXX)",
                                    record_id=record_id, rtype=rtype, prefix=wf.prefix), key=("id",))
    well_formed = check_record(rec, wf, ctx, out, "")
    duties, facts = (), None
    if well_formed:
        # without facts to work out, what it owes alone (of a closed ticket: nothing, found without
        # working out its deadlines: Workflow.owed)
        worked = facts_wanted and wf.facts is not None
        with calendar.noting() as noted:
            rows = wf.deadlines(rec, ctx) if worked else None
            owed = wf.duties(rec, ctx, rows)
        duties = tuple((d.what, d.due.isoformat(), d.owner, d.wall_clock) for d in owed if d.due is not None)
        if wf.facts is not None:
            facts = _facts(wf, rec, ctx, rows, noted) if worked else UNWORKED
    record_id = record_id if isinstance(record_id, str) else None
    summary = None
    if rtype in SUMMARISED and well_formed:
        summary = Summary(record_id, rec.get("status"), _text(rec.get("person")), _text(rec.get("start")),
                          _text(rec.get("end")), _text(rec.get("ref")))
    problems = tuple((p.code, p.message, p.hint, p.key, p.line) for p in out)
    return Entry(rtype, rel, record_id, problems, summary, duties, well_formed, facts)


def _facts(wf, rec: dict, ctx: Context, rows: list, noted) -> str | None:
    try:
        return wf.facts(rec, ctx, rows, noted)
    except CsopsError:
        return None                      # a report working it out says why


def _text(value):
    return value if isinstance(value, str) else None


def work(chunk: list[tuple[str, str, str]]) -> list[tuple]:
    """In a worker: read, parse and check a chunk of files → (blob id, Entry fields, facts)
    for each, in order."""
    ctx, workflows, root = WORKER["ctx"], WORKER["workflows"], WORKER["root"]
    facts_wanted = WORKER.get("facts", True)
    out = []
    for rtype, rel, blob in chunk:
        path = os.path.join(root, rel)
        try:
            data = read_regular(path)[0]
        except OSError as exc:
            entry = Entry(rtype, rel, None, (("YAML", _("cannot read file: {reason}", reason=exc.strerror), None,
                                              (), 1),), None, (), False)
            blob = None                      # a failed read is never cached: the next run tries again
        else:
            entry = _analyse(rtype, rel, data, ctx, workflows, facts_wanted)
            blob = blob or blob_id(data)
        packed = pack(entry)
        out.append((blob, encode(packed) or packed, entry.facts))      # plain entries travel as text
    return out


def work_facts(chunk: list[tuple[str, str, str]]) -> list[tuple]:
    """In a worker: the facts left UNWORKED of well-formed files whose entries stand (read, parse,
    deadlines, facts: no checks) → (blob id, None, facts) for each, in order; a file that can no
    longer be read or parsed keeps them unworked (the command that reads it says why)."""
    ctx, workflows, root = WORKER["ctx"], WORKER["workflows"], WORKER["root"]
    out = []
    for rtype, rel, blob in chunk:
        wf = workflows[rtype]
        try:
            rec = yamlio.load(read_regular(os.path.join(root, rel))[0])
        except (OSError, yamlio.YamlError):
            out.append((blob, None, UNWORKED))
            continue
        with calendar.noting() as noted:
            rows = wf.deadlines(rec, ctx)
        out.append((blob, None, _facts(wf, rec, ctx, rows, noted)))
    return out


def pack(entry: Entry) -> tuple:
    """The cached form: small, marshal-friendly (the rel path is in the key)."""
    return (entry.type, entry.id, entry.problems, tuple(entry.summary) if entry.summary else None, entry.duties,
            entry.usable)


def unpack(rel: str, packed: tuple) -> Entry:
    return Entry(packed[0], rel, packed[1], packed[2], Summary(*packed[3]) if packed[3] else None, packed[4], packed[5])



# What makes a record unreadable by the rules: a read or parse error or a malformed field; an id
# that does not match its file name is reported too, but is not why the record is left out.
_NOT_WHY = frozenset({"ID_MISMATCH", "BAD_ID", "LEGACY_AMOUNT"})


def why_unusable(entry: Entry) -> tuple:
    """The problem (code, message, hint, key, line) a listing names for a skipped record."""
    return next((p for p in entry.problems if p[0] not in _NOT_WHY), entry.problems[0])


def problems_of(entries: list[Entry], store) -> list[Problem]:
    out = []
    for entry in entries:
        if not entry.problems:
            continue
        where = store.display(os.path.join(store.root, entry.rel))
        for code, message, hint, key, line in entry.problems:
            out.append(Problem(where, code, message, hint, tuple(key or ()), line))
    return out


# On disk, the common entry — no problems, nothing owed — is kept as text: "type, id, summary"
# lines in one string, split and zipped with the paths into a dict in C at load time and decoded
# only when asked for. A hundred thousand tuples would take several times longer to load.
FIELDS = 7


def decode(rel: str, value) -> Entry:
    if isinstance(value, tuple):
        return unpack(rel, value)
    rtype, record_id, *summary = value.split("\t")
    record_id = record_id or None
    return Entry(rtype, rel, record_id, (), Summary(record_id, *(x or None for x in summary))
                 if rtype in SUMMARISED else None, ())


def encode(value) -> str | None:
    if isinstance(value, str):
        return value
    rtype, record_id, problems, summary, duties, _ignored = value
    if problems or duties or (rtype in SUMMARISED and summary is None):
        return None
    fields = [rtype, record_id or "", *((x or "") for x in (summary or (None,) * 6)[1:])]
    if any("\t" in f or "\n" in f for f in fields):
        return None
    return "\t".join(fields)
