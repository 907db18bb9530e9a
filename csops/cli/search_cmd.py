"""csops search WORDS: full text over every record (docs/rules.md)."""

from __future__ import annotations

import click

from csops.cli.common import echo_rows, output_options, session
from csops.cli.helptext import CsopsCommand
from csops.vocab import TYPES


@click.command("search", cls=CsopsCommand)
@click.argument("words", nargs=-1, required=True)
@click.option("--type", "rtype", type=click.Choice(list(TYPES)), default=None, help="Only records of this type.")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="At most this many rows, newest first (0: all).")
@output_options
@click.pass_context
def search(ctx, words, rtype, limit, fmt, lang):
    """Find every record whose text holds all the words: summaries, notes, reasons, customer
    names, order numbers, items. Chinese needs no spaces (内胆 finds 电饭煲内胆有划痕); a whole
    phone number or e-mail address finds that customer's records (never a fragment of one).
    Newest first, the match in context, contacts masked.

    \b
    Example:
      csops search 内胆
      csops search 退款 TB1234 --type ticket --format csv
    """
    from csops.reports.find import SEARCH_COLUMNS
    from csops.reports.find import search as find

    sess = session(ctx, reads=True)
    rows = find(sess, list(words), rtype, limit)
    echo_rows(sess, rows, SEARCH_COLUMNS, fmt, lang)


COMMAND = search
