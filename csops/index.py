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

import contextlib
import gc
import hashlib
import marshal
import os
from typing import NamedTuple
from pathlib import Path

from csops import yamlio
from csops.engine import Context, check_record
from csops.gitlog import blob_id
from csops.i18n import _
from csops.problems import Problem, Problems
from csops.store import ID_PATTERN, in_parallel
from csops.workflows import WORKFLOWS

CACHE_FORMAT = 7
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
    stem = Path(rel).stem
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
    duties = tuple((d.what, d.due.isoformat(), d.owner, d.wall_clock) for d in wf.duties(rec, ctx)
                   if d.due is not None) if well_formed else ()
    record_id = record_id if isinstance(record_id, str) else None
    summary = None
    if rtype in SUMMARISED and well_formed:
        summary = Summary(record_id, rec.get("status"), _text(rec.get("person")), _text(rec.get("start")),
                          _text(rec.get("end")), _text(rec.get("ref")))
    problems = tuple((p.code, p.message, p.hint, p.key, p.line) for p in out)
    return Entry(rtype, rel, record_id, problems, summary, duties, well_formed)


def _text(value):
    return value if isinstance(value, str) else None


def _work(chunk: list[tuple[str, str, str]]) -> list[tuple]:
    """In a worker: read, parse and check a chunk of files → (key, Entry fields)."""
    ctx, workflows, root = _WORKER["ctx"], _WORKER["workflows"], _WORKER["root"]
    out = []
    for rtype, rel, blob in chunk:
        path = os.path.join(root, rel)
        try:
            if not os.path.isfile(path):
                raise OSError(0, _("not a regular file"))
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            entry = Entry(rtype, rel, None, (("YAML", _("cannot read file: {reason}", reason=exc.strerror), None,
                                              (), 1),), None, (), False)
            blob = None                      # a failed read is never cached: the next run tries again
        else:
            entry = _analyse(rtype, rel, data, ctx, workflows)
            blob = blob or blob_id(data)
        out.append((f"{blob}:{rel}", _pack(entry)))
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


def _ask_git(git, root: Path):
    """Start the two Git queries the cache needs (they run while the files are listed)."""
    if git is None:
        return None
    prefix = git.rel(root)
    prefix = "" if prefix == "." else prefix + "/"
    staged = git.background("ls-files", "-s", "-z", "--", prefix or ".")
    # --no-optional-locks: status must not rewrite the index (and leave index.lock behind when
    # csops stops before it has finished)
    dirty = git.background("--no-optional-locks", "status", "--porcelain", "-z", "--untracked-files=no", "--no-renames", "--", prefix or ".")
    return prefix, staged, dirty


def _known_blobs(asked) -> dict[str, str]:
    """rel path → blob id for every record file Git says is unchanged in the work tree."""
    if asked is None:
        return {}
    prefix, staged, dirty = asked
    staged, dirty = staged(), dirty()
    if staged is None or dirty is None:
        return {}             # no usable Git: everything is read from disk
    changed = set()
    for item in dirty.split("\0"):
        if len(item) > 3:
            changed.add(item[3:])
    blobs = {}
    for item in staged.split("\0"):
        if not item:
            continue
        meta, path = item.split("\t", 1)
        if path in changed or not path.startswith(prefix) or meta.startswith("120000"):
            continue          # a symlink's blob is the link's text, not the record it leads to
        blobs[path[len(prefix):]] = meta.split()[1]
    return blobs


def _content_id(path: Path) -> str:
    """The blob id of a file's bytes; a file that cannot be read (a dangling link, a FIFO, no
    permission) is named by that — the rules report it, the fingerprint must not stop on it."""
    if not os.path.isfile(path):
        return "not-a-file"
    try:
        return blob_id(path.read_bytes())
    except OSError as exc:
        return f"unreadable-{exc.errno}"


def _cache_path(git) -> Path | None:
    """One cache per message language: a teammate reading English does not throw away the
    Chinese one (its problems are stored as they are shown)."""
    from csops import i18n

    return (git.git_dir / "csops-cache" / f"index-{i18n.language()}.marshal") if git is not None else None


# On disk, the common entry — no problems, nothing owed — is kept as text: the keys in one string
# and "type, id, summary" lines in another, split and zipped into a dict in C at load time and
# decoded only when asked for. A hundred thousand tuples would take several times longer to load.
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


def _load_cache(path: Path | None, stamp: str) -> dict:
    if path is None:
        return {}
    try:
        with open(path, "rb") as handle, no_gc():
            data = marshal.loads(handle.read())      # load(file) reads piecemeal: 2.5× slower
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or data.get("fingerprint") != stamp:
            return {}
        keys, values = data["keys"], data["values"]
        entries = dict(zip(keys.split("\n"), values.split("\n"))) if keys else {}
        if len(entries) != (keys.count("\n") + 1 if keys else 0) or any(
                v.count("\t") != _FIELDS - 1 for v in values.split("\n", 3)[:3] if values):
            return {}
        entries.update(data["rich"])
        return entries
    except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError):
        return {}          # missing or corrupt: rebuilt, never trusted


def _save_cache(path: Path | None, stamp: str, entries: dict) -> None:
    if path is None:
        return
    keys, values, rich = [], [], {}
    for key, value in entries.items():
        text = _encode(value)
        if text is None:
            rich[key] = value
        else:
            keys.append(key)
            values.append(text)
    try:
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            marshal.dump({"format": CACHE_FORMAT, "fingerprint": stamp, "keys": "\n".join(keys),
                          "values": "\n".join(values), "rich": rich}, handle)
        os.replace(tmp, path)
    except OSError:
        pass               # a cache that cannot be written only costs speed


# What makes a record unreadable by the rules: a read or parse error or a malformed field; an id
# that does not match its file name is reported too, but is not why the record is left out.
_NOT_WHY = frozenset({"ID_MISMATCH", "BAD_ID", "LEGACY_AMOUNT"})


def why_unusable(entry: Entry) -> tuple:
    """The problem (code, message, hint, key, line) a listing names for a skipped record."""
    return next((p for p in entry.problems if p[0] not in _NOT_WHY), entry.problems[0])


class Index:
    """The record files in listing order, each with its (possibly still encoded) entry."""

    def __init__(self, rels: list[tuple[str, str]], results: dict, known: dict | None = None):
        self.rels, self.results = rels, results
        self.known = known or {}          # rel → blob id of the files Git says are unchanged

    def of_type(self, rtype: str) -> tuple[list[str], list[Entry]]:
        """The files of a type the rules can read (rels, listing order), and the entries of
        those they cannot (a listing names them instead of leaving them out)."""
        usable, unusable = [], []
        for kind, rel in self.rels:
            if kind != rtype:
                continue
            value = self.results[rel]
            if isinstance(value, tuple) and not value[5]:
                unusable.append(_unpack(rel, value))
            else:
                usable.append(rel)
        return usable, unusable

    def entries(self) -> list[Entry]:
        return [_decode(rel, self.results[rel]) for _ignored, rel in self.rels]

    def owing(self) -> list[Entry]:
        """Only the entries with obligations (the overdue report's rows come from these)."""
        return [_unpack(rel, value) for _ignored, rel in self.rels
                if isinstance(value := self.results[rel], tuple) and value[4]]

    def unusable(self) -> list[Entry]:
        """The files the rules could not read (a report names them instead of leaving them out)."""
        return [_unpack(rel, value) for _ignored, rel in self.rels
                if isinstance(value := self.results[rel], tuple) and not value[5]]


def caching() -> bool:
    """CSOPS_CACHE=off reads and checks every file afresh (to compare, or to rule the caches out)."""
    return os.environ.get("CSOPS_CACHE", "").strip().lower() not in ("off", "0", "no", "false")


def build_index(store, ctx: Context, git, *, jobs: int | None = None, use_cache: bool = True) -> Index:
    """Every record file's Entry, from the cache where the content is known, else computed."""
    use_cache = use_cache and caching()
    root = store.root
    asked = _ask_git(git, root) if use_cache else None
    rels = [(rtype, rel) for rtype in store.types for rel in store.rel_files(rtype)]
    known = _known_blobs(asked)
    versions = ctx.versions.key.encode() if ctx.versions is not None else b""
    swaps = [f"{rel}:{known.get(rel) or _content_id(root / rel)}" for rtype, rel in rels if rtype == "swap"]
    stamp = fingerprint(store, store.policy_path.read_bytes() + b"\0" + versions, swaps)
    cache_path = _cache_path(git) if use_cache else None
    cached = _load_cache(cache_path, stamp) if use_cache else {}
    results: dict[str, object] = {}
    todo, hits = [], 0
    for rtype, rel in rels:
        blob = known.get(rel)
        if blob:
            hit = cached.get(blob + ":" + rel)
            if hit is not None and (hit[0] == rtype if isinstance(hit, tuple) else hit.startswith(rtype + "\t")):
                results[rel] = hit
                hits += 1
                continue
        todo.append((rtype, rel, blob))
    from csops import calendar

    noted = dict(calendar.UNCERTAIN)
    fresh = _compute(todo, root, ctx, WORKFLOWS, jobs)
    calendar.UNCERTAIN.clear()           # in-process or forked alike: what a command warns of is
    calendar.UNCERTAIN.update(noted)     # what it computes itself (overdue notes its deadlines)
    for key, values in fresh:
        results[key.split(":", 1)[1]] = values
    if use_cache and (todo or hits != len(cached)):
        entries = {key: values for key, values in fresh if not key.startswith("None:")}
        for rtype, rel in rels:
            blob = known.get(rel)
            if blob and f"{blob}:{rel}" not in entries:
                entries[f"{blob}:{rel}"] = results[rel]
        _save_cache(cache_path, stamp, entries)
    return Index(rels, results, known)


def _compute(todo: list, root: Path, ctx: Context, workflows, jobs: int | None) -> list[tuple]:
    _WORKER.update(ctx=ctx, workflows=workflows, root=root)
    return in_parallel(_work, todo, jobs=jobs, chunk=CHUNK, parallel_from=CHUNK + 1)


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

DATA_FORMAT = 1


def _data_stamp() -> str:
    loader = Path(yamlio.__file__)
    stat = loader.stat()
    return f"{DATA_FORMAT}:{stat.st_size}:{stat.st_mtime_ns}"


def load_data(store, git, index: Index, rtype: str, rels: list[str]) -> list[tuple[str, object, object]]:
    """(rel, data, read error) for `rels` of one type, from the data cache where the blob is
    known, else read and parsed (and kept for next time)."""
    from csops.store import _READER, _read_chunk

    path = git.git_dir / "csops-cache" / f"data-{rtype}.marshal" if git is not None else None
    stamp = _data_stamp()
    cached = {}
    if path is not None:
        try:
            with open(path, "rb") as handle, no_gc():
                saved = marshal.loads(handle.read())
            if isinstance(saved, dict) and saved.get("stamp") == stamp and isinstance(saved.get("data"), dict):
                cached = saved["data"]
        except (OSError, EOFError, ValueError, TypeError):
            cached = {}                     # missing or corrupt: parsed again, never trusted
    out: dict[str, tuple] = {}
    misses = []
    for rel in rels:
        blob = index.known.get(rel)
        data = cached.get(blob) if blob else None
        if data is None:
            misses.append(rel)
        else:
            out[rel] = (rel, data, None)
    fresh = {}
    if misses:
        _READER["root"] = str(store.root)
        for rel, data, message, line, code in in_parallel(_read_chunk, misses):
            out[rel] = (rel, data, yamlio.YamlError(message, line, code) if message else None)
            blob = index.known.get(rel)
            if blob and not message and data is not None:
                fresh[blob] = data
    wanted = {index.known.get(rel) for rel in rels}
    if path is not None and (fresh or len(cached) > len(wanted) * 1.25 + 100):
        kept = {blob: data for blob, data in cached.items() if blob in wanted}
        kept.update(fresh)
        try:
            path.parent.mkdir(exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as handle:
                marshal.dump({"stamp": stamp, "data": kept}, handle)
            os.replace(tmp, path)
        except (OSError, ValueError):
            pass                            # a cache that cannot be written only costs speed
    return [out[rel] for rel in rels]
