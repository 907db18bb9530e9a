"""`report returns --date D`: the daily return sheet 退货记录表 for warehouse, purchasing and finance."""

from __future__ import annotations

import datetime as dt

from csops.timeutil import parse_input_date, try_instant
from csops.workflows.returns import awaiting_vendor

COLUMNS = ["id", "kind", "status", "order", "customer", "items", "steps", "refund", "awaiting_vendor"]


def return_sheet(session, day) -> list[dict]:
    """One row per return touched on `day` (any step taken or vendor note issued), with what was
    done that day, the refund paid that day and the defective stock still awaiting a vendor note."""
    day = parse_input_date(day, what="--date")
    tz = session.tz
    rows = []
    near = ((day - dt.timedelta(days=1)).isoformat(), (day + dt.timedelta(days=1)).isoformat())   # any UTC offset
    for rec in session.ctx.records("return", days=near):
        data = rec.data if isinstance(rec.data, dict) else None
        if data is None:
            continue
        steps = []
        for entry in data.get("history") or []:
            at = try_instant(entry.get("at"), tz)
            if at is not None and at.astimezone(tz).date() == day:
                steps.append(entry.get("to") if entry.get("from") != entry.get("to") else entry.get("action", "vendor"))
        if not steps:
            continue
        refund = data.get("refund") if isinstance(data.get("refund"), dict) else None
        refund_today = refund and (try_instant(refund.get("at"), tz) or None)
        rows.append({
            "id": data.get("id"), "kind": data.get("kind"), "status": data.get("status"),
            "order": data.get("order"), "customer": data.get("customer"),
            "items": [{k: v for k, v in i.items()} for i in data.get("items") or [] if isinstance(i, dict)],
            "steps": steps,
            "refund": refund.get("amount") if refund_today and refund_today.astimezone(tz).date() == day else None,
            "awaiting_vendor": awaiting_vendor(data),
        })
    rows.sort(key=lambda r: str(r["id"]))
    return rows


def table_rows(rows: list[dict]) -> list[dict]:
    out = []
    for row in rows:
        row = dict(row)
        row["items"] = ", ".join(f"{i.get('sku')}×{i.get('qty')}" + (
            f" 实收{i.get('received')}" if i.get("received") not in (None, i.get("qty")) else "") + (
            f"（良品{i.get('good')}/不良{i.get('defective')}）" if i.get("good") is not None else "")
            for i in row["items"])
        row["awaiting_vendor"] = ", ".join(f"{k}×{v}" for k, v in row["awaiting_vendor"].items())
        out.append(row)
    return out
