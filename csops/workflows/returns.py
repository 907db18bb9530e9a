"""Returns 退货 (SPEC §4, 电商售后的退货流程规范): self-returns 自退件, in-transit returns 在途退件 and
refusals 拒收件, moving between customer service, warehouse, QC, finance and purchasing so that
goods and information travel together. Quantities are conserved: per item good + defective =
received, vendor notes never exceed the defective quantity, a return is refunded at most once.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections import Counter

from csops import actions
from csops.engine import Guard, Obligation, Transition, Workflow
from csops.errors import BadInput, Refused
from csops.schema import Enum, Instant, List, Map, Number, PersonRef, Str, decimals_of
from csops.store import ID_ALPHABET
from csops.timeutil import format_instant, try_instant

KINDS = ("self", "transit", "refused")
RESULTS = ("good", "defective", "mixed")
AFTER_QC = ("qc_checked", "refunded", "exchanged", "closed")


def _kind(*kinds):
    return lambda rec: rec.get("kind") in kinds


def _qc_guard(step) -> str | None:
    for i, item in enumerate(step.rec.get("items") or []):
        if isinstance(item, dict) and (item.get("good") is None or item.get("defective") is None):
            return f"the QC check must judge every item: items[{i}] ({item.get('sku')}) has no good/defective count"
    return None


def _refund_guard(step) -> str | None:
    refund = step.rec.get("refund")
    if not isinstance(refund, dict) or refund.get("amount") is None:
        return "a refund needs an amount (--amount)"
    refunds = sum(1 for e in step.rec.get("history") or [] if e.get("to") == "refunded")
    if refunds > 1:
        return "a return is refunded at most once"
    return None


def _reship_guard(step) -> str | None:
    if not step.rec.get("tracking"):
        return "a re-ship needs the new tracking number (--tracking)"
    return None


def _vendor_guard(step) -> str | None:
    at = step.entry.get("at")
    if not any(isinstance(n, dict) and n.get("at") == at for n in step.rec.get("vendor_notes") or []):
        return f"history[{step.index}] records a vendor note but vendor_notes has none at {at}"
    return None


QC = Guard("QC_INCOMPLETE", _qc_guard)
REFUND = Guard("BAD_REFUND", _refund_guard)
RESHIP = Guard("NO_TRACKING", _reship_guard)
VENDOR = Guard("BAD_VENDOR_NOTE", _vendor_guard)

TRANSITIONS = (
    Transition("request", (), "requested"),
    Transition("approve", ("requested",), "approved", when=_kind("self"),
               why_not="only a self-return is approved; in-transit and refused parcels go straight to the warehouse"),
    Transition("receive", ("approved",), "received", when=_kind("self")),
    Transition("receive", ("requested",), "received", when=_kind("transit", "refused"),
               why_not="a self-return must be approved by customer service before the warehouse receives it"),
    Transition("inspect", ("received",), "inspected", when=_kind("self", "refused"),
               why_not="an in-transit parcel is re-shipped, not inspected"),
    Transition("qc_check", ("inspected",), "qc_checked", guards=(QC,), when=_kind("self"),
               why_not="only self-returns go through the QC check"),
    Transition("refund", ("qc_checked",), "refunded", guards=(REFUND,), when=_kind("self")),
    Transition("refund", ("inspected",), "refunded", guards=(REFUND,), when=_kind("refused"),
               why_not="a self-return is refunded only after the QC check"),
    Transition("exchange", ("qc_checked",), "exchanged", when=_kind("self")),
    Transition("reship", ("received",), "reshipped", guards=(RESHIP,), when=_kind("transit"),
               why_not="only in-transit parcels are re-shipped"),
    Transition("close", ("refunded", "exchanged", "reshipped"), "closed"),
    *(Transition("vendor", (state,), state, guards=(VENDOR,)) for state in AFTER_QC),
)


def sent_to_vendor(rec: dict) -> Counter:
    sent = Counter()
    for note in rec.get("vendor_notes") or []:
        for line in (note.get("items") or []) if isinstance(note, dict) else []:
            if isinstance(line, dict) and isinstance(line.get("qty"), int):
                sent[line.get("sku")] += line["qty"]
    return sent


def defective(rec: dict) -> Counter:
    out = Counter()
    for item in rec.get("items") or []:
        if isinstance(item, dict) and isinstance(item.get("defective"), int):
            out[item.get("sku")] += item["defective"]
    return out


def _check_quantities(rec, ctx, out, path):
    skus = Counter()
    for i, item in enumerate(rec.get("items") or []):
        if not isinstance(item, dict):
            continue
        skus[item.get("sku")] += 1
        good, bad, qty = item.get("good"), item.get("defective"), item.get("qty")
        if (good is None) != (bad is None):
            out.add(path, "QUANTITY", f"items[{i}]: give both good and defective counts", key=("items", i))
        elif good is not None and isinstance(qty, int) and all(isinstance(x, int) for x in (good, bad)):
            if good < 0 or bad < 0 or good + bad != qty:
                out.add(path, "QUANTITY", f"items[{i}] {item.get('sku')}: good {good} + defective {bad} ≠ received {qty}",
                        key=("items", i))
    for sku, count in skus.items():
        if count > 1:
            out.add(path, "QUANTITY", f"item {sku} is listed {count} times", "list each SKU once with its total", key=("items",))
    have = defective(rec)
    for sku, qty in sent_to_vendor(rec).items():
        if qty > have.get(sku, 0):
            out.add(path, "QUANTITY", f"vendor notes send back {qty} × {sku} but only {have.get(sku, 0)} are defective",
                    key=("vendor_notes",))
    refund = rec.get("refund")
    if isinstance(refund, dict) and rec.get("status") not in ("refunded", "closed") and not any(
            e.get("to") == "refunded" for e in rec.get("history") or []):
        out.add(path, "BAD_REFUND", "refund is filled in but the return was never refunded", key=("refund",))


def _entry_time(rec: dict, state: str, tz) -> dt.datetime | None:
    for entry in reversed(rec.get("history") or []):
        if entry.get("to") == state and entry.get("from") != state:
            return try_instant(entry.get("at"), tz)
    return None


def _same_working_day_close(moment: dt.datetime, cal) -> dt.datetime:
    day = cal.local_date(moment)
    if cal.is_working_day(day) and moment <= cal.end_of_working_day(day):
        return cal.end_of_working_day(day)
    return cal.end_of_working_day(cal.next_working_day(day))


def _role_owner(role: str, ctx) -> str:
    people = [p.id for p in ctx.roster if p.role == role and p.active]
    return people[0] if len(people) == 1 else role


def due_steps(rec: dict, ctx) -> list[Obligation]:
    """What the return is waiting for, with its deadline (on the business calendar)."""
    policy, cal, tz = ctx.policy, ctx.calendar, ctx.tz
    settings = policy.section("returns")
    status, kind = rec.get("status"), rec.get("kind")
    if status == "received" and kind in ("self", "refused"):
        at = _entry_time(rec, "received", tz)
        return [Obligation("inspect", cal.add_working_days(at, settings["inspect_working_days"]),
                           _role_owner("warehouse", ctx))] if at else []
    if status == "received" and kind == "transit":
        at = _entry_time(rec, "received", tz)
        return [Obligation("reship", _same_working_day_close(at, cal), _role_owner("warehouse", ctx))] if at else []
    if (status == "qc_checked" and kind == "self") or (status == "inspected" and kind == "refused"):
        at = _entry_time(rec, status, tz)
        if at is None:
            return []
        if rec.get("resolution") == "exchange":
            return [Obligation("exchange", cal.add_working_days(at, settings["exchange_working_days"]),
                               rec.get("created_by"))]
        return [Obligation("refund", cal.add_working_days(at, settings["refund_working_days"]),
                           _role_owner("finance", ctx))]
    return []


def late_steps(rec: dict, ctx) -> list[tuple[str, dt.datetime, dt.datetime, str]]:
    """Refunds, exchanges and re-ships made after their deadline: (what, due, done_at, by)."""
    settings, cal, tz = ctx.policy.section("returns"), ctx.calendar, ctx.tz
    out = []
    history = rec.get("history") or []
    for i, entry in enumerate(history):
        target = entry.get("to")
        if target not in ("refunded", "exchanged", "reshipped") or entry.get("from") == target:
            continue
        source_at = try_instant(history[i - 1].get("at"), tz) if i else None
        done = try_instant(entry.get("at"), tz)
        if source_at is None or done is None:
            continue
        if target == "reshipped":
            due = _same_working_day_close(source_at, cal)
        else:
            days = settings["exchange_working_days" if target == "exchanged" else "refund_working_days"]
            due = cal.add_working_days(source_at, days)
        if done > due:
            out.append(({"refunded": "refund", "exchanged": "exchange", "reshipped": "reship"}[target], due, done,
                        entry.get("by")))
    return out


def computed(rec: dict, ctx) -> dict:
    steps = due_steps(rec, ctx)
    sent = sent_to_vendor(rec)
    awaiting = {sku: qty - sent.get(sku, 0) for sku, qty in defective(rec).items() if qty - sent.get(sku, 0) > 0}
    return {
        "due": format_instant(steps[0].due, ctx.tz) if steps else None,
        "waiting_for": steps[0].what if steps else None,
        "overdue": bool(ctx.now and any(s.due < ctx.now for s in steps)),
        "awaiting_vendor": awaiting,
    }


WORKFLOW = Workflow(
    type="return", prefix="R", folder="returns", label="退货",
    states=("requested", "approved", "received", "inspected", "qc_checked", "refunded", "exchanged",
            "reshipped", "closed"),
    transitions=TRANSITIONS,
    notes={("closed", "refunded"): "nothing moves backwards; a closed return is final"},
    fields={
        "kind": Enum(required=True, values=KINDS),
        "order": Str(required=True),
        "customer": Str(required=True),
        "items": List(required=True, min_len=1, item=Map(fields={
            "sku": Str(required=True), "qty": Number(required=True, integer=True, positive=True),
            "result": Enum(values=RESULTS), "good": Number(integer=True, minimum=0),
            "defective": Number(integer=True, minimum=0)})),
        "reason": Str(),
        "resolution": Enum(values=("refund", "exchange")),
        "refund": Map(fields={"amount": Number(required=True, positive=True, decimals=2),
                              "at": Instant(required=True)}),
        "tracking": Str(),
        "vendor_notes": List(item=Map(fields={
            "note": Str(required=True), "supplier": Str(required=True), "at": Instant(required=True),
            "by": PersonRef(required=True),
            "items": List(required=True, min_len=1, item=Map(fields={
                "sku": Str(required=True), "qty": Number(required=True, integer=True, positive=True)}))})),
    },
    computed=computed,
    obligations=due_steps,
    record_checks=(_check_quantities,),
)


# -- commands ----------------------------------------------------------------------------------

_ITEM = re.compile(r"^(?P<sku>[^:=\s]+):(?P<qty>-?\d+)$")


def parse_items(values: list[str]) -> list[dict]:
    items, seen = [], set()
    for value in values:
        match = _ITEM.match(value.strip())
        if not match:
            raise BadInput(f"--item {value!r}: write SKU:QTY, e.g. --item A100:2")
        qty = int(match["qty"])
        if qty <= 0:
            raise BadInput(f"--item {value!r}: the quantity must be a positive whole number")
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


def _parse_judgements(values: list[str]) -> dict[str, dict]:
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


def move(session, ref, state, *, items=(), amount=None, tracking=None, note=None) -> str:
    """`return move ID STATE` with what each step needs."""
    judgements = _parse_judgements(list(items)) if items else {}
    if items and state != "qc_checked":
        raise BadInput("--item SKU=good|defective belongs to the QC check (return move ID qc_checked)")
    if amount is not None and state != "refunded":
        raise BadInput("--amount belongs to the refund (return move ID refunded)")
    if tracking is not None and state != "reshipped":
        raise BadInput("--tracking belongs to the re-ship (return move ID reshipped)")
    if amount is not None:
        try:
            value = float(amount)
        except ValueError:
            raise BadInput(f"--amount {amount!r} is not a number") from None
        if not value > 0 or value == float("inf") or decimals_of(amount) > 2:
            raise BadInput(f"--amount {amount}: a refund is a positive amount with at most two decimals")
    if tracking is not None and not tracking.strip():
        raise BadInput("--tracking must not be empty")

    def prepare(current):
        if state == "qc_checked":
            known = {i.get("sku"): i for i in current.get("items") or []}
            unknown = sorted(set(judgements) - set(known))
            if unknown:
                raise BadInput(f"--item {unknown[0]}: not an item of return {current.get('id')} "
                               f"(items: {', '.join(map(str, known))})")
            missing = sorted(set(known) - set(judgements))
            if missing:
                raise Refused(f"return {current.get('id')}: the QC check must judge every item; missing "
                              f"{', '.join(map(str, missing))}")
        if state == "refunded" and (current.get("refund") or any(
                e.get("to") == "refunded" for e in current.get("history") or [])):
            raise Refused(f"return {current.get('id')} was already refunded; a return is refunded at most once")
        return None

    def effect(doc, entry):
        if state == "qc_checked":
            for item in doc["items"]:
                counts = dict(judgements[item["sku"]])
                qty = item["qty"]
                if len(counts) == 1:
                    name = next(iter(counts))
                    counts = {name: counts[name] if counts[name] is not None else qty}
                good = counts.get("good", qty - (counts.get("defective") or 0))
                bad = counts.get("defective", qty - (counts.get("good") or 0))
                if good is None or bad is None or good + bad != qty:
                    raise Refused(f"return {doc['id']}: {item['sku']}: good + defective must equal the {qty} received")
                item["result"] = "good" if bad == 0 else "defective" if good == 0 else "mixed"
                item["good"], item["defective"] = good, bad
        if state == "refunded":
            doc["refund"] = {"amount": round(float(amount), 2) if "." in str(amount) else int(amount),
                             "at": entry["at"]}
        if state == "reshipped" and tracking:
            doc["tracking"] = tracking.strip()

    action = _action_for(session, state)
    return actions.transition(session, "return", ref, action, target=state, prepare=prepare, effect=effect, note=note)


def _action_for(session, state: str) -> str:
    wf = session.workflow("return")
    names = {t.action for t in wf.transitions if t.target == state and t.sources and t.action != "vendor"}
    if not names:
        raise BadInput(f"{state!r} is not a state a return moves to", f"states: {', '.join(wf.states[1:])}")
    return sorted(names)[0]


def vendor(session, *, supplier: str, refs: list[str], note=None) -> tuple[str, list[dict]]:
    """Issue one return-to-vendor note (退厂单) for defective items not yet sent back."""
    if not supplier.strip():
        raise BadInput("--supplier must not be empty")
    if refs:
        candidates = [session.store.read("return", session.store.locate(r, "return")[1]) for r in refs]
    else:
        candidates = session.ctx.records("return")
    at = session.stamp()
    number = f"V-{session.now.astimezone(session.tz):%Y%m%d}-" + "".join(secrets.choice(ID_ALPHABET) for _ in range(4))
    lines, steps = [], []
    for rec in candidates:
        data = rec.data or {}
        if data.get("status") not in AFTER_QC:
            if refs:
                raise Refused(f"return {data.get('id')} is {data.get('status')}: only returns past the QC check "
                              "have defective stock to send back")
            continue
        sent = sent_to_vendor(data)
        owed = [{"sku": sku, "qty": qty - sent.get(sku, 0)} for sku, qty in defective(data).items()
                if qty - sent.get(sku, 0) > 0]
        if not owed:
            if refs:
                raise Refused(f"return {data.get('id')} has no defective items waiting for a vendor note")
            continue
        lines.extend({"return": data["id"], **line} for line in owed)

        def effect(doc, entry, owed=owed):
            doc.setdefault("vendor_notes", [])
            doc["vendor_notes"].append({"note": number, "supplier": supplier, "at": at, "by": session.actor.id,
                                        "items": owed})
            entry["note"] = entry.get("note") or f"退厂单 {number} → {supplier}"

        steps.append((data["id"], "vendor", data.get("status"), effect, note, None, None))
    if not steps:
        raise Refused("no defective items are waiting for a vendor note")
    actions.transition_many(session, "return", steps)
    return number, lines
