"""csops validate"""

from __future__ import annotations

import click

from csops.cli.common import open_store, progress_bar, session
from csops.cli.helptext import CsopsCommand
from csops.i18n import _


@click.command("validate", cls=CsopsCommand)
@click.option("--history", is_flag=True, help="Also replay the Git history of the records.")
@click.option("--since", metavar="REV", default=None, help="With --history: only the commits after REV.")
@click.pass_context
def validate(ctx, history, since):
    """Check every record, the roster and the policy; print problems as path:line: CODE message.

    Exit 0 when clean, 1 when problems were found, 2 on bad usage.

    \b
    Example:
      csops validate --history --since origin/main
    """
    from csops.checks import validate_tree
    from csops.errors import ExitStatus, NotFound
    from csops.gitlog import Git, ask_status

    store = open_store(ctx, ctx.obj.records)
    status = ask_status(store.root)         # runs while the rest loads
    try:
        git = Git(store.root)
    except NotFound:
        git = None          # outside Git: no cache, no history
    from csops.cli.common import real_clock
    from csops.errors import CsopsError
    from csops.timeutil import parse_input, zone

    g = ctx.obj
    try:
        tz = store.policy().tz
    except CsopsError:          # a broken policy is what validate is about to report
        tz = zone("Asia/Shanghai")
    now = parse_input(g.now, tz, what="--now") if g and g.now else real_clock()
    problems = validate_tree(store, git, now=now, status=status if git is not None else None,
                             progress=progress_bar())
    policy_broken = any(p.path == store.display(store.policy_path) for p in problems)
    if (history or since) and not policy_broken:
        from csops.audit import merge_problems, replay

        problems = merge_problems(problems, replay(session(ctx), since=since))
    for problem in problems:
        click.echo(problem.format())
    errors = [p for p in problems if not p.is_warning]
    files = len({p.path for p in errors})
    if errors:
        click.echo(_("csops: {n_errors} problem{plural} in {files} file{plural2}",
                     n_errors=len(errors), plural='s' if len(errors) != 1 else '', files=files,
                     plural2='s' if files != 1 else ''), err=True)
        ctx.exit(ExitStatus.REFUSED)
    click.echo(_("csops: all records valid ({count} warning(s))", count=len(problems)) if problems
               else _("csops: all records valid"), err=True)


COMMAND = validate
