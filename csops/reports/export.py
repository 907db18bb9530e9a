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

from csops.errors import BadInput
from csops.i18n import _
from csops.money import stored_amount
from csops.render import mask_contact, mask_text
from csops.workflows.returns import received, supplier_of

SCHEMA = """
PRAGMA foreign_keys = ON;
CREATE TABLE people (
  id TEXT PRIMARY KEY, name TEXT, role TEXT, reports_to TEXT REFERENCES people(id), email TEXT,
  active INTEGER);
CREATE TABLE catalog (code TEXT PRIMARY KEY, label TEXT, points NUMERIC, fine_min NUMERIC, fine_max NUMERIC);
CREATE TABLE tickets (
  id TEXT PRIMARY KEY, status TEXT, created TEXT, created_by TEXT REFERENCES people(id), kind TEXT,
  channel TEXT, level TEXT, customer TEXT, contact TEXT, "order" TEXT, summary TEXT, closure TEXT,
  duplicate_of TEXT, due TEXT, callback_due TEXT, overdue INTEGER);
CREATE TABLE callbacks (
  ticket_id TEXT NOT NULL REFERENCES tickets(id), seq INTEGER, at TEXT, by TEXT REFERENCES people(id),
  outcome TEXT, satisfaction INTEGER, note TEXT, PRIMARY KEY (ticket_id, seq));
CREATE TABLE returns (
  id TEXT PRIMARY KEY, status TEXT, created TEXT, created_by TEXT REFERENCES people(id), kind TEXT,
  "order" TEXT, customer TEXT, reason TEXT, resolution TEXT, refund_amount TEXT, refund_cents INTEGER,
  refund_at TEXT, tracking TEXT, sent_back_at TEXT, sent_back_tracking TEXT, freight_cents INTEGER,
  due TEXT, waiting_for TEXT, overdue INTEGER);
CREATE TABLE return_items (
  return_id TEXT NOT NULL REFERENCES returns(id), sku TEXT, qty INTEGER, received INTEGER, good INTEGER,
  defective INTEGER, result TEXT, supplier TEXT, PRIMARY KEY (return_id, sku));
CREATE TABLE vendor_notes (
  return_id TEXT NOT NULL REFERENCES returns(id), note TEXT, supplier TEXT, at TEXT,
  by TEXT REFERENCES people(id), sku TEXT, qty INTEGER);
CREATE TABLE leaves (
  id TEXT PRIMARY KEY, status TEXT, created TEXT, created_by TEXT REFERENCES people(id),
  person TEXT REFERENCES people(id), kind TEXT, start TEXT, "end" TEXT, reason TEXT, certificate TEXT,
  days REAL, absence_days REAL, notice_ok INTEGER);
CREATE TABLE approvals (
  leave_id TEXT NOT NULL REFERENCES leaves(id), seq INTEGER, by TEXT REFERENCES people(id), at TEXT,
  PRIMARY KEY (leave_id, seq));
CREATE TABLE scores (
  id TEXT PRIMARY KEY, status TEXT, created TEXT, created_by TEXT REFERENCES people(id),
  person TEXT REFERENCES people(id), code TEXT REFERENCES catalog(code), date TEXT, fine_amount TEXT,
  fine_cents INTEGER, minutes INTEGER, days REAL, ref TEXT, derived INTEGER);
CREATE TABLE swaps (
  id TEXT PRIMARY KEY, status TEXT, created TEXT, created_by TEXT REFERENCES people(id),
  person TEXT REFERENCES people(id), "with" TEXT REFERENCES people(id), date TEXT, with_date TEXT, reason TEXT,
  due TEXT, overdue INTEGER);
CREATE TABLE history (
  record_id TEXT NOT NULL, record_type TEXT, seq INTEGER, at TEXT, by TEXT REFERENCES people(id),
  from_state TEXT, to_state TEXT, action TEXT, note TEXT, PRIMARY KEY (record_id, seq));
CREATE INDEX tickets_status ON tickets(status, created);
CREATE INDEX returns_status ON returns(status, created);
CREATE INDEX return_items_supplier ON return_items(supplier);
CREATE INDEX leaves_person ON leaves(person, start);
CREATE INDEX scores_person ON scores(person, date);
CREATE INDEX history_by ON history(by, at);
CREATE INDEX history_type ON history(record_type, at);
CREATE INDEX callbacks_at ON callbacks(at);
"""


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
            db.executescript(SCHEMA)
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
    for rtype, insert in (("ticket", _ticket), ("return", _return), ("leave", _leave), ("score", _score),
                          ("swap", _swap)):
        wf = session.workflow(rtype)
        for rec in ctx.records(rtype):
            data = rec.data
            extra = wf.extra(data, ctx)
            insert(db, data, extra, free, reveal, session.policy)
            for seq, entry in enumerate(data.get("history") or []):
                db.execute("INSERT INTO history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (data["id"], rtype, seq, _text(entry.get("at")), entry.get("by"),
                            entry.get("from"), entry.get("to"), entry.get("action"), free(_text(entry.get("note")))))
    db.execute("PRAGMA foreign_keys = ON")


def _ticket(db, data, extra, free, reveal, policy) -> None:
    customer = data.get("customer") if isinstance(data.get("customer"), dict) else {"name": data.get("customer")}
    contact = customer.get("contact")
    db.execute("INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (data["id"], data.get("status"), _text(data.get("created")), data.get("created_by"), data.get("kind"),
                data.get("channel"), data.get("level"), _text(customer.get("name")),
                _text(contact) if reveal else (mask_contact(contact) if contact else None), _text(data.get("order")),
                free(_text(data.get("summary"))), data.get("closure"), data.get("duplicate_of"), extra.get("due"),
                extra.get("callback_due"), int(bool(extra.get("overdue")))))
    for seq, callback in enumerate(c for c in data.get("callbacks") or [] if isinstance(c, dict)):
        db.execute("INSERT INTO callbacks VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (data["id"], seq, _text(callback.get("at")), callback.get("by"), callback.get("outcome"),
                    callback.get("satisfaction"), free(_text(callback.get("note")))))


def _return(db, data, extra, free, reveal, policy) -> None:
    refund = data.get("refund") if isinstance(data.get("refund"), dict) else {}
    back = data.get("sent_back") if isinstance(data.get("sent_back"), dict) else {}
    db.execute("INSERT INTO returns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (data["id"], data.get("status"), _text(data.get("created")), data.get("created_by"), data.get("kind"),
                _text(data.get("order")), _text(data.get("customer")), free(_text(data.get("reason"))),
                data.get("resolution"), _text(stored_amount(refund.get("amount"))) if refund else None,
                _cents(refund.get("amount")), _text(refund.get("at")), _text(data.get("tracking")),
                _text(back.get("at")), _text(back.get("tracking")), _cents(back.get("freight")),
                extra.get("due"), extra.get("waiting_for"), int(bool(extra.get("overdue")))))
    for item in (i for i in data.get("items") or [] if isinstance(i, dict)):
        db.execute("INSERT INTO return_items VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (data["id"], _text(item.get("sku")), item.get("qty"), received(item), item.get("good"),
                    item.get("defective"), item.get("result"), supplier_of(item, policy)))
    for note in (n for n in data.get("vendor_notes") or [] if isinstance(n, dict)):
        for line in (x for x in note.get("items") or [] if isinstance(x, dict)):
            db.execute("INSERT INTO vendor_notes VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (data["id"], _text(note.get("note")), _text(note.get("supplier")), _text(note.get("at")),
                        note.get("by"), _text(line.get("sku")), line.get("qty")))


def _leave(db, data, extra, free, reveal, policy) -> None:
    db.execute("INSERT INTO leaves VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (data["id"], data.get("status"), _text(data.get("created")), data.get("created_by"),
                data.get("person"), data.get("kind"), _text(data.get("start")), _text(data.get("end")),
                free(_text(data.get("reason"))), _text(data.get("certificate")), extra.get("days"),
                extra.get("absence_days"), int(bool(extra.get("notice_ok")))))
    for seq, approval in enumerate(a for a in data.get("approvals") or [] if isinstance(a, dict)):
        db.execute("INSERT INTO approvals VALUES (?, ?, ?, ?)",
                   (data["id"], seq, approval.get("by"), _text(approval.get("at"))))


def _score(db, data, extra, free, reveal, policy) -> None:
    fine = data.get("fine")
    db.execute("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (data["id"], data.get("status"), _text(data.get("created")), data.get("created_by"), data.get("person"),
                data.get("code"), _text(data.get("date")), _text(stored_amount(fine)) if fine is not None else None,
                _cents(fine), data.get("minutes"), data.get("days"), _text(data.get("ref")),
                int(bool(data.get("derived")))))


def _swap(db, data, extra, free, reveal, policy) -> None:
    db.execute("INSERT INTO swaps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (data["id"], data.get("status"), _text(data.get("created")), data.get("created_by"), data.get("person"),
                data.get("with"), _text(data.get("date")), _text(data.get("with_date")), free(_text(data.get("reason"))),
                extra.get("due"), int(bool(extra.get("overdue")))))
