"""The domain exceptions and exit codes. The CLI turns these into one line and a code, in one place."""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    OK = 0
    REFUSED = 1      # a rule refused the action, or validate found problems
    BAD_INPUT = 2    # bad usage or bad input (click's convention)
    INTERNAL = 70    # a bug in csops (EX_SOFTWARE): one line naming a saved traceback
    INTERRUPTED = 130


class CsopsError(Exception):
    """Base of every error csops reports to a user; `str()` is the one-line message."""

    exit_status = ExitStatus.BAD_INPUT

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if not self.hint:
            return self.message
        from csops.i18n import _

        return _("{message} ({hint})", message=self.message, hint=self.hint)


class BadInput(CsopsError):
    """An argument, a file or a policy value that cannot be used as given."""


class PolicyError(BadInput):
    """policy.yaml is missing, malformed or not sane."""


class CalendarError(PolicyError):
    """The business calendar cannot answer (empty, malformed, no working time in reach)."""


class NotFound(BadInput):
    """A record, person or repository that does not exist."""


class NotARepository(NotFound):
    """The folder is not inside a Git work tree (init makes one; everything else refuses)."""


class Refused(CsopsError):
    """A rule refused the action: illegal transition, wrong role, failed guard."""

    exit_status = ExitStatus.REFUSED


class Conflict(CsopsError):
    """The repository is not in a state to accept a change (lock held, uncommitted edit, git failed)."""

    exit_status = ExitStatus.REFUSED
