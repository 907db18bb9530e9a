"""Four clones work offline, each making 50 random legal operations on new and shared records,
then everything comes together — two clones merge, two rebase — : validate --history passes and
no history entry made anywhere is lost."""

import datetime as dt
import random
import sys

from tests.conftest import Repo
from tests.conftest import run_git

CLONES = 4
OPS = 50
START = dt.datetime(2026, 11, 24, 9, 0)




def _entries(repo: Repo) -> set:
    """Every history entry in the clone, as (record, at, by, to)."""
    from csops import yamlio

    found = set()
    for path in repo.records.rglob("*-*.yaml"):
        data = yamlio.load(path.read_bytes())
        for entry in data.get("history") or []:
            found.add((data["id"], entry["at"], entry["by"], entry["to"]))
    return found


def _operations(clone: Repo, index: int, shared: list[str], rng: random.Random) -> None:
    agents = ["zhangsan", "lisi", "liubz", "zhaozg"]
    me = agents[index]
    mine: list[tuple[str, str]] = []          # (ticket id, state) made in this clone
    clock = START + dt.timedelta(minutes=index)
    for n in range(OPS):
        clock += dt.timedelta(minutes=7)
        now = clock.isoformat()
        choice = rng.random()
        open_mine = [t for t in mine if t[1] != "closed"]
        if choice < 0.3 or not open_mine:
            kind = rng.choice(["inquiry", "feedback", "complaint"])
            tid = clone.out("ticket", "new", "--kind", kind, "--channel", "chat", "--customer", f"客户{index}-{n}",
                            "--summary", "模拟", as_=me, now=now)
            mine.append((tid, "registered:" + kind))
        elif choice < 0.55:
            tid = rng.choice(shared)
            clone.run("ticket", "callback", tid, "--outcome", "unreachable", as_=me, now=now)
        elif choice < 0.65:
            clone.run("score", "add", "--person", rng.choice(["zhangsan", "lisi"]), "--code", "PHONE_RINGS",
                      "--date", clock.date().isoformat(), as_="liubz", now=now)
        else:
            pos = mine.index(rng.choice(open_mine))
            tid, state = mine[pos]
            if state.startswith("registered"):
                clone.run("ticket", "route", tid, "--to-dept", "仓库", "--assignee", me, as_=me, now=now)
                mine[pos] = (tid, "routed")
            elif state == "routed":
                clone.run("ticket", "resolve", tid, as_=me, now=now)
                mine[pos] = (tid, "resolved")
            else:
                clone.run("ticket", "callback", tid, "--outcome", "reached", "--satisfaction", "4", as_=me, now=now)
                mine[pos] = (tid, "closed")
        if n % 10 == 9:  # offline work lands in local commits; nothing is pushed until the end
            assert clone.status() == ""


def test_four_clones_fifty_operations_each_merge_without_loss(repo, tmp_path):
    shared = []
    for n in range(3):
        tid = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", f"共享{n}",
                       "--summary", "共享工单", now="2026-11-23T09:00")
        repo.run("ticket", "route", tid, "--to-dept", "售后", "--assignee", "lisi", now="2026-11-23T09:10")
        repo.run("ticket", "resolve", tid, as_="lisi", now="2026-11-23T10:00")
        shared.append(tid)
    origin = tmp_path / "origin.git"
    assert run_git(tmp_path, "clone", "-q", "--bare", str(repo.root), str(origin)).returncode == 0
    clones, made = [], set()
    for index in range(CLONES):
        where = tmp_path / f"clone{index}"
        assert run_git(tmp_path, "clone", "-q", str(origin), where.name).returncode == 0
        # half the team pulls with merges, half with rebase (both must keep every entry and pass the audit)
        for key, value in (("merge.csops.driver", f"{sys.executable} -m csops merge-file %O %A %B %P"),
                           ("user.email", "ci@example.com"), ("user.name", "ci"),
                           ("pull.rebase", "true" if index % 2 else "false")):
            run_git(where, "config", key, value)
        clone = Repo(where)
        _operations(clone, index, shared, random.Random(index))
        made |= _entries(clone)
        clones.append(clone)
    for clone in clones:   # everyone comes back online and pushes, merging what others pushed first
        pulled = run_git(clone.root, "pull", "-q", "--no-edit", "origin", "HEAD")
        assert pulled.returncode == 0, pulled.stdout + pulled.stderr
        assert run_git(clone.root, "push", "-q", "origin", "HEAD").returncode == 0
    final = Repo(tmp_path / "final")
    assert run_git(tmp_path, "clone", "-q", str(origin), "final").returncode == 0
    merged = _entries(final)
    assert made <= merged, f"{len(made - merged)} history entries lost"
    assert len(made) > CLONES * OPS
    result = final.run("validate", "--history", code=None)
    assert result.exit_code == 0, result.output
    callbacks = sum(len(final.json("ticket", "show", t)["callbacks"]) for t in shared)
    assert callbacks == sum(1 for (rid, _, _, to) in made if rid in shared and to == "resolved") - len(shared)
