"""csops policy …: the rules in force and their history."""

from __future__ import annotations

import click

from csops.cli.common import echo_rows, output_options, session
from csops.cli.helptext import CsopsSubGroup

COLUMNS = ["effective", "author", "commit", "changes"]


@click.group("policy", cls=CsopsSubGroup)
def policy():
    """The policy: which version of the rules was in force when.

    \b
    Example:
      csops policy history
    """


@policy.command("history")
@output_options
@click.pass_context
def history(ctx, fmt, lang):
    """Every version of policy.yaml, oldest first: the date its rules apply from (`effective:`,
    else its commit's date), author, commit and what changed (+added ~changed -removed keys).

    \b
    Example:
      csops policy history --format json
    """
    from csops.commands.policy import history as versions

    sess = session(ctx)
    echo_rows(sess, versions(sess), COLUMNS, fmt, lang)


COMMAND = policy
