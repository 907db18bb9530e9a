"""csops calendar …"""

from __future__ import annotations

import click

from csops.cli.common import session
from csops.cli.helptext import CsopsSubGroup
from csops.i18n import _


@click.group("calendar", cls=CsopsSubGroup)
def calendar():
    """The business calendar: public holidays and make-up workdays (调休) in policy.yaml.

    \b
    Example:
      csops calendar import --country CN --year 2027
    """


@calendar.command("import")
@click.option("--country", default="CN", show_default=True)
@click.option("--year", type=int, required=True)
@click.pass_context
def import_(ctx, country, year):
    """Add a year's public holidays and make-up workdays from the `holidays` package (one commit).

    \b
    Example:
      csops --as zhuguan calendar import --country CN --year 2027
    """
    from csops.bootstrap import estimated_schedule
    from csops.commands.policy import import_holidays

    off, worked = import_holidays(session(ctx), country, year)
    click.echo(_("{year}: {off} holidays, {worked} make-up workdays", year=year, off=off, worked=worked))
    if estimated_schedule(country, worked, year):
        click.echo(_("warning: {year} has no official 调休 schedule yet: the year is marked estimated in the policy; "
                     "import it again once the schedule is published", year=year), err=True)


COMMAND = calendar
