"""YAML in one place: fast bulk reads (libyaml through PyYAML's CSafeLoader), round-trip writes
(ruamel.yaml, keeping comments and key order), and mapping a key path back to a line number.

Timestamps and dates are read as their ISO text, never as datetime objects, so that both
loaders agree and nothing is silently converted; `csops.timeutil` parses them where needed.
The bulk loader is how csops reads a file; whatever the CLI writes is re-read with it and with
PyYAML's pure-Python loader, and must read the same, before it lands.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import io
import marshal
import os
import re
from pathlib import Path
from types import SimpleNamespace

from csops.errors import BadInput
from csops.i18n import _

MAX_DEPTH = 32                      # nesting of mappings and lists (docs/rules.md)
RECORD_BYTES = 256 * 1024           # a record file; policy.yaml and a person file may be 1 MB
POLICY_BYTES = 1024 * 1024
MAX_EXPANDED = 100_000              # nodes an anchored policy may expand to (an alias bomb is far more)

# In a record, person or roster file a plain scalar that YAML reads as a number is a number only
# under these keys (the fields that hold counts, ratings and minutes, amounts written as numbers
# in round one — reported LEGACY_AMOUNT —, and what an amend entry says of them); anywhere else
# it is text exactly as written — `order: 0777`, `summary: 123`, `contact: 013812345678`.
# policy.yaml (numbers=None) reads numbers wherever YAML does.
RECORD_NUMBERS = frozenset({"qty", "received", "good", "defective", "satisfaction", "minutes", "days",
                            "fine", "amount", "freight"})


@functools.lru_cache(maxsize=1)
def _pyyaml() -> SimpleNamespace:
    """PyYAML and csops' loaders on it, imported when something is first parsed: a command that
    finds everything it reads in its caches never imports it (≈ 10 ms)."""
    import yaml

    try:  # libyaml, when PyYAML was built with it (the manylinux wheels are)
        from yaml import CSafeLoader as fast_base
        fast_name = "PyYAML CSafeLoader (libyaml)"
    except ImportError:  # pragma: no cover - depends on the installed wheel
        from yaml import SafeLoader as fast_base
        fast_name = "PyYAML SafeLoader (pure Python; install PyYAML with libyaml for speed)"

    class Duplicate(yaml.MarkedYAMLError):
        pass

    def refuse_duplicate_keys(node) -> None:
        """A mapping that says a key twice is an error (the second would silently win)."""
        seen = set()
        for key_node, _value in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise Duplicate(None, None, _("the key {key!r} is given twice", key=key_node.value),
                                    key_node.start_mark)
                seen.add(key_node.value)

    class NoDuplicateKeys:
        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                refuse_duplicate_keys(node)
            return super().construct_mapping(node, deep)

    class FastLoader(NoDuplicateKeys, fast_base):
        """The bulk loader: safe, C-accelerated, timestamps kept as text, duplicate keys refused."""

        # No path resolvers are registered, yet the C parser calls these two for every node it
        # builds (seventy a record): a builtin that ignores what it is given answers them for a
        # fraction of a Python method's call (7% of a cold read's parse).
        descend_resolver = {}.get       # (parent, index) → nothing kept
        ascend_resolver = ().__len__    # () → nothing kept

        def resolve(self, kind, value, implicit):
            """The tag PyYAML gives a node (asked for every node of every file). No path resolvers
            are registered: a plain scalar's tag depends on its text alone — each short one is
            resolved once — and any other node takes its kind's default."""
            if self.__class__ is FastLoader:
                if kind is scalar and implicit[0]:
                    tag = resolved.get(value)
                    if tag is not None:
                        return tag
                    tag = super().resolve(kind, value, implicit)
                    if len(value) <= 64 and not self.yaml_path_resolvers:
                        if len(resolved) > 20_000:
                            resolved.clear()
                        resolved[value] = tag
                    return tag
                if not self.yaml_path_resolvers:
                    return defaults[kind]
            return super().resolve(kind, value, implicit)

    class PureLoader(NoDuplicateKeys, yaml.SafeLoader):
        """The same reading in pure Python (used to prove written files load with both)."""

    def timestamp_as_text(loader, node):
        return loader.construct_scalar(node)

    def core_int(loader, node):
        """YAML 1.2 integers: decimal (a leading zero is still decimal), 0o octal, 0x hex."""
        text = loader.construct_scalar(node)
        if text[:2] in ("0o", "0x"):
            return int(text[2:], 8 if text[1] == "o" else 16)
        return int(text)

    resolved: dict = {}
    scalar, base = yaml.ScalarNode, yaml.resolver.BaseResolver
    defaults = {scalar: base.DEFAULT_SCALAR_TAG, yaml.SequenceNode: base.DEFAULT_SEQUENCE_TAG,
                yaml.MappingNode: base.DEFAULT_MAPPING_TAG}
    for loader in (FastLoader, PureLoader):
        loader.yaml_implicit_resolvers = _core_schema(yaml.resolver.Resolver.yaml_implicit_resolvers)
        loader.add_constructor("tag:yaml.org,2002:timestamp", timestamp_as_text)
        loader.add_constructor("tag:yaml.org,2002:int", core_int)
    return SimpleNamespace(yaml=yaml, FastLoader=FastLoader, PureLoader=PureLoader, fast_name=fast_name,
                           Duplicate=Duplicate, resolver=yaml.resolver.Resolver(),
                           construct=_constructor(yaml, refuse_duplicate_keys))


# YAML 1.2's core schema, the dialect of ruamel.yaml, yq 4 and the YAML libraries of Go and
# JavaScript: only true/false are booleans (`no`, `on` are text), no sexagesimal numbers (`18:00`
# is text), no underscores in numbers, a leading zero is no octal.
_CORE = {
    "tag:yaml.org,2002:bool": (r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    "tag:yaml.org,2002:null": (r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    "tag:yaml.org,2002:int": (r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    "tag:yaml.org,2002:float": (r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                                r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+.0123456789"),
}
_KEPT_FROM_1_1 = ("tag:yaml.org,2002:timestamp",   # read as its text either way (timestamp_as_text)
                  "tag:yaml.org,2002:merge")       # `<<` in an anchored policy, as ruamel reads it


def _core_schema(yaml_1_1: dict) -> dict:
    """Implicit resolvers (first character → [(tag, regexp)]) of the core schema, plus the two
    of PyYAML's YAML 1.1 set kept (_KEPT_FROM_1_1); ints are tried before floats."""
    table: dict = {}
    for tag, (pattern, first) in _CORE.items():
        for char in first:
            table.setdefault(char, []).append((tag, re.compile(pattern)))
    for char, pairs in yaml_1_1.items():
        for tag, regexp in pairs:
            if tag in _KEPT_FROM_1_1:
                table.setdefault(char, []).append((tag, regexp))
    return table


def _constructor(yaml, refuse_duplicate_keys):
    """What FastLoader's constructor builds from a node tree without anchors, for the shapes
    records are made of — strings, timestamps (as text), null, booleans, plain mappings and
    lists — built directly (PyYAML's constructor spends half of a record's parse on per-node
    bookkeeping); integers and anything else (floats, merge keys, explicit tags, a key that is
    no scalar) go to PyYAML's own constructor, node by node. A document it refuses is read
    again by PyYAML's constructor, whose first complaint is the one reported (it builds in
    another order)."""
    scalar, mapping, sequence = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
    text_tags = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"}
    number_tags = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
    null, boolean, map_tag, seq_tag = ("tag:yaml.org,2002:" + t for t in ("null", "bool", "map", "seq"))
    special_keys = {"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"}

    def construct(loader, node, numbers: frozenset | None, numeric: bool):
        """`numeric`: whether a plain number here is a number (numbers is None, or a key on the
        way is one of `numbers`); otherwise it is its text as written."""
        kind, tag = node.__class__, node.tag
        if kind is scalar:
            if tag in text_tags:
                return node.value
            if tag == null:
                return None
            if tag == boolean:
                return loader.bool_values[node.value.lower()]
            if not numeric and tag in number_tags and not node.style:      # plain: None (or "" from libyaml)
                return node.value
        elif kind is mapping and tag == map_tag:
            built, texts = {}, True
            for key, value in node.value:
                if key.__class__ is not scalar or key.tag in special_keys:
                    return loader.construct_object(node, deep=True)
                if key.tag in text_tags:
                    if value.__class__ is scalar and value.tag in text_tags:      # the usual: text under text
                        built[key.value] = value.value
                    else:
                        built[key.value] = construct(loader, value, numbers, numeric or key.value in numbers)
                else:             # a key that is no text stays what it is (validate names it)
                    texts = False
                    built[construct(loader, key, numbers, True)] = construct(loader, value, numbers, numeric)
            # keys that are all text are told apart by their text: one said twice shows in the count
            if not texts or len(built) != len(node.value):
                refuse_duplicate_keys(node)
            return built
        elif kind is sequence and tag == seq_tag:
            return [item.value if item.__class__ is scalar and item.tag in text_tags else
                    construct(loader, item, numbers, numeric) for item in node.value]
        return loader.construct_object(node, deep=True)

    def construct_document(loader, node, numbers: frozenset | None):
        return construct(loader, node, numbers or frozenset(), numbers is None)

    return construct_document


def _load_plain(data: bytes, loader, numbers: frozenset | None):
    """One document without anchors or aliases, through the direct constructor (_constructor)."""
    py = _pyyaml()
    reader = loader(data)
    try:
        node = reader.get_single_node()
        return None if node is None else py.construct(reader, node, numbers)
    except (py.yaml.YAMLError, ValueError, KeyError, TypeError):
        pass                              # the reference reading says what is wrong, and where
    finally:
        reader.dispose()
    return py.yaml.load(data, Loader=loader)  # noqa: S506 - FastLoader is a SafeLoader


def __getattr__(name: str):
    """FastLoader and PureLoader, built on first use."""
    if name in ("FastLoader", "PureLoader"):
        return getattr(_pyyaml(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class YamlError(BadInput):
    def __init__(self, message: str, line: int | None, code: str = "YAML", hint: str | None = None):
        super().__init__(message, hint or _("fix the YAML syntax at that line"))
        self.line = line
        self.code = code


def load(text: str | bytes, loader=None, *, limit: int = RECORD_BYTES, aliases: bool = False,
         size: int | None = None, numbers: frozenset | None = RECORD_NUMBERS):
    """Parse one document (YAML 1.2, core schema); raises YamlError carrying the 1-based line and
    a problem code. Before the parser sees it, a file is held to the limits — size, UTF-8,
    nesting, and (for records and people) no anchors or aliases — so no input can crash or
    exhaust the parser. `numbers`: the keys under which a plain number is a number
    (RECORD_NUMBERS); None for everywhere (the policy)."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if len(data) > limit:
        raise YamlError(_("the file is {size} KB; the limit is {limit} KB", size=max(size or 0, len(data)) // 1024,
                          limit=limit // 1024), None,
                        "TOO_LARGE",
                        _("split it, or remove what does not belong in it"))
    _check_encoding(data)
    py = _pyyaml()
    yaml, loader = py.yaml, loader or py.FastLoader
    if _suspicious(data):
        _check_tokens(data, aliases)
    try:
        if aliases:
            return _load_bounded(data, loader, numbers)
        return _load_plain(data, loader, numbers)     # no anchors (_check_tokens refused them)
    except py.Duplicate as exc:
        raise YamlError(_("duplicate key: {problem}", problem=exc.problem), exc.problem_mark.line + 1, "DUPLICATE_KEY",
                        _("keep one of them")) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlError(_("YAML error: {problem}", problem=exc.problem or exc.context), line) from None
    except yaml.YAMLError as exc:
        raise YamlError(_("YAML error: {problem}", problem=exc), None) from None
    except (UnicodeDecodeError, ValueError, RecursionError, KeyError, TypeError) as exc:
        # e.g. a mapping used as a key, or a merge key (<<) onto something that is no mapping
        raise YamlError(_("cannot read file: {problem}", problem=f"{type(exc).__name__} {exc}"[:200]), None) from None


class ParseCache:
    """The small files every command parses — the policy, its shipped defaults, the people, the
    duty roster — parsed once per content, kept in a file (Store.keep_parses_in) by the SHA-1
    of their bytes, the limits they were read under and how this csops and this PyYAML read
    (loader_stamp). Only a file that parsed is kept (an error is found again each time, with its
    line); each answer is a fresh copy (a caller may change what it gets). A damaged or foreign
    cache file is ignored and rewritten. Without a file, each text is parsed once per process."""

    BUDGET = 4 * 1024 * 1024         # bytes kept: what this command used, then the most recent others

    def __init__(self, path: Path | None = None):
        self.path = path
        self._table: dict | None = None
        self._used: dict[str, bytes] = {}
        self._fresh = False

    def load(self, text: str | bytes, *, limit: int = RECORD_BYTES, aliases: bool = False, size: int | None = None,
             numbers: frozenset | None = RECORD_NUMBERS):
        """What `load(text, limit=…, aliases=…, size=…, numbers=…)` gives, from the cache when
        these bytes parsed before under the same limits."""
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        mode = "everywhere" if numbers is None else ",".join(sorted(numbers))
        key = hashlib.sha1(b"%d %d %s %s\0" % (limit, aliases, mode.encode(), loader_stamp().encode())
                           + data).hexdigest()
        kept = self._used.get(key) or self._saved().get(key)
        if kept is not None:
            try:
                value = marshal.loads(kept)
                self._used[key] = kept
                return value
            except (EOFError, ValueError, TypeError, MemoryError):
                pass
        value = load(data, limit=limit, aliases=aliases, size=size, numbers=numbers)
        try:
            self._used[key] = marshal.dumps(value)
            self._fresh = True
        except ValueError:              # not marshal-able: not kept
            return value
        if self.path is None:           # only in memory: the budget holds here
            self._used = self._within_budget(self._used.items())
        return value

    def _saved(self) -> dict:
        if self._table is None:
            self._table = {}
            if self.path is not None:
                try:
                    with open(self.path, "rb") as handle:
                        table = marshal.loads(handle.read(self.BUDGET * 2))
                    if isinstance(table, dict) and all(type(v) is bytes for v in table.values()):
                        self._table = table
                except (OSError, EOFError, ValueError, TypeError, MemoryError):
                    pass                 # damaged or foreign: parsed again, and rewritten
        return self._table

    def _within_budget(self, items) -> dict:
        """The newest entries (the last ones) that fit the budget together."""
        kept, room = [], self.BUDGET
        for key, blob in reversed(list(items)):
            room -= len(blob) + len(key)
            if room < 0:
                break
            kept.append((key, blob))
        return dict(reversed(kept))

    def save(self) -> None:
        """Best effort, when this command parsed something new: what it used, newest last, after
        the most recent older entries the budget leaves room for."""
        if not self._fresh or self.path is None:
            return
        older = [(k, v) for k, v in self._saved().items() if k not in self._used]
        table = self._within_budget([*older, *self._used.items()])
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(exist_ok=True)
            with open(tmp, "wb") as handle:
                marshal.dump(table, handle)
            os.replace(tmp, self.path)
            self._table, self._fresh = table, False
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                os.unlink(tmp)


@functools.lru_cache(maxsize=1)
def loader_stamp() -> str:
    """How this csops and this PyYAML read a file (a digest of this module's and PyYAML's
    source, and the Python version), found without importing PyYAML: what a parse cache keys
    its entries by, so an upgrade of either reads every file again."""
    import importlib.util
    import sys

    spec = importlib.util.find_spec("yaml")
    digest = hashlib.sha1(sys.version.encode())
    for path in (__file__, spec.origin if spec is not None else None):
        try:
            with open(path, "rb") as handle:
                digest.update(f"{path}\0".encode() + handle.read() + b"\0")
        except (OSError, TypeError):
            digest.update(b"-\0")
    return digest.hexdigest()


def _check_encoding(data: bytes) -> None:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 1 and (data[0] == 0 or data[1] == 0)):
        raise YamlError(_("the file is UTF-16, not UTF-8"), 1, "ENCODING", _("save it as UTF-8 (without BOM is best)"))
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise YamlError(_("byte {byte} is not UTF-8 (latin-1 or GBK?)", byte=f"{data[exc.start]:#04x}"), line, "ENCODING",
                        _("save the file as UTF-8")) from None


# A line that starts with MAX_DEPTH spaces, dashes, question marks or colons may open that many
# levels (block mappings indented one space a level, compact lists "- - - x"). Looked for as a
# newline followed by the run (the regex engine finds a literal first character with a fast scan,
# where `^` in multiline mode is tried at every byte: 4× quicker), and at the file's start.
_INDENT = re.compile(rb"\n[ ?:-]{%d}" % MAX_DEPTH)
_INDENT_FIRST = re.compile(rb"[ ?:-]{%d}" % MAX_DEPTH)


def _suspicious(data: bytes) -> bool:
    """Cheap look (a few µs): could this file nest deeper than allowed or use anchors/aliases?"""
    return (data.count(b"[") + data.count(b"{") > MAX_DEPTH or b"&" in data or b"*" in data
            or _INDENT.search(data) is not None or _INDENT_FIRST.match(data) is not None)


def _too_deep(line: int | None) -> YamlError:
    return YamlError(_("nested more than {depth} levels deep", depth=MAX_DEPTH), line, "TOO_DEEP",
                     _("records are flat: a few levels at most"))


def _check_tokens(data: bytes, aliases: bool) -> None:
    """The scanner is not recursive (libyaml's parser is): measure nesting and find anchors on
    the token stream first."""
    py = _pyyaml()
    yaml = py.yaml
    depth = 0
    opening = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken,
               yaml.FlowSequenceStartToken)
    closing = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
    try:
        for token in yaml.scan(data, Loader=py.FastLoader):
            if isinstance(token, opening):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep(token.start_mark.line + 1)
            elif isinstance(token, closing):
                depth -= 1
            elif not aliases and isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
                raise YamlError(_("YAML anchors and aliases (&name, *name) are not allowed in records and people"),
                                token.start_mark.line + 1, "ALIAS_NOT_ALLOWED", _("write the values out"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        if "maximum nesting depth" in str(exc.problem):    # newer libyaml stops deep input itself
            raise _too_deep(line) from None
        raise YamlError(_("YAML error: {problem}", problem=exc.problem or exc.context), line) from None
    except yaml.YAMLError as exc:          # e.g. a control character (ReaderError)
        position = getattr(exc, "position", None)
        line = data[:position].count(b"\n") + 1 if isinstance(position, int) else None
        raise YamlError(_("YAML error: {problem}", problem=str(exc).splitlines()[0] if str(exc) else exc), line) from None


def _load_bounded(data: bytes, loader, numbers: frozenset | None):
    """Compose, refuse a document whose aliases expand it beyond MAX_EXPANDED nodes (an alias
    bomb), then construct."""
    yaml = _pyyaml().yaml
    reader = loader(data)
    try:
        node = reader.get_single_node()
        if node is None:
            return None
        sizes: dict[int, int] = {}

        def size(n) -> int:
            if id(n) in sizes:
                if sizes[id(n)] is None:           # reached again while inside itself: &a {b: *a}
                    raise YamlError(_("an alias refers to the value it is part of (a cycle)"), n.start_mark.line + 1,
                                    "ALIAS_NOT_ALLOWED", _("write the values out"))
                return sizes[id(n)]
            sizes[id(n)] = None
            children = n.value if isinstance(n, yaml.SequenceNode) else \
                [x for pair in n.value for x in pair] if isinstance(n, yaml.MappingNode) else []
            total = 1 + sum(size(c) for c in children)
            sizes[id(n)] = total
            return total

        if size(node) > MAX_EXPANDED:
            raise YamlError(_("its anchors and aliases expand to more than {limit} values", limit=MAX_EXPANDED),
                            node.start_mark.line + 1,
                            "ALIAS_NOT_ALLOWED", _("write the values out (an alias bomb?)"))
        if numbers is None:
            return reader.construct_document(node)
        return _pyyaml().construct(reader, node, numbers)
    finally:
        reader.dispose()


_UNPARSED = object()


def compose(text: str | bytes):
    """The node tree of a document for line look-ups (line_of), or a marker when it cannot be
    parsed; compose once per file when looking up many keys."""
    py = _pyyaml()
    try:
        return py.yaml.compose(text, Loader=py.FastLoader)
    except (py.yaml.YAMLError, ValueError):
        return _UNPARSED


def line_of(text, key: tuple) -> int | None:
    """The 1-based line where the node at `key` (e.g. ("history", 2, "to")) starts, or the
    nearest enclosing node that exists. `text` is the document, or its compose() tree."""
    node = compose(text) if isinstance(text, (str, bytes)) else text
    yaml = _pyyaml().yaml
    if node is _UNPARSED:
        return None
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for part in key:
        found = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    found = (key_node, value_node)
                    break
            if found is None:
                return line
            key_node, node = found
            line = key_node.start_mark.line + 1
            # a scalar value sits on its key's line; point at the key for nested blocks
            continue
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
            continue
        return line
    return line


# -- round-trip writing --------------------------------------------------------------------------

_RT = None


def _round_trip():
    """A ruamel YAML configured like the hand-written files: block style, 2-space mappings,
    sequences flush with their key, Unicode kept, long lines never folded."""
    global _RT
    if _RT is None:
        from ruamel.yaml import YAML
        from ruamel.yaml.representer import RoundTripRepresenter

        py = _pyyaml()
        yaml, resolver = py.yaml, py.resolver

        class Representer(RoundTripRepresenter):
            pass

        core = type("CoreResolver", (yaml.resolver.Resolver,),
                    {"yaml_implicit_resolvers": py.FastLoader.yaml_implicit_resolvers})()

        def represent_str(self, value):
            # csops reads YAML 1.2; a team's other tools may read 1.1. Quote any string that
            # either would read as something else ("no", "13:00", "0x1F", "1e3", "~").
            tag = resolver.resolve(yaml.ScalarNode, value, (True, False))
            if tag == "tag:yaml.org,2002:timestamp" and _STAMP.fullmatch(value):
                # an instant as csops writes one (seconds and offset): plain, as people write them;
                # any other date-like text (a summary "2026-11-03") is quoted: YAML 1.1 tools would
                # read it as a date
                return self.represent_scalar(tag, value)
            if tag == "tag:yaml.org,2002:str":
                tag = core.resolve(yaml.ScalarNode, value, (True, False))
            if tag == "tag:yaml.org,2002:str" and any(c in value for c in _OTHER_BREAKS):
                # YAML 1.1 readers take NEL, LS and PS for line breaks and fold them in a plain
                # or single-quoted scalar: double quotes write them as escapes (\N \L \P)
                return self.represent_scalar(tag, value, style='"')
            if tag != "tag:yaml.org,2002:str":
                return self.represent_scalar("tag:yaml.org,2002:str", value, style="'")
            return RoundTripRepresenter.represent_str(self, value)

        def represent_datetime(self, value):
            return self.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat(timespec="seconds"))

        def represent_date(self, value):
            return self.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())

        Representer.add_representer(str, represent_str)
        Representer.add_representer(dt.datetime, represent_datetime)
        Representer.add_representer(dt.date, represent_date)
        rt = YAML(typ="rt")
        rt.Representer = Representer
        rt.width = 4096
        rt.allow_unicode = True
        rt.preserve_quotes = True
        rt.indent(mapping=2, sequence=2, offset=0)
        _RT = rt
    return _RT


_OTHER_BREAKS = ("\x85", "\u2028", "\u2029")
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)")


def rt_load(text: str):
    """Load for editing: a CommentedMap that keeps comments, order and quoting."""
    from ruamel.yaml.error import YAMLError as RuamelError

    try:
        return _round_trip().load(text)
    except RuamelError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlError(_("YAML error: {problem}", problem=getattr(exc, "problem", exc)), mark.line + 1 if mark else None) from None
    except (ValueError, OverflowError) as exc:       # a timestamp like 2026-13-45 fails while it is built
        raise YamlError(_("YAML error: {problem}", problem=exc), None) from None


def rt_dump(data) -> str:
    buffer = io.StringIO()
    _round_trip().dump(data, buffer)
    return buffer.getvalue()


def dump_plain(data) -> str:
    """Block-style YAML for a plain structure (no comments to keep), e.g. a new person."""
    return rt_dump(data)


def loaders_in_use() -> dict:
    import ruamel.yaml

    py = _pyyaml()
    try:
        from ruamel.yaml import CParser  # noqa: F401
        ruamel_c = "C extension available (ruamel.yaml.clib)"
    except ImportError:
        ruamel_c = "pure Python"
    return {
        "bulk reads": py.fast_name,
        "round-trip writes": f"ruamel.yaml {ruamel.yaml.__version__} round-trip; {ruamel_c}",
        "PyYAML": py.yaml.__version__,
    }
