"""csops person …: the roster."""

from __future__ import annotations

import click

from csops.cli.common import echo_rows, echo_text, lang_of, output_options, session
from csops.cli.helptext import CsopsSubGroup


@click.group("person", cls=CsopsSubGroup)
def person():
    """The roster: people, roles and who reports to whom.

    \b
    Example:
      csops --as zhuguan person add xiaowang --name 小王 --role agent --reports-to banzhang
    """


@person.command("add")
@click.argument("person_id")
@click.option("--name", required=True, help="Full name (e.g. 张三).")
@click.option("--role", required=True, help="agent | team_lead | supervisor | manager | warehouse | qc | finance | purchasing")
@click.option("--reports-to", "reports_to", default=None, help="Their direct superior (a person id).")
@click.option("--email", default=None, help="Maps their Git commits to them.")
@click.pass_context
def add(ctx, person_id, name, role, reports_to, email):
    """Add a person (the first one by anyone; then a supervisor or above).

    \b
    Example:
      csops --as zhuguan person add xiaowang --name 小王 --role agent --reports-to banzhang
    """
    from csops.commands.person import add_person

    click.echo(add_person(session(ctx), person_id, name=name, role=role, reports_to=reports_to, email=email))


@person.command("list")
@output_options
@click.pass_context
def list_(ctx, fmt, lang):
    """List the roster.

    \b
    Example:
      csops person list --format json
    """
    sess = session(ctx)
    rows = [{"id": p.id, "name": p.name, "role": p.role, "reports_to": p.reports_to, "email": p.email,
             "active": p.active} for p in sess.roster]
    rows.sort(key=lambda r: r["id"])
    if fmt != "json":
        for row in rows:
            row["role"] = sess.policy.role_label(row["role"]) if lang_of(sess, lang) == "zh" else row["role"]
    echo_rows(sess, rows, ["id", "name", "role", "reports_to", "email", "active"], fmt, lang)


@person.command("show")
@click.argument("person_id")
@output_options
@click.pass_context
def show(ctx, person_id, fmt, lang):
    """Show one person and their reporting chain.

    \b
    Example:
      csops person show xiaowang
    """
    from csops.render import render_object

    sess = session(ctx)
    p = sess.roster.require(person_id)
    data = {"id": p.id, "name": p.name, "role": p.role, "reports_to": p.reports_to, "email": p.email,
            "active": p.active, "chain": [x.id for x in sess.roster.chain_above(p.id)]}
    echo_text(render_object(data, fmt, lang_of(sess, lang)), fmt)


@person.command("set")
@click.argument("person_id")
@click.option("--name", default=None)
@click.option("--role", default=None)
@click.option("--reports-to", "reports_to", default=None, help="Their new superior ('' for none: the top).")
@click.option("--email", default=None)
@click.option("--active", type=click.BOOL, default=None, help="false: they left (people are never deleted).")
@click.pass_context
def set_(ctx, person_id, name, role, reports_to, email, active):
    """Change a person (supervisor or above; nobody changes their own role, chain or active).

    \b
    Example:
      csops --as zhaozg person set lisi --role team_lead --reports-to zhaozg
      csops --as zhaozg person set wangwu --active false
    """
    from csops.commands.person import set_person

    click.echo(set_person(session(ctx), person_id, name=name, role=role, reports_to=reports_to, email=email,
                          active=active))


COMMAND = person
