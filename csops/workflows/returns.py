"""Returns 退货 (SPEC §4, 电商售后的退货流程规范): self-returns 自退件, in-transit returns 在途退件 and
refusals 拒收件, moving between customer service, warehouse, QC, finance and purchasing so that
goods and information travel together. Quantities are conserved: per item good + defective =
received, vendor notes never exceed the defective quantity, a return is refunded at most once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from csops.engine import Deadline, Guard, Transition, Workflow
from csops.errors import BadInput, Refused
from csops.schema import Enum, Instant, List, Map, Money, Number, PersonRef, Str
from csops.timeutil import format_instant, try_instant
from csops.vocab import ITEM_RESULTS as RESULTS, RESOLUTIONS, RETURN_KINDS as KINDS
from csops.workflows.common import AMEND

AFTER_QC = ("qc_checked", "refunded", "exchanged", "closed")


def _kind(*kinds):
    return lambda rec: rec.get("kind") in kinds


def _qc_guard(step) -> str | None:
    for i, item in enumerate(step.rec.get("items") or []):
        if isinstance(item, dict) and (item.get("good") is None or item.get("defective") is None):
            return f"the QC check must judge every item: items[{i}] ({item.get('sku')}) has no good/defective count"
    return None


def already_refunded(rec: dict, before: int | None = None) -> bool:
    """A return is refunded at most once: was it, before history entry `before` (default: ever)?"""
    history = (rec.get("history") or [])[:before]
    return any(isinstance(e, dict) and e.get("to") == "refunded" for e in history)


def _refund_guard(step) -> str | None:
    refund = step.rec.get("refund")
    if not isinstance(refund, dict) or refund.get("amount") is None:
        return "a refund needs an amount (--amount)"
    if already_refunded(step.rec, step.index):
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


# -- effects ---------------------------------------------------------------------------------------

def _qc_check(doc, entry, params) -> None:
    """params["verdicts"]: SKU → (good, defective), one per item (judge)."""
    for item in doc["items"]:
        good, bad = params["verdicts"][item["sku"]]
        item["result"] = "good" if bad == 0 else "defective" if good == 0 else "mixed"
        item["good"], item["defective"] = good, bad


def _refund(doc, entry, params) -> None:
    doc["refund"] = {"amount": params["amount"], "at": entry["at"]}


def _reship(doc, entry, params) -> None:
    doc["tracking"] = params["tracking"]


def _vendor(doc, entry, params) -> None:
    doc.setdefault("vendor_notes", [])
    doc["vendor_notes"].append({"note": params["number"], "supplier": params["supplier"], "at": entry["at"],
                                "by": entry["by"], "items": params["items"]})
    entry["note"] = entry.get("note") or f"退厂单 {params['number']} → {params['supplier']}"


TRANSITIONS = (
    Transition("request", (), ("requested",)),
    Transition("approve", ("requested",), ("approved",), when=_kind("self"),
               why_not="only a self-return is approved; in-transit and refused parcels go straight to the warehouse"),
    Transition("receive", ("approved",), ("received",), when=_kind("self")),
    Transition("receive", ("requested",), ("received",), when=_kind("transit", "refused"),
               why_not="a self-return must be approved by customer service before the warehouse receives it"),
    Transition("inspect", ("received",), ("inspected",), when=_kind("self", "refused"),
               why_not="an in-transit parcel is re-shipped, not inspected"),
    Transition("qc_check", ("inspected",), ("qc_checked",), guards=(QC,), when=_kind("self"),
               why_not="only self-returns go through the QC check", sets=("items",), effect=_qc_check,
               needs=("verdicts",), takes=("judgements",), command="return move ID qc_checked --item SKU=good|defective",
               complete=lambda rec, params, ctx: {**params, "verdicts": judge(rec, params["judgements"])}
               if params.get("judgements") else params),
    Transition("refund", ("qc_checked",), ("refunded",), guards=(REFUND,), when=_kind("self"), sets=("refund",),
               effect=_refund, needs=("amount",), takes=("amount",), command="return move ID refunded --amount X"),
    Transition("refund", ("inspected",), ("refunded",), guards=(REFUND,), when=_kind("refused"),
               why_not="a self-return is refunded only after the QC check", sets=("refund",), effect=_refund,
               needs=("amount",), takes=("amount",), command="return move ID refunded --amount X"),
    Transition("exchange", ("qc_checked",), ("exchanged",), when=_kind("self")),
    Transition("reship", ("received",), ("reshipped",), guards=(RESHIP,), when=_kind("transit"),
               why_not="only in-transit parcels are re-shipped", sets=("tracking",), effect=_reship,
               needs=("tracking",), takes=("tracking",), command="return move ID reshipped --tracking T"),
    Transition("close", ("refunded", "exchanged", "reshipped"), ("closed",)),
    Transition("vendor", AFTER_QC, (), stays=True, guards=(VENDOR,), sets=("vendor_notes",), effect=_vendor,
               needs=("number",), command="return vendor --supplier S ID"),
    AMEND,
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


def awaiting_vendor(rec: dict) -> dict[str, int]:
    """Defective items not yet on a vendor note 退厂单: SKU → quantity still owed to the vendor."""
    sent = sent_to_vendor(rec)
    return {sku: qty - sent.get(sku, 0) for sku, qty in defective(rec).items() if qty - sent.get(sku, 0) > 0}


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
    if isinstance(refund, dict) and rec.get("status") not in ("refunded", "closed") and not already_refunded(rec):
        out.add(path, "BAD_REFUND", "refund is filled in but the return was never refunded", key=("refund",))


def _same_working_day_close(moment: dt.datetime, cal) -> dt.datetime:
    day = cal.local_date(moment)
    if cal.is_working_day(day) and moment <= cal.end_of_working_day(day):
        return cal.end_of_working_day(day)
    return cal.end_of_working_day(cal.next_working_day(day))


def _role_owner(role: str, ctx) -> str:
    people = [p.id for p in ctx.roster if p.role == role and p.active]
    return people[0] if len(people) == 1 else role


# What each step waits for: (state it starts from, kinds) → (what is owed, the state that meets it).
_WAITS = {
    ("received", ("self", "refused")): ("inspect", ("inspected",)),
    ("received", ("transit",)): ("reship", ("reshipped",)),
    ("qc_checked", ("self",)): (None, ("refunded", "exchanged")),
    ("inspected", ("refused",)): ("refund", ("refunded",)),
}


_MET = {"inspected": "inspect", "reshipped": "reship", "refunded": "refund", "exchanged": "exchange"}


def deadlines(rec: dict, ctx) -> list[Deadline]:
    """Every deadline the return has had (on the business calendar): inspect within
    inspect_working_days of receipt; re-ship the same working day; refund or exchange within a
    working day of the QC check (001: 一个工作日内解决发货) — each with when it was met, or owed."""
    settings, cal, tz, kind = ctx.policy.section("returns"), ctx.calendar, ctx.tz, rec.get("kind")
    history = [e for e in rec.get("history") or [] if isinstance(e, dict)]
    rows = []
    for i, entry in enumerate(history):
        state, at = entry.get("to"), try_instant(entry.get("at"), tz)
        if at is None or entry.get("from") == state:
            continue
        wait = next((w for (source, kinds), w in _WAITS.items() if source == state and kind in kinds), None)
        if wait is None:
            continue
        what, meets = wait
        if what is None:
            what = "exchange" if rec.get("resolution") == "exchange" else "refund"
        if what == "inspect":
            due, owner = cal.add_working_days(at, settings["inspect_working_days"]), _role_owner("warehouse", ctx)
        elif what == "reship":
            due, owner = _same_working_day_close(at, cal), _role_owner("warehouse", ctx)
        elif what == "exchange":
            due, owner = cal.add_working_days(at, settings["exchange_working_days"]), rec.get("created_by")
        else:
            due, owner = cal.add_working_days(at, settings["refund_working_days"]), _role_owner("finance", ctx)
        met = next((e for e in history[i + 1:] if e.get("to") in meets and e.get("from") != e.get("to")), None)
        done = try_instant(met.get("at"), tz) if met else None
        if met is not None:        # a self-return met by an exchange though a refund was asked for, or the reverse
            what = _MET[met.get("to")]
        rows.append(Deadline(what, due, owner, at, done=done, owed=done is None and rec.get("status") == state,
                             by=met.get("by") if met else None))
    return rows


def computed(rec: dict, ctx) -> dict:
    steps = [d for d in deadlines(rec, ctx) if d.owed]
    awaiting = awaiting_vendor(rec)
    return {
        "due": format_instant(steps[0].due, ctx.tz) if steps else None,
        "waiting_for": steps[0].what if steps else None,
        "overdue": bool(ctx.now and any(s.due < ctx.now for s in steps)),
        "awaiting_vendor": awaiting,
    }


WORKFLOW = Workflow(
    type="return",
    transitions=TRANSITIONS,
    notes={("closed", "refunded"): "a return is refunded at most once; a closed return is final",
           ("refunded", "refunded"): "a return is refunded at most once"},
    fields={
        "kind": Enum(required=True, values=KINDS),
        "order": Str(required=True),
        "customer": Str(required=True),
        "items": List(required=True, min_len=1, item=Map(fields={
            "sku": Str(required=True), "qty": Number(required=True, integer=True, positive=True),
            "result": Enum(values=RESULTS), "good": Number(integer=True, minimum=0),
            "defective": Number(integer=True, minimum=0)})),
        "reason": Str(),
        "resolution": Enum(values=RESOLUTIONS),
        "refund": Map(fields={"amount": Money(required=True, positive=True), "at": Instant(required=True)}),
        "tracking": Str(),
        "vendor_notes": List(item=Map(fields={
            "note": Str(required=True), "supplier": Str(required=True), "at": Instant(required=True),
            "by": PersonRef(required=True),
            "items": List(required=True, min_len=1, item=Map(fields={
                "sku": Str(required=True), "qty": Number(required=True, integer=True, positive=True)}))})),
    },
    computed=computed,
    deadlines=deadlines,
    record_checks=(_check_quantities,),
)
