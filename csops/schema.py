"""Field declarations for record files and the checks they imply (required, enums, dates, refs).

Each spec checks a value at a key path and adds Problems; the key path becomes a line number
only when a problem is printed.
"""

from __future__ import annotations

import re

from csops.i18n import _
from csops.problems import Problems
from csops.timeutil import try_instant

_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Spec:
    """A field declaration; options are class attributes with defaults (plain classes, not
    dataclasses: each dataclass costs an exec at import, and every command imports these)."""

    required: bool = False

    def __init__(self, required: bool = False, **options):
        self.required = required
        for name, value in options.items():
            if not hasattr(type(self), name):
                raise TypeError(f"{type(self).__name__} has no option {name!r}")
            setattr(self, name, value)

    def check(self, value, key: tuple, ctx, out: Problems, path: str) -> None:
        raise NotImplementedError

    def type_error(self, value, key, out, path, expected):
        out.add(path, "BAD_FIELD", _("{field}: expected {expected}, got {value}",
                                     field=_dotted(key), expected=expected, value=_show(value)), key=key)


class Str(Spec):
    max_len: int = 4000                  # docs/rules.md: text fields ≤ 4,000 characters

    def check(self, value, key, ctx, out, path):
        if not isinstance(value, str) or not value.strip():
            return self.type_error(value, key, out, path, "text")
        if len(value) > self.max_len:
            out.add(path, "BAD_FIELD", _("{field}: longer than {max_len} characters",
                                         field=_dotted(key), max_len=self.max_len), key=key)


class Enum(Spec):
    values: tuple = ()

    def check(self, value, key, ctx, out, path):
        if value not in self.values:
            out.add(path, "BAD_FIELD", _("{field}: {value} is not one of {names}",
                                         field=_dotted(key), value=_show(value),
                                         names=', '.join(map(str, self.values))),
                    key=key)


_GOOD_INSTANTS: set = set()     # texts already found well formed (a record's times recur: created, history)


class Instant(Spec):
    def check(self, value, key, ctx, out, path):
        if value.__class__ is str and value in _GOOD_INSTANTS:
            return
        if not isinstance(value, str) or try_instant(value, ctx.policy.tz) is None or len(value) < 16:
            return self.type_error(value, key, out, path,
                                   "an ISO 8601 time like 2026-11-23T09:30:00+08:00 (years 2000–2099)")
        if not _OFFSET.search(value):
            return out.add(path, "BAD_FIELD", _("{field}: {value} has no UTC offset",
                                                field=_dotted(key), value=value), _('append +08:00'), key=key)
        if value.__class__ is str:    # with its offset, its reading does not depend on the zone
            if len(_GOOD_INSTANTS) >= 16384:
                _GOOD_INSTANTS.clear()
            _GOOD_INSTANTS.add(value)


class Date(Spec):
    def check(self, value, key, ctx, out, path):
        import datetime as dt

        from csops.timeutil import in_range

        if isinstance(value, str) and _DATE.match(value):
            try:
                if in_range(dt.date.fromisoformat(value)):
                    return
            except ValueError:
                pass
        self.type_error(value, key, out, path, "a date YYYY-MM-DD between 2000 and 2099")


class PersonRef(Spec):
    def check(self, value, key, ctx, out, path):
        if not isinstance(value, str):
            return self.type_error(value, key, out, path, "a person id")
        if value not in ctx.roster:
            out.add(path, "UNKNOWN_PERSON", _("{field}: no person {value!r} in the roster",
                                              field=_dotted(key), value=value),
                    _('add them with csops person add, or fix the id'), key=key)


class RecordRef(Spec):
    def check(self, value, key, ctx, out, path):
        if not isinstance(value, str) or not value.strip():
            self.type_error(value, key, out, path, "a record id")
        # existence is a cross-record check (checks.check_unique_ids)


class Number(Spec):
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    decimals: int | None = None
    positive: bool = False

    def check(self, value, key, ctx, out, path):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return self.type_error(value, key, out, path, "a whole number" if self.integer else "a number")
        if self.integer and not isinstance(value, int):
            return self.type_error(value, key, out, path, "a whole number")
        if value != value or value in (float("inf"), float("-inf")):
            return self.type_error(value, key, out, path, "a finite number")
        if self.positive and value <= 0:
            out.add(path, "BAD_FIELD", _("{field}: must be positive, got {value}",
                                         field=_dotted(key), value=value), key=key)
        if self.minimum is not None and value < self.minimum:
            out.add(path, "BAD_FIELD", _("{field}: must be at least {minimum}, got {value}",
                                         field=_dotted(key), minimum=self.minimum, value=value), key=key)
        if self.maximum is not None and value > self.maximum:
            out.add(path, "BAD_FIELD", _("{field}: must be at most {maximum}, got {value}",
                                         field=_dotted(key), maximum=self.maximum, value=value), key=key)
        if self.decimals is not None and decimals_of(value) > self.decimals:
            out.add(path, "BAD_FIELD", _("{field}: at most {decimals} decimals, got {value}",
                                         field=_dotted(key), decimals=self.decimals, value=value), key=key)


class Money(Spec):
    """Yuan as a decimal string with two places ("199.90"); a round-1 number is accepted with a
    warning (the next write converts it)."""
    positive: bool = False

    def check(self, value, key, ctx, out, path):
        from decimal import Decimal

        from csops.money import MAXIMUM, is_legacy, stored_amount

        amount = stored_amount(value)
        if amount is None:
            return self.type_error(value, key, out, path, 'an amount like "199.90" (in quotes, two decimals)')
        if amount > MAXIMUM or amount < 0 or (self.positive and amount == 0):
            out.add(path, "BAD_FIELD", _("{field}: {value} is not an amount from 0.01 to {MAXIMUM}",
                                         field=_dotted(key), value=value, MAXIMUM=MAXIMUM), key=key)
        elif decimals_of(amount) > 2:
            out.add(path, "BAD_FIELD", _("{field}: at most 2 decimals, got {value}",
                                         field=_dotted(key), value=value), key=key)
        elif is_legacy(value):
            out.add(path, "LEGACY_AMOUNT", _("{field}: {value} is stored as a number", field=_dotted(key), value=value),
                    _('write it as "{amount}"; the next csops write converts it',
                      amount=amount.quantize(Decimal("0.01"))), key=key)


class Bool(Spec):
    def check(self, value, key, ctx, out, path):
        if not isinstance(value, bool):
            self.type_error(value, key, out, path, "true or false")


class Map(Spec):
    fields: dict = {}
    open: bool = True   # unknown keys allowed (teams may add their own)

    def check(self, value, key, ctx, out, path):
        if not isinstance(value, dict):
            return self.type_error(value, key, out, path, "a mapping")
        check_fields(value, self.fields, key, ctx, out, path)


class List(Spec):
    item: Spec = None
    min_len: int = 0

    def check(self, value, key, ctx, out, path):
        if not isinstance(value, list):
            return self.type_error(value, key, out, path, "a list")
        if len(value) < self.min_len:
            out.add(path, "BAD_FIELD", _("{field}: needs at least {min_len} entries",
                                         field=_dotted(key), min_len=self.min_len), key=key)
        for i, item in enumerate(value):
            self.item.check(item, key + (i,), ctx, out, path)


def check_fields(data: dict, fields: dict, key: tuple, ctx, out: Problems, path: str) -> None:
    for name, spec in fields.items():
        value = data.get(name)
        if value is None:
            if spec.required:
                out.add(path, "MISSING_FIELD", _("{field} is required",
                                                 field=_dotted(key + (name,))), key=key or (name,))
            continue
        spec.check(value, key + (name,), ctx, out, path)


def decimals_of(value) -> int:
    from decimal import Decimal, InvalidOperation      # (imported where money is read: not by every command)

    try:
        exponent = Decimal(str(value)).normalize().as_tuple().exponent
    except InvalidOperation:
        return 99
    return max(0, -exponent) if isinstance(exponent, int) else 99


def _dotted(key: tuple) -> str:
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "record"


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
