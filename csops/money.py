"""Money: yuan amounts as decimal strings with exactly two places ("199.90"), read as Decimal,
bounded; never a float anywhere between the command line and the file (docs/rules.md)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from csops.errors import BadInput
from csops.i18n import _

MAXIMUM = Decimal("1000000.00")
_TEXT = re.compile(r"^\d{1,7}(\.\d{1,2})?$")
_STORED = re.compile(r"^\d{1,7}\.\d{2}$")


def parse_money(value, *, what: str = "amount", positive: bool = True) -> Decimal:
    """An amount typed by a person: digits with at most two decimals, > 0 (or ≥ 0), ≤ 1,000,000.00."""
    text = str(value).strip().replace(",", "") if value is not None else ""
    if not _TEXT.match(text):
        raise BadInput(_("{what} {value!r}: write an amount in yuan with at most two decimals, e.g. 199.90",
                         what=what, value=value))
    amount = Decimal(text)
    if amount > MAXIMUM:
        raise BadInput(_("{what} {value}: more than {limit} yuan", what=what, value=value, limit=money_text(MAXIMUM)))
    if positive and amount <= 0:
        raise BadInput(_("{what} {value}: must be more than 0", what=what, value=value))
    return amount


def money_text(amount: Decimal) -> str:
    """The stored form: exactly two decimals."""
    return f"{amount.quantize(Decimal('0.01')):.2f}"


def stored_amount(value) -> Decimal | None:
    """An amount as stored: the decimal string, or (round 1) a plain number; None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and _STORED.match(value.strip()):
        return Decimal(value.strip())
    if isinstance(value, (int, float)):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return None
        return amount if amount.is_finite() else None
    return None


def is_legacy(value) -> bool:
    """A round-1 amount stored as a YAML number: accepted (with a warning) until the next write."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)
