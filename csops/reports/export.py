"""`csops export sqlite FILE`: every record as SQL tables for analysts (sqlite3, or Datasette).

One table per record type with the computed fields (due, overdue, days …), and one per list
inside a record — history entries, callbacks, return items, vendor-note lines, leave approvals —
with foreign keys to their record and to the people who acted, and indexes on what analysts
filter by. Customers' contacts (and phone numbers or e-mail addresses inside free text) are
masked unless revealed. Amounts are exact: the decimal text and whole cents.
"""

from __future__ import annotations

import os
import sqlite3
from decimal import Decimal
from pathlib import Path

from csops import tables
from csops.errors import BadInput
from csops.i18n import _
from csops.money import stored_amount
from csops.render import mask_contact, mask_text
from csops.workflows.customers import customer_key
from csops.workflows.returns import received, supplier_of

# Computed per record for the moment of the export (the record index cannot keep these: they
# depend on the clock, the policy and the roster); each type's table is its columns in
# csops.tables, then these.
COMPUTED = {
    "ticket": [("cs_owner", "TEXT REFERENCES people(id)"), ("due", "TEXT"), ("callback_due", "TEXT"),
               ("overdue", "INTEGER"), ("customer_id", "INTEGER REFERENCES customers(id)")],
    "return": [("refund_amount", "TEXT"), ("refund_cents", "INTEGER"), ("refund_at", "TEXT"), ("sent_back_at", "TEXT"),
               ("sent_back_tracking", "TEXT"), ("freight_cents", "INTEGER"), ("due", "TEXT"), ("waiting_for", "TEXT"),
               ("overdue", "INTEGER"), ("customer_id", "INTEGER REFERENCES customers(id)")],
    "leave": [("days", "REAL"), ("absence_days", "REAL"), ("notice_ok", "INTEGER")],
    "score": [("fine_amount", "TEXT"), ("fine_cents", "INTEGER"), ("days", "REAL")],
    "swap": [("due", "TEXT"), ("overdue", "INTEGER")],
    "customer": [("last_revisit", "TEXT"), ("next_revisit", "TEXT"), ("overdue", "INTEGER")],
}


def schema() -> str:
    out = ["PRAGMA foreign_keys = ON;",
           "CREATE TABLE people (id TEXT PRIMARY KEY, name TEXT, role TEXT, reports_to TEXT REFERENCES people(id), "
           "email TEXT, active INTEGER);",
           "CREATE TABLE catalog (code TEXT PRIMARY KEY, label TEXT, points NUMERIC, fine_min NUMERIC, "
           "fine_max NUMERIC);",
           "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, contact TEXT, tickets INTEGER, "
           "returns INTEGER, last_seen TEXT);",
           "CREATE TABLE records (id TEXT PRIMARY KEY, record_type TEXT);"]
    for rtype, (table, columns) in tables.TABLES.items():
        decls = [f"{c.name} {c.decl}" for c in columns] + [f"{name} {decl}" for name, decl in COMPUTED[rtype]]
        out.append(f"CREATE TABLE {table} ({', '.join(decls)});")
    out += [
        "CREATE TABLE callbacks (ticket_id TEXT NOT NULL REFERENCES tickets(id), seq INTEGER, at TEXT, "
        "by_person TEXT REFERENCES people(id), outcome TEXT, satisfaction INTEGER, note TEXT, PRIMARY KEY (ticket_id, seq));",
        "CREATE TABLE return_items (return_id TEXT NOT NULL REFERENCES returns(id), sku TEXT, qty INTEGER, "
        "received INTEGER, good INTEGER, defective INTEGER, result TEXT, supplier TEXT, PRIMARY KEY (return_id, sku));",
        "CREATE TABLE vendor_notes (return_id TEXT NOT NULL REFERENCES returns(id), seq INTEGER, line INTEGER, "
        "note TEXT, supplier TEXT, at TEXT, by_person TEXT REFERENCES people(id), sku TEXT, qty INTEGER, "
        "PRIMARY KEY (return_id, seq, line));",
        "CREATE TABLE approvals (leave_id TEXT NOT NULL REFERENCES leave(id), seq INTEGER, by_person TEXT "
        "REFERENCES people(id), at TEXT, PRIMARY KEY (leave_id, seq));",
        "CREATE TABLE history (record_id TEXT NOT NULL REFERENCES records(id), record_type TEXT, seq INTEGER, at TEXT, "
        "by_person TEXT REFERENCES people(id), from_state TEXT, to_state TEXT, act TEXT, department TEXT, "
        "assignee TEXT REFERENCES people(id), note TEXT, PRIMARY KEY (record_id, seq));",
        "CREATE INDEX tickets_by_status ON tickets(status, created);",
        "CREATE INDEX tickets_by_assignee ON tickets(assignee, status);",
        "CREATE INDEX returns_by_status ON returns(status, created);",
        "CREATE INDEX return_items_by_supplier ON return_items(supplier);",
        "CREATE INDEX leave_by_person ON leave(person, start_at);",
        "CREATE INDEX scores_by_person ON scores(person, day);",
        "CREATE INDEX history_by_person ON history(by_person, at);",
        "CREATE INDEX history_by_type ON history(record_type, at);",
        "CREATE INDEX callbacks_by_at ON callbacks(at);",
    ]
    return "\n".join(out)


def _cents(value) -> int | None:
    amount = stored_amount(value)
    return int(amount * 100) if isinstance(amount, Decimal) else None


def _text(value) -> str | None:
    return None if value is None else str(value)


def export_sqlite(session, target: Path, *, reveal: bool = False) -> dict[str, int]:
    """Write the database to `target` (replacing it only once complete); rows per table."""
    from csops.store import output_path

    named, target = target, output_path(target)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.unlink(missing_ok=True)
    try:
        with sqlite3.connect(temp) as db:
            db.executescript(schema())
            _fill(db, session, reveal)
            counts = {name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in _tables(db)}
        db.close()
        os.replace(temp, target)
    except (sqlite3.Error, OSError) as exc:
        temp.unlink(missing_ok=True)
        raise BadInput(_("{target}: cannot write the database ({exc})",
                         target=named, exc=exc), _('choose a file in a folder you can write')) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return counts


def _tables(db) -> list[str]:
    return [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]


def _fill(db, session, reveal: bool) -> None:
    ctx = session.ctx
    free = (lambda text: text) if reveal else mask_text
    db.execute("PRAGMA foreign_keys = OFF")   # rows arrive in any order; a hand edit may name someone unknown
    people = list(session.roster)
    known = {p.id for p in people}
    db.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)",
                   [(p.id, p.name, p.role, p.reports_to if p.reports_to in known else None, p.email, int(p.active))
                    for p in people])
    catalog = session.policy.catalog()
    db.executemany("INSERT INTO catalog VALUES (?, ?, ?, ?, ?)",
                   [(code, rule.get("label"), rule.get("points"), *((rule.get("fine") or [None, None])[:2]))
                    for code, rule in catalog.items() if isinstance(rule, dict)])
    customers: dict[str, list] = {}           # customer key → [id, name, contact, tickets, returns, last seen]
    for rtype in tables.TABLES:
        table, columns = tables.TABLES[rtype]
        wf = session.workflow(rtype)
        marks = ",".join("?" * (len(columns) + len(COMPUTED[rtype])))
        for rec in ctx.records(rtype):
            data = rec.data
            extra = wf.extra(data, ctx)
            row = dict(zip((c.name for c in columns), tables.row(rtype, data)))
            for name in ("summary", "reason"):
                if name in row:
                    row[name] = free(row[name])
            if "contact" in row and row["contact"] and not reveal:
                row["contact"] = mask_contact(row["contact"])
            computed = COMPUTED_VALUES[rtype](data, extra, ctx, session.policy)
            if rtype in ("ticket", "return"):
                computed["customer_id"] = _customer(customers, rtype, data, row)
            db.execute(f"INSERT INTO {table} VALUES ({marks})",
                       [*row.values(), *(computed.get(name) for name, _decl in COMPUTED[rtype])])
            db.execute("INSERT OR IGNORE INTO records VALUES (?, ?)", (data["id"], rtype))
            INNER.get(rtype, lambda *args: None)(db, data, free, session.policy)
            for seq, entry in enumerate(e for e in data.get("history") or [] if isinstance(e, dict)):
                db.execute("INSERT INTO history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (data["id"], rtype, seq, _text(entry.get("at")), entry.get("by"), entry.get("from"),
                            entry.get("to"), entry.get("action"), _text(entry.get("department")),
                            _text(entry.get("assignee")), free(_text(entry.get("note")))))
    db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)", [tuple(c) for c in customers.values()])
    db.execute("PRAGMA foreign_keys = ON")


def _customer(customers: dict, rtype: str, data: dict, row: dict) -> int | None:
    """The customers row of a ticket or return (one per customer key, else per name)."""
    contact = tables.contact_of(rtype, data)
    key = customer_key(contact)
    name = row.get("customer")
    ident = f"k:{key}" if key else (f"n:{name}" if name else None)
    if ident is None:
        return None
    found = customers.get(ident)
    if found is None:
        found = customers[ident] = [len(customers) + 1, name, row.get("contact"), 0, 0, None]
    found[1] = found[1] or name
    found[3 if rtype == "ticket" else 4] += 1
    created = _text(data.get("created"))
    found[5] = max(filter(None, (found[5], created)), default=None)
    return found[0]


def _ticket_extra(data, extra, ctx, policy) -> dict:
    from csops.workflows.ticket import cs_owner

    return {"cs_owner": cs_owner(data, ctx), "due": extra.get("due"), "callback_due": extra.get("callback_due"),
            "overdue": int(bool(extra.get("overdue")))}


def _return_extra(data, extra, ctx, policy) -> dict:
    refund = data.get("refund") if isinstance(data.get("refund"), dict) else {}
    back = data.get("sent_back") if isinstance(data.get("sent_back"), dict) else {}
    return {"refund_amount": _text(stored_amount(refund.get("amount"))) if refund else None,
            "refund_cents": _cents(refund.get("amount")), "refund_at": _text(refund.get("at")),
            "sent_back_at": _text(back.get("at")), "sent_back_tracking": _text(back.get("tracking")),
            "freight_cents": _cents(back.get("freight")), "due": extra.get("due"),
            "waiting_for": extra.get("waiting_for"), "overdue": int(bool(extra.get("overdue")))}


def _leave_extra(data, extra, ctx, policy) -> dict:
    return {"days": extra.get("days"), "absence_days": extra.get("absence_days"),
            "notice_ok": int(bool(extra.get("notice_ok")))}


def _score_extra(data, extra, ctx, policy) -> dict:
    fine = data.get("fine")
    return {"fine_amount": _text(stored_amount(fine)) if fine is not None else None, "fine_cents": _cents(fine),
            "days": data.get("days")}


def _swap_extra(data, extra, ctx, policy) -> dict:
    return {"due": extra.get("due"), "overdue": int(bool(extra.get("overdue")))}


def _card_extra(data, extra, ctx, policy) -> dict:
    return {"last_revisit": extra.get("last_revisit"), "next_revisit": extra.get("next_revisit"),
            "overdue": int(bool(extra.get("overdue")))}


COMPUTED_VALUES = {"ticket": _ticket_extra, "return": _return_extra, "leave": _leave_extra, "score": _score_extra,
                   "swap": _swap_extra, "customer": _card_extra}


def _ticket_lists(db, data, free, policy) -> None:
    for seq, callback in enumerate(c for c in data.get("callbacks") or [] if isinstance(c, dict)):
        db.execute("INSERT INTO callbacks VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (data["id"], seq, _text(callback.get("at")), callback.get("by"), callback.get("outcome"),
                    callback.get("satisfaction"), free(_text(callback.get("note")))))


def _return_lists(db, data, free, policy) -> None:
    for item in (i for i in data.get("items") or [] if isinstance(i, dict)):
        db.execute("INSERT OR IGNORE INTO return_items VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (data["id"], _text(item.get("sku")), item.get("qty"), received(item), item.get("good"),
                    item.get("defective"), item.get("result"), supplier_of(item, policy)))
    for seq, note in enumerate(n for n in data.get("vendor_notes") or [] if isinstance(n, dict)):
        for line, item in enumerate(x for x in note.get("items") or [] if isinstance(x, dict)):
            db.execute("INSERT INTO vendor_notes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (data["id"], seq, line, _text(note.get("note")), _text(note.get("supplier")),
                        _text(note.get("at")), note.get("by"), _text(item.get("sku")), item.get("qty")))


def _leave_lists(db, data, free, policy) -> None:
    for seq, approval in enumerate(a for a in data.get("approvals") or [] if isinstance(a, dict)):
        db.execute("INSERT INTO approvals VALUES (?, ?, ?, ?)",
                   (data["id"], seq, approval.get("by"), _text(approval.get("at"))))


INNER = {"ticket": _ticket_lists, "return": _return_lists, "leave": _leave_lists}
