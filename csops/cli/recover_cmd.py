"""csops recover"""

from __future__ import annotations

from pathlib import Path

import click

from csops.cli.helptext import CsopsCommand
from csops.i18n import _


@click.command("recover", cls=CsopsCommand)
@click.pass_context
def recover(ctx):
    """Finish or undo a write that was interrupted (Ctrl-C, kill, power cut, full disk): a commit
    that had landed is completed in the work tree, anything earlier is undone. Needs no acting
    person; exit 0, also when there was nothing to do.

    \b
    Example:
      csops recover
    """
    from csops.gitlog import Git
    from csops.store import find_records_root
    from csops.txn import recover as do_recover

    root = find_records_root(Path.cwd(), ctx.obj.records)
    done = do_recover(Git(root), root)
    for line in done:
        click.echo(line)
    if not done:
        click.echo(_('nothing to recover'), err=True)


COMMAND = recover
