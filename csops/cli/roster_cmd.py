"""csops roster …: the duty roster 排班."""

from __future__ import annotations

import click

from csops.cli.common import complete_person, echo_rows, lang_of, output_options, session
from csops.cli.helptext import CsopsSubGroup
from csops.i18n import _

COLUMNS = ["date", "person", "name", "shift", "on_duty", "on_leave", "duty_lead"]


@click.group("roster", cls=CsopsSubGroup)
def roster():
    """The duty roster 排班 (《电商部管理细则》周末值班): who works which shift, who leads the day. Without an
    entry a person works the team calendar.

    \b
    Example:
      csops --as zhaozg roster set 2026-11-28..2026-11-29 --person zhangsan --shift weekend_duty
      csops roster show --week 2026-W48
    """


@roster.command("set")
@click.argument("dates", metavar="DATE[..DATE]")
@click.option("--person", shell_complete=complete_person, required=True)
@click.option("--shift", required=True, help="A shift name from policy.yaml `shifts`, or off.")
@click.pass_context
def set_(ctx, dates, person, shift):
    """Put PERSON on SHIFT (or off) on DATE, or every day of DATE..DATE (supervisor and above;
    one commit).

    \b
    Example:
      csops --as zhaozg roster set 2026-11-28..2026-11-29 --person zhangsan --shift weekend_duty
    """
    from csops.commands.roster import set_shift

    from csops.i18n import language

    sess = session(ctx)
    days = set_shift(sess, dates, person, shift)
    span = f"{days[0]}..{days[-1]}" if len(days) > 1 else str(days[0])
    shown = sess.policy.shift_label(shift) if language() == "zh" else shift
    click.echo(_("{person}: {shift} on {count} day(s), {span}", person=person, shift=shown, count=len(days), span=span))


@roster.command("lead")
@click.argument("date", metavar="DATE[..DATE]")
@click.option("--person", shell_complete=complete_person, required=True)
@click.pass_context
def lead(ctx, date, person):
    """Name the duty lead 值班长 of a day, or of every day of a range (supervisor and above; one
    commit).

    \b
    Example:
      csops --as zhaozg roster lead 2026-11-28 --person liubz
    """
    from csops.commands.roster import set_lead

    for day in set_lead(session(ctx), date, person):
        click.echo(_("{day}: duty lead {person}", day=day, person=person))


@roster.command("show")
@click.option("--date", "day", default=None, metavar="YYYY-MM-DD", help="One day (default: today).")
@click.option("--week", default=None, metavar="YYYY-Www", help="A week, Monday to Sunday.")
@output_options
@click.pass_context
def show(ctx, day, week, fmt, lang):
    """Who is on duty: per day and person the shift (empty: the team calendar), on duty,
    on leave, duty lead.

    \b
    Example:
      csops roster show --date 2026-11-28
    """
    from csops.commands.roster import show as rows
    from csops.commands.roster import week_days
    from csops.errors import BadInput
    from csops.timeutil import parse_input_date

    sess = session(ctx)
    if day and week:
        raise BadInput(_('give --date or --week, not both'))
    days = week_days(week) if week else [parse_input_date(day, what="--date") if day
                                          else sess.now.astimezone(sess.tz).date()]
    shown = rows(sess, days)
    if fmt != "json" and lang_of(sess, lang) == "zh":          # 早班, 周末值班, 休: the policy's labels
        shown = [{**row, "shift": sess.policy.shift_label(row["shift"]) if row["shift"] else None} for row in shown]
    echo_rows(sess, shown, COLUMNS, fmt, lang)


COMMAND = roster
