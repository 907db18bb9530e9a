"""The transition engine against its tables: a history is accepted exactly when every step is a
row of the workflow table (property-tested), and the CLI's refusals are the engine's."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from csops.engine import Context, check_record
from csops.people import Person, Roster
from csops.policy import Policy, default_policy_data
from csops.problems import Problems
from csops.workflows import WORKFLOWS

POLICY = Policy(default_policy_data())
ROSTER = Roster({p.id: p for p in (
    Person("boss", "老板", "manager", None, None, True),
    Person("sup", "主管", "supervisor", "boss", None, True),
    Person("lead", "班长", "team_lead", "sup", None, True),
)})
CTX = Context(POLICY, ROSTER)
SCORE = WORKFLOWS["score"]
ACTOR = {"recorded": "lead", "confirmed": "sup", "revoked": "sup"}


def score_record(states: list[str]) -> dict:
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    history, previous = [], None
    for i, state in enumerate(states):
        entry = {"at": (start + dt.timedelta(minutes=i)).isoformat(), "by": ACTOR[state], "to": state}
        if previous is not None:
            entry["from"] = previous
        history.append(entry)
        previous = state
    return {"id": "S-20261102-ABCDEF", "status": states[-1], "created": history[0]["at"], "created_by": "lead",
            "person": "lead", "code": "PHONE_RINGS", "date": "2026-11-02", "history": history}


LEGAL = {(None, "recorded"), ("recorded", "confirmed"), ("recorded", "revoked"), ("confirmed", "revoked")}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SCORE.states), min_size=1, max_size=6))
def test_a_history_is_accepted_exactly_when_every_step_is_in_the_table(states):
    out = Problems()
    check_record(score_record(states), SCORE, CTX, out, "x.yaml")
    steps = list(zip([None] + states[:-1], states))
    legal = all(step in LEGAL for step in steps)
    illegal = [p for p in out if p.code == "ILLEGAL_TRANSITION"]
    assert (not illegal) == legal, (steps, [p.message for p in out])
    assert legal == (not out.items), [p.message for p in out]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(WORKFLOWS.values())), st.sampled_from([None, "registered", "requested", "closed", "nope"]),
       st.text(max_size=12))
def test_explanations_never_fail(wf, source, target):
    rec = {"kind": "complaint"}
    assert isinstance(wf.explain(source, target, rec), str)
    found = wf.find(source, target, None, rec)
    assert found is None or found.leads(source, target)
