"""Swaps 调班 (000 不得私自换班、调班): the requester asks a colleague to exchange their
shifts on a date (and, with `with_date`, on a second one); the colleague accepts; a team lead or
above in the requester's chain who is neither party approves. Only an approved swap changes who
is on duty — computed on read (csops.duty), the roster file is never rewritten.
"""

from __future__ import annotations

import datetime as dt

from csops.engine import Deadline, Guard, Transition, Workflow
from csops.i18n import N_, _
from csops.schema import Date, PersonRef, Str
from csops.timeutil import format_instant
from csops.workflows.common import AMEND

OPEN = ("requested", "accepted")


def dates(rec: dict) -> list[dt.date]:
    """The dates whose shifts the two exchange."""
    out = []
    for key in ("date", "with_date"):
        try:
            day = dt.date.fromisoformat(str(rec.get(key)))
        except ValueError:
            continue
        if day not in out:
            out.append(day)
    return sorted(out)


def approvers(rec: dict, ctx) -> list:
    """Who may approve: team lead or above in the requester's chain, neither party."""
    parties = {rec.get("person"), rec.get("with")}
    return [p for p in ctx.roster.chain_above(rec.get("person")) if p.id not in parties and p.active
            and ctx.policy.at_least(p.role, "team_lead")]


def _request_guard(step) -> str | None:
    rec = step.rec
    if step.by != rec.get("person"):
        return _("{by} may not ask for a swap for {person}: each asks for their own (私自换班 is not allowed)",
                 by=step.by, person=rec.get('person'))
    if rec.get("with") == rec.get("person"):
        return _('a swap needs a colleague (--with someone else)')
    if not approvers(rec, step.ctx):
        return _("nobody could approve a swap of {person}: no team lead or above in their chain",
                 person=rec.get('person'))
    return None


def _accept_guard(step) -> str | None:
    if step.by != step.rec.get("with"):
        return _("only {with_}, the colleague asked, accepts this swap", with_=step.rec.get('with'))
    return None


def unscheduled(rec: dict, ctx) -> str | None:
    """A swap gives away a shift: the requester must work on `date` and, with `with_date`, the
    colleague on that one (their own schedule: the duty roster, else the team calendar)."""
    days = {"date": rec.get("date"), "with_date": rec.get("with_date")}
    for key, who in (("date", rec.get("person")), ("with_date", rec.get("with"))):
        try:
            day = dt.date.fromisoformat(str(days[key]))
        except ValueError:
            continue
        then = ctx.on_day(day)
        if not then.duty.without(rec.get("id")).scheduled(who, day, then.calendar, then.policy.shifts()):
            return _("{who} has no shift on {day} to exchange", who=who, day=day)
    return None


def _approve_guard(step) -> str | None:
    rec = step.rec
    days = dates(rec)
    if step.transition.action == "approve" and days and step.at is not None and \
            step.at >= dt.datetime.combine(days[0], dt.time(0), tzinfo=step.ctx.tz):
        return _("the swap's day {day} has begun: a swap is approved before it", day=days[0])
    if step.transition.action == "approve":
        problem = unscheduled(rec, step.ctx)
        if problem:
            return problem
    if step.by in (rec.get("person"), rec.get("with")):
        return _("{by} is a party to this swap and may not approve it", by=step.by)
    if step.by not in [p.id for p in approvers(rec, step.ctx)]:
        return _("{by} is not a team lead or above in {person}'s chain", by=step.by, person=rec.get('person'))
    return None


def _reject_guard(step) -> str | None:
    rec = step.rec
    if step.source == "requested" and step.by == rec.get("with"):
        return None                          # the colleague declines
    return _approve_guard(step)


def _withdraw_guard(step) -> str | None:
    if step.by != step.rec.get("person"):
        return _("only {person}, who asked, withdraws this swap", person=step.rec.get('person'))
    return None


TRANSITIONS = (
    Transition("request", (), ("requested",), guards=(Guard("SWAP_REFUSED", _request_guard),)),
    Transition("accept", ("requested",), ("accepted",), guards=(Guard("SWAP_REFUSED", _accept_guard),)),
    Transition("approve", ("accepted",), ("approved",), guards=(Guard("SWAP_REFUSED", _approve_guard),)),
    Transition("reject", OPEN, ("rejected",), guards=(Guard("SWAP_REFUSED", _reject_guard),)),
    Transition("withdraw", OPEN, ("withdrawn",), guards=(Guard("SWAP_REFUSED", _withdraw_guard),)),
    AMEND,
)


AGREED = ("person", "with", "date", "with_date")


def _check_agreement(rec, ctx, out, path) -> None:
    """What the colleague accepted is not corrected afterwards: a different swap is asked anew."""
    accepted = False
    for i, entry in enumerate(rec.get("history") or []):
        if not isinstance(entry, dict):
            continue
        if entry.get("to") == "accepted" and entry.get("from") == "requested":
            accepted = True
        changes = entry.get("changes") if entry.get("action") == "amend" else None
        touched = sorted(set(changes or {}) & set(AGREED)) if isinstance(changes, dict) else []
        if accepted and touched:
            out.add(path, "SWAP_REFUSED", _("history[{i}] corrects {names} of a swap its colleague already accepted",
                                            i=i, names=', '.join(touched)), _("withdraw or reject it and ask again "
                                                                              "with csops swap new"),
                    key=("history", i))


def deadlines(rec: dict, ctx) -> list[Deadline]:
    """A swap still open when its first date begins is owed: by the colleague (accept) or by the
    first approver in the requester's chain (approve)."""
    days = dates(rec)
    if rec.get("status") not in OPEN or not days:
        return []
    due = dt.datetime.combine(days[0], dt.time(0), tzinfo=ctx.tz)
    if rec.get("status") == "requested":
        return [Deadline("accept", due, rec.get("with"), due, owed=True)]
    first = approvers(rec, ctx)
    return [Deadline("approve", due, first[0].id if first else None, due, owed=True)]


def computed(rec: dict, ctx) -> dict:
    owed = deadlines(rec, ctx)
    return {"due": format_instant(owed[0].due, ctx.tz) if owed else None, "waiting_for": owed[0].what if owed else None,
            "overdue": bool(ctx.now and owed and owed[0].due < ctx.now)}


WORKFLOW = Workflow(
    type="swap",
    transitions=TRANSITIONS,
    notes={("rejected", "approved"): N_("a rejected swap is final; ask again with csops swap new"),
           ("requested", "approved"): N_("the colleague accepts first (swap accept), then a team lead approves")},
    fields={
        "person": PersonRef(required=True),
        "with": PersonRef(required=True),
        "date": Date(required=True),
        "with_date": Date(),
        "reason": Str(required=True),
    },
    computed=computed,
    deadlines=deadlines,
    record_checks=(_check_agreement,),
)
