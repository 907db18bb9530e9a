"""Problems are data: what validate (and every check) returns, printed like a compiler."""

from __future__ import annotations

from typing import NamedTuple

# Codes that are reported but do not fail validate (exit 0): something to tidy, not a broken rule.
WARNINGS = frozenset({"LEGACY_AMOUNT", "NO_MERGE_DRIVER", "ESTIMATED_CALENDAR"})


class Problem(NamedTuple):
    path: str                  # file, relative to the repo root where possible
    code: str                  # e.g. ILLEGAL_TRANSITION, BAD_FIELD
    message: str
    hint: str | None = None
    key: tuple = ()            # where in the file: ("history", 3, "to"); resolved to a line lazily
    line: int | None = None    # 1-based, when already known
    commit: str | None = None  # for history problems: the commit that introduced it

    @property
    def is_warning(self) -> bool:
        return self.code in WARNINGS

    def format(self, line: int | None = None) -> str:
        line = line or self.line
        where = f"{self.path}:{line}" if line else self.path
        code = f"warning: {self.code}" if self.is_warning else self.code
        text = f"{where}: {code} {self.message}"
        if self.commit:
            text = f"{where}: {code} commit {self.commit[:10]}: {self.message}"
        if not self.hint:
            return text
        from csops.i18n import _

        return _("{message} ({hint})", message=text, hint=self.hint)


class Problems:
    """A collector that checks append to."""

    def __init__(self, items: list[Problem] | None = None):
        self.items: list[Problem] = items if items is not None else []

    def add(self, path, code, message, hint=None, key=(), line=None, commit=None):
        self.items.append(Problem(str(path), code, message, hint, tuple(key), line, commit))

    def __bool__(self):
        return bool(self.items)

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)
