"""csops report …: what supervisors read every day."""

from __future__ import annotations

import click

from csops.cli.common import echo_rows, output_options, session


@click.group("report")
def report():
    """Reports: overdue work, scores, statistics, the daily return sheet.

    \b
    Example:
      csops --now 2026-11-23T09:00 report overdue
    """


@report.command("overdue")
@click.option("--type", "rtype", type=click.Choice(["ticket", "return", "leave"]), default=None,
              help="Only this record type.")
@click.option("--owner", default=None, help="Only what this person owes.")
@click.option("--fail-if-any", is_flag=True, help="Exit 1 when anything is late (for cron or CI).")
@output_options
@click.pass_context
def overdue(ctx, rtype, owner, fail_if_any, fmt, lang):
    """Everything late as of --now, most overdue first, with working hours late.

    \b
    Example:
      csops --now 2026-11-23T09:00 report overdue --fail-if-any
    """
    from csops.reports.overdue import COLUMNS, overdue_rows

    sess = session(ctx)
    rows = overdue_rows(sess, rtype=rtype, owner=owner)
    echo_rows(sess, rows, COLUMNS, fmt, lang)
    if fail_if_any and rows:
        ctx.exit(1)


COMMANDS = [report]
