"""Swap commands 调班: ask a colleague to exchange shifts; they accept; the chain approves."""

from __future__ import annotations

from csops import actions
from csops.errors import BadInput
from csops.timeutil import parse_input_date


def new(session, *, colleague: str, date: str, with_date: str | None = None, reason: str, note=None) -> str:
    if not (reason or "").strip():
        raise BadInput("--reason is required: say why the shifts change")
    session.roster.require(colleague)
    fields = {"person": session.actor.id, "with": colleague,
              "date": parse_input_date(date, what="--date").isoformat()}
    if with_date:
        fields["with_date"] = parse_input_date(with_date, what="--with-date").isoformat()
    fields["reason"] = reason.strip()
    return actions.create(session, "swap", fields, note=note)
