"""The library API for changing records: create records, make transitions, write a roster or
policy file.

Every change is: take the repository lock → read the clock → read the record → apply the
workflow row (its target, its effect) → re-read what would be written with the bulk loader and
check it with the same rules validate uses → one journaled commit (csops.txn) authored by the
acting person. Anything failing before the commit point leaves no file changed and no commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from csops import txn, yamlio
from csops.engine import Workflow, check_record, unusable
from csops.errors import BadInput, Conflict, Refused
from csops.gitlog import blob_id
from csops.i18n import _
from csops.problems import Problems
from csops.session import Session
from csops.store import Rec
from csops.templates import template_text
from csops.timeutil import format_instant
from csops.versions import advance


class Step(NamedTuple):
    """One transition asked for: on which record, which action, with what."""
    ref: str
    action: str
    params: Mapping = MappingProxyType({})      # read only: a step's parameters are never changed
    note: str | None = None
    backfill: str | None = None
    target: str | None = None        # the state asked for (return move ID STATE)


def _writing(session: Session, build):
    """Under the repository lock, with the clock read after taking it: `build(now)` returns
    (changes, message, author, result); the changes are committed as one commit."""
    git = session.git
    git.ask_signing()                  # answered while the change is built
    with txn.repository_lock(git.git_dir):
        txn.refuse_leftovers_locked(git)
        now = session.read_clock()
        _refuse_skew(session, now)
        changes, message, author, result = build(now)
        started = session.real_clock() if session.real_clock is not None else now
        landed = txn.commit_files(git, changes, message, author, now, started=started)
    advance(git, landed, [git.rel(change.path) for change in changes])
    git.after_commit()
    return result


def create(session: Session, rtype: str, fields: dict, *, note: str | None = None) -> str:
    """A new record of `rtype` from its commented skeleton, in its initial state."""
    return create_many(session, rtype, [fields], note=note)[0]


def create_many(session: Session, rtype: str, many: list[dict], *, note: str | None = None,
                subject: str | None = None) -> list[str]:
    """Several new records of one type in one commit (e.g. the events `score derive` finds)."""
    wf, actor = session.workflow(rtype), session.actor

    def build(now):
        changes, ids, subjects = _created(session, rtype, many, now, note)
        message = _commit_message(wf, ids, subjects, "create", actor, subject or f"{rtype}: {len(ids)} new records")
        return changes, message, actor.author, ids

    return _writing(session, build)


def create_and_transition(session: Session, rtype: str, many: list[dict], steps: list[Step], *,
                          subject: str) -> tuple[list[str], list[str]]:
    """New records and transitions of others, of one type, in one commit (`score derive`: the
    events found, and the ones no longer proven retracted). Returns (new ids, changed ids)."""
    wf, actor = session.workflow(rtype), session.actor

    def build(now):
        changes, ids, subjects = _created(session, rtype, many, now, None) if many else ([], [], [])
        moved, moved_ids, moved_subjects = _transitioned(session, rtype, steps, now) if steps else ([], [], [])
        message = _commit_message(wf, ids + moved_ids, subjects + moved_subjects, "create" if ids else
                                  steps[0].action, actor, subject)
        return changes + moved, message, actor.author, (ids, moved_ids)

    return _writing(session, build)


def _created(session: Session, rtype: str, many: list[dict], now, note: str | None):
    """(changes, ids, commit subjects) of new records made from `many` field sets."""
    wf, actor = session.workflow(rtype), session.actor
    at, ids, changes, day = format_instant(now, session.tz), [], [], now.astimezone(session.tz).date()
    for _fields in many:
        record_id = session.store.new_id(rtype, day)
        while record_id in ids:
            record_id = session.store.new_id(rtype, day)
        ids.append(record_id)
    paths = [session.store.canonical_path(rtype, record_id) for record_id in ids]
    session.git.read_ahead(paths)                    # Git reads what the commit needs meanwhile
    template = template_text(f"{rtype}.yaml")
    for fields, record_id, path in zip(many, ids, paths):
        doc = yamlio.rt_load(template)
        doc["id"] = record_id
        doc["status"] = wf.initial
        doc["created"] = at
        doc["created_by"] = actor.id
        for key, value in fields.items():
            doc[key] = value
        for key in [k for k, v in doc.items() if v is None]:
            del doc[key]  # unfilled optional fields stay out of the file
        entry = {"at": at, "by": actor.id, "to": wf.initial}
        if note:
            entry["note"] = note
        if session.backfill:
            entry["backfill"] = session.backfill
        doc["history"] = [entry]
        changes.append(txn.Change(path, _checked_text(session, wf, doc, path, step=0), None))
    return changes, ids, [_subject(wf, i, None, wf.initial, "create") for i in ids]


def transition(session: Session, rtype: str, ref: str, action: str, *, params: dict | None = None,
               note: str | None = None, backfill: str | None = None, target: str | None = None) -> str:
    """Apply `action` to a record (the row's own decision picks the target; `target` says which
    state the user asked for, so the row that leads there is taken)."""
    return transition_many(session, rtype, [Step(ref, action, params or {}, note, backfill, target)])[0]


def current_record(session: Session, rtype: str, ref: str) -> tuple[Path, dict]:
    """The record a command is about to act on: (path, fields), refused with its file and line
    when its fields are not well formed (the rules cannot be applied to them)."""
    path, data = session.store.current(ref, rtype)
    _usable(session, rtype, path, data)
    return path, data


def _usable(session: Session, rtype: str, path: Path, data) -> None:
    why = unusable(Rec(rtype, path, data), session.workflow(rtype), session.ctx)
    if why is not None:
        line, message = why
        raise BadInput(f"{session.store.display(path)}:{line or 1}: {message}",
                       _('fix the file (csops validate shows every problem), then try again'))


def transition_many(session: Session, rtype: str, steps: list[Step]) -> list[str]:
    """Several transitions (on different records) in one commit — e.g. one vendor note."""
    wf, actor = session.workflow(rtype), session.actor

    def build(now):
        changes, ids, subjects = _transitioned(session, rtype, steps, now)
        action = steps[0].action
        message = _commit_message(wf, ids, subjects, action, actor, f"{rtype}: {action} {len(ids)} records")
        return changes, message, actor.author, ids

    return _writing(session, build)


def _transitioned(session: Session, rtype: str, steps: list[Step], now):
    """(changes, ids, commit subjects) of `steps` applied to their records."""
    wf, actor = session.workflow(rtype), session.actor
    at = format_instant(now, session.tz)
    changes, ids, subjects = [], [], []
    for step in steps:
        _ignored, path = session.store.locate(step.ref, rtype)
        if not changes:
            session.git.read_ahead([path])           # Git reads what the commit needs meanwhile
        if any(c.path == path for c in changes):
            raise BadInput(_("{ref}: the same {rtype} is named twice", ref=step.ref, rtype=rtype))
        raw = path.read_bytes()                      # read once: what is checked is what is changed
        base = _committed_blob(session, path, raw)
        try:
            current = yamlio.load(raw)                # refuses what is not UTF-8 (or too big, deep, …)
        except yamlio.YamlError as exc:
            raise BadInput(f"{session.store.display(path)}:{exc.line or 1}: {exc.code} {exc.message}",
                           _('fix the file (csops validate shows every problem), then try again')) from None
        text = raw.decode("utf-8")
        _usable(session, rtype, path, current)
        record_id, source = current.get("id"), current.get("status")
        row = wf.by_action(step.action, source, current)
        if row is not None and step.target and not row.leads(source, step.target):
            row = None
        if row is None:
            wanted = step.target or next((t.targets[0] for t in wf.transitions
                                          if t.action == step.action and t.targets), step.action)
            raise Refused(_("{rtype} {record_id}: ILLEGAL_TRANSITION cannot {action} ({source} → {wanted}: "
                            "{why})",
                            rtype=rtype, record_id=record_id, action=step.action, source=source, wanted=wanted,
                            why=wf.explain(source, wanted, current, step.action)))
        params = {**step.params, "by": actor.id, "at": at}
        if row.complete is not None:
            params = row.complete(current, params, session.ctx)
        missing = [name for name in row.needs if params.get(name) in (None, "", [], {})]
        if missing:
            raise BadInput(_("{rtype} {record_id}: {action} needs {names}",
                             rtype=rtype, record_id=record_id, action=step.action, names=', '.join(missing)),
                           _("use csops {command}", command=row.command) if row.command else None)
        target = row.target_for(current, params, session.ctx)
        doc = yamlio.rt_load(text)
        entry = {"at": at, "by": actor.id}
        if source is not None:
            entry["from"] = source
        entry["to"] = target
        if wf.names_action(source, target, row.action, current):
            entry["action"] = row.action
        if step.note:
            entry["note"] = step.note
        if step.backfill or session.backfill:
            entry["backfill"] = step.backfill or session.backfill
        if row.effect is not None:
            row.effect(doc, entry, params)
        _convert_legacy_amounts(doc)
        doc["status"] = target
        doc["history"].append(entry)
        changes.append(txn.Change(path, _checked_text(session, wf, doc, path, step=len(doc["history"]) - 1),
                                  base))
        ids.append(record_id)
        subjects.append(_subject(wf, record_id, source, target, row.action) + _why(entry, step.note))
    return changes, ids, subjects


def _why(entry: dict, note: str | None) -> str:
    """What a reader of `git log` wants besides the transition: a correction's fields (old → new)
    and the reason or note given — on the lines after the subject."""
    said = []
    changes = entry.get("changes") if isinstance(entry.get("changes"), dict) else {}
    for name, change in changes.items():
        if isinstance(change, dict):
            said.append(f"{name}: {change.get('from')} → {change.get('to')}")
    if note and note.strip():
        said.append(note.strip())
    return "\n" + "; ".join(said) if said else ""


def move(session: Session, rtype: str, ref: str, state: str, *, note: str | None = None) -> str:
    """The generic `move ID STATE`: the transition from the current state to STATE. A step whose
    row needs parameters `move` cannot give is refused with the command that gives them."""
    wf = session.workflow(rtype)
    if state not in wf.states:
        raise BadInput(_("{state!r} is not a {rtype} state",
                         state=state, rtype=rtype), _("states: {names}", names=', '.join(wf.states)))
    path, current = current_record(session, rtype, ref)
    source = current.get("status")
    chosen = wf.find(source, state, None, current)
    if chosen is None:
        raise Refused(_("{rtype} {id}: ILLEGAL_TRANSITION {source} → {state} ({why})", rtype=rtype,
                        id=current.get('id'), source=source, state=state, why=wf.explain(source, state, current)))
    return transition(session, rtype, ref, chosen.action, note=note)


def save_file(session: Session, path: Path, text: str, message: str, author, *, new: bool) -> Path:
    """Write and commit one file that is not a record (a person, the policy); `new` refuses to
    overwrite an existing file."""
    def build(now):
        session.git.read_ahead([path])
        if new and path.exists():
            raise Refused(_("{file} already exists", file=session.store.display(path)))
        base = None if new else _committed_blob(session, path, path.read_bytes())
        yamlio.load(text)
        return [txn.Change(path, text, base)], message, author, path

    return _writing(session, build)


def write_new(session: Session, files: list[tuple[Path, str]], message: str, author=None) -> None:
    """New files — records built and checked elsewhere (an import), or people — in one commit by
    the acting person (or `author`); refused when one of them exists by the time the lock is held.
    The texts are the callers' checked YAML."""
    def build(now):
        session.git.read_ahead([path for path, _text in files])
        changes = []
        for path, text in files:
            if path.exists():
                raise Refused(_("{file} already exists", file=session.store.display(path)))
            changes.append(txn.Change(path, text, None))
        return changes, message, author or session.actor.author, None

    _writing(session, build)


def edit_files(session: Session, edits: dict, message: str, author):
    """Write and commit several files that are not records (the duty roster's months) in one
    commit: each edit gets the file's current text (None when it does not exist yet), read under
    the lock, and returns the new text — so two writers never overwrite each other."""
    def build(now):
        changes = []
        session.git.read_ahead(list(edits))
        for path, edit in edits.items():
            current = path.read_bytes() if path.exists() else None
            if current is not None:
                try:
                    yamlio.load(current, limit=yamlio.POLICY_BYTES)
                except yamlio.YamlError as exc:
                    raise BadInput(f"{session.store.display(path)}:{exc.line or 1}: {exc.code} {exc.message}",
                                   _('fix the file (csops validate shows every problem), then try again')) from None
            text = edit(current.decode("utf-8") if current is not None else None)
            if current is not None and text.encode("utf-8") == current:
                continue                                   # this file already says so
            yamlio.load(text)
            changes.append(txn.Change(path, text, None if current is None else _committed_blob(session, path, current)))
        if not changes:
            raise BadInput(_('nothing to change: the roster already says so'))
        return changes, message, author, list(edits)

    return _writing(session, build)


def _refuse_skew(session: Session, now) -> None:
    """With policy audit.clock_skew_hours, a change dated far from the real time is refused
    unless it says it is a backfill (validate --history would report it as CLOCK_SKEW)."""
    skew = session.policy_file.section("audit").get("clock_skew_hours")   # the audit: today's settings
    if not skew or session.backfill or session.real_clock is None:
        return
    import datetime as dt

    real = session.real_clock()
    if now > real + dt.timedelta(minutes=5) or (real - now) > dt.timedelta(hours=float(skew)):
        raise Refused(_("CLOCK_SKEW --now {now} is {gap:.1f} h from the real time (audit.clock_skew_hours {skew})",
                        now=format_instant(now, session.tz), gap=abs(real - now).total_seconds() / 3600, skew=skew),
                      _('record it late with --backfill REASON (supervisor and above), or drop --now'))


def _checked_text(session: Session, wf: Workflow, doc, path: Path, step: int) -> str:
    """The text that would be written, re-read with the bulk loader (and the pure one), and
    checked by the same rules validate applies; refused with the first problem."""
    text = yamlio.rt_dump(doc)
    plain = yamlio.load(text)
    if yamlio.load(text, loader=yamlio.PureLoader) != plain:  # pragma: no cover - loader disagreement
        raise Conflict(_("{type} {id}: the C and pure YAML loaders read the new text differently",
                         type=wf.type, id=doc.get('id')))
    for key, value in _typed_text(doc):          # every character typed comes back (NEL, LS, PS…)
        if _at(plain, key) != value:
            raise Conflict(_("{type} {id}: {field} would not read back as written ({value!r})",
                             type=wf.type, id=doc.get('id'), field=".".join(map(str, key)), value=value))
    problems = Problems()
    check_record(plain, wf, session.ctx, problems, session.store.display(path), only_step=step)
    for check in wf.cross_checks:
        check(plain, session.ctx, problems, session.store.display(path))
    errors = [p for p in problems if not p.is_warning]
    if errors:
        first = errors[0]
        hint = f" ({first.hint})" if first.hint else ""
        raise Refused(f"{wf.type} {doc.get('id')}: {first.code} {first.message}{hint}")
    wf.duties(plain, session.ctx)      # what it now owes, by when: a year without holidays is named
    return text


def _typed_text(node, key: tuple = ()):
    """(key path, text) of every text this command put into the document (plain `str`; what
    ruamel read from the file has its own string types)."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield from _typed_text(value, (*key, name))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _typed_text(value, (*key, index))
    elif type(node) is str:
        yield key, node


def _at(data, key: tuple):
    for part in key:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _convert_legacy_amounts(doc) -> None:
    """Round-1 amounts stored as numbers become decimal strings on the record's next write."""
    from csops.money import is_legacy, money_text, stored_amount

    holders = [(doc, "fine")]
    if isinstance(doc.get("refund"), dict):
        holders.append((doc["refund"], "amount"))
    for holder, key in holders:
        if is_legacy(holder.get(key)) and stored_amount(holder[key]) is not None:
            holder[key] = money_text(stored_amount(holder[key]))


def _committed_blob(session: Session, path: Path, raw: bytes) -> str:
    """The blob a record has in the last commit; refused when the file differs from it: that is
    someone's unfinished edit, which csops must not commit along. (CRLF line ends, as a Windows
    clone with core.autocrlf checks files out, are the same content.)"""
    committed = session.git.committed_blob(path)
    if committed is None or committed not in (blob_id(raw), blob_id(raw.replace(b"\r\n", b"\n"))):
        raise Conflict(_("{file} has uncommitted changes", file=session.store.display(path)),
                       _('commit them (git commit) or discard them (git checkout -- FILE) first'))
    return committed


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
        subject, _nl, why = subjects[0].partition("\n")
        return f"{subject}\n\n" + (f"{why}\n\n" if why else "") + _trailers(wf.type, ids, action, actor)
    lines = [subject.replace("\n", " — ") for subject in subjects]
    return f"{headline}\n\n" + "\n".join(lines) + f"\n\n{_trailers(wf.type, ids, action, actor)}"

