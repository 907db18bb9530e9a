"""csops init DIR"""

from __future__ import annotations

from pathlib import Path

import click

from csops.cli.helptext import CsopsCommand
from csops.i18n import _


@click.command("init", cls=CsopsCommand)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--country", default="CN", show_default=True, help="Whose public holidays to import.")
@click.option("--inside", is_flag=True, help="Allow a records folder inside another Git work tree.")
@click.option("--ci", "with_ci", is_flag=True,
              help="Also write a .pre-commit-config.yaml and a GitHub Actions workflow running csops validate.")
@click.pass_context
def init(ctx, directory, country, inside, with_ci):
    """Create a records repository: git init, records/policy.yaml (with this and next year's
    public holidays and make-up workdays), an empty roster, the merge driver for record files;
    one commit.

    \b
    Example:
      csops init ~/cs-records && cd ~/cs-records
      csops person add zhangsan --name 张三 --role manager --email zhangsan@example.com
    """
    from csops.bootstrap import init_repo
    from csops.timeutil import parse_input, zone

    g = ctx.obj
    tz = zone("Asia/Shanghai")
    moment = parse_input(g.now, tz, what="--now") if g and g.now else None
    from csops.cli.common import real_clock

    started = real_clock()
    records = init_repo(directory, (moment or started.astimezone(tz)).date(), country=country, with_ci=with_ci,
                        inside=inside, when=moment, started=started)
    from csops.render import safe_text

    click.echo(safe_text(str(records)))
    if with_ci:
        from csops.bootstrap import install_spec

        if install_spec() is None:
            click.echo(_("warning: this csops was installed from a local folder, so the workflow cannot install the "
                         "same one: set the repository variable CSOPS_SPEC (a pip requirement, e.g. csops @ "
                         "git+https://git.example.com/csops.git@COMMIT)"), err=True)


COMMAND = init
