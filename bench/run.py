"""csops performance benchmark: the figures of the performance issue, as ratios measured in the
same run (the machines are shared and noisy), on a generated repository of N records.

    python bench/run.py --records 100000            # generates into a temporary folder
    python bench/run.py --repo /tmp/b100k           # reuses a generated repository

Each timing is the best of a few runs of the real command in a subprocess.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PARSE_BASELINE = """
import os, sys, yaml
root = sys.argv[1]
count = 0
for folder in ("tickets", "returns", "leave", "scores"):
    for dirpath, _, files in os.walk(os.path.join(root, folder)):
        for name in files:
            if name.endswith(".yaml"):
                with open(os.path.join(dirpath, name), "rb") as handle:
                    yaml.load(handle.read(), Loader=yaml.CSafeLoader)
                count += 1
print(count)
"""


# The listings and reports supervisors run (SPEC §7, §11), each timed as a real command, with
# output of the size a desk reads (a listing by state; a whole-type dump is timed apart).
READS = [
    ("report overdue", ["report", "overdue"]),
    ("ticket list --status resolved", ["ticket", "list", "--status", "resolved"]),
    ("return list --status received", ["return", "list", "--status", "received"]),
    ("leave list --status requested", ["leave", "list", "--status", "requested"]),
    ("score list --status recorded", ["score", "list", "--status", "recorded"]),
    ("report stats --period (a month)", ["report", "stats", "--period", "2026-10"]),
    ("report scores --period (a month)", ["report", "scores", "--period", "2026-10"]),
    ("report daily --date", ["report", "daily", "--date", "2026-11-19"]),
    ("report agents --period (a month)", ["report", "agents", "--period", "2026-10"]),
    ("report returns --date", ["report", "returns", "--date", "2026-11-19"]),
    ("ticket list --assignee --status (a person's open work)", ["ticket", "list", "--assignee", "agent003",
                                                                 "--status", "routed"]),
    ("ticket list --kind --since --until (a week's complaints)", ["ticket", "list", "--kind", "complaint", "--since",
                                                                  "2026-11-16", "--until", "2026-11-20"]),
    ("ticket list --text --since --until (a week's refund complaints)", ["ticket", "list", "--text", "退款 到账",
                                                                         "--since", "2026-11-16", "--until",
                                                                         "2026-11-20"]),
    ("ticket list --overdue --kind", ["ticket", "list", "--overdue", "--kind", "complaint"]),
    ("search (a Chinese word, every type)", ["search", "破损"]),
    ("search (a three-character word)", ["search", "退款未"]),
    ("customer show (one customer)", None),    # filled in with a real customer's contact
    ("ticket show ID", None),                 # filled in with a real id
    ("log ID", None),
]


def timed(cmd: list[str], cwd: Path, repeat: int = 1, env: dict | None = None, prepare=None) -> float:
    best = float("inf")
    for _ in range(repeat):
        if prepare:
            prepare()
        start = time.perf_counter()
        result = subprocess.run(cmd, cwd=cwd, capture_output=True, env=env)
        elapsed = time.perf_counter() - start
        if result.returncode not in (0,):
            sys.exit(f"benchmark command failed: {' '.join(cmd)}\n{result.stderr.decode()[-2000:]}")
        best = min(best, elapsed)
    return best


def peak_memory_mb(cmd: list[str], cwd: Path) -> tuple[float, float, float]:
    """(seconds, peak of the memory the command and all its child processes use together, peak
    of their resident sizes summed). The first counts each process's proportional set size (PSS,
    /proc/PID/smaps_rollup): a page the forked workers still share with their parent is counted
    once, split between them; the second (RSS) counts it once per process. Where the kernel has
    no smaps_rollup, both are RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = [0, 0]

    def field(path: str, name: str) -> int | None:
        try:
            with open(path) as handle:
                return next((int(line.split()[1]) for line in handle if line.startswith(name)), None)
        except OSError:
            return None

    def tree() -> tuple[int, int]:
        pss = rss = 0
        pids, children = [proc.pid], {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as handle:
                        parent = int(handle.read().rsplit(")", 1)[1].split()[1])
                    children.setdefault(parent, []).append(int(entry))
                except (OSError, ValueError, IndexError):
                    pass
        while pids:
            pid = pids.pop()
            pids.extend(children.get(pid, []))
            resident = field(f"/proc/{pid}/status", "VmRSS:") or 0
            proportional = field(f"/proc/{pid}/smaps_rollup", "Pss:")
            rss += resident
            pss += resident if proportional is None else proportional
        return pss, rss

    def sample():
        pause = 0.05
        while proc.poll() is None:
            now = tree()
            peak[0], peak[1] = max(peak[0], now[0]), max(peak[1], now[1])
            time.sleep(pause)
            pause = min(pause * 1.1, 0.5)    # reading smaps costs CPU: a long command is looked at less often

    thread = threading.Thread(target=sample)
    thread.start()
    proc.wait()
    elapsed = time.perf_counter() - start
    thread.join()
    return elapsed, peak[0] / 1024, peak[1] / 1024


def git(repo: Path, *args) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=None,
                        help="how many records to generate (default 10,000); with --repo, the size the run is "
                             "filed under in --markdown (default: what the repository holds)")
    parser.add_argument("--repo", type=Path, default=None, help="an existing generated repository to reuse")
    parser.add_argument("--keep", action="store_true", help="keep the generated repository")
    parser.add_argument("--markdown", type=Path, default=None,
                        help="also write the figures as a Markdown section into this file (docs/performance.md)")
    args = parser.parse_args(argv)
    py = sys.executable
    csops = [py, "-m", "csops"]          # the csops this Python imports (PYTHONPATH may name a checkout)
    # start-up figures: the script installed beside this Python (a shim on PATH, pyenv's say, would
    # add its own start-up), with csops compiled to bytecode as pip installs it (PYTHONDONTWRITEBYTECODE
    # in the environment would otherwise time Python compiling csops on every run)
    script = next((str(p) for p in (Path(sys.executable).parent / "csops",) if p.exists()), None) \
        or shutil.which("csops") or sys.exit("csops is not installed (pip install -e .)")
    import compileall
    import importlib.util

    compileall.compile_dir(str(Path(importlib.util.find_spec("csops").origin).parent), quiet=1)
    work = args.repo
    temp = None
    started = time.perf_counter()
    if work is None:
        temp = Path(tempfile.mkdtemp(prefix="csops-bench-"))
        work = temp / "repo"
        work.mkdir()
        from generate import generate

        args.records = args.records or 10_000
        print(f"generating {args.records} records in {work} …", flush=True)
        generate(work, args.records)
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    records = work / "records"
    count = sum(1 for folder in ("tickets", "returns", "leave", "scores") for _ in (records / folder).rglob("*.yaml"))
    git(work, "config", "user.email", "bench@bench.example")
    git(work, "config", "user.name", "bench")
    sample = next((records / "tickets").rglob("*.yaml"))
    sample_id = sample.stem
    contact = yaml.safe_load(sample.read_text(encoding="utf-8"))["customer"]["contact"]
    for i, (name, read) in enumerate(READS):
        if read is None:
            READS[i] = (name, ["customer", "show", contact] if name.startswith("customer") else
                        [*name.split()[:-1], sample_id])
    cache = work / ".git" / "csops-cache"
    drop_cache = lambda: shutil.rmtree(cache, ignore_errors=True)  # noqa: E731
    rows = []

    def add(name, value, unit, baseline=None, target=None, absolute=None):
        ratio = value / baseline if baseline else None
        ok = (ratio is not None and target is not None and ratio <= target) or (
            absolute is not None and value <= absolute)
        goal = f"≤ {target}×" if target is not None else f"≤ {absolute} {unit}" if absolute is not None else "—"
        rows.append((name, f"{value:.2f} {unit}", f"{baseline:.2f} {unit}" if baseline else "",
                     f"{ratio:.2f}×" if ratio else "", goal, "" if goal == "—" else "yes" if ok else "NO"))

    print("measuring …", flush=True)
    # the parse and cold validate taken in turn, best of two each (one each at a million records,
    # where a cold run takes minutes): the first parse may read the files from disk (a page cache
    # that no longer holds them makes the floor several times slower), and a slow moment of the
    # shared machine then falls on both sides alike. Both are timed alone: the memory is measured
    # in a cold run of its own, since reading /proc/PID/smaps of every process several times a
    # second takes CPU from the command on two cores (about 3% of a cold run), which the parse's
    # timing does not pay
    parse = cold = float("inf")
    for attempt in range(2 if count <= 200_000 else 1):
        parse = min(parse, timed([py, "-c", PARSE_BASELINE, str(records)], work, repeat=2 if attempt == 0 else 1))
        cold = min(cold, timed([*csops, "--records", str(records), "validate"], work, prepare=drop_cache))
    drop_cache()
    _seconds, cold_rss, cold_resident = peak_memory_mb([*csops, "--records", str(records), "validate"], work)
    # the targets for validate are at 100,000 records (in a small repository Python's and the
    # workers' start-up is most of a cold run); at a million it sets one for reads only — a warm
    # validate is one (≤ 1.5× git status), a cold one is shown without a target
    big = count > 200_000
    add("validate, cold (vs. one-process CSafeLoader parse)", cold, "s", parse,
        target=0.7 if 5000 < count <= 200_000 else None)
    warm = timed([*csops, "--records", str(records), "validate"], work, repeat=5)
    now = ["--now", "2026-11-23T09:00"]
    status = timed(["git", "status", "--porcelain"], work, repeat=5)
    add("validate, warm", warm, "s", status if big else None, target=1.5 if big else None,
        absolute=None if big else 1.0)
    add("git status (the floor of every read: csops asks it what changed)", status, "s")
    for name, read in READS:                     # every listing and report, warm (the first run fills the caches)
        command = [*csops, "--records", str(records), *now, *read]
        subprocess.run(command, cwd=work, capture_output=True)
        # the targets: ≤ 0.3 s at 100,000 records; at a million, ≤ 1.5× git status
        add(f"{name}, warm", timed(command, work, repeat=3), "s", status,
            target=1.5 if big else None,
            absolute=None if big else 0.3 if count > 5000 else 0.5)
    dump, dump_rss, _ = peak_memory_mb([*csops, "--records", str(records), *now, "ticket", "list", "--format", "json"], work)
    add("ticket list --format json (every ticket, streamed), warm", dump, "s", absolute=None)

    click = timed([py, "-c", "import click"], work, repeat=7)
    add("csops --version (vs. python -c 'import click')", timed([script, "--version"], work, repeat=7), "s", click,
        target=1.3)
    add("csops --help (vs. python -c 'import click')", timed([script, "--help"], work, repeat=7), "s", click,
        target=1.3)

    # one mutating command against the same change made with git add + git commit: as users type
    # it — with a contact and an order (the repeat-caller check reads that customer's records), and
    # for a customer who already has many open records
    env = {**os.environ, "CSOPS_RECORDS": str(records)}
    new = [*csops, "--as", "agent000", "--now", "2026-11-23T10:00", "ticket", "new", "--kind", "complaint",
           "--channel", "phone", "--customer", "基准", "--summary", "基准测试"]
    # contacts and orders of this run's own: a repository reused (--repo) keeps every earlier run's
    # tickets, which would pile up under one number and turn the first case into the second
    first, again = (f"137{random.randrange(10**8):08d}" for _ in range(2))
    order, order_again = (f"TB-BENCH-{random.randrange(10**8):08d}" for _ in range(2))
    bare = timed([*new[:-4], "--kind", "inquiry", "--customer", "基准", "--summary", "基准测试"], work, repeat=5, env=env)
    mutate = timed([*new, "--contact", first, "--order", order], work, repeat=5, env=env)
    for n in range(30):                          # a customer who calls again and again
        subprocess.run([*new, "--contact", again], cwd=work, env=env, capture_output=True, check=True)
    busy = timed([*new, "--contact", again, "--order", order_again], work, repeat=5, env=env)
    sample = next((records / "tickets" / "2026" / "11").rglob("*.yaml"))
    text = sample.read_text(encoding="utf-8")

    def touch():
        sample.write_text(text + f"# {time.perf_counter()}\n", encoding="utf-8")

    plain = timed(["sh", "-c", f"git add '{sample}' && git commit -q -m bench"], work, repeat=3, prepare=touch)
    # the targets: the ratio at scale (100,000 records), the absolute time in a small repository
    add("ticket new --contact --order (vs. git add FILE && git commit)", mutate, "s", plain,
        target=1.2 if count > 5000 else None)
    add("  the same, a customer with many open records", busy, "s", plain, target=1.2 if count > 5000 else None)
    add("  ticket new without contact or order", bare, "s", plain)
    if count <= 5000:
        add("one mutating command, absolute (small repository)", mutate, "s", absolute=0.15)
    # a desk reads right after it writes: the first listing after a ticket new (the cache catches up
    # on the written file), against the same listing warm
    listing = [*csops, "--records", str(records), *now, "ticket", "list", "--status", "registered"]
    written = lambda: subprocess.run([*new[:-4], "--kind", "inquiry", "--customer", "基准", "--summary", "再测"],  # noqa: E731
                                     cwd=work, env=env, capture_output=True, check=True)
    after = timed(listing, work, repeat=5, prepare=written)
    add("ticket list right after a ticket new (vs. the same listing warm)", after, "s",
        timed(listing, work, repeat=5))
    # the index database rebuilt from nothing (the entries kept): what a lost .git/csops-cache/index.sqlite costs
    base = cache / "index.sqlite"

    def drop_db():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{base}{suffix}").unlink(missing_ok=True)
    rebuild = timed([*csops, "--records", str(records), *now, "search", "破损"], work, repeat=1, prepare=drop_db)
    add("index database rebuilt from nothing (search, cold)", rebuild, "s")

    # history replay: proportional to the commits after REV, not to the repository
    head = git(work, "rev-parse", "HEAD").strip()
    for n in range(10):
        subprocess.run([*csops, "--as", "agent001", "--now", f"2026-11-23T11:{n:02d}", "ticket", "new", "--kind",
                        "inquiry", "--channel", "chat", "--customer", "基准", "--summary", f"第{n}条"],
                       cwd=work, env=env, capture_output=True, check=True)
    one = timed([*csops, "--records", str(records), "validate", "--history", "--since", "HEAD~1"], work, repeat=3)
    ten = timed([*csops, "--records", str(records), "validate", "--history", "--since", head], work, repeat=3)
    add("validate --history --since (10 commits vs. 1)", ten, "s", one, target=1.5)
    rss = peak_memory_mb([*csops, "--records", str(records), "validate"], work)[1]
    add("peak memory, warm validate", rss, "MB", absolute=1024)
    rss = peak_memory_mb([*csops, "--records", str(records), *now, "report", "overdue"], work)[1]
    add("peak memory, warm report overdue", rss, "MB", absolute=1024)
    add("peak memory, every ticket as JSON", dump_rss, "MB", absolute=1024)
    add("peak memory, cold validate (all processes)", cold_rss, "MB", absolute=1024)
    add("  the same, resident sizes summed (shared pages once per process)", cold_resident, "MB")
    git(work, "reset", "-q", "--hard", head)

    width = [max(len(str(r[i])) for r in rows + [("figure", "measured", "baseline", "ratio", "target", "met")])
             for i in range(6)]
    header = ("figure", "measured", "baseline", "ratio", "target", "met")
    print(f"\n{count} records; {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    for row in [header, tuple("-" * w for w in width)] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, width)))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    if args.markdown:
        _write_markdown(args.markdown, args.records or count, count, header, rows)
    if temp and not args.keep:
        shutil.rmtree(temp, ignore_errors=True)


def _write_markdown(path: Path, asked: int, count: int, header: tuple, rows: list) -> None:
    """Replace the section of `path` for the size asked for (`--records`; a repository reused with
    --repo grows by each run's writes: `count` is what it held) with this run's table, or add it."""
    import datetime as dt
    import platform

    title = f"## {asked:,} records"
    lines = [title, "", f"Measured {dt.date.today().isoformat()} by `bench/run.py --records {asked}` "
             f"({count:,} records in the repository) on "
             f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite {__import__('sqlite3').sqlite_version}, "
             f"{platform.system()} (the ratio is to the baseline in the same run).", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start = text.find(title + "\n")
    if start >= 0:
        end = text.find("\n## ", start + len(title))
        text = text[:start] + "\n".join(lines) + "\n" + (text[end:] if end >= 0 else "")
    else:
        text = text.rstrip() + "\n\n" + "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
