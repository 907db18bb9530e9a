"""csops notify …: a report sent to the team's chat or mailbox."""

from __future__ import annotations

import click

from csops.cli.common import session
from csops.cli.helptext import CsopsCommand
from csops.i18n import _
from csops.notify import REPORTS


@click.command("notify", cls=CsopsCommand)
@click.argument("report", type=click.Choice(REPORTS), metavar="overdue|daily|approvals|revisits")
@click.option("--to", "target", required=True, metavar="TARGET", help="A target in the policy's notify.targets.")
@click.option("--date", "day", default=None, metavar="YYYY-MM-DD", help="The day of the daily report (default: today).")
@click.option("--dry-run", is_flag=True, help="Print the message; send nothing.")
@click.option("--fail-if-empty", is_flag=True, help="Exit 1 and send nothing when there is nothing to report.")
@click.option("--working-days-only", is_flag=True,
              help="On a day off (the business calendar, 调休 included) do nothing and exit 0: for a schedule.")
@click.pass_context
def notify(ctx, report, target, day, dry_run, fail_if_empty, working_days_only):
    """Send a report to the team 通知: what is overdue (owner, what, hours late), the daily report
    日报, what waits for each approver, the revisits due — as markdown in the policy's language,
    contacts masked, to a DingTalk, WeCom or Feishu robot, a webhook or e-mail named in the
    policy's notify.targets (URLs and secrets from environment variables). Exit 0 sent, 1 nothing
    to send (with --fail-if-empty), 2 not sent (the message is printed on stderr).

    \b
    Example:
      csops notify overdue --to 客服群 --dry-run
      DINGTALK_URL=… DINGTALK_SECRET=… csops notify daily --to 客服群
    """
    from csops.notify import send
    from csops.notify.platforms import SendFailed
    from csops.timeutil import parse_input_date

    sess = session(ctx, reads=True)
    date = parse_input_date(day, what="--date") if day is not None else sess.now.astimezone(sess.tz).date()
    if working_days_only and not sess.policy.calendar.is_working_day(date):
        return
    try:
        texts = send(sess, report, target, day=date, dry_run=dry_run, fail_if_empty=fail_if_empty)
    except SendFailed as exc:
        for text in getattr(exc, "texts", ()):
            click.echo(text, err=True)               # not sent: here it is, to paste by hand
        raise
    if not texts:
        click.echo(_("nothing to report"), err=True)
        ctx.exit(1)
    if dry_run:
        click.echo("\n\n---\n\n".join(texts))
    else:
        click.echo(_("sent to {target} ({n} message(s))", target=target, n=len(texts)))


COMMAND = notify
