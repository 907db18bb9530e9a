"""Roster commands: add a person (the first one by anyone, then a supervisor or above)."""

from __future__ import annotations

from csops import actions, yamlio
from csops.errors import BadInput, NotFound, Refused
from csops.i18n import _
from csops.people import PERSON_ID, Person, Roster


def add_person(session, person_id: str, *, name: str, role: str, reports_to: str | None = None,
               email: str | None = None) -> str:
    """Add to the roster. The first person may be added by anyone; after that a supervisor or
    above (policy permissions.person_add)."""
    policy, roster = session.policy, session.roster
    if not PERSON_ID.match(person_id or ""):
        raise BadInput(_("person id {person_id!r}: use lower-case letters, digits, _ . - (e.g. zhangsan)",
                         person_id=person_id))
    if role not in policy.roles:
        raise BadInput(_("--role {role!r} is not one of {names}", role=role, names=', '.join(policy.roles)))
    if reports_to and reports_to not in roster:
        raise NotFound(_("--reports-to {reports_to}: no such person in the roster", reports_to=reports_to))
    if email and roster.by_email(email):
        raise Refused(_("--email {email} already belongs to {id}", email=email, id=roster.by_email(email).id))
    if person_id in roster:
        raise Refused(_("person {person_id} already exists", person_id=person_id))
    data = {"id": person_id, "name": name, "role": role, "reports_to": reports_to, "email": email, "active": True}
    new_person = Person.from_data(data)
    if len(roster):
        actor = session.actor
        policy.require(actor, "person_add", doing=_("add people"))
        author, actor_id = actor.author, actor.id
    else:
        author, actor_id = new_person.author, None  # bootstrap: the first person adds themselves
    data = {k: v for k, v in data.items() if v is not None}
    message = (f"person {person_id}: added as {role}\n\nCsops-Person: {person_id}\n"
               f"Csops-By: {actor_id or '-'}")
    actions.save_file(session, session.store.people_dir / f"{person_id}.yaml", yamlio.dump_plain(data), message,
                      author, new=True)
    return person_id


def set_person(session, person_id: str, *, name=None, role=None, reports_to=None, email=None,
               active: bool | None = None) -> str:
    """Change a person (supervisor and above, permissions.person_edit); nobody changes their own
    role, chain or active. People are made inactive, never deleted."""
    policy, roster, actor = session.policy, session.roster, session.actor
    person = roster.require(person_id)
    policy.require(actor, "person_edit", doing=_("change people"))
    changes = {k: v for k, v in (("name", name), ("role", role), ("reports_to", reports_to), ("email", email),
                                 ("active", active)) if v is not None}
    if not changes:
        raise BadInput(_('nothing to change: give --name, --role, --reports-to, --email or --active'))
    own = sorted(set(changes) & {"role", "reports_to", "active"})
    if person_id == actor.id and own:
        raise Refused(_("{id} may not change their own {names}",
                        id=actor.id, names=', '.join(own)), _('ask someone above you'))
    if role is not None and role not in policy.roles:
        raise BadInput(_("--role {role!r} is not one of {names}", role=role, names=', '.join(policy.roles)))
    if reports_to == "":
        changes["reports_to"] = None
    elif reports_to is not None:
        roster.require(reports_to)
        people = dict(roster.people)
        people[person_id] = Person.from_data({**_data(person), "reports_to": reports_to})
        if person_id in [p.id for p in Roster(people).chain_above(person_id)] or reports_to == person_id:
            raise Refused(_("--reports-to {reports_to}: the chain above {person_id} would loop back to them",
                            reports_to=reports_to, person_id=person_id))
    if email and roster.by_email(email) and roster.by_email(email).id != person_id:
        raise Refused(_("--email {email} already belongs to {id}", email=email, id=roster.by_email(email).id))
    path = session.store.people_dir / f"{person_id}.yaml"
    doc = yamlio.rt_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    said = ", ".join(f"{k} {_data(person).get(k)!s} → {v!s}" for k, v in changes.items())
    message = f"person {person_id}: {said}\n\nCsops-Person: {person_id}\nCsops-By: {actor.id}"
    actions.save_file(session, path, yamlio.rt_dump(doc), message, actor.author, new=False)
    return person_id


def _data(person: Person) -> dict:
    return {"id": person.id, "name": person.name, "role": person.role, "reports_to": person.reports_to,
            "email": person.email, "active": person.active}
