"""csops score …: 考核 commands."""

from __future__ import annotations

import click

from csops.cli.common import complete_person, session
from csops.cli.records import action_command, action_many_command, type_group
from csops.i18n import _

score = type_group("score", "Score events 考核: penalty points, fines and dismissal rules from the policy catalog.",
                   "  csops --as banzhang score add --person zhangsan --code PHONE_RINGS --date 2026-11-20")


@score.command("add")
@click.option("--person", shell_complete=complete_person, default=None, help="Whose score (omit for LUNCH_OFF_POST: every active agent).")
@click.option("--code", required=True, help="A code from scores.catalog in policy.yaml.")
@click.option("--date", default=None, help="When it happened (YYYY-MM-DD; default: today).")
@click.option("--fine", type=float, default=None, help="Fine in yuan, within the code's range.")
@click.option("--minutes", type=int, default=None, help="Minutes late (LATE).")
@click.option("--ref", default=None, help="A related record id.")
@click.option("--note", default=None)
@click.pass_context
def add(ctx, person, code, date, fine, minutes, ref, note):
    """Record a score event (team lead or above); prints its id.

    \b
    Example:
      csops --as banzhang score add --person zhangsan --code LATE --minutes 35 --date 2026-11-20
    """
    from csops.commands import score as wf

    click.echo(wf.add(session(ctx), person=person, code=code, date=date, fine=fine, minutes=minutes, ref=ref,
                      note=note))


score.add_command(action_many_command("score", "confirm", "Confirm recorded events (supervisor or above); several "
                                          "in one commit.\n\n\b\nExample:\n  csops --as zhuguan score confirm "
                                          "S-20261120-7QK2MB S-20261120-2PX4QA"))
score.add_command(action_command("score", "revoke", "Revoke an event; it stops counting (supervisor or above).\n\n\b\n"
                                    "Example:\n  csops --as zhuguan score revoke S-20261120-7QK2MB --note 误记"))

@score.command("derive")
@click.option("--period", required=True, metavar="YYYY-MM", help="The month to look at.")
@click.pass_context
def derive(ctx, period):
    """Record the score events the records already prove (late callbacks and follow-ups, late
    inquiries, goods exchanged or re-shipped late, absence from leave), one commit; nothing new
    when run again. A source no customer-service person answers for is listed (exit 1) after
    the rest is recorded.

    \b
    Example:
      csops --as liuyang score derive --period 2026-11
    """
    from csops.commands import score as wf

    done = wf.derive(session(ctx), period)
    for record_id in done.new:
        click.echo(record_id)
    summary = _("{count} event(s) derived for {period}", count=len(done.new), period=period)
    if done.retracted:
        summary += _(", {count} retracted ({ids})", count=len(done.retracted), ids=", ".join(done.retracted))
    click.echo(summary, err=True)
    for line in done.unattributed:
        click.echo(_("not recorded: {line}", line=line), err=True)
    if done.unattributed:
        ctx.exit(1)


COMMAND = score
