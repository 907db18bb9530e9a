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
from csops.errors import Conflict

CACHE_FORMAT = 18
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


class DamagedCache(Conflict):
    """A column of the cache file that does not agree with its table (the file was damaged after
    it was written whole): the file is removed, and the command stops rather than answer from it."""


def split_lines(text: str) -> list[str]:
    return text.split("\n") if text else []


def line_count(text: str | None) -> int:
    """len(split_lines(text)), without splitting it."""
    return text.count("\n") + 1 if text else 0


class _Mapped:
    """A cache file as it was loaded, kept mapped: each type's columns (its paths, entries, blob ids,
    facts) decoded only when a command first reads them — a warm `ticket list` decodes the tickets'
    paths and blob ids, not the other types' nor any entry it does not look at (at 100,000 records
    decoding and checking the whole file cost 35 ms of a 0.25 s read). Each column is checked
    against the table's count of the type's files as it is decoded."""

    def __init__(self, path: Path, mapped, view, head: dict):
        self.path, self._mapped, self._view, self.head = path, mapped, view, head
        self.counts: dict[str, int] = head["counts"]
        self._texts: dict = {}
        if os.name == "nt":
            _OPEN.add(self)

    def detach(self) -> None:
        """Decode every column and close the map (Windows: before the file is replaced)."""
        for rtype, columns in self.head["columns"].items():
            for name in columns:
                self.text(rtype, name)
        self.listings()
        self._view.release()
        self._mapped.close()
        _OPEN.discard(self)

    def text(self, rtype: str, name: str) -> str:
        key = (rtype, name)
        text = self._texts.get(key)
        if text is None:
            at = self.head["columns"][rtype].get(name)
            try:
                text = _column_text(self._view, *at) if at is not None else ""
            except ValueError:                  # bytes that are not UTF-8 any more
                self.damaged()
            count = self.counts[rtype]          # (one empty line is one value: a rich entry, no facts)
            if at is not None and (text.count("\n") + 1 != count if count else text != "") or \
                    name == "values" and not _plain_lines(text):
                self.damaged()
            self._texts[key] = text
        return text

    def listings(self) -> dict:
        """folder → its record files, as Store.rel_files listed them (read only when a folder changed)."""
        if "listings" not in self._texts:
            try:
                listings = _unmarshal(self._view, *self.head["listings"])
            except (EOFError, ValueError, TypeError):
                listings = None
            if not isinstance(listings, dict) or listings.keys() != self.head["folders"].keys():
                self.damaged()
            self._texts["listings"] = listings
        return self._texts["listings"]

    def damaged(self):
        with contextlib.suppress(OSError):
            self.path.unlink()
        from csops.i18n import _

        raise DamagedCache(_("the record cache {path} was damaged; it has been removed",
                             path=self.path), _("run the command again: it rebuilds the cache"))


_OPEN: set = set()     # Windows: the caches mapped now (save detaches them before replacing the file)


def _plain_lines(values: str) -> bool:
    """The first few entries of a column are entries (a column damaged in place rarely keeps them so)."""
    start = 0
    for _ in range(3):
        end = values.find("\n", start)
        line = values[start:end if end >= 0 else len(values)]
        if line and line.count("\t") != FIELDS - 1:
            return False
        if end < 0:
            break
        start = end + 1
    return True


def _type_of(rels: Mapping, rel: str) -> str | None:
    """The record type whose folder holds `rel` (rel_files lists each type's folder)."""
    from csops.vocab import TYPES

    for rtype in rels:
        if rel.startswith(TYPES[rtype].folder + "/"):
            return rtype
    return None


class Rels(Mapping):
    """type → [rel], each list split from the cache's text only when asked for."""

    def __init__(self, mapped: _Mapped):
        self._mapped, self._lists = mapped, {}

    def __getitem__(self, rtype):
        if rtype not in self._lists:
            if rtype not in self._mapped.counts:
                raise KeyError(rtype)
            self._lists[rtype] = split_lines(self._mapped.text(rtype, "rels"))
        return self._lists[rtype]

    def __iter__(self):
        return iter(self._mapped.counts)

    def __len__(self) -> int:
        return len(self._mapped.counts)

    def count(self) -> int:
        return sum(self._mapped.counts.values())

    def size(self, rtype: str) -> int:
        """How many rels a type has (its list is not split for it)."""
        return self._mapped.counts.get(rtype, 0)

    def every(self) -> list[str]:
        """All rels in listing order."""
        return [rel for rtype in self for rel in self[rtype]]


class Table(Mapping):
    """rel → value of one of the cache's columns (`name`: values, blobs or facts), kept per type:
    a type's column is split only when a value of that type is asked for, and made a dict only
    when one is looked up by its path. `rich`: the few values kept whole in the table (entries
    with problems or duties), served without the column. `blank`: an empty line is no value (facts)."""

    def __init__(self, rels: Rels, name: str, rich: dict | None = None, blank: bool = False):
        self._rels, self._name, self._rich, self._blank = rels, name, rich or {}, blank
        self._columns: dict = {}
        self._dicts: dict = {}
        self._dict = None

    def column(self, rtype: str) -> list:
        """The values of one type's rels, in their order."""
        values = self._columns.get(rtype)
        if values is None:
            if rtype not in self._rels._mapped.counts:
                return []
            count = self._rels.size(rtype)            # (a column of one empty line holds one value)
            values = self._rels._mapped.text(rtype, self._name).split("\n") if count else []
            if self._blank and len(values) != count:    # no facts kept for the type: no column
                values = [""] * count
            if self._rich:
                rich = self._rich
                values = [rich.get(rel, value) for rel, value in zip(self._rels[rtype], values)]
            self._columns[rtype] = values
        return values

    def _of_type(self, rtype: str) -> dict:
        found = self._dicts.get(rtype)
        if found is None:
            with no_gc():
                pairs = zip(self._rels[rtype], self.column(rtype))
                found = self._dicts[rtype] = {rel: value for rel, value in pairs if value} if self._blank \
                    else dict(pairs)
        return found

    def _all(self) -> dict:
        if self._dict is None:
            self._dict = {}
            for rtype in self._rels:
                self._dict.update(self._of_type(rtype))
        return self._dict

    def get(self, rel, default=None):
        value = self._rich.get(rel)
        if value is not None:
            return value
        rtype = _type_of(self._rels, rel)
        return default if rtype is None else self._of_type(rtype).get(rel, default)

    def __getitem__(self, rel):
        value = self.get(rel, _MISSING)
        if value is _MISSING:
            raise KeyError(rel)
        return value

    def __contains__(self, rel) -> bool:
        return self.get(rel, _MISSING) is not _MISSING

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all()) if self._blank else self._rels.count()

    def __bool__(self) -> bool:
        return len(self) > 0


_MISSING = object()


class Folders(Mapping):
    """rel → (key, its record files, its sub-folders, its dot files), as Store.rel_files keeps
    them: the keys and sub-folders from the cache's table, the files (every path once more) read
    only when a folder is listed again."""

    def __init__(self, mapped: _Mapped):
        self._mapped, self._light = mapped, mapped.head["folders"]

    def __getitem__(self, rel):
        key, subdirs, hidden = self._light[rel]
        return _Folder(self, rel, key, subdirs, hidden)

    def __iter__(self):
        return iter(self._light)

    def __len__(self) -> int:
        return len(self._light)


class _Folder:
    """(key, files, subdirs, hidden) of one folder, as Store.rel_files indexes it: its files read
    from the cache only when asked for."""

    __slots__ = ("_folders", "_rel", "_known")

    def __init__(self, folders: Folders, rel: str, key, subdirs, hidden):
        self._folders, self._rel, self._known = folders, rel, (key, None, subdirs, hidden)

    def __getitem__(self, index):
        if index == 1:
            return self._folders._mapped.listings()[self._rel]
        return self._known[index]

    def __len__(self) -> int:
        return 4

    def __iter__(self):
        return iter([self[i] for i in range(4)])

    def __eq__(self, other) -> bool:
        return tuple(self) == tuple(other)

    __hash__ = None


def as_dict(mapping) -> dict:
    """A mapping as a plain dict (a cached Table's, built once), for loops over many keys."""
    return mapping._all() if isinstance(mapping, Table) else mapping


def column_of(mapping, rtype: str, listed: list[str]) -> list:
    """A per-file mapping's values for one type's files (`listed`), in listing order: a cached
    column is split for that type only."""
    return mapping.column(rtype) if isinstance(mapping, Table) else [mapping.get(rel) for rel in listed]


def load(path: Path | None) -> Saved:
    """The cache as the last command left it; NOTHING when there is none or it cannot be trusted.
    The file stays mapped: its columns are decoded as they are read (see _Mapped). A file another
    command replaces meanwhile is not disturbed (a new file takes its name; this one stays as read)."""
    if path is None:
        return NOTHING
    import mmap

    try:
        with open(path, "rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        view = memoryview(mapped)
        with no_gc():
            end = len(view) - _TAIL
            if end < 0:
                return NOTHING
            size = int.from_bytes(view[end:], "little")
            head = _unmarshal(view, end - size, size)
        if not isinstance(head, dict) or head.get("format") != CACHE_FORMAT:
            return NOTHING
        for rtype, columns in head["columns"].items():
            for start, length in columns.values():
                _part(view, start, length).release()        # every column inside the file
        if head["counts"].keys() != head["columns"].keys():
            return NOTHING
        _part(view, *head["listings"]).release()
        raw = _Mapped(path, mapped, view, head)
        rels = Rels(raw)
        return Saved(head["fingerprint"], head["git_index"], rels, Table(rels, "blobs"),
                     Table(rels, "values", head["rich"]), frozenset(head["unknown"]), Folders(raw),
                     tuple(head["rich"]), head["token"], Table(rels, "facts", blank=True), head["unworked"])
    except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError, MemoryError, BufferError):
        return NOTHING          # missing or corrupt: rebuilt, never trusted


def save(path: Path | None, saved: Saved) -> bool:
    """Only files with a blob id are kept (a file that could not be read is tried again). Each
    type's long columns (paths, values, blobs, facts: lines of text) are written as they are
    joined, a few thousand lines at a time, and the table after them — at a million records,
    joining and marshalling them all in memory at once had the cache's writing take as much
    again as the index itself."""
    if path is None:
        return False
    kept: dict[str, tuple[list, list, list, list]] = {}
    rich, unworked = {}, {}
    dropped = False
    for rtype, listed in saved.rels.items():
        rels, values, blobs, facts = kept[rtype] = ([], [], [], [])
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
            rels.append(rel)
            values.append(text)
            blobs.append(blob)
            facts.append(saved.facts.get(rel) or "")
        unworked[rtype] = facts.count(UNWORKED)
    folders = {} if dropped else saved.folders    # a file left out is still in its folder: listed again next time
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

            columns = {}
            for rtype, (rels, values, blobs, facts) in kept.items():
                columns[rtype] = {"rels": column(rels), "values": column(values), "blobs": column(blobs)}
                if any(facts):
                    columns[rtype]["facts"] = column(facts)
            start = handle.tell()
            handle.write(marshal.dumps({rel: known[1] for rel, known in folders.items()}))
            head = marshal.dumps({"format": CACHE_FORMAT, "fingerprint": saved.fingerprint,
                                  "git_index": saved.git_index, "columns": columns, "rich": rich,
                                  "counts": {rtype: len(columns[0]) for rtype, columns in kept.items()},
                                  "unknown": sorted(saved.unknown), "token": saved.token,
                                  "unworked": {rtype: n for rtype, n in unworked.items() if n},
                                  "folders": {rel: (known[0], list(known[2]), list(known[3]))
                                              for rel, known in folders.items()},
                                  "listings": (start, handle.tell() - start)})
            handle.write(head)
            handle.write(len(head).to_bytes(_TAIL, "little"))
        if os.name == "nt":             # a file still mapped cannot be replaced there: read it whole first
            for mapped in list(_OPEN):
                mapped.detach()
        os.replace(tmp, path)
        return True
    except OSError:
        return False       # a cache that cannot be written only costs speed
