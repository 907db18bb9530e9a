"""csops leave …: 请假 commands."""

from __future__ import annotations

import click

from csops.cli.common import complete_id, complete_person, note_option, session
from csops.cli.records import action_command, amend_command, type_group
from csops.i18n import _
from csops.vocab import LEAVE_KINDS

leave = type_group("leave", "Leave 请假: personal 事假, sick 病假, special 特殊事假; approved level by level.",
                   "  csops leave new --person zhangsan --kind personal --start 2026-12-01T09:00 --end 2026-12-01T18:00")


@leave.command("new")
@click.option("--person", shell_complete=complete_person, required=True, help="Who will be away.")
@click.option("--kind", required=True, type=click.Choice(LEAVE_KINDS))
@click.option("--start", required=True, help="ISO time (a bare date means its start).")
@click.option("--end", required=True, help="ISO time (a bare date means its end).")
@click.option("--reason", default=None)
@click.option("--certificate", default=None, help="Medical certificate reference (sick leave).")
@note_option
@click.pass_context
def new(ctx, person, kind, start, end, reason, certificate, note):
    """Request leave; prints its id.

    \b
    Example:
      csops --as zhangsan leave new --person zhangsan --kind sick --start 2026-11-24 --end 2026-11-24
    """
    from csops.commands import leave as wf

    click.echo(wf.new(session(ctx), person=person, kind=kind, start=start, end=end, reason=reason,
                      certificate=certificate, note=note))


@leave.command("approve")
@click.argument("record_id", shell_complete=complete_id)
@note_option
@click.pass_context
def approve(ctx, record_id, note):
    """Approve at your level; the leave is approved once the chain has gone far enough.

    \b
    Example:
      csops --as lisi leave approve L-20261120-2M8XQA
    """
    from csops.commands import leave as wf

    click.echo(wf.approve(session(ctx), record_id, note=note))


leave.add_command(action_command("leave", "reject", "Reject a request (the next approver in the chain only).\n\n\b\n"
                                    "Example:\n  csops --as lisi leave reject L-20261120-2M8XQA --note 人手不足"))
leave.add_command(action_command("leave", "withdraw", "Withdraw your own request before it is decided.\n\n\b\n"
                                      "Example:\n  csops --as zhangsan leave withdraw L-20261120-2M8XQA"))
leave.add_command(action_command("leave", "cancel", "Cancel an approved leave (the person or someone above them).\n\n\b\n"
                                    "Example:\n  csops --as zhangsan leave cancel L-20261120-2M8XQA"))


@leave.command("certify")
@click.argument("record_id", shell_complete=complete_id)
@click.option("--certificate", required=True, help="The medical certificate (a path or a reference).")
@note_option
@click.pass_context
def certify(ctx, record_id, certificate, note):
    """Attach a medical certificate to a sick leave (病假证明).

    \b
    Example:
      csops --as zhangsan leave certify L-20261120-2M8XQA --certificate 市一医院-20261124-017
    """
    from csops.commands import leave as wf

    click.echo(wf.certify(session(ctx), record_id, certificate=certificate, note=note))


def _reschedule(ctx, record_id, *, reason, sets, start, end):
    from csops.commands import leave as wf

    if sets:
        raise click.UsageError(_("give either --set (a supervisor's correction) or --start/--end (your new dates)"))
    click.echo(wf.reschedule(session(ctx), record_id, start=start, end=end, reason=reason))


_amend = amend_command("leave", extra=_reschedule)
_amend.help = ("Change a leave's dates (the requester: --start/--end; shortened it stays approved, longer or "
               "moved it goes back up the chain), or correct a field (supervisor or above: --set).\n\n\b\n"
               "Example:\n  csops --as zhangsan leave amend L-20261120-2M8XQA --end 2026-11-25T12:00 --reason 提前返岗")
leave.add_command(_amend)

COMMAND = leave
