"""YAML in one place: fast bulk reads (libyaml through PyYAML's CSafeLoader), round-trip writes
(ruamel.yaml, keeping comments and key order), and mapping a key path back to a line number.

Timestamps and dates are read as their ISO text, never as datetime objects, so that both
loaders agree and nothing is silently converted; `csops.timeutil` parses them where needed.
The bulk loader is the reference reading of a file: whatever the CLI writes is re-read with it
before it lands.
"""

from __future__ import annotations

import datetime as dt
import io

import yaml

from csops.errors import BadInput

try:  # libyaml, when PyYAML was built with it (the manylinux wheels are)
    from yaml import CSafeLoader as _FastBase
    FAST_LOADER = "PyYAML CSafeLoader (libyaml)"
except ImportError:  # pragma: no cover - depends on the installed wheel
    from yaml import SafeLoader as _FastBase
    FAST_LOADER = "PyYAML SafeLoader (pure Python; install PyYAML with libyaml for speed)"


class FastLoader(_FastBase):
    """The bulk loader: safe, C-accelerated, timestamps kept as text."""


class PureLoader(yaml.SafeLoader):
    """The same reading in pure Python (used to prove written files load with both)."""


def _timestamp_as_text(loader, node):
    return loader.construct_scalar(node)


for _loader in (FastLoader, PureLoader):
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


class YamlError(BadInput):
    def __init__(self, message: str, line: int | None):
        super().__init__(message, "fix the YAML syntax at that line")
        self.line = line


def load(text: str | bytes, loader=FastLoader):
    """Parse one document; raises YamlError carrying the 1-based line of the problem."""
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - FastLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlError(f"YAML error: {exc.problem or exc.context}", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML error: {exc}", None) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise YamlError(f"cannot read file: {exc}", None) from None


def line_of(text: str | bytes, key: tuple) -> int | None:
    """The 1-based line where the node at `key` (e.g. ("history", 2, "to")) starts, or the
    nearest enclosing node that exists."""
    try:
        node = yaml.compose(text, Loader=FastLoader)
    except (yaml.YAMLError, ValueError):
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
_PY_RESOLVER = yaml.resolver.Resolver()


def _round_trip():
    """A ruamel YAML configured like the hand-written files: block style, 2-space mappings,
    sequences flush with their key, Unicode kept, long lines never folded."""
    global _RT
    if _RT is None:
        from ruamel.yaml import YAML
        from ruamel.yaml.representer import RoundTripRepresenter

        class Representer(RoundTripRepresenter):
            pass

        def represent_str(self, value):
            # ruamel speaks YAML 1.2; the bulk loader speaks 1.1. Quote any string that 1.1
            # would read as something else ("no", "13:00", "0x1F", "2026-11-23", "~").
            tag = _PY_RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
            if tag == "tag:yaml.org,2002:timestamp" and _is_iso(value):
                # our loaders read timestamps back as their text: write them plain, as people do
                return self.represent_scalar(tag, value)
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


def _is_iso(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value)
        return True
    except ValueError:
        return False


def rt_load(text: str):
    """Load for editing: a CommentedMap that keeps comments, order and quoting."""
    from ruamel.yaml.error import YAMLError as RuamelError

    try:
        return _round_trip().load(text)
    except RuamelError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlError(f"YAML error: {getattr(exc, 'problem', exc)}", mark.line + 1 if mark else None) from None


def rt_dump(data) -> str:
    buffer = io.StringIO()
    _round_trip().dump(data, buffer)
    return buffer.getvalue()


def dump_plain(data) -> str:
    """Block-style YAML for a plain structure (no comments to keep), e.g. a new person."""
    return rt_dump(data)


def loaders_in_use() -> dict:
    import ruamel.yaml

    try:
        from ruamel.yaml import CParser  # noqa: F401
        ruamel_c = "C extension available (ruamel.yaml.clib)"
    except ImportError:
        ruamel_c = "pure Python"
    return {
        "bulk reads": FAST_LOADER,
        "round-trip writes": f"ruamel.yaml {ruamel.yaml.__version__} round-trip; {ruamel_c}",
        "PyYAML": yaml.__version__,
    }
