"""`report vendor`: defective stock per supplier 退厂 — what still waits for a return-to-vendor
note 退厂单 and the notes issued (docs/rules.md)."""

from __future__ import annotations

from csops.timeutil import format_short, try_instant
from csops.workflows.returns import owed_to_vendor

COLUMNS = ["supplier", "vendor_note", "at", "return", "sku", "qty"]

UNKNOWN = "?"


def vendor_rows(session, supplier: str | None = None) -> list[dict]:
    """One row per return line: outstanding defective items (vendor_note "outstanding", at the QC
    check) then the notes issued, per supplier; an item nobody knows the supplier of is listed
    under "?" so that it is not forgotten."""
    tz, rows = session.tz, []
    for rec in session.ctx.records("return"):
        data = rec.data if isinstance(rec.data, dict) else None
        if data is None:
            continue
        checked = next((e.get("at") for e in data.get("history") or []
                        if isinstance(e, dict) and e.get("to") == "qc_checked"), None)
        for line in owed_to_vendor(data, session.policy):
            rows.append({"supplier": line["supplier"] or UNKNOWN, "vendor_note": "outstanding", "at": checked,
                         "return": data.get("id"), "sku": line["sku"], "qty": line["qty"]})
        for note in data.get("vendor_notes") or []:
            if not isinstance(note, dict):
                continue
            for line in note.get("items") or []:
                if isinstance(line, dict):
                    rows.append({"supplier": str(note.get("supplier")), "vendor_note": note.get("note"),
                                 "at": note.get("at"), "return": data.get("id"), "sku": line.get("sku"),
                                 "qty": line.get("qty")})
    if supplier is not None:
        rows = [r for r in rows if r["supplier"] == supplier]
    for row in rows:
        at = try_instant(row["at"], tz)
        row["at"] = format_short(at, tz) if at else None
    rows.sort(key=lambda r: (r["supplier"], r["vendor_note"] != "outstanding", str(r["at"]), str(r["return"])))
    return rows

