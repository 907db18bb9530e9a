"""`validate --history`: replay the Git history of the records root and report every change that
did not go through the rules (SPEC §8, §9), naming the commit and its author.

Records: history is append-only (entries may be inserted in time order — an honest rebase or
cherry-pick — but no existing entry changes or disappears); a merge keeps every entry of every
parent (HISTORY_DROPPED); a new entry is made by the commit's author (BY_NOT_AUTHOR), is a legal
step by an allowed role with its guards met; a field changes only through an entry whose
workflow row declares it (FIELD_REWRITTEN); records are never deleted. The roster and the policy
change only by people entitled to in the parent commit (ROSTER_CHANGE_NOT_ALLOWED,
POLICY_CHANGE_NOT_ALLOWED); people are deactivated, never deleted. With `audit.require_signed`
every later commit carries a good signature whose signer is its author; with
`audit.clock_skew_hours` an entry's time must be near its commit's (unless marked backfill).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from csops import yamlio
from csops.engine import check_record
from csops.errors import BadInput, CsopsError
from csops.i18n import _
from csops.money import stored_amount
from csops.problems import Problem, Problems
from csops.vocab import ALLOWED_SIGNERS, FOLDERS, PEOPLE, POLICY, ROSTER
from csops.workflows import WORKFLOWS

MONEY_FIELDS = ("fine", "refund")


@dataclass(frozen=True)
class _Change:
    """One file of one commit: its content there and in each parent (None: no such file)."""
    commit: object
    path: str            # from the Git root
    rel: str             # from the records root
    new: bytes | None
    old: tuple           # per parent


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
    signers = store.root / ALLOWED_SIGNERS
    audit = session.policy_file.section("audit")          # the audit runs by today's settings
    commits = git.commits_touching(prefix or ".", since,
                                   signers=signers if audit.get("require_signed") and signers.exists() else None)
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
        changes.append(_Change(commit, path, rel, new, tuple(next(blobs) for _ignored in commit.parents)))
    auditor = _Auditor(session, prefix)
    out = Problems()
    for change in changes:
        auditor.check(change, out)
    if audit.get("require_signed"):
        auditor.check_signatures(commits, out)
    return out.items


def _without(value, keys: set):
    """A list of mappings with `keys` left out of each (what a step may not change)."""
    if not isinstance(value, list):
        return value
    return [{k: v for k, v in item.items() if k not in keys} if isinstance(item, dict) else item for item in value]


class _Auditor:
    def __init__(self, session, prefix: str):
        self.session, self.git, self.prefix = session, session.git, prefix
        self.roster = session.roster
        self.ctx = session.ctx

    def who(self, commit) -> tuple[object, str]:
        """The person a commit's author is (by e-mail; in today's roster, or in the roster of the
        commit's parent for someone since removed), and how to name the author."""
        person = self.roster.by_author(commit.author)
        if person is None and commit.parents:
            person = self.roster_at(commit.parents[0]).by_author(commit.author)
        return person, person.id if person else f"{commit.author.name} <{commit.author.email}>"

    def check(self, change: _Change, out: Problems) -> None:
        top = change.rel.split("/", 1)[0]
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
            if any(old is not None for old in change.old):
                out.add(path, "RECORD_DELETED", _("{author} deletes a record; records are never deleted (close, "
                                                  "void or revoke it instead)",
                                                  author=author), commit=commit.sha)
            return
        new_data = _parse(change.new)
        if new_data is None or not isinstance(new_data.get("history"), list):
            return  # unreadable at that commit; the working-tree check reports what is still wrong
        new = new_data["history"]
        new_keys = [_key(e) for e in new]
        merge = len(commit.parents) > 1
        in_any_parent = set()
        for parent, old_blob in zip(commit.parents, change.old):
            old_data = _parse(old_blob)
            if old_data is None or not isinstance(old_data.get("history"), list):
                continue
            old_keys = [_key(e) for e in old_data["history"]]
            in_any_parent.update(old_keys)
            self.check_kept(change, old_data["history"], old_keys, new, new_keys, merge, parent, out)
            added = [e for e, k in zip(new, new_keys) if k not in set(old_keys) and isinstance(e, dict)]
            self.check_fields(change, rtype, old_data, new_data, added, parent if merge else None, out)
        fresh = [(i, e) for i, (e, k) in enumerate(zip(new, new_keys)) if k not in in_any_parent and isinstance(e, dict)]
        self.check_entries(change, rtype, new_data, fresh, out)

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
        positions = [new_keys.index(k) for k in old_keys]
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
        allowed = set()
        for entry in added:
            row = wf.find(entry.get("from"), entry.get("to"), entry.get("action"), new_data)
            if row is not None:
                allowed.update(row.fields_set(entry))
        # "items[].received": only that key of the list's elements (nothing added, removed or else changed)
        partial: dict[str, set] = {}
        for spec in [a for a in allowed if "[]." in a]:
            field, _ignored, key = spec.partition("[].")
            partial.setdefault(field, set()).add(key)
        allowed -= {a for a in allowed if "[]." in a}
        _ignored, author = self.who(change.commit)
        for name in sorted(set(old_data) | set(new_data), key=str):
            if name in ("history", "status") or name in allowed:
                continue
            before, after = old_data.get(name), new_data.get(name)
            if name in partial:
                before, after = _without(before, partial[name]), _without(after, partial[name])
            if _same(name, before, after):
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
        for index, entry in fresh:
            by = entry.get("by")
            if person is None or person.id != by:
                hint = ("several people's entries in one commit: a squash merge? merge without squashing "
                        "(git merge --no-ff) so each entry keeps its author's commit") if squash else \
                    "make the change as that person: csops --as PERSON …"
                out.add(path, "BY_NOT_AUTHOR", _("history[{index}] is by {by} but the commit's author is {author}",
                                                 index=index, by=by, author=author),
                        hint, commit=commit.sha, key=("history", index, "by"))
            step_problems = Problems()
            check_record(new_data, wf, self.ctx, step_problems, path, only_step=index)
            for problem in step_problems:
                if problem.key[:2] == ("history", index):
                    out.add(path, problem.code, problem.message, problem.hint, key=problem.key, commit=commit.sha)
            if skew and not entry.get("backfill"):
                self.check_clock(change, index, entry, float(skew), out)

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
        """The duty roster 排班 is changed by whoever `permissions.roster_edit` names (SPEC §12)."""
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
        """A version's effective date never goes before the previous version's (SPEC §9)."""
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

    @lru_cache(maxsize=256)
    def roster_at(self, rev: str):
        from csops.people import Person, Roster

        folder = f"{self.prefix}/{PEOPLE}" if self.prefix else PEOPLE
        paths = [p for p in self.git.files_under(rev, folder) if p.endswith(".yaml")]
        people = {}
        for blob in self.git.blobs([f"{rev}:{p}" for p in paths]):
            data = _parse(blob)
            if data and data.get("id"):
                people[str(data["id"])] = Person.from_data(data)
        return Roster(people)

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
        """Every commit after the one that turned audit.require_signed on carries a good signature
        by its author (the allowed signers are records/allowed_signers)."""
        path = f"{self.prefix}/{POLICY}" if self.prefix else POLICY
        firsts = [c.parents[0] for c in commits if c.parents]
        ids = dict(zip(firsts, self.git.object_ids([f"{p}:{path}" for p in firsts])))
        required = {}
        for commit in commits:
            blob = ids.get(commit.parents[0]) if commit.parents else None
            if blob not in required:
                policy = self.policy_at(commit.parents[0]) if blob else None
                required[blob] = bool(policy and policy.section("audit").get("require_signed"))
            if not required[blob]:
                continue
            _ignored, author = self.who(commit)
            where = f"{self.prefix or '.'}"
            if commit.signature in ("N", ""):
                out.add(where, "UNSIGNED_COMMIT", _("commit by {author} is not signed (audit.require_signed)",
                                                    author=author),
                        _("configure signing: git config user.signingkey KEY; git config gpg.format ssh; git config "
                          "commit.gpgsign true"), commit=commit.sha)
            elif commit.signature not in ("G", "U") or not commit.signer:   # U without a signer: a key not allowed
                out.add(where, "BAD_SIGNATURE", _("commit by {author} has a signature Git cannot verify "
                                                  "({signature})",
                                                  author=author, signature=commit.signature),
                        _("is the signer in records/allowed_signers?"), commit=commit.sha)
            elif commit.signer.lower() != commit.author.email.lower():
                out.add(where, "SIGNER_NOT_AUTHOR", _("commit by {author} is signed by {signer}",
                                                      author=author, signer=commit.signer),
                        _('each person signs their own commits'), commit=commit.sha)


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

