"""`report stats --period YYYY-MM|YYYY-Www`: the week's or month's ticket figures (每周受理、反馈、
回访情况, 002/003) — registered, resolved, closed, callbacks and callback rate, on-time rate,
satisfaction counts and average working hours to resolve — in total and by kind."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from csops.calendar import note_years
from csops.timeutil import period_bounds
from csops.vocab import SATISFACTION
from csops.workflows.ticket import activity_moments, activity_window, counted, day_moments, waited_hours

METRICS = ["registered", "voided", "resolved", "closed", "callbacks", "callback_rate", "on_time_rate",
           "satisfaction_rate", "avg_resolve_hours", "wait_hours"]


def previous_period(period: str) -> str:
    first, last = period_bounds(period)
    if "W" in period.upper():
        year, week, _ = (first - dt.timedelta(days=7)).isocalendar()
        return f"{year}-W{week:02d}"
    before = first - dt.timedelta(days=1)
    return f"{before:%Y-%m}"


def _empty() -> dict:
    return {"registered": 0, "voided": 0, "resolved": 0, "closed": 0, "callbacks": 0, "_callback_due": 0, "_called": 0,
            "_on_time": 0, "_with_due": 0, "_hours": 0.0, "_wait": 0.0, "satisfaction": {str(n): 0 for n in range(1, 6)}}


def _finish(acc: dict, satisfied_min: int) -> dict:
    resolved = acc["resolved"]
    return {
        "registered": acc["registered"], "voided": acc["voided"], "resolved": resolved, "closed": acc["closed"],
        "callbacks": acc["callbacks"],
        "callback_rate": round(acc["_called"] / acc["_callback_due"], 4) if acc["_callback_due"] else None,
        "on_time_rate": round(acc["_on_time"] / acc["_with_due"], 4) if acc["_with_due"] else None,
        "satisfaction_rate": _satisfaction_rate(acc["satisfaction"], satisfied_min),
        "avg_resolve_hours": round(acc["_hours"] / resolved, 2) if resolved else None,
        "wait_hours": round(acc["_wait"], 2),
        "satisfaction": acc["satisfaction"],
    }


def _satisfaction_rate(counts: dict, satisfied_min: int) -> float | None:
    """满意率: the share of reached callbacks at `satisfied_min` or above (policy
    stats.satisfied_min: 3 counts 无意见 as satisfied; many desks use 4, 满意 = 高度满意 + 一般满意)."""
    reached = sum(counts.values())
    return round(sum(n for level, n in counts.items() if int(level) >= satisfied_min) / reached, 4) \
        if reached else None


def satisfied_min(policy) -> int:
    value = (policy.section("stats") or {}).get("satisfied_min", 3)
    return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5 else 3


class _Span(NamedTuple):
    """One period being counted."""
    period: str
    first: dt.date
    last: dt.date
    window: tuple[float, float]      # activity_window as UTC timestamps: a ticket must touch it to count
    moments: tuple[float, float]     # first..last as UTC timestamps (local midnights)
    total: dict
    by_kind: dict


def ticket_stats(session, *periods: str) -> list[dict]:
    """The figures of each period, from one reading of the tickets (a table sets two side by
    side: each ticket is counted from facts read once for both). Counted from each ticket's
    Steps (csops.steps.steps) and the facts the record index keeps."""
    from csops.workflows.ticket import known_names

    ctx, tz = session.ctx, session.tz
    kinds = known_names(ctx, "kinds")          # the policy's kinds (a 查询, 主动服务 …), past versions' too
    spans, days = [], []
    for period in periods:
        first, last = period_bounds(period)
        days.append(activity_window(ctx, first, last))
        spans.append(_Span(period, first, last, activity_moments(days[-1]), day_moments(first, last, tz),
                           _empty(), {kind: _empty() for kind in kinds}))
    window = (min(low for low, _high in days), max(high for _low, high in days))
    for rec, steps in ctx.steps("ticket", days=window):
        if steps.kind not in kinds:
            continue
        facts = None
        times = [row[0] for row in steps.steps] + [row[0] for row in steps.callbacks]
        for span in spans:
            low, high = span.window
            if None in times or any(low <= at <= high for at in times):      # active_between
                facts = facts or _facts(rec, steps, ctx)
                _count(steps, facts, span, (span.total, span.by_kind[steps.kind]))
                if facts[1] is not None and span.first <= facts[1] <= span.last and any(row[1] == "waiting" for row in steps.steps):
                    waited = waited_hours(rec.data, ctx, session.now)      # 挂起: service hours waiting
                    span.total["_wait"] += waited
                    span.by_kind[steps.kind]["_wait"] += waited
    least = satisfied_min(session.policy)
    return [{"period": span.period, "from": span.first.isoformat(), "to": span.last.isoformat(),
             "satisfied_min": least, "total": _finish(span.total, least),
             "by_kind": {kind: _finish(acc, least) for kind, acc in span.by_kind.items()}}
            for span in spans]


def _facts(rec, steps, ctx) -> tuple:
    """What counting a ticket in any period needs: its callback attempts in time order, its
    registration's business day, its resolutions that had a deadline (the record index keeps
    these two: workflows.ticket.counted; their uncertain calendar years are named)."""
    attempts = sorted((row for row in steps.callbacks if row[0] is not None), key=lambda row: row[0])
    facts = counted(rec, ctx)
    note_years(facts.day_years)
    note_years(facts.deadline_years)
    return attempts, facts.registered_day, facts.resolutions


def _count(steps, facts: tuple, span: _Span, accs) -> None:
    """Add a ticket's figures in one period to each of `accs` (the total and its kind's),
    worked out once."""
    attempts, registered_day, resolved = facts
    low, high = span.moments
    resolved = [row for row in resolved if low <= row[0] < high]     # (resolved at, late, working hours, their years)
    for row in resolved:
        note_years(row[3])
    registered = registered_day is not None and span.first <= registered_day <= span.last
    if steps.status == "voided":       # a duplicate or a mistake: counted as voided only
        for acc in accs:
            acc["voided"] += registered
        return
    closed = sum(1 for at, to, before, _by in steps.steps
                 if to == "closed" and before != "closed" and at is not None and low <= at < high)
    called = [row for row in attempts if low <= row[0] < high]      # (at, by, outcome, satisfaction)
    on_time = sum(not late for _done, late, _hours, _years in resolved)
    complaint = steps.kind == "complaint"
    answered = sum(any(row[0] >= done for row in attempts) for done, *_ignored in resolved) \
        if complaint else 0
    for acc in accs:
        acc["registered"] += registered
        acc["closed"] += closed
        acc["callbacks"] += len(called)
        for _at, _by, outcome, satisfaction in called:
            if outcome == "reached" and str(satisfaction) in acc["satisfaction"]:
                acc["satisfaction"][str(satisfaction)] += 1
        acc["resolved"] += len(resolved)
        acc["_with_due"] += len(resolved)
        acc["_on_time"] += on_time
        for _done, _late, spent, _years in resolved:      # one by one: the same float sum to the last digit
            acc["_hours"] += spent
        if complaint:
            acc["_callback_due"] += len(resolved)
            acc["_called"] += answered


def _levels(counts: dict, lang: str) -> str:
    """5 高度满意:2 4 一般满意:1 … (the labels of 004's five levels), highest first."""
    return " ".join(f"{level}{' ' + SATISFACTION[int(level)] if lang == 'zh' else ''}:{counts[level]}"
                    for level in sorted(counts, key=int, reverse=True))


def comparison_rows(current: dict, previous: dict, lang: str = "zh") -> list[dict]:
    """The table view: this period next to the previous one, per metric, for the total and each kind."""
    rows = []
    for scope in ["total", *current["by_kind"]]:
        now = current["total"] if scope == "total" else current["by_kind"][scope]
        before = previous["total"] if scope == "total" else previous["by_kind"][scope]
        for metric in METRICS:
            rows.append({"scope": scope, "metric": metric, "value": _show(metric, now[metric]),
                         "previous": _show(metric, before[metric]), "change": _change(metric, now[metric], before[metric])})
        rows.append({"scope": scope, "metric": "satisfaction", "value": _levels(now["satisfaction"], lang),
                     "previous": _levels(before["satisfaction"], lang), "change": ""})
    return rows


def _show(metric: str, value):
    """A figure as a number a spreadsheet can sum (a rate as a percentage); "—" where there is none."""
    from csops.render import Rate

    if value is None:
        return "—"
    if metric.endswith("_rate"):
        return Rate(value)
    return value


def _change(metric: str, now, before):
    from csops.render import Change

    if now is None or before is None:
        return None
    return Change(now - before, points=metric.endswith("_rate"))
