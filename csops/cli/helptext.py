"""Help in the reader's language: `--help` of every command and option goes through the same
gettext catalog as the messages (csops/locale/zh/LC_MESSAGES/csops.po).

Help texts are written in English in the code, as click expects them (docstrings, `help=`); many
are made per record type (`Show one ticket: …`), so the catalog is filled from the command tree
itself (`help_texts`), not from the source: every text click would show is a message to translate.
At format time the formatter looks each text up (`LocalizedFormatter`). Every csops command and
group also takes `--lang`, after the sub-command too (`csops ticket close ID --lang en`).
"""

from __future__ import annotations

import inspect
import os
import re
import sys

import click

from csops.vocab import LANGUAGES

_EXTRAS = re.compile(r"^(?P<help>.*?)\s*\[(?P<extra>[^\[\]]*)\]$", re.S)
_HEADINGS = {"zh": {"Options": "选项", "Commands": "命令", "Arguments": "参数"}}
_USAGE = {"zh": "用法："}
_EXTRA_WORDS = {"zh": (("default: ", "默认："), ("required", "必填"), ("env var: ", "环境变量："))}
_CLICK = {"zh": {"Show this message and exit.": "显示本帮助并退出。"}}      # click's own


def tr(text: str) -> str:
    """A help text in the current language (itself when there is no translation)."""
    from csops import i18n

    lang = i18n.language()
    if lang == "en" or not text:
        return text
    return _CLICK.get(lang, {}).get(text) or i18n.catalog(lang).gettext(text)


def _option_help(text: str) -> str:
    """An option's help with click's `[default: …; required]` after it: each part translated."""
    from csops import i18n

    lang = i18n.language()
    found = _EXTRAS.match(text or "")
    if lang == "en" or found is None:
        return tr(text)
    extra = found["extra"]
    for english, local in _EXTRA_WORDS.get(lang, ()):
        extra = extra.replace(english, local)
    helped = tr(found["help"])
    return f"{helped}  [{extra}]" if helped else f"[{extra}]"


class LocalizedFormatter(click.HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        from csops import i18n

        super().write_usage(prog, args, _USAGE.get(i18n.language(), prefix) if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        from csops import i18n

        lang = i18n.language()
        if lang in _HEADINGS:
            self.write(f"{'':>{self.current_indent}}{_HEADINGS[lang].get(heading, heading)}：\n")
        else:
            super().write_heading(heading)

    def write_text(self, text: str) -> None:
        local = tr(text)
        if local == text or not _WIDE.search(local):
            super().write_text(local)
            return
        # Chinese has no spaces to wrap at: each paragraph joined without them and cut by the
        # columns its characters take (a \b paragraph, like an example, stays as written)
        indent = " " * self.current_indent
        width = max(self.width - self.current_indent, 20)
        lines: list[str] = []
        for paragraph in local.split("\n\n"):
            if lines:
                lines.append("")
            if paragraph.startswith("\b\n"):
                lines += [indent + line for line in paragraph[2:].splitlines()]
                continue
            lines += [indent + line for line in _cut(_joined(paragraph), width)]
        self.write("\n".join(lines) + "\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(term, _option_help(text)) for term, text in rows]
        if not any(_WIDE.search(text or "") for _term, text in rows):
            super().write_dl(rows, col_max, col_spacing)
            return
        # as click lays a definition list out, with the Chinese help cut by columns
        first = min(max((len(term) for term, _text in rows), default=0), col_max) + col_spacing
        room = max(self.width - first - self.current_indent, 20)
        for term, text in rows:
            self.write(f"{'':>{self.current_indent}}{term}")
            lines = _cut(_joined(text or ""), room) or [""]
            if len(term) + col_spacing > first:
                self.write("\n" + " " * (first + self.current_indent))
            else:
                self.write(" " * (first - len(term)))
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(" " * (first + self.current_indent) + line + "\n")


_WIDE = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
_NO_START = "，。、；：？！）」』》〉】,.;:?!)"


def _joined(paragraph: str) -> str:
    """A paragraph's lines as one: no space where a line break fell between Chinese characters."""
    out = ""
    for line in paragraph.splitlines():
        line = line.strip()
        if out and line and not (_WIDE.match(out[-1]) or _WIDE.match(line[0])):
            out += " "
        out += line
    return out


def _cut(text: str, width: int) -> list[str]:
    """Lines of at most `width` columns (a Chinese character takes two), broken at a space when
    one is near, else anywhere between Chinese characters."""
    from wcwidth import wcwidth

    lines, line, used = [], "", 0
    for char in text:
        size = max(wcwidth(char), 0)
        if used + size > width:
            space = line.rfind(" ")
            if space > len(line) * 2 // 3:
                lines.append(line[:space])
                line = line[space + 1:]
            elif char in _NO_START and len(line) > 1:      # a closing mark never starts a line
                lines.append(line[:-1])
                line = line[-1]
            else:
                lines.append(line)
                line = ""
            used = sum(max(wcwidth(c), 0) for c in line)
        if not line and char == " ":
            continue
        line += char
        used += size
    if line:
        lines.append(line)
    return lines


class CsopsContext(click.Context):
    """click's context, with help in the reader's language, at the width click would take but
    found without shutil."""

    formatter_class = LocalizedFormatter

    def make_formatter(self) -> click.HelpFormatter:
        """click's formatter at the width click would take, found without importing shutil
        (3 ms of `csops --help`): COLUMNS, else the terminal's width, else 80; at most
        max_content_width, less 2, at least 50."""
        if self.terminal_width is not None:
            return super().make_formatter()
        try:
            columns = int(os.environ.get("COLUMNS", "0"))
        except ValueError:
            columns = 0
        if columns <= 0:
            try:
                columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
            except (AttributeError, ValueError, OSError):
                columns = 0
        columns = columns if columns > 0 else 80
        width = max(min(columns, self.max_content_width or 80) - 2, 50)
        return self.formatter_class(width=width, max_width=self.max_content_width)


def short_help(text: str | None, limit: int) -> str:
    """The first sentence of a help text in the current language, as click takes it (a Chinese
    one ends at 。)."""
    local = tr(inspect.cleandoc(text or "").partition("\f")[0])
    if local != inspect.cleandoc(text or "").partition("\f")[0] and "。" in local.split("\n\n", 1)[0]:
        first = local.split("\n\n", 1)[0].split("。", 1)[0] + "。"
        return _shortened(" ".join(first.split()), limit)
    return _shortened(local, limit)


def _shortened(text: str, limit: int) -> str:
    """click's short help of `text` (its first sentence, shortened to `limit` with ...)."""
    import click.utils

    shorten = getattr(click.utils, "_make_default_short_help", None) or click.utils.make_default_short_help
    return shorten(text, limit)


def _choose_language(ctx, param, value):
    from csops import i18n

    i18n.use(value)
    return value


LANG_HELP = "Labels and messages (default: CSOPS_LANG, else the policy language). JSON keys stay English."


def add_lang(command: click.Command) -> None:
    """--lang on a command that does not take it already (after the sub-command too)."""
    if not any(param.name == "lang" for param in command.params):
        command.params.append(click.Option(["--lang"], type=click.Choice(list(LANGUAGES)), default=None,
                                           expose_value=False, is_eager=True, callback=_choose_language,
                                           help=LANG_HELP))


class CsopsCommand(click.Command):
    """A csops command: help in the reader's language, --lang accepted."""

    context_class = CsopsContext

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        add_lang(self)

    def get_short_help_str(self, limit: int = 45) -> str:
        if self.short_help:
            return tr(self.short_help)
        return short_help(self.help, limit)


class CsopsSubGroup(click.Group):
    """A group of csops commands (ticket, report, …): the same, for it and what it holds."""

    context_class = CsopsContext
    command_class = CsopsCommand

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        add_lang(self)

    def get_short_help_str(self, limit: int = 45) -> str:
        return short_help(self.help, limit)


CsopsSubGroup.group_class = CsopsSubGroup


def language_asked(args: list[str]) -> str | None:
    """The `--lang` a command line names anywhere (help is shown in it even when --help comes
    first)."""
    for index, arg in enumerate(args):
        if arg == "--lang" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None
