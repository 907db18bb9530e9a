"""Swap commands 调班: ask a colleague to exchange shifts; they accept; the chain approves."""

from __future__ import annotations

from csops import actions
from csops.errors import BadInput, Refused
from csops.timeutil import parse_input_date


def new(session, *, colleague: str, date: str, with_date: str | None = None, reason: str, note=None) -> str:
    if not (reason or "").strip():
        raise BadInput("--reason is required: say why the shifts change")
    session.roster.require(colleague)
    other = session.roster.get(colleague)
    if not other.active:
        raise BadInput(f"--with {colleague}: {colleague} is not active")
    if not session.policy.role_matches(other.role, session.policy.permission("swap", "accept")):
        raise BadInput(f"--with {colleague}: a {other.role} cannot take part in a swap "
                       f"(permissions.swap.accept: {', '.join(map(str, session.policy.permission('swap', 'accept')))})")
    day = parse_input_date(date, what="--date")
    fields = {"person": session.actor.id, "with": colleague, "date": day.isoformat()}
    if with_date:
        fields["with_date"] = parse_input_date(with_date, what="--with-date").isoformat()
    from csops.workflows.swap import unscheduled

    problem = unscheduled(fields, session.ctx)
    if problem:
        raise Refused(f"SWAP_REFUSED {problem}", "a swap exchanges shifts: csops roster show --date " + day.isoformat())
    fields["reason"] = reason.strip()
    return actions.create(session, "swap", fields, note=note)
