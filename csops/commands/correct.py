"""Corrections (docs/rules.md): `csops <type> amend ID --set FIELD=VALUE … --reason R` — an entry that
names each field with its old and new value, never a silent edit; re-checked like any step."""

from __future__ import annotations

from csops import actions, yamlio
from csops.errors import BadInput
from csops.i18n import _
from csops.money import money_text, parse_money
from csops.schema import Instant, Money, Number
from csops.timeutil import format_instant, parse_input
from csops.vocab import UNAMENDABLE


def parse_sets(session, rtype: str, values: list[str]) -> dict:
    """FIELD=VALUE → {field: value}, each value typed as the field is declared; a dotted FIELD
    (customer.contact) sets one key of a mapping field."""
    wf = session.workflow(rtype)
    _ignored, out = None, {}
    for value in values:
        name, sep, text = value.partition("=")
        name = name.strip()
        if not sep or not name:
            raise BadInput(_("--set {value!r}: write FIELD=VALUE, e.g. --set level=urgent", value=value))
        top, _ignored, sub = name.partition(".")
        if top in UNAMENDABLE:
            raise BadInput(_("--set {top}: {names} are never corrected", top=top, names=', '.join(UNAMENDABLE)))
        if top not in wf.fields:
            raise BadInput(_("--set {top}: a {rtype} has no such field", top=top, rtype=rtype),
                           _("fields: {names}", names=', '.join(sorted(wf.fields))))
        spec = wf.fields[top]
        typed = _typed(session, spec, text, f"--set {name}") if not sub else text
        out.setdefault(top, {})
        out[top] = {**out[top], sub: typed} if sub else typed
    if not out:
        raise BadInput(_('give at least one --set FIELD=VALUE'))
    return out


def _typed(session, spec, text: str, what: str):
    if text == "":
        return None                                    # FIELD= removes an optional field
    if isinstance(spec, Money):
        return money_text(parse_money(text, what=what, positive=False))
    if isinstance(spec, Instant):
        return format_instant(parse_input(text, session.tz, what=what), session.tz)
    if isinstance(spec, Number):
        value = yamlio.load(text, numbers=None) if len(text) < 40 else text
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadInput(_("{what}: {text!r} is not a number", what=what, text=text))
        return value
    return text


def amend(session, rtype: str, ref: str, sets: list[str], *, reason: str) -> str:
    if not (reason or "").strip():
        raise BadInput(_('--reason is required: a correction says why'))
    values = parse_sets(session, rtype, sets)
    path, current = actions.current_record(session, rtype, ref)
    for name, value in list(values.items()):
        if isinstance(value, dict) and isinstance(current.get(name), dict):
            values[name] = {**current[name], **value}
    if all(current.get(name) == value for name, value in values.items()):
        raise BadInput(_("{rtype} {id}: nothing to correct, the fields already have these values",
                         rtype=rtype, id=current.get('id')))
    return actions.transition(session, rtype, ref, "amend", params={"set": values}, note=reason.strip())
