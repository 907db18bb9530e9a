"""The record index's database: one SQLite file beside the Git data (.git/csops-cache/index.sqlite)
holding every record content csops has read — parsed, in the record tables of csops.tables, with
the keys that find a customer and a full-text index (FTS5, trigram) — so that a listing, a report
or a search reads only the records it asks for.

Rows are kept by content (the file's Git blob id): a row never goes stale, and the files a type
has now are matched to their rows by blob (csops.cache.index). A type's rows are `synced` when
the database holds a row for each file Git vouches for; otherwise the missing ones are parsed and
added first. Rows no file has any more are dropped when they outnumber the live ones by a quarter.
The database is a cache: a damaged or locked one is set aside and the command reads the files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import marshal
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from csops import tables
from csops.query import Where
from csops.errors import CsopsError
from csops.i18n import _

FORMAT = 7
NAME = "index.sqlite"

_ANY_DAY = ("0000-00-00", "9999-99-99")      # a time that is not ISO text may fall on any day
_NO_DAY = ("9999-99-99", "0000-00-00")       # no steps at all: on no day
_DAY_FIELDS = {"leave": ("start", "end"), "score": ("date",), "swap": ("date", "with_date")}


def _format(db) -> str | None:
    try:
        row = db.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
    except sqlite3.OperationalError:               # no such table: a new file
        return None
    return row[0] if row else None


def _schema() -> list[str]:
    out = ["CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)"]
    for rtype, (table, columns) in tables.TABLES.items():
        decls = ", ".join(f"{c.name} {c.decl.split()[0]}" for c in columns)
        # steps: what the reports counting people's steps read (csops.steps.steps), marshalled
        out.append(f"CREATE TABLE {table} (blob TEXT PRIMARY KEY, first_day TEXT, last_day TEXT, created_at REAL, "
                   f"steps BLOB, {decls})")
        # the parsed records apart, by the same rowid: a query that reads many rows' columns
        # (a search's matches ordered by time) does not page through their data
        out.append(f"CREATE TABLE {table}_data (data BLOB NOT NULL)")
        out.append(f"CREATE INDEX {table}_status ON {table}(status, created)")
        # what reads narrow by: the days a record touches (a month's report), the registration
        # (search's newest first, --since), and the people and codes a filter names — a scan
        # would read every row's parsed record with it
        out.append(f"CREATE INDEX {table}_days ON {table}(last_day, first_day)")
        out.append(f"CREATE INDEX {table}_created ON {table}(created)")
        # the registration as a moment (a time written with its UTC offset; NULL for any other):
        # search's newest first, read off this index in order until a page has filled
        out.append(f"CREATE INDEX {table}_at ON {table}(created_at)")
        for column in ("assignee", "person", "code", "created_by"):
            if any(c.name == column for c in columns):
                out.append(f"CREATE INDEX {table}_{column} ON {table}({column})")
    out.append("CREATE TABLE record_keys (blob TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (key, blob)) "
               "WITHOUT ROWID")
    # one full-text row per record row: its rowid is the record row's plus its type's offset
    out.append("CREATE VIRTUAL TABLE record_text USING fts5(body, tokenize = 'trigram')")
    # …and its two-character words as tokens (电饭煲内胆 → 电饭 饭煲 煲内 内胆): a trigram index cannot
    # look up a two-character word, the commonest Chinese query (内胆, 退款, 破损)
    out.append("CREATE VIRTUAL TABLE record_pairs USING fts5(pairs, tokenize = 'unicode61 remove_diacritics 0')")
    out.append("CREATE TABLE derived (token TEXT NOT NULL, name TEXT NOT NULL, value BLOB, PRIMARY KEY (token, name))")
    return out


class NoFullText(CsopsError):
    exit_code = 2


@functools.lru_cache(maxsize=1)
def full_text_problem() -> str | None:
    """Why this Python's SQLite cannot search (FTS5 with the trigram tokenizer: SQLite 3.34 or
    later, built with FTS5), or None — asked once per process (every read opens the database)."""
    try:
        with contextlib.closing(sqlite3.connect(":memory:")) as db:
            db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'trigram')")
    except sqlite3.Error as exc:
        return _("this Python's SQLite {version} cannot search Chinese text ({reason}): install a Python built "
                 "with SQLite 3.34 or later and FTS5 (python.org and Debian 12 builds are)",
                 version=sqlite3.sqlite_version, reason=exc)
    return None


def days_of(rtype: str, data: dict) -> tuple[str, str]:
    """The first and last day (ISO) a record touches — its steps and callbacks, a leave's start and
    end, a score event's or a swap's dates; any day when one is not ISO text, no day without any."""
    from csops.workflows.ticket import ISO_DAY, step_days

    days = step_days(data)
    if days is None:
        return _ANY_DAY
    for name in _DAY_FIELDS.get(rtype, ()):
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not ISO_DAY.match(value):
            return _ANY_DAY
        days.append(value[:10])
    return (min(days), max(days)) if days else _NO_DAY


@dataclass
class RecordDB:
    """An open index database."""
    path: Path
    db: sqlite3.Connection
    synced: dict = field(default_factory=dict)
    broken: bool = False                # an error this command: the rest of its reads go to the files
    known: dict | None = None           # the meta table, read once (meta)

    @classmethod
    def open(cls, git) -> "RecordDB | None":
        """The database under Git's directory, made when missing, made afresh when it is of
        another format or damaged; None without Git or when SQLite cannot (reads then come from
        the files)."""
        if git is None or full_text_problem() is not None:
            return None
        path = git.git_dir / "csops-cache" / NAME
        for attempt in (1, 2):
            try:
                path.parent.mkdir(exist_ok=True)
                db = sqlite3.connect(path, timeout=3, isolation_level=None, check_same_thread=False)
                try:
                    return cls._ready(path, db)
                except BaseException:
                    db.close()
                    raise
            except sqlite3.OperationalError:
                return None                                 # locked, read-only, a full disk: read the files
            except sqlite3.DatabaseError:                   # not a database (damaged)
                if attempt == 2:
                    return None
                for suffix in ("", "-wal", "-shm"):        # damaged: set aside, made anew
                    with contextlib.suppress(OSError):
                        os.unlink(f"{path}{suffix}")
            except OSError:
                return None
        return None

    @classmethod
    def _ready(cls, path: Path, db: sqlite3.Connection) -> "RecordDB":
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        stamp = _stamp()
        if _format(db) != stamp:
            db.execute("BEGIN IMMEDIATE")           # another command may be making it right now
            try:
                if _format(db) != stamp:
                    for kind, name in db.execute(
                            "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE "
                            "'sqlite_%' AND name NOT LIKE 'record_text_%' AND name NOT LIKE 'record_pairs_%'").fetchall():
                        db.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
                    for statement in _schema():
                        db.execute(statement)
                    db.execute("INSERT INTO meta VALUES ('format', ?)", (stamp,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return cls(path, db)

    def close(self) -> None:
        self.db.close()

    # -- keeping a type's rows in step with its files ------------------------------------------

    def meta(self, name: str) -> str | None:
        """A value of the meta table, as it was when this command first asked (read at once: a
        read asks a few for every record type)."""
        if self.known is None:
            self.known = dict(self.db.execute("SELECT name, value FROM meta").fetchall())
        return self.known.get(name)

    def set_meta(self, name: str, value: str) -> None:
        with self._writing():
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))
        if self.known is not None:
            self.known[name] = value

    def ids_with(self, rtype: str, keys: list[str]) -> set[str]:
        """The ids of records some content of which (live or not) has one of `keys` (record_keys)."""
        table = tables.TABLES[rtype][0]
        marks = ",".join("?" * len(keys))
        return {row[0] for row in self.db.execute(
            f"SELECT DISTINCT t.id FROM record_keys k JOIN {table} t ON t.blob = k.blob WHERE k.key IN ({marks})",
            keys)}

    def is_synced(self, rtype: str, signature: str) -> bool:
        if rtype not in self.synced:
            row = self.db.execute("SELECT value FROM meta WHERE name = ?", (f"synced:{rtype}",)).fetchone()
            self.synced[rtype] = row[0] if row else None
        return self.synced[rtype] == signature

    def in_state(self, rtype: str, state: str) -> bool:
        """Whether the type was synced for this very index state (csops.cache.index.Index.state)."""
        return self.meta(f"state:{rtype}") == state

    def blobs(self, rtype: str) -> set[str]:
        table = tables.TABLES[rtype][0]
        return {row[0] for row in self.db.execute(f"SELECT blob FROM {table}")}

    def blobs_among(self, rtype: str, blobs: list[str]) -> set[str]:
        table, out = tables.TABLES[rtype][0], set()
        for start in range(0, len(blobs), 500):
            part = blobs[start:start + 500]
            out.update(row[0] for row in self.db.execute(
                f"SELECT blob FROM {table} WHERE blob IN ({','.join('?' * len(part))})", part))
        return out

    def add(self, rtype: str, items: list[tuple[str, dict]]) -> None:
        """Rows for records read from their files: (blob, data)."""
        table, columns = tables.TABLES[rtype]
        marks = ",".join("?" * (5 + len(columns)))
        offset = text_offset(rtype)
        with self._writing():
            db = self.db
            for blob, data in items:
                try:
                    payload = marshal.dumps(data)
                except ValueError:
                    continue                 # a value marshal cannot keep: read from the file each time
                cursor = db.execute(f"INSERT OR IGNORE INTO {table} VALUES ({marks})",
                                    (blob, *days_of(rtype, data), created_at(data), _steps(rtype, data),
                                     *tables.row(rtype, data)))
                if cursor.rowcount != 1:
                    continue                 # held already
                db.execute(f"INSERT INTO {table}_data (rowid, data) VALUES (?, ?)", (cursor.lastrowid, payload))
                db.executemany("INSERT OR IGNORE INTO record_keys VALUES (?, ?)",
                               [(blob, key) for key in tables.keys(rtype, data)])
                body = tables.searched(rtype, data)
                db.execute("INSERT INTO record_text (rowid, body) VALUES (?, ?)", (cursor.lastrowid + offset, body))
                db.execute("INSERT INTO record_pairs (rowid, pairs) VALUES (?, ?)", (cursor.lastrowid + offset,
                                                                                     pairs(body)))

    def mark_synced(self, rtype: str, signature: str, live: set[str] | None = None) -> None:
        """Remember that every file of the type has its row (`signature`: the listing's, or the
        index state's); drop the rows of contents no file has any more (`live`) when they are
        many."""
        table = tables.TABLES[rtype][0]
        with self._writing():
            if live is not None:
                held = self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                if held > len(live) * 1.25 + 100:
                    gone = [(b,) for b in self.blobs(rtype) - live]
                    self.db.executemany(f"DELETE FROM {table}_data WHERE rowid = (SELECT rowid FROM {table} "
                                        f"WHERE blob = ?)", gone)
                    for fts in ("record_text", "record_pairs"):
                        self.db.executemany(f"DELETE FROM {fts} WHERE rowid = (SELECT rowid + {text_offset(rtype)} "
                                            f"FROM {table} WHERE blob = ?)", gone)
                    self.db.executemany(f"DELETE FROM {table} WHERE blob = ?", gone)
                    self.db.executemany("DELETE FROM record_keys WHERE blob = ?", gone)
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"synced:{rtype}", signature))
        self.synced[rtype] = signature
        if self.known is not None:
            self.known[f"synced:{rtype}"] = signature

    @contextlib.contextmanager
    def _writing(self):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- reading -------------------------------------------------------------------------------

    def select(self, rtype: str, where: Where, blobs: list[str] | None = None):
        """(blob, marshalled data) of every row that fits (any content ever read, live or not),
        one at a time; `blobs`: only among these (a batch of a dump)."""
        table = tables.TABLES[rtype][0]
        conds, params = where.sql(table, text_offset(rtype))
        data = f"(SELECT data FROM {table}_data WHERE {table}_data.rowid = {table}.rowid)"
        if blobs is None:
            yield from self.db.execute(f"SELECT blob, {data} FROM {table}{conds}", params)
            return
        joined = " AND " if conds else " WHERE "
        for start in range(0, len(blobs), 500):
            part = blobs[start:start + 500]
            yield from self.db.execute(f"SELECT blob, {data} FROM {table}{conds}{joined}blob IN "
                                       f"({','.join('?' * len(part))})", [*params, *part]).fetchall()

    def select_steps(self, rtype: str, where: Where):
        """(blob, marshalled Steps or None, marshalled data when there are no Steps) of every row
        that fits (as select)."""
        table = tables.TABLES[rtype][0]
        conds, params = where.sql(table, text_offset(rtype))
        data = f"(SELECT data FROM {table}_data WHERE {table}_data.rowid = {table}.rowid)"
        yield from self.db.execute(f"SELECT blob, steps, CASE WHEN steps IS NULL THEN {data} END FROM {table}{conds}",
                                   params)

    # -- answers derived from one state of the whole index (csops.cache.index.recall/keep) ----

    def heads(self, rtype: str, where: Where, start: int | None = None, size: int = 0, ordered: bool = False
              ) -> list[tuple[str, str, str]]:
        """(blob, id, created) of rows that fit, enough to order them without their data. With
        `start`: rows `start`…`start + size` of those whose registration is a moment (created_at),
        newest first (then by id); without: every other row. `ordered`: read the rows off the
        created_at index in that order, testing each, rather than find every row that fits and
        sort them — much the cheaper when many rows fit and a page is asked for (many_fit)."""
        table = tables.TABLES[rtype][0]
        conds, params = where.sql(table, text_offset(rtype))
        joined = " AND " if conds else " WHERE "
        if start is None:
            return self.db.execute(f"SELECT blob, id, created FROM {table} INDEXED BY {table}_at{conds}{joined}"
                                   f"created_at IS NULL", params).fetchall()
        by = f" INDEXED BY {table}_at" if ordered else ""
        return self.db.execute(f"SELECT blob, id, created FROM {table}{by}{conds}{joined}created_at IS NOT NULL "
                               f"ORDER BY created_at DESC, id, blob LIMIT ? OFFSET ?",
                               [*params, size, start]).fetchall()

    def most_fit(self, rtype: str, where: Where) -> int | None:
        """At most how many rows of the type fit `where`: its words' matches, counted by the
        full-text index (None: it has no word the index counts)."""
        found = [self.db.execute(sql, values).fetchone()[0] for sql, values in where.text_counts(text_offset(rtype))]
        return min(found) if found else None


    def data_of(self, rtype: str, blobs: list[str]) -> dict[str, bytes]:
        table, out = tables.TABLES[rtype][0], {}
        for start in range(0, len(blobs), 500):
            part = blobs[start:start + 500]
            out.update(self.db.execute(f"SELECT t.blob, d.data FROM {table} t JOIN {table}_data d ON d.rowid = t.rowid "
                                       f"WHERE t.blob IN ({','.join('?' * len(part))})", part).fetchall())
        return out

    def recall(self, token: str, name: str):
        row = self.db.execute("SELECT value FROM derived WHERE token = ? AND name = ?", (token, name)).fetchone()
        if row is None:
            return None
        try:
            return marshal.loads(row[0])
        except (EOFError, ValueError, TypeError):
            return None

    def keep(self, token: str, name: str, value) -> None:
        with self._writing():
            self.db.execute("DELETE FROM derived WHERE token != ?", (token,))
            self.db.execute("INSERT OR REPLACE INTO derived VALUES (?, ?, ?)", (token, name, marshal.dumps(value)))


def _stamp() -> str:
    """How rows were made: a new loader or a new table layout reads every record again."""
    from csops import yamlio

    layout = hashlib.sha1("\n".join(_schema()).encode()).hexdigest()[:12]
    return f"{FORMAT}:{layout}:{yamlio.loader_stamp()}"


STEPPED = ("ticket", "return")      # the types whose rows keep their Steps


def _steps(rtype: str, data: dict) -> bytes | None:
    from csops.steps import steps

    found = steps(data) if rtype in STEPPED else None
    return None if found is None else marshal.dumps(tuple(found))


def created_at(data: dict) -> float | None:
    """A record's registration as a UTC timestamp when it is written with its offset (as csops
    writes it), else None: a time without one is read in the policy's zone, which the rows,
    kept by content alone, do not know."""
    value = data.get("created")
    try:
        at = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return at.timestamp() if at.tzinfo is not None else None


def pairs(text: str) -> str:
    """Every two adjacent letters or digits of a text as a token, lower case (see record_pairs)."""
    from csops.query import fold

    text = fold(text)
    return " ".join(text[at:at + 2] for at in range(len(text) - 1) if text[at].isalnum() and text[at + 1].isalnum())


def text_offset(rtype: str) -> int:
    """Where a type's rows are in record_text: its record table's rowid plus this."""
    return list(tables.TABLES).index(rtype) << 40


def signature(blobs: list) -> str:
    """Names a type's listing: the blob of each of its files in order ("" where Git does not vouch)."""
    return hashlib.sha1("\n".join(b or "" for b in blobs).encode()).hexdigest()


def many_fit(fit: int | None, rows: int, count: int) -> bool:
    """Whether reading `rows` newest first until `count` of at most `fit` fit costs less than
    finding every row that fits and ordering them: when the words are common. A row read in order
    costs about a tenth of a row found by its rowid and sorted."""
    return fit is not None and fit * fit * 10 > rows * count
