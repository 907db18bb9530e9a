"""`csops validate`: a registry of working-tree checks, each `check(tree, out)` adding Problems.

The record checks are the engine's (the same the CLI applies before it writes); this module adds
what needs the whole repository: the policy, the roster, ids against file names, duplicates and
references between records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from csops import yamlio
from csops.engine import Context
from csops.i18n import _
from csops.people import PERSON_ID, Roster
from csops.policy import read_policy
from csops.problems import Problem, Problems
from csops.versions import load_versions
from csops.store import Store

CHECKS = []
ACROSS = []          # the checks that read nothing but the record index (and what it is keyed by)


def check(fn):
    CHECKS.append(fn)
    return fn


def across(fn):
    """A check whose problems depend only on the record index: an index that did not change
    since the last run gives the problems that run found (csops.cache.index.Index.token)."""
    ACROSS.append(fn)
    return fn


@dataclass
class Tree:
    store: Store
    policy: object
    roster: Roster
    index: object = None                                 # csops.cache.index.Index: read by what it holds, never whole
    people: list[tuple[Path, dict | None, object]] = field(default_factory=list)
    ctx: Context | None = None
    git: object = None


def validate_tree(store: Store, git=None, *, use_cache: bool = True, now: dt.datetime | None = None,
                  status=None, progress=None) -> list[Problem]:
    """Every working-tree check of the problems sorted by file and line."""
    from csops.cache.db import RecordDB
    from csops.cache.index import build_index, keep, recall
    from csops.store import caching

    out = Problems()
    policy, policy_problems = read_policy(store.policy_path, store.display(store.policy_path), store.parse_cache)
    if policy_problems:
        return resolve_lines(policy_problems)
    people = store.person_docs()
    roster = store.roster(people, strict=False)
    versions = load_versions(store, git, policy, now) if now is not None else None   # the CLI passes its clock
    ctx = Context(versions.at(now) if versions else policy, roster, store, versions=versions)
    index = build_index(store, ctx, git, use_cache=use_cache, status=status, progress=progress, with_facts=False)
    tree = Tree(store, policy, roster, index, people, ctx, git)
    for fn in CHECKS:
        fn(tree, out)
    key = "validate " + store.display(store.root)           # paths are shown relative to where csops runs
    db = RecordDB.open(git) if use_cache and caching() and index.token else None
    try:
        kept = recall(db, index, key)
        if kept is None:
            found = Problems()
            for fn in ACROSS:
                fn(tree, found)
            kept = [(p.path, p.code, p.message, p.hint, tuple(p.key or ()), p.line, p.commit) for p in found.items]
            keep(db, index, key, kept)
    finally:
        if db is not None:
            db.close()
    out.items.extend(Problem(*problem) for problem in kept)
    return resolve_lines(out.items)


@check
def check_people(tree: Tree, out: Problems) -> None:
    policy, emails = tree.policy, {}
    for path, data, error in tree.people:
        where = tree.store.display(path)
        if error is not None:
            out.add(where, error.code, error.message, error.hint, line=error.line)
            continue
        if not isinstance(data, dict):
            out.add(where, "BAD_RECORD", _('a person file must be a mapping (id, name, role, …)'), line=1)
            continue
        pid = data.get("id")
        if not isinstance(pid, str) or not PERSON_ID.match(pid):
            out.add(where, "BAD_FIELD", _("id {pid!r} is not a valid person id", pid=pid),
                                        _('lower-case letters, digits, _ . -'),
                    key=("id",))
        elif path.stem != pid:
            out.add(where, "ID_MISMATCH", _("id {pid} does not match the file name {name}", pid=pid, name=path.name),
                                          key=("id",))
        if not data.get("name"):
            out.add(where, "MISSING_FIELD", _('name is required'), key=("name",))
        if data.get("role") not in policy.roles:
            out.add(where, "BAD_FIELD", _("role {role!r} is not one of {names}",
                                          role=data.get('role'), names=', '.join(policy.roles)), key=("role",))
        boss = data.get("reports_to")
        if boss and boss not in tree.roster:
            out.add(where, "UNKNOWN_PERSON", _("reports_to {boss!r} is not in the roster", boss=boss),
                                             key=("reports_to",))
        if boss and boss == pid:
            out.add(where, "BAD_FIELD", _('a person cannot report to themselves'), key=("reports_to",))
        email = str(data.get("email") or "").lower()
        if email:
            if email in emails:
                out.add(where, "DUPLICATE_EMAIL", _("email {email} is also {other}'s", email=email, other=emails[email]),
                                                  key=("email",))
            emails[email] = pid
        if "active" in data and not isinstance(data.get("active"), bool):
            out.add(where, "BAD_FIELD", _('active must be true or false'), key=("active",))
    for person in tree.roster:           # reported on each person inside a loop, not on everyone below it
        seen, current = {person.id}, person
        while current and current.reports_to:
            if current.reports_to == person.id:
                out.add(tree.store.display(tree.store.people_dir / f"{person.id}.yaml"), "CHAIN_CYCLE",
                        _("the reporting chain above {id} loops back to {id}", id=person.id), key=("reports_to",))
                break
            if current.reports_to in seen:
                break
            seen.add(current.reports_to)
            current = tree.roster.get(current.reports_to)


@check
def check_policy_effective(tree: Tree, out: Problems) -> None:
    """An uncommitted policy that reaches behind the version before it (docs/rules.md): caught before
    the commit, as `validate --history` would after it."""
    versions = tree.ctx.versions.all if tree.ctx is not None and tree.ctx.versions is not None else []
    if len(versions) >= 2 and versions[-1].commit is None and versions[-1].effective < versions[-2].effective:
        out.add(tree.store.display(tree.store.policy_path), "EFFECTIVE_BACKWARDS",
                _("the edited policy is effective {effective}, before the version it replaces ({effective2}, commit "
                  "{commit})",
                  effective=versions[-1].effective, effective2=versions[-2].effective,
                  commit=str(versions[-2].commit)[:10]),
                _("a later version starts on or after the one before it; set effective: accordingly"),
                key=("effective",))


@check
def check_duty_roster(tree: Tree, out: Problems) -> None:
    """records/roster/YYYY-MM.yaml (docs/rules.md): dates of that month, known people, known shifts."""
    from csops.duty import check_roster_file
    from csops.store import read_yaml

    people = {p.id for p in tree.roster}
    shifts = tree.policy.shifts()
    for path in tree.store.roster_files():
        data, error = read_yaml(path, yamlio.POLICY_BYTES, tree.store.parse_cache)
        display = tree.store.display(path)
        if error is not None:
            out.add(display, error.code, error.message, error.hint, line=error.line)
            continue
        check_roster_file(path.name, data, shifts, people, display, out)


@across
def check_records(tree: Tree, out: Problems) -> None:
    """Everything that depends on one record file alone (computed, or cached, by csops.index)."""
    from csops.cache.analyse import problems_of

    out.items.extend(problems_of(tree.index.packed(), tree.store))


@across
def check_calendar_coverage(tree: Tree, out: Problems) -> None:
    """An open record whose deadline falls in a year the policy only estimates (no official 调休
    schedule yet) or has no holidays for (docs/rules.md): a warning, once per record."""
    calendar = tree.policy.calendar
    for entry in tree.index.packed():
        for what, due_text, _owner, _wall in entry.duties:
            year = int(due_text[:4])
            state = calendar.coverage(year)
            if state:
                out.add(tree.store.display(tree.store.root / entry.rel), "ESTIMATED_CALENDAR",
                        _("{what} is due {due}, in {year}, whose holidays are estimated", what=what, due=due_text,
                          year=year) if state == "estimated" else
                        _("{what} is due {due}, in {year}, for which the policy has no holidays", what=what,
                          due=due_text, year=year),
                        _("run csops calendar import --year {year} once the official schedule is published",
                          year=year), key=("status",))
                break


@check
def check_symlinks(tree: Tree, out: Problems) -> None:
    """A record file or folder that is a symbolic link is never read: SYMLINK_OUTSIDE when it
    points outside the records root, SYMLINK_NOT_ALLOWED otherwise (a loop, a dangling link, a
    record kept elsewhere in the folder)."""
    tree.store.person_files()
    tree.store.roster_files()
    for kind in (*tree.store.types, "people", "roster"):
        for rel in tree.store.links.get(kind, []):
            code, message, hint = tree.store.link_problem(rel)
            out.add(tree.store.display(tree.store.root / rel), code, message, hint, line=1)


@across
def check_unique_ids(tree: Tree, out: Problems) -> None:
    """DUPLICATE_ID, and UNKNOWN_REF: a score event's ref that is no record's id."""
    pairs = list(tree.index.ids())
    seen = {pair[0] for pair in pairs}
    if len(seen) != len(pairs):          # a duplicate somewhere: which, and where the first one is
        first: dict[str, str] = {}
        for record_id, rel in pairs:
            if record_id in first:
                where = tree.store.display(tree.store.root / rel)
                other = tree.store.display(tree.store.root / first[record_id])
                out.add(where, "DUPLICATE_ID", _("id {id} is also used by {other}", id=record_id, other=other),
                        key=("id",))
            else:
                first[record_id] = rel
    for rel, summary in tree.index.summaries("score"):
        ref = summary.ref if summary else None
        if ref and ref not in seen:
            out.add(tree.store.display(tree.store.root / rel), "UNKNOWN_REF",
                    _("ref {ref} is not a record in this repository", ref=ref), key=("ref",))


@across
def check_leave_overlap(tree: Tree, out: Problems) -> None:
    from csops.workflows.leave import overlapping

    live = [(rel, summary) for rel, summary in tree.index.summaries("leave") if summary and summary.person
            and summary.status in ("requested", "approved")]
    spans = [(summary.id, summary.person, summary.start, summary.end) for _rel, summary in live]
    for (rel, summary), (_other, theirs) in overlapping(spans, tree.ctx.tz, payload=live):
        out.add(tree.store.display(tree.store.root / rel), "LEAVE_OVERLAP",
                _("{person} already has leave {id} from {start} to {end}",
                  person=summary.person, id=theirs.id, start=theirs.start, end=theirs.end),
                _('withdraw or cancel one of them'), key=("start",))


@check
def check_interrupted_writes(tree: Tree, out: Problems) -> None:
    """What a write killed half-way left (csops recover finishes or undoes it)."""
    from csops import txn

    if tree.git is None:
        return
    journal = txn.leftover(tree.git.git_dir)
    if journal is None and (tree.git.git_dir / txn.JOURNAL).exists():
        return                  # a write is in progress right now: its temp files are not leftovers
    if journal is not None:
        files = ", ".join(f["path"] for f in journal.get("files", [])) or "unknown files"
        out.add(tree.store.display(tree.git.git_dir / txn.JOURNAL), "INTERRUPTED_WRITE",
                _("a csops write was interrupted ({what})", what=journal.get('message') or files),
                _('run csops recover: it completes the commit if it had landed, otherwise undoes it'))
    for temp in txn.stray_temps(tree.git, tree.store.root, tree.store.dot_files()):
        out.add(tree.store.display(temp), "INTERRUPTED_WRITE", _('the temp file of an interrupted csops write'),
                _('run csops recover'))


@check
def check_merges(tree: Tree, out: Problems) -> None:
    """Files a merge left conflicted in the index, and a clone without the merge driver."""
    if tree.git is None:
        return
    from csops.bootstrap import merge_driver_command
    from csops.merge import way_out

    prefix = tree.git.rel(tree.store.root)
    registered = tree.git.config("merge.csops.driver")
    for path in tree.git.unmerged("" if prefix == "." else prefix):
        try:
            marked = b"\n<<<<<<< " in b"\n" + (tree.git.root / path).read_bytes()
        except OSError:
            marked = False
        out.add(tree.store.display(tree.git.root / path), "UNMERGED",
                _("left conflicted by a merge, rebase or cherry-pick"),
                (_('keep one value between the conflict markers, then git add FILE and commit') if marked
                 else way_out()) if registered else
                _("register the merge driver (git config merge.csops.driver '{driver}'), then git checkout -m FILE "
                  "and commit; or resolve it by hand and git add it",
                  driver=merge_driver_command()), line=1)
    if not registered:
        out.add(tree.store.display(tree.git.root / ".git" / "config"), "NO_MERGE_DRIVER",
                _('this clone has no csops merge driver: a merge of two edits to one record will conflict'),
                _("git config merge.csops.driver '{driver}'", driver=merge_driver_command()))


def resolve_lines(problems: list[Problem]) -> list[Problem]:
    """Turn key paths into line numbers (each file parsed once, only files with problems)."""
    trees: dict[str, object] = {}
    out = []
    for problem in problems:
        line = problem.line
        if line is None and problem.key is not None:
            if problem.path not in trees:
                try:
                    trees[problem.path] = yamlio.compose(Path(problem.path).read_bytes())
                except OSError:
                    trees[problem.path] = OSError
            tree = trees[problem.path]
            line = yamlio.line_of(tree, problem.key) if tree is not OSError else None
        out.append(Problem(problem.path, problem.code, problem.message, problem.hint, problem.key, line,
                           problem.commit))
    out.sort(key=lambda p: (p.path, p.line or 0))
    return out
