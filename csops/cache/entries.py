"""The entries cache on disk (.git/csops-cache/index-<language>.marshal): every record file's
entry, its blob id and what reports count of it, as a few long columns of text in one file,
mapped and split only for the type asked for. A warm `validate` at a million records reads it in
a fraction of a second, which a table of a million rows read back into Python could not; the
parsed records themselves live in the SQLite database (csops.cache.db)."""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from csops.cache.analyse import FIELDS, UNWORKED, encode

CACHE_FORMAT = 17
_TAIL = 8           # a cache file ends with the length of its table (8 bytes), the table before it


@contextlib.contextmanager
def no_gc():
    """Loading a cache makes millions of containers and no cycles: the cyclic collector would
    walk them over and over (it quadruples the load time at 100,000 records)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextlib.contextmanager
def _mapped(handle):
    """The bytes of an open file as a read-only memoryview of a map of it: a cache is read
    without a copy of the file in memory first (at 100,000 records that copy — 19 MB, every page
    faulted in anew — cost as much as building the values)."""
    import mmap

    try:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):            # a file system that cannot map it, an empty file
        handle.seek(0)
        with memoryview(handle.read()) as view:
            yield view
        return
    with mapped, memoryview(mapped) as view:
        yield view


def _part(view, start: int, size: int) -> memoryview:
    """Bytes start..start+size of a mapped file, refused when they lie outside it."""
    if not 0 <= start <= start + size <= len(view):
        raise ValueError("a part outside the file")
    return view[start:start + size]


def _unmarshal(view, start: int, size: int):
    with _part(view, start, size) as part:
        return marshal.loads(part)


def _column_text(view, start: int, size: int) -> str:
    with _part(view, start, size) as part:
        return str(part, "utf-8", "surrogatepass")


def cache_path(git) -> Path | None:
    """One cache per message language: a teammate reading English does not throw away the
    Chinese one (its problems are stored as they are shown)."""
    from csops import i18n

    return (git.git_dir / "csops-cache" / f"index-{i18n.language()}.marshal") if git is not None else None


class Saved(NamedTuple):
    """What the last command left in the cache (see build_index)."""
    fingerprint: str | None
    git_index: str | None
    rels: dict                   # type → [rel] in listing order
    blobs: dict                  # rel → the blob id its entry was computed for
    results: dict                # rel → entry (encoded text or packed tuple)
    unknown: frozenset           # rels Git did not know as clean then (changed or untracked)
    folders: dict                # folder listings (Store.rel_files)
    rich: tuple = ()             # rels whose entry is not plain (problems, duties): the few reports read
    token: str = ""              # names this state (answers derived from it are kept under it)
    facts: Mapping = {}          # rel → what reports count of the record (Workflow.facts), if anything
    unworked: Mapping = {}       # type → how many of its files' facts were left UNWORKED (by a validate)


NOTHING = Saved(None, None, {}, {}, {}, frozenset(), {})


def split_lines(text: str) -> list[str]:
    return text.split("\n") if text else []


def line_count(text: str | None) -> int:
    """len(split_lines(text)), without splitting it."""
    return text.count("\n") + 1 if text else 0


class Rels(Mapping):
    """type → [rel], each list split from the cache's text only when asked for."""

    def __init__(self, texts: dict[str, str]):
        self._texts, self._lists, self._sizes = texts, {}, {}

    def __getitem__(self, rtype):
        if rtype not in self._lists:
            self._lists[rtype] = split_lines(self._texts[rtype])
        return self._lists[rtype]

    def __iter__(self):
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def count(self) -> int:
        return sum(self.size(rtype) for rtype in self._texts)

    def size(self, rtype: str) -> int:
        """How many rels a type has (its list is not split for it; counted once: a warm read asks
        it of every type several times, a count over 100,000 paths each)."""
        size = self._sizes.get(rtype)
        if size is None:
            size = self._sizes[rtype] = line_count(self._texts.get(rtype))
        return size

    def start(self, rtype: str) -> int:
        """How many rels the types before it have: where its values begin in a column kept for
        every type (no list is split for it)."""
        before = 0
        for other in self._texts:
            if other == rtype:
                break
            before += self.size(other)
        return before

    def every(self) -> list[str]:
        """All rels in listing order (the cache's values and blobs are kept in this order)."""
        if "*" not in self._lists:
            self._lists["*"] = [rel for rtype in self._texts for rel in self[rtype]]
        return self._lists["*"]


class Table(Mapping):
    """rel → value, from the two parallel lists the cache keeps, made into a dict only when a
    value is looked up (a warm `validate` or `report overdue` at a million records never needs
    it); the few `rich` values are served without it."""

    def __init__(self, rels: Rels, values: str, rich: dict | None = None):
        self._rels, self._values, self._rich = rels, values, rich or {}
        self._dict = self._list = None

    def _all(self) -> dict:
        if self._dict is None:
            with no_gc():
                self._dict = dict(zip(self._rels.every(), split_lines(self._values)))
                self._dict.update(self._rich)
        return self._dict

    def column(self, rtype: str) -> list:
        """The values of one type's rels, in their order (lines of one width — blob ids — are cut
        out for that type alone; others are split once for all)."""
        start = self._rels.start(rtype)
        rels = self._rels.get(rtype, [])
        width = self._width()
        if self._list is None and width:
            values = self._values[start * (width + 1):(start + len(rels)) * (width + 1) - 1].split("\n") if rels else []
        else:
            if self._list is None:
                self._list = split_lines(self._values)
            values = self._list[start:start + len(rels)]
        if self._rich:
            rich = self._rich
            values = [rich.get(rel, value) for rel, value in zip(rels, values)]
        return values

    def _width(self) -> int | None:
        """The width of every line, when all have one (each a blob id)."""
        text = self._values
        width = text.find("\n")
        count = self._rels.count()
        return width if width > 0 and len(text) == count * (width + 1) - 1 else None

    def get(self, rel, default=None):
        value = self._rich.get(rel)
        return value if value is not None else self._all().get(rel, default)

    def __getitem__(self, rel):
        value = self._rich.get(rel)
        return value if value is not None else self._all()[rel]

    def __contains__(self, rel) -> bool:
        return rel in self._rich or rel in self._all()

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return self._rels.count()

    def __bool__(self) -> bool:
        return self._rels.count() > 0


class ByType(Mapping):
    """rel → value of a column the cache keeps per type (`texts`: type → its values in the
    order of its rels; a type without any is left out), split only for the type asked for."""

    def __init__(self, rels: Rels, texts: dict[str, str]):
        self._rels, self._texts, self._dict = rels, texts, None

    def column(self, rtype: str) -> list:
        return split_lines(self._texts[rtype]) if rtype in self._texts else []

    def _all(self) -> dict:
        if self._dict is None:
            self._dict = {rel: value for rtype in self._texts
                          for rel, value in zip(self._rels[rtype], self.column(rtype)) if value}
        return self._dict

    def __getitem__(self, rel):
        return self._all()[rel]

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def as_dict(mapping) -> dict:
    """A mapping as a plain dict (a cached Table's, built once), for loops over many keys."""
    return mapping._all() if isinstance(mapping, (Table, ByType)) else mapping


def column_of(mapping, rtype: str, listed: list[str]) -> list:
    """A per-file mapping's values for one type's files (`listed`), in listing order: a cached
    column is split for that type only."""
    return mapping.column(rtype) if isinstance(mapping, (Table, ByType)) else [mapping.get(rel) for rel in listed]


def load(path: Path | None) -> Saved:
    if path is None:
        return NOTHING
    try:
        with open(path, "rb") as handle, _mapped(handle) as view, no_gc():
            end = len(view) - _TAIL
            with view[max(end, 0):] as tail:
                size = int.from_bytes(tail, "little") if end >= 0 else -1
            head = _unmarshal(view, end - size, size)
            if not isinstance(head, dict) or head.get("format") != CACHE_FORMAT:
                return NOTHING
            columns = head["columns"]
            rels = Rels({rtype: _column_text(view, *at) for rtype, at in columns["rels"].items()})
            values, blobs = _column_text(view, *columns["values"]), _column_text(view, *columns["blobs"])
            facts = {rtype: _column_text(view, *at) for rtype, at in columns["facts"].items()}
        count = rels.count()
        if not all(text.count("\n") + (1 if count else 0) == count for text in (values, blobs)) or any(
                v.count("\t") != FIELDS - 1 for v in values.split("\n", 3)[:3] if v) or any(
                rtype not in rels or text.count("\n") + 1 != len(rels[rtype]) for rtype, text in facts.items()):
            return NOTHING
        return Saved(head["fingerprint"], head["git_index"], rels, Table(rels, blobs),
                      Table(rels, values, head["rich"]), frozenset(head["unknown"]), head["folders"],
                      tuple(head["rich"]), head["token"], ByType(rels, facts), head["unworked"])
    except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError, MemoryError, BufferError):
        return NOTHING          # missing or corrupt: rebuilt, never trusted


def save(path: Path | None, saved: Saved) -> bool:
    """Only files with a blob id are kept (a file that could not be read is tried again). The
    long columns (paths, values, blobs, facts: lines of text) are written as they are joined, a
    few thousand lines at a time, and the rest after them — at a million records, joining and
    marshalling them all in memory at once had the cache's writing take as much again as the
    index itself."""
    if path is None:
        return False
    rels, values, blobs, rich, facts, unworked = {}, [], [], {}, {}, {}
    dropped = False
    for rtype, listed in saved.rels.items():
        kept = rels[rtype] = []
        kept_facts = facts[rtype] = []
        for rel in listed:
            blob = saved.blobs.get(rel)
            if not blob:
                dropped = True
                continue
            value = saved.results[rel]
            text = encode(value)
            if text is None:
                rich[rel] = value
                text = ""
            kept.append(rel)
            values.append(text)
            blobs.append(blob)
            kept_facts.append(saved.facts.get(rel) or "")
        unworked[rtype] = kept_facts.count(UNWORKED)
    try:
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            def column(lines: list[str]) -> tuple[int, int]:
                start = handle.tell()
                for at in range(0, len(lines), 8192):
                    handle.write((b"\n" if at else b"") +
                                 "\n".join(lines[at:at + 8192]).encode("utf-8", "surrogatepass"))
                return start, handle.tell() - start

            columns = {"rels": {rtype: column(listed) for rtype, listed in rels.items()},
                       "values": column(values), "blobs": column(blobs),
                       "facts": {rtype: column(texts) for rtype, texts in facts.items() if any(texts)}}
            head = marshal.dumps({"format": CACHE_FORMAT, "fingerprint": saved.fingerprint,
                                  "git_index": saved.git_index, "columns": columns, "rich": rich,
                                  "unknown": sorted(saved.unknown), "token": saved.token,
                                  "unworked": {rtype: n for rtype, n in unworked.items() if n},
                                  # a file left out is still in its folder: list the folders again next time
                                  "folders": {} if dropped else saved.folders})
            handle.write(head)
            handle.write(len(head).to_bytes(_TAIL, "little"))
        os.replace(tmp, path)
        return True
    except OSError:
        return False       # a cache that cannot be written only costs speed


