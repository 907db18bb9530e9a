"""`report overdue`: everything owed past its deadline, from every record type's obligations.

Each workflow declares `obligations(rec, ctx)`; the record index (csops.cache.index) computes them
once per file content and caches them, so this report reads only the records that owe
something. A new record type adds its rows by declaring obligations, not by changing this file.
"""

from __future__ import annotations

import datetime as dt

from csops.engine import Skipped
from csops.cache.analyse import why_unusable
from csops.timeutil import format_instant

COLUMNS = ["id", "type", "what", "due", "owner", "overdue_hours"]


def overdue_rows(session, *, rtype: str | None = None, owner: str | None = None) -> list[dict]:
    now, cal = session.now, session.policy.calendar
    service = session.ctx.service_calendar          # tickets: weekend duty is service time
    index = session.index
    for kind in session.store.types:
        for rel, reason in session.store.link_skips(kind):
            session.ctx.skip(Skipped(session.store.display(session.store.root / rel), 1, reason))
    for entry in index.unusable():
        code, message, _hint, _key, line = why_unusable(entry)
        session.ctx.skip(Skipped(session.store.display(session.store.root / entry.rel), line, f"{code} {message}"))
    rows = []
    for entry in index.owing():
        if rtype and entry.type != rtype:
            continue
        for what, due_text, duty_owner, wall_clock in entry.duties:
            due = dt.datetime.fromisoformat(due_text)
            cal.note_dates((due.date(),))          # a deadline in an estimated year is named (docs/rules.md)
            if due >= now or (owner and duty_owner != owner):
                continue
            wall = (now - due).total_seconds() / 3600
            rows.append({
                "id": entry.id,
                "type": entry.type,
                "what": what,
                "due": format_instant(due, session.tz),
                "owner": duty_owner,
                # late by the deadline's own measure: working hours on the business calendar
                # (holidays and 调休 counted), or wall-clock hours for a wall-clock deadline
                "overdue_hours": round(wall if wall_clock else (service if entry.type == "ticket" else cal)
                                       .working_hours_between(due, now), 2),
            })
    rows.sort(key=lambda r: (-r["overdue_hours"], r["due"], str(r["id"])))
    return rows
