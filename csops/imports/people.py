"""`csops import people` (the staff list 花名册) and `csops import roster` (the 排班表 grid: one row
per person, one column per day, cells a shift, its label, or 休)."""

from __future__ import annotations

import datetime as dt
import re

from csops import sheets, yamlio
from csops.errors import BadInput
from csops.i18n import _
from csops.imports.columns import LAYOUTS, CellError, choose, person
from csops.imports.reading import Outcome, Reader, columns_of
from csops.people import PERSON_ID, Person


def import_people(session, path, *, sheet, mapping, dry_run):
    """New people from the staff list; a person already on the roster with the same fields is
    skipped (imported before), with other fields refused (change them with `person set`). Into
    an empty roster (a new repository) anyone may import, the first row's person making the commit,
    as the first `person add` does; after that supervisor and above (permissions.person_add)."""

    roster, policy = session.roster, session.policy
    bootstrap = not len(roster)
    if not bootstrap:
        policy.require(session.actor, "person_add", doing=_("add people"))
    table = sheets.read(path, sheet)
    found, ignored = columns_of(table, LAYOUTS["people"], mapping)
    reader = Reader(session, found, mapping)
    heads = {field: reader.head(field, LAYOUTS["people"]) for field in ("id", "name", "role", "reports_to", "email")}
    problems, rows, skipped = [], [], 0
    names = {}
    for row in table.rows:
        where = f"{table.name}:{row.number}"
        try:
            values = reader.values(row.cells)
            for field in ("id", "name", "role"):
                if not values.get(field):
                    raise CellError("MISSING_VALUE", _("{column} is empty", column=heads[field]))
            if not PERSON_ID.match(values["id"]):
                raise CellError("BAD_VALUE", _("{column} {value!r}: use lower-case letters, digits, _ . - "
                                               "(e.g. zhangsan)", column=heads["id"], value=values["id"]))
            if values["id"] in names:
                raise CellError("DUPLICATE_KEY", _("{column} {key} is also row {row}", column=heads["id"],
                                                   key=values["id"], row=names[values["id"]]))
            names[values["id"]] = row.number
            rows.append((row.number, values))
        except CellError as exc:
            problems.append(f"{where}: {exc.code} {exc.message}")
    # a superior may be named by id or name, on the roster or further down this sheet
    sheet_names = {values["name"]: values["id"] for _n, values in rows}
    new, emails = [], {p.email.lower(): p.id for p in roster if p.email}
    for number, values in rows:
        where = f"{table.name}:{number}"
        try:
            boss = values.get("reports_to")
            if boss:
                if boss in names or boss in sheet_names:
                    boss = boss if boss in names else sheet_names[boss]
                else:
                    boss = person(boss, roster, heads["reports_to"])
                if boss == values["id"]:
                    raise CellError("BAD_VALUE", _("{column}: {id} cannot report to themselves",
                                                   column=heads["reports_to"], id=values["id"]))
            data = {"id": values["id"], "name": values["name"], "role": values["role"], "reports_to": boss,
                    "email": values.get("email"), "active": values.get("active", True)}
            data = {k: v for k, v in data.items() if v is not None}
            known = roster.get(values["id"])
            if known is not None:
                before = {k: v for k, v in {"id": known.id, "name": known.name, "role": known.role,
                                            "reports_to": known.reports_to, "email": known.email,
                                            "active": known.active}.items() if v is not None}
                said = {k for k in data if k != "active" or "active" in values}     # what the sheet says
                changed = ", ".join(sorted(k for k in said if before.get(k) != data.get(k)))
                if changed:
                    raise CellError("PERSON_EXISTS", _("{id} is already on the roster with other {names}; change "
                                                       "them with csops person set", id=values["id"], names=changed))
                skipped += 1
                continue
            email = (values.get("email") or "").lower()
            if email and emails.get(email, values["id"]) != values["id"]:
                raise CellError("BAD_VALUE", _("{column} {email} already belongs to {id}", column=heads["email"],
                                               email=values["email"], id=emails[email]))
            if email:
                emails[email] = values["id"]
            new.append(data)
        except CellError as exc:
            problems.append(f"{where}: {exc.code} {exc.message}")
    problems.sort(key=lambda text: int(text.split(":", 2)[1]))
    written = False
    if not problems and new and not dry_run:
        first = Person.from_data(new[0])
        author = first.author if bootstrap else session.actor.author
        by = "-" if bootstrap else session.actor.id
        files = [(session.store.people_dir / f"{d['id']}.yaml", yamlio.dump_plain(d)) for d in new]
        from csops.actions import write_new

        write_new(session, files, f"import people: {table.name}, {len(table.rows)} rows ({len(new)} new, "
                                  f"{skipped} imported before)\n\nCsops-Import: {table.name}\nCsops-By: {by}",
                  author=author)
        written = True
    return Outcome("people", table.name, len(table.rows), [d["id"] for d in new], skipped, problems, ignored,
                   written)


_PERSON_HEADS = ("person", "id", "name", "人员", "姓名", "编号", "账号", "工号")
_DAY = re.compile(r"^(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日?(?:\s*[(（]?\s*(?:周|星期)[一二三四五六日天][)）]?)?$")


def _day_of(head: str, month: tuple[int, int] | None) -> dt.date | None:
    """A day column: 1–31 (or 12月1日, with --month), or a date."""
    text = head.strip()
    match = _DAY.match(text)
    if match:
        if month is None:
            return None
        if match[1] and int(match[1]) != month[1]:
            raise BadInput(_("column {head}: not a day of --month {year}-{month:02d}", head=head, year=month[0],
                             month=month[1]))
        try:
            return dt.date(month[0], month[1], int(match[2]))
        except ValueError:
            raise BadInput(_("column {head}: {year}-{month:02d} has no such day", head=head, year=month[0],
                             month=month[1])) from None
    if not re.match(r"^\d{4}\D", text):
        return None
    try:
        return sheets.instant(text, dt.timezone.utc).date()
    except ValueError:
        return None


def import_roster(session, path, *, sheet, mapping, month, dry_run):
    """The duty roster of one month from its grid. A past day that already says something else
    keeps its record unless --backfill REASON is given (a past day's roster is the record of who
    worked); a grid imported again changes nothing."""
    from csops.commands import roster as roster_cmd
    from csops.duty import OFF

    session.policy.require(session.actor, "roster_edit", doing=_("change the duty roster"))
    wanted = None
    if month:
        found = re.match(r"^(\d{4})-(\d{1,2})$", month.strip())
        if not found or not 1 <= int(found[2]) <= 12:
            raise BadInput(_("--month {month!r}: write YYYY-MM, e.g. 2026-12", month=month))
        wanted = (int(found[1]), int(found[2]))
    table = sheets.read(path, sheet)
    who = next((h for h in table.headers if mapping.renames.get(h) == "person" or h.lower() in _PERSON_HEADS), None)
    if who is None:
        raise BadInput(_("{file}: no column naming the person (人员, 姓名 or 编号); the headers found: {headers}",
                         file=table.name, headers=", ".join(table.headers)))
    days = {h: _day_of(h, wanted) for h in table.headers if h != who}
    days = {h: d for h, d in days.items() if d is not None}
    if not days:
        raise BadInput(_("{file}: no day columns (1–31 with --month YYYY-MM, or dates); the headers found: {headers}",
                         file=table.name, headers=", ".join(table.headers)),
                       _("e.g. csops import roster {file} --month 2026-12", file=table.name))
    months = sorted({f"{d:%Y-%m}" for d in days.values()})
    if len(months) > 1:
        raise BadInput(_("{file}: one month per sheet, this one has days of {months}", file=table.name,
                         months=", ".join(months)))
    ignored = [h for h in table.headers if h != who and h not in days]
    shifts = (*session.policy.shifts(), OFF)
    duty = session.ctx.duty
    today = session.now.astimezone(session.tz).date()
    problems, plan, unchanged, rows_seen = [], {}, 0, {}
    for row in table.rows:
        where = f"{table.name}:{row.number}"
        try:
            name = row.cells.get(who)
            if name is None:
                raise CellError("MISSING_VALUE", _("{column} is empty", column=who))
            pid = person(name, session.roster, who)
            if pid in rows_seen:
                raise CellError("DUPLICATE_KEY", _("{column} {key} is also row {row}", column=who, key=pid,
                                                   row=rows_seen[pid]))
            rows_seen[pid] = row.number
            if not session.roster.get(pid).active:
                raise CellError("BAD_VALUE", _("{person} is not active", person=pid))
            for head, day in days.items():
                raw = row.cells.get(head)
                if raw is None:
                    continue
                table_map = mapping.values.get(head) or mapping.values.get("shift") or {}
                text = str(raw).strip()
                shift = choose(table_map.get(text, text), shifts, session, f"{head}")
                current = duty.shift(pid, day)
                if current == shift:
                    unchanged += 1
                    continue
                if day < today and current is not None and not session.backfill:
                    raise CellError("ROSTER_PAST", _("{day} is in the past and the roster says {current} for "
                                                     "{person}: to correct it, say why with --backfill REASON",
                                                     day=day, current=current, person=pid))
                plan.setdefault(day, {})[pid] = shift
        except CellError as exc:
            problems.append(f"{where}: {exc.code} {exc.message}")
    changed = [f"{day} {pid} {shift}" for day, people in sorted(plan.items()) for pid, shift in people.items()]
    written = False
    if not problems and plan and not dry_run:
        days_sorted = sorted(plan)

        def change_for(day):
            def change(entry):
                if not isinstance(entry.get("shifts"), dict):
                    entry["shifts"] = yamlio.rt_load("{}")
                for pid, shift in plan[day].items():
                    entry["shifts"][pid] = shift
                    if shift == OFF and entry.get("duty_lead") == pid:
                        del entry["duty_lead"]
            return change

        def edit(text):
            for day in days_sorted:
                text = roster_cmd.editor([day], change_for(day))(text)
            return text

        path_of = roster_cmd.month_path(session, days_sorted[0])
        message = f"import roster: {table.name}, {months[0]}, {len(changed)} person-days\n\nCsops-Import: {table.name}"
        if session.backfill:
            message += f"\nBackfill: {session.backfill}"
        from csops.actions import edit_files

        edit_files(session, {path_of: edit}, message, session.actor.author)
        written = True
    return Outcome("roster", table.name, len(table.rows), changed, unchanged, problems, ignored, written)
