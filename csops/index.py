"""The record index: what validate and the overdue report need from each record file, computed
once per file content and cached under .git/.

For each record file the index holds its per-record problems (everything validate checks that
depends on that file alone), a small summary for the checks across records (ids, refs, leave
spans), and its obligations (what is owed by when). A file is known by its Git blob id — taken
from the index for files `git status` reports clean, hashed from the bytes for any other — so a
change, committed or not, is always seen. Results also depend on the policy, the roster and
csops itself; a change to any of them starts the cache afresh. Cold, files are parsed and checked
by as many processes as there are cores; a corrupt cache is rebuilt, never trusted.
"""

from __future__ import annotations

import array
import contextlib
import functools
import gc
import hashlib
import marshal
import os
import re
from collections.abc import Mapping
from typing import NamedTuple
from pathlib import Path

from csops import calendar, yamlio
from csops.engine import Context, check_record
from csops.errors import CsopsError
from csops.gitlog import STATUS, blob_id, index_checksum
from csops.i18n import _
from csops.problems import Problem, Problems
from csops.store import ID_PATTERN, Workers, caching, each_in_parallel, read_regular
from csops.workflows import WORKFLOWS
from csops.workflows.customers import who
from csops.workflows.ticket import ISO_DAY

CACHE_FORMAT = 12
SUMMARISED = ("leave", "score")      # the types the checks across records read more than the id of
CHUNK = 400


class Summary(NamedTuple):
    """What the checks across records read of a leave or score event."""
    id: str | None
    status: str | None
    person: str | None
    start: str | None
    end: str | None
    ref: str | None


class Entry(NamedTuple):
    type: str
    rel: str                 # path below the records root
    id: str | None
    problems: tuple          # ((code, message, hint, key, line), …)
    summary: Summary | None  # leave, score: for the checks across records
    duties: tuple            # ((what, due ISO, owner, wall_clock), …)
    usable: bool = True      # well formed: the rules could read it (otherwise its first problem says why)
    facts: str | None = None  # what reports count of it (Workflow.facts), kept in a column of its own


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


# -- one file ----------------------------------------------------------------------------------

_WORKER: dict = {}


def _analyse(rtype: str, rel: str, data: bytes, ctx: Context, workflows) -> Entry:
    out = Problems()
    wf = workflows[rtype]
    try:
        rec = yamlio.load(data)
    except yamlio.YamlError as exc:
        marker = next((i + 1 for i, line in enumerate(data.splitlines()) if line.startswith((b"<<<<<<< ", b">>>>>>> "))),
                      None)
        if marker:
            return Entry(rtype, rel, None, (("CONFLICT_MARKERS", _("the file still has merge conflict markers"),
                                             _("register the merge driver (see NO_MERGE_DRIVER / csops validate) and "
                                               "git checkout -m FILE, or edit the file to one version"), (), marker),),
                         None, (), False)
        return Entry(rtype, rel, None, ((exc.code, exc.message, exc.hint, (), exc.line or 1),), None, (), False)
    if not isinstance(rec, dict):
        return Entry(rtype, rel, None, (("BAD_RECORD", _("a {rtype} file must be a mapping of fields", rtype=rtype),
                                         None, (), 1),), None, (), False)
    record_id = rec.get("id")
    stem = os.path.splitext(os.path.basename(rel))[0]
    if isinstance(record_id, str):
        match = ID_PATTERN.match(record_id)
        if stem != record_id:
            out.add("", "ID_MISMATCH", _("id {record_id} does not match the file name {stem}.yaml",
                                         record_id=record_id, stem=stem),
                    _('rename the file or fix the id'), key=("id",))
        if not match or match["prefix"] != wf.prefix:
            out.add("", "BAD_ID", _("id {record_id} is not a {rtype} id ({prefix}-YYYYMMDD-XXXXXX)",
                                    record_id=record_id, rtype=rtype, prefix=wf.prefix), key=("id",))
    well_formed = check_record(rec, wf, ctx, out, "")
    duties, facts = (), None
    if well_formed:
        with calendar.noting() as noted:
            rows = wf.deadlines(rec, ctx) if wf.deadlines is not None else []
        duties = tuple((d.what, d.due.isoformat(), d.owner, d.wall_clock) for d in wf.duties(rec, ctx, rows)
                       if d.due is not None)
        if wf.facts is not None:
            try:
                facts = wf.facts(rec, ctx, rows, noted)
            except CsopsError:
                facts = None             # a report working it out says why
    record_id = record_id if isinstance(record_id, str) else None
    summary = None
    if rtype in SUMMARISED and well_formed:
        summary = Summary(record_id, rec.get("status"), _text(rec.get("person")), _text(rec.get("start")),
                          _text(rec.get("end")), _text(rec.get("ref")))
    problems = tuple((p.code, p.message, p.hint, p.key, p.line) for p in out)
    return Entry(rtype, rel, record_id, problems, summary, duties, well_formed, facts)


def _text(value):
    return value if isinstance(value, str) else None


def _work(chunk: list[tuple[str, str, str]]) -> list[tuple]:
    """In a worker: read, parse and check a chunk of files → (blob id, Entry fields, facts)
    for each, in order."""
    ctx, workflows, root = _WORKER["ctx"], _WORKER["workflows"], _WORKER["root"]
    out = []
    for rtype, rel, blob in chunk:
        path = os.path.join(root, rel)
        try:
            data = read_regular(path)[0]
        except OSError as exc:
            entry = Entry(rtype, rel, None, (("YAML", _("cannot read file: {reason}", reason=exc.strerror), None,
                                              (), 1),), None, (), False)
            blob = None                      # a failed read is never cached: the next run tries again
        else:
            entry = _analyse(rtype, rel, data, ctx, workflows)
            blob = blob or blob_id(data)
        packed = _pack(entry)
        out.append((blob, _encode(packed) or packed, entry.facts))      # plain entries travel as text
    return out


def _pack(entry: Entry) -> tuple:
    """The cached form: small, marshal-friendly (the rel path is in the key)."""
    return (entry.type, entry.id, entry.problems, tuple(entry.summary) if entry.summary else None, entry.duties,
            entry.usable)


def _unpack(rel: str, packed: tuple) -> Entry:
    return Entry(packed[0], rel, packed[1], packed[2], Summary(*packed[3]) if packed[3] else None, packed[4], packed[5])


# -- the whole repository ----------------------------------------------------------------------

def fingerprint(store, policy_bytes: bytes, swaps: list[str] = ()) -> str:
    """What per-record results depend on besides the file: policy, roster, csops itself (its
    code and message catalogs) and the language its problems are written in."""
    from csops import i18n

    digest = hashlib.sha1(b"csops-index %d %s\n" % (CACHE_FORMAT, i18n.language().encode()))
    digest.update(policy_bytes)
    for path in store.person_files() + store.roster_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for swap in swaps:                              # approved swaps change who is on duty (leave days)
        digest.update(swap.encode() + b"\0")
    package = Path(__file__).resolve().parent
    for path in sorted([*package.rglob("*.py"), *package.rglob("*.po")]):
        stat = path.stat()
        digest.update(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _ask_git(git, root: Path, status=None):
    """Start asking Git what differs from its index in the work tree (it runs while the cache
    is loaded and the folders are listed), unless the command already did (`status`: from
    gitlog.ask_status on this root); None without Git."""
    if git is None:
        return None
    prefix = git.rel(root)
    prefix = "" if prefix == "." else prefix + "/"
    return prefix, status or git.background(*STATUS, "--", prefix or ".")


def _ask_staged(git, prefix: str):
    """Start asking Git for each staged file's blob id (and its tag: -v)."""
    return git.background("ls-files", "-s", "-v", "-z", "--", prefix or ".")


_STAGED = re.compile(r"[A-Za-z?] (?:100644|100755) ([0-9a-f]{40,64}) \d\t([^\0]*)\0")
# a file Git is told not to look at (update-index --assume-unchanged: a lower-case tag;
# --skip-worktree: S): git status never names its edits, so csops always looks at it itself
_FLAGGED = re.compile(r"(?:[a-z]|S) \d+ [0-9a-f]{40,64} \d\t([^\0]*)\0")


def _flagged(prefix: str, listed: str) -> set[str]:
    return {path[len(prefix):] for path in _FLAGGED.findall(listed) if path.startswith(prefix)}


def _staged_blobs(prefix: str, listed: str) -> dict[str, str]:
    """rel path → blob id of every regular file in Git's index under the records root (a
    symlink's blob is the link's text, not the record it leads to: mode 120000 is left out)."""
    if prefix:
        return {path[len(prefix):]: blob for blob, path in _STAGED.findall(listed) if path.startswith(prefix)}
    return {path: blob for blob, path in _STAGED.findall(listed)}


def _changed(dirty: str) -> set[str]:
    """The paths `git status --porcelain -z` names (relative to the work tree's top)."""
    return {item[3:] for item in dirty.split("\0") if len(item) > 3}


def _git_index_id(git) -> str | None:
    """Git's index checksum: the same checksum, the same staged blobs. None when there is none
    to trust (index.skipHash, another GIT_INDEX_FILE, no index)."""
    if git is None or os.environ.get("GIT_INDEX_FILE"):
        return None
    return index_checksum(git.git_dir / "index")


def _content_id(path: Path) -> str:
    """The blob id of a file's bytes; a file that cannot be read (a dangling link, a FIFO, no
    permission) is named by that — the rules report it, the fingerprint must not stop on it."""
    try:
        return blob_id(read_regular(path)[0])
    except OSError as exc:
        return f"unreadable-{exc.errno}"


def _cache_path(git) -> Path | None:
    """One cache per message language: a teammate reading English does not throw away the
    Chinese one (its problems are stored as they are shown)."""
    from csops import i18n

    return (git.git_dir / "csops-cache" / f"index-{i18n.language()}.marshal") if git is not None else None


# On disk, the common entry — no problems, nothing owed — is kept as text: "type, id, summary"
# lines in one string, split and zipped with the paths into a dict in C at load time and decoded
# only when asked for. A hundred thousand tuples would take several times longer to load.
_FIELDS = 7


def _decode(rel: str, value) -> Entry:
    if isinstance(value, tuple):
        return _unpack(rel, value)
    rtype, record_id, *summary = value.split("\t")
    record_id = record_id or None
    return Entry(rtype, rel, record_id, (), Summary(record_id, *(x or None for x in summary))
                 if rtype in SUMMARISED else None, ())


def _encode(value) -> str | None:
    if isinstance(value, str):
        return value
    rtype, record_id, problems, summary, duties, _ignored = value
    if problems or duties or (rtype in SUMMARISED and summary is None):
        return None
    fields = [rtype, record_id or "", *((x or "") for x in (summary or (None,) * 6)[1:])]
    if any("\t" in f or "\n" in f for f in fields):
        return None
    return "\t".join(fields)


class _Saved(NamedTuple):
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


_NOTHING = _Saved(None, None, {}, {}, {}, frozenset(), {})


def _split(text: str) -> list[str]:
    return text.split("\n") if text else []


def _line_count(text: str | None) -> int:
    """len(_split(text)), without splitting it."""
    return text.count("\n") + 1 if text else 0


class _Rels(Mapping):
    """type → [rel], each list split from the cache's text only when asked for."""

    def __init__(self, texts: dict[str, str]):
        self._texts, self._lists = texts, {}

    def __getitem__(self, rtype):
        if rtype not in self._lists:
            self._lists[rtype] = _split(self._texts[rtype])
        return self._lists[rtype]

    def __iter__(self):
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def count(self) -> int:
        return sum(self.size(rtype) for rtype in self._texts)

    def size(self, rtype: str) -> int:
        """How many rels a type has (its list is not split for it)."""
        return _line_count(self._texts.get(rtype))

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


class _Table(Mapping):
    """rel → value, from the two parallel lists the cache keeps, made into a dict only when a
    value is looked up (a warm `validate` or `report overdue` at a million records never needs
    it); the few `rich` values are served without it."""

    def __init__(self, rels: _Rels, values: str, rich: dict | None = None):
        self._rels, self._values, self._rich = rels, values, rich or {}
        self._dict = self._list = None

    def _all(self) -> dict:
        if self._dict is None:
            with no_gc():
                self._dict = dict(zip(self._rels.every(), _split(self._values)))
                self._dict.update(self._rich)
        return self._dict

    def column(self, rtype: str) -> list:
        """The values of one type's rels, in their order."""
        if self._list is None:
            self._list = _split(self._values)
        start = self._rels.start(rtype)
        rels = self._rels.get(rtype, [])
        values = self._list[start:start + len(rels)]
        if self._rich:
            rich = self._rich
            values = [rich.get(rel, value) for rel, value in zip(rels, values)]
        return values

    def holds(self, rtype: str, text: str) -> bool:
        """Whether the values of the type's rels, one per line, are `text`: told without splitting
        the column when the lines before the type's are all of one width (blob ids are) — the
        place its first line would then have is checked to be the start of that line."""
        count = self._rels.size(rtype)
        if not count or self._rich or _line_count(text) != count:
            return not self._rich and not count and not text
        before = self._rels.start(rtype)
        values = self._values
        at = before * (values.find("\n") + 1)
        if before and (values[at - 1:at] != "\n" or values.count("\n", 0, at) != before):
            return "\n".join(self.column(rtype)) == text          # lines of several widths: split
        end = at + len(text)
        return values.startswith(text, at) and (end == len(values) or values[end] == "\n")

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


class _ByType(Mapping):
    """rel → value of a column the cache keeps per type (`texts`: type → its values in the
    order of its rels; a type without any is left out), split only for the type asked for."""

    def __init__(self, rels: _Rels, texts: dict[str, str]):
        self._rels, self._texts, self._dict = rels, texts, None

    def column(self, rtype: str) -> list:
        return _split(self._texts[rtype]) if rtype in self._texts else []

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


def _dict(mapping) -> dict:
    """A mapping as a plain dict (a cached _Table's, built once), for loops over many keys."""
    return mapping._all() if isinstance(mapping, (_Table, _ByType)) else mapping


def _column(mapping, rtype: str, listed: list[str]) -> list:
    """A per-file mapping's values for one type's files (`listed`), in listing order: a cached
    column is split for that type only."""
    return mapping.column(rtype) if isinstance(mapping, (_Table, _ByType)) else [mapping.get(rel) for rel in listed]


def _load_cache(path: Path | None) -> _Saved:
    if path is None:
        return _NOTHING
    try:
        with open(path, "rb") as handle, _mapped(handle) as view, no_gc():
            end = len(view) - _TAIL
            with view[max(end, 0):] as tail:
                size = int.from_bytes(tail, "little") if end >= 0 else -1
            head = _unmarshal(view, end - size, size)
            if not isinstance(head, dict) or head.get("format") != CACHE_FORMAT:
                return _NOTHING
            columns = head["columns"]
            rels = _Rels({rtype: _column_text(view, *at) for rtype, at in columns["rels"].items()})
            values, blobs = _column_text(view, *columns["values"]), _column_text(view, *columns["blobs"])
            facts = {rtype: _column_text(view, *at) for rtype, at in columns["facts"].items()}
        count = rels.count()
        if not all(text.count("\n") + (1 if count else 0) == count for text in (values, blobs)) or any(
                v.count("\t") != _FIELDS - 1 for v in values.split("\n", 3)[:3] if v) or any(
                rtype not in rels or text.count("\n") + 1 != len(rels[rtype]) for rtype, text in facts.items()):
            return _NOTHING
        return _Saved(head["fingerprint"], head["git_index"], rels, _Table(rels, blobs),
                      _Table(rels, values, head["rich"]), frozenset(head["unknown"]), head["folders"],
                      tuple(head["rich"]), head["token"], _ByType(rels, facts))
    except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError, MemoryError, BufferError):
        return _NOTHING          # missing or corrupt: rebuilt, never trusted


def _save_cache(path: Path | None, saved: _Saved) -> bool:
    """Only files with a blob id are kept (a file that could not be read is tried again). The
    long columns (paths, values, blobs, facts: lines of text) are written as they are joined, a
    few thousand lines at a time, and the rest after them — at a million records, joining and
    marshalling them all in memory at once had the cache's writing take as much again as the
    index itself."""
    if path is None:
        return False
    rels, values, blobs, rich, facts = {}, [], [], {}, {}
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
            text = _encode(value)
            if text is None:
                rich[rel] = value
                text = ""
            kept.append(rel)
            values.append(text)
            blobs.append(blob)
            kept_facts.append(saved.facts.get(rel) or "")
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
                                  # a file left out is still in its folder: list the folders again next time
                                  "folders": {} if dropped else saved.folders})
            handle.write(head)
            handle.write(len(head).to_bytes(_TAIL, "little"))
        os.replace(tmp, path)
        return True
    except OSError:
        return False       # a cache that cannot be written only costs speed


# What makes a record unreadable by the rules: a read or parse error or a malformed field; an id
# that does not match its file name is reported too, but is not why the record is left out.
_NOT_WHY = frozenset({"ID_MISMATCH", "BAD_ID", "LEGACY_AMOUNT"})


def why_unusable(entry: Entry) -> tuple:
    """The problem (code, message, hint, key, line) a listing names for a skipped record."""
    return next((p for p in entry.problems if p[0] not in _NOT_WHY), entry.problems[0])


class Index:
    """The record files of each type in listing order, each with its (possibly still encoded)
    entry and the blob id of its content when Git knows it unchanged."""

    def __init__(self, rels: dict[str, list[str]], results: dict, blobs: dict | None = None,
                 unknown: frozenset | set = frozenset(), rich=None, token: str = "", facts: Mapping | None = None):
        self.rels, self.results = rels, results
        self._facts = facts if facts is not None else {}
        self.token = token                # the saved state this is (empty: not saved, nothing kept)
        self._blobs, self._unknown = blobs or {}, unknown
        self._rich = rich                 # rels that may have a packed entry (None: any)
        self.memo = {}                    # what one command reads more than once (of_type, load_data)

    def blob(self, rel: str) -> str | None:
        """The blob id of a file Git says is unchanged (a key the parsed-data cache can trust)."""
        return None if rel in self._unknown else self._blobs.get(rel)

    def id_of(self, rel: str) -> str | None:
        """The record id of a file, without building its entry."""
        return _id(self.results[rel])

    def blob_column(self, rtype: str) -> tuple[list[str], list]:
        """(the type's rels in listing order, each one's blob as cached — whether or not Git
        vouches for it now: see blob)."""
        listed = self.rels.get(rtype, [])
        return listed, _column(self._blobs, rtype, listed)

    def listing_blobs(self, rtype: str) -> list[str | None]:
        """The blob of each of the type's files in listing order: blob(rel) of each."""
        return self.blobs_of(rtype, self.rels.get(rtype, []))

    def listing_blobs_match(self, rtype: str, text: str) -> bool:
        """Whether listing_blobs(rtype), one per line ("" for None), is `text` — a cached column is
        not split to tell when Git vouches for every file."""
        if not self._unknown and isinstance(self._blobs, _Table):
            return self._blobs.holds(rtype, text)
        return _listing_text(self.listing_blobs(rtype)) == text

    def doubtful(self, rtype: str) -> set[int]:
        """The listing positions of the type's files Git does not vouch for (once per command)."""
        found = self.memo.get(("doubtful", rtype))
        if found is None:
            listed, unknown = self.rels.get(rtype, []), self._unknown
            if len(unknown) > 64:
                found = {place for place, rel in enumerate(listed) if rel in unknown}
            else:                                   # the usual few: each found in the list (in C)
                found = {listed.index(rel) for rel in unknown if rel in listed}
            self.memo[("doubtful", rtype)] = found
        return found

    def blobs_of(self, rtype: str, rels: list[str]) -> list[str | None]:
        """blob(rel) of each of `rels` (files of type `rtype`), from a table of that type's files
        only (built once per command, from the type's slice of the cached column)."""
        blobs = self.memo.get(("blobs", rtype))
        if blobs is None:
            blobs = self.memo[("blobs", rtype)] = dict(zip(*self.blob_column(rtype)))
        unknown = self._unknown
        return [None if rel in unknown else blobs.get(rel) for rel in rels]

    def facts_of(self, rtype: str) -> dict:
        """rel → what reports count of each record of a type (Workflow.facts; empty or missing
        when it has none), computed for the content the entry was (built once per command)."""
        kept = self.memo.get(("facts", rtype))
        if kept is None:
            listed = self.rels.get(rtype, [])
            kept = self.memo[("facts", rtype)] = dict(zip(listed, _column(self._facts, rtype, listed)))
        return kept

    def _all(self):
        for listed in self.rels.values():
            yield from listed

    def _packed(self):
        """(rel, packed entry) of every file with problems, duties or no usable content, in
        listing order (the rest are plain: only validate reads them)."""
        for rel in self._all() if self._rich is None else self._rich:
            value = self.results.get(rel)
            if value.__class__ is tuple:
                yield rel, value

    def of_type(self, rtype: str) -> tuple[list[str], list[Entry]]:
        """The files of a type the rules can read (rels, listing order), and the entries of
        those they cannot (a listing names them instead of leaving them out)."""
        if ("type", rtype) not in self.memo:
            bad = {rel: value for rel, value in self._packed() if not value[5] and value[0] == rtype}
            listed = self.rels.get(rtype, [])
            usable = [rel for rel in listed if rel not in bad] if bad else listed
            self.memo[("type", rtype)] = usable, [_unpack(rel, bad[rel]) for rel in listed if rel in bad]
        return self.memo[("type", rtype)]

    def entries_of(self, rtype: str) -> list[Entry]:
        return [_decode(rel, self.results[rel]) for rel in self.rels.get(rtype, ())]

    def packed(self) -> list[Entry]:
        """The entries with problems, obligations or no usable content (the few; the rest are
        plain)."""
        return [_unpack(rel, value) for rel, value in self._packed()]

    def ids(self):
        """(id, rel) of every record with an id, in listing order, without building its entry."""
        results = _dict(self.results)
        for rel in self._all():
            record_id = _id(results[rel])
            if record_id:
                yield record_id, rel

    def owing(self) -> list[Entry]:
        """Only the entries with obligations (the overdue report's rows come from these)."""
        return [_unpack(rel, value) for rel, value in self._packed() if value[4]]

    def unusable(self) -> list[Entry]:
        """The files the rules could not read (a report names them instead of leaving them out)."""
        return [_unpack(rel, value) for rel, value in self._packed() if not value[5]]


def build_index(store, ctx: Context, git, *, jobs: int | None = None, use_cache: bool = True,
                status=None) -> Index:
    """Every record file's Entry, from the cache where the content is known, else computed.
    `status`: the `git status` the command started early (gitlog.ask_status), if it did.

    What a warm run costs is kept to what changed: folders are listed again only where an entry
    was added, removed or renamed (Store.rel_files); Git's index is read again only when its
    checksum changed; when neither changed, only the files `git status` names now or named last
    time are looked at — every other file has the blob its cached entry was computed for."""
    workers: list[Workers] = []          # started by _build when every file is read again
    try:
        return _build(store, ctx, git, jobs, use_cache, status, workers)
    finally:
        for pool in workers:
            pool.close()


def _build(store, ctx: Context, git, jobs: int | None, use_cache: bool, status, workers: list) -> Index:
    use_cache = use_cache and caching()
    root = store.root
    asked = _ask_git(git, root, status) if use_cache else None
    cache_path = _cache_path(git) if use_cache else None
    git_index = _git_index_id(git) if use_cache else None
    saved = _load_cache(cache_path) if use_cache else _NOTHING
    same_index = git_index is not None and saved.git_index == git_index
    listed = _ask_staged(git, asked[0]) if asked is not None and not same_index else None
    folders: dict | None = {} if use_cache else None
    if use_cache and saved.folders and store.folders_unchanged(saved.folders):
        rels, folders = saved.rels, saved.folders      # not one file added, removed or renamed
    else:
        rels = {rtype: store.rel_files(rtype, saved.folders, folders) for rtype in store.types}
    staged, dirty = None, set()
    if asked is not None:
        prefix, status = asked
        changed = status()
        if listed is not None:
            listed = listed()                       # Git's index as text: made a table when needed
            staged = "" if listed is None else listed
        if changed is None:
            staged, same_index = {}, False          # no usable Git: everything is read from disk
        else:
            dirty = {path[len(prefix):] for path in _changed(changed) if path.startswith(prefix)}
            if isinstance(staged, str):             # flags live in the index: read with it (kept in unknown)
                dirty |= _flagged(prefix, staged)
    versions = ctx.versions.key.encode() if ctx.versions is not None else b""
    swaps = [f"{rel}:{_content_id(root / rel)}" for rel in rels.get("swap", ())]
    stamp = fingerprint(store, store.policy_path.read_bytes() + b"\0" + versions, swaps)
    if saved.fingerprint != stamp:
        saved = saved._replace(blobs={}, results={}, rich=())
    results: dict[str, object] = {}
    blobs: dict[str, str] = {}
    facts: Mapping = {}
    todo = []
    same_rels = rels is saved.rels or rels == saved.rels
    if same_index and saved.results and same_rels:
        # Git's index and the folders are as they were: a file git status does not name and Git
        # knew as clean last time has the blob its cached entry was computed for.
        results, blobs, facts = saved.results, saved.blobs, saved.facts
        unknown = dirty | saved.unknown
        for rel in sorted(unknown):
            value = results.get(rel)
            if value is None:
                continue                 # gone, or not a record file: nothing cached for it
            if blobs.get(rel) != _content_id(root / rel):
                todo.append((_kind(value), rel, None))
        if todo:
            results, blobs, facts = dict(results), dict(blobs), dict(facts)
        rich = [*saved.rich, *(rel for _type, rel, _blob in todo)]
        if todo:                         # the fresh ones go in listing order among the others
            order = {rtype: i for i, rtype in enumerate(rels)}
            rich = sorted(set(rich), key=lambda rel: (order[_kind(results[rel])], rel))
    else:
        unknown = set()
        if staged is None and asked is not None and same_index:      # the cache is no use after all
            staged = _ask_staged(git, asked[0])() or ""
            dirty |= _flagged(asked[0], staged)
        if not saved.results and sum(len(listed) for listed in rels.values()) > CHUNK:
            # every file is read again: the workers are started now, before the tables of a
            # million files are built here — forked later, they would share those pages and,
            # filling the holes the tables leave, copy them (at a million records, hundreds of MB)
            _WORKER.update(ctx=ctx, workflows=WORKFLOWS, root=root)
            workers.append(Workers(jobs))
        staged = _staged_blobs(asked[0], staged) if isinstance(staged, str) and asked is not None else staged or {}
        before, before_blobs, before_facts = _dict(saved.results), _dict(saved.blobs), _dict(saved.facts)
        facts = {}
        rich = []                        # in listing order, as the loop goes
        for rtype, listed in rels.items():
            for rel in listed:
                blob = staged.get(rel)
                if blob is None or rel in dirty:
                    unknown.add(rel)
                    blob = _content_id(root / rel)
                hit = before.get(rel) if before_blobs.get(rel) == blob else None
                if hit is not None and _kind(hit) == rtype:
                    results[rel] = hit
                    blobs[rel] = blob
                    if before_facts.get(rel):
                        facts[rel] = before_facts[rel]
                    if hit.__class__ is tuple:
                        rich.append(rel)
                    continue
                todo.append((rtype, rel, None if rel in unknown else blob))
                rich.append(rel)         # may turn out plain: _packed looks
        staged = before = before_blobs = before_facts = None    # a million entries: let go before the checks
    # In-process or forked alike, what the checks note of uncertain years is set aside: what a
    # command warns of is what it computes itself (overdue notes its deadlines).
    with calendar.noting():
        # taken as the workers send them (a million results need not be held at once), in order
        for (_rtype, rel, _known), (blob, values, kept) in zip(todo, _compute(todo, root, ctx, WORKFLOWS, jobs,
                                                                              workers[0] if workers else None)):
            results[rel] = values
            if kept:
                facts[rel] = kept
            else:
                facts.pop(rel, None)
            if blob is None:
                blobs.pop(rel, None)     # a failed read is never cached: the next run tries again
            else:
                blobs[rel] = blob
    fresh, todo = bool(todo), None       # a million work items: let go before the cache is written
    now = _Saved(stamp, git_index, rels, blobs, results, frozenset(unknown), folders or {}, (), saved.token, facts)
    same_entries = same_rels and not fresh and stamp == saved.fingerprint    # every entry as saved (all hits)
    if use_cache and not (same_entries and git_index == saved.git_index and now.unknown == saved.unknown
                          and (folders is saved.folders or folders == saved.folders)):
        now = now._replace(token=saved.token if same_entries and saved.token else os.urandom(8).hex())
        if not _save_cache(cache_path, now):
            now = now._replace(token="")
    return Index(rels, results, blobs, now.unknown, rich, now.token if use_cache else "", facts)


def _kind(value) -> str:
    """The record type of a cached entry (packed tuple or encoded text)."""
    return value[0] if value.__class__ is tuple else value.split("\t", 1)[0]


def _id(value) -> str | None:
    """The record id of a cached entry (packed tuple or encoded text)."""
    return (value[1] if value.__class__ is tuple else value.split("\t", 2)[1]) or None


# -- what is derived from the whole index ------------------------------------------------------
# Each saved index state has a token; an answer computed from the index alone (the checks across
# records) is kept under it and given again while the index is unchanged.

def _derived_path(git) -> Path:
    from csops import i18n

    return git.git_dir / "csops-cache" / f"derived-{i18n.language()}.marshal"


def _derived(git, token: str) -> dict:
    try:
        with open(_derived_path(git), "rb") as handle:
            data = marshal.loads(handle.read())
    except (OSError, EOFError, ValueError, TypeError, MemoryError):
        return {}
    return data.get("values", {}) if isinstance(data, dict) and data.get("token") == token else {}


def recall(git, index: "Index", key: str):
    """What `keep` kept under `key` for this very index state, or None."""
    if git is None or not index.token:
        return None
    value = _derived(git, index.token).get(key)
    return value if isinstance(value, list) else None


def keep(git, index: "Index", key: str, value: list) -> None:
    if git is None or not index.token:
        return
    values = _derived(git, index.token)
    values[key] = value
    path = _derived_path(git)
    try:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            marshal.dump({"token": index.token, "values": values}, handle)
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass                            # only costs speed


def _compute(todo: list, root: Path, ctx: Context, workflows, jobs: int | None, workers: Workers | None = None):
    """_work's results for `todo`, one at a time, in order (by `workers` when started)."""
    _WORKER.update(ctx=ctx, workflows=workflows, root=root)
    return each_in_parallel(_work, todo, jobs=jobs, chunk=CHUNK, parallel_from=CHUNK + 1, workers=workers)


def problems_of(entries: list[Entry], store) -> list[Problem]:
    out = []
    for entry in entries:
        if not entry.problems:
            continue
        where = store.display(os.path.join(store.root, entry.rel))
        for code, message, hint, key, line in entry.problems:
            out.append(Problem(where, code, message, hint, tuple(key or ()), line))
    return out


# -- the records themselves, parsed once per content -------------------------------------------
# Listings and reports read whole records. Parsing is the cost (YAML at some 3,000 files a
# second per core), so each file's parsed data is kept by its blob id, one cache file per type:
# content-addressed, it depends on nothing but the bytes and the loader, and survives policy
# and roster changes. A file Git does not know as unchanged (an uncommitted edit) is parsed.

DATA_FORMAT = 8


def _data_stamp() -> str:
    """How the record cache's records were read: a new loader (csops' or PyYAML's) reads them again."""
    return f"{DATA_FORMAT}:{yamlio.loader_stamp()}"


_ANY_DAY = ("0000-00-00", "9999-99-99")      # a time that is not ISO text may fall on any day
_NO_DAY = ("9999-99-99", "0000-00-00")       # no steps at all: on no day


# The days a record touches besides its steps and callbacks: a leave's span, a score event's date.
_DAY_FIELDS = {"leave": ("start", "end"), "score": ("date",)}


def brief(rtype: str, data) -> str:
    """What a report may skip a record by without reading it, as one line of text: the first and
    last day (ISO) it touches — its steps and callbacks, a leave's start and end, a score event's
    date (ten characters each) — its status, then its keys, tab-separated: how the customer
    archive finds it (workflows.customers.who), a score event's code ("c:" + code). Empty:
    always read (not a mapping — it is named — or a value with a tab or line break in it)."""
    if not isinstance(data, dict):
        return ""
    status = data.get("status") if isinstance(data.get("status"), str) else ""
    days: list | None = []
    for listed in (data.get("history"), data.get("callbacks")):
        if listed is None:
            continue
        if not isinstance(listed, list):
            days = None
            break
        for item in listed:
            at = item.get("at") if isinstance(item, dict) else None
            if not isinstance(at, str) or not ISO_DAY.match(at):
                days = None
                break
            days.append(at[:10])
        if days is None:
            break
    for field in _DAY_FIELDS.get(rtype, ()) if days is not None else ():
        value = data.get(field)
        if value is None:
            continue
        if not isinstance(value, str) or not ISO_DAY.match(value):
            days = None                 # a day it cannot read as text: any day
            break
        days.append(value[:10])
    low, high = _ANY_DAY if days is None else (min(days), max(days)) if days else _NO_DAY
    fields = (status, *who(rtype, data), *_keys(rtype, data))
    if any("\t" in f or "\n" in f for f in fields):
        return ""
    return low + high + "\t".join(fields)


def _keys(rtype: str, data: dict) -> tuple[str, ...]:
    code = data.get("code") if rtype == "score" else None
    return (f"c:{code}",) if isinstance(code, str) else ()


def fits(line: str, status: str | None, days: tuple[str, str] | None, found: str | None) -> bool:
    """Whether a record with this brief may be in state `status`, touch a day between days[0]
    and days[1] (ISO text, inclusive; see brief) and be found by `found` (None: any)."""
    return bool(_fitting([line], status, days, found))


def _fitting(briefs: list[str], status: str | None, days: tuple[str, str] | None, found: str | None) -> list[int]:
    """The positions of the briefs that fit (see fits; an empty brief fits anything), one
    comprehension per condition: a listing or report tests every record of its type."""
    picks = range(len(briefs))
    if days is not None:
        low, high = days
        picks = [at for at, line in enumerate(briefs) if not line or (line[:10] <= high and line[10:20] >= low)]
    if status is not None:
        tail = status + "\t"
        picks = [at for at in picks if not briefs[at] or briefs[at].startswith(tail, 20) or briefs[at][20:] == status]
    if found is not None:
        key = f"\t{found}\t"
        picks = [at for at in picks if not briefs[at] or key in briefs[at] + "\t"]
    return list(picks)


_TAIL = 8           # a cache file ends with the length of its table (8 bytes), the table before it


class _Records:
    """A type's data cache: per position its brief and where its record is; its blobs as the
    file keeps them (one per line), split (and made a table, blob → position) only by a read
    that cannot match the cache to the type's listing and by a rewrite (see _from_cache,
    _DataWriter.close). `listing`: the blob of each of the type's files, one per line, when the
    cache was written ("" where Git did not vouch for the file: an edit it goes on making leaves
    the listing as it was); `places`: per position the listing position of its file (-1: no
    file had it then), increasing; `gaps`: the listing positions it holds no record for (a file
    Git did not vouch for, one the rules cannot read)."""

    def __init__(self, blob_text: str, briefs: list, offsets: array.array, listing: str, places: array.array,
                 gaps: array.array):
        self.blob_text, self.briefs, self.offsets = blob_text, briefs, offsets   # offsets: one more than briefs
        self.listing, self.places, self.gaps = listing, places, gaps

    @functools.cached_property
    def blobs(self) -> list:
        return _split(self.blob_text)

    @functools.cached_property
    def where(self) -> dict:
        return dict(zip(self.blobs, range(len(self.blobs))))


def _read_data_cache(path: Path | None, stamp: str):
    """(_Records, the open file) of a type's data cache; (None, None) when missing, stale or
    damaged — the records are parsed again, never trusted."""
    if path is None:
        return None, None
    handle = None
    try:
        handle = open(path, "rb")
        end = handle.seek(0, os.SEEK_END)
        handle.seek(end - _TAIL)
        size = int.from_bytes(handle.read(_TAIL), "little")
        if size > end - _TAIL:
            raise ValueError("damaged table size")
        with no_gc(), _mapped(handle) as view:
            saved = _unmarshal(view, end - _TAIL - size, size)
            if isinstance(saved, dict) and saved.get("stamp") == stamp:
                blob_text = saved["blobs"]
                count = _line_count(blob_text)
                briefs = saved["briefs"].split("\n") if count else []     # a brief may be empty
                offsets = array.array("q")
                offsets.frombytes(saved["offsets"])
                places, gaps = array.array("q"), array.array("q")
                places.frombytes(saved["places"])
                gaps.frombytes(saved["gaps"])
                if count == len(offsets) - 1 and len(briefs) == count and offsets[-1] <= end - _TAIL - size \
                        and len(places) == count and isinstance(saved["listing"], str):
                    return _Records(blob_text, briefs, offsets, saved["listing"], places, gaps), handle
    except (OSError, EOFError, ValueError, TypeError, KeyError, OverflowError, AttributeError, MemoryError,
            BufferError):
        pass
    if handle is not None:
        handle.close()
    return None, None


def _listing_text(blobs: list) -> str:
    """A type's blobs in listing order as a record cache keeps them: one per line, "" for None."""
    return "\n".join(blob or "" for blob in blobs)


def _finish_data(handle, stamp: str, blobs: list, briefs: list, offsets: array.array, places: list,
                 order: list) -> None:
    """A data cache's table after its records, then the table's length; the file is closed.
    `places`: per record its position in `order` (-1: after them); `order`: the type's blobs in
    listing order (Index.listing_blobs: None for a file Git does not vouch for), as _Records keeps it."""
    held = set(places)
    head = marshal.dumps({"stamp": stamp, "blobs": "\n".join(blobs), "briefs": "\n".join(briefs),
                          "offsets": offsets.tobytes(), "places": array.array("q", places).tobytes(),
                          "gaps": array.array("q", [at for at in range(len(order)) if at not in held]).tobytes(),
                          "listing": _listing_text(order)})
    handle.write(head)
    handle.write(len(head).to_bytes(_TAIL, "little"))
    handle.close()


class _DataWriter:
    """A type's data cache written as records come (a million need not be held at once): into a
    temporary file, put in place by `close` only."""

    def __init__(self, path: Path, stamp: str):
        self.path, self.stamp = path, stamp
        path.parent.mkdir(exist_ok=True)
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self.handle = open(self.tmp, "wb")
        self.blobs, self.briefs, self.offsets, self.seen = [], [], array.array("q", [0]), set()

    def add(self, blob: str, line: str, payload: bytes) -> None:
        if blob in self.seen:
            return
        self.seen.add(blob)
        self.handle.write(payload)
        self.blobs.append(blob)
        self.briefs.append(line)
        self.offsets.append(self.offsets[-1] + len(payload))

    def close(self, order: list, old: _Records | None = None, old_handle=None, wanted: set | None = None) -> None:
        """Put the cache in place: the records added, and those of the `old` cache (read through
        `old_handle`) still `wanted` (None: all) — one for each file of `order` (the type's blobs
        in listing order; two files alike, two copies) first and in that order, so that the next
        read finds each record's file by its position; the rest after them."""
        sources = {blob: (None, at) for at, blob in enumerate(self.blobs)}      # None: this writer's file
        if old is not None:
            for at, blob in enumerate(old.blobs):
                if (wanted is None or blob in wanted) and blob not in sources:
                    sources[blob] = (old, at)
        sequence = [(blob, place) for place, blob in enumerate(order) if blob in sources]
        placed = {blob for blob, _place in sequence}
        sequence += [(blob, -1) for blob in sources if blob not in placed]
        blobs, places = [blob for blob, _place in sequence], [place for _blob, place in sequence]
        if blobs == self.blobs:                 # what was added is the whole cache, in its order
            _finish_data(self.handle, self.stamp, self.blobs, self.briefs, self.offsets, places, order)
            os.replace(self.tmp, self.path)
        else:
            self.handle.flush()
            final = self.tmp.with_name(self.tmp.name + ".sorted")
            try:
                with open(self.tmp, "rb") as own, open(final, "wb") as out:
                    briefs, offsets = [], array.array("q", [0])
                    for blob in blobs:
                        table, at = sources[blob]
                        source, table = (own, self) if table is None else (old_handle, table)
                        source.seek(table.offsets[at])
                        payload = source.read(table.offsets[at + 1] - table.offsets[at])
                        out.write(payload)
                        briefs.append(table.briefs[at])
                        offsets.append(offsets[-1] + len(payload))
                    _finish_data(out, self.stamp, blobs, briefs, offsets, places, order)
                os.replace(final, self.path)
            except BaseException:
                final.unlink(missing_ok=True)
                raise
            self.handle.close()
            self.tmp.unlink(missing_ok=True)
        self.path.with_suffix(".marshal").unlink(missing_ok=True)      # an older format's file

    def abort(self) -> None:
        self.handle.close()
        self.tmp.unlink(missing_ok=True)


def load_data(store, git, index: Index, rtype: str, rels: list[str], status: str | None = None,
              days: tuple[str, str] | None = None, found: str | None = None, *,
              prune: bool = True) -> list[tuple[str, object, object]]:
    """(rel, data, read error) for those of `rels` (one type) whose brief fits `status`, `days`
    and `found`, from the data cache where the blob is known, else read and parsed (and kept for
    next time). The cache file holds each record marshalled on its own and a table by position
    (_Records: its blob, brief and place, and the listing it was written for): only the records
    a report asks for are read and built (a month's report no longer builds five years of
    records). The cache is rewritten, in listing order, when records were added or it was not
    read by position. `prune`: `rels` are all the type's usable records, and a rewrite keeps
    only theirs (it also rewrites a cache holding many more); otherwise (`rels` a batch) it
    keeps every old record."""
    from csops.store import _READER, _read_chunk, each_in_parallel

    path = git.git_dir / "csops-cache" / f"data-{rtype}.bin" if git is not None else None
    stamp = _data_stamp()
    memo = index.memo
    if ("data", rtype) not in memo:         # kept open for the command's later reads of the type
        memo[("data", rtype)] = _read_data_cache(path, stamp)
    table, handle = memo[("data", rtype)]
    out: dict[int, tuple] = {}               # by position in rels
    writer, broken = None, False

    def keep(blob: str, line: str, payload: bytes) -> None:
        nonlocal writer, broken
        if broken:
            return
        try:
            writer = writer or _DataWriter(path, stamp)
            writer.add(blob, line, payload)
        except OSError:
            broken = True                    # a cache that cannot be written only costs speed

    try:
        if table is None:
            wanted, misses, by_position = [], list(enumerate(rels)), False
        else:
            wanted, misses, by_position = _from_cache(index, rtype, rels, table, status, days, found)
        loads = marshal.loads
        offsets = table.offsets if table is not None else None
        for at, place, rel in sorted(wanted):                  # in file order: one pass over the disk
            try:
                handle.seek(offsets[at])
                out[place] = (rel, loads(handle.read(offsets[at + 1] - offsets[at])), None)
            except (OSError, EOFError, ValueError, TypeError, MemoryError):
                misses.append((place, rel))   # a damaged record, or a cache that cannot be read: the file
        if misses:
            _READER["root"] = str(store.root)
            blob_of = index.blob
            places = [place for place, _rel in misses]
            read = each_in_parallel(_read_chunk, [rel for _place, rel in misses])
            for place, (rel, data, message, line, code) in zip(places, read):
                line_of_brief = "" if message else brief(rtype, data)
                if message or fits(line_of_brief, status, days, found):
                    out[place] = (rel, data, yamlio.YamlError(message, line, code) if message else None)
                blob = blob_of(rel)
                if blob and not message and data is not None and path is not None:
                    try:
                        payload = marshal.dumps(data)
                    except ValueError:
                        continue            # a value marshal cannot keep: read from the file each time
                    keep(blob, line_of_brief, payload)
        held = len(table.briefs) if table is not None else 0
        # rewritten: with records added; to be read by position next time (once: then it is);
        # holding many records no file has any more
        rewrite = writer is not None or (table is not None and not by_position) or \
            (prune and held > len(rels) * 1.25 + 100)
        if path is not None and not broken and rewrite:
            try:
                writer = writer or _DataWriter(path, stamp)
                kept_blobs = set(index.blobs_of(rtype, rels)) if prune else None
                writer.close(index.listing_blobs(rtype), table, handle, kept_blobs)
                writer = None
                forget_data(index, rtype)   # the next read of the type opens the new cache
            except (OSError, ValueError):
                pass                        # only costs speed (ValueError: an old cache's damaged offsets)
    finally:
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.abort()
    return [out[place] for place in sorted(out)]


def _from_cache(index: Index, rtype: str, rels: list[str], table: _Records, status, days, found):
    """Which of `rels` the data cache holds and fit — [(cache position, position in rels, rel)]
    — and which it does not hold, or holds for content Git does not vouch for: [(position in
    rels, rel)] — and whether the cache was read by position (else a rewrite puts it in order
    for the next read). From the cache's side: the briefs are tested in one pass, and only the few that
    fit are looked up among the type's files (rather than each file looked up and tested)."""
    if index.listing_blobs_match(rtype, table.listing):
        in_order = _from_cache_in_order(index, rtype, rels, table, status, days, found)
        if in_order is not None:
            return (*in_order, True)
    if ("places", rtype) not in index.memo:                   # once per command (a dump reads in batches)
        listed, column = index.blob_column(rtype)
        index.memo[("places", rtype)] = listed, column, dict(zip(column, range(len(column))))
    listed, column, place_of = index.memo[("places", rtype)]   # place_of: blob → listing position
    doubtful = index.doubtful(rtype)                          # files Git does not vouch for
    if None in place_of or len(place_of) != len(column):      # a file without a blob, or two alike
        return (*_from_cache_by_file(index, rtype, rels, table, status, days, found), False)
    # a position in the type's listing is one in `rels` when they are that listing; otherwise
    # (the usable ones, a batch in id order) the position in `rels` is looked up
    order = None if rels is listed else dict(zip(rels, range(len(rels))))
    blobs, wanted = table.blobs, []
    for at in _fitting(table.briefs, status, days, found):
        place = place_of.get(blobs[at])
        if place is not None and place not in doubtful:
            rel = listed[place]
            place = place if order is None else order.get(rel)
            if place is not None:
                wanted.append((at, place, rel))
    where = table.where
    misses = [(place, listed[place]) for place, blob in enumerate(column) if blob not in where or place in doubtful]
    if order is not None:
        misses = [(order[rel], rel) for _place, rel in misses if rel in order]
    return wanted, misses, False


def _from_cache_in_order(index: Index, rtype: str, rels: list[str], table: _Records, status, days, found):
    """_from_cache when every file of the type has the blob it had when the cache was written
    (its `listing`): each cached record's file is known by position (`places`), and only the
    files it holds nothing for (`gaps`) and those Git does not vouch for are read again. None
    when the table names a position the listing does not have (a damaged cache)."""
    listed = index.rels.get(rtype, [])
    gaps = table.gaps
    if gaps and (min(gaps) < 0 or max(gaps) >= len(listed)):
        return None
    doubtful = index.doubtful(rtype)
    order = None if rels is listed else dict(zip(rels, range(len(rels))))
    places, wanted, last = table.places, [], -1
    for at in _fitting(table.briefs, status, days, found):
        place = places[at]
        if place < -1 or place >= len(listed) or -1 < place <= last:    # written in listing order
            return None
        last = max(last, place)
        if place >= 0 and place not in doubtful:
            rel = listed[place]
            place = place if order is None else order.get(rel)
            if place is not None:
                wanted.append((at, place, rel))
    misses = [(place, listed[place]) for place in sorted(doubtful.union(gaps))]
    if order is not None:
        misses = [(order[rel], rel) for _place, rel in misses if rel in order]
    return wanted, misses


def _from_cache_by_file(index: Index, rtype: str, rels: list[str], table: _Records, status, days, found):
    """_from_cache, looking each file up (listing positions are those in `rels`)."""
    wanted, misses = [], []
    where, briefs = table.where, table.briefs
    for place, (rel, blob) in enumerate(zip(rels, index.blobs_of(rtype, rels))):
        at = where.get(blob) if blob else None
        if at is None:
            misses.append((place, rel))
        elif fits(briefs[at], status, days, found):
            wanted.append((at, place, rel))
    return wanted, misses



def forget_data(index: Index, rtype: str | None = None) -> None:
    """Close what load_data kept of a type's data cache (None: of every type)."""
    for key in [key for key in index.memo if key[0] == "data" and rtype in (None, key[1])]:
        value = index.memo.pop(key)
        if key[0] == "data" and value[1] is not None:
            value[1].close()
