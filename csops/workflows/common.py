"""Rows every record type's table has: the correction `amend` (docs/rules.md) — a history entry that
names each field it changes with its old and new value, never a silent edit."""

from __future__ import annotations

from csops.engine import Guard, Transition
from csops.i18n import _
from csops.vocab import UNAMENDABLE


def set_given(*names: str):
    """An effect that writes each of `names` the step was given into the record and its history
    entry (the entry says what the step set)."""
    def effect(doc, entry, params) -> None:
        for name in names:
            if params.get(name):
                doc[name] = params[name]
                entry[name] = params[name]
    return effect


def _amend_guard(step) -> str | None:
    changes = step.entry.get("changes")
    if not isinstance(changes, dict) or not changes:
        return _("history[{index}] is a correction without changes: {{FIELD: {{from: OLD, to: NEW}}}}",
                 index=step.index)
    for name, change in changes.items():
        if name in UNAMENDABLE:
            return _("{name} cannot be corrected (never: {names})", name=name, names=', '.join(UNAMENDABLE))
        if not isinstance(change, dict) or "to" not in change:
            return _("changes.{name} must say from: OLD and to: NEW", name=name)
    if step.entry.get("note") in (None, ""):
        return _('a correction needs its reason (--reason)')
    subject = step.rec.get("person")
    if subject and step.by == subject:
        return _("{by} may not correct a record about themselves", by=step.by)
    return None


def _plain(value):
    """A copy with plain dicts and lists: the same object written twice would become a YAML
    anchor and alias, which records may not contain."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _amend(doc, entry, params) -> None:
    changes = {}
    for name, new in params["set"].items():
        old = _plain(doc.get(name))
        if new is None:
            doc.pop(name, None)
        else:
            doc[name] = _plain(new)
        changes[name] = {"from": old, "to": _plain(new)}
    entry["changes"] = changes


AMEND = Transition("amend", ("*",), (), stays=True, guards=(Guard("BAD_CORRECTION", _amend_guard),),
                   effect=_amend, needs=("set",), command="<type> amend ID --set FIELD=VALUE --reason R", named=True)
