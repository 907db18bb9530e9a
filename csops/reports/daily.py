"""`report daily --date D` (日报, 000/002) and `report agents --period P`: per person, what they did —
tickets registered (on their business day, §3), resolved and how many of those on time,
callbacks made and their average satisfaction, returns handled — with a total row."""

from __future__ import annotations

import datetime as dt

from csops.calendar import note_years
from csops.timeutil import parse_input_date, period_bounds, try_instant
from csops.vocab import CS_ROLES
from csops.workflows.ticket import activity_moments, activity_window, counted, day_moments

COLUMNS = ["person", "name", "registered", "resolved", "on_time", "callbacks", "satisfaction_avg",
           "returns_handled"]
TOTAL = "total"


DAILY_COLUMNS = COLUMNS + ["duty_lead"]


def daily(session, day: str) -> tuple[list[dict], str | None]:
    """The rows of one business day, and the day's duty lead 值班长 (the duty roster) if named —
    also marked on their row."""
    date = parse_input_date(day, what="--date")
    lead = session.ctx.duty.lead(date)
    return [{**row, "duty_lead": row["person"] == lead if row["person"] != TOTAL else None}
            for row in activity(session, date, date)], lead


def channels(session, day: str) -> dict[str, int]:
    """Tickets registered on the business day by channel (电话 3，微信 2 …), in the policy's order."""
    date = parse_input_date(day, what="--date")
    ctx, counts = session.ctx, {}
    for rec in ctx.records("ticket", days=activity_window(ctx, date, date)):
        facts = counted(rec, ctx)
        if facts.registered_day == date and rec.data.get("status") != "voided":
            counts[rec.data.get("channel")] = counts.get(rec.data.get("channel"), 0) + 1
    order = list(session.policy.channels())
    return dict(sorted(counts.items(), key=lambda item: (order.index(item[0]) if item[0] in order else len(order),
                                                         str(item[0]))))


def agents(session, period: str) -> list[dict]:
    """The daily figures per person over a month or week, and the regular revisits 定期回访 each
    made (客户分级)."""
    first, last = period_bounds(period)
    rows = activity(session, first, last)
    made: dict[str, int] = {}
    for rec in session.ctx.records("customer"):
        for visit in rec.data.get("revisits") or []:
            at = try_instant(visit.get("at"), session.tz) if isinstance(visit, dict) else None
            if at is not None and first <= at.astimezone(session.tz).date() <= last:
                made[str(visit.get("by"))] = made.get(str(visit.get("by")), 0) + 1
    for row in rows:
        row["revisits"] = sum(made.values()) if row["person"] == TOTAL else made.get(row["person"], 0)
    return rows


AGENT_COLUMNS = COLUMNS + ["revisits"]


def activity(session, first: dt.date, last: dt.date) -> list[dict]:
    """Per person: registered, resolved (on time), callbacks and their satisfaction, returns
    handled — counted from the records' Steps (csops.steps.steps) and the facts the
    record index keeps."""
    ctx, tz = session.ctx, session.tz
    window = activity_window(ctx, first, last)
    active_low, active_high = activity_moments(window)
    low, high = day_moments(first, last, tz)
    counts: dict[str, dict] = {}

    def of(person) -> dict:
        return counts.setdefault(str(person), {"registered": 0, "resolved": 0, "on_time": 0, "callbacks": 0,
                                               "_satisfaction": [], "_returns": set()})

    for rec, steps in ctx.steps("ticket", days=window):
        times = [row[0] for row in steps.steps] + [row[0] for row in steps.callbacks]
        if None not in times and not any(active_low <= at <= active_high for at in times):     # active_between
            continue
        facts = counted(rec, ctx)       # kept by the record index
        note_years(facts.day_years)
        if facts.registered_day is not None and first <= facts.registered_day <= last \
                and steps.status != "voided" and steps.steps:      # a voided ticket counts only as voided
            of(steps.steps[0][3])["registered"] += 1
        late = {done: was_late for done, was_late, _hours, _years in facts.resolutions}
        for at, to, before, by in steps.steps:
            if to == "resolved" and before not in (None, "resolved") and at is not None and low <= at < high:
                note_years(facts.deadline_years)      # named as when its deadlines are looked at
                mine = of(by)
                mine["resolved"] += 1
                mine["on_time"] += at in late and not late[at]
        for at, by, outcome, satisfaction in steps.callbacks:
            if at is not None and low <= at < high:
                mine = of(by)
                mine["callbacks"] += 1
                if outcome == "reached" and isinstance(satisfaction, int):
                    mine["_satisfaction"].append(satisfaction)
    for _rec, steps in ctx.steps("return", days=window):
        for at, _to, _before, by in steps.steps:
            if at is not None and low <= at < high:
                of(by)["_returns"].add(steps.id)
    people = {p.id: p for p in session.roster}
    wanted = [p.id for p in session.roster if p.active and p.role in CS_ROLES]
    wanted += sorted(pid for pid in counts if pid not in wanted)
    rows = [_row(pid, people[pid].name if pid in people else "", counts.get(pid)) for pid in wanted]
    total = {"registered": 0, "resolved": 0, "on_time": 0, "callbacks": 0, "_satisfaction": [], "_returns": set()}
    for acc in counts.values():
        for key in ("registered", "resolved", "on_time", "callbacks"):
            total[key] += acc[key]
        total["_satisfaction"] += acc["_satisfaction"]
        total["_returns"] |= acc["_returns"]
    return rows + [_row(TOTAL, "", total)]


def _row(person: str, name: str, acc: dict | None) -> dict:
    acc = acc or {"registered": 0, "resolved": 0, "on_time": 0, "callbacks": 0, "_satisfaction": [],
                  "_returns": set()}
    scores = acc["_satisfaction"]
    return {"person": person, "name": name, "registered": acc["registered"], "resolved": acc["resolved"],
            "on_time": acc["on_time"], "callbacks": acc["callbacks"],
            "satisfaction_avg": round(sum(scores) / len(scores), 2) if scores else None,
            "returns_handled": len(acc["_returns"])}
