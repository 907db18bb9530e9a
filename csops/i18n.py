"""Messages in the reader's language, through gettext catalogs.

Every message a person reads (an error, a warning, a problem `validate` reports) is written in
English in the code as `_("template {name}", name=value)`; the Chinese is in
`csops/locale/zh/LC_MESSAGES/csops.po`, where a translator works without touching code. The
standard library's gettext reads it, once per process and only when a message is shown in
Chinese, from the compiled `csops.mo` beside it — when that was compiled from this very .po
(`python -m csops.translations` writes both; the .mo names the .po's size and CRC-32); otherwise polib
compiles the .po there and then (correct, 15 ms slower).

The language is decided, strongest first, by a command's `--lang`, the environment variable
`CSOPS_LANG` (a reader's own choice), the policy's `language`, and zh. Problem codes, JSON keys
and stored values are never translated.
"""

from __future__ import annotations

import gettext
import os
import struct

from csops.vocab import LANGUAGES

LOCALE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")
DOMAIN = "csops"
STAMP = "X-Csops-Source"     # the compiled catalog's header naming the .po it was compiled from
DEFAULT = "zh"

_state: dict[str, str | None] = {"chosen": None, "policy": None}
_catalogs: dict[str, gettext.NullTranslations] = {}


def language() -> str:
    """The language messages are shown in now."""
    env = os.environ.get("CSOPS_LANG", "").strip().lower()
    return _state["chosen"] or (env if env in LANGUAGES else None) or _state["policy"] or DEFAULT


def use(lang: str | None) -> None:
    """A command's `--lang`: messages in `lang` from now on."""
    if lang in LANGUAGES:
        _state["chosen"] = lang


def use_policy(lang: str | None) -> None:
    """The policy's `language`: used unless the reader chose otherwise."""
    if lang in LANGUAGES:
        _state["policy"] = lang


def reset() -> None:
    """Forget the choices (a new command in the same process: the test runner)."""
    _state.update(chosen=None, policy=None)


def _(template: str, /, **values) -> str:
    """`template` in the current language, with `values` filled in (str.format). A value passed
    as `rtype` is a record type and is shown by its name in that language (ticket: 工单); one
    passed as `action`, a workflow step, by its verb (callback: 回访); `level` by its name."""
    lang = language()
    if lang == "en":
        return template.format(**values) if values else template
    if "rtype" in values:
        from csops.vocab import TYPES

        kind = TYPES.get(values["rtype"]) if isinstance(values["rtype"], str) else None
        values["rtype"] = kind.label if kind else values["rtype"]
    if "action" in values and isinstance(values["action"], str):
        from csops.vocab import ACTION_LABELS

        values["action"] = ACTION_LABELS.get(values["action"], values["action"])
    if "level" in values and isinstance(values["level"], str):
        from csops.vocab import LEVEL_LABELS

        values["level"] = LEVEL_LABELS.get(values["level"], values["level"])
    text = catalog(lang).gettext(template)
    return text.format(**values) if values else text


def N_(template: str, /) -> str:
    """Marks a message of a table built at import, before the language is known (a workflow's
    notes): it is stored in English and shown through `translate`."""
    return template


translate = _      # for a message marked with N_ (its template is not a literal at the call)


def catalog(lang: str) -> gettext.NullTranslations:
    """The language's compiled catalog (an empty one when there is none)."""
    found = _catalogs.get(lang)
    if found is None:
        found = _catalogs[lang] = _read_catalog(lang)
    return found


def _catalog_file(lang: str, suffix: str) -> str:
    return os.path.join(LOCALE, lang, "LC_MESSAGES", DOMAIN + suffix)


def _stamp(source: bytes) -> str:
    """What the compiled catalog records of the .po it was compiled from."""
    import zlib

    return f"{len(source)}-{zlib.crc32(source):08x}"


def _read_catalog(lang: str) -> gettext.NullTranslations:
    try:
        with open(_catalog_file(lang, ".po"), "rb") as handle:
            source = handle.read()
    except FileNotFoundError:
        return gettext.NullTranslations()
    try:
        with open(_catalog_file(lang, ".mo"), "rb") as handle:
            compiled = gettext.GNUTranslations(handle)
        if compiled.info().get(STAMP.lower()) == _stamp(source):
            return compiled
    except (OSError, ValueError, LookupError, ArithmeticError, struct.error):   # none, or damaged: the .po decides
        pass
    import io

    import polib

    return gettext.GNUTranslations(io.BytesIO(polib.pofile(source.decode("utf-8")).to_binary()))
