"""The command line: parse, make one library call, render. The one error boundary is `main`."""

from __future__ import annotations

import os
import sys

import click

from csops import __version__
from csops.cli.common import Globals


class CsopsGroup(click.Group):
    """The one error boundary: a domain error becomes one line on stderr and its exit code."""

    def invoke(self, ctx):
        from csops.errors import CsopsError, ExitStatus

        try:
            return super().invoke(ctx)
        except CsopsError as exc:
            click.echo(f"csops: {exc}", err=True)
            ctx.exit(exc.exit_status)
        except KeyboardInterrupt:
            click.echo("csops: interrupted; nothing was committed", err=True)
            ctx.exit(ExitStatus.REFUSED)
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"csops: {where}{exc.strerror or exc}", err=True)
            ctx.exit(ExitStatus.BAD_INPUT)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug: still one line, never a traceback (CSOPS_DEBUG=1 shows it)
            if os.environ.get("CSOPS_DEBUG"):
                raise
            click.echo(f"csops: internal error: {type(exc).__name__}: {exc} (nothing was committed; "
                       "run again with CSOPS_DEBUG=1 and report it)", err=True)
            ctx.exit(ExitStatus.REFUSED)


@click.group(cls=CsopsGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--records", "records", metavar="PATH", envvar="CSOPS_RECORDS",
              help="The records folder (holding policy.yaml). Default: found walking up from here.")
@click.option("--as", "as_person", metavar="PERSON", envvar="CSOPS_USER",
              help="Act as this person (default: the roster person whose email is git user.email).")
@click.option("--now", "now", metavar="ISO", envvar="CSOPS_NOW",
              help="The clock for new records, deadlines and reports (default: the real time).")
@click.option("--version", is_flag=True, help="Show the version (with -v: the YAML loaders in use) and exit.")
@click.option("-v", "--verbose", is_flag=True, help="With --version: show which YAML loaders are active.")
@click.pass_context
def cli(ctx, records, as_person, now, version, verbose):
    """csops — a customer-service department's records in Git.

    Tickets 工单, returns 退货, leave 请假 and score events 考核 are YAML files under
    records/; every change is one Git commit; `csops validate` keeps hand edits honest.

    \b
    Example:
      csops --now 2026-11-23T09:00 report overdue
      csops --as lisi ticket route T-20261123-7K3Q5X --to-dept 仓库 --assignee wangwu
    """
    if version:
        click.echo(f"csops {__version__}")
        if verbose:
            from csops import yamlio

            click.echo(f"Python {sys.version.split()[0]}")
            for key, value in yamlio.loaders_in_use().items():
                click.echo(f"{key}: {value}")
        ctx.exit(0)
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
        ctx.exit(0)
    ctx.obj = Globals(records, as_person, now)


def _register():
    from csops.cli import calendar_cmd, init_cmd, leave, log_cmd, merge_cmd, person, report, returns, score, \
        ticket, validate_cmd

    for module in (init_cmd, person, ticket, returns, leave, score, log_cmd, report, validate_cmd, calendar_cmd,
                   merge_cmd):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main(argv=None) -> None:
    """Console entry point."""
    cli.main(args=argv, prog_name="csops")
