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

    def sql(self, table: str) -> tuple[str, list]:
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
        if self.words:
            text, text_params = _text_condition(self.words)
            conds.append(f"blob IN (SELECT blob FROM record_text WHERE {text})")
            params += text_params
        return (" WHERE " + " AND ".join(conds) if conds else ""), params


def _text_condition(words) -> tuple[str, list]:
    """Rows whose body holds every word: FTS5's trigram index for words of three characters or
    more, a scan (LIKE) for shorter ones (a trigram index cannot look them up). Both ignore ASCII
    case, as csops.cache.index.holds_words does."""
    long = [w for w in words if len(w) >= 3]
    short = [w for w in words if len(w) < 3]
    conds, params = [], []
    if long:
        conds.append("record_text MATCH ?")
        params.append(" AND ".join('"' + w.replace('"', '""') + '"' for w in long))
    for word in short:
        conds.append("body LIKE ? ESCAPE '\\'")
        params.append("%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    return " AND ".join(conds), params


def fold(text: str) -> str:
    """ASCII letters in lower case, every other character as it is: how SQLite's LIKE and the
    trigram index compare (a Python test of the same words must agree with them)."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def holds_words(text: str, words) -> bool:
    """Whether `text` holds every one of `words` (ASCII case ignored)."""
    folded = fold(text)
    return all(fold(word) in folded for word in words)
