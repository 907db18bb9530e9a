"""csops import TYPE FILE: bring a team's existing 台账 in from Excel or CSV."""

from __future__ import annotations

from pathlib import Path

import click

from csops.cli.common import complete_person, progress_bar, session
from csops.cli.helptext import CsopsCommand
from csops.i18n import _
from csops.imports import KINDS


@click.command("import", cls=CsopsCommand)
@click.argument("what", type=click.Choice(KINDS), metavar="TYPE")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sheet", default=None, help="The sheet of an .xlsx workbook (default: the first).")
@click.option("--map", "map_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A YAML file naming the sheet's columns (原表列名: field) and their values (docs/import.md).")
@click.option("--key", default=None, metavar="COLUMN",
              help="The column with the sheet's own number, kept as source_key (default: the id/编号 column).")
@click.option("--default-by", default=None, shell_complete=complete_person, metavar="PERSON",
              help="Who made a step when the row does not say (登记人, 处理人 … empty).")
@click.option("--month", default=None, metavar="YYYY-MM", help="The month of a roster grid whose columns are days 1–31.")
@click.option("--dry-run", is_flag=True, help="Check every row and print the verdicts and counts; write nothing.")
@click.pass_context
def import_(ctx, what, file, sheet, map_file, key, default_by, month, dry_run):
    """Bring the existing ledger in 导入台账: people, roster, tickets, returns, leave or scores
    from .xlsx or .csv (UTF-8 or GB18030). Each row becomes a record as of its own times, checked
    by the same rules as the commands; a refused row refuses the whole file, each problem as
    FILE:ROW: CODE message. One commit per file; rows imported before (same key) are skipped.

    \b
    Example:
      csops import tickets 工单台账.xlsx --dry-run
      csops import tickets 工单台账.xlsx --map 台账映射.yaml --default-by zhangwei
      csops import roster 排班表.xlsx --month 2026-12
    """
    from csops.imports import run

    sess = session(ctx)
    outcome = run(sess, what, file, sheet=sheet, map_file=map_file, key=key, default_by=default_by, month=month,
                  dry_run=dry_run, progress=progress_bar(_("checking the rows")))
    if outcome.ignored:
        click.echo(_("csops: columns not imported: {names}", names=", ".join(outcome.ignored)), err=True)
    for warning in outcome.warnings:
        click.echo(_("csops: warning: {text}", text=warning), err=True)
    for problem in outcome.problems:
        click.echo(problem)
    if outcome.problems:
        from csops.errors import Refused

        raise Refused(_("{file}: nothing imported — {n} of {rows} rows refused", file=outcome.file,
                        n=len({p.split(": ", 1)[0] for p in outcome.problems}), rows=outcome.rows))
    if what == "roster":
        summary = _("{file}: {rows} rows, {new} person-days to set, {same} already so",
                    file=outcome.file, rows=outcome.rows, new=len(outcome.new), same=outcome.skipped)
    else:
        summary = _("{file}: {rows} rows, {new} new, {same} imported before",
                    file=outcome.file, rows=outcome.rows, new=len(outcome.new), same=outcome.skipped)
    if dry_run:
        summary = _("{summary} (dry run: nothing written)", summary=summary)
    elif outcome.written:
        summary = _("{summary} (one commit)", summary=summary)
    else:
        summary = _("{summary} (nothing to write)", summary=summary)
    click.echo(summary)


COMMAND = import_
