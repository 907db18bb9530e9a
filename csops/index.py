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

import hashlib
import marshal
import os
from dataclasses import dataclass
from pathlib import Path

from csops import yamlio
from csops.engine import Context, check_record
from csops.problems import Problem, Problems
from csops.store import ID_PATTERN

CACHE_FORMAT = 1
CHUNK = 400


@dataclass(frozen=True)
class Entry:
    type: str
    rel: str                 # path below the records root
    id: str | None
    problems: tuple          # ((code, message, hint, key, line), …)
    summary: tuple           # (id, status, person, start, end, ref) — for the checks across records
    duties: tuple            # ((what, due ISO, owner, wall_clock), …)


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


# -- one file ----------------------------------------------------------------------------------

_WORKER: dict = {}


def _analyse(rtype: str, rel: str, data: bytes, ctx: Context, workflows) -> Entry:
    out = Problems()
    wf = workflows[rtype]
    try:
        rec = yamlio.load(data)
    except yamlio.YamlError as exc:
        return Entry(rtype, rel, None, (("YAML", exc.message, exc.hint, (), exc.line or 1),), (None,) * 6, ())
    if not isinstance(rec, dict):
        return Entry(rtype, rel, None, (("BAD_RECORD", f"a {rtype} file must be a mapping of fields", None, (), 1),),
                     (None,) * 6, ())
    record_id = rec.get("id")
    stem = Path(rel).stem
    if isinstance(record_id, str):
        match = ID_PATTERN.match(record_id)
        if stem != record_id:
            out.add("", "ID_MISMATCH", f"id {record_id} does not match the file name {stem}.yaml",
                    "rename the file or fix the id", key=("id",))
        if not match or match["prefix"] != wf.prefix:
            out.add("", "BAD_ID", f"id {record_id} is not a {rtype} id ({wf.prefix}-YYYYMMDD-XXXXXX)", key=("id",))
    well_formed = check_record(rec, wf, ctx, out, "")
    duties = tuple((d.what, d.due.isoformat(), d.owner, d.wall_clock) for d in wf.duties(rec, ctx)
                   if d.due is not None) if well_formed else ()
    summary = (record_id if isinstance(record_id, str) else None, rec.get("status"),
               _text(rec.get("person")), _text(rec.get("start")), _text(rec.get("end")), _text(rec.get("ref")))
    problems = tuple((p.code, p.message, p.hint, p.key, p.line) for p in out)
    return Entry(rtype, rel, summary[0], problems, summary if well_formed else (summary[0],) + (None,) * 5, duties)


def _text(value):
    return value if isinstance(value, str) else None


def _work(chunk: list[tuple[str, str, str]]) -> list[tuple]:
    """In a worker: read, parse and check a chunk of files → (key, Entry fields)."""
    ctx, workflows, root = _WORKER["ctx"], _WORKER["workflows"], _WORKER["root"]
    out = []
    for rtype, rel, blob in chunk:
        try:
            data = (root / rel).read_bytes()
        except OSError as exc:
            entry = Entry(rtype, rel, None, (("YAML", f"cannot read file: {exc.strerror}", None, (), 1),),
                          (None,) * 6, ())
        else:
            entry = _analyse(rtype, rel, data, ctx, workflows)
            blob = blob or blob_id(data)
        out.append((f"{blob}:{rel}", tuple(entry.__dict__.values())))
    return out


# -- the whole repository ----------------------------------------------------------------------

def fingerprint(store, policy_bytes: bytes) -> str:
    """What per-record results depend on besides the file: policy, roster, csops itself."""
    digest = hashlib.sha1(b"csops-index %d\n" % CACHE_FORMAT)
    digest.update(policy_bytes)
    for path in store.person_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _known_blobs(git, root: Path) -> dict[str, str] | None:
    """rel path → blob id for every record file Git says is unchanged in the work tree."""
    if git is None:
        return None
    prefix = git.rel(root)
    prefix = "" if prefix == "." else prefix + "/"
    try:
        staged = git.run("ls-files", "-s", "-z", "--", prefix or ".")
        dirty = git.run("status", "--porcelain", "-z", "--untracked-files=no", "--no-renames", "--", prefix or ".")
    except Exception:  # noqa: BLE001 - no usable Git: everything is read from disk
        return None
    changed = set()
    for item in dirty.split("\0"):
        if len(item) > 3:
            changed.add(item[3:])
    blobs = {}
    for item in staged.split("\0"):
        if not item:
            continue
        meta, path = item.split("\t", 1)
        if path in changed or not path.startswith(prefix):
            continue
        blobs[path[len(prefix):]] = meta.split()[1]
    return blobs


def _cache_path(git) -> Path | None:
    return (git.git_dir / "csops-cache" / "index.marshal") if git is not None else None


def _load_cache(path: Path | None, stamp: str) -> dict:
    if path is None:
        return {}
    try:
        with open(path, "rb") as handle:
            data = marshal.load(handle)
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or data.get("fingerprint") != stamp:
            return {}
        entries = data["entries"]
        return entries if isinstance(entries, dict) else {}
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        return {}          # missing or corrupt: rebuilt, never trusted


def _save_cache(path: Path | None, stamp: str, entries: dict) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            marshal.dump({"format": CACHE_FORMAT, "fingerprint": stamp, "entries": entries}, handle)
        os.replace(tmp, path)
    except OSError:
        pass               # a cache that cannot be written only costs speed


def build_index(store, ctx: Context, git, *, jobs: int | None = None, use_cache: bool = True) -> list[Entry]:
    """Every record file's Entry, from the cache where the content is known, else computed."""
    root = store.root
    files = [(rtype, path) for rtype in store.workflows for path in store.files(rtype)]
    rels = [(rtype, os.path.relpath(path, root)) for rtype, path in files]
    stamp = fingerprint(store, store.policy_path.read_bytes())
    cache_path = _cache_path(git) if use_cache else None
    cached = _load_cache(cache_path, stamp) if use_cache else {}
    known = _known_blobs(git, root) or {}
    results: dict[str, tuple] = {}
    todo = []
    for rtype, rel in rels:
        blob = known.get(rel.replace(os.sep, "/"))
        hit = cached.get(f"{blob}:{rel}") if blob else None
        if hit is not None and hit[0] == rtype:
            results[rel] = hit
            continue
        todo.append((rtype, rel, blob))
    fresh = _compute(todo, root, ctx, store.workflows, jobs)
    entries = {}
    for key, values in fresh:
        results[values[1]] = values
        entries[key] = values
    for rtype, rel in rels:
        blob = known.get(rel.replace(os.sep, "/"))
        if blob and rel in results and f"{blob}:{rel}" not in entries:
            entries[f"{blob}:{rel}"] = results[rel]
    if use_cache and (todo or len(entries) != len(cached)):
        _save_cache(cache_path, stamp, {k: v for k, v in entries.items() if not k.startswith("None:")})
    return [Entry(*results[rel]) for _, rel in rels]


def _compute(todo: list, root: Path, ctx: Context, workflows, jobs: int | None) -> list[tuple]:
    _WORKER.update(ctx=ctx, workflows=workflows, root=root)
    jobs = jobs or os.cpu_count() or 1
    chunks = [todo[i:i + CHUNK] for i in range(0, len(todo), CHUNK)]
    if jobs <= 1 or len(chunks) <= 1:
        return [item for chunk in chunks for item in _work(chunk)]
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return [item for part in pool.imap_unordered(_work, chunks) for item in part]


def problems_of(entries: list[Entry], store) -> list[Problem]:
    out = []
    for entry in entries:
        where = store.display(store.root / entry.rel)
        for code, message, hint, key, line in entry.problems:
            out.append(Problem(where, code, message, hint, tuple(key or ()), line))
    return out
