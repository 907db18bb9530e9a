"""Every help text of the command line, read from the command tree itself (many are made per
record type, e.g. `Show one ticket: …`): what csops.translations puts in the catalog beside the
messages of `_()`."""

from __future__ import annotations

import inspect
from pathlib import Path

import click


def help_texts() -> dict[str, list[str]]:
    """Every help text of every csops command, group and option → where it is written (path:line
    of the function that makes the command). Many are made per record type (`Show one ticket: …`),
    so they are read from the command tree itself, not from the source."""
    from csops.cli import COMMANDS, cli

    root = Path(__file__).resolve().parent.parent.parent
    found: dict[str, list[str]] = {}

    def note(text: str | None, command: click.Command) -> None:
        if not text:
            return
        code = getattr(command.callback, "__code__", None)
        where = (f"{Path(code.co_filename).resolve().relative_to(root).as_posix()}:{code.co_firstlineno}"
                 if code is not None else "csops/cli/__init__.py:1")
        if where not in found.setdefault(text, []):
            found[text].append(where)

    def walk(command: click.Command) -> None:
        note(inspect.cleandoc(command.help).partition("\f")[0] if command.help else None, command)
        note(command.short_help, command)
        for param in command.params:
            note(getattr(param, "help", None), command)
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name))

    walk(cli)
    for _module, summary in COMMANDS.values():
        note(summary, cli)
    return found
