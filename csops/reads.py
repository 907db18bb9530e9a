"""What a command reads through the record index, known from its words alone — so that `git
status` (at 100,000 files most of a warm read) starts as the process starts, before click and the
command's code are imported (csops.__main__), and so that Git is asked only about the folders of
the record types the command reads. Kept light: it imports neither click nor the records' code."""

from __future__ import annotations

import os

# The commands that read through the record index, and the record types each reads (None: every
# type; a group's "*": its other sub-commands). Git is asked what changed in those types' folders
# only; the index refuses, as a bug, to answer for a type a command did not name
# (csops.cache.index.Index).
# (Customer cards are read with tickets and returns: a customer's tier sets their deadlines.)
READS = {
    "search": None, "export": None, "validate": None, "notify": None,
    "report": {"stats": ("ticket", "customer"), "agents": ("ticket", "return", "customer"),
               "daily": ("ticket", "return", "customer"), "returns": ("return", "customer"),
               "vendor": ("return", "customer"), "scores": ("score", "leave"), "revisits": ("customer",),
               "*": None},
    "customer": {"show": ("ticket", "return", "customer"), "list": None},
    # `show` reads its record from its file; the index only for the customer cards (a tier's deadlines)
    **{rtype: {"list": (rtype, "customer"), "show": ("customer",)}
       for rtype in ("ticket", "return", "leave", "score", "swap")},
}


# The commands that read what reports count of records (Workflow.facts: a ticket's business day,
# its resolutions' lateness and working hours): the record index works out those a validate left
# unworked before they run; any other command never waits for them.
COUNTS = {("report", "stats"), ("report", "agents"), ("report", "daily"), ("notify",)}


def counts(words: list[str]) -> bool:
    return tuple(words[:1]) in COUNTS or tuple(words[:2]) in COUNTS


def reads_of(words: list[str]):
    """The record types the command these words name reads (a tuple; None: every type), or False
    when it does not read through the record index."""
    if not words or words[0] not in READS:
        return False
    entry = READS[words[0]]
    if not isinstance(entry, dict):
        return entry
    return entry.get(words[1] if len(words) > 1 else None, entry.get("*", False))


def status_folders(scope) -> tuple[str, ...]:
    """The folders `git status` is asked about for a scope (reads_of): none named, every one."""
    from csops.vocab import TYPES

    return tuple(TYPES[rtype].folder for rtype in scope) if scope else ()


def start_reading(records: str | None, words: list[str]) -> None:
    """Start `git status` for the command these words (after the options before it) name, if it
    reads through the record index and does not only show its help (for `log ID`, the walk of
    the record's history: _start_log); the command's own ask for it
    (csops.gitlog.ask_status, same folder, same folders) takes this one. Nothing is said of an
    error: the command itself says what is wrong."""
    if "--help" in words or "-h" in words:
        return
    if len(words) > 1 and words[0] == "log" and not words[1].startswith("-"):
        _start_log(records, words[1])
        return
    scope = reads_of(words)
    if scope is False:
        return
    from csops.errors import CsopsError
    from csops.gitlog import start_status
    from csops.store import find_records_root

    try:
        start_status(find_records_root(os.getcwd(), records), status_folders(scope))
    except (CsopsError, OSError):
        return


def _start_log(records: str | None, ref: str) -> None:
    """For `csops log ID` (a whole id): start the walk of the record's history now
    (csops.gitlog.start_log), where the id's date puts its file (Store.canonical_path)."""
    from csops.errors import CsopsError
    from csops.gitlog import start_log
    from csops.store import canonical_rel, find_records_root, type_of_id
    from csops.vocab import ALLOWED_SIGNERS

    record_id = ref.strip().upper()
    rtype = type_of_id(record_id)
    if rtype is None:
        return                                     # an abbreviation: the command looks for it
    try:
        root = find_records_root(os.getcwd(), records)
        path = root / canonical_rel(rtype, record_id)
        if path.is_file():
            signers = root / ALLOWED_SIGNERS
            start_log(root, path, signers if signers.exists() else None)
    except (CsopsError, OSError):
        return


# The options of the `csops` group (csops.cli.cli) that come before the command, and which of them take a value
_VALUED = {"--records", "--as", "--now", "--backfill"}
_FLAGS = {"--version", "-v", "--verbose"}


def start_early(argv: list[str]) -> None:
    """start_reading for a command line as the process got it, before click parses it: the group's
    options are stepped over (--records is read, as is CSOPS_RECORDS); anything else before the
    command — an option csops does not know, --help — starts nothing and is left to click."""
    records = os.environ.get("CSOPS_RECORDS") or None
    words = list(argv)
    while words and words[0].startswith("-"):
        name, eq, value = words[0].partition("=")
        if name in _VALUED:
            if not eq:
                if len(words) < 2:
                    return
                value = words[1]
                del words[1]
            if name == "--records":
                records = value
        elif eq or name not in _FLAGS:
            return
        del words[0]
    start_reading(records, words)
