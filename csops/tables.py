"""The record tables: one declaration of each record type's SQL table, read by the record index
(csops.cache.db, which fills them from the files) and by `csops export sqlite` (which adds the
columns computed for a moment — due, overdue, CS owner — and masks contacts). An analyst's SQL
runs on both. docs/schema.md describes every column.

A column is (name, SQL declaration, value of a record's data). No column is named by an SQL
keyword (`order`, `end`, `with`, `by` …): `select order_no from tickets` needs no quoting.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from csops.render import hide_contacts, mask_text
from csops.workflows.customers import customer_key


class Column(NamedTuple):
    name: str
    decl: str                       # the type, and for export its key or reference
    value: Callable[[dict], object]


def _text(value):
    return None if value is None else str(value)


def _field(name: str):
    return lambda data: _text(data.get(name))


def _customer(data: dict) -> dict:
    customer = data.get("customer")
    return customer if isinstance(customer, dict) else {"name": customer}


def _contact(rtype: str, data: dict):
    if rtype == "customer":
        return data.get("key")                  # a card: the customer key, in full only in the file
    return _customer(data).get("contact") if rtype == "ticket" else data.get("contact")


COMMON = [
    Column("id", "TEXT PRIMARY KEY", _field("id")),
    Column("status", "TEXT", _field("status")),
    Column("created", "TEXT", _field("created")),
    Column("created_by", "TEXT REFERENCES people(id)", _field("created_by")),
]

# type → (table name: its folder's, the columns read from the file alone)
TABLES: dict[str, tuple[str, list[Column]]] = {
    "ticket": ("tickets", COMMON + [
        Column("kind", "TEXT", _field("kind")),
        Column("channel", "TEXT", _field("channel")),
        Column("level", "TEXT", _field("level")),
        Column("department", "TEXT", _field("department")),
        Column("assignee", "TEXT REFERENCES people(id)", _field("assignee")),
        Column("customer", "TEXT", lambda data: _text(_customer(data).get("name"))),
        Column("contact", "TEXT", lambda data: _text(_contact("ticket", data))),
        Column("order_no", "TEXT", _field("order")),
        Column("summary", "TEXT", _field("summary")),
        Column("closure", "TEXT", _field("closure")),
        Column("duplicate_of", "TEXT REFERENCES tickets(id)", _field("duplicate_of")),
    ]),
    "return": ("returns", COMMON + [
        Column("kind", "TEXT", _field("kind")),
        Column("order_no", "TEXT", _field("order")),
        Column("customer", "TEXT", _field("customer")),
        Column("contact", "TEXT", lambda data: _text(data.get("contact"))),
        Column("reason", "TEXT", _field("reason")),
        Column("resolution", "TEXT", _field("resolution")),
        Column("tracking", "TEXT", _field("tracking")),
    ]),
    "leave": ("leave", COMMON + [
        Column("person", "TEXT REFERENCES people(id)", _field("person")),
        Column("kind", "TEXT", _field("kind")),
        Column("start_at", "TEXT", _field("start")),
        Column("end_at", "TEXT", _field("end")),
        Column("reason", "TEXT", _field("reason")),
        Column("certificate", "TEXT", _field("certificate")),
    ]),
    "score": ("scores", COMMON + [
        Column("person", "TEXT REFERENCES people(id)", _field("person")),
        Column("code", "TEXT REFERENCES catalog(code)", _field("code")),
        Column("day", "TEXT", _field("date")),
        Column("minutes", "INTEGER", lambda data: data.get("minutes") if isinstance(data.get("minutes"), int) else None),
        Column("ref", "TEXT REFERENCES records(id)", _field("ref")),
        Column("derived", "INTEGER", lambda data: int(bool(data.get("derived")))),
    ]),
    "customer": ("customer_cards", COMMON + [
        Column("contact", "TEXT", lambda data: _text(data.get("key"))),
        Column("name", "TEXT", _field("name")),
        Column("tier", "TEXT", _field("tier")),
        Column("owner", "TEXT REFERENCES people(id)", _field("owner")),
    ]),
    "swap": ("swaps", COMMON + [
        Column("person", "TEXT REFERENCES people(id)", _field("person")),
        Column("with_person", "TEXT REFERENCES people(id)", _field("with")),
        Column("day", "TEXT", _field("date")),
        Column("with_day", "TEXT", _field("with_date")),
        Column("reason", "TEXT", _field("reason")),
    ]),
}


_BY_NAME = {rtype: {column.name: column for column in columns} for rtype, (_table, columns) in TABLES.items()}


def value(rtype: str, data: dict, column: str):
    """One column's value of a record (a filter tests one, not the whole row)."""
    return _BY_NAME[rtype][column].value(data)


def row(rtype: str, data: dict) -> tuple:
    """The values of a record's columns, in their order."""
    return tuple(column.value(data) for column in TABLES[rtype][1])


def contact_of(rtype: str, data: dict):
    return _contact(rtype, data)


def keys(rtype: str, data: dict) -> set[str]:
    """What finds a record besides its columns: "k:" its customer key (a contact normalized),
    "n:" its customer's name, "o:" its order number."""
    out = set()
    if rtype in ("ticket", "return", "customer"):
        key = customer_key(_contact(rtype, data))
        name = {"ticket": _customer(data).get("name"), "customer": data.get("name")}.get(rtype, data.get("customer"))
        if key:
            out.add(f"k:{key}")
        if isinstance(name, str) and name.strip():
            out.add(f"n:{name.strip()}")
        if data.get("order") is not None and str(data.get("order")).strip():
            out.add(f"o:{str(data.get('order')).strip()}")
    return out


def text(rtype: str, data: dict) -> str:
    """Everything `csops search` shows of a record, one line per piece: summaries, notes, reasons,
    customer names, order numbers, items, history notes — with any phone number or e-mail address
    in them masked (138****5678)."""
    return mask_text(_pieces(rtype, data))


def searched(rtype: str, data: dict) -> str:
    """What `csops search` and `--text` match: text() with each phone number or e-mail address in
    it left out whole (***) — a contact is found by its whole value only (keys), never by a
    fragment, not even the ends its mask shows."""
    return hide_contacts(_pieces(rtype, data))


def _pieces(rtype: str, data: dict) -> str:
    parts: list = [data.get("id"), data.get("summary"), data.get("reason"), data.get("order"), data.get("note"),
                   data.get("certificate"), data.get("tracking")]
    parts.append(_customer(data).get("name") if rtype == "ticket" else data.get("customer"))
    for item in data.get("items") or []:
        if isinstance(item, dict):
            parts += [item.get("sku"), item.get("supplier")]
    for listed in ("history", "callbacks", "vendor_notes", "escalations"):
        for entry in data.get(listed) or []:
            if isinstance(entry, dict):
                parts += [entry.get("note"), entry.get("reason")]
    return "\n".join(str(p) for p in parts if p is not None and not isinstance(p, (dict, list)) and str(p).strip())
