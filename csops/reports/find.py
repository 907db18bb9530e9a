"""Finding things 查找 (docs/rules.md): the filters every `list` takes, and `csops search`.

A filter is tested on each record's content (`matches`) — the truth, the same with or without the
record index — and handed to the index as a hint (`where`), which lets a listing read only the
records that may fit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from csops import tables
from csops.errors import BadInput
from csops.i18n import _
from csops.query import Where, holds_words
from csops.render import mask_text
from csops.timeutil import try_instant
from csops.vocab import PEOPLE_FILTERS
from csops.workflows.customers import customer_key

# the columns a filter names in the record tables (csops.tables)
COLUMN = {"assignee": "assignee", "person": "person", "by": "created_by", "kind": "kind", "channel": "channel",
          "level": "level", "dept": "department", "code": "code"}


@dataclass(frozen=True)
class Filters:
    status: tuple = ()
    assignee: str | None = None
    person: str | None = None
    by: str | None = None
    kind: str | None = None
    channel: str | None = None
    level: str | None = None
    dept: str | None = None
    code: str | None = None
    customer: str | None = None
    contact: str | None = None
    order: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    overdue: bool = False
    text: tuple = ()

    def where(self) -> Where:
        """The hint for the record index."""
        columns = tuple((COLUMN[name], (getattr(self, name),)) for name in COLUMN if getattr(self, name))
        keys = []
        if self.contact:
            keys.append(f"k:{customer_key(self.contact)}")
        if self.customer:
            keys.append(f"n:{self.customer.strip()}")
        if self.order:
            keys.append(f"o:{self.order.strip()}")
        created = None
        if self.since or self.until:              # a day of slack each side: any UTC offset
            low = (self.since - dt.timedelta(days=1)).isoformat() if self.since else "0000"
            high = (self.until + dt.timedelta(days=2)).isoformat() if self.until else "9999"
            created = (low, high)
        return Where(status=self.status, columns=columns, keys=tuple(keys), words=self.text, created=created,
                     owing=self.overdue)


def check(session, rtype: str, filters: Filters) -> Filters:
    """The filters, each value checked: an unknown state, person, kind, channel, level or code is
    refused naming the choices (exit 2)."""
    wf = session.workflow(rtype)
    for status in filters.status:
        if status not in wf.states:
            raise BadInput(_("--status {status}: a {rtype} is one of {names}",
                             status=status, rtype=rtype, names=", ".join(wf.states)))
    for name in PEOPLE_FILTERS:
        person = getattr(filters, name)
        if person is not None and person not in session.roster:
            raise BadInput(_("--{option} {person}: nobody on the roster has that id; people: {names}",
                             option=name, person=person, names=", ".join(sorted(p.id for p in session.roster))),
                           _("csops person list shows the roster"))
    for name, choices in _choices(session, rtype).items():
        value = getattr(filters, name)
        if value is not None and value not in choices:
            raise BadInput(_("--{option} {value}: a {rtype}'s {option} is one of {names}",
                             option=name, value=value, rtype=rtype, names=", ".join(choices)))
    if filters.contact is not None and customer_key(filters.contact) is None:
        raise BadInput(_("--contact {contact}: give the whole phone number or e-mail address",
                         contact=mask_text(filters.contact)))
    if filters.since and filters.until and filters.since > filters.until:
        raise BadInput(_("--since {since} is after --until {until}", since=filters.since, until=filters.until))
    return filters


def _choices(session, rtype: str) -> dict[str, list[str]]:
    from csops import vocab

    from csops.workflows.ticket import known_names

    out = {"kind": {"return": vocab.RETURN_KINDS, "leave": vocab.LEAVE_KINDS}.get(rtype)}
    if rtype == "ticket":
        out["kind"] = known_names(session.ctx, "kinds")
        out["channel"] = known_names(session.ctx, "channels")
        out["level"] = session.policy.section("tickets").get("levels") or []
    if rtype == "score":
        out["code"] = sorted(session.policy.catalog())
    return {name: list(values) for name, values in out.items() if values is not None}


def matches(rtype: str, data: dict, extra: dict | None, filters: Filters, tz) -> bool:
    """Whether a record (its file's content and computed fields) passes every filter; `extra`
    None: every one but --overdue (the computed fields cost most: worked out for those left)."""
    f = filters
    if f.status and data.get("status") not in f.status:
        return False
    for name, column in COLUMN.items():
        wanted = getattr(f, name)
        if wanted is not None and tables.value(rtype, data, column) != wanted:
            return False
    if f.customer is not None:
        name = tables.value(rtype, data, "customer")
        if not isinstance(name, str) or name.strip() != f.customer.strip():
            return False
    if f.contact is not None and customer_key(tables.contact_of(rtype, data)) != customer_key(f.contact):
        return False
    if f.order is not None and (data.get("order") is None or str(data.get("order")).strip() != f.order.strip()):
        return False
    if f.since or f.until:
        created = try_instant(data.get("created"), tz)
        day = created.astimezone(tz).date() if created else None
        if day is None or (f.since and day < f.since) or (f.until and day > f.until):
            return False
    if f.overdue and extra is not None and not extra.get("overdue"):
        return False
    return not f.text or holds_words(tables.searched(rtype, data), f.text)


# -- search ------------------------------------------------------------------------------------

SEARCH_COLUMNS = ["id", "type", "status", "when", "snippet"]


def search(session, words: list[str], rtype: str | None = None, limit: int = 50) -> list[dict]:
    """Every record holding all of `words` in its text (csops.tables.searched) — an e-mail
    address finds the records of that customer instead, a phone number those records and the ones
    holding its digits in their text (an order number) — newest first, each with the match in
    context."""
    words = [w.strip() for w in words if w.strip()]
    if not words:
        raise BadInput(_("csops search needs the words to look for"), _("e.g. csops search 内胆"))
    if session.ctx.source is not None:
        from csops.cache.db import full_text_problem

        problem = full_text_problem()
        if problem:
            raise BadInput(problem)
    # a word of digits alone may be a phone number or part of an order number (TB20261101-0093):
    # records of that customer and records holding it in their text are both found
    contacts = tuple(w for w in words if _is_contact(w))
    found: dict = {}
    for taken in {contacts, tuple(w for w in contacts if "@" in w)}:        # digits also as text
        for row in _search(session, taken, tuple(w for w in words if w not in taken), rtype, limit):
            found.setdefault((row["type"], row["id"]), row)
    rows = sorted(found.values(), key=lambda r: (-r["_at"], str(r["id"])))
    for row in rows:
        del row["_at"]
    return rows[:limit] if limit else rows


def _search(session, contacts: tuple, texts: tuple, rtype: str | None, limit: int) -> list[dict]:
    """search's rows with `contacts` taken as whole contacts and `texts` as words of the text."""
    from csops.vocab import TYPES

    keys = tuple(f"k:{customer_key(w)}" for w in contacts)
    rows = []
    for kind in [rtype] if rtype else list(TYPES):
        if contacts and kind not in ("ticket", "return"):
            continue
        where = Where(keys=keys, words=texts)
        source = session.ctx.source
        # a page of the newest (with room for any the test below drops); every one without the index
        found = source.newest(kind, where, limit + 20, _order(session.tz)) if source is not None and limit \
            else \
            session.ctx.records(kind, where=where)
        for rec in found:
            data = rec.data
            if contacts and not all(f"k:{customer_key(w)}" in tables.keys(kind, data) for w in contacts):
                continue
            if texts and not holds_words(tables.searched(kind, data), texts):
                continue
            body = tables.text(kind, data)
            created = try_instant(data.get("created"), session.tz)
            rows.append({"id": data.get("id"), "type": kind, "status": data.get("status"),
                         "when": created.astimezone(session.tz).strftime("%Y-%m-%d %H:%M") if created else None,
                         "snippet": _snippet(body, texts) if texts else mask_text(body.split("\n", 2)[1]
                                                                                   if "\n" in body else body),
                         "_at": created.timestamp() if created else 0})
    return rows


def _order(tz):
    """Newest first, then by id: the order of search's rows, from the columns the index keeps."""
    def key(record_id, created):
        try:
            at = dt.datetime.fromisoformat(created)          # the usual form, read in C
            if at.tzinfo is None:
                raise ValueError
        except (TypeError, ValueError):
            at = try_instant(created, tz)
        return (-(at.timestamp() if at else 0), str(record_id))
    return key


def _is_contact(word: str) -> bool:
    """An e-mail address, or a phone number: seven digits or more and nothing else but +, -,
    spaces and brackets. A word with letters in it (an order number) is text."""
    if "@" in word:
        return customer_key(word) is not None
    return sum(c.isdigit() for c in word) >= 7 and all(c.isdigit() or c in "+-() " for c in word)


def _snippet(body: str, words, width: int = 18) -> str:
    """The first line holding the first word, cut to about `width` characters on each side of
    it, the match in 【】 (the text is already masked)."""
    from csops.query import fold

    folded, word = fold(body), fold(words[0])
    at = folded.find(word)
    if at < 0:
        return body.split("\n", 1)[0][:2 * width]
    start = body.rfind("\n", 0, at) + 1
    end = body.find("\n", at)
    end = len(body) if end < 0 else end
    left, right = max(start, at - width), min(end, at + len(word) + width)
    return ("…" if left > start else "") + body[left:at] + "【" + body[at:at + len(word)] + "】" + \
        body[at + len(word):right] + ("…" if right < end else "")
