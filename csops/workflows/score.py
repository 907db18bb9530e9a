"""Score events 考核 (SPEC §6): recorded by a team lead or above (班长记录), confirmed or revoked by
a supervisor or above (报告客服主任). Points, fines and dismissal rules come from the policy catalog.
"""

from __future__ import annotations

from csops import actions
from csops.engine import Transition, Workflow
from csops.errors import BadInput, Refused
from csops.schema import Bool, Date, Number, PersonRef, RecordRef, Str, decimals_of
from csops.timeutil import parse_date


def _check_event(rec, ctx, out, path):
    catalog = ctx.policy.catalog()
    code = rec.get("code")
    rule = catalog.get(code)
    if code is not None and rule is None:
        out.add(path, "UNKNOWN_CODE", f"code {code!r} is not in the policy catalog",
                "see scores.catalog in policy.yaml", key=("code",))
        return
    if rule is None:
        return
    if rule.get("applies_to") == "all_active_agents":
        if rec.get("person"):
            out.add(path, "BAD_FIELD", f"{code} is recorded without a person: it costs every active agent",
                    key=("person",))
    elif not rec.get("person"):
        out.add(path, "MISSING_FIELD", f"{code} needs the person it is about (--person)", key=("code",))
    fine = rec.get("fine")
    bounds = rule.get("fine")
    if fine is not None and not bounds:
        out.add(path, "BAD_FINE", f"{code} carries no fine in the catalog", key=("fine",))
    if fine is not None and bounds and isinstance(fine, (int, float)) and not bounds[0] <= fine <= bounds[1]:
        out.add(path, "BAD_FINE", f"{code} fine must be {bounds[0]}–{bounds[1]} yuan, got {fine}", key=("fine",))
    if rule.get("lateness") and rec.get("minutes") is None:
        out.add(path, "MISSING_FIELD", f"{code} needs the minutes late (--minutes)", key=("code",))


TRANSITIONS = (
    Transition("record", (), "recorded"),
    Transition("confirm", ("recorded",), "confirmed"),
    Transition("revoke", ("recorded", "confirmed"), "revoked"),
)

WORKFLOW = Workflow(
    type="score", prefix="S", folder="scores", label="考核",
    states=("recorded", "confirmed", "revoked"),
    transitions=TRANSITIONS,
    notes={("revoked", "confirmed"): "a revoked event is final; record a new one"},
    fields={
        "person": PersonRef(),
        "code": Str(required=True),
        "date": Date(required=True),
        "minutes": Number(integer=True, minimum=0, maximum=24 * 60),
        "fine": Number(minimum=0, decimals=2),
        "ref": RecordRef(),
        "derived": Bool(),
        "note": Str(),
    },
    record_checks=(_check_event,),
)


def add(session, *, person=None, code, date=None, fine=None, minutes=None, ref=None, note=None,
        derived=False) -> str:
    catalog = session.policy.catalog()
    code = (code or "").strip().upper()
    rule = catalog.get(code)
    if rule is None:
        raise Refused(f"unknown score code {code!r}", f"codes: {', '.join(sorted(catalog))}")
    if person:
        session.roster.require(person)
    day = parse_date(date, what="--date") if date else session.now.astimezone(session.tz).date()
    if fine is not None:
        if decimals_of(fine) > 2 or fine < 0:
            raise BadInput(f"--fine {fine}: a fine is a positive amount with at most two decimals")
        bounds = rule.get("fine")
        if not bounds:
            raise Refused(f"{code} carries no fine in the catalog")
        if not bounds[0] <= fine <= bounds[1]:
            raise Refused(f"{code} fine must be between {bounds[0]} and {bounds[1]} yuan, not {fine}")
    elif rule.get("fine"):
        fine = rule["fine"][0]   # omitted: the lower bound
    if minutes is not None and minutes < 0:
        raise BadInput("--minutes must not be negative")
    if ref:
        ref = session.store.locate(ref)[1].stem
    fields = {"code": code, "date": day.isoformat()}
    if person:
        fields["person"] = person
    for key, value in (("minutes", minutes), ("fine", fine), ("ref", ref), ("note", note)):
        if value is not None:
            fields[key] = value
    if derived:
        fields["derived"] = True
    return actions.create(session, "score", fields)


def simple(session, ref, action: str, *, note=None) -> str:
    return actions.transition(session, "score", ref, action, note=note)
