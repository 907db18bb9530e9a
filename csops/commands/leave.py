"""Leave commands 请假: request, approve level by level, certify."""

from __future__ import annotations

from csops import actions
from csops.errors import BadInput
from csops.i18n import _
from csops.timeutil import format_instant, parse_input, parse_instant


def new(session, *, person, kind, start, end, reason=None, certificate=None, note=None) -> str:
    if not start or not end:
        raise BadInput(_('a leave needs --start and --end'), _('e.g. --start 2026-11-25T09:00 --end 2026-11-25T18:00'))
    session.roster.require(person)
    begin = parse_input(start, session.tz, what="--start")
    finish = parse_input(end, session.tz, what="--end", end_of_day=True)
    if finish <= begin:
        raise BadInput(_("--end {end} is not after --start {start}",
                         end=end, start=start), _('give the range in order'))
    _refuse_long(begin, finish)
    fields = {"person": person, "kind": kind, "start": format_instant(begin, session.tz),
              "end": format_instant(finish, session.tz)}
    if reason:
        fields["reason"] = reason
    if certificate:
        fields["certificate"] = certificate
    return actions.create(session, "leave", fields, note=note)


def reschedule(session, ref, *, start=None, end=None, reason: str) -> str:
    """`leave amend ID --end …`: the requester changes the dates; shortened inside the approved
    span it stays approved, otherwise it goes back to requested and up the chain again."""
    if not (reason or "").strip():
        raise BadInput(_('--reason is required: say why the dates change'))
    if start is None and end is None:
        raise BadInput(_('give the new --start and/or --end'))
    path, current = actions.current_record(session, "leave", ref)
    begin = parse_input(start, session.tz, what="--start") if start is not None else \
        parse_instant(current.get("start"), session.tz)
    finish = (parse_input(end, session.tz, what="--end", end_of_day=True) if end is not None
              else parse_instant(current.get("end"), session.tz))
    if finish <= begin:
        raise BadInput(_("the leave would end ({finish}) before it starts ({begin})",
                         finish=format_instant(finish, session.tz), begin=format_instant(begin, session.tz)))
    _refuse_long(begin, finish)
    params = {"start": format_instant(begin, session.tz), "end": format_instant(finish, session.tz)}
    return actions.transition(session, "leave", ref, "reschedule", params=params, note=reason.strip())


def _refuse_long(begin, finish) -> None:
    from csops.workflows.leave import MAX_SPAN

    if finish - begin > MAX_SPAN:
        raise BadInput(_("a leave lasts at most {days} days",
                         days=MAX_SPAN.days), _('split a longer absence into several requests'))


def approve(session, ref, *, note=None) -> str:
    return actions.transition(session, "leave", ref, "approve", note=note)


def certify(session, ref, *, certificate: str, note=None) -> str:
    if not certificate or not certificate.strip():
        raise BadInput(_('--certificate must name the medical certificate (a path or a reference)'))
    return actions.transition(session, "leave", ref, "certify", params={"certificate": certificate.strip()},
                              note=note)
