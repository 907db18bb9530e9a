"""Who a ticket or a return is from: the customer key (a contact normalized) and the name, as the
customer archive 客户档案 (004; docs/rules.md) and the record index read them."""

from __future__ import annotations

import re


def customer_key(contact) -> str | None:
    """A phone: its digits, a leading 86 / +86 dropped; an e-mail: lower case; else None."""
    if not isinstance(contact, str) or not contact.strip():
        return None
    text = contact.strip()
    if "@" in text:
        return text.lower()
    digits = re.sub(r"\D", "", text)
    if digits.startswith("86") and len(digits) > 11:
        digits = digits[2:]
    return digits if len(digits) >= 5 else None


def identity(rtype: str, data: dict) -> tuple[str | None, str | None, str | None]:
    """(name, contact, order) of a ticket or a return."""
    customer = data.get("customer")
    if rtype == "ticket":
        customer = customer if isinstance(customer, dict) else {}
        return customer.get("name"), customer.get("contact"), data.get("order")
    return customer if isinstance(customer, str) else None, data.get("contact"), data.get("order")


def who(rtype: str, data: dict) -> tuple[str, ...]:
    """How the archive may find a record: "k:" + its customer key, "n:" + its customer's name."""
    if rtype not in ("ticket", "return"):
        return ()
    name, contact, _order = identity(rtype, data)
    key = customer_key(contact)
    return tuple(x for x in ((f"k:{key}" if key else None), (f"n:{name}" if isinstance(name, str) else None)) if x)
