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
from bisect import bisect_left
from collections.abc import Mapping, MutableMapping
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


def type_of_rel(rels: Mapping, rel: str) -> str | None:
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


_MISSING = object()


def _place(listed: list[str], rel: str) -> tuple[int, bool]:
    """Where `rel` is, or would go, in a sorted listing (Store.rel_files sorts), and whether it is there."""
    at = bisect_left(listed, rel)
    return at, at < len(listed) and listed[at] == rel


class _ByGet:
    """[rel] and `in` answered by the mapping's own get (no table built to answer them)."""

    def __getitem__(self, rel):
        value = self.get(rel, _MISSING)
        if value is _MISSING:
            raise KeyError(rel)
        return value

    def __contains__(self, rel) -> bool:
        return self.get(rel, _MISSING) is not _MISSING


class Table(_ByGet, Mapping):
    """rel → value of one of the cache's columns (`name`: values, blobs or facts), kept per type:
    a type's column is split only when a value of that type is asked for, and made a dict only
    when one is looked up by its path. `rich`: the few values kept whole in the table (entries
    with problems or duties), served without the column. `blank`: an empty line is no value (facts)."""

    def __init__(self, rels: Rels, name: str, rich: dict | None = None, blank: bool = False):
        self._rels, self._name, self._rich, self._blank = rels, name, rich or {}, blank
        self._columns: dict = {}
        self._dicts: dict = {}
        self._looked = 0                 # files looked up one by one before a table is made
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
            if self._rich:                            # each found by bisection: a listing is sorted
                listed = self._rels[rtype]
                for rel, value in self._rich.items():
                    at, there = _place(listed, rel)
                    if there:
                        values[at] = value
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
        rtype = type_of_rel(self._rels, rel)
        if rtype is None:
            return default
        if rtype not in self._dicts:
            self._looked += 1
            if self._looked <= 64:         # a few files looked up (after a write): found in the column, no table made
                at, there = _place(self._rels[rtype], rel)
                if there:
                    value = self.column(rtype)[at]
                    return value if value or not self._blank else default
                return default
        return self._of_type(rtype).get(rel, default)

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all()) if self._blank else self._rels.count()

    def __bool__(self) -> bool:
        return len(self) > 0



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


class Patched(_ByGet, MutableMapping):
    """A cached Table with the few files a command found changed, added or gone set over it (after
    a write: the written files): every other file is looked up in the Table as it is, and a type's
    column is made again — once, from the cached one — only for the types these files are of."""

    def __init__(self, base: Table, rels: Mapping, changed: set[str], gone: set[str]):
        self._base, self._rels = base, rels      # rels: each type's files now
        self._set: dict = {}
        self._gone = set(gone)                   # files no longer there (their types among `changed`)
        self._changed = set(changed)             # types whose listing or values differ from the base's
        self._columns: dict = {}

    def __setitem__(self, rel, value) -> None:
        self._set[rel] = value
        self._gone.discard(rel)
        self._touch(rel)

    def __delitem__(self, rel) -> None:
        if rel not in self:
            raise KeyError(rel)
        self._set.pop(rel, None)
        self._gone.add(rel)
        self._touch(rel)

    def _touch(self, rel) -> None:
        rtype = type_of_rel(self._rels, rel)
        self._changed.add(rtype)
        self._columns.pop(rtype, None)

    def get(self, rel, default=None):
        value = self._set.get(rel, _MISSING)
        if value is not _MISSING:
            return value
        return default if rel in self._gone else self._base.get(rel, default)

    def column(self, rtype: str) -> list:
        if rtype not in self._changed:
            return self._base.column(rtype)
        values = self._columns.get(rtype)
        if values is None:
            old = self._base._rels[rtype] if rtype in self._base._rels else []
            found = dict(zip(old, self._base.column(rtype)))
            found.update(self._set)
            blank = "" if self._base._blank else None
            values = self._columns[rtype] = [None if rel in self._gone else found.get(rel, blank)
                                             for rel in self._rels[rtype]]
        return values

    def touched(self, rtype: str) -> set[str]:
        """The files of a type set or dropped over the cached table."""
        return {rel for rel in (*self._set, *self._gone) if type_of_rel(self._rels, rel) == rtype}

    def _all(self) -> dict:
        found = {**self._base._all(), **self._set}
        for rel in self._gone:
            found.pop(rel, None)
        return found

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def as_dict(mapping) -> dict:
    """A mapping as a plain dict (a cached Table's, built once), for loops over many keys."""
    return mapping._all() if isinstance(mapping, (Table, Patched)) else mapping


def column_of(mapping, rtype: str, listed: list[str]) -> list:
    """A per-file mapping's values for one type's files (`listed`), in listing order: a cached
    column is split for that type only."""
    return mapping.column(rtype) if isinstance(mapping, (Table, Patched)) else [mapping.get(rel) for rel in listed]


def _spliced(old: _Mapped, rtype: str, listed: list[str], saved: Saved) -> tuple[tuple, list] | None:
    """A changed type's four columns (paths, entries, blobs, facts) and its rich entries, made from
    the cached ones by putting in, replacing and taking out the few files set or dropped over them
    (listings are sorted: each found by bisection) — no loop over the type's other files. None when
    that cannot be done (the tables are not Patched, too many files changed, one has no blob)."""
    tables = (saved.results, saved.blobs, saved.facts)
    if rtype not in old.counts or not all(isinstance(table, Patched) for table in tables):
        return None
    touched = set().union(*(table.touched(rtype) for table in tables))
    if len(touched) > 256:
        return None
    count = old.counts[rtype]
    rels = list(saved.results._base._rels[rtype])
    values, blobs = (old.text(rtype, name).split("\n") if count else [] for name in ("values", "blobs"))
    facts = old.text(rtype, "facts").split("\n") if count and "facts" in old.head["columns"][rtype] else [""] * count
    rich = {rel: value for rel, value in old.head["rich"].items() if rel not in touched}
    for rel in sorted(touched):
        at, there = _place(rels, rel)
        blob = saved.blobs.get(rel)
        if blob is None:
            if there:
                del rels[at], values[at], blobs[at], facts[at]
            continue
        value = saved.results.get(rel)
        if value is None:
            return None
        text = encode(value)
        if text is None:
            rich[rel] = value
        row = (rel, text or "", blob, saved.facts.get(rel) or "")
        if there:
            rels[at], values[at], blobs[at], facts[at] = row
        else:
            for column, item in zip((rels, values, blobs, facts), row):
                column.insert(at, item)
    if rels != listed:
        return None                  # (a file without a blob left out: the loop drops it and says so)
    return (rels, values, blobs, facts), sorted((rel, value) for rel, value in rich.items()
                                                 if type_of_rel(saved.rels, rel) == rtype)


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


def save(path: Path | None, saved: Saved, source: Rels | None = None, kept: frozenset = frozenset()) -> bool:
    """Only files with a blob id are kept (a file that could not be read is tried again). Each
    type's long columns (paths, values, blobs, facts: lines of text) are written as they are
    joined, a few thousand lines at a time, and the table after them — at a million records,
    joining and marshalling them all in memory at once had the cache's writing take as much
    again as the index itself. The `kept` types' columns are copied as they are from the cache
    file `source` was loaded from (their files and entries the same: after a write, all but one)."""
    if path is None:
        return False
    lists: dict[str, tuple[list, list, list, list]] = {}
    rich, unworked = {}, {}
    old = source._mapped if source is not None else None
    old_rich: dict[str, list] = {}       # the kept types' rich entries, in listing order as they were saved
    if old is not None:
        for rel, value in old.head["rich"].items():
            old_rich.setdefault(type_of_rel(saved.rels, rel), []).append((rel, value))
        unworked.update((rtype, count) for rtype, count in old.head["unworked"].items() if rtype in kept)
    dropped = False
    for rtype in saved.rels:
        if old is not None and rtype in kept:
            rich.update(old_rich.get(rtype, ()))
            continue
        listed = saved.rels[rtype]
        spliced = _spliced(old, rtype, listed, saved) if old is not None else None
        if spliced is not None:
            lists[rtype], more_rich = spliced
            rich.update(more_rich)
            unworked[rtype] = lists[rtype][3].count(UNWORKED)
            continue
        rels, values, blobs, facts = lists[rtype] = ([], [], [], [])
        for rel, blob, value, fact in zip(listed, column_of(saved.blobs, rtype, listed),
                                          column_of(saved.results, rtype, listed), column_of(saved.facts, rtype, listed)):
            if not blob:
                dropped = True
                continue
            text = encode(value)
            if text is None:
                rich[rel] = value
                text = ""
            rels.append(rel)
            values.append(text)
            blobs.append(blob)
            facts.append(fact or "")
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

            def copied(start: int, size: int) -> tuple[int, int]:
                at = handle.tell()
                handle.write(_part(old._view, start, size))
                return at, size

            columns, counts = {}, {}
            for rtype in saved.rels:
                if rtype not in lists:
                    columns[rtype] = {name: copied(*at) for name, at in old.head["columns"][rtype].items()}
                    counts[rtype] = old.counts[rtype]
                    continue
                rels, values, blobs, facts = lists[rtype]
                columns[rtype] = {"rels": column(rels), "values": column(values), "blobs": column(blobs)}
                counts[rtype] = len(rels)
                if any(facts):
                    columns[rtype]["facts"] = column(facts)
            start = handle.tell()
            handle.write(marshal.dumps({rel: known[1] for rel, known in folders.items()}))
            head = marshal.dumps({"format": CACHE_FORMAT, "fingerprint": saved.fingerprint,
                                  "git_index": saved.git_index, "columns": columns, "rich": rich,
                                  "counts": counts,
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
