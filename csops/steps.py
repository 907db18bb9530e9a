"""What the reports that count people's steps read of a ticket or a return (Context.steps): a few
plain values the record index keeps per row, instead of the whole record."""

from __future__ import annotations

from typing import NamedTuple

from csops.timeutil import try_instant


class Steps(NamedTuple):
    """What the reports that count people's steps read of a ticket or a return (steps): a few
    plain values instead of the whole record. Each time is a UTC timestamp (None: unreadable)."""
    id: object
    kind: object
    status: object
    steps: tuple            # (at, to, from, by) of each history entry, in order
    callbacks: tuple        # (at, by, outcome, satisfaction) of each callback, in order


_PLAIN = (str, int, float, bool, type(None))


def steps(data: dict, tz=None) -> Steps | None:
    """A record's Steps. `tz`: the zone of a time written without its offset. Without it — the
    record index keeps these by content alone, knowing no policy — a time without an offset, or a
    value that is not plain text or a number, gives None (the reader works them out itself)."""
    out = []
    for name, fields in (("history", ("to", "from", "by")), ("callbacks", ("by", "outcome", "satisfaction"))):
        rows = []
        listed = data.get(name)
        for item in listed if isinstance(listed, list) else ():
            if not isinstance(item, dict):
                continue
            at = try_instant(item.get("at"), tz)
            if at is not None and at.tzinfo is None:
                return None                     # read in the policy's zone: not known here
            values = tuple(item.get(field) for field in fields)
            if tz is None and not all(value.__class__ in _PLAIN for value in values):
                return None                     # kept as marshal keeps them: plain values only
            rows.append((None if at is None else at.timestamp(), *values))
        out.append(tuple(rows))
    head = (data.get("id"), data.get("kind"), data.get("status"))
    if tz is None and not all(value.__class__ in _PLAIN for value in head):
        return None
    return Steps(*head, *out)
