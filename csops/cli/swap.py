"""csops swap …: 调班 commands."""

from __future__ import annotations

import click

from csops.cli.common import complete_person, note_option, session
from csops.cli.records import action_command, type_group

swap = type_group("swap", "Swaps 调班: exchange shifts with a colleague — they accept, a team lead approves "
                          "(不得私自换班).",
                  "  csops --as zhangsan swap new --with lisi --date 2026-11-28 --reason 家里有事")


@swap.command("new")
@click.option("--with", "colleague", shell_complete=complete_person, required=True, help="The colleague who takes your shift.")
@click.option("--date", required=True, metavar="YYYY-MM-DD", help="The day whose shifts you exchange.")
@click.option("--with-date", default=None, metavar="YYYY-MM-DD",
              help="A second day you exchange (you take their shift then).")
@click.option("--reason", required=True)
@note_option
@click.pass_context
def new(ctx, colleague, date, with_date, reason, note):
    """Ask a colleague to exchange shifts with you; prints the swap's id.

    \b
    Example:
      csops --as zhangsan swap new --with lisi --date 2026-11-28 --with-date 2026-12-05 --reason 家里有事
    """
    from csops.commands import swap as wf

    click.echo(wf.new(session(ctx), colleague=colleague, date=date, with_date=with_date, reason=reason, note=note))


for _action, _doc in (
        ("accept", "Accept a swap you were asked for (the colleague only)."),
        ("approve", "Approve a swap (a team lead or above in the requester's chain, neither party)."),
        ("reject", "Reject a swap (the colleague while it is asked; an approver once accepted)."),
        ("withdraw", "Withdraw your own swap before it is decided.")):
    swap.add_command(action_command("swap", _action, f"{_doc}\n\n\b\nExample:\n  csops swap {_action} W-20261120-2M8XQA"))

COMMAND = swap
