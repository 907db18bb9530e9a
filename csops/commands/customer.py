"""Customer cards 客户卡: set a customer's tier, name and owner; record a regular revisit 定期回访."""

from __future__ import annotations

from csops import actions
from csops.errors import BadInput, NotFound
from csops.i18n import _
from csops.workflows.cards import REVISIT_OUTCOMES, tiers
from csops.workflows.customers import customer_key


def card_of(session, key: str, *, files: bool = False):
    """The card of a customer key (None when the customer has none); `files`: read from the card
    files (a write reads a few cards, not the index)."""
    source = session.ctx.from_files() if files else session.ctx
    for rec in source.records("customer"):
        if isinstance(rec.data, dict) and customer_key(rec.data.get("key")) == key:
            return rec.data
    return None


def key_of(contact: str) -> str:
    key = customer_key(contact)
    if key is None:
        raise BadInput(_("{contact!r} is not a phone number or an e-mail address", contact=(contact or "")[:40]),
                       _("give the customer's whole phone number or e-mail address"))
    return key


def set_card(session, contact: str, *, tier: str, name=None, owner=None, reason: str) -> str:
    """`customer set`: a new card, or a change of an existing one's tier, name or owner (one commit)."""
    if not (reason or "").strip():
        raise BadInput(_('--reason is required: say why the customer has this tier'))
    known = tiers(session.policy)
    if tier not in known:
        raise BadInput(_("--tier {tier}: not a tier in the policy's customers.tiers", tier=tier),
                       _("tiers: {names}", names=", ".join(known) or _("none")))
    if owner:
        session.roster.require(owner)
    key = key_of(contact)
    card = card_of(session, key)
    if card is None:
        fields = {"key": key, "name": (name or "").strip() or None, "tier": tier, "owner": owner}
        return actions.create(session, "customer", {k: v for k, v in fields.items() if v}, note=reason.strip())
    params = {"tier": tier, "name": (name or "").strip() or None, "owner": owner}
    return actions.transition(session, "customer", card["id"], "set", params=params, note=reason.strip())


def revisit(session, contact: str, *, outcome: str, satisfaction=None, note=None) -> str:
    """`customer revisit`: a regular revisit 定期回访 on the customer's card."""
    if outcome not in REVISIT_OUTCOMES:
        raise BadInput(_("--outcome must be reached or unreachable, not {outcome!r}", outcome=outcome))
    if outcome == "reached" and satisfaction is None:
        raise BadInput(_('--outcome reached needs --satisfaction 1-5 (5 高度满意 … 1 极不满意)'))
    if outcome != "reached" and satisfaction is not None:
        raise BadInput(_('--satisfaction only applies to a reached callback'))
    card = card_of(session, key_of(contact))
    if card is None:
        raise NotFound(_('this customer has no card'), _('give them one first: csops customer set CONTACT --tier T'))
    params = {"outcome": outcome, "satisfaction": satisfaction, "note": note}
    return actions.transition(session, "customer", card["id"], "revisit", params=params, note=note)
