"""Leave commands 请假: request, approve level by level, certify."""

from __future__ import annotations

from csops import actions
from csops.errors import BadInput
from csops.timeutil import format_instant, parse_instant


def new(session, *, person, kind, start, end, reason=None, certificate=None, note=None) -> str:
    if not start or not end:
        raise BadInput("a leave needs --start and --end", "e.g. --start 2026-11-25T09:00 --end 2026-11-25T18:00")
    session.roster.require(person)
    begin = parse_instant(start, session.tz, what="--start")
    finish = parse_instant(end, session.tz, what="--end", end_of_day=True)
    if finish <= begin:
        raise BadInput(f"--end {end} is not after --start {start}", "give the range in order")
    fields = {"person": person, "kind": kind, "start": format_instant(begin, session.tz),
              "end": format_instant(finish, session.tz)}
    if reason:
        fields["reason"] = reason
    if certificate:
        fields["certificate"] = certificate
    return actions.create(session, "leave", fields, note=note)


def approve(session, ref, *, note=None) -> str:
    return actions.transition(session, "leave", ref, "approve", note=note)


def certify(session, ref, *, certificate: str, note=None) -> str:
    if not certificate or not certificate.strip():
        raise BadInput("--certificate must name the medical certificate (a path or a reference)")
    return actions.transition(session, "leave", ref, "certify", params={"certificate": certificate.strip()},
                              note=note)
