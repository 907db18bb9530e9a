"""Return commands 退货: register, move through the departments, issue vendor notes 退厂单."""

from __future__ import annotations

import re

from csops import actions, store
from csops.errors import BadInput, Refused
from csops.i18n import _
from csops.money import money_text, parse_money
from csops.workflows.returns import AFTER_QC, owed_to_vendor, supplier_of

_ITEM = re.compile(r"^(?P<sku>[^:=@\s]+):(?P<qty>-?\d+)(?:@(?P<supplier>.*))?$")


def parse_items(values: list[str], policy=None) -> list[dict]:
    """--item SKU:QTY or SKU:QTY@SUPPLIER; without a supplier, the policy's SKU prefix names it."""
    items, seen = [], set()
    for value in values:
        match = _ITEM.match(value.strip())
        if not match:
            raise BadInput(_("--item {value!r}: write SKU:QTY or SKU:QTY@SUPPLIER, e.g. --item A100:2", value=value))
        if match["supplier"] is not None and not match["supplier"].strip():
            raise BadInput(_("--item {value!r}: name the supplier after @, or leave the @ out", value=value))
        qty = int(match["qty"])
        if not 0 < qty <= 100000:
            raise BadInput(_("--item {value!r}: the quantity must be a positive whole number (at most 100000)",
                             value=value))
        if match["sku"] in seen:
            raise BadInput(_("--item {sku} is given twice", sku=match['sku']), _('give each SKU once with its total'))
        seen.add(match["sku"])
        item = {"sku": match["sku"], "qty": qty}
        supplier = (match["supplier"] or "").strip() or (supplier_of(item, policy) if policy else None)
        if supplier:
            item["supplier"] = supplier
        items.append(item)
    if not items:
        raise BadInput(_('a return needs at least one --item SKU:QTY'))
    return items


def new(session, *, kind, order, customer, items, reason=None, resolution=None, contact=None, links=(),
        note=None) -> str:
    from csops.commands.ticket import checked_contact, link_ids

    contact = checked_contact(contact)
    fields = {"kind": kind, "order": order, "customer": customer, "items": parse_items(items, session.policy)}
    if contact:
        fields["contact"] = contact
    if links:
        fields["links"] = link_ids(session, links)
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
            raise BadInput(_("--item {value!r}: at the QC check write SKU=good, SKU=defective or "
                             "SKU=good:2,defective:1",
                             value=value))
        sku, verdict = value.split("=", 1)
        counts = {}
        for part in verdict.split(","):
            name, _ignored, number = part.partition(":")
            if name not in ("good", "defective") or (number and not number.isdigit()):
                raise BadInput(_("--item {value!r}: the verdict must be good or defective (optionally with counts)",
                                 value=value))
            counts[name] = int(number) if number else None
        out[sku] = counts
    return out


def parse_counts(values: list[str]) -> dict[str, int]:
    """--item SKU=N at the receipt: how many arrived."""
    out = {}
    for value in values:
        sku, _ignored, number = value.partition("=")
        if not sku or not number.strip().isdigit() or int(number) > 100000:
            raise BadInput(_("--item {value!r}: at the receipt write SKU=N, the number that arrived (e.g. A100=2)",
                             value=value))
        if sku in out:
            raise BadInput(_("--item {sku} is given twice", sku=sku), _('give each SKU once'))
        out[sku] = int(number)
    return out


# The options of `return move`, as the parameters of the rows that take them.
_OPTIONS = {"judgements": "--item SKU=good|defective", "counts": "--item SKU=N", "amount": "--amount",
            "tracking": "--tracking", "freight": "--freight"}


def move(session, ref, state, *, items=(), amount=None, tracking=None, freight=None, note=None) -> str:
    """`return move ID STATE`: the step to STATE, with the options its row takes (an option the
    row does not take is refused, naming the step that does)."""
    wf = session.workflow("return")
    rows = [t for t in wf.transitions if state in t.targets and t.sources]
    if not rows:
        raise BadInput(_("{state!r} is not a state a return moves to",
                         state=state), _("states: {names}", names=', '.join(wf.states[1:])))
    params = {}
    if items:
        if any("counts" in row.takes for row in rows):
            params["counts"] = parse_counts(list(items))
        else:
            params["judgements"] = parse_judgements(list(items))
    if amount is not None:
        params["amount"] = money_text(parse_money(amount, what="--amount"))
    if freight is not None:
        params["freight"] = money_text(parse_money(freight, what="--freight"))
    if tracking is not None:
        if not tracking.strip():
            raise BadInput(_('--tracking must not be empty'))
        params["tracking"] = tracking.strip()
    for name in params:
        if not any(name in row.takes for row in rows):
            owner = next(t for t in wf.transitions if name in t.takes)
            raise BadInput(_("{option} belongs to the {action} step (return move ID {state})",
                             option=_OPTIONS[name], action=owner.action, state=owner.targets[0]))
    if state == "refunded" and ("tracking" in params or "freight" in params):
        _path, current = actions.current_record(session, "return", ref)
        if not any(isinstance(i, dict) and isinstance(i.get("good"), int) and i["good"] > 0
                   for i in current.get("items") or []):
            raise BadInput(_("{option}: {ref} has no good items to send back; the refund step does not use it",
                             option="--tracking" if "tracking" in params else "--freight", ref=ref))
    return actions.transition(session, "return", ref, rows[0].action, params=params, note=note, target=state)


def vendor(session, *, supplier: str, refs: list[str], note=None) -> tuple[str, list[dict], int]:
    """Issue one return-to-vendor note (退厂单) for the supplier's defective items not yet sent
    back: without ids, every return's items of that supplier; with ids, those returns' items of
    that supplier or of none known. Returns the note number, its lines and how many outstanding
    items were left out because nobody knows their supplier."""
    supplier = supplier.strip()
    if not supplier:
        raise BadInput(_('--supplier must not be empty'))
    if refs:
        candidates = [actions.current_record(session, "return", r)[1] for r in refs]
    else:
        candidates = [rec.data for rec in session.ctx.records("return")]
    number = f"V-{session.now.astimezone(session.tz):%Y%m%d}-" + store.random_text(4)
    lines, steps, unknown, elsewhere = [], [], 0, set()
    for data in candidates:
        if data.get("status") not in AFTER_QC:
            if refs:
                raise Refused(_("return {id} is {status}: only returns past the QC check have defective stock to "
                                "send back",
                                id=data.get('id'), status=data.get('status')))
            continue
        outstanding = owed_to_vendor(data, session.policy)
        if refs and not outstanding:
            raise Refused(_("return {id} has no defective items waiting for a vendor note", id=data.get('id')))
        owed = []
        for line in outstanding:
            if line["supplier"] == supplier or (line["supplier"] is None and refs):
                owed.append({"sku": line["sku"], "qty": line["qty"]})
            elif line["supplier"] is None:
                unknown += 1
            else:
                elsewhere.add(line["supplier"])
        if refs and not owed:
            raise Refused(_("return {id}: its defective items go back to {names}, not {supplier}",
                            id=data.get('id'), names=', '.join(sorted(elsewhere)), supplier=supplier), _("issue one "
                                                                                                         "note per "
                                                                                                         "supplier"))
        if not owed:
            continue
        lines.extend({"return": data["id"], **line} for line in owed)
        steps.append(actions.Step(data["id"], "vendor", {"number": number, "supplier": supplier, "items": owed}, note))
    if not steps:
        raise Refused(f"no defective items of {supplier} are waiting for a vendor note"
                      + (f" ({unknown} with no known supplier: name the returns, or map their SKUs in "
                         "policy returns.suppliers)" if unknown else ""))
    actions.transition_many(session, "return", steps)
    return number, lines, unknown
