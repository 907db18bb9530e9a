"""Records on disk: finding the records root, listing and bulk-loading record files, locating a
record by id, new ids, and atomic writes of files that are not committed (reports).

Bulk reads go through the C YAML loader (csops.yamlio.load). The store knows record types from
the vocabulary (folders, prefixes), never from the workflow tables. Writes to records go through
csops.txn, which commits them.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import time
from pathlib import Path

from csops import yamlio
from csops.pool import in_parallel
from csops.errors import BadInput, Conflict, NotFound
from csops.i18n import _
from csops.vocab import PEOPLE, POLICY, PREFIXES, ROSTER, TYPES

ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"   # Crockford base32: no I, L, O, U
ID_RANDOM_CHARS = 6
RACY_NS = 2_000_000_000       # a folder changed this recently may change again within its timestamp
ID_PATTERN = re.compile(r"^(?P<prefix>[A-Z])-(?P<date>\d{8})-(?P<rand>[0-9A-Z]{4,16})$")


def random_text(count: int) -> str:
    """`count` characters of ID_ALPHABET from the system's random source, as `secrets` would pick
    them (whose import costs every write 1-2 ms): ID_ALPHABET has 32 characters, so a byte's low
    five bits pick one evenly."""
    return "".join(ID_ALPHABET[byte & 31] for byte in os.urandom(count))


class Rec:
    """One record file as read by the bulk loader."""
    __slots__ = ("type", "path", "data", "error")

    def __init__(self, type: str, path: Path | str, data: dict | None, error: yamlio.YamlError | None = None):
        self.type, self.path, self.data, self.error = type, path, data, error

    @property
    def id(self):
        return self.data.get("id") if isinstance(self.data, dict) else None


def caching() -> bool:
    """CSOPS_CACHE=off reads and checks every file afresh (to compare, or to rule the caches out):
    the record index and the record caches (csops.cache). Here, not there: a write asks it
    without loading the index."""
    return os.environ.get("CSOPS_CACHE", "").strip().lower() not in ("off", "0", "no", "false")


def type_of_id(record_id: str) -> str | None:
    """The record type a whole id names (its prefix), or None (not a whole id)."""
    match = ID_PATTERN.match(record_id or "")
    return PREFIXES.get(match["prefix"]) if match else None


def canonical_rel(rtype: str, record_id: str) -> str:
    """tickets/2026/11/T-20261123-7K3Q5X.yaml, from the records root: the date in the id picks
    the folder (Store.canonical_path)."""
    match = ID_PATTERN.match(record_id)
    date = match["date"] if match else "00000000"
    return f"{TYPES[rtype].folder}/{date[:4]}/{date[4:6]}/{record_id}.yaml"


def find_records_root(start: Path | str, override: str | None = None) -> Path:
    """--records / CSOPS_RECORDS, else the first `records/` with a policy.yaml walking up."""
    if override:
        root = Path(override).expanduser().resolve()
        if (root / POLICY).is_file():
            return root
        if (root / "records" / POLICY).is_file():
            return root / "records"
        raise NotFound(_("{override}: no {POLICY} there",
                         override=override, POLICY=POLICY), _('pass the records folder (the one holding policy.yaml)'))
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if folder.name == "records" and (folder / POLICY).is_file():
            return folder
        if (folder / "records" / POLICY).is_file():
            return folder / "records"
    raise NotFound(_("no records/{POLICY} in {start} or above", POLICY=POLICY, start=start),
                   _('run csops init DIR, cd into a records repo, or pass --records PATH'))


class Store:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.types = tuple(TYPES)
        self.links: dict[str, list[str]] = {}       # type → symbolic links found in its folders (never read)
        self.hidden: dict[str, list[str]] = {}      # type → dot files in its folders (an interrupted write's temps)
        self.parse_cache = yamlio.ParseCache()     # the policy and the people, parsed once per content

    # -- paths --------------------------------------------------------------------------------

    @property
    def policy_path(self) -> Path:
        return self.root / POLICY

    @property
    def people_dir(self) -> Path:
        return self.root / PEOPLE

    def type_dir(self, rtype: str) -> Path:
        return self.root / TYPES[rtype].folder

    def display(self, path) -> str:
        """A path as messages show it: relative to the working directory when inside it."""
        text = os.fspath(path)
        try:
            rel = os.path.relpath(text, os.getcwd())
        except ValueError:
            return text
        return rel if not rel.startswith("..") else text

    def files(self, rtype: str) -> list[Path]:
        return [self.root / rel for rel in self.rel_files(rtype)]

    def rel_files(self, rtype: str, before: dict | None = None, after: dict | None = None) -> list[str]:
        """Record files of a type as paths relative to the records root (plain strings: this runs
        over every file of a large repository).

        `before`/`after` remember folders between runs (the record index keeps them): a folder
        whose modification time, change time and inode are what they were is not listed again
        (adding, removing or renaming an entry changes them). A folder with a link in it, or
        changed in the last seconds (the same clock tick as a listing), is always listed."""
        folder = TYPES[rtype].folder
        out, links, hidden = [], [], []
        stack = [folder]
        root = str(self.root)
        settled = time.time_ns() - RACY_NS
        while stack:
            rel = stack.pop()
            key = None
            if after is not None:
                key = _folder_key(os.path.join(root, rel))
                if key is None:
                    continue
                known = before.get(rel) if before else None
                if known is not None and known[0] == key:
                    out.extend(known[1].split("\n") if known[1] else ())
                    stack.extend(known[2])
                    hidden.extend(known[3])
                    after[rel] = known
                    continue
            try:
                entries = list(os.scandir(os.path.join(root, rel)))
            except (FileNotFoundError, NotADirectoryError):
                continue
            subdirs, files, linked, dotted = [], [], False, []
            for entry in entries:
                if entry.name.startswith("."):
                    if not entry.is_dir():
                        dotted.append(f"{rel}/{entry.name}")
                    continue
                if entry.is_symlink():         # never followed: see link_problem
                    linked = True
                    links.append(f"{rel}/{entry.name}")
                    continue
                if entry.is_dir():
                    subdirs.append(f"{rel}/{entry.name}")
                elif entry.name.endswith(".yaml"):
                    files.append(f"{rel}/{entry.name}")
            out.extend(files)
            stack.extend(subdirs)
            hidden.extend(dotted)
            if key is not None and not linked and max(key[0], key[1]) < settled:
                after[rel] = (key, "\n".join(files), subdirs, dotted)
        out.sort()
        self.links[rtype] = sorted(links)
        self.hidden[rtype] = sorted(hidden)
        return out

    def folders_unchanged(self, before: dict) -> bool:
        """Whether every folder of every record type is as `before` remembers it (rel_files
        would list the same files), by one stat per folder."""
        stack = [(rtype, TYPES[rtype].folder) for rtype in self.types]
        root = str(self.root)
        hidden: dict[str, list[str]] = {rtype: [] for rtype in self.types}
        while stack:
            rtype, rel = stack.pop()
            known, key = before.get(rel), _folder_key(os.path.join(root, rel))
            if key is None and known is None:
                continue                    # absent then and now
            if known is None or known[0] != key:
                return False
            stack.extend((rtype, sub) for sub in known[2])
            hidden[rtype].extend(known[3])
        for rtype in self.types:
            self.links[rtype] = []          # a folder with a link in it is never remembered
            self.hidden[rtype] = sorted(hidden[rtype])
        return True

    def dot_files(self) -> list[Path] | None:
        """Every dot file under the records root, from what the last listing of every type's
        folders saw (None when some type was not listed): an interrupted write's temps are
        found without walking a large tree again."""
        if any(rtype not in self.hidden for rtype in self.types):
            return None
        folders = {TYPES[rtype].folder.split("/")[0] for rtype in self.types}
        out = [self.root / rel for rtype in self.types for rel in self.hidden[rtype]]
        for folder, dirs, names in os.walk(self.root):
            if Path(folder) == self.root:
                dirs[:] = [d for d in dirs if d not in folders]
            out.extend(Path(folder) / name for name in names if name.startswith("."))
        return out

    def link_problem(self, rel: str) -> tuple[str, str, str]:
        """(code, message, hint) of a symbolic link found among the records (`rel` under the
        root). Records are plain files: a link is never read — the audit replays what Git
        stores, which for a link is its text, so an edit made through it would pass unseen."""
        target = os.path.realpath(self.root / rel)
        if not target.startswith(str(self.root) + os.sep):
            return ("SYMLINK_OUTSIDE", _("links outside the records folder ({target})", target=target),
                    _('records live in the records folder; replace the link with the file'))
        return ("SYMLINK_NOT_ALLOWED", _("is a symbolic link; records are plain files (a change made through a "
                                         "link would escape the audit)"),
                _('replace the link with the file it points to (git rm the link, git mv the file here)'))

    def link_skips(self, rtype: str) -> list[tuple[str, str]]:
        """(rel, "CODE message") of the links among a type's records, as listings report them."""
        return [(rel, "{} {}".format(*self.link_problem(rel)[:2])) for rel in self.links.get(rtype, [])]

    def inside(self, path: Path) -> Path:
        """`path` if neither it nor a folder on the way to it under the records root is a
        symbolic link (link_problem); else refused."""
        try:
            parts = Path(path).relative_to(self.root).parts
        except ValueError:
            parts = ()
        for depth in range(1, len(parts) + 1):
            rel = "/".join(parts[:depth])
            if os.path.islink(self.root / rel):
                code, message, hint = self.link_problem(rel)
                raise BadInput(f"{self.display(self.root / rel)}: {code} {message}", hint)
        if not os.path.realpath(path).startswith(str(self.root) + os.sep):
            code, message, hint = self.link_problem(os.path.relpath(path, self.root))
            raise BadInput(f"{self.display(path)}: {code} {message}", hint)
        return path

    def person_files(self) -> list[Path]:
        """The people's files; a link among them is never read (links["people"]: validate names it)."""
        if not self.people_dir.is_dir() or self.people_dir.is_symlink():
            self.links["people"] = [PEOPLE] if self.people_dir.is_symlink() else []
            return []
        found = sorted(p for p in self.people_dir.glob("*.yaml") if not p.name.startswith("."))
        self.links["people"] = [f"{PEOPLE}/{p.name}" for p in found if p.is_symlink()]
        return [p for p in found if not p.is_symlink()]

    # -- reading ------------------------------------------------------------------------------

    def read(self, rtype: str, path: Path) -> Rec:
        return Rec(rtype, path, *read_yaml(path))

    def current(self, ref: str, rtype: str) -> tuple[Path, dict]:
        """The record a command is about to act on, by id: (path, fields); a file that cannot be
        read as a record is refused with its place (a command never guesses at a broken file)."""
        _ignored, path = self.locate(ref, rtype)
        rec = self.read(rtype, path)
        if rec.error is not None:
            raise BadInput(f"{self.display(path)}:{rec.error.line or 1}: {rec.error.code} {rec.error.message}",
                           _('fix the file (csops validate shows every problem), then try again'))
        if not isinstance(rec.data, dict):
            raise BadInput(_("{file}:1: BAD_RECORD a {rtype} file must be a mapping of fields",
                             file=self.display(path), rtype=rtype),
                           _('fix the file (csops validate shows every problem), then try again'))
        return path, rec.data

    def load_type(self, rtype: str, *, jobs: int | None = None, parallel_from: int = 1000) -> list[Rec]:
        """Every record of a type, parsed with libyaml — by one process per core when there are
        many files (listing and reports on years of records)."""
        _READER["root"] = str(self.root)
        parsed = in_parallel(_read_chunk, self.rel_files(rtype), jobs=jobs, parallel_from=parallel_from)
        return [Rec(rtype, self.root / rel, data, yamlio.YamlError(message, line, code) if message else None)
                for rel, data, message, line, code in parsed]

    def roster_files(self) -> list[Path]:
        """The duty roster's month files, records/roster/*.yaml, oldest first; a link among them
        is never read (links["roster"]: validate names it)."""
        folder = self.root / ROSTER
        if not folder.is_dir() or folder.is_symlink():
            self.links["roster"] = [ROSTER] if folder.is_symlink() else []
            return []
        found = sorted(p for p in folder.glob("*.yaml") if not p.name.startswith("."))
        self.links["roster"] = [f"{ROSTER}/{p.name}" for p in found if p.is_symlink()]
        return [p for p in found if p.is_file() and not p.is_symlink()]

    def roster_docs(self) -> list[tuple[Path, object, yamlio.YamlError | None]]:
        """(path, parsed YAML or None, the error) of every roster file."""
        return [(path, *read_yaml(path, yamlio.POLICY_BYTES, self.parse_cache)) for path in self.roster_files()]

    def person_docs(self) -> list[tuple[Path, object, yamlio.YamlError | None]]:
        """Every roster file as (path, data, error)."""
        return [(path, *read_yaml(path, yamlio.POLICY_BYTES, self.parse_cache)) for path in self.person_files()]

    def roster(self, docs=None, *, strict: bool = True):
        """The roster; `strict` refuses a roster file that does not parse (validate reports it
        instead and builds the roster from the rest)."""
        from csops.people import Person, Roster

        people = {}
        for path, data, error in docs if docs is not None else self.person_docs():
            if error is not None and strict:
                raise BadInput(f"{self.display(path)}:{error.line or 1}: {error.message}", error.hint)
            if isinstance(data, dict) and data.get("id"):
                people[str(data["id"])] = Person.from_data(data)
        return Roster(people)

    def keep_parses_in(self, git_dir: Path) -> None:
        """Keep what this store parses (the policy, the people) in the repository's cache, for
        the next command: `parse_cache.save()` writes it."""
        self.parse_cache = yamlio.ParseCache(Path(git_dir) / "csops-cache" / "parsed.marshal")

    def policy(self):
        from csops.policy import load_policy

        return load_policy(self.policy_path, self.display(self.policy_path), self.parse_cache)

    # -- ids ----------------------------------------------------------------------------------

    def type_of_id(self, record_id: str) -> str | None:
        return type_of_id(record_id)

    def canonical_path(self, rtype: str, record_id: str) -> Path:
        """tickets/2026/11/T-20261123-7K3Q5X.yaml: the date in the id picks the folder."""
        return self.root / canonical_rel(rtype, record_id)

    def new_id(self, rtype: str, local_date) -> str:
        prefix = TYPES[rtype].prefix
        for _ignored in range(20):
            rand = random_text(ID_RANDOM_CHARS)
            record_id = f"{prefix}-{local_date:%Y%m%d}-{rand}"
            if not self.canonical_path(rtype, record_id).exists():
                return record_id
        raise Conflict(_('could not find a free record id'))  # pragma: no cover - 32**6 choices

    def locate(self, ref: str, rtype: str | None = None) -> tuple[str, Path]:
        """(type, path) of a record by full id, or by a unique abbreviation (e.g. 7K3Q)."""
        ref = (ref or "").strip()
        if not ref:
            raise BadInput(_('no record id given'))
        full_type = self.type_of_id(ref.upper())
        if full_type:
            if rtype and full_type != rtype:
                raise BadInput(_("{ref} is a {full_type}, not a {rtype}",
                                 ref=ref, full_type=full_type, rtype=rtype), _("use csops {full_type} …",
                                                                               full_type=full_type))
            path = self.canonical_path(full_type, ref.upper())
            if path.is_file():
                return full_type, self.inside(path)
        wanted = ref.upper()
        matches = []
        for candidate in ([rtype] if rtype else list(TYPES)):
            for path in self.files(candidate):
                stem = path.stem.upper()
                if stem == wanted or stem.endswith(wanted) or (len(wanted) >= 4 and wanted in stem):
                    matches.append((candidate, path))
        exact = [m for m in matches if m[1].stem.upper() == wanted]
        if len(exact) == 1 or len(matches) == 1:
            rtype_found, path = (exact or matches)[0]
            return rtype_found, self.inside(path)
        if not matches:
            raise NotFound(_("no {rtype} {ref}", rtype=rtype or _("record"), ref=ref),
                           _("see csops {command} list", command=rtype or "ticket"))
        names = ", ".join(sorted(p.stem for _ignored, p in matches)[:5])
        raise BadInput(_("{ref} is ambiguous: {names}", ref=ref, names=names), _('give more of the id'))

def _folder_key(path: str) -> tuple | None:
    """What changes when a folder gains, loses or renames an entry: its modification and change
    times and its inode (None: no such folder)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def read_yaml(path, limit: int = yamlio.RECORD_BYTES, parse_cache: yamlio.ParseCache | None = None
              ) -> tuple[object, yamlio.YamlError | None]:
    """(data, None), or (None, the error naming the line) for a file that cannot be read or parsed
    (through `parse_cache` when given: Store.parse_cache, for the policy and the people)."""
    try:
        data, size = read_regular(path, limit)   # never more than the limit read into memory
        return (parse_cache or yamlio).load(data, limit=limit, size=size), None
    except yamlio.YamlError as exc:
        return None, exc
    except OSError as exc:
        return None, yamlio.YamlError(_("cannot read file: {reason}", reason=exc.strerror), None)


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def read_regular(path: str | Path, limit: int | None = None) -> tuple[bytes, int]:
    """(the bytes of a regular file — to its end, or `limit` + 1 of them —, its size when
    opened). Anything else is an OSError "not a regular file": a FIFO is opened without
    blocking and refused, as are a folder, a device, a socket and a link to nothing. One open
    and one fstat: what a cold validate pays per file."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        if not os.path.isfile(path):     # a dangling link, a socket, a loop, gone meanwhile, a folder on Windows
            raise OSError(0, _("not a regular file")) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(0, _("not a regular file"))
        size, budget = info.st_size, None if limit is None else limit + 1
        parts, total = [], 0
        want = size + 1 if budget is None else min(size + 1, budget)
        while want > 0:                  # to the end (a file may grow while it is read), or the budget
            part = os.read(fd, want)
            if not part:
                break
            parts.append(part)
            total += len(part)
            if len(part) < want:         # a regular file reads short only at its end: no second read
                break
            want = 1 << 16 if budget is None else min(1 << 16, budget - total)
        return b"".join(parts), size     # one part: that very object, not a copy
    finally:
        os.close(fd)


_READER: dict = {}


def _read_chunk(rels: list[str]) -> list[tuple]:
    """In a worker: (rel, data, error message, error line) for each file of a chunk (plain
    tuples: they travel back between processes)."""
    out = []
    for rel in rels:
        data, error = read_yaml(os.path.join(_READER["root"], rel))
        out.append((rel, data, error.message if error else None, error.line if error else None,
                    error.code if error else None))
    return out


def write_file(path: Path, data: bytes, *, sync: bool = True) -> None:
    """All of `data` to `path`, then fsync (no rename: the caller decides when it becomes visible;
    `sync=False`: the caller flushes many files at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (Windows cannot open a folder; NTFS journals the rename)."""
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def output_path(target) -> Path:
    """Where a report or export named `target` is written (through a temporary file renamed
    over it): through a symbolic link the user named, to the file it points at (the link stays);
    a pipe, a device or a socket is refused — renaming over it would replace it with a file."""
    import stat

    path = Path(os.path.realpath(target)) if os.path.islink(target) else Path(target)
    for folder in Path(os.path.realpath(path)).parents:
        if ((folder / POLICY).is_file() and (folder / PEOPLE).is_dir()) or folder.name == ".git":
            raise BadInput(_("{file}: is inside a records folder or a Git folder", file=target),
                           _('write reports and exports somewhere else (a report there would replace a record)'))
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return path                           # not there yet (or unreachable: the write says why)
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise BadInput(_("{file}: is a pipe, device or socket, not a file", file=target),
                       _('write to a file (or leave --output out and redirect the output)'))
    return path


def atomic_write(path: Path, data: str | bytes, *, sync_dir: bool = True, temp: str | None = None) -> None:
    """Write via a temp file in the same folder, fsync, then rename over the target: a reader
    never sees a torn file (a report, a merge driver's result, csops' journal)."""
    tmp = path.with_name(temp or f".{path.name}.{os.getpid()}.part")
    try:
        write_file(tmp, data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    if sync_dir:
        fsync_dir(path.parent)
