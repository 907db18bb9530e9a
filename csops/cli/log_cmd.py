"""csops log ID"""

from __future__ import annotations

import click

from csops.cli.common import complete_id, echo_rows, output_options, session
from csops.cli.helptext import CsopsCommand


@click.command("log", cls=CsopsCommand)
@click.argument("record_id", shell_complete=complete_id)
@output_options
@click.pass_context
def log(ctx, record_id, fmt, lang):
    """A record's audit trail from Git: when, who, which transition, which commit.

    \b
    Example:
      csops log T-20261123-7K3Q5X
    """
    from csops.reports.listing import record_log

    sess = session(ctx)
    rows = record_log(sess, record_id)
    columns = ["when", "by", "transition", "commit"] + [c for c in ("committer", "signer") if any(r[c] for r in rows)]
    echo_rows(sess, rows, columns, fmt, lang)


COMMAND = log
