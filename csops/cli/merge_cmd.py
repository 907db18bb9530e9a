"""csops merge-file: the Git merge driver for record files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from csops.cli.helptext import CsopsCommand
from csops.i18n import _


@click.command("merge-file", cls=CsopsCommand)
@click.argument("base", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("ours", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("theirs", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("name", required=False, default="")
def merge_file(base, ours, theirs, name):
    """Git merge driver for record files: unites history entries (by time) and re-derives
    status; a field both sides changed differently is left as a normal conflict. Writes the
    result over OURS; exits 1 on a conflict.

    \b
    Example (csops init registers it; for an existing clone, once — csops validate prints the
    exact command for your machine):
      git config merge.csops.driver "python3 -m csops merge-file %O %A %B %P"
    """
    from csops.merge import merge_texts, way_out
    from csops.store import atomic_write

    try:
        texts = [p.read_text(encoding="utf-8") if p.exists() else "" for p in (base, ours, theirs)]
    except UnicodeDecodeError:
        texts = None             # not UTF-8, so not a record csops can read: merged as plain text
    result = merge_texts(*texts) if texts is not None else None
    if result is None:  # not a record: an ordinary three-way text merge
        from csops.gitlog import merge_file

        sys.exit(0 if merge_file(ours, base, theirs) else 1)
    if result.cannot_stand is not None:        # no record is written: Git reports the file conflicted
        before, after = result.cannot_stand
        click.echo(_("csops merge-file: {name}: the two sides cannot both stand: {before} and {after}; "
                     "{way_out}", name=name or ours, before=_step(before), after=_step(after),
                     way_out=way_out()), err=True)
        sys.exit(1)
    atomic_write(ours, result.text)
    if result.conflicts:
        click.echo(_("csops merge-file: {name}: both sides changed {names}",
                     name=name or ours, names=', '.join(result.conflicts)), err=True)
        sys.exit(1)


def _step(entry) -> str:
    if not isinstance(entry, dict):
        return _("the start")
    action = entry.get("action")
    return f"{entry.get('at')} {entry.get('by')} {entry.get('from', '')}→{entry.get('to')}" + (f" ({action})" if action else "")


COMMAND = merge_file
