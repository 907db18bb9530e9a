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
from csops.vocab import APPEND_ONLY

DERIVED = ("status",)
UTC = dt.timezone.utc


@dataclass
class MergeResult:
    text: str
    conflicts: list[str]       # the fields both sides changed differently
    cannot_stand: tuple | None = None   # (entry before, entry after): steps of the two sides that exclude each other


def _key(item) -> str:
    return repr(sorted(item.items())) if isinstance(item, dict) else repr(item)


def _time(item) -> dt.datetime:
    at = try_instant(item.get("at"), UTC) if isinstance(item, dict) else None
    return at or dt.datetime.max.replace(tzinfo=UTC)


def union_by_time(base: list, ours: list, theirs: list) -> list:
    """Every entry of any side once, ordered by `at`. The order does not depend on which side is
    ours: entries of one side with the same `at` that follow each other (one command's steps)
    stay together in their order, and such runs of the same time are ordered by their first
    entry's content (the base's first)."""
    seen, runs = set(), []
    for origin, items in ((0, base), (1, ours), (2, theirs)):
        run = None
        for item in items or []:
            key = _key(item)
            if key in seen:
                run = None
                continue
            seen.add(key)
            at = _time(item)
            if run is not None and run[0] == at and run[1] == origin:
                run[3].append(item)
            else:
                run = [at, origin, key, [item]]
                runs.append(run)
    runs.sort(key=lambda r: (r[0], r[1] != 0, r[2]))
    return [item for run in runs for item in run[3]]


def _escalation_break(escalations: list) -> tuple | None:
    """Two escalations from the same level (two clones each raised normal → urgent): the second
    does not follow from the first. (The escalation before, the one that breaks the chain.)"""
    level = None
    for before, item in zip([None, *escalations], escalations):
        if not isinstance(item, dict):
            return None
        if level is not None and item.get("from_level") != level and item.get("from_level") != "major":
            return ({"at": before.get("at"), "by": before.get("by"), "to": f"{before.get('to_level')}",
                     "from": f"{before.get('from_level')}", "action": "escalate"},
                    {"at": item.get("at"), "by": item.get("by"), "to": f"{item.get('to_level')}",
                     "from": f"{item.get('from_level')}", "action": "escalate"})
        level = item.get("to_level")
    return None


def way_out() -> str:
    """What to do when two clones' steps on one record cannot both stand. History is
    append-only, so keeping one side in a merge would drop the other's entry (HISTORY_DROPPED):
    the step not yet pushed is dropped before it lands, and made again if it still applies."""
    from csops.i18n import _

    return _("abort (git merge --abort, or git rebase --abort), then git pull --rebase; when it stops at this "
             "record, git rebase --skip drops your commit of it — redo your step with csops if it still applies")


def illegal_step(record: dict, history: list) -> int | None:
    """The index of the first history entry that is no legal step after the one before it (its
    `from` is not the state reached, or no transition of the record's type leads there), or None.
    Roles and guards are validate's: a merge checks the sequence of states."""
    from csops.vocab import TYPES
    from csops.workflows import WORKFLOWS

    rtype = next((t for t, kind in TYPES.items() if str(record.get("id", "")).startswith(kind.prefix + "-")), None)
    if rtype not in WORKFLOWS:
        return None
    workflow, state = WORKFLOWS[rtype], None
    for index, entry in enumerate(history):
        if not isinstance(entry, dict):
            return None
        source = entry.get("from", state) if index else None
        if index and source != state:
            return index
        if workflow.find(source, entry.get("to"), entry.get("action"), record) is None:
            return index
        state = entry.get("to")
    return None


def merge_texts(base: str, ours: str, theirs: str) -> MergeResult | None:
    """The merged text, or None when the files are not records (the caller merges them as text).
    A union of history entries that is no legal sequence (one clone resolved what the other
    escalated) is no merge: the result then carries `cannot_stand` and ours unchanged."""
    try:
        b, o, t = (yamlio.load(x) if x.strip() else {} for x in (base, ours, theirs))
    except yamlio.YamlError:
        return None
    if all(isinstance(x, dict) and isinstance(x.get("days"), dict) and "history" not in x for x in (o, t)):
        return _merge_roster(b if isinstance(b, dict) else {}, o, t, ours)
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
    if "escalations" in doc and isinstance(doc["escalations"], list):
        broken = _escalation_break(list(doc["escalations"]))
        if broken is not None and _escalation_break(o.get("escalations") or []) is None:
            return MergeResult(ours, [], broken)
    if history is not o["history"]:
        bad = illegal_step({**o, **{k: t[k] for k in t if k not in o}}, history)
        if bad is not None and illegal_step(o, o["history"]) is None and illegal_step(t, t["history"]) is None:
            return MergeResult(ours, [], (history[bad - 1] if bad else None, history[bad]))
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


def _merge_roster(base: dict, ours: dict, theirs: dict, ours_text: str) -> MergeResult:
    """A duty roster month (records/roster/YYYY-MM.yaml): each day's shift per person and its
    duty lead merge three-way on their own — two supervisors filling different days, or
    different people on one day, never conflict; one person's shift on one day set differently
    on both sides is a conflict (named)."""
    doc = yamlio.rt_load(ours_text)
    days = doc["days"]
    keys = {str(key): key for key in days}             # ruamel reads a date key as a date
    conflicts = []
    days_b = base.get("days") if isinstance(base.get("days"), dict) else {}
    days_o, days_t = ours["days"], theirs["days"]
    for day in sorted(set(days_o) | set(days_t), key=str):
        b, o, t = (d.get(day) if isinstance(d.get(day), dict) else {} for d in (days_b, days_o, days_t))
        if o == t or t == b:
            continue
        if o == b or day not in days_o:
            days[keys.get(day, day)] = days_t[day] if day in days_t else {}
            continue
        merged_day = days[keys[day]]
        for part in ("shifts", "duty_lead"):
            bp, op, tp = b.get(part), o.get(part), t.get(part)
            if part == "duty_lead":
                if op == tp or tp == bp:
                    continue
                if op == bp:
                    merged_day[part] = tp
                else:
                    conflicts.append(f"{day} duty_lead")
                continue
            bp, op, tp = (x if isinstance(x, dict) else {} for x in (bp, op, tp))
            for person in sorted(set(op) | set(tp), key=str):
                bv, ov, tv = bp.get(person), op.get(person), tp.get(person)
                if ov == tv or tv == bv:
                    continue
                if ov == bv:
                    merged_day.setdefault("shifts", {})[person] = tv
                else:
                    conflicts.append(f"{day} {person}")
    for key, day in days.items():          # a day's lead must be on duty that day (validate: BAD_ROSTER)
        if isinstance(day, dict) and day.get("duty_lead") is not None and \
                (day.get("shifts") or {}).get(day["duty_lead"]) == "off":
            conflicts.append(f"{key} duty_lead")
    if conflicts:
        return MergeResult(ours_text, conflicts)
    doc["days"] = dict(sorted(days.items(), key=lambda kv: str(kv[0])))
    text = yamlio.rt_dump(doc)
    try:
        yamlio.load(text, limit=yamlio.POLICY_BYTES)
    except yamlio.YamlError:
        return MergeResult(ours_text, ["days"])       # never a merged file csops cannot read
    return MergeResult(text, [])
