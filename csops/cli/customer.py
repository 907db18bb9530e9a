"""csops customer …: the customer archive 客户档案."""

from __future__ import annotations

import json

import click

from csops.cli.common import (
    echo_rows,
    echo_text,
    lang_of,
    output_options,
    require_reveal,
    session,
)
from csops.cli.helptext import CsopsSubGroup

COLUMNS = ["id", "type", "status", "created", "kind", "order", "summary", "satisfaction", "owed", "due"]


@click.group("customer", cls=CsopsSubGroup)
def customer():
    """The customer archive 客户档案 (004): one customer's tickets and returns.

    \b
    Example:
      csops customer show 13812345678
    """


@customer.command("show")
@click.argument("who", metavar="CONTACT|NAME")
@click.option("--reveal", is_flag=True, help="Show the contact unmasked (supervisor or above).")
@output_options
@click.pass_context
def show(ctx, who, reveal, fmt, lang):
    """Every ticket and return of the customer with this phone or e-mail (normalized: 138-1234-5678,
    +86 13812345678 and 13812345678 are one customer) or this exact name, newest first: status,
    satisfaction at each reached callback, what is still owed.

    \b
    Example:
      csops customer show 13812345678 --format json
      csops customer show 王女士
    """
    from csops.reports.customer import archive

    sess = session(ctx, reads=True)
    if reveal:
        require_reveal(sess)
    data = archive(sess, who, reveal=reveal)
    if fmt == "json":
        echo_text(json.dumps(data, ensure_ascii=False, indent=2), fmt)
        return
    name = data["customer"]["name"] or who
    contact = data["customer"]["contact"]
    title = (f"客户档案：{name}" + (f"（{contact}）" if contact else "") if lang_of(sess, lang) == "zh"
             else f"Customer: {name}" + (f" ({contact})" if contact else ""))
    echo_rows(sess, data["records"], COLUMNS, fmt, lang, title=title)


COMMAND = customer
