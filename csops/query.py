"""What a read asks the record index for (Where): states, days, column values, customer keys
and words. A hint, never the answer: every record that fits is among those the index gives, and
the caller still tests each one against the files' content — so a read without the index
(CSOPS_CACHE=off) gives the same answer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Where:
    """What a read asks the database for — a hint: every record that fits is among the rows it
    gives, and the caller still tests each (the files are the truth). `columns`: column → the
    values it may have; `keys`: record_keys every row has; `words`: texts its search text holds."""
    status: tuple = ()
    days: tuple | None = None
    columns: tuple = ()                 # ((column, (value, …)), …)
    keys: tuple = ()
    words: tuple = ()
    created: tuple | None = None        # (low, high) ISO days: registered on low ≤ day < high (text)
    owing: bool = False                 # only records owing something past its deadline (the entries know)

    def sql(self, table: str, text_offset: int = 0) -> tuple[str, list]:
        """The WHERE clause (and its parameters) on a record table of the index (csops.cache.db);
        its record_text rows are its rowids plus `text_offset`."""
        conds, params = [], []
        if self.status:
            conds.append(f"status IN ({','.join('?' * len(self.status))})")
            params += list(self.status)
        if self.days is not None:
            conds.append("first_day <= ? AND last_day >= ?")
            params += [self.days[1], self.days[0]]
        for column, values in self.columns:
            conds.append(f"{column} IN ({','.join('?' * len(values))})")
            params += list(values)
        for key in self.keys:
            conds.append("blob IN (SELECT blob FROM record_keys WHERE key = ?)")
            params.append(key)
        if self.created is not None:             # a time written otherwise may fall on any day
            conds.append("(created >= ? AND created < ? OR created IS NULL OR "
                         "created NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*')")
            params += list(self.created)
        if self.words:
            for condition, values in _text_conditions(self.words, int(text_offset)):
                conds.append(condition)
                params += values
        return (" WHERE " + " AND ".join(conds) if conds else ""), params

    def text_counts(self, text_offset: int = 0) -> list[tuple[str, list]]:
        """Queries counting the rows of one type whose text holds the words, one per full-text
        index the words use (each an upper bound of the rows that fit)."""
        return [(f"SELECT count(*) FROM {source}", values)
                for source, values, counted in _text_sources(self.words, int(text_offset)) if counted]


def _text_conditions(words, offset: int) -> list[tuple[str, list]]:
    """Conditions on a record table's rows (its record_text rows are its rowids plus `offset`)
    whose text holds every word (see _text_sources)."""
    return [(f"rowid IN (SELECT rowid - {offset} FROM {source})", values)
            for source, values, _counted in _text_sources(words, offset)]


def _text_sources(words, offset: int) -> list[tuple[str, list, bool]]:
    """The rows of the full-text tables of one type (rowids from `offset`) whose text holds
    every word, as (FROM … WHERE …, its parameters, whether an index finds them): FTS5's trigram
    index for words of three characters or more, the index of two-character tokens
    (record_pairs) for a two-letter or two-digit word, a scan (LIKE) for any other. Each ignores
    ASCII case, as holds_words does; the pairs index may give more (a hint: the caller tests)."""
    long = [w for w in words if len(w) >= 3]
    pairs = [w for w in words if len(w) == 2 and w.isalnum()]
    short = [w for w in words if w not in long and w not in pairs]
    out = []
    mine = f"rowid BETWEEN {offset} AND {offset + (1 << 40) - 1}"     # this type's rows only
    if long:
        out.append((f"record_text WHERE record_text MATCH ? AND {mine}",
                    [" AND ".join('"' + w.replace('"', '""') + '"' for w in long)], True))
    if pairs:
        out.append((f"record_pairs WHERE record_pairs MATCH ? AND {mine}",
                    [" AND ".join('"' + fold(w) + '"' for w in pairs)], True))
    for word in short:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        out.append((f"record_text WHERE body LIKE ? ESCAPE '\\' AND {mine}", ["%" + escaped + "%"], False))
    return out


def fold(text: str) -> str:
    """ASCII letters in lower case, every other character as it is: how SQLite's LIKE and the
    trigram index compare (a Python test of the same words must agree with them)."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def holds_words(text: str, words) -> bool:
    """Whether `text` holds every one of `words` (ASCII case ignored)."""
    folded = fold(text)
    return all(fold(word) in folded for word in words)
