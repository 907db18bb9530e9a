"""Return commands 退货: register, move through the departments, issue vendor notes 退厂单."""

from __future__ import annotations

import re
import secrets

from csops import actions
from csops.errors import BadInput, Refused
from csops.money import money_text, parse_money
from csops.store import ID_ALPHABET
from csops.workflows.returns import AFTER_QC, already_refunded, awaiting_vendor

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


def judge(record: dict, judgements: dict[str, dict]) -> dict[str, tuple[int, int]]:
    """The QC check's verdict per item as (good, defective), every item judged and only the
    return's items; good + defective must equal the quantity."""
    known = {i.get("sku"): i for i in record.get("items") or [] if isinstance(i, dict)}
    unknown = sorted(set(judgements) - set(known))
    if unknown:
        raise BadInput(f"--item {unknown[0]}: not an item of return {record.get('id')} "
                       f"(items: {', '.join(map(str, known))})")
    missing = sorted(set(known) - set(judgements))
    if missing:
        raise Refused(f"return {record.get('id')}: the QC check must judge every item; missing {', '.join(map(str, missing))}")
    verdicts = {}
    for sku, item in known.items():
        counts, qty = dict(judgements[sku]), item["qty"]
        if len(counts) == 1:
            name = next(iter(counts))
            counts = {name: counts[name] if counts[name] is not None else qty}
        good = counts.get("good", qty - (counts.get("defective") or 0))
        bad = counts.get("defective", qty - (counts.get("good") or 0))
        if good is None or bad is None or good < 0 or bad < 0 or good + bad != qty:
            raise Refused(f"return {record.get('id')}: {sku}: good + defective must equal the {qty} received")
        verdicts[sku] = (good, bad)
    return verdicts


def move(session, ref, state, *, items=(), amount=None, tracking=None, note=None) -> str:
    """`return move ID STATE` with what each step needs."""
    judgements = parse_judgements(list(items)) if items else {}
    if items and state != "qc_checked":
        raise BadInput("--item SKU=good|defective belongs to the QC check (return move ID qc_checked)")
    if amount is not None and state != "refunded":
        raise BadInput("--amount belongs to the refund (return move ID refunded)")
    if tracking is not None and state != "reshipped":
        raise BadInput("--tracking belongs to the re-ship (return move ID reshipped)")
    params = {}
    if amount is not None:
        params["amount"] = money_text(parse_money(amount, what="--amount"))
    if tracking is not None:
        if not tracking.strip():
            raise BadInput("--tracking must not be empty")
        params["tracking"] = tracking.strip()
    wf = session.workflow("return")
    _, path = session.store.locate(ref, "return")
    current = session.store.read("return", path).data or {}
    if state == "qc_checked" and judgements:
        params["verdicts"] = judge(current, judgements)
    if state == "refunded" and (current.get("refund") or already_refunded(current)):
        raise Refused(f"return {current.get('id')} was already refunded; a return is refunded at most once")
    actions_to = sorted({t.action for t in wf.transitions if state in t.targets and t.sources})
    if not actions_to:
        raise BadInput(f"{state!r} is not a state a return moves to", f"states: {', '.join(wf.states[1:])}")
    row = wf.find(current.get("status"), state, None, current)
    action = row.action if row is not None else actions_to[0]
    return actions.transition(session, "return", ref, action, params=params, note=note)


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
