"""The command line: parse, make one library call, render. The one error boundary is `main`."""

from __future__ import annotations

import os
import sys

import click

from csops import __version__
from csops.cli.common import Globals, complete_person
from csops.cli.helptext import CsopsContext, language_asked, short_help
from csops.i18n import _


class CsopsGroup(click.Group):
    """The one error boundary: a domain error becomes one line on stderr and its exit code."""

    context_class = CsopsContext

    def list_commands(self, ctx) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx, name):
        if name not in self.commands and name in COMMANDS:
            import importlib

            self.add_command(importlib.import_module(f"csops.cli.{COMMANDS[name][0]}").COMMAND, name)
        return self.commands.get(name)

    def format_commands(self, ctx, formatter) -> None:
        """The list `csops --help` shows, as click lays it out, without importing the commands: each
        command's summary, in the reader's language."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, short_help(COMMANDS[name][1] if name in COMMANDS else self.commands[name].help, limit))
                for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx):
        from csops.errors import CsopsError, ExitStatus

        # the sub-command's words, before click hands them on: a --lang among them is the language
        # of everything shown, its --help too (an eager --help may come before --lang)
        words = [*getattr(ctx, "_protected_args", ()), *ctx.args]
        ctx.meta["csops_lang"] = language_asked(words)
        from csops.reads import start_reading

        start_reading(ctx.params.get("records"), words)
        ctx.call_on_close(_forget_status)
        try:
            result = super().invoke(ctx)
            if sys.stdout is not None:      # buffered output fails here, inside the boundary, not at exit
                sys.stdout.flush()
        except BrokenPipeError:             # the reader is gone (`| head`): what it wanted, it has
            _drop_stdout()
            ctx.exit(ExitStatus.OK)
        except CsopsError as exc:
            click.echo(_("csops: {exc}", exc=exc), err=True)
            ctx.exit(exc.exit_status)
        except KeyboardInterrupt:
            committed = _committed()
            if committed:
                click.echo(_("csops: interrupted, but only after the change was committed ({commit})",
                             commit=committed[-1][:10]),
                           err=True)
            else:
                click.echo(_('csops: interrupted; nothing was committed'), err=True)
            ctx.exit(ExitStatus.INTERRUPTED)
        except OSError as exc:
            _flush_or_drop_stdout()         # what is still buffered for a full disk would fail again at exit
            where = f"{exc.filename}: " if exc.filename else ""
            committed = _committed()
            if committed and exc.filename:   # a file read after the change landed: a warning, the change stands
                click.echo(_("warning: {where}{reason} (the change was committed: {commit})",
                             where=where, reason=exc.strerror or exc, commit=committed[-1][:10]), err=True)
                ctx.exit(ExitStatus.OK)
            elif committed:    # the output after it failed (a full disk, a closed terminal): the change stands
                click.echo(_("csops: {where}{reason} (but the change was committed: {commit})",
                             where=where, reason=exc.strerror or exc, commit=committed[-1][:10]), err=True)
            else:
                click.echo(_("csops: {where}{reason} (nothing was committed)",
                             where=where, reason=exc.strerror or exc), err=True)
            ctx.exit(ExitStatus.BAD_INPUT)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug: one line naming a saved traceback (CSOPS_DEBUG=1 raises it)
            if os.environ.get("CSOPS_DEBUG"):
                raise
            # English on purpose: it is pasted into a bug report, and it must not depend on the catalog
            click.echo(f"csops: internal error (a bug in csops): {type(exc).__name__}: {exc}; "
                       f"the traceback is saved in {_save_traceback()}; please report it", err=True)
            ctx.exit(ExitStatus.INTERNAL)
        txn = sys.modules.get("csops.txn")          # imported only by a command that writes
        if txn is not None and txn.interrupted_after_commit:
            click.echo(_("csops: interrupted, but only after the change was committed ({commit})",
                         commit=txn.interrupted_after_commit[-1][:10]), err=True)
            ctx.exit(ExitStatus.INTERRUPTED)
        return result


def _forget_status() -> None:
    gitlog = sys.modules.get("csops.gitlog")
    if gitlog is not None:
        gitlog.forget_status()


def _drop_stdout() -> None:
    """Point stdout at the null device: output still buffered for a closed pipe or a full disk is
    dropped instead of failing again when Python exits ("Exception ignored", exit 120)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):       # not a real file (a test's capture)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


def _flush_or_drop_stdout() -> None:
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError:
        _drop_stdout()


def _committed() -> list[str]:
    """The commits this process made (csops.txn, imported only by a command that writes, is not
    imported here: a Ctrl-C in the middle of importing it must not fail again)."""
    txn = sys.modules.get("csops.txn")
    return getattr(txn, "committed", None) or []


def _save_traceback() -> str:
    import tempfile
    import time
    import traceback

    fd, path = tempfile.mkstemp(prefix=f"csops-traceback-{time.strftime('%Y%m%d-%H%M%S')}-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"csops {__version__}, Python {sys.version.split()[0]}\nargv: {sys.argv!r}\n\n")
        handle.write(traceback.format_exc())
    return path


@click.group(cls=CsopsGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--records", "records", metavar="PATH", envvar="CSOPS_RECORDS",
              help="The records folder (holding policy.yaml). Default: found walking up from here.")
@click.option("--as", "as_person", metavar="PERSON", shell_complete=complete_person, envvar="CSOPS_USER",
              help="Act as this person (default: the roster person whose email is git user.email).")
@click.option("--now", "now", metavar="ISO", envvar="CSOPS_NOW",
              help="The clock for new records, deadlines and reports (default: the real time).")
@click.option("--backfill", "backfill", metavar="REASON", default=None,
              help="Mark the entries of this change as recorded late, and why (supervisor or above).")
@click.option("--version", is_flag=True, help="Show the version (with -v: the YAML loaders in use) and exit.")
@click.option("-v", "--verbose", is_flag=True, help="With --version: show which YAML loaders are active.")
@click.pass_context
def cli(ctx, records, as_person, now, backfill, version, verbose):
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
    from csops import i18n

    i18n.reset()                        # each command decides its language afresh (--lang, CSOPS_LANG, policy)
    i18n.use(ctx.meta.get("csops_lang"))
    ctx.obj = Globals(records, as_person, now, backfill)


# Each command lives in its own module under csops.cli (as COMMAND), imported only when the
# command line names it: a command pays for its own imports only. `csops --help` lists them by
# the summary here (its help's first sentence, which a test holds equal to the command's own).
COMMANDS = {
    "calendar": ("calendar_cmd", "The business calendar: public holidays and make-up workdays (调休) in "
                                 "policy.yaml."),
    "customer": ("customer", "The customer archive 客户档案 (004): one customer's tickets and returns; their card 客户卡 "
                             "(tier, owner) and regular revisits 定期回访."),
    "export": ("export_cmd", "Export the records for analysts."),
    "import": ("import_cmd", "Bring the existing ledger in 导入台账: people, roster, tickets, returns, leave or "
                             "scores from .xlsx or .csv (UTF-8 or GB18030)."),
    "init": ("init_cmd", "Create a records repository: git init, records/policy.yaml (with this and next year's "
                         "public holidays and make-up workdays), an empty roster, the merge driver for record "
                         "files; one commit."),
    "leave": ("leave", "Leave 请假: personal 事假, sick 病假, special 特殊事假; approved level by level."),
    "log": ("log_cmd", "A record's audit trail from Git: when, who, which transition, which commit."),
    "merge-file": ("merge_cmd", "Git merge driver for record files: unites history entries (by time) and "
                                "re-derives status; a field both sides changed differently is left as a normal "
                                "conflict."),
    "notify": ("notify_cmd", "Send a report to the team 通知: what is overdue (owner, what, hours late), the daily "
                             "report 日报, what waits for each approver, the revisits due — as markdown in the policy's "
                             "language, contacts masked, to a DingTalk, WeCom or Feishu robot, a webhook or e-mail "
                             "named in the policy's notify.targets (URLs and secrets from environment variables)."),
    "person": ("person", "The roster: people, roles and who reports to whom."),
    "policy": ("policy_cmd", "The policy: which version of the rules was in force when."),
    "recover": ("recover_cmd", "Finish or undo a write that was interrupted (Ctrl-C, kill, power cut, full disk): "
                               "a commit that had landed is completed in the work tree, anything earlier is "
                               "undone."),
    "report": ("report", "Reports: overdue work, scores, statistics, the daily return sheet."),
    "return": ("returns", "Returns 退货: self-returns 自退件, in-transit 在途退件, refusals 拒收件."),
    "roster": ("roster_cmd", "The duty roster 排班 (《电商部管理细则》周末值班): who works which shift, who leads the day."),
    "search": ("search_cmd", "Find every record whose text holds all the words: summaries, notes, reasons, "
                             "customer names, order numbers, items."),
    "score": ("score", "Score events 考核: penalty points, fines and dismissal rules from the policy catalog."),
    "swap": ("swap", "Swaps 调班: exchange shifts with a colleague — they accept, a team lead approves "
                     "(不得私自换班)."),
    "ticket": ("ticket", "Tickets 工单: complaints 投诉, inquiries 咨询, feedback 建议."),
    "validate": ("validate_cmd", "Check every record, the roster and the policy; print problems as path:line: "
                                 "CODE message."),
}


def main(argv=None) -> None:
    """Console entry point. Output never dies on an encoding: a GBK console shows what it cannot
    print as '?' instead of failing."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    cli.main(args=argv, prog_name="csops")
