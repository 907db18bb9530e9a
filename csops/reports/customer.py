"""The customer archive 客户档案 (004; docs/rules.md): every ticket and return of one customer — by the
customer key (a contact normalized) or by exact name — and the open records a new contact from
the same customer or about the same order should know of."""

from __future__ import annotations

from csops.i18n import _
from csops.render import mask_contact, mask_text
from csops.timeutil import format_instant, try_instant
from csops.workflows.customers import customer_key, identity

OPEN_END = {"ticket": ("closed", "voided"), "return": ("closed",)}


def related_open(session, rtype: str, record_id: str) -> list[tuple[str, str]]:
    """Open tickets and returns (other than `record_id`) with the same customer key or order:
    (id, "same contact" | "same order"). Only the records of that customer or order are read
    (the record index finds them by key)."""
    from csops.query import Where

    ctx = session.ctx
    _ignored, path = session.store.locate(record_id, rtype)
    mine = session.store.read(rtype, path).data
    if not isinstance(mine, dict):
        return []
    _ignored, contact, order = identity(rtype, mine)
    key = customer_key(contact)
    order = str(order).strip() if order is not None and str(order).strip() else None
    found = {}
    hints = [hint for hint in (f"k:{key}" if key else None, f"o:{order}" if order else None) if hint]
    quick = _from_database(session, hints)
    for other_type in ("ticket", "return"):
        for hint, why in ((f"k:{key}" if key else None, "same contact"), (f"o:{order}" if order else None, "same order")):
            if hint is None:
                continue
            listed = quick[other_type] if quick is not None else ctx.records(other_type, where=Where(keys=(hint,)))
            for rec in listed:
                data = rec.data
                if data.get("id") == record_id or data.get("status") in OPEN_END[other_type]:
                    continue
                _ignored, other_contact, other_order = identity(other_type, data)
                if why == "same contact" and customer_key(other_contact) == key:
                    found[data["id"]] = why
                elif why == "same order" and other_order is not None and str(other_order).strip() == order:
                    found.setdefault(data["id"], why)
    return sorted(found.items())


def _from_database(session, hints: list[str]) -> dict | None:
    """The tickets and returns some version of which had one of `hints` (a customer key, an order),
    as their files have them now: from the record index's database brought up to HEAD's commit
    (csops.cache.index.catch_up) — a write's warning needs no look at every file. None when the
    database cannot say (then the caller reads through the whole index). Edits not committed
    are not looked for: a record with them is refused any change until they are committed."""
    import sqlite3

    from csops.cache.index import catch_up
    from csops.engine import unusable
    from csops.errors import NotFound

    try:
        db, git = session.db, session.git
    except NotFound:
        return None
    if db is None or not hints:
        return None
    out = {}
    try:
        for rtype in ("ticket", "return"):
            if not catch_up(db, git, session.store, rtype):
                return None
            out[rtype] = []
            for record_id in sorted(db.ids_with(rtype, hints)):
                path = session.store.canonical_path(rtype, record_id)
                if not path.is_file():
                    return None                     # kept elsewhere than its id says: the whole index finds it
                rec = session.store.read(rtype, path)
                if unusable(rec, session.workflow(rtype), session.ctx) is None:
                    out[rtype].append(rec)
    except sqlite3.Error:
        return None
    return out


def archive(session, who: str, *, reveal: bool = False) -> dict:
    """`customer show`: the customer and their records, newest first."""
    from csops.errors import BadInput

    if not (who or "").strip():
        raise BadInput(_('name the customer: a phone number, an e-mail or their name'))
    ctx = session.ctx
    key = customer_key(who) if ("@" in who or sum(c.isdigit() for c in who) >= 7) else None
    records, name, contact = [], None, None
    hint = f"k:{key}" if key else f"n:{who.strip()}"
    for rtype in ("ticket", "return"):
        wf = session.workflow(rtype)
        for rec in ctx.records(rtype, who=hint):
            data = rec.data
            their_name, their_contact, order = identity(rtype, data)
            if not (key and customer_key(their_contact) == key) and not (key is None and their_name == who.strip()):
                continue
            name, contact = name or their_name, contact or their_contact
            extra = wf.extra(data, ctx)
            reached = [c for c in data.get("callbacks") or [] if isinstance(c, dict) and c.get("outcome") == "reached"]
            owed = wf.duties(data, ctx)
            records.append({
                "id": data.get("id"), "type": rtype, "status": data.get("status"), "created": data.get("created"),
                "kind": data.get("kind"), "order": order,
                "summary": (data.get("summary") if reveal else mask_text(data.get("summary"))) if rtype == "ticket" else ", ".join(
                    f"{i.get('sku')}×{i.get('qty')}" for i in data.get("items") or [] if isinstance(i, dict)),
                "satisfaction": [c.get("satisfaction") for c in reached],
                # by when what it owes is due: a 回访's deadline beside 回访, not the resolution's
                "owed": [d.what for d in owed],
                "due": format_instant(min(d.due for d in owed), session.tz) if owed else None,
                "overdue": bool(extra.get("overdue")),
                "links": data.get("links") or [],
            })
    records.sort(key=lambda r: str(try_instant(r["created"], session.tz) or ""), reverse=True)
    card = _card(session, key or customer_key(contact))
    if card is not None:
        name, contact = name or card.get("name"), contact or card.get("key")
    shown = contact if reveal else (mask_contact(contact) if contact else None)
    found = {"name": name, "contact": shown}
    if card is not None:          # 客户分级: the card's tier, owner and revisits
        extra = session.workflow("customer").extra(card, ctx)
        found.update({"tier": card.get("tier"), "owner": card.get("owner"), "last_revisit": extra["last_revisit"],
                      "next_revisit": extra["next_revisit"]})
    return {"customer": found, "records": records}


def _card(session, key: str | None) -> dict | None:
    if not key:
        return None
    from csops.commands.customer import card_of

    return card_of(session, key)
