"""The generic commands every record type has: show, list, move."""

from __future__ import annotations

import click

from csops.cli.common import (
    complete_id,
    complete_state,
    echo_chunks,
    echo_rows,
    echo_text,
    lang_of,
    note_option,
    output_options,
    require_reveal,
    session,
)
from csops.cli.helptext import CsopsCommand, CsopsSubGroup
from csops.vocab import FILTERS, PEOPLE_FILTERS


def type_group(rtype: str, summary: str, example: str) -> click.Group:
    @click.group(name=rtype, cls=CsopsSubGroup, help=f"{summary}\n\n\b\nExample:\n{example}")
    def group():
        pass

    @group.command("show", help=f"Show one {rtype}: every field plus computed ones (deadlines, …).\n\n\b\n"
                                f"Example:\n  csops {rtype} show 7K3Q --format json")
    @click.argument("record_id", shell_complete=complete_id)
    @click.option("--reveal", is_flag=True, help="Show customers' contacts unmasked (supervisor or above).")
    @output_options
    @click.pass_context
    def show(ctx, record_id, reveal, fmt, lang):
        from csops.render import mask_record, render_object
        from csops.reports.listing import show_record

        sess = session(ctx, reads=True)
        data = show_record(sess, rtype, record_id)
        if reveal:
            require_reveal(sess)
        else:
            data = mask_record(data)
        echo_text(render_object(data, fmt, lang_of(sess, lang), names={p.id: p.name for p in sess.roster}), fmt)

    @group.command("list", help=f"List {rtype} records; the filters combine (all must hold).\n\n\b\n"
                                f"Example:\n  csops {rtype} list --status {_first_state(rtype)} --since 2026-11-01 "
                                f"--format csv")
    @click.option("--status", multiple=True, shell_complete=complete_state,
                  help="Only records in this state (repeat for several).")
    @filter_options(rtype)
    @click.option("--reveal", is_flag=True, help="Show customers' contacts unmasked (supervisor or above).")
    @output_options
    @click.pass_context
    def list_(ctx, status, reveal, fmt, lang, **given):
        from csops.reports.listing import list_records

        sess = session(ctx, reads=True)
        if reveal:
            require_reveal(sess)
        filters = _filters(status, given)
        if fmt == "json":                  # every record of a type may be asked for: streamed
            from csops.reports.listing import stream_records

            echo_chunks(stream_records(sess, rtype, filters, reveal=reveal))
            return
        rows, columns = list_records(sess, rtype, filters, reveal=reveal, table=True, sheet=fmt in ("csv", "xlsx"))
        echo_rows(sess, rows, columns, fmt, lang)

    if rtype != "leave":   # `leave amend` also takes --start/--end (cli/leave.py)
        group.add_command(amend_command(rtype))

    if rtype != "return":  # `return move` has the options each step needs (cli/returns.py)
        @group.command("move", help=f"Move a {rtype} to STATE through its legal transition.\n\n\b\n"
                                    f"Example:\n  csops {rtype} move 7K3Q {_second_state(rtype)}")
        @click.argument("record_id", shell_complete=complete_id)
        @click.argument("state", shell_complete=complete_state)
        @note_option
        @click.pass_context
        def move(ctx, record_id, state, note):
            from csops.actions import move as do_move

            click.echo(do_move(session(ctx), rtype, record_id, state, note=note))

    return group


_FILTER_HELP = {
    "assignee": ("P", "Only tickets assigned to this person (id)."),
    "person": ("P", "Only the records of this person (id)."),
    "by": ("P", "Only records registered or requested by this person (id)."),
    "kind": ("K", "Only records of this kind."),
    "channel": ("C", "Only tickets that came by this channel."),
    "level": ("L", "Only tickets of this level."),
    "dept": ("D", "Only tickets routed to this department."),
    "code": ("CODE", "Only score events of this code."),
    "customer": ("NAME", "Only records of the customer with exactly this name."),
    "contact": ("C", "Only records of this customer: the whole phone number or e-mail address."),
    "order": ("NO", "Only records about this order number."),
}


def filter_options(rtype: str):
    """The filters a type's `list` takes (csops.vocab.FILTERS), then the dates and words
    every type takes."""
    from csops.cli.common import complete_person, complete_value

    def decorate(fn):
        fn = click.option("--text", default=None, metavar="WORDS",
                          help="Only records whose text holds every one of these words.")(fn)
        fn = click.option("--until", default=None, metavar="YYYY-MM-DD",
                          help="Only records registered or requested on or before this day.")(fn)
        fn = click.option("--since", default=None, metavar="YYYY-MM-DD",
                          help="Only records registered or requested on or after this day.")(fn)
        for name in reversed(FILTERS[rtype]):
            if name == "overdue":
                fn = click.option("--overdue", is_flag=True, help="Only records past a deadline now.")(fn)
                continue
            metavar, text = _FILTER_HELP[name]
            complete = complete_person if name in PEOPLE_FILTERS else \
                complete_value if name in ("kind", "channel", "level", "code") else None
            fn = click.option(f"--{name}", default=None, metavar=metavar, help=text, shell_complete=complete)(fn)
        return fn
    return decorate


def _filters(status, given: dict):
    from csops.reports.find import Filters
    from csops.timeutil import parse_input_date

    values = dict(given)
    for name in ("since", "until"):
        if values.get(name) is not None:        # the forms every date option takes; '' is no day
            values[name] = parse_input_date(values[name], what=f"--{name}")
    values["text"] = tuple((values.get("text") or "").split())
    values["overdue"] = bool(values.get("overdue"))
    return Filters(status=tuple(status), **{k: v for k, v in values.items() if v is not None})


def amend_command(rtype: str, extra=None) -> click.Command:
    """`<type> amend ID --set FIELD=VALUE … --reason R`: a correction as an entry (supervisor+)."""
    def command(ctx, record_id, sets, reason, **options):
        from csops.commands.correct import amend

        if extra is not None and any(v is not None for v in options.values()):
            return extra(ctx, record_id, reason=reason, sets=sets, **options)
        click.echo(amend(session(ctx), rtype, record_id, list(sets), reason=reason))

    command.__doc__ = (f"Correct fields of a {rtype} (supervisor or above): an entry with each field's old "
                       f"and new value; never id, created, created_by, status or history.\n\n\b\nExample:\n"
                       f"  csops --as zhaozg {rtype} amend 7K3Q --set {_EXAMPLE_FIELD[rtype]} --reason 登记错误")
    command = click.pass_context(command)
    if extra is not None:
        command = click.option("--end", default=None, help="The new end (the requester: leave amend).")(command)
        command = click.option("--start", default=None, help="The new start (the requester: leave amend).")(command)
    command = click.option("--reason", required=True, help="Why (kept as the entry's note).")(command)
    command = click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE",
                           help="A field and its corrected value (repeat).")(command)
    command = click.argument("record_id")(command)
    return click.command("amend", cls=CsopsCommand)(command)


_EXAMPLE_FIELD = {"ticket": "kind=inquiry", "return": "order=TB20261120-0081", "leave": "kind=sick",
                  "score": "fine=20.00", "swap": "date=2026-11-28"}


def action_command(rtype: str, action: str, doc: str) -> click.Command:
    """A command that makes one plain transition (`leave reject ID`, `score confirm ID`, …)."""
    @click.command(action, cls=CsopsCommand, help=doc)
    @click.argument("record_id", shell_complete=complete_id)
    @note_option
    @click.pass_context
    def command(ctx, record_id, note):
        from csops.actions import transition

        click.echo(transition(session(ctx), rtype, record_id, action, note=note))
    return command


def action_many_command(rtype: str, action: str, doc: str) -> click.Command:
    """A command that makes one plain transition on several records in one commit (`score
    confirm ID [ID ...]`)."""
    @click.command(action, cls=CsopsCommand, help=doc)
    @click.argument("record_ids", nargs=-1, required=True, shell_complete=complete_id, metavar="ID [ID ...]")
    @note_option
    @click.pass_context
    def command(ctx, record_ids, note):
        from csops.actions import Step, transition_many

        for record_id in transition_many(session(ctx), rtype, [Step(ref, action, {}, note) for ref in record_ids]):
            click.echo(record_id)
    return command


# States used in the help examples (kept here so --help never loads the workflows).
_EXAMPLE_STATES = {"ticket": ("registered", "resolved"), "return": ("requested", "approved"),
                   "leave": ("requested", "withdrawn"), "score": ("recorded", "confirmed"),
                   "swap": ("requested", "accepted")}


def _first_state(rtype):
    return _EXAMPLE_STATES[rtype][0]


def _second_state(rtype):
    return _EXAMPLE_STATES[rtype][1]
