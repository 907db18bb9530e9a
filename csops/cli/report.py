"""csops report …: what supervisors read every day."""

from __future__ import annotations

import click

from csops.cli.common import echo_rows, echo_text, lang_of, output_options, session
from csops.cli.helptext import CsopsSubGroup
from csops.vocab import LANGUAGES, TYPES


@click.group("report", cls=CsopsSubGroup)
def report():
    """Reports: overdue work, scores, statistics, the daily return sheet.

    \b
    Example:
      csops --now 2026-11-23T09:00 report overdue
    """


@report.command("overdue")
@click.option("--type", "rtype", type=click.Choice([t for t in TYPES if t != "score"]), default=None,
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
    from csops.timeutil import format_short

    sess = session(ctx, reads=True)
    rows = overdue_rows(sess, rtype=rtype, owner=owner)
    language = lang_of(sess, lang)
    title = (f"逾期事项（截至 {format_short(sess.now, sess.tz)}，逾期小时按工作时间计，回访按自然时间计）"
             if language == "zh" else f"Overdue as of {format_short(sess.now, sess.tz)} "
             "(hours late in working hours; callbacks in wall-clock hours)")
    echo_rows(sess, rows, COLUMNS, fmt, lang, title=title)
    if fail_if_any and (rows or sess.ctx.skipped):    # a record that could not be read may be late too
        ctx.exit(1)


@report.command("returns")
@click.option("--date", "day", required=True, metavar="YYYY-MM-DD", help="The day of the sheet.")
@output_options
@click.pass_context
def returns(ctx, day, fmt, lang):
    """The daily return sheet 退货记录表: every return touched that day, what was done, refunds
    paid, and defective stock still awaiting a vendor note.

    \b
    Example:
      csops report returns --date 2026-11-20 --format csv
    """
    from csops.reports.returns import COLUMNS, return_sheet, table_rows

    sess = session(ctx, reads=True)
    rows = return_sheet(sess, day)
    echo_rows(sess, rows if fmt == "json" else table_rows(rows), COLUMNS, fmt, lang)


@report.command("vendor")
@click.option("--supplier", default=None, help="Only this supplier.")
@output_options
@click.pass_context
def vendor(ctx, supplier, fmt, lang):
    """Defective stock per supplier: what still waits for a return-to-vendor note 退厂单
    ("outstanding") and the notes issued.

    \b
    Example:
      csops report vendor --supplier 美的生活电器
    """
    from csops.reports.vendor import COLUMNS, vendor_rows

    sess = session(ctx, reads=True)
    echo_rows(sess, vendor_rows(sess, supplier), COLUMNS, fmt, lang)


@report.command("daily")
@click.option("--date", "day", required=True, metavar="YYYY-MM-DD", help="The business day.")
@output_options
@click.pass_context
def daily(ctx, day, fmt, lang):
    """The day's report 日报 (000/002): per person tickets registered (on their business day),
    resolved and on time, callbacks and average satisfaction, returns handled; a total row; the
    day's duty lead 值班长 from the duty roster.

    \b
    Example:
      csops report daily --date 2026-11-20
    """
    from csops.reports.daily import DAILY_COLUMNS, channels
    from csops.reports.daily import daily as rows_of

    sess = session(ctx, reads=True)
    rows, lead = rows_of(sess, day)
    language = lang_of(sess, lang)
    name = sess.roster.get(lead).name if lead and sess.roster.get(lead) else lead
    title = (f"日报 {day}" + (f"（值班长：{name}）" if lead else "") if language == "zh"
             else f"Daily report {day}" + (f" (duty lead: {name})" if lead else ""))
    by_channel = channels(sess, day)
    if by_channel and fmt == "table":           # 日报 counts what came in by each channel
        said = [f"{sess.policy.label_of('channels', c) if language == 'zh' else c} {n}" for c, n in by_channel.items()]
        title += ("\n渠道：" + "，".join(said)) if language == "zh" else ("\nby channel: " + ", ".join(said))
    echo_rows(sess, rows, DAILY_COLUMNS, fmt, lang, title=title)


@report.command("agents")
@click.option("--period", required=True, metavar="YYYY-MM|YYYY-Www", help="A month or an ISO week.")
@output_options
@click.pass_context
def agents(ctx, period, fmt, lang):
    """The daily report's figures per person over a month or ISO week.

    \b
    Example:
      csops report agents --period 2026-11 --format csv
    """
    from csops.reports.daily import AGENT_COLUMNS
    from csops.reports.daily import agents as rows_of

    sess = session(ctx, reads=True)
    echo_rows(sess, rows_of(sess, period), AGENT_COLUMNS, fmt, lang)


@report.command("revisits")
@click.option("--tier", default=None, help="Only customers of this tier.")
@output_options
@click.pass_context
def revisits(ctx, tier, fmt, lang):
    """The regular revisits 定期回访 the customer cards call for (客户分级), the next one due first:
    tier, owner, last and next revisit, overdue.

    \b
    Example:
      csops report revisits --tier A
    """
    from csops.reports.listing import list_records

    sess = session(ctx, reads=True)
    rows, columns = list_records(sess, "customer", table=fmt != "json")
    rows = sorted((row for row in rows if row.get("next_revisit") and (tier is None or row.get("tier") == tier)),
                  key=lambda row: row["next_revisit"])
    echo_rows(sess, rows, [*columns, "overdue"], fmt, lang)


@report.command("scores")
@click.option("--period", required=True, metavar="YYYY-MM", help="The month of the sheet.")
@click.option("--explain", "person", default=None, metavar="PERSON",
              help="List each event that cost this person points, and why.")
@output_options
@click.pass_context
def scores(ctx, period, person, fmt, lang):
    """The monthly score sheet 考核表: base, deductions, score, fines, absence days, flags —
    lowest score first.

    \b
    Example:
      csops report scores --period 2026-11
      csops report scores --period 2026-11 --explain zhangwei
    """
    from csops.reports.scores import COLUMNS, explain, score_rows

    sess = session(ctx, reads=True)
    if person:
        wording = "en" if fmt == "json" else lang_of(sess, lang)          # JSON stays English
        echo_rows(sess, explain(sess, period, person, wording), ["date", "event", "code", "points", "fine", "why"],
                  fmt, lang)
        return
    echo_rows(sess, score_rows(sess, period), COLUMNS, fmt, lang)


@report.command("stats")
@click.option("--period", required=True, metavar="YYYY-MM|YYYY-Www", help="A month or an ISO week.")
@output_options
@click.pass_context
def stats(ctx, period, fmt, lang):
    """Ticket statistics 受理/处理/回访情况 for a month or week: registered, resolved, closed,
    callbacks and callback rate, on-time rate, satisfaction 1–5, average working hours to
    resolve — in total and by kind; tables compare with the previous period.

    \b
    Example:
      csops report stats --period 2026-11
      csops report stats --period 2026-W47 --format json
    """
    import json

    from csops.reports.stats import comparison_rows, previous_period, ticket_stats

    sess = session(ctx, reads=True)
    if fmt == "json":
        echo_text(json.dumps(ticket_stats(sess, period)[0], ensure_ascii=False, indent=2), fmt)
        return
    before = previous_period(period)
    language = lang_of(sess, lang)
    figures = ticket_stats(sess, period, before)
    rows = comparison_rows(*figures, language)
    least = figures[0]["satisfied_min"]
    title = (f"{period}（上期 {before}；满意率：满意度 ≥ {least}）" if language == "zh"
             else f"{period} (previous: {before}; satisfaction rate: satisfaction ≥ {least})")
    echo_rows(sess, rows, ["scope", "metric", "value", "previous", "change"], fmt, lang, title=title)


@report.command("monthly")
@click.option("--period", required=True, metavar="YYYY-MM", help="The month.")
@click.option("--html", "html_file", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the page.")
@click.option("--lang", type=click.Choice(list(LANGUAGES)), default=None, help="Language of the page.")
@click.pass_context
def monthly(ctx, period, html_file, lang):
    """The monthly report as one self-contained HTML page (inline CSS and SVG charts, nothing
    from the network): the month's figures, satisfaction, overdue work and the score sheet.

    \b
    Example:
      csops --now 2026-11-30T18:00 report monthly --period 2026-11 --html 2026-11.html
    """
    from pathlib import Path

    from csops.render import safe_text
    from csops.reports.monthly import monthly_html
    from csops.store import atomic_write

    sess = session(ctx, reads=True)
    page = monthly_html(sess, period, lang_of(sess, lang))
    atomic_write(Path(html_file), page)
    click.echo(safe_text(html_file))


COMMAND = report
