"""Ticket commands 工单: register, route, resolve, call back, escalate, close, void."""

from __future__ import annotations

from csops import actions
from csops.errors import BadInput, Refused
from csops.i18n import _
from csops.timeutil import format_instant, parse_input, parse_instant
from csops.vocab import OUTCOMES
from csops.workflows.ticket import MAX_DUE


def new(session, *, kind, channel, level, customer, contact, summary, order=None, links=(), note=None) -> str:
    policy = session.policy
    if kind not in policy.ticket_kinds():
        raise BadInput(_("--kind {kind}: not a kind in the policy's tickets.kinds", kind=kind),
                       _("kinds: {names}", names=", ".join(policy.ticket_kinds())))
    if channel not in policy.channels():
        raise BadInput(_("--channel {channel}: not a channel in the policy's tickets.channels", channel=channel),
                       _("channels: {names}", names=", ".join(policy.channels())))
    if not (summary or "").strip():
        raise BadInput(_("--summary is empty: say in a few words what the customer wants"))
    contact = checked_contact(contact)
    if level is None and kind == "complaint" and contact:
        level = _tier_level(session, contact)       # a VIP's complaint is urgent from registration
    level = level or "normal"
    fields = {"kind": kind, "channel": channel, "level": level,
              "customer": {"name": customer, **({"contact": contact} if contact else {})}, "summary": summary}
    if order:
        fields["order"] = order.strip()
    if links:
        fields["links"] = link_ids(session, links)
    return actions.create(session, "ticket", fields, note=note)


def checked_contact(contact: str | None) -> str | None:
    """--contact as given (None: not given), refused when no customer could ever be found by it
    (`--contact 123`, `--contact ""`: listings, customer show and the repeat-caller check look a
    customer up by the whole number or address)."""
    from csops.workflows.customers import customer_key

    if contact is None:
        return None
    if customer_key(contact) is None:
        raise BadInput(_("--contact {contact!r}: not a phone number (five digits or more) or an e-mail address",
                         contact=contact), _("give the customer's whole number or address, or leave --contact out"))
    return contact.strip()


def _tier_level(session, contact: str) -> str | None:
    """The level a complaint of this customer starts at: their card's tier's complaint_level."""
    from csops.workflows.cards import tiers
    from csops.workflows.customers import customer_key

    key = customer_key(contact)
    if not key or not session.store.type_dir("customer").is_dir():
        return None
    from csops.commands.customer import card_of

    card = card_of(session, key, files=True)
    spec = tiers(session.policy).get(card.get("tier")) if card else None
    return spec.get("complaint_level") if isinstance(spec, dict) else None


def link_ids(session, refs) -> list[str]:
    """--link ID (repeatable): the full ids of existing tickets or returns."""
    out = []
    for ref in refs:
        rtype, path = session.store.locate(ref)
        if rtype not in ("ticket", "return"):
            raise BadInput(_("--link {ref}: link a ticket or a return, not a {rtype}", ref=ref, rtype=rtype))
        if path.stem not in out:
            out.append(path.stem)
    return out


def route(session, ref, *, department, assignee=None, due=None, note=None) -> str:
    if not (department or "").strip():
        raise BadInput(_('--to-dept must name the department that will handle it'))
    if assignee:
        session.roster.require(assignee)
    due_text = format_instant(parse_input(due, session.tz, what="--due"), session.tz) if due is not None else None
    if due_text and parse_instant(due_text, session.tz) <= session.now:
        raise BadInput(_("--due {due} is not in the future", due=due), _('give a deadline after --now'))
    if due_text and parse_instant(due_text, session.tz) > session.now + MAX_DUE:
        raise BadInput(_("--due {due} is more than a year away",
                         due=due), _('a deadline is at most a year after registration'))
    params = {"department": department, "assignee": assignee, "due": due_text}
    return actions.transition(session, "ticket", ref, "route", params=params, note=note)


def resolve(session, ref, *, note=None) -> str:
    return actions.transition(session, "ticket", ref, "resolve", note=note)


def callback(session, ref, *, outcome, satisfaction=None, note=None) -> str:
    if outcome not in OUTCOMES:
        raise BadInput(_("--outcome must be reached, unreachable or wrong_contact, not {outcome!r}", outcome=outcome))
    if outcome == "wrong_contact" and not (note or "").strip():
        raise BadInput(_('--outcome wrong_contact needs --note: what was wrong with the contact details'))
    if outcome == "reached" and satisfaction is None:
        raise BadInput(_('--outcome reached needs --satisfaction 1-5 (5 高度满意 … 1 极不满意)'))
    if outcome != "reached" and satisfaction is not None:
        raise BadInput(_('--satisfaction only applies to a reached callback'))
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise BadInput(_("--satisfaction must be 1 to 5, not {satisfaction}", satisfaction=satisfaction))
    params = {"outcome": outcome, "satisfaction": satisfaction, "note": note}
    return actions.transition(session, "ticket", ref, "callback", params=params, note=note)


def escalate(session, ref, *, emergency=False, to=None, note=None) -> str:
    """逐级上报 (000): one level up, reported to the escalating person's superior (further up only
    with --emergency, flagged for reporting afterwards). At the top level the level stays and the
    report goes one step further up the chain from whoever it was last reported to."""
    actor, roster = session.actor, session.roster
    levels = list(session.policy.section("tickets").get("levels") or [])
    path, current = actions.current_record(session, "ticket", ref)
    level = current.get("level") or levels[0]
    if level not in levels:
        raise Refused(_("ticket {id}: level {level!r} is not in the policy's tickets.levels",
                        id=current.get('id'), level=level))
    top = levels.index(level) + 1 >= len(levels)
    previous = [e for e in current.get("escalations") or [] if isinstance(e, dict) and e.get("reported_to")]
    start = previous[-1]["reported_to"] if top and previous else actor.id
    chain = roster.chain_above(start)
    if not chain:
        from csops.i18n import language

        person = roster.get(start)
        who = person.name if language() == "zh" and person is not None and person.name else start
        if top and previous:
            raise Refused(_("ticket {id}: nobody is left above {who} in the reporting chain (it is already {level})",
                            id=current.get('id'), who=who, level=level))
        raise Refused(_("ticket {id}: {who} has nobody to report to in the reporting chain (it is already {level})",
                        id=current.get('id'), who=who, level=level))
    target = roster.require(to) if to else (chain[1] if emergency and len(chain) > 1 else chain[0])
    if target.id not in [p.id for p in chain]:
        raise Refused(_("{id} is not above {start} in the reporting chain", id=target.id, start=start))
    skipped = [p.id for p in chain[: [p.id for p in chain].index(target.id)]]
    if skipped and not emergency:
        raise Refused(_("reporting to {id} skips {names}: 逐级上报 — use --emergency to skip a level (it is flagged for "
                        "after-the-fact reporting)",
                        id=target.id, names=', '.join(skipped)))
    new_level = level if top else levels[levels.index(level) + 1]
    summary = f"{level} → {new_level}, reported to {target.id}" + (
        f" (emergency: report to {chain[0].id} afterwards)" if skipped else "")
    params = {"from_level": level, "to_level": new_level, "reported_to": target.id, "skipped": skipped,
              "report_after": chain[0].id if skipped else None, "summary": summary}
    return actions.transition(session, "ticket", ref, "escalate", params=params, note=note)


def report_after(session, ref, *, note=None) -> str:
    """Record the after-the-fact report of your emergency escalation (事后必须向上级汇报, 000): the
    oldest one of yours not yet reported."""
    _path, current = actions.current_record(session, "ticket", ref)
    done = {str(r.get("escalation")) for r in current.get("after_reports") or [] if isinstance(r, dict)}
    owed = [e for e in current.get("escalations") or [] if isinstance(e, dict) and e.get("emergency")
            and e.get("report_after") and str(e.get("at")) not in done and e.get("by") == session.actor.id]
    if not owed:
        raise Refused(_("{ref}: no emergency escalation of yours waits for its after-the-fact report", ref=ref))
    esc = owed[0]
    params = {"escalation": str(esc["at"]), "to": esc["report_after"],
              "summary": f"reported to {esc['report_after']} after the emergency escalation of {esc['at']}"}
    return actions.transition(session, "ticket", ref, "report_after", params=params, note=note)


def wait(session, ref, *, on, reason) -> str:
    """挂起: the ticket waits on the customer, a supplier or a department, and why."""
    from csops.vocab import WAIT_ON

    if on not in WAIT_ON:
        raise BadInput(_("--on {on}: wait on {names}", on=on, names=", ".join(WAIT_ON)))
    if not (reason or "").strip():
        raise BadInput(_('--reason is required: say what the ticket waits for'))
    return actions.transition(session, "ticket", ref, "wait", params={"on": on}, note=reason.strip())


def resume(session, ref, *, note=None) -> str:
    return actions.transition(session, "ticket", ref, "resume", note=note)


def close(session, ref, *, note=None) -> str:
    return actions.transition(session, "ticket", ref, "close", note=note)


def void(session, ref, *, reason, duplicate_of=None) -> str:
    """A duplicate or mistaken ticket (team lead or above): it owes nothing from now on."""
    if not (reason or "").strip():
        raise BadInput(_('--reason is required: say why the ticket is void'))
    if duplicate_of:
        duplicate_of = session.store.locate(duplicate_of, "ticket")[1].stem
    return actions.transition(session, "ticket", ref, "void", params={"duplicate_of": duplicate_of},
                              note=reason.strip())
