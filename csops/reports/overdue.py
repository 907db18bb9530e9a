"""`report overdue`: everything owed past its deadline, from every record type's obligations.

Each workflow declares `obligations(rec, ctx)`; this report is the one place that gathers them,
so a new record type adds its rows by declaring obligations, not by changing this file.
"""

from __future__ import annotations

from csops.timeutil import format_instant

COLUMNS = ["id", "type", "what", "due", "owner", "overdue_hours"]


def overdue_rows(session, *, rtype: str | None = None, owner: str | None = None) -> list[dict]:
    ctx, now = session.ctx, session.now
    cal = session.policy.calendar
    rows = []
    for wf in session.store.workflows.values():
        if wf.obligations is None or (rtype and wf.type != rtype):
            continue
        for rec in ctx.records(wf.type):
            if not isinstance(rec.data, dict):
                continue
            for duty in wf.duties(rec.data, ctx):
                if duty.due is None or duty.due >= now:
                    continue
                if owner and duty.owner != owner:
                    continue
                wall = (now - duty.due).total_seconds() / 3600
                rows.append({
                    "id": rec.data.get("id"),
                    "type": wf.type,
                    "what": duty.what,
                    "due": format_instant(duty.due, session.tz),
                    "owner": duty.owner,
                    # late by the deadline's own measure: working hours on the business calendar
                    # (holidays and 调休 counted), or wall-clock hours for a wall-clock deadline
                    "overdue_hours": round(wall if duty.wall_clock else cal.working_hours_between(duty.due, now), 2),
                })
    rows.sort(key=lambda r: (-r["overdue_hours"], r["due"], str(r["id"])))
    return rows
