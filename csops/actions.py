"""The library API for changing records: create a record, make a transition, save a person.

Every change is: take the repository lock → read → apply → re-read what would be written with
the bulk loader and check it with the same rules validate uses → atomic write → exactly one Git
commit authored by the acting person. Anything failing on the way leaves no file changed and no
commit made.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from csops import yamlio
from csops.engine import Context, Workflow, check_record
from csops.errors import BadInput, Conflict, Refused
from csops.problems import Problems
from csops.store import Store, atomic_write
from csops.templates import template_text
from csops.timeutil import format_instant


@dataclass
class Session:
    """One command's view of a records repository: store, policy, roster, clock, actor."""
    store: Store
    now: dt.datetime
    as_person: str | None = None
    _policy: object = None
    _roster: object = None
    _git: object = None
    _actor: object = None
    _ctx: Context | None = None
    extra: dict = field(default_factory=dict)

    @property
    def policy(self):
        if self._policy is None:
            self._policy = self.store.policy()
        return self._policy

    @property
    def roster(self):
        if self._roster is None:
            self._roster = self.store.roster()
        return self._roster

    @property
    def git(self):
        if self._git is None:
            from csops.gitlog import Git

            self._git = Git(self.store.root)
        return self._git

    @property
    def actor(self):
        if self._actor is None:
            from csops.people import resolve_actor

            email = None if self.as_person else self.git.config("user.email")
            self._actor = resolve_actor(self.roster, self.as_person, email)
        return self._actor

    @property
    def ctx(self) -> Context:
        if self._ctx is None:
            self._ctx = Context(self.policy, self.roster, self.store, self.now)
        return self._ctx

    @property
    def tz(self):
        return self.policy.tz

    def stamp(self) -> str:
        return format_instant(self.now, self.tz)

    def workflow(self, rtype: str) -> Workflow:
        return self.store.workflows[rtype]


Effect = Callable[[dict, dict], None]   # (round-trip document, new history entry) → None


def create(session: Session, rtype: str, fields: dict, *, note: str | None = None) -> str:
    """A new record of `rtype` from its commented skeleton, in its initial state."""
    return create_many(session, rtype, [fields], note=note)[0]


def create_many(session: Session, rtype: str, many: list[dict], *, note: str | None = None,
                subject: str | None = None) -> list[str]:
    """Several new records of one type in one commit (e.g. the events `score derive` finds)."""
    wf = session.workflow(rtype)
    actor, at = session.actor, session.stamp()
    ids, writes = [], {}
    with session.store.lock(session.git.git_dir):
        for fields in many:
            record_id = session.store.new_id(rtype, session.now.astimezone(session.tz).date())
            while record_id in ids:
                record_id = session.store.new_id(rtype, session.now.astimezone(session.tz).date())
            path = session.store.canonical_path(rtype, record_id)
            doc = yamlio.rt_load(template_text(f"{rtype}.yaml"))
            doc["id"] = record_id
            doc["status"] = wf.initial[0]
            doc["created"] = at
            doc["created_by"] = actor.id
            for key, value in fields.items():
                doc[key] = value
            for key in [k for k, v in doc.items() if v is None]:
                del doc[key]  # unfilled optional fields stay out of the file
            entry = {"at": at, "by": actor.id, "to": wf.initial[0]}
            if note:
                entry["note"] = note
            doc["history"] = [entry]
            writes[path] = _checked_text(session, wf, doc, path, step=0)
            ids.append(record_id)
        subjects = [_subject(wf, i, None, wf.initial[0], "create") for i in ids]
        headline = subject or f"{rtype}: {len(ids)} new records"
        _write_and_commit(session, writes, _commit_message(wf, ids, subjects, "create", actor, headline))
    return ids


def transition(session: Session, rtype: str, ref: str, action: str, *, target: str | None = None,
               effect: Effect | None = None, note: str | None = None, entry_extra: dict | None = None,
               prepare: Callable[[dict], str | None] | None = None) -> str:
    """Apply `action` to a record; `prepare(current)` may pick the target from the record."""
    return transition_many(session, rtype, [(ref, action, target, effect, note, entry_extra, prepare)])[0]


def transition_many(session: Session, rtype: str, steps: list) -> list[str]:
    """Several transitions (on different records) in one commit — e.g. one vendor note."""
    wf = session.workflow(rtype)
    actor, at = session.actor, session.stamp()
    with session.store.lock(session.git.git_dir):
        writes, ids, subjects = {}, [], []
        for ref, action, target, effect, note, entry_extra, prepare in steps:
            _, path = session.store.locate(ref, rtype)
            _refuse_if_dirty(session, path)
            text = path.read_text(encoding="utf-8")
            current = yamlio.load(text)
            if not isinstance(current, dict) or not isinstance(current.get("history"), list):
                raise BadInput(f"{session.store.display(path)}: not a valid {rtype} record", "run csops validate")
            record_id, source = current.get("id"), current.get("status")
            if prepare is not None:
                target = prepare(current) or target
            chosen = wf.by_action(action, source, current, target)
            if chosen is None:
                wanted = target or next((t.target for t in wf.transitions if t.action == action), action)
                raise Refused(f"{rtype} {record_id}: ILLEGAL_TRANSITION cannot {action} ({source} → {wanted}: "
                              f"{wf.explain(source, wanted, current, action)})")
            doc = yamlio.rt_load(text)
            entry = {"at": at, "by": actor.id}
            if source is not None:
                entry["from"] = source
            entry["to"] = chosen.target
            if wf.find(source, chosen.target, None, current) is not chosen:
                entry["action"] = chosen.action  # name it when (from, to) alone would read differently
            if note:
                entry["note"] = note
            entry.update(entry_extra or {})
            if effect is not None:
                effect(doc, entry)
            if chosen.effect is not None:
                chosen.effect(doc, entry)
            doc["status"] = chosen.target
            doc["history"].append(entry)
            step = len(doc["history"]) - 1
            writes[path] = _checked_text(session, wf, doc, path, step=step)
            ids.append(record_id)
            subjects.append(_subject(wf, record_id, source, chosen.target, chosen.action))
        action = steps[0][1]
        message = _commit_message(wf, ids, subjects, action, actor, f"{rtype}: {action} {len(ids)} records")
        _write_and_commit(session, writes, message)
    return ids


def save_person(session: Session, person_id: str, data: dict, actor_id: str | None, author) -> Path:
    path = session.store.people_dir / f"{person_id}.yaml"
    with session.store.lock(session.git.git_dir):
        if path.exists():
            raise Refused(f"person {person_id} already exists", "edit the file to change it")
        text = yamlio.dump_plain(data)
        yamlio.load(text)
        message = f"person {person_id}: added as {data.get('role')}\n\nCsops-Person: {person_id}\nCsops-By: {actor_id or '-'}"
        _write_and_commit(session, {path: text}, message, author=author)
    return path


def _checked_text(session: Session, wf: Workflow, doc, path: Path, step: int) -> str:
    """The text that would be written, re-read with the bulk loader (and the pure one), and
    checked by the same rules validate applies; refused with the first problem."""
    text = yamlio.rt_dump(doc)
    plain = yamlio.load(text)
    if yamlio.load(text, loader=yamlio.PureLoader) != plain:  # pragma: no cover - loader disagreement
        raise Conflict(f"{wf.type} {doc.get('id')}: the C and pure YAML loaders read the new text differently")
    problems = Problems()
    check_record(plain, wf, session.ctx, problems, session.store.display(path), only_step=step)
    for check in _cross_checks(wf):
        check(plain, session.ctx, problems, session.store.display(path))
    if problems:
        first = problems.items[0]
        hint = f" ({first.hint})" if first.hint else ""
        raise Refused(f"{wf.type} {doc.get('id')}: {first.code} {first.message}{hint}")
    return text


def _cross_checks(wf: Workflow):
    return getattr(wf, "cross_checks", ())


def _refuse_if_dirty(session: Session, path: Path) -> None:
    """A record whose file differs from its last commit is someone's unfinished edit (or a
    write interrupted before its commit): refuse rather than commit it along."""
    from csops.gitlog import blob_id

    if session.git.committed_blob(path) != blob_id(path.read_bytes()):
        raise Conflict(f"{session.store.display(path)} has uncommitted changes",
                       "commit them (git commit) or discard them (git checkout -- FILE) first")


def _write_and_commit(session: Session, writes: dict[Path, str], message: str, author=None) -> None:
    olds = {path: (path.read_bytes() if path.exists() else None) for path in writes}
    author = author or session.actor.author
    try:
        for path, text in writes.items():
            atomic_write(path, text)
        session.git.commit(list(writes), message, author, session.now)
    except BaseException:
        for path, old in olds.items():
            if old is None:
                path.unlink(missing_ok=True)
            else:
                atomic_write(path, old.decode("utf-8"))
        raise


def _subject(wf: Workflow, record_id, source, target, action) -> str:
    if source is None:
        return f"{wf.type} {record_id}: new → {target}"
    verb = f" ({action})" if source == target else ""
    return f"{wf.type} {record_id}: {source} → {target}{verb}"


def _trailers(rtype: str, ids: list[str], action: str, actor) -> str:
    lines = [f"Csops-Type: {rtype}", *[f"Csops-Record: {i}" for i in ids], f"Csops-Action: {action}",
             f"Csops-By: {actor.id}"]
    return "\n".join(lines)


def _commit_message(wf: Workflow, ids: list[str], subjects: list[str], action: str, actor, headline: str) -> str:
    """One record: its transition as the subject. Several: a headline, one line each. Then the
    machine-readable trailers."""
    if len(subjects) == 1:
        return f"{subjects[0]}\n\n{_trailers(wf.type, ids, action, actor)}"
    return f"{headline}\n\n" + "\n".join(subjects) + f"\n\n{_trailers(wf.type, ids, action, actor)}"


def move(session: Session, rtype: str, ref: str, state: str, *, note: str | None = None) -> str:
    """The generic `move ID STATE`: the transition from the current state to STATE, through the
    type's own command when that step needs more than a history entry (e.g. a leave approval)."""
    wf = session.workflow(rtype)
    if state not in wf.states:
        raise BadInput(f"{state!r} is not a {rtype} state", f"states: {', '.join(wf.states)}")
    _, path = session.store.locate(ref, rtype)
    current = session.store.read(rtype, path).data or {}
    source = current.get("status")
    chosen = wf.find(source, state, None, current)
    if chosen is None:
        raise Refused(f"{rtype} {current.get('id')}: ILLEGAL_TRANSITION {source} → {state} "
                      f"({wf.explain(source, state, current)})")
    command = wf.commands.get(chosen.action)
    if command is not None:
        return command(session, ref, note=note)
    return transition(session, rtype, ref, chosen.action, target=state, note=note)
