"""Merging two versions of one record file (the Git merge driver `csops merge-file`).

Two clones that each appended history entries to the same record merge cleanly: the entries
are united and ordered by time, and `status` is re-derived from the last one. Append-only lists
(callbacks, escalations, approvals, vendor notes) are united the same way. Any other field
merges three-way: a change on one side wins; the same change on both sides is taken once; two
different changes to the same field are a conflict, written with Git's conflict markers so that
`csops validate` (and Git) name the file and line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from csops import yamlio
from csops.timeutil import try_instant

APPEND_ONLY = ("history", "callbacks", "escalations", "approvals", "vendor_notes")
DERIVED = ("status",)
UTC = dt.timezone.utc


@dataclass
class MergeResult:
    text: str
    conflicts: list[str]       # the fields both sides changed differently


def _key(item) -> str:
    return repr(sorted(item.items())) if isinstance(item, dict) else repr(item)


def _time(item) -> dt.datetime:
    at = try_instant(item.get("at"), UTC) if isinstance(item, dict) else None
    return at or dt.datetime.max.replace(tzinfo=UTC)


def union_by_time(base: list, ours: list, theirs: list) -> list:
    """Every entry of any side once, ordered by `at` (ties: ours before theirs, in their order)."""
    seen, merged = set(), []
    for origin, items in ((0, base), (1, ours), (2, theirs)):
        for position, item in enumerate(items or []):
            key = _key(item)
            if key not in seen:
                seen.add(key)
                merged.append((_time(item), origin, position, item))
    merged.sort(key=lambda m: (m[0], m[1], m[2]))
    return [m[3] for m in merged]


def merge_texts(base: str, ours: str, theirs: str) -> MergeResult | None:
    """The merged text, or None when the files are not records (the caller merges them as text)."""
    try:
        b, o, t = (yamlio.load(x) if x.strip() else {} for x in (base, ours, theirs))
    except yamlio.YamlError:
        return None
    if not all(isinstance(x, dict) for x in (b, o, t)) or not all(
            isinstance(x.get("history"), list) for x in (o, t)):
        return None
    doc = yamlio.rt_load(ours)
    conflicts, placeholders = [], {}
    history = o["history"]
    keys = list(o) + [k for k in t if k not in o]
    for key in keys:
        if key in DERIVED:
            continue
        bv, ov, tv = b.get(key), o.get(key), t.get(key)
        if key in APPEND_ONLY and isinstance(ov, list) and isinstance(tv, list):
            merged = union_by_time(bv if isinstance(bv, list) else [], ov, tv)
            if merged != ov:
                doc[key] = _reuse(doc.get(key), ov, merged)
            if key == "history":
                history = merged
            continue
        if ov == tv or tv == bv:
            continue                      # no change on their side: ours stands
        if ov == bv:
            if key not in t:
                del doc[key]
            else:
                doc[key] = tv            # only they changed it
            continue
        conflicts.append(key)
        marker = f"__csops_conflict_{len(conflicts)}__"
        placeholders[marker] = (key, ov, tv)
        doc[key] = marker
    if history and isinstance(history[-1], dict) and history[-1].get("to"):
        doc["status"] = history[-1]["to"]
    text = yamlio.rt_dump(doc)
    for marker, (key, ov, tv) in placeholders.items():
        text = re.sub(rf"^{re.escape(str(key))}: {marker}[^\n]*\n", lambda _m: _conflict_block(key, ov, tv), text,
                      flags=re.MULTILINE)
    return MergeResult(text, conflicts)


def _reuse(rt_items, plain_ours: list, merged: list) -> list:
    """The merged list, keeping our round-trip items (with their comments) where they exist."""
    ours_by_key = {_key(p): rt for p, rt in zip(plain_ours, rt_items or [])}
    return [ours_by_key.get(_key(item), item) for item in merged]


def _conflict_block(key, ours, theirs) -> str:
    side = lambda value: yamlio.rt_dump({key: value}) if value is not None else f"# ({key} removed)\n"  # noqa: E731
    return f"<<<<<<< ours\n{side(ours)}=======\n{side(theirs)}>>>>>>> theirs\n"
