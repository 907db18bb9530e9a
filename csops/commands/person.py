"""Roster commands: add a person (the first one by anyone, then a supervisor or above)."""

from __future__ import annotations

from csops import actions, yamlio
from csops.errors import BadInput, NotFound, Refused
from csops.people import PERSON_ID, Person


def add_person(session, person_id: str, *, name: str, role: str, reports_to: str | None = None,
               email: str | None = None) -> str:
    """Add to the roster. The first person may be added by anyone; after that a supervisor or
    above (policy permissions.person_add)."""
    policy, roster = session.policy, session.roster
    if not PERSON_ID.match(person_id or ""):
        raise BadInput(f"person id {person_id!r}: use lower-case letters, digits, _ . - (e.g. zhangsan)")
    if role not in policy.roles:
        raise BadInput(f"--role {role!r} is not one of {', '.join(policy.roles)}")
    if reports_to and reports_to not in roster:
        raise NotFound(f"--reports-to {reports_to}: no such person in the roster")
    if email and roster.by_email(email):
        raise Refused(f"--email {email} already belongs to {roster.by_email(email).id}")
    if person_id in roster:
        raise Refused(f"person {person_id} already exists")
    data = {"id": person_id, "name": name, "role": role, "reports_to": reports_to, "email": email, "active": True}
    new_person = Person.from_data(data)
    if len(roster):
        actor = session.actor
        allowed = policy.permission("person_add")
        if not policy.role_matches(actor.role, allowed):
            raise Refused(f"{actor.id} ({actor.role}) may not add people (allowed: {', '.join(allowed)})")
        author, actor_id = actor.author, actor.id
    else:
        author, actor_id = new_person.author, None  # bootstrap: the first person adds themselves
    data = {k: v for k, v in data.items() if v is not None}
    message = (f"person {person_id}: added as {role}\n\nCsops-Person: {person_id}\n"
               f"Csops-By: {actor_id or '-'}")
    actions.save_file(session, session.store.people_dir / f"{person_id}.yaml", yamlio.dump_plain(data), message,
                      author, new=True)
    return person_id
