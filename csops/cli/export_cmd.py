"""csops export …: the records in other tools' formats."""

from __future__ import annotations

from pathlib import Path

import click

from csops.cli.common import require_reveal, session
from csops.cli.helptext import CsopsSubGroup


@click.group("export", cls=CsopsSubGroup)
def export():
    """Export the records for analysts.

    \b
    Example:
      csops export sqlite cs.db && sqlite3 cs.db "select kind, count(*) from tickets group by kind"
    """


@export.command("sqlite")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reveal", is_flag=True, help="Customers' contacts unmasked (supervisor or above).")
@click.pass_context
def sqlite(ctx, file, reveal):
    """Write every record into the SQLite database FILE (replaced once complete): tickets,
    returns, leaves, scores, people, catalog, and the history entries, callbacks, return items,
    vendor notes and approvals inside them, with foreign keys and indexes. Opens in sqlite3,
    Datasette or any SQL tool.

    \b
    Example:
      csops export sqlite cs.db
      datasette cs.db
    """
    from csops.reports.export import export_sqlite

    sess = session(ctx, reads=True)
    if reveal:
        require_reveal(sess)
    counts = export_sqlite(sess, file, reveal=reveal)
    from csops.render import safe_text

    click.echo(f"{safe_text(str(file))}: " + ", ".join(f"{name} {n}" for name, n in counts.items()))


COMMAND = export
