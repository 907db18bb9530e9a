"""Swap commands 调班: ask a colleague to exchange shifts; they accept; the chain approves."""

from __future__ import annotations

from csops import actions
from csops.errors import BadInput, Refused
from csops.i18n import _
from csops.timeutil import parse_input_date


def new(session, *, colleague: str, date: str, with_date: str | None = None, reason: str, note=None) -> str:
    if not (reason or "").strip():
        raise BadInput(_('--reason is required: say why the shifts change'))
    session.roster.require(colleague)
    other = session.roster.get(colleague)
    if not other.active:
        raise BadInput(_("--with {colleague}: {colleague} is not active", colleague=colleague))
    if not session.policy.role_matches(other.role, session.policy.permission("swap", "accept")):
        raise BadInput(_("--with {colleague}: a {role} cannot take part in a swap (permissions.swap.accept: {names})",
                         colleague=colleague, role=other.role,
                         names=', '.join(map(str, session.policy.permission('swap', 'accept')))))
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
