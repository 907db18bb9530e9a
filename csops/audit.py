"""`validate --history`: replay the Git history of the records and report any commit that
rewrites or drops earlier history entries, deletes a record, adds an entry whose `by` is not
the commit's author, or makes an illegal transition / one by a role not allowed to make it.
"""

from __future__ import annotations

from pathlib import Path

from csops import yamlio
from csops.engine import check_record
from csops.errors import BadInput
from csops.problems import Problem, Problems
from csops.vocab import FOLDERS
from csops.workflows import WORKFLOWS


def replay(session, since: str | None = None) -> list[Problem]:
    git, store = session.git, session.store
    if since:
        try:
            git.resolve(since)
        except Exception:  # noqa: BLE001 - any git failure here means an unknown revision
            raise BadInput(f"--since {since}: not a known revision", "fetch it first, e.g. git fetch origin") from None
    if not since and git.run("rev-parse", "--is-shallow-repository").strip() == "true":
        raise BadInput("this clone is shallow: replaying all history needs every commit",
                       "run git fetch --unshallow, or limit the replay with --since REV")
    prefix = git.rel(store.root)
    folders = FOLDERS
    commits = git.commits_touching(prefix, since)
    jobs, specs = [], []
    for commit in commits:
        for change in commit.changes:
            rtype = _record_type(change.path, prefix, folders)
            if rtype is None:
                continue
            # a merge is compared with every parent (a file new to one may come from the other)
            parents = commit.parents if (change.status != "A" or len(commit.parents) > 1) else ()
            old = [len(specs) + i for i, _ in enumerate(parents)]
            specs.extend(f"{p}:{change.path}" for p in parents)
            new = None
            if change.status != "D":
                new = len(specs)
                specs.append(f"{commit.sha}:{change.path}")
            jobs.append((commit, change, rtype, old, new))
    blobs = git.blobs(specs)
    out = Problems()
    for commit, change, rtype, old_idx, new_idx in jobs:
        _check_change(session, commit, change, rtype, [_history(blobs[i]) for i in old_idx],
                      _parse(blobs[new_idx]) if new_idx is not None else None, out)
    return out.items


def _record_type(path: str, prefix: str, folders: dict) -> str | None:
    rel = path[len(prefix) + 1:] if prefix not in ("", ".") and path.startswith(prefix + "/") else path
    top = rel.split("/", 1)[0]
    if top in folders and rel.endswith(".yaml") and not Path(rel).name.startswith("."):
        return folders[top]
    return None


def _parse(blob: bytes | None):
    if blob is None:
        return None
    try:
        data = yamlio.load(blob)
    except yamlio.YamlError:
        return None
    return data if isinstance(data, dict) else None


def _history(blob: bytes | None) -> list | None:
    data = _parse(blob)
    if data is None or not isinstance(data.get("history"), list):
        return None
    return data["history"]


def _key(entry) -> str:
    return repr(sorted(entry.items())) if isinstance(entry, dict) else repr(entry)


def _check_change(session, commit, change, rtype, old_histories, new_data, out: Problems) -> None:
    path, sha = change.path, commit.sha
    if change.status == "D":
        out.add(path, "RECORD_DELETED", "deletes a record; records are never deleted (close or revoke it instead)",
                commit=sha)
        return
    if new_data is None or not isinstance(new_data.get("history"), list):
        return  # unreadable at that commit; the working-tree check reports what is still wrong
    new = new_data["history"]
    new_keys = [_key(e) for e in new]
    parent_keys = set()
    merge = len(commit.parents) > 1
    for old in old_histories:
        if old is None:
            continue
        old_keys = [_key(e) for e in old]
        parent_keys.update(old_keys)
        if merge:
            missing = [k for k in old_keys if k not in set(new_keys)]
            if missing:
                out.add(path, "HISTORY_REWRITTEN", f"the merge drops {len(missing)} history "
                        f"entr{'y' if len(missing) == 1 else 'ies'} of a parent", commit=sha)
        elif new_keys[: len(old_keys)] != old_keys:
            first = next((i for i, (a, b) in enumerate(zip(old_keys, new_keys)) if a != b), len(new_keys))
            out.add(path, "HISTORY_REWRITTEN", f"rewrites or drops history entry {first} "
                    "(history is append-only: add a new entry instead)", commit=sha, key=("history", first))
    author = session.roster.by_author(commit.author)
    wf = WORKFLOWS[rtype]
    for index, entry in enumerate(new):
        if new_keys[index] in parent_keys or not isinstance(entry, dict):
            continue
        by = entry.get("by")
        if author is None or author.id != by:
            who = author.id if author else f"{commit.author.name} <{commit.author.email}>"
            out.add(path, "BY_NOT_AUTHOR", f"history[{index}] is by {by} but the commit's author is {who}",
                    "make the change as that person: csops --as PERSON …", commit=sha, key=("history", index, "by"))
        step_problems = Problems()
        check_record(new_data, wf, session.ctx, step_problems, path, only_step=index)
        for problem in step_problems:
            if problem.key[:2] == ("history", index):
                out.add(path, problem.code, problem.message, problem.hint, key=problem.key, commit=sha)


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
