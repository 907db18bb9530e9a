"""The roster (records/people/<id>.yaml): who is who, who reports to whom, and who is acting."""

from __future__ import annotations

import re
from typing import NamedTuple

from csops.errors import BadInput, NotFound
from csops.gitlog import Author
from csops.i18n import _

PERSON_ID = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")


class Person(NamedTuple):
    id: str
    name: str
    role: str
    reports_to: str | None
    email: str | None
    active: bool

    @classmethod
    def from_data(cls, data: dict) -> "Person":
        return cls(
            id=str(data.get("id")),
            name=str(data.get("name") or data.get("id")),
            role=str(data.get("role")),
            reports_to=str(data["reports_to"]) if data.get("reports_to") else None,
            email=str(data["email"]) if data.get("email") else None,
            active=data.get("active", True) is not False,
        )

    @property
    def author(self) -> Author:
        return Author(self.name, self.email or f"{self.id}@csops.invalid")


class Roster:
    def __init__(self, people: dict[str, Person]):
        self.people = people

    def __contains__(self, person_id) -> bool:
        return isinstance(person_id, str) and person_id in self.people

    def __iter__(self):
        return iter(self.people.values())

    def __len__(self):
        return len(self.people)

    def get(self, person_id) -> Person | None:
        return self.people.get(person_id) if isinstance(person_id, str) else None

    def require(self, person_id: str) -> Person:
        person = self.people.get(person_id)
        if person is None:
            raise NotFound(_("no person {person_id!r} in the roster", person_id=person_id), _('see csops person list'))
        return person

    def chain_above(self, person_id: str) -> list[Person]:
        """reports_to, then their reports_to, … (stops at a cycle or a missing link)."""
        out, seen = [], {person_id}
        current = self.people.get(person_id)
        while current and current.reports_to and current.reports_to not in seen:
            seen.add(current.reports_to)
            current = self.people.get(current.reports_to)
            if current is None:
                break
            out.append(current)
        return out

    def by_author(self, author: Author) -> Person | None:
        """The person a Git author stands for: by e-mail only (a name is anyone's to type); a person
        without e-mail commits as ID@csops.invalid."""
        email = (author.email or "").lower()
        for person in self.people.values():
            if (person.email or f"{person.id}@csops.invalid").lower() == email:
                return person
        return None

    def by_email(self, email: str | None) -> Person | None:
        if not email:
            return None
        for person in self.people.values():
            if person.email and person.email.lower() == email.lower():
                return person
        return None


def resolve_actor(roster: Roster, as_option: str | None, git_email: str | None) -> Person:
    """--as / CSOPS_USER, else the person whose email is `git config user.email`."""
    if as_option:
        person = roster.get(as_option)
        if person is None:
            raise NotFound(_("--as {as_option}: no such person in the roster",
                             as_option=as_option), _('see csops person list'))
        if not person.active:
            raise BadInput(_("--as {as_option}: {name} is not active", as_option=as_option, name=person.name))
        return person
    person = roster.by_email(git_email)
    if person is None:
        raise BadInput(_("who is acting? no --as PERSON, no CSOPS_USER, and git user.email {email} matches nobody "
                         "in the roster",
                         email=git_email or '(unset)'),
                       _('pass --as PERSON or set CSOPS_USER'))
    return person


def roster_at(git, folder: str, rev: str) -> "Roster":
    """The roster as commit `rev` had it (`folder`: records/people from the repository's top);
    files that do not read as a person are left out, as the audit and `csops log` need it."""
    from csops import yamlio

    people = {}
    paths = [p for p in git.files_under(rev, folder) if p.endswith(".yaml")]
    for blob in git.blobs([f"{rev}:{p}" for p in paths]):
        try:
            data = yamlio.load(blob) if blob is not None else None
        except yamlio.YamlError:
            continue
        if isinstance(data, dict) and data.get("id"):
            people[str(data["id"])] = Person.from_data(data)
    return Roster(people)
