"""The monthly score sheet 绩效考核 (docs/rules.md): base minus the catalog points of each counted event,
with repeat doubling, shared penalties, fines, absence from lateness, and dismissal rules — and
for each person the list of events that cost them points, and why."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import datetime as dt

from csops.errors import BadInput
from csops.i18n import _
from csops.vocab import CS_ROLES
from csops.timeutil import month_bounds
from csops.workflows.score import COUNTED

COLUMNS = ["person", "name", "base", "deductions", "score", "fines", "absence_days", "flags"]


@dataclass
class Line:
    """One event as it bears on one person's sheet."""
    event: str
    code: str
    date: str
    points: Decimal
    why: list          # (kind, *values) parts, worded by why_text in the report's language
    fine: Decimal = Decimal(0)
    absence_days: Decimal = Decimal(0)


@dataclass
class Sheet:
    person: str
    name: str
    base: Decimal
    lines: list[Line] = field(default_factory=list)
    flags: set = field(default_factory=set)

    def row(self) -> dict:
        deductions = sum((l.points for l in self.lines), Decimal(0))
        return {"person": self.person, "name": self.name, "base": _num(self.base), "deductions": _num(deductions),
                "score": _num(self.base - deductions), "fines": _num(sum((l.fine for l in self.lines), Decimal(0))),
                "absence_days": _num(sum((l.absence_days for l in self.lines), Decimal(0))),
                "flags": sorted(self.flags)}


def _num(value: Decimal):
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _dec(value) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def _events(ctx, first: dt.date, last: dt.date) -> list[dict]:
    """The events that can bear on the sheets of first..last, in date order: the month's own,
    and from before it those of a code that means dismissal at its n-th time over a person's
    whole record (any other earlier event changes nothing on this month's sheets). The record
    index serves each set without reading five years of events (csops.query.Where)."""
    from csops.query import Where

    lasting = sorted({code for policy in ctx.policies() for code, rule in policy.catalog().items()
                      if isinstance(rule, dict) and rule.get("dismissal_at")})
    month = (first.isoformat(), last.isoformat())
    found = {}
    sets = [ctx.records("score", days=month)]
    if lasting:
        sets.append(ctx.records("score", where=Where(columns=(("code", tuple(lasting)),))))
    for recs in sets:
        for rec in recs:
            data = rec.data if isinstance(rec.data, dict) else None
            if data and isinstance(data.get("date"), str) and data["date"] <= month[1] and \
                    (data["date"] >= month[0] or data.get("code") in lasting):
                found[rec.path] = data
    return sorted(found.values(), key=lambda e: (e["date"], str(e.get("id"))))


def lateness_days(minutes, policy) -> Decimal:
    rules = policy.section("scores").get("lateness") or {}
    if not isinstance(minutes, int):
        return Decimal(0)
    if minutes >= rules.get("full_day_minutes", 60):
        return Decimal(1)
    if minutes >= rules.get("half_day_minutes", 30):
        return Decimal("0.5")
    return Decimal(0)


def score_sheets(session, period: str) -> dict[str, Sheet]:
    ctx, roster = session.ctx, session.roster
    first, last = month_bounds(period)
    opening = ctx.in_force(dt.datetime.combine(first, dt.time(0), tzinfo=ctx.tz)).policy   # the month's base
    base = _dec(opening.section("scores").get("base"))
    sheets = {p.id: Sheet(p.id, p.name, base) for p in roster if p.active and p.role in CS_ROLES}
    on_leave = _approved_leave_days(ctx, first, last)
    events = _events(ctx, first, last)
    in_month = defaultdict(int)       # (person, code) → counted events so far this month
    ever = defaultdict(int)           # (person, code) → counted events so far, whole record
    duty = ctx.duty
    for event in events:             # each event's points by the rules in force on its date (docs/rules.md)
        policy = ctx.on_day(event["date"]).policy
        day = dt.date.fromisoformat(event["date"])
        away = on_leave
        if (policy.catalog().get(event.get("code")) or {}).get("applies_to") == "all_active_agents":
            # on duty as roster show answers it: scheduled (the roster, or the team calendar) and
            # not on approved leave — an agent off on a rostered weekend, or who swapped the day away,
            # is not charged
            shifts = policy.shifts()
            away = on_leave | {(p, event["date"]) for p in sheets
                               if not duty.scheduled(p, day, policy.calendar, shifts)}
        _count(event, sheets, policy.catalog(), first, last, in_month, ever, policy, roster, away)
    return sheets


def _approved_leave_days(ctx, first: dt.date, last: dt.date) -> set[tuple[str, str]]:
    """(person, date) of every day of first..last someone was on approved leave."""
    from csops.workflows.leave import span

    out = set()
    slack = dt.timedelta(days=2)             # a text day and its local day differ by up to two (±23:59)
    for rec in ctx.records("leave", status="approved", days=((first - slack).isoformat(),
                                                             (last + slack).isoformat())):
        data = rec.data
        if data.get("status") != "approved":
            continue
        start, end = span(data, ctx.tz)
        if start is None or end is None:
            continue
        day = max(start.astimezone(ctx.tz).date(), first)
        while day <= min((end - dt.timedelta(microseconds=1)).astimezone(ctx.tz).date(), last):
            out.add((data.get("person"), day.isoformat()))
            day += dt.timedelta(days=1)
    return out


def _count(event, sheets, catalog, first, last, in_month, ever, policy, roster, on_leave) -> None:
    """One event's effect on the sheets (and on the running repeat and dismissal counts)."""
    code, person, status = event.get("code"), event.get("person"), event.get("status")
    rule = catalog.get(code)
    day = event["date"]
    if rule is None or day > last.isoformat():
        return
    counted = status in COUNTED          # workflows/score.py: the one home of the rule
    this_month = first.isoformat() <= day <= last.isoformat()
    if not counted:
        if this_month and person in sheets:
            sheets[person].lines.append(Line(event["id"], code, day, Decimal(0), [("revoked", code)]))
        return
    ever[(person, code)] += 1
    nth_ever = ever[(person, code)]
    dismissal_at = rule.get("dismissal_at")
    if dismissal_at and nth_ever >= dismissal_at and person in sheets:
        sheets[person].flags.add("dismissal")
    if not this_month:
        return
    in_month[(person, code)] += 1
    nth = in_month[(person, code)]
    points, why = _dec(rule.get("points")), [("label", code, rule.get("label", ""))]
    repeat = rule.get("repeat")
    if repeat and nth >= repeat["from"]:
        points *= _dec(repeat["factor"])
        why.append(("repeat", nth, code, _num(_dec(repeat["factor"]))))
    if dismissal_at and nth_ever >= dismissal_at:
        why.append(("dismissal", nth_ever, code))
    absence = lateness_days(event.get("minutes"), policy) if rule.get("lateness") else Decimal(0)
    if rule.get("absence_days"):
        absence = _dec(event.get("days")) if event.get("days") is not None else _dec(rule["absence_days"])
        points *= absence
    if rule.get("lateness") and absence:
        why.append(("late", event.get("minutes"), _num(absence)))
    fine = _dec(event.get("fine"))
    if rule.get("applies_to") == "all_active_agents":
        # 001 午餐轮流顶替时脱岗: every agent on duty that day — not one on approved leave
        for sheet in sheets.values():
            if roster.get(sheet.person).role == "agent" and (sheet.person, day) not in on_leave:
                sheet.lines.append(Line(event["id"], code, day, points, why + [("on_duty",)]))
        return
    if person in sheets:
        sheets[person].lines.append(Line(event["id"], code, day, points, why, fine, absence))
        if rule.get("flag"):
            sheets[person].flags.add(rule["flag"])
    for extra in rule.get("also") or []:
        boss = next((p for p in roster.chain_above(person) if p.role == extra.get("role")), None)
        if boss and boss.id in sheets:
            sheets[boss.id].lines.append(Line(event["id"], code, day, _dec(extra.get("points")),
                                              [("also", code, person, extra.get("role"))]))


def score_rows(session, period: str) -> list[dict]:
    rows = [s.row() for s in score_sheets(session, period).values()]
    rows.sort(key=lambda r: (r["score"], r["person"]))   # lowest score first
    return rows


# The explanation of each line, in the report's language (the JSON is English, like its keys).
WHY = {
    "en": {"label": lambda code, label: f"{code} {label}".strip(),
           "repeat": lambda n, code, factor: f"{_ordinal(n)} {code} this month: ×{factor}",
           "dismissal": lambda n, code: f"{_ordinal(n)} {code} on record: dismissal (劝退)",
           "late": lambda minutes, days: f"{minutes} minutes late: {days} day(s) of absence",
           "on_duty": lambda: "every agent on duty",
           "revoked": lambda code: f"{code} revoked: does not count (nor towards repeats)",
           "also": lambda code, person, role: f"{code} by {person}: their {role} also loses points"},
    "zh": {"label": lambda code, label: f"{code} {label}".strip(),
           "repeat": lambda n, code, factor: f"本月第{n}次，" + ("加倍扣分" if factor == 2 else f"按{factor}倍扣分"),
           "dismissal": lambda n, code: f"累计第{n}次{code}：劝退",
           "late": lambda minutes, days: f"迟到{minutes}分钟：旷工{days}天",
           "on_duty": lambda: "全体在岗客服",
           "revoked": lambda code: f"{code} 已撤销：不计分，也不计入累计次数",
           "also": lambda code, person, role: f"{person} 的{code}：其{role}连带扣分"},
}


def why_text(parts: list, lang: str) -> str:
    words = WHY.get(lang, WHY["en"])
    return ("；" if lang == "zh" else "; ").join(words[kind](*args) for kind, *args in parts)


def explain(session, period: str, person: str, lang: str = "en") -> list[dict]:
    session.roster.require(person)
    sheet = score_sheets(session, period).get(person)
    if sheet is None:
        raise BadInput(_("{person} is not active: no score sheet", person=person))
    return [{"date": l.date, "event": l.event, "code": l.code, "points": _num(l.points), "fine": _num(l.fine),
             "absence_days": _num(l.absence_days), "why": why_text(l.why, lang)} for l in sheet.lines]


def _ordinal(n: int) -> str:
    return f"{n}{'tsnrhtdd'[(n // 10 % 10 != 1) * (n % 10 < 4) * n % 10::4]}"
