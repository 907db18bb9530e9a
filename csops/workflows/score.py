"""Score events 考核 (docs/rules.md): recorded by a team lead or above (班长记录), confirmed or revoked by
a supervisor or above (报告客服主任). Points, fines and dismissal rules come from the policy catalog.
"""

from __future__ import annotations

from csops.engine import Guard, Transition, Workflow
from csops.i18n import N_, _
from csops.money import stored_amount
from csops.schema import Bool, Date, Money, Number, PersonRef, RecordRef, Str
from csops.vocab import CS_ROLES
from csops.workflows.common import AMEND


def _check_on_duty(rec, rule, ctx, out, path) -> None:
    """周末值班脱岗 and the like concern someone on duty that day: on a day the team planned with the
    duty roster, the person must have a shift (docs/rules.md)."""
    import datetime as dt

    person = rec.get("person")
    try:
        day = dt.date.fromisoformat(str(rec.get("date")))
    except ValueError:
        return
    if not rule.get("on_duty") or not isinstance(person, str) or not ctx.duty.uses_roster(day):
        return
    if not ctx.duty.scheduled(person, day, ctx.calendar, ctx.policy.shifts()):
        out.add(path, "BAD_FIELD", _("{person} was not on duty on {day} (duty roster): {code} concerns people on "
                                     "duty that day",
                                     person=person, day=day, code=rec.get('code')),
                                   "csops roster show --date " + day.isoformat(), key=("person",))


def _check_event(rec, ctx, out, path):
    catalog = ctx.on_day(rec.get("date")).policy.catalog()      # the catalog in force on the event's date
    code = rec.get("code")
    rule = catalog.get(code)
    if code is not None and rule is None:
        out.add(path, "UNKNOWN_CODE", _("code {code!r} is not in the policy catalog", code=code),
                _('see scores.catalog in policy.yaml'), key=("code",))
        return
    if rule is None:
        return
    if rule.get("applies_to") == "all_active_agents":
        if rec.get("person"):
            out.add(path, "BAD_FIELD", _("{code} is recorded without a person: it costs every active agent", code=code),
                    key=("person",))
    elif not rec.get("person"):
        out.add(path, "MISSING_FIELD", _("{code} needs the person it is about (--person)", code=code), key=("code",))
    else:
        person = ctx.roster.get(rec.get("person"))
        if person is not None and person.role not in CS_ROLES:
            out.add(path, "BAD_FIELD", _("{id} is {role}: score events concern customer-service roles ({names}), "
                                         "001 is customer service's list",
                                         id=person.id, role=person.role, names=', '.join(CS_ROLES)), key=("person",))
    _check_on_duty(rec, rule, ctx, out, path)
    fine = stored_amount(rec.get("fine"))
    bounds = rule.get("fine")
    if rec.get("fine") is not None and not bounds:
        out.add(path, "BAD_FINE", _("{code} carries no fine in the catalog", code=code), key=("fine",))
    if fine is not None and bounds and not fine_in_range(fine, bounds):
        out.add(path, "BAD_FINE", _("{code} fine must be {low}–{high} yuan, got {fine}",
                                    code=code, low=bounds[0], high=bounds[1], fine=rec.get('fine')),
                key=("fine",))
    if rule.get("lateness") and rec.get("minutes") is None:
        out.add(path, "MISSING_FIELD", _("{code} needs the minutes late (--minutes)", code=code), key=("code",))


def fine_in_range(fine, bounds) -> bool:
    from decimal import Decimal

    return Decimal(str(bounds[0])) <= fine <= Decimal(str(bounds[1]))


def _not_about_themselves(step) -> str | None:
    """Nobody confirms or revokes a score event about themselves (conflict of interest, §9)."""
    if step.rec.get("person") and step.by == step.rec.get("person"):
        return _("{by} may not {action} a score event about themselves", by=step.by, action=step.transition.action)
    return None


OWN_EVENT = Guard("CONFLICT_OF_INTEREST", _not_about_themselves)

def _only_derived(step) -> str | None:
    if not step.rec.get("derived"):
        return _('only an event `score derive` recorded is retracted by it; revoke this one (supervisor and above)')
    if not step.entry.get("note"):
        return _('a retraction says why (the records no longer prove it)')
    return None


# An event counts on the score sheet (and towards repeats) while recorded or confirmed; a revoked
# one never does. The one home of that rule: reports/scores.py and commands/score.py ask here.
COUNTED = ("recorded", "confirmed")


def counts(event: dict) -> bool:
    return event.get("status") in COUNTED


TRANSITIONS = (
    Transition("record", (), ("recorded",)),
    Transition("confirm", ("recorded",), ("confirmed",), guards=(OWN_EVENT,)),
    Transition("revoke", COUNTED, ("revoked",), guards=(OWN_EVENT,)),
    # `score derive` takes back what it derived once the records no longer prove it
    Transition("retract", COUNTED, ("revoked",), guards=(Guard("NOT_DERIVED", _only_derived),),
               named=True),
    AMEND,
)

WORKFLOW = Workflow(
    type="score",
    transitions=TRANSITIONS,
    notes={("revoked", "confirmed"): N_("a revoked event is final; record a new one")},
    fields={
        "person": PersonRef(),
        "code": Str(required=True),
        "date": Date(required=True),
        "minutes": Number(integer=True, minimum=0, maximum=24 * 60),
        "fine": Money(),
        "ref": RecordRef(),
        "days": Number(minimum=0, decimals=1),
        "derived": Bool(),
        "note": Str(),
    },
    record_checks=(_check_event,),
)
