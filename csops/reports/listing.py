"""`show` and `list` for every record type, and `log` (a record's audit trail from Git)."""

from __future__ import annotations

from csops.i18n import _, language
from csops.render import mask_contact, mask_record, mask_text
from csops.timeutil import format_instant, parse_instant, try_instant

# Table columns per type (JSON rows carry every field of the file).
COLUMNS = {
    "ticket": ["id", "status", "kind", "level", "customer", "contact", "summary", "assignee", "due"],
    "return": ["id", "status", "kind", "order", "customer", "items", "due"],
    "leave": ["id", "status", "person", "kind", "start", "end", "days"],
    "score": ["id", "status", "person", "code", "date", "fine", "minutes", "ref"],
    "swap": ["id", "status", "person", "with", "date", "with_date", "due"],
    "customer": ["id", "name", "contact", "tier", "owner", "last_revisit", "next_revisit"],
}


def show_record(session, rtype: str, ref: str) -> dict:
    """Every field of the file plus the computed ones (due, overdue, days, …)."""
    from csops.engine import unusable
    from csops.errors import BadInput

    _ignored, path = session.store.locate(ref, rtype)
    rec = session.store.read(rtype, path)
    wf = session.workflow(rtype)
    reason = unusable(rec, wf, session.ctx)
    if reason is not None:
        raise BadInput(f"{session.store.display(path)}:{reason[0] or 1}: {reason[1]}", _("csops validate lists "
                                                                                         "every problem"))
    data = dict(rec.data)
    data.update(wf.extra(rec.data, session.ctx))
    return data


def list_records(session, rtype: str, filters=None, *, reveal: bool = False,
                 table: bool = True, sheet: bool = False) -> tuple[list[dict], list[str]]:
    """The records of a type that pass `filters` (csops.reports.find.Filters), in id order.
    `sheet`: a spreadsheet's rows (csv, xlsx) — every column `csops import` reads, so the sheet
    imports back."""
    filters = _checked(session, rtype, filters)
    recs = session.ctx.records(rtype, where=filters.where())
    if sheet:                       # (the import's layouts are read only for a spreadsheet)
        from csops.imports.columns import LAYOUTS, sheet_columns

        sheet = rtype in LAYOUTS
    rows = list(_rows(session, rtype, recs, filters, reveal, "sheet" if sheet else table))
    rows.sort(key=lambda r: str(r.get("id")))
    if sheet:
        return rows, sheet_columns(rtype)
    if rtype == "leave" and table and language() == "zh":          # 2026-12-09 全天（1天）
        for row in rows:
            row["when"] = leave_span(row, session.tz)
        return rows, ["id", "status", "person", "kind", "when", "reason"]
    return rows, COLUMNS[rtype]


def leave_span(row: dict, tz) -> str:
    """A leave's span as a 客服 says it: `2026-12-09 全天（1天）`, `2026-11-16 14:00–18:00（0.5天）`,
    `2026-11-09 至 2026-11-10（2天）`."""
    import datetime as dt

    start, end = try_instant(row.get("start"), tz), try_instant(row.get("end"), tz)
    if start is None or end is None:
        return f"{row.get('start')} – {row.get('end')}"
    days = row.get("days")
    count = f"（{days:g}天）" if isinstance(days, (int, float)) else ""
    last = (end - dt.timedelta(microseconds=1)).date()
    whole = isinstance(days, (int, float)) and days >= 1 and float(days).is_integer()
    if start.date() == last:
        hours = "全天" if whole else f"{start:%H:%M}–{end:%H:%M}"
        return f"{start.date()} {hours}{count}"
    if whole:
        return f"{start.date()} 至 {last}{count}"
    return f"{start:%Y-%m-%d %H:%M} 至 {end:%Y-%m-%d %H:%M}{count}"


def stream_records(session, rtype: str, filters=None, *, reveal: bool = False):
    """The rows of list_records(table=False), in the same order, one at a time: the records are
    read a batch at a time (a dump of every record need not hold them all)."""
    filters = _checked(session, rtype, filters)
    batches = session.batches(rtype, filters.where())
    if batches is None:
        yield from list_records(session, rtype, filters, reveal=reveal, table=False)[0]
        return
    for recs in batches:
        yield from _rows(session, rtype, recs, filters, reveal, False)


def _checked(session, rtype: str, filters):
    from csops.reports.find import Filters, check

    return check(session, rtype, filters or Filters())


def _rows(session, rtype: str, recs, filters, reveal: bool, table: bool):
    from csops.reports.find import matches

    wf = session.workflow(rtype)
    for rec in recs:
        if not isinstance(rec.data, dict):
            continue
        if filters.status and rec.data.get("status") not in filters.status:
            continue
        if not matches(rtype, rec.data, None, filters, session.tz):
            continue
        row = dict(rec.data)
        extra = wf.extra(rec.data, session.ctx)
        if filters.overdue and not extra.get("overdue"):
            continue
        row.update({k: v for k, v in extra.items() if k in ("due", "days", "overdue", "callback_due", "last_revisit",
                                                            "next_revisit")})
        if table == "sheet":
            row = _sheet_row(rtype, rec.data, row, reveal)
        elif table:
            row = _table_row(rtype, row, reveal)
            if rtype == "score" and language() == "zh":       # a code with its label: LATE 迟到
                rule = session.ctx.on_day(row.get("date")).policy.catalog().get(row.get("code")) or {}
                if isinstance(rule, dict) and rule.get("label"):
                    row["code"] = f"{row.get('code')} {rule['label']}"
        elif not reveal:
            row = mask_record(row)
        yield row


def _table_row(rtype: str, row: dict, reveal: bool) -> dict:
    row = dict(row)
    if rtype == "ticket":
        customer = row.get("customer") if isinstance(row.get("customer"), dict) else {}
        row["customer"] = customer.get("name")
        contact = customer.get("contact")
        row["contact"] = contact if reveal else mask_contact(contact)
        if not reveal:
            row["summary"] = mask_text(row.get("summary"))
    if rtype == "customer":
        row["contact"] = row.get("key") if reveal else mask_contact(row.get("key"))
    if rtype == "return":
        row["items"] = ", ".join(f"{i.get('sku')}×{i.get('qty')}" for i in row.get("items") or [] if isinstance(i, dict))
        if row.get("contact") and not reveal:
            row["contact"] = mask_contact(row["contact"])
    return row


def _sheet_row(rtype: str, data: dict, listed: dict, reveal: bool) -> dict:
    from csops.imports.columns import sheet_row

    row = sheet_row(rtype, data)
    row.update({k: listed.get(k) for k in ("due", "overdue", "days")})
    if not reveal:
        row["contact"] = mask_contact(row.get("contact")) if row.get("contact") else None
        for key in ("summary", "reason", "note"):
            if isinstance(row.get(key), str):
                row[key] = mask_text(row[key])
    return row


def record_log(session, ref: str) -> list[dict]:
    """The audit trail: one row per commit that touched the record, from `git log`. Who is the
    commit's author (mapped to the roster by e-mail), never what a message says; the committer
    is shown when someone else made the commit (--as), the signer when it is signed."""
    from csops.vocab import ALLOWED_SIGNERS

    rtype, path = session.store.locate(ref)
    signers = session.store.root / ALLOWED_SIGNERS
    rows = []
    entries = session.git.log_file(path, signers if signers.exists() else None)
    rosters = _rosters_before(session, [entry.commit for entry in entries])
    for entry, roster in zip(entries, rosters):
        # who had that address when the commit was made (a reused e-mail names its holder then)
        match = (roster.by_author(entry.author) if roster is not None else None) or session.roster.by_author(entry.author)
        subject = entry.subject
        transition = subject.split(": ", 1)[1] if ": " in subject else subject
        committer = (f"{entry.committer.name} <{entry.committer.email}>"
                     if entry.committer.email.lower() != entry.author.email.lower() else None)
        rows.append({"when": format_instant(parse_instant(entry.date, session.tz), session.tz),
                     "by": match.id if match else f"{entry.author.name} <{entry.author.email}>",
                     "transition": transition, "commit": entry.commit[:10], "type": rtype,
                     "committer": committer, "signer": entry.signer})
    return rows


def _rosters_before(session, commits: list[str]) -> list:
    """The roster as each commit's parent had it (None for a root commit), read once per
    version of the people folder."""
    from csops.people import roster_at
    from csops.vocab import PEOPLE

    git = session.git
    folder = git.rel(session.store.root / PEOPLE)
    made: dict = {}
    out = []
    for sha, tree in zip(commits, git.object_ids([f"{sha}^:{folder}" for sha in commits])):
        if tree is not None and tree not in made:
            made[tree] = roster_at(git, folder, f"{sha}^")
        out.append(made.get(tree) if tree is not None else None)
    return out
