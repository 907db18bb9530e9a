"""Return commands 退货: register, move through the departments, issue vendor notes 退厂单."""

from __future__ import annotations

import re
import secrets

from csops import actions
from csops.errors import BadInput, Refused
from csops.money import money_text, parse_money
from csops.store import ID_ALPHABET
from csops.workflows.returns import AFTER_QC, owed_to_vendor, supplier_of

_ITEM = re.compile(r"^(?P<sku>[^:=@\s]+):(?P<qty>-?\d+)(?:@(?P<supplier>.*))?$")


def parse_items(values: list[str], policy=None) -> list[dict]:
    """--item SKU:QTY or SKU:QTY@SUPPLIER; without a supplier, the policy's SKU prefix names it."""
    items, seen = [], set()
    for value in values:
        match = _ITEM.match(value.strip())
        if not match:
            raise BadInput(f"--item {value!r}: write SKU:QTY or SKU:QTY@SUPPLIER, e.g. --item A100:2")
        if match["supplier"] is not None and not match["supplier"].strip():
            raise BadInput(f"--item {value!r}: name the supplier after @, or leave the @ out")
        qty = int(match["qty"])
        if not 0 < qty <= 100000:
            raise BadInput(f"--item {value!r}: the quantity must be a positive whole number (at most 100000)")
        if match["sku"] in seen:
            raise BadInput(f"--item {match['sku']} is given twice", "give each SKU once with its total")
        seen.add(match["sku"])
        item = {"sku": match["sku"], "qty": qty}
        supplier = (match["supplier"] or "").strip() or (supplier_of(item, policy) if policy else None)
        if supplier:
            item["supplier"] = supplier
        items.append(item)
    if not items:
        raise BadInput("a return needs at least one --item SKU:QTY")
    return items


def new(session, *, kind, order, customer, items, reason=None, resolution=None, contact=None, links=(),
        note=None) -> str:
    from csops.commands.ticket import link_ids

    fields = {"kind": kind, "order": order, "customer": customer, "items": parse_items(items, session.policy)}
    if contact:
        fields["contact"] = contact.strip()
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


def parse_counts(values: list[str]) -> dict[str, int]:
    """--item SKU=N at the receipt: how many arrived."""
    out = {}
    for value in values:
        sku, _, number = value.partition("=")
        if not sku or not number.strip().isdigit() or int(number) > 100000:
            raise BadInput(f"--item {value!r}: at the receipt write SKU=N, the number that arrived (e.g. A100=2)")
        if sku in out:
            raise BadInput(f"--item {sku} is given twice", "give each SKU once")
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
        raise BadInput(f"{state!r} is not a state a return moves to", f"states: {', '.join(wf.states[1:])}")
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
            raise BadInput("--tracking must not be empty")
        params["tracking"] = tracking.strip()
    for name in params:
        if not any(name in row.takes for row in rows):
            owner = next(t for t in wf.transitions if name in t.takes)
            raise BadInput(f"{_OPTIONS[name]} belongs to the {owner.action} step (return move ID {owner.targets[0]})")
    return actions.transition(session, "return", ref, rows[0].action, params=params, note=note, target=state)


def vendor(session, *, supplier: str, refs: list[str], note=None) -> tuple[str, list[dict], int]:
    """Issue one return-to-vendor note (退厂单) for the supplier's defective items not yet sent
    back: without ids, every return's items of that supplier; with ids, those returns' items of
    that supplier or of none known. Returns the note number, its lines and how many outstanding
    items were left out because nobody knows their supplier."""
    supplier = supplier.strip()
    if not supplier:
        raise BadInput("--supplier must not be empty")
    if refs:
        candidates = [actions.current_record(session, "return", r)[1] for r in refs]
    else:
        candidates = [rec.data for rec in session.ctx.records("return")]
    number = f"V-{session.now.astimezone(session.tz):%Y%m%d}-" + "".join(secrets.choice(ID_ALPHABET) for _ in range(4))
    lines, steps, unknown, elsewhere = [], [], 0, set()
    for data in candidates:
        if data.get("status") not in AFTER_QC:
            if refs:
                raise Refused(f"return {data.get('id')} is {data.get('status')}: only returns past the QC check "
                              "have defective stock to send back")
            continue
        outstanding = owed_to_vendor(data, session.policy)
        if refs and not outstanding:
            raise Refused(f"return {data.get('id')} has no defective items waiting for a vendor note")
        owed = []
        for line in outstanding:
            if line["supplier"] == supplier or (line["supplier"] is None and refs):
                owed.append({"sku": line["sku"], "qty": line["qty"]})
            elif line["supplier"] is None:
                unknown += 1
            else:
                elsewhere.add(line["supplier"])
        if refs and not owed:
            raise Refused(f"return {data.get('id')}: its defective items go back to {', '.join(sorted(elsewhere))}, "
                          f"not {supplier}", "issue one note per supplier")
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
