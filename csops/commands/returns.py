"""Return commands 退货: register, move through the departments, issue vendor notes 退厂单."""

from __future__ import annotations

import re
import secrets

from csops import actions
from csops.errors import BadInput, Refused
from csops.money import money_text, parse_money
from csops.store import ID_ALPHABET
from csops.workflows.returns import AFTER_QC, awaiting_vendor

_ITEM = re.compile(r"^(?P<sku>[^:=\s]+):(?P<qty>-?\d+)$")


def parse_items(values: list[str]) -> list[dict]:
    items, seen = [], set()
    for value in values:
        match = _ITEM.match(value.strip())
        if not match:
            raise BadInput(f"--item {value!r}: write SKU:QTY, e.g. --item A100:2")
        qty = int(match["qty"])
        if not 0 < qty <= 100000:
            raise BadInput(f"--item {value!r}: the quantity must be a positive whole number (at most 100000)")
        if match["sku"] in seen:
            raise BadInput(f"--item {match['sku']} is given twice", "give each SKU once with its total")
        seen.add(match["sku"])
        items.append({"sku": match["sku"], "qty": qty})
    if not items:
        raise BadInput("a return needs at least one --item SKU:QTY")
    return items


def new(session, *, kind, order, customer, items, reason=None, resolution=None, note=None) -> str:
    fields = {"kind": kind, "order": order, "customer": customer, "items": parse_items(items)}
    if reason:
        fields["reason"] = reason
    if resolution:
        fields["resolution"] = resolution
    return actions.create(session, "return", fields, note=note)


def parse_judgements(values: list[str]) -> dict[str, dict]:
    """--item SKU=good | SKU=defective | SKU=good:2,defective:1"""
    out = {}
    for value in values:
        if "=" not in value:
            raise BadInput(f"--item {value!r}: at the QC check write SKU=good, SKU=defective or SKU=good:2,defective:1")
        sku, verdict = value.split("=", 1)
        counts = {}
        for part in verdict.split(","):
            name, _, number = part.partition(":")
            if name not in ("good", "defective") or (number and not number.isdigit()):
                raise BadInput(f"--item {value!r}: the verdict must be good or defective (optionally with counts)")
            counts[name] = int(number) if number else None
        out[sku] = counts
    return out


# The options of `return move`, as the parameters of the rows that take them.
_OPTIONS = {"judgements": "--item SKU=good|defective", "amount": "--amount", "tracking": "--tracking"}


def move(session, ref, state, *, items=(), amount=None, tracking=None, note=None) -> str:
    """`return move ID STATE`: the step to STATE, with the options its row takes (an option the
    row does not take is refused, naming the step that does)."""
    wf = session.workflow("return")
    rows = [t for t in wf.transitions if state in t.targets and t.sources]
    if not rows:
        raise BadInput(f"{state!r} is not a state a return moves to", f"states: {', '.join(wf.states[1:])}")
    params = {}
    if items:
        params["judgements"] = parse_judgements(list(items))
    if amount is not None:
        params["amount"] = money_text(parse_money(amount, what="--amount"))
    if tracking is not None:
        if not tracking.strip():
            raise BadInput("--tracking must not be empty")
        params["tracking"] = tracking.strip()
    for name in params:
        if not any(name in row.takes for row in rows):
            owner = next(t for t in wf.transitions if name in t.takes)
            raise BadInput(f"{_OPTIONS[name]} belongs to the {owner.action} step (return move ID {owner.targets[0]})")
    return actions.transition(session, "return", ref, rows[0].action, params=params, note=note, target=state)


def vendor(session, *, supplier: str, refs: list[str], note=None) -> tuple[str, list[dict]]:
    """Issue one return-to-vendor note (退厂单) for defective items not yet sent back."""
    if not supplier.strip():
        raise BadInput("--supplier must not be empty")
    if refs:
        candidates = [session.store.read("return", session.store.locate(r, "return")[1]) for r in refs]
    else:
        candidates = session.ctx.records("return")
    number = f"V-{session.now.astimezone(session.tz):%Y%m%d}-" + "".join(secrets.choice(ID_ALPHABET) for _ in range(4))
    lines, steps = [], []
    for rec in candidates:
        data = rec.data if isinstance(rec.data, dict) else {}
        if data.get("status") not in AFTER_QC:
            if refs:
                raise Refused(f"return {data.get('id')} is {data.get('status')}: only returns past the QC check "
                              "have defective stock to send back")
            continue
        owed = [{"sku": sku, "qty": qty} for sku, qty in awaiting_vendor(data).items()]
        if not owed:
            if refs:
                raise Refused(f"return {data.get('id')} has no defective items waiting for a vendor note")
            continue
        lines.extend({"return": data["id"], **line} for line in owed)
        steps.append(actions.Step(data["id"], "vendor", {"number": number, "supplier": supplier, "items": owed}, note))
    if not steps:
        raise Refused("no defective items are waiting for a vendor note")
    actions.transition_many(session, "return", steps)
    return number, lines
