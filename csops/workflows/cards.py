"""Customer cards 客户卡 (004 1.4–1.5: 对客户信息实施分级管理，按客户的分级开展定期或不定期回访): one card
per customer key (a contact normalized, kept in full only in the card's `key`), its tier from the
policy's `customers.tiers`, the person who owns the customer, and the regular revisits 定期回访 made.

The first revisit is due `revisit_every_days` calendar days after the card was set, each next one
that many days after the last revisit that reached the customer — owed by the card's owner.
"""

from __future__ import annotations

import datetime as dt

from csops.engine import Deadline, Transition, Workflow
from csops.i18n import _
from csops.schema import Enum, Instant, List, Map, Number, PersonRef, Spec, Str
from csops.timeutil import format_instant, try_instant
from csops.workflows.common import AMEND, set_given

REVISIT_OUTCOMES = ("reached", "unreachable")


class Tier(Spec):
    """A tier from the policy's customers.tiers (in some version of the rules)."""

    def check(self, value, key, ctx, out, path):
        cached = ("policy names", "tiers", id(ctx.policy))
        if cached not in ctx._cache:
            ctx._cache[cached] = list(dict.fromkeys(n for policy in [ctx.policy, *ctx.policies()] for n in tiers(policy)))
        names = ctx._cache[cached]
        if value not in names:
            out.add(path, "BAD_FIELD", _("tier: {value!r} is not in the policy's customers.tiers ({names})",
                                         value=value, names=", ".join(names) or _("none")), key=key)


def tiers(policy) -> dict:
    """Tier name → {label, revisit_every_days, complaint_level} (policy customers.tiers)."""
    given = policy.section("customers").get("tiers")
    return {str(name): spec for name, spec in given.items() if isinstance(spec, dict)} if isinstance(given, dict) else {}


def _revisit(doc, entry, params) -> None:
    visit = {"at": entry["at"], "by": entry["by"], "outcome": params["outcome"]}
    for name in ("satisfaction", "note"):
        if params.get(name) is not None:
            visit[name] = params[name]
    doc.setdefault("revisits", [])
    doc["revisits"].append(visit)


TRANSITIONS = (
    Transition("set", (), ("active",)),
    Transition("set", ("active",), (), stays=True, named=True, sets=("tier", "name", "owner"),
               mirrors=("tier", "name", "owner"), effect=set_given("tier", "name", "owner")),
    # 定期回访: by the card's owner, or customer service
    Transition("revisit", ("active",), (), stays=True, named=True, sets=("revisits",), effect=_revisit,
               needs=("outcome",), command="customer revisit KEY --outcome reached|unreachable",
               also_allowed=lambda step: step.by == step.rec.get("owner")),
    AMEND,
)


def revisit_every(rec: dict, ctx, since) -> float | None:
    spec = tiers(ctx.in_force(since).policy).get(rec.get("tier")) or {}
    days = spec.get("revisit_every_days")
    return float(days) if isinstance(days, (int, float)) and not isinstance(days, bool) and days > 0 else None


def deadlines(rec: dict, ctx) -> list[Deadline]:
    """Each revisit as it fell due and was made, and the next one owed by the card's owner."""
    tz = ctx.tz
    history = [e for e in rec.get("history") or [] if isinstance(e, dict)]
    start = try_instant(history[0].get("at"), tz) if history else None
    if start is None:
        return []
    rows, last = [], start
    for visit in rec.get("revisits") or []:
        at = try_instant(visit.get("at"), tz) if isinstance(visit, dict) else None
        every = revisit_every(rec, ctx, last)
        if at is None or every is None:
            continue
        if visit.get("outcome") == "reached":
            rows.append(Deadline("revisit", last + dt.timedelta(days=every), rec.get("owner"), last, done=at,
                                 wall_clock=True, by=visit.get("by")))
            last = at
    every = revisit_every(rec, ctx, last)
    if every is not None:
        rows.append(Deadline("revisit", last + dt.timedelta(days=every), rec.get("owner"), last, owed=True,
                             wall_clock=True))
    return rows


def computed(rec: dict, ctx) -> dict:
    owed = [d for d in deadlines(rec, ctx) if d.owed]
    reached = [v for v in rec.get("revisits") or [] if isinstance(v, dict) and v.get("outcome") == "reached"]
    return {"last_revisit": reached[-1].get("at") if reached else None,
            "next_revisit": format_instant(owed[0].due, ctx.tz) if owed else None,
            "overdue": bool(ctx.now and owed and owed[0].due < ctx.now)}


WORKFLOW = Workflow(
    type="customer",
    transitions=TRANSITIONS,
    notes={},
    fields={
        "key": Str(required=True),
        "name": Str(),
        "tier": Tier(required=True),
        "owner": PersonRef(),
        "revisits": List(item=Map(fields={
            "at": Instant(required=True), "by": PersonRef(required=True),
            "outcome": Enum(required=True, values=REVISIT_OUTCOMES), "satisfaction": Number(integer=True, minimum=1, maximum=5), "note": Str()})),
    },
    computed=computed,
    deadlines=deadlines,
)


def card_tiers(ctx) -> dict:
    """Customer key → tier, of every card (read once per command)."""
    from csops.workflows.customers import customer_key

    if "card_tiers" not in ctx._cache:
        found = {}
        if "customer" in ctx.workflows and ctx.store is not None:
            for rec in ctx.records("customer"):
                key = customer_key(rec.data.get("key")) if isinstance(rec.data, dict) else None
                if key:
                    found[key] = rec.data.get("tier")
        ctx._cache["card_tiers"] = found
    return ctx._cache["card_tiers"]
