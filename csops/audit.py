"""`validate --history`: replay the Git history of the records root and report every change that
did not go through the rules (§9), naming the commit and its author.

Records: history is append-only (entries may be inserted in time order — an honest rebase or
cherry-pick — but no existing entry changes or disappears); a merge keeps every entry of every
parent (HISTORY_DROPPED); a new entry is made by the commit's author (BY_NOT_AUTHOR), is a legal
step by an allowed role with its guards met; a field changes only through an entry whose
workflow row declares it (FIELD_REWRITTEN); records are never deleted. The roster and the policy
change only by people entitled to in the parent commit (ROSTER_CHANGE_NOT_ALLOWED,
POLICY_CHANGE_NOT_ALLOWED); people are deactivated, never deleted. With `audit.require_signed`
every later commit carries a good signature whose signer is its author; with
`audit.clock_skew_hours` an entry's time must be near its commit's (unless marked backfill). An
entry marked `import: FILE:ROW` (csops import) is by the person the row names, made by a commit
whose author holds the backfill permission (IMPORT_NOT_ALLOWED), at the row's own time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from csops import yamlio
from csops.engine import check_record
from csops.errors import BadInput, CsopsError
from csops.gitlog import blob_id
from csops.i18n import _
from csops.money import stored_amount
from csops.problems import Problem, Problems
from csops.vocab import ALLOWED_SIGNERS, APPEND_ONLY, FOLDERS, PEOPLE, POLICY, ROSTER
from csops.workflows import WORKFLOWS

BATCH = 2000     # commits whose record versions the replay reads at once (memory: a desk's history is long)


@dataclass(frozen=True)
class _Change:
    """One file of one commit: its content there and in each parent (None: no such file)."""
    commit: object
    path: str            # from the Git root
    rel: str             # from the records root
    new: bytes | None
    old: tuple           # per parent
    mode: str = ""       # the new file's mode (120000: a symbolic link)
    moved_from: str = "" # the path it had in the parent (a record moved within its type's folder)


def replay(session, since: str | None = None) -> list[Problem]:
    git, store = session.git, session.store
    if since:
        try:
            git.resolve(since)
        except CsopsError:
            raise BadInput(_("--since {since}: not a known revision",
                             since=since), _('fetch it first, e.g. git fetch origin')) from None
    if not since and git.run("rev-parse", "--is-shallow-repository").strip() == "true":
        raise BadInput(_('this clone is shallow: replaying all history needs every commit'),
                       _('run git fetch --unshallow, or limit the replay with --since REV'))
    prefix = git.rel(store.root)
    prefix = "" if prefix == "." else prefix
    commits = git.commits_touching(prefix or ".", since)
    auditor = _Auditor(session, prefix, commits)
    out = Problems()
    for start in range(0, len(commits), BATCH):         # a batch of commits' versions held at a time
        for change in _moves(_changes(git, commits[start:start + BATCH], prefix)):
            auditor.check(change, out)
    auditor.check_signatures(commits, out)
    return out.items


def _changes(git, commits: list, prefix: str) -> list[_Change]:
    """Each file change of `commits`, in order, with its new version and its parents' (one `git
    cat-file --batch` for them all)."""
    specs, wanted = [], []
    for commit in commits:
        for change in commit.changes:
            rel = change.path[len(prefix) + 1:] if prefix else change.path
            wanted.append((commit, change.path, rel))
            specs.append(f"{commit.sha}:{change.path}")
            specs.extend(f"{parent}:{change.path}" for parent in commit.parents)
    blobs = iter(git.blobs(specs))
    changes = []
    for commit, path, rel in wanted:
        new = next(blobs)
        mode = next((c.mode for c in commit.changes if c.path == path), "")
        changes.append(_Change(commit, path, rel, new, tuple(next(blobs) for _ignored in commit.parents), mode))
    return changes


def _moves(changes: list[_Change]) -> list[_Change]:
    """A record moved to another folder of its type in one commit (`git mv` of a date typo) is
    one change of that record — its file removed here and added there — not a deletion."""
    by_commit: dict = {}
    for change in changes:
        by_commit.setdefault(change.commit.sha, []).append(change)
    out = []
    for group in by_commit.values():
        def place(c):
            return c.rel.split("/", 1)[0], Path(c.rel).name
        gone = {place(c): c for c in group
                if c.new is None and place(c)[0] in FOLDERS and len(c.commit.parents) == 1}
        moved, kept = set(), []
        for change in group:
            source = gone.get(place(change))
            if source is not None and change.new is not None and all(o is None for o in change.old) \
                    and place(change) not in moved:
                moved.add(place(change))
                change = _Change(change.commit, change.path, change.rel, change.new, source.old, change.mode,
                                 source.path)
            kept.append(change)
        out.extend(c for c in kept if not (c.new is None and place(c) in moved))
    return out


def _without(value, keys: set):
    """A list of mappings with `keys` left out of each (what a step may not change)."""
    if not isinstance(value, list):
        return value
    return [{k: v for k, v in item.items() if k not in keys} if isinstance(item, dict) else item for item in value]


class _Auditor:
    def __init__(self, session, prefix: str, commits: list = ()):
        self.session, self.git, self.prefix = session, session.git, prefix
        self.roster = session.roster
        self.ctx = session.ctx
        self.last_readable: dict = {}     # (path, blob id of an unreadable version) → the last readable data
        self._people = f"{prefix}/{PEOPLE}" if prefix else PEOPLE
        parents = sorted({p for c in commits for p in c.parents})
        # the roster folder's tree at each parent: the roster as it was is read once per tree
        self._people_tree = dict(zip(parents, self.git.object_ids([f"{p}:{self._people}" for p in parents])))
        self._rosters: dict = {}          # tree → Roster

    def who(self, commit) -> tuple[object, str]:
        """The person a commit's author is — by e-mail, in the roster as it was when the commit
        was made (its parent's; a reused address names who had it then) — and how to name the
        author. The root commit, and an address in no roster then, are looked up in today's."""
        person = None
        if commit.parents:
            person = self.roster_at(commit.parents[0]).by_author(commit.author)
        if person is None:
            person = self.roster.by_author(commit.author)
        return person, person.id if person else f"{commit.author.name} <{commit.author.email}>"

    def check(self, change: _Change, out: Problems) -> None:
        top = change.rel.split("/", 1)[0]
        if len(change.commit.parents) > 1 and top not in FOLDERS and change.new in change.old:
            return          # a merge taking one side's roster, policy or signers as they were: audited there
        if top in FOLDERS and change.rel.endswith(".yaml") and not Path(change.rel).name.startswith("."):
            self.check_record(change, FOLDERS[top], out)
        elif top == PEOPLE and change.rel.endswith(".yaml"):
            self.check_person(change, out)
        elif top == ROSTER and change.rel.endswith(".yaml"):
            self.check_duty(change, out)
        elif change.rel in (POLICY, ALLOWED_SIGNERS):
            self.check_policy(change, out)

    # -- records -----------------------------------------------------------------------------------

    def check_record(self, change: _Change, rtype: str, out: Problems) -> None:
        commit, path = change.commit, change.path
        _ignored, author = self.who(commit)
        if change.new is None:
            if len(commit.parents) > 1 and any(old is None for old in change.old):
                return          # a merge keeping one side's deletion or move (audited on that side)
            if any(old is not None for old in change.old):
                out.add(path, "RECORD_DELETED", _("{author} deletes a record; records are never deleted (close, "
                                                  "void or revoke it instead)",
                                                  author=author), commit=commit.sha)
            return
        new_data = _record(change.new) if change.mode != "120000" else None
        if new_data is None:
            self.unreadable_version(change, author, out)
            return
        new = new_data["history"]
        new_keys = [_key(e) for e in new]
        merge = len(commit.parents) > 1
        in_any_parent = set()
        for parent, old_blob in zip(commit.parents, change.old):
            old_data = self.readable(change.moved_from or change.path, old_blob)
            if old_data is None:
                continue
            old_keys = [_key(e) for e in old_data["history"]]
            in_any_parent.update(old_keys)
            self.check_kept(change, old_data["history"], old_keys, new, new_keys, merge, parent, out)
            before = set(old_keys)
            added = [e for e, k in zip(new, new_keys) if k not in before and isinstance(e, dict)]
            self.check_fields(change, rtype, old_data, new_data, added, parent if merge else None, out)
        fresh = [(i, e) for i, (e, k) in enumerate(zip(new, new_keys)) if k not in in_any_parent and isinstance(e, dict)]
        self.check_entries(change, rtype, new_data, fresh, out)

    def readable(self, path: str, blob: bytes | None) -> dict | None:
        """A record version as the audit compares it: the version itself, or — when it cannot be
        read — the last readable one before it on the way there."""
        if blob is None:
            return None
        data = _record(blob)
        return data if data is not None else self.last_readable.get((path, blob_id(blob)))

    def unreadable_version(self, change: _Change, author: str, out: Problems) -> None:
        """A version csops cannot read (a YAML error, too large, not UTF-8, an alias, a link) is
        a problem of the commit that made it, and it hides nothing: the next readable version is
        compared with the last readable one before it."""
        if change.mode == "120000":
            reason = _("a symbolic link")
        else:
            try:
                yamlio.load(change.new)
                reason = _("not a record (no history)")
            except yamlio.YamlError as exc:
                reason = f"{exc.code} {exc.message}"
        out.add(change.path, "UNREADABLE_VERSION",
                _("{author} commits a version of the record csops cannot read ({reason})", author=author,
                  reason=reason),
                _('the next version is compared with the last readable one; fix the file in a new commit'),
                commit=change.commit.sha)
        for old in change.old:
            data = self.readable(change.moved_from or change.path, old)
            if data is not None:
                self.last_readable[(change.path, blob_id(change.new))] = data
                break

    def check_kept(self, change, old, old_keys, new, new_keys, merge, parent, out) -> None:
        """Every entry of the parent is still there, in its order — entries of the same `at`
        that followed each other may trade places (two clones' steps in the same second, which
        a merge orders the same way from either side); inserted ones keep time order."""
        commit, path = change.commit, change.path
        _ignored, author = self.who(commit)
        present = set(new_keys)
        missing = [i for i, k in enumerate(old_keys) if k not in present]
        if missing:
            if merge:
                out.add(path, "HISTORY_DROPPED", _("the merge by {author} drops {n_missing} history entr{plural} of "
                                                   "parent {commit} (first: history[{missing}])",
                                                   author=author, n_missing=len(missing),
                                                   plural='y' if len(missing) == 1 else 'ies', commit=parent[:10],
                                                   missing=missing[0]),
                        _("merge with the csops merge driver (git config merge.csops.driver …), never keep one side "
                          "only"),
                        commit=commit.sha)
            else:
                out.add(path, "HISTORY_REWRITTEN", _("{author} rewrites or drops history entry {missing} (history "
                                                     "is append-only: add a new entry instead)",
                                                     author=author, missing=missing[0]), commit=commit.sha,
                        key=("history", missing[0]))
            return
        first = {}
        for i, k in enumerate(new_keys):
            first.setdefault(k, i)
        positions = [first[k] for k in old_keys]
        if positions != sorted(positions) and not _ties_only([_at(e, self.ctx.tz) for e in old], positions):
            out.add(path, "HISTORY_REWRITTEN", _("{author} reorders history entries", author=author), commit=commit.sha)
            return
        if merge:
            return
        kept = set(positions)
        tz = self.ctx.tz
        times = [_at(e, tz) for e in new]
        for i in range(len(new)):
            if i in kept or times[i] is None:
                continue
            before = next((times[j] for j in range(i - 1, -1, -1) if times[j] is not None), None)
            after = next((times[j] for j in range(i + 1, len(new)) if j in kept and times[j] is not None), None)
            if (before and times[i] < before) or (after and times[i] > after):
                out.add(path, "HISTORY_REWRITTEN", _("{author} inserts history[{i}] out of time order",
                                                     author=author, i=i),
                        _('entries are kept in the order they happened'), commit=commit.sha, key=("history", i))

    def check_fields(self, change, rtype, old_data, new_data, added, parent, out) -> None:
        """A field changes only through an added entry whose row declares it."""
        wf = WORKFLOWS[rtype]
        allowed, freely, said = set(), set(), {}
        for entry in added:
            row = wf.find(entry.get("from"), entry.get("to"), entry.get("action"), new_data)
            if row is not None:
                allowed.update(row.fields_set(entry))
                freely.update(f for f in row.fields_set(entry) if f not in row.mirrors)
                for name in row.mirrors:       # the entry says the new value: only that one
                    if name in entry:
                        said.setdefault(name, []).append(entry[name])
        # "items[].received": only that key of the list's elements (nothing added, removed or else changed)
        partial: dict[str, set] = {}
        for spec in [a for a in allowed if "[]." in a]:
            field, _ignored, key = spec.partition("[].")
            partial.setdefault(field, set()).add(key)
        allowed -= {a for a in allowed if "[]." in a}
        _ignored, author = self.who(change.commit)
        for name in sorted(set(old_data) | set(new_data), key=str):
            if name in ("history", "status"):
                continue
            before, after = old_data.get(name), new_data.get(name)
            if name in allowed:
                if name in APPEND_ONLY and not _kept_in_order(before, after):
                    out.add(change.path, "FIELD_REWRITTEN",
                            _("{author} rewrites earlier {name} of {id} (a step only adds to that list): "
                              "{before} → {after}", author=author, name=name, id=new_data.get('id'),
                              before=_show(before), after=_show(after)),
                            _('add a new entry instead; a correction is csops {rtype} amend', rtype=rtype),
                            commit=change.commit.sha, key=(name,))
                    continue
                if name in freely or _same(name, before, after) or after in said.get(name, ()):
                    continue
            elif name in partial:
                before, after = _without(before, partial[name]), _without(after, partial[name])
                if _same(name, before, after) and _set_values_kept(old_data.get(name), new_data.get(name),
                                                                   partial[name]):
                    continue
                before, after = old_data.get(name), new_data.get(name)
            elif _same(name, before, after):
                continue
            against = f" (against parent {parent[:10]})" if parent else ""
            out.add(change.path, "FIELD_REWRITTEN",
                    _("{author} changes {name} of {id}: {before} → {after}{against}, with no history entry that may "
                      "set it",
                      author=author, name=name, id=new_data.get('id'), before=_show(before), after=_show(after),
                      against=against),
                    _("a correction is an entry: csops {rtype} amend ID --set {name}=VALUE --reason R",
                      rtype=rtype, name=name),
                    commit=change.commit.sha, key=(name,))

    def check_entries(self, change, rtype, new_data, fresh, out) -> None:
        """Entries this commit made: by its author, legal, by an allowed role, guards met, on time."""
        commit, path = change.commit, change.path
        person, author = self.who(commit)
        wf = WORKFLOWS[rtype]
        makers = {str(e.get("by")) for _ignored, e in fresh}      # str: a hand edit may put anything there
        squash = len(commit.parents) == 1 and len(makers) > 1
        skew = self.session.policy_file.section("audit").get("clock_skew_hours")
        # the rules run once over the record for all of this commit's entries (once per entry
        # made a commit of 1,600 entries quadratic)
        step_problems = Problems()
        if fresh:
            check_record(new_data, wf, self.ctx, step_problems, path, only_step={index for index, _e in fresh})
        by_step: dict = {}
        for problem in step_problems:
            if problem.key is not None and problem.key[:1] == ("history",) and len(problem.key) > 1:
                by_step.setdefault(problem.key[1], []).append(problem)
        importer = self.importer(commit, person) if any(e.get("import") for _ignored, e in fresh) else None
        for index, entry in fresh:
            by = entry.get("by")
            if entry.get("import") and importer is not None:
                if importer:
                    out.add(path, "IMPORT_NOT_ALLOWED", importer, _("import with the backfill permission "
                                                                    "(supervisor and above by default)"),
                            commit=commit.sha, key=("history", index, "import"))
            elif person is None or person.id != by:
                hint = _("several people's entries in one commit: a squash merge? merge without squashing "
                         "(git merge --no-ff) so each entry keeps its author's commit") if squash else \
                    _("make the change as that person: csops --as PERSON …")
                out.add(path, "BY_NOT_AUTHOR", _("history[{index}] is by {by} but the commit's author is {author}",
                                                 index=index, by=by, author=author),
                        hint, commit=commit.sha, key=("history", index, "by"))
            for problem in by_step.get(index, ()):
                out.add(path, problem.code, problem.message, problem.hint, key=problem.key, commit=commit.sha)
            if skew and not entry.get("backfill") and not entry.get("import"):
                self.check_clock(change, index, entry, float(skew), out)

    def importer(self, commit, person) -> str:
        """Why the commit's author may not make imported entries ("" when they may): an import
        records the past after the fact, so it takes the backfill permission of the rules then."""
        then = self.ctx.in_force(_instant(commit.committed))
        allowed = then.policy.permission("backfill")
        if person is not None and then.policy.role_matches(person.role, allowed):
            return ""
        _p, author = self.who(commit)
        return _("{author} imports entries of other people but may not (allowed: {names})",
                 author=author, names=", ".join(map(str, allowed)) or _("nobody"))

    def check_clock(self, change, index, entry, skew: float, out) -> None:
        at, committed = _at(entry, self.ctx.tz), _instant(change.commit.committed)
        if at is None or committed is None:
            return
        late = (committed - at).total_seconds() / 3600
        if at > committed + dt.timedelta(minutes=5) or late > skew:
            what = "after its commit" if at > committed else f"{late:.1f} h before its commit"
            out.add(change.path, "CLOCK_SKEW", _("history[{index}] at {at} is {what} ({committed}; "
                                                 "audit.clock_skew_hours {skew:g})",
                                                 index=index, at=entry.get('at'), what=what,
                                                 committed=change.commit.committed, skew=skew),
                    _('record late entries with --backfill REASON (supervisor and above)'), commit=change.commit.sha,
                    key=("history", index, "at"))

    # -- roster and policy -------------------------------------------------------------------------

    def check_person(self, change: _Change, out: Problems) -> None:
        commit, path = change.commit, change.path
        if not commit.parents:
            return                                   # the root commit (csops init) sets up
        parent = commit.parents[0]
        roster = self.roster_at(parent)
        if not roster:
            return                                   # the first person added to an empty roster
        person, author = self.who(commit)
        old, new = _parse(change.old[0]), _parse(change.new)
        subject = Path(change.rel).stem
        if change.new is None:
            out.add(path, "PERSON_DELETED", _("{author} deletes {subject} from the roster; people are never deleted",
                                              author=author, subject=subject),
                    _("make them inactive: csops person set {subject} --active false",
                      subject=subject), commit=commit.sha)
        role = roster.get(person.id).role if person and roster.get(person.id) else None
        policy = self.policy_at(parent) or self.session.policy
        allowed = policy.permission("person_add" if change.old[0] is None else "person_edit")
        if role is None or not policy.role_matches(role, allowed):
            out.add(path, "ROSTER_CHANGE_NOT_ALLOWED", _("{author} ({role}) changes the roster (allowed: {names} in "
                                                         "the commit before)",
                                                         author=author, role=role or _('not in the roster'),
                                                         names=', '.join(map(str, allowed)) or _('nobody')),
                    _('roster changes are made with csops person add/set by a supervisor or above'), commit=commit.sha)
            return
        if person and subject == person.id and isinstance(old, dict) and isinstance(new, dict):
            own = [k for k in ("role", "reports_to", "active") if old.get(k) != new.get(k)]
            if own:
                out.add(path, "ROSTER_CHANGE_NOT_ALLOWED", _("{author} changes their own {names}",
                                                             author=author, names=', '.join(own)),
                        _('nobody changes their own role, chain or active'), commit=commit.sha)

    def check_duty(self, change: _Change, out: Problems) -> None:
        """The duty roster 排班 is changed by whoever `permissions.roster_edit` names (docs/rules.md)."""
        commit = change.commit
        if not commit.parents:
            return
        if len(commit.parents) > 1 and _united(change):
            return                  # a merge that only unites its parents' days (the merge driver's)
        parent = commit.parents[0]
        person, author = self.who(commit)
        roster = self.roster_at(parent)
        role = roster.get(person.id).role if person and roster.get(person.id) else None
        policy = self.policy_at(parent) or self.session.policy
        allowed = policy.permission("roster_edit")
        if role is None or not policy.role_matches(role, allowed):
            out.add(change.path, "ROSTER_CHANGE_NOT_ALLOWED", _("{author} ({role}) changes the duty roster {rel} "
                                                                "(allowed: {names} in the commit before)",
                                                                author=author, role=role or _('not in the roster'),
                                                                rel=change.rel,
                                                                names=', '.join(map(str, allowed)) or _('nobody')),
                                                              _("the duty roster is changed with csops roster "
                                                                "set/lead; swaps go through csops swap"),
                    commit=commit.sha)

    def check_policy(self, change: _Change, out: Problems) -> None:
        commit = change.commit
        if not commit.parents:
            return
        parent = commit.parents[0]
        policy = self.policy_at(parent)
        if policy is None:
            return                                   # no usable policy before: nothing to hold it to
        person, author = self.who(commit)
        self.check_effective(change, author, out)
        roster = self.roster_at(parent)
        role = roster.get(person.id).role if person and roster.get(person.id) else None
        allowed = policy.permission("policy_edit")
        if role is None or not policy.role_matches(role, allowed):
            out.add(change.path, "POLICY_CHANGE_NOT_ALLOWED", _("{author} ({role}) changes {rel} (allowed: {names} "
                                                                "in the commit before)",
                                                                author=author, role=role or _('not in the roster'),
                                                                rel=change.rel,
                                                                names=', '.join(map(str, allowed)) or _('nobody')),
                    _('permissions.policy_edit says who may change the policy'), commit=commit.sha)

    def check_effective(self, change: _Change, author: str, out: Problems) -> None:
        """A version's effective date never goes before the previous version's (docs/rules.md)."""
        if change.rel != POLICY:
            return
        versions = [v for v in self.session.versions.all if v.commit is not None]
        index = next((i for i, v in enumerate(versions) if v.commit == change.commit.sha), None)
        if not index:
            return
        mine, before = versions[index], versions[index - 1]
        if mine.effective < before.effective:
            out.add(change.path, "EFFECTIVE_BACKWARDS", _("{author} makes the policy effective {effective}, before "
                                                          "the version it replaces ({effective2}, commit {commit})",
                                                          author=author, effective=mine.effective,
                                                          effective2=before.effective, commit=str(before.commit)[:10]),
                    _("a later version starts on or after the one before it; set effective: accordingly (a revert "
                      "of a version not yet in force: add effective: {effective})",
                      effective=before.effective),
                    commit=change.commit.sha, key=("effective",))

    def roster_at(self, rev: str):
        """The roster as commit `rev` has it (read once per tree of the people folder)."""
        from csops.people import Roster, roster_at

        if rev not in self._people_tree:
            self._people_tree[rev] = self.git.object_ids([f"{rev}:{self._people}"])[0]
        tree = self._people_tree[rev]
        if tree is None:
            return Roster({})
        if tree not in self._rosters:
            self._rosters[tree] = roster_at(self.git, self._people, rev)
        return self._rosters[tree]

    @lru_cache(maxsize=256)
    def policy_at(self, rev: str):
        from csops.policy import check_text

        path = f"{self.prefix}/{POLICY}" if self.prefix else POLICY
        blob = self.git.blobs([f"{rev}:{path}"])[0]
        if blob is None:
            return None
        try:
            return check_text(blob, path, self.session.store.parse_cache)
        except CsopsError:
            return None

    # -- signatures --------------------------------------------------------------------------------

    def check_signatures(self, commits, out: Problems) -> None:
        """With audit.require_signed in force where a commit lands, it carries a good signature
        by its author. In force where it lands: after any of its parents (so the commit that
        turns signing off must itself be signed — an unsigned one leaves it on for what
        follows), and for a commit a merge brings in, at the merge's first parent (an unsigned
        commit on a branch from before signing, merged later, is not let through). The allowed
        signers are records/allowed_signers as the commit's first parent has it (a key removed
        later does not void the past)."""
        policy_path = f"{self.prefix}/{POLICY}" if self.prefix else POLICY
        revs = sorted({c.sha for c in commits} | {p for c in commits for p in c.parents})
        blobs = dict(zip(revs, self.git.object_ids([f"{r}:{policy_path}" for r in revs])))
        says: dict = {}

        def policy_requires(rev: str) -> bool:
            blob = blobs.get(rev)
            if blob not in says:
                policy = self.policy_at(rev) if blob else None
                says[blob] = bool(policy and policy.section("audit").get("require_signed"))
            return says[blob]

        if not any(policy_requires(r) for r in revs):
            return
        verdicts = self._verdicts(commits)

        def signed_by_author(commit) -> bool:
            signature, signer = verdicts.get(commit.sha, ("N", ""))
            return signature in ("G", "U") and bool(signer) and signer.lower() == commit.author.email.lower()

        after: dict = {}           # sha → signing in force after that commit
        required = set()
        for commit in commits:     # parents before children
            if any(after.get(p, policy_requires(p)) for p in commit.parents):
                required.add(commit.sha)
            on = policy_requires(commit.sha)
            if not on and commit.sha in required and not signed_by_author(commit):
                on = True          # switched off by a commit that was not validly signed: still on
            after[commit.sha] = on
        touching = {c.sha for c in commits}
        for commit in commits:          # a merge brings in, for each side where signing is on, the other sides
            if len(commit.parents) < 2:
                continue
            for parent in commit.parents:
                if not after.get(parent, policy_requires(parent)):
                    continue
                for other in commit.parents:
                    if other != parent:
                        brought = self.git.run("rev-list", f"{parent}..{other}").split()
                        required.update(sha for sha in brought if sha in touching)
        where = f"{self.prefix or '.'}"
        for commit in commits:
            if commit.sha not in required:
                continue
            signature, signer = verdicts.get(commit.sha, ("N", ""))
            _ignored, author = self.who(commit)
            if signature in ("N", ""):
                out.add(where, "UNSIGNED_COMMIT", _("commit by {author} is not signed (audit.require_signed)",
                                                    author=author),
                        _("configure signing: git config user.signingkey KEY; git config gpg.format ssh; git config "
                          "commit.gpgsign true"), commit=commit.sha)
            elif signature not in ("G", "U") or not signer:   # U without a signer: a key not allowed
                out.add(where, "BAD_SIGNATURE", _("commit by {author} has a signature Git cannot verify "
                                                  "({signature})",
                                                  author=author, signature=signature),
                        _("is the signer in records/allowed_signers?"), commit=commit.sha)
            elif signer.lower() != commit.author.email.lower():
                out.add(where, "SIGNER_NOT_AUTHOR", _("commit by {author} is signed by {signer}",
                                                      author=author, signer=signer),
                        _('each person signs their own commits'), commit=commit.sha)

    def _verdicts(self, commits) -> dict:
        """sha → (%G?, %GS) of every commit, each verified against records/allowed_signers as
        its first parent has it (one git log per version of that file)."""
        signers_path = f"{self.prefix}/{ALLOWED_SIGNERS}" if self.prefix else ALLOWED_SIGNERS
        firsts = [(c.sha, c.parents[0] if c.parents else c.sha) for c in commits]
        ids = self.git.object_ids([f"{parent}:{signers_path}" for _sha, parent in firsts])
        groups: dict = {}
        for (sha, _parent), blob in zip(firsts, ids):
            groups.setdefault(blob, []).append(sha)
        verdicts: dict = {}
        for blob, shas in groups.items():
            content = self.git.blobs([blob])[0] if blob else None
            verdicts.update(self.git.signatures(shas, content))
        return verdicts


def _duty_leaves(blob) -> dict | None:
    """(day, person) → shift and (day, "duty_lead") → person of a roster month, or None."""
    data = _parse(blob) if blob is not None else {"days": {}}
    if data is None or not isinstance(data.get("days"), dict):
        return None
    leaves = {}
    for day, entry in data["days"].items():
        if isinstance(entry, dict):
            shifts = entry.get("shifts")
            leaves.update({(str(day), str(p)): v for p, v in shifts.items()} if isinstance(shifts, dict) else {})
            leaves[(str(day), "duty_lead")] = entry.get("duty_lead")
    return leaves


def _united(change) -> bool:
    """Whether a merge's roster month holds, for each day and person, a value one of its parents
    held: nothing of its own."""
    new, parents = _duty_leaves(change.new), [_duty_leaves(blob) for blob in change.old]
    if new is None or any(p is None for p in parents):
        return False
    keys = set(new).union(*parents)
    return all(any(new.get(k) == p.get(k) for p in parents) for k in keys)


def _ties_only(times: list, positions: list[int]) -> bool:
    """Whether the old entries (their `at`, in old order) moved to `positions` changed places
    only within runs of consecutive entries with the same known time."""
    runs, run = [], 0
    for i, at in enumerate(times):
        if i and not (at is not None and at == times[i - 1]):
            run += 1
        runs.append(run)
    moved = [runs[i] for i in sorted(range(len(positions)), key=positions.__getitem__)]
    return moved == sorted(moved)


def _kept_in_order(before, after) -> bool:
    """Whether every element of the list `before` is still in `after`, unchanged and in order
    (an append-only list may gain elements — also among the old ones, as a rebase puts them —
    but never lose or change one)."""
    if not isinstance(before, list):
        return True
    if not isinstance(after, list):
        return not before
    keys = iter(_key(item) for item in after)
    return all(any(key == _key(item) for key in keys) for item in before)


def _set_values_kept(before, after, keys: set) -> bool:
    """Whether each element's `keys` that had a value before still have it (a received count,
    once recorded, stays)."""
    if not isinstance(before, list) or not isinstance(after, list):
        return True
    for old, new in zip(before, after):
        if isinstance(old, dict) and isinstance(new, dict):
            if any(old.get(k) is not None and new.get(k) != old.get(k) for k in keys):
                return False
    return True


def _record(blob: bytes | None) -> dict | None:
    """A record version with a history list, or None."""
    data = _parse(blob)
    return data if data is not None and isinstance(data.get("history"), list) else None


def _parse(blob: bytes | None):
    if blob is None:
        return None
    try:
        data = yamlio.load(blob)
    except yamlio.YamlError:
        return None
    return data if isinstance(data, dict) else None


def _key(entry) -> str:
    return repr(sorted(entry.items(), key=lambda kv: str(kv[0]))) if isinstance(entry, dict) else repr(entry)


def _at(entry, tz):
    from csops.timeutil import try_instant

    return try_instant(entry.get("at"), tz) if isinstance(entry, dict) else None


def _instant(text: str):
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _same(name: str, before, after) -> bool:
    """Equal, counting a round-1 number amount and its decimal string as the same money."""
    if before == after:
        return True
    if name == "fine":
        return stored_amount(before) is not None and stored_amount(before) == stored_amount(after)
    if name == "refund" and isinstance(before, dict) and isinstance(after, dict):
        return ({k: v for k, v in before.items() if k != "amount"} == {k: v for k, v in after.items() if k != "amount"}
                and stored_amount(before.get("amount")) == stored_amount(after.get("amount")))
    return False


def _show(value) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."


def merge_problems(tree: list[Problem], history: list[Problem]) -> list[Problem]:
    """Working-tree and history problems together; a problem both report is shown once, with
    the commit that introduced it."""
    seen = {(Path(p.path).name, p.code, p.message) for p in history}
    kept = [p for p in tree if (Path(p.path).name, p.code, p.message) not in seen]
    unique, keys = [], set()
    for problem in history:
        key = (problem.path, problem.code, problem.message, problem.commit)
        if key not in keys:
            keys.add(key)
            unique.append(problem)
    return kept + unique

