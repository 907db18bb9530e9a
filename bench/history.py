"""How a record's history reads in a repository with a desk's history: one commit per change.

`bench/run.py` generates its records in a few commits; a desk makes a commit for every change,
and `csops log ID` walks that history (`git log -- FILE`). This generates N records
(bench/generate.py), then M commits each changing one ticket or return as csops does (git
fast-import), and times `csops log ID` — the first run, which writes Git's commit-graph with its
changed-path filters (Git.keep_history_graph), then warm — against `git log -- FILE` on the same
history before that graph was written. Usage:

    python bench/history.py --records 20000 --commits 100000 [--keep]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    return subprocess.run(["git", *args], cwd=repo, input=stdin, capture_output=True, check=True).stdout.decode()


def seconds(cmd: list[str], cwd: Path, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=cwd, capture_output=True)
        out.append(time.perf_counter() - start)
        if done.returncode != 0:
            sys.exit(f"benchmark command failed: {' '.join(cmd)}\n{done.stderr.decode()[-2000:]}")
    return out


def add_history(repo: Path, commits: int, seed: int = 11) -> list[str]:
    """`commits` commits on HEAD, each adding a note to one ticket or return file (a desk's day:
    most changes to recent records); the paths changed, in order."""
    rng = random.Random(seed)
    files = sorted(line for line in git(repo, "ls-files", "records/tickets", "records/returns").splitlines())
    recent = files[-max(1, len(files) // 5):]           # the latest fifth get most of the changes
    branch = git(repo, "symbolic-ref", "-q", "HEAD").strip()
    head = git(repo, "rev-parse", "HEAD").strip()
    content: dict[str, bytes] = {}
    changed = []
    feed = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=repo, stdin=subprocess.PIPE)
    write = feed.stdin.write
    moment = int(time.time()) - commits * 60
    for n in range(commits):
        path = rng.choice(recent if rng.random() < 0.8 else files)
        if path not in content:
            content[path] = (repo / path).read_bytes()
        content[path] += f"# 备注 {n}\n".encode()
        data, message = content[path], f"csops: note on {Path(path).stem}".encode()
        write(f"commit {branch}\ncommitter bench <bench@bench.example> {moment + n * 60} +0800\n".encode())
        write(f"data {len(message)}\n".encode() + message + b"\n")
        if n == 0:
            write(f"from {head}\n".encode())
        write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        changed.append(path)
    feed.stdin.close()
    if feed.wait() != 0:
        sys.exit("git fast-import failed")
    git(repo, "reset", "-q", "--hard")
    return changed


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).parent))
    from generate import generate

    temp = Path(tempfile.mkdtemp(prefix="csops-history-"))
    repo = temp / "repo"
    repo.mkdir()
    try:
        started = time.perf_counter()
        generate(repo, args.records)
        git(repo, "config", "user.email", "bench@bench.example")
        git(repo, "config", "user.name", "bench")
        changed = add_history(repo, args.commits)
        info = repo / ".git" / "objects" / "info"         # as a clone has it: no commit-graph
        (info / "commit-graph").unlink(missing_ok=True)
        shutil.rmtree(info / "commit-graphs", ignore_errors=True)
        total = int(git(repo, "rev-list", "--count", "HEAD"))
        print(f"{args.records} records, {total} commits, made in {time.perf_counter() - started:.0f} s", flush=True)
        path = changed[-1]                                 # a record someone is working on
        record_id = Path(path).stem
        csops = [sys.executable, "-m", "csops", "--records", str(repo / "records")]
        subprocess.run([*csops, "validate"], cwd=repo, capture_output=True)       # the record index, built
        plain = statistics.median(seconds(["git", "log", "--format=%H", "--", path], repo, args.runs))
        first = seconds([*csops, "log", record_id], repo, 1)[0]
        warm = statistics.median(seconds([*csops, "log", record_id], repo, args.runs))
        walk = statistics.median(seconds(["git", "log", "--format=%H", "--", path], repo, args.runs))
        rows = [("git log -- FILE, no commit-graph (what csops log walked before)", plain, None),
                ("csops log ID, first run (writes the commit-graph with path filters)", first, None),
                ("csops log ID, warm", warm, 0.3),
                ("git log -- FILE, with the commit-graph", walk, None)]
        print(f"{'figure':<70}  {'seconds':>8}  target")
        for name, value, target in rows:
            met = "" if target is None else f"≤ {target} s  {'yes' if value <= target else 'NO'}"
            print(f"{name:<70}  {value:8.2f}  {met}")
    finally:
        if args.keep:
            print(f"kept: {repo}")
        else:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
