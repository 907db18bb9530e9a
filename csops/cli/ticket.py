"""csops ticket …: 工单 commands."""

from __future__ import annotations

import click

from csops.cli.common import (
    complete_id,
    complete_person,
    complete_value,
    note_option,
    session,
    warn_related,
)
from csops.cli.records import type_group
from csops.vocab import OUTCOMES, WAIT_ON

ticket = type_group("ticket", "Tickets 工单: complaints 投诉, inquiries 咨询, feedback 建议.",
                    "  csops ticket new --kind complaint --channel phone --customer 王女士 \\\n"
                    "      --contact 13812345678 --summary 收到的商品破损")


@ticket.command("new")
@click.option("--kind", required=True, shell_complete=complete_value,
              help="A kind from the policy's tickets.kinds (complaint, inquiry, feedback, query, proactive …).")
@click.option("--channel", required=True, shell_complete=complete_value,
              help="A channel from the policy's tickets.channels (phone, chat, wechat, qianniu …).")
@click.option("--level", default=None, help="normal (default) | urgent | major")
@click.option("--customer", required=True, help="The customer's name.")
@click.option("--contact", default=None, help="Phone or e-mail (masked in listings).")
@click.option("--summary", required=True, help="What the customer wants, in one line.")
@click.option("--order", default=None, help="The order it is about.")
@click.option("--link", "links", multiple=True, metavar="ID", help="A related ticket or return (repeat).")
@note_option
@click.pass_context
def new(ctx, kind, channel, level, customer, contact, summary, order, links, note):
    """Register a ticket (登记); prints its id.

    \b
    Example:
      csops ticket new --kind inquiry --channel chat --customer 李先生 --summary 询问发货时间
    """
    from csops.commands import ticket as wf

    sess = session(ctx)
    record_id = wf.new(sess, kind=kind, channel=channel, level=level, customer=customer, contact=contact,
                       summary=summary, order=order, links=links, note=note)
    click.echo(record_id)
    warn_related(sess, "ticket", record_id, contact, order)


@ticket.command("route")
@click.argument("record_id", shell_complete=complete_id)
@click.option("--to-dept", "department", required=True, help="The department that will handle it.")
@click.option("--assignee", shell_complete=complete_person, default=None, help="The person handling it.")
@click.option("--due", default=None, help="An explicit deadline (ISO); otherwise the policy SLA applies.")
@note_option
@click.pass_context
def route(ctx, record_id, department, assignee, due, note):
    """Route (or re-route) a ticket to a department, with an optional deadline (分流).

    \b
    Example:
      csops ticket route 7K3Q --to-dept 仓库 --assignee wangwu --due 2026-11-24T12:00
    """
    from csops.commands import ticket as wf

    click.echo(wf.route(session(ctx), record_id, department=department, assignee=assignee, due=due, note=note))


@ticket.command("resolve")
@click.argument("record_id", shell_complete=complete_id)
@note_option
@click.pass_context
def resolve(ctx, record_id, note):
    """Mark a ticket resolved (complaints must have been routed).

    \b
    Example:
      csops ticket resolve 7K3Q --note 已补发
    """
    from csops.commands import ticket as wf

    click.echo(wf.resolve(session(ctx), record_id, note=note))


@ticket.command("callback")
@click.argument("record_id", shell_complete=complete_id)
@click.option("--outcome", required=True, type=click.Choice(OUTCOMES))
@click.option("--satisfaction", type=click.IntRange(1, 5), default=None,
              help="5 高度满意 4 一般满意 3 无意见 2 有些不满意 1 极不满意")
@note_option
@click.pass_context
def callback(ctx, record_id, outcome, satisfaction, note):
    """Record a callback 回访: satisfied (≥ 3) closes, dissatisfied (≤ 2) reopens.

    \b
    Example:
      csops ticket callback 7K3Q --outcome reached --satisfaction 4
    """
    from csops.commands import ticket as wf

    click.echo(wf.callback(session(ctx), record_id, outcome=outcome, satisfaction=satisfaction, note=note))


@ticket.command("escalate")
@click.argument("record_id", shell_complete=complete_id)
@click.option("--emergency", is_flag=True, help="Skip a level (越级上报); flagged for reporting afterwards.")
@click.option("--to", "to", default=None, help="Report to this person up your chain (skipping needs --emergency).")
@note_option
@click.pass_context
def escalate(ctx, record_id, emergency, to, note):
    """Raise the level one step and report it to your superior (逐级上报).

    \b
    Example:
      csops ticket escalate 7K3Q
    """
    from csops.commands import ticket as wf

    click.echo(wf.escalate(session(ctx), record_id, emergency=emergency, to=to, note=note))


@ticket.command("report-after")
@click.argument("record_id", shell_complete=complete_id)
@note_option
@click.pass_context
def report_after(ctx, record_id, note):
    """Record the after-the-fact report of your emergency escalation to the level it skipped
    (事后必须向上级汇报); until then report overdue lists it.

    \b
    Example:
      csops ticket report-after 7K3Q --note 已当面向刘班长汇报
    """
    from csops.commands import ticket as wf

    click.echo(wf.report_after(session(ctx), record_id, note=note))


@ticket.command("close")
@click.argument("record_id", shell_complete=complete_id)
@note_option
@click.pass_context
def close(ctx, record_id, note):
    """Close a resolved ticket (a complaint needs a satisfied callback or enough unreachable attempts).

    \b
    Example:
      csops ticket close 7K3Q
    """
    from csops.commands import ticket as wf

    click.echo(wf.close(session(ctx), record_id, note=note))


@ticket.command("void")
@click.argument("record_id", shell_complete=complete_id)
@click.option("--reason", required=True, help="Why the ticket is void (kept as the entry's note).")
@click.option("--duplicate-of", "duplicate_of", default=None, metavar="ID", help="The ticket it duplicates.")
@click.pass_context
def void(ctx, record_id, reason, duplicate_of):
    """Void a duplicate or mistaken ticket (team lead or above); it owes nothing from then on.

    \b
    Example:
      csops --as liubz ticket void 7K3Q --reason 重复登记 --duplicate-of T-20261123-2M8XQA
    """
    from csops.commands import ticket as wf

    click.echo(wf.void(session(ctx), record_id, reason=reason, duplicate_of=duplicate_of))


COMMAND = ticket


@ticket.command("wait")
@click.argument("record_id", shell_complete=complete_id)
@click.option("--on", "on", required=True, type=click.Choice(WAIT_ON),
              help="What it waits on: customer, supplier or department.")
@click.option("--reason", required=True, help="What it waits for (kept as the entry's note).")
@click.pass_context
def wait(ctx, record_id, on, reason):
    """Put a ticket on hold 挂起 while it waits on the customer, a supplier or a department; waiting on
    what the policy's tickets.pause_on names stops its resolve clock.

    \b
    Example:
      csops ticket wait 7K3Q --on customer --reason 等客户寄回发票照片
    """
    from csops.commands import ticket as wf

    click.echo(wf.wait(session(ctx), record_id, on=on, reason=reason))


@ticket.command("resume")
@click.argument("record_id", shell_complete=complete_id)
@note_option
@click.pass_context
def resume(ctx, record_id, note):
    """Take a waiting ticket up again (恢复处理): back to routed, its clock running.

    \b
    Example:
      csops ticket resume 7K3Q --note 客户已补发照片
    """
    from csops.commands import ticket as wf

    click.echo(wf.resume(session(ctx), record_id, note=note))
