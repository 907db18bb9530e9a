"""What every command shares: the global options, the session, the output options."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import sys
from typing import NamedTuple

import click

from csops.errors import BadInput
from csops.i18n import _
from csops.reads import counts, reads_of, status_folders
from csops.vocab import FORMATS, LANGUAGES


class Globals(NamedTuple):
    """The options given before the command (kept light: `csops --help` loads this module)."""
    records: str | None
    as_person: str | None
    now: str | None
    backfill: str | None = None


def real_clock() -> dt.datetime:
    """The one place csops reads the real time; everything below gets it passed in."""
    return dt.datetime.now(dt.timezone.utc)


def _words(ctx: click.Context) -> list[str]:
    names = []
    while ctx.parent is not None:
        names.append(ctx.info_name)
        ctx = ctx.parent
    return names[::-1]


def session(ctx: click.Context, *, reads: bool = False):
    """The library Session for this command. An interrupted write left behind stops every
    command here (csops recover finishes or undoes it). `reads`: the command reads through the
    record index (a listing, a report): Git is asked what changed while csops loads — in the
    folders of the types it reads (READS)."""
    from csops.gitlog import ask_status

    g: Globals = ctx.find_object(Globals)
    store = open_store(ctx, g.records)
    words = _words(ctx)
    scope = reads_of(words) if reads else None
    scope = None if scope is False else scope
    status = ask_status(store.root, status_folders(scope)) if reads else None
    from csops.session import Session
    from csops.txn import check_for_leftovers

    if getattr(status, "drop", None) is not None:      # not read after all (a refused filter): its pipe closed
        ctx.call_on_close(status.drop)
    check_for_leftovers(store.root)
    sess = Session.open(store, now=g.now, real_clock=real_clock, as_person=g.as_person,
                        debug=bool(os.environ.get("CSOPS_DEBUG")), backfill=g.backfill, status=status,
                        progress=progress_bar(), scope=scope, with_facts=counts(words))
    from csops import calendar

    scope = calendar.collecting()                 # the uncertain years this command computes with
    years = scope.__enter__()
    ctx.call_on_close(lambda: scope.__exit__(None, None, None))     # closed last (callbacks run in reverse)
    ctx.call_on_close(lambda: _warn_skipped(sess, years))
    ctx.call_on_close(sess.close)
    return sess


def progress_bar(label: str | None = None):
    """How long work shows its progress (docs/rules.md): a bar on stderr when stderr is a terminal,
    nothing otherwise (a pipe, CI, a test). progress(total) gives a context yielding step(n)."""
    if sys.stderr is None or not sys.stderr.isatty():
        return None
    import contextlib

    @contextlib.contextmanager
    def progress(total: int):
        with click.progressbar(length=total, label=label or _("reading the records"), file=sys.stderr) as bar:
            yield bar.update
    return progress


def open_store(ctx: click.Context, records: str | None):
    """The records this command works on (--records, or found walking up from here). The
    policy and the people it parses are kept in the repository's cache when the command ends."""
    from csops.gitlog import find_git_dir
    from csops.store import Store, find_records_root

    store = Store(find_records_root(os.getcwd(), records))
    git_dir = find_git_dir(store.root)
    if git_dir is not None:
        store.keep_parses_in(git_dir)
        ctx.call_on_close(store.parse_cache.save)
    return store


def _warn_skipped(sess, years: dict) -> None:
    """Nothing vanishes: a record a listing or report could not read is named on stderr. And a
    year the command computed with that the policy only estimates or lacks is named once.
    Standard output is flushed first: a warning never lands inside a line of it (2>&1)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stdout.flush()
    _warn_uncertain(years)
    skipped = sess.ctx.skipped if "ctx" in sess.__dict__ else []
    if skipped:
        click.echo(_("warning: {count} records skipped (first: {first}; csops validate lists them all)",
                     count=len(skipped), first=skipped[0]), err=True)


def choose_language(ctx, param, value):
    """--lang: messages too are shown in this language (errors included)."""
    from csops import i18n

    i18n.use(value)
    return value


def _warn_uncertain(years: dict) -> None:
    for year, state in sorted(years.items()):
        if state == "estimated":
            click.echo(_("warning: the holidays of {year} are estimated (no official 调休 schedule yet): deadlines in "
                         "{year} may move; run csops calendar import --year {year} once it is published", year=year),
                       err=True)
        else:
            click.echo(_("warning: the policy has no holidays for {year}: deadlines in {year} count every weekday "
                         "as working; run csops calendar import --year {year}", year=year), err=True)
    years.clear()


def output_options(fn):
    """--format, --lang and --output, defined once for every listing and report."""
    @click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="table",
                  show_default=True, help="Output format (xlsx: a spreadsheet, with --output).")
    @click.option("--lang", type=click.Choice(list(LANGUAGES)), default=None, callback=choose_language,
                  expose_value=True, is_eager=True,
                  help="Labels and messages (default: CSOPS_LANG, else the policy language). JSON keys stay English.")
    @click.option("--output", type=click.Path(dir_okay=False), default=None, expose_value=False,
                  callback=lambda ctx, param, value: ctx.meta.__setitem__("csops_output", value),
                  help="Write to this file instead of the terminal (needed for xlsx).")
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


def lang_of(sess, lang: str | None) -> str:
    """The language of labels: --lang, else CSOPS_LANG, else the policy's (as messages)."""
    from csops import i18n

    i18n.use_policy(sess.policy_file.language)
    return lang or i18n.language()


def echo_rows(sess, rows, columns, fmt, lang, title=None):
    """A listing or report in the format asked for: on the terminal, or into --output FILE."""
    from csops.render import render

    target = click.get_current_context().meta.get("csops_output")
    language = lang_of(sess, lang)
    if fmt == "xlsx":
        if not target:
            raise BadInput(_('--format xlsx writes a file: add --output FILE.xlsx'))
        from csops.xlsx import write_xlsx

        _to_file(target, lambda path: write_xlsx(rows, columns, language, path, title=title, tz=sess.tz))
        return
    text = render(rows, columns, fmt, language, title=title, color=use_color() and not target)
    if fmt == "csv":       # the BOM tells Excel a file is UTF-8; a terminal or a pipe gets none
        from csops.render import BOM

        if target:
            _to_file(target, lambda temp: temp.write_text(text, encoding="utf-8", newline=""))
        else:
            click.echo(text.removeprefix(BOM), nl=False)
        return
    if target:
        _to_file(target, lambda temp: temp.write_text(text + "\n", encoding="utf-8", newline=""))
        return
    click.echo(text)


def echo_text(text: str, fmt: str) -> None:
    """Output that is one document, not rows (`show`, the statistics as JSON): the terminal or
    --output FILE; no spreadsheet."""
    if fmt == "xlsx":
        raise BadInput(_('--format xlsx is for listings and reports'), _('use --format json or table here'))
    target = click.get_current_context().meta.get("csops_output")
    if target:
        _to_file(target, lambda temp: temp.write_text(text + "\n", encoding="utf-8", newline=""))
    else:
        click.echo(text)


def echo_chunks(rows) -> None:
    """A JSON listing written as its rows come (csops.render.json_chunks): on the terminal, or
    into --output FILE (through a temporary file, as always)."""
    from csops.render import json_chunks

    target = click.get_current_context().meta.get("csops_output")
    if target:
        def write(path):
            with open(path, "w", encoding="utf-8", newline="") as handle:
                for chunk in json_chunks(rows):
                    handle.write(chunk)
                handle.write("\n")
        _to_file(target, write)
        return
    for chunk in json_chunks(rows):
        click.echo(chunk, nl=False)
    click.echo()


def _to_file(target: str, write) -> None:
    """Write through a temporary file beside the target (`write` is given its Path), then rename:
    never a half-written file."""
    from csops.store import output_path

    path = output_path(target)
    temp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        write(temp)
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        from csops.render import safe_text

        raise BadInput(_("{file}: cannot write ({reason})", file=safe_text(target), reason=exc.strerror or exc),
                       _('choose a file in a folder you can write')) from None
    from csops.render import safe_text

    click.echo(safe_text(str(target)))


def require_reveal(sess) -> None:
    """Customers' contacts are personal data: only the roles in permissions.reveal see them."""
    sess.policy.require(sess.actor, "reveal", doing=_("use --reveal (it shows customers' contacts)"))


def use_color() -> bool:
    """Colour only on a real terminal: never when NO_COLOR is set (https://no-color.org) or the
    terminal says it cannot (TERM=dumb)."""
    return not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb" and sys.stdout is not None \
        and sys.stdout.isatty()


note_option = click.option("--note", default=None, help="A note for the history entry.")


def warn_related(sess, rtype: str, record_id: str, contact=None, order=None) -> None:
    """After registering: the same customer or order has records still open (a repeat caller).
    Without a contact or an order there is nothing to match, and nothing is read."""
    if not contact and not order:
        return
    import dataclasses

    from csops.reports.customer import related_open

    related = related_open(dataclasses.replace(sess), rtype, record_id)   # a fresh read: the new record included
    if not related:
        return
    reasons = {"same contact": _("same contact"), "same order": _("same order")}
    listed = ", ".join(f"{rid} ({reasons[why]})" for rid, why in related[:5])
    if len(related) > 5:                  # a handful to look at; the archive has them all
        listed += " " + _("and {count} more (csops customer show)", count=len(related) - 5)
    click.echo(_("warning: the same customer or order has open records: {listed}", listed=listed), err=True)


# -- shell completion: record ids, people, states (read from the records, never failing) ------------

def _completion_store(ctx):
    from csops.store import Store, find_records_root

    root = ctx.find_root()
    given = root.params.get("records") or os.environ.get("CSOPS_RECORDS")
    try:
        return Store(find_records_root(os.getcwd(), given))
    except Exception:   # noqa: BLE001 - completion offers nothing rather than a traceback in the shell
        return None


def _type_of(ctx) -> str | None:
    from csops.vocab import TYPES

    while ctx is not None:
        if ctx.info_name in TYPES:
            return ctx.info_name
        ctx = ctx.parent
    return None


def complete_id(ctx, param, incomplete):
    """`csops ticket show T-2026<TAB>`: the ids of that type (every type under `log`)."""
    from click.shell_completion import CompletionItem

    from csops.vocab import TYPES

    store = _completion_store(ctx)
    if store is None:
        return []
    wanted, out = incomplete.upper(), []
    for rtype in [_type_of(ctx)] if _type_of(ctx) else list(TYPES):
        for rel in store.rel_files(rtype):
            stem = os.path.splitext(os.path.basename(rel))[0]
            if stem.upper().startswith(wanted):
                out.append(CompletionItem(stem))
    return sorted(out, key=lambda item: item.value, reverse=True)[:200]       # newest first


def complete_person(ctx, param, incomplete):
    """--as, --person, --assignee, --with: people on the roster."""
    from click.shell_completion import CompletionItem

    store = _completion_store(ctx)
    if store is None:
        return []
    return [CompletionItem(p.stem) for p in store.person_files() if p.stem.startswith(incomplete)]


def complete_value(ctx, param, incomplete):
    """--kind, --channel, --level, --code of a listing: the names the type or the policy allows."""
    from click.shell_completion import CompletionItem

    from csops import vocab

    rtype, name = _type_of(ctx), param.name
    names: list = {"kind": list({"return": vocab.RETURN_KINDS, "leave": vocab.LEAVE_KINDS}.get(rtype, ()))}.get(name, [])
    if name in ("level", "code", "channel") or (name == "kind" and rtype == "ticket"):
        store = _completion_store(ctx)
        try:
            policy = store.policy() if store is not None else None
        except Exception:   # noqa: BLE001 - completion offers nothing rather than a traceback in the shell
            policy = None
        if policy is not None:
            names = (list(policy.section("tickets").get("levels") or []) if name == "level" else
                     list(policy.channels()) if name == "channel" else list(policy.ticket_kinds()) if name == "kind"
                     else sorted(policy.catalog()))
    return [CompletionItem(n) for n in names if str(n).startswith(incomplete)]


def complete_state(ctx, param, incomplete):
    """--status and `move ID STATE`: the states of the record type."""
    from click.shell_completion import CompletionItem

    from csops.vocab import TYPES

    rtype = _type_of(ctx)
    states = TYPES[rtype].states if rtype else sorted({s for t in TYPES.values() for s in t.states})
    if param.name == "state" and rtype and ctx.params.get("record_id"):
        states = _next_states(ctx, rtype, ctx.params["record_id"]) or states
    return [CompletionItem(s) for s in states if s.startswith(incomplete)]


def _next_states(ctx, rtype: str, ref: str) -> list[str]:
    """`move ID <TAB>`: the states the record can go to from where it is."""
    store = _completion_store(ctx)
    try:
        rec = store.read(rtype, store.locate(ref, rtype)[1])
    except Exception:   # noqa: BLE001 - completion offers the type's states instead
        return []
    from csops.workflows import WORKFLOWS

    source = rec.data.get("status") if isinstance(rec.data, dict) else None
    out = []
    for row in WORKFLOWS[rtype].transitions:
        if row.leaves(source) and not row.stays and (row.when is None or row.when(rec.data)):
            out += [t for t in row.targets if t not in out]
    return out
