"""Work spread over processes: forked workers where the platform can fork (Linux), the same work
in-process where it cannot (Windows; macOS builds that forbid it) — workers that start afresh
(spawn) would not have the state the work reads from module globals. Used to parse and check
many record files at once (a cold index, a dump)."""

from __future__ import annotations

import os
from collections import deque
from itertools import islice


def in_parallel(work, items: list, *, jobs: int | None = None, chunk: int = 500, parallel_from: int = 1000) -> list:
    """`work(chunk) -> list` over `items` cut into chunks, by one forked process per core when
    there are at least `parallel_from` items; the results in the order of `items`. `work` is a
    module-level function; state it needs is set in a module global before the fork."""
    return list(each_in_parallel(work, items, jobs=jobs, chunk=chunk, parallel_from=parallel_from))


class Workers:
    """Forked worker processes, started when the caller chooses (before it builds what they
    need not share); what they inherit is left out of their collector's walks. Where the
    platform cannot fork (Windows; macOS builds that forbid it) there is no pool and the work
    is done in-process: workers that start afresh (spawn) would not have the state the work
    reads from module globals."""

    def __init__(self, jobs: int | None = None):
        import gc
        import multiprocessing

        self.jobs, self.pool = jobs or os.cpu_count() or 1, None
        if self.jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
            return
        gc.freeze()
        try:
            self.pool = multiprocessing.get_context("fork").Pool(self.jobs)
        except BaseException:
            gc.unfreeze()
            raise

    def close(self) -> None:
        import gc

        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None
            gc.unfreeze()


def each_in_parallel(work, items: list, *, jobs: int | None = None, chunk: int = 500, parallel_from: int = 1000,
                     workers: Workers | None = None):
    """in_parallel, each result as it comes (a caller that keeps little need not hold them all);
    by `workers` when given — and then the first chunks are handed to them at the call, so they
    work while the caller does something else before it reads the results."""
    chunks = [items[i:i + chunk] for i in range(0, len(items), chunk)]
    if workers is not None and workers.pool is not None:
        return _by_workers(workers, work, chunks)
    return _each(work, items, chunks, jobs, parallel_from)


def _each(work, items: list, chunks: list, jobs: int | None, parallel_from: int):
    jobs = jobs or os.cpu_count() or 1
    if jobs < 2 or len(items) < parallel_from or len(chunks) < 2:
        for part in chunks:
            yield from work(part)
        return
    # What the workers inherit (at a million files: the listing, the work list) is left out of
    # their collector's walks, so its pages stay shared rather than copied into each worker.
    workers = Workers(jobs)
    try:
        if workers.pool is None:                 # no fork here: in-process
            for part in chunks:
                yield from work(part)
            return
        yield from _by_workers(workers, work, chunks)
    finally:
        workers.close()


def _by_workers(workers: Workers, work, chunks: list):
    """The chunks' results in order; a few chunks ahead per worker, no more: a caller slower
    than the workers (filling the database) would otherwise have every parsed chunk wait in
    memory (at a million records, gigabytes). The first ones are handed out now."""
    pending, ahead = iter(chunks), deque()
    for part in islice(pending, 4 * workers.jobs):
        ahead.append(workers.pool.apply_async(work, (part,)))
    return _collect(workers, work, pending, ahead)


def _collect(workers: Workers, work, pending, ahead: deque):
    while ahead:
        done = ahead.popleft().get()
        part = next(pending, None)
        if part is not None:
            ahead.append(workers.pool.apply_async(work, (part,)))
        yield from done
