"""Sheet rows as records: each row's cells become a record as of its own times — created at its
登记时间 by its 登记人, then one history entry per step the row knows (routed, resolved, called
back, closed …) at that step's time, by the person who did it — built by the workflow's own rows
(their effects) and checked by the same rules `validate` applies (roles, legal transitions,
guards, notice), so a row the CLI would refuse is refused here, with its row number.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, NamedTuple

from csops.engine import check_record
from csops.errors import CsopsError
from csops.i18n import _
from csops.problems import Problems
from csops.timeutil import format_instant


class Step(NamedTuple):
    action: str
    at: dt.datetime
    by: str
    params: dict | Callable = {}       # or (document so far) → params
    note: str | None = None
    unless: str | None = None          # skipped when the record is already in this state


class Built(NamedTuple):
    created: dt.datetime
    created_by: str
    fields: dict
    steps: list
    note: str | None = None


class RowProblem(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _need(values: dict, field: str, header: str):
    value = values.get(field)
    if value in (None, ""):
        raise RowProblem("MISSING_VALUE", _("{column} is empty", column=header))
    return value


def _registrar(values: dict, heads: dict, default_by: str | None) -> str:
    """Who registered the row's record: its 登记人, else --default-by."""
    by = values.get("created_by") or default_by
    if not by:
        raise RowProblem("MISSING_VALUE", _("{column} is empty and no --default-by was given",
                                            column=heads["created_by"]))
    return by


# -- per type: the row's values → (created, by, fields, steps); required cells are checked before ------

def ticket(values: dict, heads: dict, default_by: str | None) -> Built:
    created = values["created"]
    by = _registrar(values, heads, default_by)
    customer = {"name": values["customer"]}
    if values.get("contact"):
        customer["contact"] = values["contact"]
    fields = {"kind": values["kind"], "channel": values["channel"], "level": values.get("level") or "normal",
              "customer": customer, "summary": values["summary"]}
    if values.get("order"):
        fields["order"] = values["order"]
    steps = []
    if values.get("department"):
        params = {"department": values["department"]}
        if values.get("assignee"):
            params["assignee"] = values["assignee"]
        steps.append(Step("route", created, by, params))
    elif values.get("assignee"):
        raise RowProblem("MISSING_VALUE", _("{column} names a handler but {department} is empty",
                                            column=heads["assignee"], department=heads["department"]))
    if values.get("resolved_at"):
        steps.append(Step("resolve", values["resolved_at"], values.get("assignee") or default_by or by,
                          note=values.get("resolved_note")))
    outcome = values.get("callback")
    if outcome or values.get("callback_at"):
        at = values.get("callback_at") or values.get("closed_at")
        if not at:
            raise RowProblem("MISSING_VALUE", _("{column} is empty", column=heads["callback_at"]))
        if not outcome:
            raise RowProblem("MISSING_VALUE", _("{column} is empty", column=heads["callback"]))
        params = {"outcome": outcome}
        if values.get("satisfaction") is not None:
            params["satisfaction"] = values["satisfaction"]
        steps.append(Step("callback", at, values.get("closed_by") or by, params))
    if values.get("closed_at"):
        steps.append(Step("close", values["closed_at"], values.get("closed_by") or by, unless="closed"))
    if values.get("status") == "voided":
        reason = values.get("void_reason")
        if not reason:
            raise RowProblem("MISSING_VALUE", _("{column} is empty", column=heads["void_reason"]))
        steps.append(Step("void", values.get("closed_at") or created, values.get("closed_by") or default_by or by,
                          {}, reason))
    return Built(created, by, fields, steps, values.get("note"))


def returns(values: dict, heads: dict, default_by: str | None) -> Built:
    from csops.commands.returns import parse_items
    from csops.money import money_text
    from csops.workflows.returns import received

    created = values["created"]
    by = _registrar(values, heads, default_by)
    try:
        items = parse_items([part for part in _item_texts(values["items"])], None)
    except CsopsError as exc:
        raise RowProblem("BAD_VALUE", f"{heads['items']}: {exc.message}") from None
    fields = {"kind": values["kind"], "order": values["order"], "customer": values["customer"], "items": items}
    for key in ("contact", "reason", "resolution"):
        if values.get(key):
            fields[key] = values[key]

    def who(field):
        return values.get(field) or default_by or by

    def verdicts(doc):
        good = values.get("qc_result") != "defective"
        return {"verdicts": {i["sku"]: (received(i), 0) if good else (0, received(i)) for i in doc["items"]}}

    plan = [("approve", "approved_at", "approved_by", {}), ("receive", "received_at", "received_by", {}),
            ("inspect", "inspected_at", "inspected_by", {}), ("qc_check", "qc_at", "qc_by", verdicts),
            ("refund", "refunded_at", "refunded_by",
             {"amount": money_text(values["refund"])} if values.get("refund") is not None else {}),
            ("exchange", "exchanged_at", "shipped_by", {"tracking": values.get("tracking")}),
            ("send_back", "sent_back_at", "shipped_by", {"tracking": values.get("tracking")}),
            ("reship", "reshipped_at", "shipped_by", {"tracking": values.get("tracking")}),
            ("close", "closed_at", "closed_by", {})]
    steps = [Step(action, values[at], who(person), params) for action, at, person, params in plan if values.get(at)]
    return Built(created, by, fields, steps, values.get("note"))


def _item_texts(text) -> list[str]:
    """"A100×2, B200×1" (as csops lists them) or "A100:2; B200:1@供应商"."""
    import re

    parts = [p.strip() for p in re.split(r"[,，;；\n]", str(text)) if p.strip()]
    return [re.sub(r"^([^×xX*:]+)\s*[×xX*]\s*(\d+)", r"\1:\2", part) for part in parts]


def leave(values: dict, heads: dict, default_by: str | None) -> Built:
    person = values["person"]
    created = values["created"]
    fields = {"person": person, "kind": values["kind"], "start": values["start"], "end": values["end"]}
    for key in ("reason", "certificate"):
        if values.get(key):
            fields[key] = values[key]
    status, approvers = values.get("status"), list(values.get("approved_by") or [])
    steps = []
    if approvers and not values.get("approved_at"):
        raise RowProblem("MISSING_VALUE", _("{column} is empty", column=heads["approved_at"]))
    deciders = approvers[:-1] if status == "rejected" else approvers
    steps += [Step("approve", values["approved_at"], p) for p in deciders]
    if status == "rejected":
        if not approvers:
            raise RowProblem("MISSING_VALUE", _("{column} is empty", column=heads["approved_by"]))
        steps.append(Step("reject", values["approved_at"], approvers[-1]))
    if status in ("withdrawn", "cancelled"):
        at = _need(values, "ended_at", heads["ended_at"])
        steps.append(Step("withdraw" if status == "withdrawn" else "cancel", at, person))
    return Built(created, person, fields, steps, values.get("note"))


def score(values: dict, heads: dict, default_by: str | None, session) -> Built:
    from csops.money import money_text, parse_money

    by = _registrar(values, heads, default_by)
    day = values["date"]
    created = values.get("created") or dt.datetime.combine(day, dt.time(0), session.tz)
    fields = {"code": values["code"], "date": day.isoformat(), "person": values["person"]}
    rule = session.ctx.on_day(day).policy.catalog().get(values["code"]) or {}
    if values.get("fine") is not None:
        fields["fine"] = money_text(values["fine"])
    elif rule.get("fine"):
        fields["fine"] = money_text(parse_money(rule["fine"][0], positive=False))   # the lower bound, as the CLI
    if values.get("minutes") is not None:
        fields["minutes"] = values["minutes"]
    if values.get("note"):
        fields["note"] = values["note"]
    steps = []
    if values.get("confirmed_at"):
        steps.append(Step("confirm", values["confirmed_at"], values.get("confirmed_by") or by))
    if values.get("revoked_at"):
        steps.append(Step("revoke", values["revoked_at"], values.get("revoked_by") or by))
    return Built(created, by, fields, steps)


# -- one record from its steps, checked ---------------------------------------------------------------

def assemble(session, wf, built: Built, record_id: str, mark: str, source_key: str | None, *,
             deadlines: bool = True) -> dict:
    """The record a row describes, every step applied by its workflow row; RowProblem when a step
    is not a legal one, or the finished record breaks a rule. `deadlines`: work its deadlines out
    too (the calendar then names a year it has no holidays for)."""
    tz, ctx = session.tz, session.ctx
    at = format_instant(built.created, tz)
    doc = {"id": record_id, "status": wf.initial, "created": at, "created_by": built.created_by, **built.fields}
    if source_key is not None:
        doc["source_key"] = source_key
    first = {"at": at, "by": built.created_by, "to": wf.initial}
    if built.note:
        first["note"] = built.note
    first["import"] = mark
    doc["history"] = [first]
    for step in built.steps:
        source = doc["status"]
        if step.unless == source:
            continue
        row = wf.by_action(step.action, source, doc)
        if row is None:
            wanted = next((t.targets[0] for t in wf.transitions if t.action == step.action and t.targets),
                          step.action)
            raise RowProblem("ILLEGAL_TRANSITION", _("cannot {action} ({source} → {wanted}: {why})",
                                                     action=step.action, source=source, wanted=wanted,
                                                     why=wf.explain(source, wanted, doc, step.action)))
        when = format_instant(step.at, tz)
        params = step.params(doc) if callable(step.params) else dict(step.params)
        params = {**params, "by": step.by, "at": when}
        if row.complete is not None:
            params = row.complete(doc, params, ctx)
        missing = [name for name in row.needs if params.get(name) in (None, "", [], {})]
        if missing:
            raise RowProblem("MISSING_VALUE", _("{action} needs {names}", action=step.action,
                                                names=", ".join(missing)))
        target = row.target_for(doc, params, ctx)
        entry = {"at": when, "by": step.by, "from": source, "to": target}
        if wf.names_action(source, target, row.action, doc):
            entry["action"] = row.action
        if step.note:
            entry["note"] = step.note
        if row.effect is not None:
            row.effect(doc, entry, params)
        entry["import"] = mark
        doc["status"] = target
        doc["history"].append(entry)
    problems = Problems()
    check_record(doc, wf, ctx, problems, mark)
    for check in wf.cross_checks:
        check(doc, ctx, problems, mark)
    errors = [p for p in problems if not p.is_warning]
    if errors:
        first = errors[0]
        raise RowProblem(first.code, first.message + (f" ({first.hint})" if first.hint else ""))
    if deadlines:
        wf.duties(doc, ctx)      # a year without holidays is named (the CLI warns of it)
    return doc
