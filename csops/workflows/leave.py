"""Leave 请假 (客服部请假制度): notice rules, level-by-level approval (逐级办理, 不允许越级),
holidays, medical certificates and absence (旷工).
"""

from __future__ import annotations

import datetime as dt

from csops.engine import Deadline, Guard, Transition, Workflow
from csops.i18n import N_, _
from csops.schema import Enum, Instant, List, Map, PersonRef, Str
from csops.timeutil import format_instant, try_instant
from csops.vocab import LEAVE_KINDS as KINDS
from csops.workflows.common import AMEND

MAX_SPAN = dt.timedelta(days=366)     # docs/rules.md: a leave ≤ 366 days (and every walk over it stays short)


# -- facts about one leave ---------------------------------------------------------------------

def span(rec: dict, tz) -> tuple[dt.datetime | None, dt.datetime | None]:
    return try_instant(rec.get("start"), tz), try_instant(rec.get("end"), tz)


def requested_at(rec: dict, tz) -> dt.datetime | None:
    history = rec.get("history") or []
    return try_instant(history[0].get("at"), tz) if history else try_instant(rec.get("created"), tz)


def notice_deadline(rec: dict, policy) -> dt.datetime | None:
    """What notice is measured to: the leave's start; for special leave the start of the shift on
    which it starts — that day's first working interval (特殊事假需在班前一小时提出, 000)."""
    start = span(rec, policy.tz)[0]
    if start is None or rec.get("kind") != "special":
        return start
    spans = policy.calendar.intervals(policy.calendar.local_date(start))
    return min(spans[0][0], start).astimezone(policy.tz) if spans else start


def notice_hours(rec: dict, policy) -> float | None:
    start, asked = notice_deadline(rec, policy), requested_at(rec, policy.tz)
    if start is None or asked is None:
        return None
    return (start - asked) / dt.timedelta(hours=1)


def notice_days(rec: dict, policy) -> int | None:
    """Calendar days between the request's date and the leave's first date (a request on Tuesday
    for Friday gives 3; any time the day before gives 1)."""
    start, asked = span(rec, policy.tz)[0], requested_at(rec, policy.tz)
    if start is None or asked is None:
        return None
    return (start.astimezone(policy.tz).date() - asked.astimezone(policy.tz).date()).days


def notice_ok(rec: dict, policy) -> bool:
    """Enough notice: personal and sick leave in calendar days (事假需在三天前提出, 病假需在一天前提出,
    《客服部请假制度》: policy leave.notice_days), special leave in hours before its shift
    (班前一小时: leave.notice_hours)."""
    leave = policy.section("leave")
    days_needed = (leave.get("notice_days") or {}).get(rec.get("kind"))
    if days_needed is not None:
        days = notice_days(rec, policy)
        return days is not None and days >= days_needed
    hours = notice_hours(rec, policy)
    needed = (leave.get("notice_hours") or {}).get(rec.get("kind"))
    return hours is not None and needed is not None and hours >= needed


def holidays_touched(rec: dict, policy) -> list[dt.date]:
    start, end = span(rec, policy.tz)
    if start is None or end is None or end <= start:
        return []
    return policy.calendar.holidays_between(start, end)


def needs_manager(rec: dict, policy) -> bool:
    """Short notice, or leave on or over a public holiday: the chain must reach a manager."""
    return not notice_ok(rec, policy) or bool(holidays_touched(rec, policy))


def working_days(rec: dict, policy) -> float:
    start, end = span(rec, policy.tz)
    if start is None or end is None:
        return 0.0
    return policy.calendar.working_days_between(start, end, policy.clock("leave", "half_day_split"))


def approvals_until(rec: dict, index: int) -> list[dict]:
    """Approvals given at or before history entry `index`: as many, in the order written, as
    there are approving entries up to it (approvals in the same minute keep their order)."""
    history = rec.get("history") or []
    count = sum(1 for entry in history[:index + 1] if isinstance(entry, dict) and _approves(entry))
    return [a for a in rec.get("approvals") or [] if isinstance(a, dict)][:count]


def _approves(entry: dict) -> bool:
    return entry.get("action") == "approve" or (entry.get("from") == "requested" and entry.get("action") is None
                                                and entry.get("to") in ("approved", "requested"))


def current_approvals(rec: dict, index: int | None = None) -> list[dict]:
    """The approvals that still count (at or before history entry `index`): a longer or moved
    leave (`leave amend`) goes back to requested and needs the chain again."""
    history = rec.get("history") or []
    upto = history[:index] if index is not None else history
    restart = next((try_instant(e.get("at"), None) for e in reversed(upto) if isinstance(e, dict)
                    and e.get("action") == "reschedule" and e.get("to") == "requested"), None)
    given = approvals_until(rec, index) if index is not None else [a for a in rec.get("approvals") or []
                                                                  if isinstance(a, dict)]
    if restart is None:
        return given
    return [a for a in given if (try_instant(a.get("at"), None) or restart) > restart]


def reschedule_target(rec: dict, params: dict, ctx) -> str:
    """A leave shortened inside its approved span keeps its approval; longer or moved, it goes
    back to requested (docs/rules.md)."""
    if rec.get("status") != "approved":
        return "requested"
    start, end = span(rec, ctx.tz)
    new_start, new_end = try_instant(params.get("start"), ctx.tz), try_instant(params.get("end"), ctx.tz)
    inside = None not in (start, end, new_start, new_end) and start <= new_start and new_end <= end
    return "approved" if inside else "requested"


def approvers(rec: dict, roster, policy) -> list:
    """Who may approve, in order: the requester's reports_to, then theirs, … (逐级办理); where the
    chain runs out, the people in policy leave.top_approvers (the top of the chain has nobody
    above, docs/rules.md)."""
    person = rec.get("person")
    chain = roster.chain_above(person)
    tops = [roster.get(p) for p in policy.section("leave").get("top_approvers") or []]
    return chain + [p for p in tops if p is not None and p.id != person and p not in chain]


def next_approver(rec: dict, roster, approvals: list[dict], policy):
    """Who acts next: the approver after those who have approved."""
    order = approvers(rec, roster, policy)
    return order[len(approvals)] if len(approvals) < len(order) else None


def manager_reached(approvals: list[dict], roster, policy) -> bool:
    role = policy.section("leave").get("approver_role")
    return any(policy.at_least(getattr(roster.get(a.get("by")), "role", ""), role) for a in approvals)


def approvals_enough(rec: dict, approvals: list[dict], roster, policy) -> bool:
    """Whether these approvals make the leave approved: the direct superior's, with enough notice
    and no holiday; otherwise the chain must have reached a manager (如不能提前请假需经管理人员批准)."""
    return not needs_manager(rec, policy) or manager_reached(approvals, roster, policy)


def approval_target(rec: dict, approver: str, ctx) -> str:
    """Where an approval by `approver` leads: approved when it is enough, else still requested."""
    done = current_approvals(rec) + [{"by": approver}]
    policy = ctx.for_person(rec.get("person")).policy
    return "approved" if approvals_enough(rec, done, ctx.roster, policy) else "requested"


# -- guards ------------------------------------------------------------------------------------

def _request_guard(step) -> str | None:
    rec, policy = step.rec, step.ctx.for_person(step.rec.get("person")).policy
    start, end = span(rec, policy.tz)
    if start is None or end is None:
        return _('a leave needs both start and end')
    if end <= start:
        return _("the leave ends ({end}) before it starts ({start})", end=rec.get('end'), start=rec.get('start'))
    if end - start > MAX_SPAN:
        return _("a leave lasts at most {days} days; this one runs from {start} to {end}",
                 days=MAX_SPAN.days, start=rec.get('start'), end=rec.get('end'))
    holidays = holidays_touched(rec, policy)
    days_needed = policy.section("leave").get("holiday_notice_days")
    if holidays and days_needed is not None:
        days = notice_days(rec, policy)
        if days is None or days < days_needed:
            return (_("leave on or over the public holiday {holiday} must be requested at least {needed} days "
                      "ahead (节假日不允许请假); this one gives {days}",
                      holiday=holidays[0], needed=days_needed, days=max(days or 0, 0)))
    elif holidays:
        hours = notice_hours(rec, policy)
        needed = policy.section("leave").get("holiday_notice_hours")
        if needed is not None and (hours is None or hours < needed):
            return (_("leave on or over the public holiday {holiday} must be requested at least {needed} hours "
                      "ahead (节假日不允许请假); this one gives {hours:.1f}",
                      holiday=holidays[0], needed=needed, hours=max(hours or 0, 0)))
    person = step.ctx.roster.get(rec.get("person"))
    if person and step.by != person.id and step.by not in [p.id for p in step.ctx.roster.chain_above(person.id)]:
        return _("{by} may not request leave for {id}: only they or someone above them may", by=step.by, id=person.id)
    if person and step.index == 0:
        order = approvers(rec, step.ctx.roster, policy)
        role = policy.section("leave").get("approver_role")
        if not order or (needs_manager(rec, policy) and not any(policy.at_least(p.role, role) for p in order)):
            return (_("nobody could approve this leave of {id}: the reporting chain runs out above them; list who "
                      "approves it in policy leave.top_approvers",
                      id=person.id))
    return None


def _in_chain(step) -> bool:
    policy = step.ctx.for_person(step.rec.get("person")).policy
    return step.by in [p.id for p in approvers(step.rec, step.ctx.roster, policy)]


def _approval_guard(step) -> str | None:
    rec, ctx, policy = step.rec, step.ctx, step.ctx.for_person(step.rec.get("person")).policy
    if step.by == rec.get("person"):
        return _("{by} may not approve or reject their own leave", by=step.by)
    given = current_approvals(rec, step.index)
    if step.transition.action == "approve":
        mine = [a for a in given if a.get("by") == step.by and a.get("at") == step.entry.get("at")]
        if not mine:
            return _("history[{index}] approves but approvals has no entry by {by} at {at}",
                     index=step.index, by=step.by, at=step.entry.get('at'))
        before = given[:-1] if given and given[-1] is mine[-1] else [a for a in given if a is not mine[-1]]
    else:
        before = given
    expected = next_approver(rec, ctx.roster, before, policy)
    if expected is None:
        return _("nobody is left in {person}'s reporting chain to act on this leave", person=rec.get('person'))
    if step.by != expected.id:
        return (_("{by} may not act on this leave now: approval goes level by level (逐级, 不允许越级) and the next "
                  "approver is {id}",
                  by=step.by, id=expected.id))
    if step.transition.action == "approve":
        enough = approvals_enough(rec, before + [{"by": step.by}], ctx.roster, policy)
        if step.entry.get("to") == "approved" and not enough:
            return (_("short notice or a holiday: the approval must go on up to a {approver_role} (如不能提前请假需经管理人员批准)",
                      approver_role=policy.section('leave')['approver_role']))
        if step.entry.get("to") == "requested" and enough:
            return _('this approval is enough: the leave must become approved')
    return None


def _own_guard(step) -> str | None:
    person = step.rec.get("person")
    if step.transition.action == "withdraw" and step.by not in (person, step.rec.get("created_by")):
        return _("only {person} (who asked) may withdraw this leave", person=person)
    if step.transition.action in ("cancel", "certify"):
        above = [p.id for p in step.ctx.roster.chain_above(person)]
        if step.by != person and step.by not in above:
            return _("only {person} or someone above them may {action} this leave",
                     person=person, action=step.transition.action)
    if step.transition.action == "certify" and not step.rec.get("certificate"):
        return _('certify needs a certificate reference')
    return None


REQUEST = Guard("LEAVE_REFUSED", _request_guard)
APPROVAL = Guard("APPROVAL_ORDER", _approval_guard)
OWN = Guard("NOT_YOURS", _own_guard)

def _approve(doc, entry, params) -> None:
    doc.setdefault("approvals", [])
    doc["approvals"].append({"by": entry["by"], "at": entry["at"]})
    if entry["to"] == "requested":
        entry["note"] = entry.get("note") or "approved at this level; goes on up the chain"


def _certify(doc, entry, params) -> None:
    doc["certificate"] = params["certificate"]


def _reschedule(doc, entry, params) -> None:
    changes = {}
    for key in ("start", "end"):
        if params.get(key) and params[key] != doc.get(key):
            changes[key] = {"from": doc.get(key), "to": params[key]}
            doc[key] = params[key]
    entry["changes"] = changes


def _reschedule_guard(step) -> str | None:
    rec = step.rec
    if step.by not in (rec.get("person"), rec.get("created_by")):
        return _("only {person} (who asked) may change the dates of this leave", person=rec.get('person'))
    changes = step.entry.get("changes")
    if not isinstance(changes, dict) or not changes or set(changes) - {"start", "end"}:
        return _("history[{index}] changes the dates but does not say how (changes: {{start|end: {{from, to}}}})",
                 index=step.index)
    if not step.entry.get("note"):
        return _('changing the dates of a leave needs a reason (--reason)')
    return None


RESCHEDULE = Guard("NOT_YOURS", _reschedule_guard)

TRANSITIONS = (
    Transition("request", (), ("requested",), guards=(REQUEST,)),
    # 逐级办理: being in the requester's chain is what lets a person approve, whatever their role
    # (a warehouse head approves the warehouse staff's leave); the guard holds the order
    Transition("approve", ("requested",), ("approved", "requested"), guards=(APPROVAL,), sets=("approvals",),
               effect=_approve, choose=lambda rec, params, ctx: approval_target(rec, params["by"], ctx),
               also_allowed=lambda step: _in_chain(step)),
    Transition("reject", ("requested",), ("rejected",), guards=(APPROVAL,), also_allowed=lambda step: _in_chain(step)),
    Transition("withdraw", ("requested",), ("withdrawn",), guards=(OWN,)),
    Transition("cancel", ("approved",), ("cancelled",), guards=(OWN,)),
    Transition("certify", ("requested", "approved"), (), stays=True, guards=(OWN,), sets=("certificate",),
               effect=_certify, needs=("certificate",), command="leave certify ID --certificate REF"),
    Transition("reschedule", ("requested", "approved"), ("approved", "requested"), guards=(RESCHEDULE, REQUEST),
               sets=("start", "end"), effect=_reschedule, choose=reschedule_target, named=True,
               needs=("start", "end"), command="leave amend ID --start ISO --end ISO --reason R"),
    AMEND,
)


def overlapping(spans: list[tuple], tz, payload: list | None = None) -> list[tuple]:
    """Pairs of live leaves of one person that overlap: (later, earlier) for each. `spans` are
    (id, person, start, end); two halves of one day touch but do not overlap."""
    by_person: dict = {}
    for i, (record_id, person, start, end) in enumerate(spans):
        begin, finish = try_instant(start, tz), try_instant(end, tz)
        if begin and finish:
            by_person.setdefault(person, []).append((begin, finish, i))
    found = []
    for items in by_person.values():
        items.sort(key=lambda x: (x[0], x[1]))
        latest = None          # the span reaching furthest so far
        for begin, finish, i in items:
            if latest is not None and begin < latest[1]:
                pick = payload or spans
                found.append((pick[i], pick[latest[2]]))
            if latest is None or finish > latest[1]:
                latest = (begin, finish, i)
    return found


def _check_overlap(rec, ctx, out, path):
    """The CLI's check before it writes: the new or changed leave against the person's others."""
    if rec.get("status") not in ("requested", "approved"):
        return
    others = [r.data for r in ctx.records("leave") if isinstance(r.data, dict) and r.data.get("id") != rec.get("id")
              and r.data.get("person") == rec.get("person") and r.data.get("status") in ("requested", "approved")]
    spans = [(d.get("id"), d.get("person"), d.get("start"), d.get("end")) for d in others]
    mine = (rec.get("id"), rec.get("person"), rec.get("start"), rec.get("end"))
    for a, b in overlapping(spans + [mine], ctx.tz):
        if mine in (a, b):
            other = b if a == mine else a
            out.add(path, "LEAVE_OVERLAP", _("{person} already has leave {other} from {start} to {end}",
                                             person=rec.get('person'), other=other[0], start=other[2], end=other[3]),
                                           _("withdraw or cancel one of them"), key=("start",))
            return


# -- computed ----------------------------------------------------------------------------------

def under_rules(rec: dict, ctx):
    """A leave is judged by the rules in force when it was requested (docs/rules.md), on the person's
    own schedule (their duty roster, docs/rules.md: a weekend duty day counts, a rostered day off not)."""
    return ctx.in_force(requested_at(rec, ctx.tz)).for_person(rec.get("person"))


def absence_window(rec: dict, ctx) -> tuple[dt.datetime, dt.datetime] | None:
    """When a leave counts as absence 旷工, up to `now`: one that started without approval, or a
    sick leave of a full day or more with no certificate (病假满一天,必须持医疗单位证明方可生效)."""
    policy, now = under_rules(rec, ctx).policy, ctx.now
    start, end = span(rec, policy.tz)
    if start is None or end is None or now is None or now <= start:
        return None
    status = rec.get("status")
    unapproved = status == "requested"
    uncertified = (status == "approved" and rec.get("kind") == "sick" and not rec.get("certificate")
                   and working_days(rec, policy) >= policy.section("leave")["certificate_min_days"])
    return (start, min(end, now)) if unapproved or uncertified else None


def absence_days(rec: dict, ctx, within: tuple[dt.datetime, dt.datetime] | None = None) -> float:
    """Working days of absence (in half days), all of them or those `within` a span (a month)."""
    window = absence_window(rec, ctx)
    if window is None:
        return 0.0
    lo, hi = window if within is None else (max(window[0], within[0]), min(window[1], within[1]))
    policy = under_rules(rec, ctx).policy
    return policy.calendar.working_days_between(lo, hi, policy.clock("leave", "half_day_split"))


def needs(rec: dict, ctx) -> list[str]:
    ctx = under_rules(rec, ctx)
    policy, out = ctx.policy, []
    if rec.get("status") == "requested":
        approvals = current_approvals(rec)
        if needs_manager(rec, policy) and not manager_reached(approvals, ctx.roster, policy):
            out.append(f"{policy.section('leave')['approver_role']}_approval")
        elif not approvals:
            out.append("approval")
    if (rec.get("status") in ("requested", "approved") and rec.get("kind") == "sick" and not rec.get("certificate")
            and working_days(rec, policy) >= policy.section("leave")["certificate_min_days"]):
        out.append("certificate")
    return out


def computed(rec: dict, ctx) -> dict:
    owed = deadlines(rec, ctx)          # a request's: the next approver's, by its start
    ctx = under_rules(rec, ctx)
    return {
        "notice_ok": notice_ok(rec, ctx.policy),
        "days": working_days(rec, ctx.policy),
        "absence_days": absence_days(rec, ctx),
        "needs": needs(rec, ctx),
        "holidays": [d.isoformat() for d in holidays_touched(rec, ctx.policy)],
        "next_approver": owed[0].owner if owed else None,
        # a request still waiting when its start has come: what report overdue names (--overdue)
        "due": format_instant(owed[0].due, ctx.tz) if owed else None,
        "overdue": bool(ctx.now and owed and owed[0].due < ctx.now),
    }


def deadlines(rec: dict, ctx) -> list[Deadline]:
    """A request still waiting when its start has come is owed by the next approver."""
    start = span(rec, ctx.tz)[0]
    if rec.get("status") != "requested" or start is None:
        return []
    ctx = under_rules(rec, ctx)
    approver = next_approver(rec, ctx.roster, current_approvals(rec), ctx.policy)
    return [Deadline("approve", start, approver.id if approver else None, start, owed=True)]


WORKFLOW = Workflow(
    type="leave",
    transitions=TRANSITIONS,
    notes={("rejected", "approved"): N_("a rejected leave is final; ask again with csops leave new")},
    fields={
        "person": PersonRef(required=True),
        "kind": Enum(required=True, values=KINDS),
        "start": Instant(required=True),
        "end": Instant(required=True),
        "reason": Str(),
        "certificate": Str(),
        "approvals": List(item=Map(fields={"by": PersonRef(required=True), "at": Instant(required=True)})),
    },
    computed=computed,
    deadlines=deadlines,
    cross_checks=(_check_overlap,),
)
