"""Returns 退货 (电商售后的退货流程规范): self-returns 自退件, in-transit returns 在途退件 and
refusals 拒收件, moving between customer service, warehouse, QC, finance and purchasing so that
goods and information travel together. Quantities are conserved: per item good + defective =
received, vendor notes never exceed the defective quantity, a return is refunded at most once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from csops.engine import Deadline, Guard, Transition, Workflow
from csops.errors import BadInput, Refused
from csops.i18n import N_, _
from csops.schema import Enum, Instant, List, Map, Money, Number, PersonRef, RecordRef, Str
from csops.timeutil import format_instant, try_instant
from csops.vocab import ITEM_RESULTS as RESULTS, RESOLUTIONS, RETURN_KINDS as KINDS
from csops.workflows.common import AMEND

AFTER_QC = ("qc_checked", "refunded", "exchanged", "sent_back", "closed")


def _kind(*kinds):
    return lambda rec: rec.get("kind") in kinds


def received(item: dict) -> int:
    """How many of an item the warehouse received (a round-1 record, or one received without
    counts: as requested)."""
    value = item.get("received")
    return value if isinstance(value, int) and not isinstance(value, bool) else item.get("qty")


def supplier_of(item: dict, policy) -> str | None:
    """The supplier an item goes back to: its own `supplier`, else the longest SKU prefix in the
    policy's `returns.suppliers`, else unknown (None)."""
    if isinstance(item.get("supplier"), str) and item["supplier"].strip():
        return item["supplier"]
    sku = str(item.get("sku"))
    prefixes = policy.section("returns").get("suppliers") or {}
    matches = [p for p in prefixes if isinstance(p, str) and sku.startswith(p)] if isinstance(prefixes, dict) else []
    return str(prefixes[max(matches, key=len)]) if matches else None


def _any_defective(rec: dict) -> bool:
    return any(isinstance(i, dict) and isinstance(i.get("defective"), int) and i["defective"] > 0
               for i in rec.get("items") or [])


def _self_with_defects(rec: dict) -> bool:
    return rec.get("kind") == "self" and _any_defective(rec)


def _self_all_good(rec: dict) -> bool:
    return rec.get("kind") == "self" and not _any_defective(rec)


def _qc_guard(step) -> str | None:
    for i, item in enumerate(step.rec.get("items") or []):
        if isinstance(item, dict) and (item.get("good") is None or item.get("defective") is None):
            return _("the QC check must judge every item: items[{i}] ({sku}) has no good/defective count",
                     i=i, sku=item.get('sku'))
    return None


def already_refunded(rec: dict, before: int | None = None) -> bool:
    """A return is refunded at most once: was it, before history entry `before` (default: ever)?"""
    history = (rec.get("history") or [])[:before]
    return any(isinstance(e, dict) and e.get("to") == "refunded" for e in history)


def _refund_guard(step) -> str | None:
    refund = step.rec.get("refund")
    if not isinstance(refund, dict) or refund.get("amount") is None:
        return _('a refund needs an amount (--amount)')
    if already_refunded(step.rec, step.index):
        return _('a return is refunded at most once')
    return None


def _reship_guard(step) -> str | None:
    if not step.rec.get("tracking"):
        return _('a re-ship needs the new tracking number (--tracking)')
    return None


def _send_back_guard(step) -> str | None:
    back = step.rec.get("sent_back")
    if not isinstance(back, dict) or not back.get("tracking"):
        return _('sending goods back to the customer needs the tracking number (--tracking)')
    return None


def _vendor_guard(step) -> str | None:
    at = step.entry.get("at")
    if not any(isinstance(n, dict) and n.get("at") == at for n in step.rec.get("vendor_notes") or []):
        return _("history[{index}] records a vendor note but vendor_notes has none at {at}", index=step.index, at=at)
    return None


QC = Guard("QC_INCOMPLETE", _qc_guard)
REFUND = Guard("BAD_REFUND", _refund_guard)
RESHIP = Guard("NO_TRACKING", _reship_guard)
SEND_BACK = Guard("NO_TRACKING", _send_back_guard)
VENDOR = Guard("BAD_VENDOR_NOTE", _vendor_guard)

def _items_of(record: dict, given, option: str) -> dict[str, dict]:
    known = {i.get("sku"): i for i in record.get("items") or [] if isinstance(i, dict)}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise BadInput(_("{option} {unknown}: not an item of return {id} (items: {names})",
                         option=option, unknown=unknown[0], id=record.get('id'), names=', '.join(map(str, known))))
    return known


def count_received(record: dict, counts: dict[str, int]) -> dict[str, int]:
    """The receipt count per item (SKU → received): the items given, the others as requested;
    never more than requested, and something must have arrived."""
    known = _items_of(record, counts, "--item")
    out = {}
    for sku, item in known.items():
        qty = item.get("qty")
        n = counts.get(sku, qty)
        if n > qty:
            raise Refused(_("return {id}: {sku}: {n} received but only {qty} were returned",
                            id=record.get('id'), sku=sku, n=n, qty=qty),
                          _('count what arrived; a return never receives more than it lists'))
        out[sku] = n
    if not any(out.values()):
        raise Refused(_("return {id}: nothing arrived",
                        id=record.get('id')), _('receive the return when its parcel arrives'))
    return out


def judge(record: dict, judgements: dict[str, dict]) -> dict[str, tuple[int, int]]:
    """The QC check's verdict per item as (good, defective), every item received judged and only
    the return's items; good + defective must equal the quantity received."""
    known = _items_of(record, judgements, "--item")
    missing = sorted(sku for sku, item in known.items() if sku not in judgements and received(item))
    if missing:
        raise Refused(_("return {id}: the QC check must judge every item; missing {names}",
                        id=record.get('id'), names=', '.join(map(str, missing))))
    verdicts = {}
    for sku, item in known.items():
        counts, qty = dict(judgements.get(sku) or {"good": 0}), received(item)
        if not qty and sku in judgements:
            raise Refused(_("return {id}: {sku}: nothing of it was received, so there is nothing to judge",
                            id=record.get('id'), sku=sku))
        if len(counts) == 1:
            name = next(iter(counts))
            if counts[name] is not None and counts[name] != qty:     # a split names both halves
                raise Refused(_("return {id}: {sku}: {count} {name} of {qty} received — give both counts (e.g. "
                                "{sku}=good:{count2},defective:{missing})",
                                id=record.get('id'), sku=sku, count=counts[name], name=name, qty=qty,
                                count2=counts[name], missing=qty - counts[name]))
            counts = {name: qty}
        good = counts.get("good", qty - (counts.get("defective") or 0))
        bad = counts.get("defective", qty - (counts.get("good") or 0))
        if good is None or bad is None or good < 0 or bad < 0 or good + bad != qty:
            raise Refused(_("return {id}: {sku}: good + defective must equal the {qty} received",
                            id=record.get('id'), sku=sku, qty=qty))
        verdicts[sku] = (good, bad)
    return verdicts


# -- effects ---------------------------------------------------------------------------------------

def _qc_check(doc, entry, params) -> None:
    """params["verdicts"]: SKU → (good, defective), one per item (judge)."""
    for item in doc["items"]:
        good, bad = params["verdicts"][item["sku"]]
        item["result"] = "good" if bad == 0 else "defective" if good == 0 else "mixed"
        item["good"], item["defective"] = good, bad


def _receive(doc, entry, params) -> None:
    """params["received"]: SKU → count (count_received); without it everything arrived."""
    for item in doc["items"]:
        if "received" in params:
            item["received"] = params["received"][item["sku"]]


def _send_back_good(doc, entry, params) -> None:
    """Good items of a self-return go back to the customer, freight both ways at their cost (000)."""
    good = [{"sku": i["sku"], "qty": i["good"]} for i in doc["items"] if isinstance(i.get("good"), int) and i["good"] > 0]
    if not good:
        return
    back = {"at": entry["at"], "items": good}
    if params.get("tracking"):
        back["tracking"] = params["tracking"]
    if params.get("freight") is not None:
        back["freight"] = params["freight"]
    doc["sent_back"] = back


def _refund(doc, entry, params) -> None:
    doc["refund"] = {"amount": params["amount"], "at": entry["at"]}
    if doc.get("kind") == "self":
        _send_back_good(doc, entry, params)


def _exchange(doc, entry, params) -> None:
    """The exchange order: the replacement ships under --tracking (kept on the record and on this
    step), and any good items go back with it."""
    if params.get("tracking"):
        doc["tracking"] = params["tracking"]
        entry["tracking"] = params["tracking"]
    _send_back_good(doc, entry, params)


def _reship(doc, entry, params) -> None:
    doc["tracking"] = params["tracking"]


def _vendor(doc, entry, params) -> None:
    doc.setdefault("vendor_notes", [])
    doc["vendor_notes"].append({"note": params["number"], "supplier": params["supplier"], "at": entry["at"],
                                "by": entry["by"], "items": params["items"]})
    entry["note"] = entry.get("note") or f"退厂单 {params['number']} → {params['supplier']}"


def _parcel_registrar(step) -> bool:
    """In-transit and refused parcels may also be registered by whoever `permissions.return.
    request_parcel` names (000: 跟单员收到快递员返回的货品 — the warehouse)."""
    return step.rec.get("kind") in ("transit", "refused") and step.person is not None and step.ctx.policy.role_matches(
        step.person.role, step.ctx.policy.permission("return", "request_parcel"))


_ALL_GOOD = (N_("every item passed the QC check: the goods go back to the customer at their cost "
             "(return move ID sent_back --tracking T), nothing is refunded or exchanged"))
_RECEIVE = dict(sets=("items[].received",), effect=_receive, takes=("counts",),
                complete=lambda rec, params, ctx: {**params, "received": count_received(rec, params["counts"])}
                if params.get("counts") else params)

TRANSITIONS = (
    Transition("request", (), ("requested",), also_allowed=_parcel_registrar),
    Transition("approve", ("requested",), ("approved",), when=_kind("self"),
               why_not=N_("only a self-return is approved; in-transit and refused parcels go straight to the warehouse")),
    Transition("receive", ("approved",), ("received",), when=_kind("self"), **_RECEIVE),
    Transition("receive", ("requested",), ("received",), when=_kind("transit", "refused"),
               why_not=N_("a self-return must be approved by customer service before the warehouse receives it"),
               **_RECEIVE),
    Transition("inspect", ("received",), ("inspected",), when=_kind("self", "refused"),
               why_not=N_("an in-transit parcel is re-shipped, not inspected")),
    Transition("qc_check", ("inspected",), ("qc_checked",), guards=(QC,), when=_kind("self"),
               why_not=N_("only self-returns go through the QC check"),
               sets=("items[].result", "items[].good", "items[].defective"), effect=_qc_check,
               needs=("verdicts",), takes=("judgements",), command="return move ID qc_checked --item SKU=good|defective",
               complete=lambda rec, params, ctx: {**params, "verdicts": judge(rec, params["judgements"])}
               if params.get("judgements") else params),
    Transition("refund", ("qc_checked",), ("refunded",), guards=(REFUND,), when=_self_with_defects,
               why_not=_ALL_GOOD, sets=("refund", "sent_back"), effect=_refund, needs=("amount",),
               takes=("amount", "tracking", "freight"), command="return move ID refunded --amount X"),
    Transition("refund", ("inspected",), ("refunded",), guards=(REFUND,), when=_kind("refused"),
               why_not=N_("a self-return is refunded only after the QC check"), sets=("refund",), effect=_refund,
               needs=("amount",), takes=("amount",), command="return move ID refunded --amount X"),
    Transition("exchange", ("qc_checked",), ("exchanged",), when=_self_with_defects, why_not=_ALL_GOOD,
               sets=("sent_back", "tracking"), mirrors=("tracking",), effect=_exchange, takes=("tracking", "freight")),
    Transition("send_back", ("qc_checked",), ("sent_back",), guards=(SEND_BACK,), when=_self_all_good,
               why_not=N_("only a self-return whose every item passed the QC check is sent back whole; "
               "defective items are refunded or exchanged (the good ones go back on that step)"),
               sets=("sent_back",), effect=_send_back_good, needs=("tracking",), takes=("tracking", "freight"),
               command="return move ID sent_back --tracking T"),
    Transition("reship", ("received",), ("reshipped",), guards=(RESHIP,), when=_kind("transit"),
               why_not=N_("only in-transit parcels are re-shipped"), sets=("tracking",), effect=_reship,
               needs=("tracking",), takes=("tracking",), command="return move ID reshipped --tracking T"),
    Transition("close", ("refunded", "exchanged", "reshipped", "sent_back"), ("closed",)),
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


def owed_to_vendor(rec: dict, policy) -> list[dict]:
    """The defective items still awaiting a vendor note, each with its supplier (None: unknown)."""
    items = {i.get("sku"): i for i in rec.get("items") or [] if isinstance(i, dict)}
    return [{"sku": sku, "qty": qty, "supplier": supplier_of(items.get(sku) or {"sku": sku}, policy)}
            for sku, qty in awaiting_vendor(rec).items()]


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
        good, bad, qty = item.get("good"), item.get("defective"), received(item)
        if isinstance(item.get("received"), int) and isinstance(item.get("qty"), int) and item["received"] > item["qty"]:
            out.add(path, "QUANTITY", _("items[{i}] {sku}: received {received} but the return lists {qty}",
                                        i=i, sku=item.get('sku'), received=item['received'], qty=item['qty']),
                                      key=("items", i, "received"))
        if (good is None) != (bad is None):
            out.add(path, "QUANTITY", _("items[{i}]: give both good and defective counts", i=i), key=("items", i))
        elif good is not None and isinstance(qty, int) and all(isinstance(x, int) for x in (good, bad)):
            if good < 0 or bad < 0 or good + bad != qty:
                out.add(path, "QUANTITY", _("items[{i}] {sku}: good {good} + defective {bad} ≠ received {qty}",
                                            i=i, sku=item.get('sku'), good=good, bad=bad, qty=qty),
                        key=("items", i))
    for sku, count in skus.items():
        if count > 1:
            out.add(path, "QUANTITY", _("item {sku} is listed {count} times",
                                        sku=sku, count=count), _('list each SKU once with its total'), key=("items",))
    have = defective(rec)
    for sku, qty in sent_to_vendor(rec).items():
        if qty > have.get(sku, 0):
            out.add(path, "QUANTITY", _("vendor notes send back {qty} × {sku} but only {have} are defective",
                                        qty=qty, sku=sku, have=have.get(sku, 0)),
                    key=("vendor_notes",))
    suppliers = {i.get("sku"): i.get("supplier") for i in rec.get("items") or [] if isinstance(i, dict)}
    for n, note in enumerate(rec.get("vendor_notes") or []):
        for line in (note.get("items") or []) if isinstance(note, dict) else []:
            own = suppliers.get(line.get("sku")) if isinstance(line, dict) else None
            if isinstance(own, str) and own.strip() and own != note.get("supplier"):
                out.add(path, "BAD_VENDOR_NOTE", _("vendor note {note} sends {sku} to {supplier}, but its supplier "
                                                   "is {own}",
                                                   note=note.get('note'), sku=line.get('sku'),
                                                   supplier=note.get('supplier'), own=own), key=("vendor_notes", n))
    refund = rec.get("refund")
    if isinstance(refund, dict) and rec.get("status") not in ("refunded", "closed") and not already_refunded(rec):
        out.add(path, "BAD_REFUND", _('refund is filled in but the return was never refunded'), key=("refund",))


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
    ("qc_checked", ("self",)): (None, ("refunded", "exchanged", "sent_back")),
    ("inspected", ("refused",)): ("refund", ("refunded",)),
}


_MET = {"inspected": "inspect", "reshipped": "reship", "refunded": "refund", "exchanged": "exchange",
        "sent_back": "send_back"}


def deadlines(rec: dict, ctx) -> list[Deadline]:
    """Every deadline the return has had (on the business calendar): inspect within
    inspect_working_days of receipt; re-ship the same working day; refund or exchange within a
    working day of the QC check (001: 一个工作日内解决发货), or the goods sent back when all are
    good — each with when it was met, or owed."""
    tz, kind = ctx.tz, rec.get("kind")
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
        then = ctx.in_force(at)                        # the rules in force when this step's clock started
        settings, cal = then.policy.section("returns"), then.calendar
        if what is None:
            what = ("send_back" if not _any_defective(rec) else
                    "exchange" if rec.get("resolution") == "exchange" else "refund")
        if what == "inspect":
            due, owner = cal.add_working_days(at, settings["inspect_working_days"]), _role_owner("warehouse", ctx)
        elif what == "reship":
            due, owner = _same_working_day_close(at, cal), _role_owner("warehouse", ctx)
        elif what == "send_back":
            due, owner = cal.add_working_days(at, settings.get("send_back_working_days", 1)), _role_owner("warehouse", ctx)
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
    notes={("closed", "refunded"): N_("a return is refunded at most once; a closed return is final"),
           ("refunded", "refunded"): N_("a return is refunded at most once")},
    fields={
        "kind": Enum(required=True, values=KINDS),
        "order": Str(required=True),
        "customer": Str(required=True),
        "contact": Str(),
        "links": List(item=RecordRef()),
        "items": List(required=True, min_len=1, item=Map(fields={
            "sku": Str(required=True), "qty": Number(required=True, integer=True, positive=True),
            "supplier": Str(), "received": Number(integer=True, minimum=0), "result": Enum(values=RESULTS), "good": Number(integer=True, minimum=0),
            "defective": Number(integer=True, minimum=0)})),
        "reason": Str(),
        "resolution": Enum(values=RESOLUTIONS),
        "refund": Map(fields={"amount": Money(required=True, positive=True), "at": Instant(required=True)}),
        "sent_back": Map(fields={"at": Instant(required=True), "tracking": Str(), "freight": Money(),
                                 "items": List(required=True, min_len=1, item=Map(fields={
                                     "sku": Str(required=True),
                                     "qty": Number(required=True, integer=True, positive=True)}))}),
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
