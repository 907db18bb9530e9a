"""The record index: every record file's entry (csops.cache.analyse), computed once per file
content and cached under .git/ (csops.cache.entries), and the records themselves read from the
SQLite database (csops.cache.db) — only those a command asks for.

A file is known by its Git blob id — taken from the index for files `git status` reports clean,
hashed from the bytes for any other — so a change, committed or not, is always seen. Entries also
depend on the policy, the roster and csops itself; a change to any of them starts them afresh.
Cold, files are parsed and checked by as many processes as there are cores; a corrupt cache is
rebuilt, never trusted.
"""

from __future__ import annotations

import contextlib
import marshal
import os
from collections.abc import Mapping
from itertools import compress
from pathlib import Path

from csops import calendar
from csops.cache.analyse import CHUNK, UNWORKED, WORKER, Entry, decode, unpack, work, work_facts
from csops.cache import moves
from csops.cache.entries import (NOTHING, Patched, Rels, Saved, Table, as_dict, cache_path, column_of,
                                 load, save, type_of_rel)
from csops.cache.gitstate import (ask_git, ask_staged, changed_paths, content_id, flagged, git_index_id,
                                  staged_blobs, fingerprint)
from csops.engine import Context
from csops.errors import CsopsError
from csops.pool import Workers, each_in_parallel
from csops.store import caching
from csops.workflows import WORKFLOWS

class Index:
    """The record files of each type in listing order, each with its (possibly still encoded)
    entry and the blob id of its content when Git knows it unchanged."""

    def __init__(self, rels: dict[str, list[str]], results: dict, blobs: dict | None = None,
                 unknown: frozenset | set = frozenset(), rich=None, token: str = "", facts: Mapping | None = None,
                 scope: tuple | None = None):
        self.rels, self.results = rels, results
        self.scope = scope                # the types Git was asked about (None: every type): the only ones served
        self._facts = facts if facts is not None else {}
        self.token = token                # the saved state this is (empty: not saved, nothing kept)
        self._blobs, self._unknown = blobs if blobs is not None else {}, unknown
        self._rich = rich                 # rels that may have a packed entry (None: any)
        self.memo = {}                    # what one command reads more than once (of_type, load_records)
        self.head: str | None = None      # the commit HEAD was as the index was built
        # (the state the cache was in before this command, the files whose entries or blobs this
        # command changed since) — when it knows them: the database catches up on those alone
        self.since: tuple[str, set[str]] | None = None

    def _served(self, rtype: str | None) -> None:
        """Refuse, as the bug it is, to answer for a type (None: for every type) Git was not asked
        about: its cached entries may be of files edited since."""
        if self.scope is not None and (rtype is None or rtype not in self.scope):
            raise AssertionError(f"the record index was asked about {rtype or 'every type'}, but Git only about "
                                 f"{', '.join(self.scope)} (csops.reads.READS)")

    def state(self) -> str | None:
        """Names what the index vouches for — its saved state and the files Git does not vouch
        for — so that what was found true of it once need not be checked again; None when the
        state was not saved."""
        return _state(self.token, self._unknown)

    def vouched(self, rtype: str) -> bool:
        """Whether Git vouches for every file of the type (each has the blob its entry was
        computed for: no usable file lacks one)."""
        return not self._unknown or not self.doubtful(rtype)

    def blob(self, rel: str) -> str | None:
        """The blob id of a file Git says is unchanged (a key the parsed-data cache can trust)."""
        return None if rel in self._unknown else self._blobs.get(rel)

    def id_of(self, rel: str) -> str | None:
        """The record id of a file, without building its entry."""
        return _id(self.results[rel])

    def blob_column(self, rtype: str) -> tuple[list[str], list]:
        """(the type's rels in listing order, each one's blob as cached — whether or not Git
        vouches for it now: see blob)."""
        self._served(rtype)
        listed = self.rels.get(rtype, [])
        return listed, column_of(self._blobs, rtype, listed)

    def doubtful(self, rtype: str) -> set[int]:
        """The listing positions of the type's files Git does not vouch for (once per command)."""
        self._served(rtype)
        found = self.memo.get(("doubtful", rtype))
        if found is None:
            listed, unknown = self.rels.get(rtype, []), self._unknown
            if len(unknown) > 64:
                found = {place for place, rel in enumerate(listed) if rel in unknown}
            else:                                   # the usual few: each found in the list (in C)
                found = {listed.index(rel) for rel in unknown if rel in listed}
            self.memo[("doubtful", rtype)] = found
        return found

    def blobs_of(self, rtype: str, rels: list[str]) -> list[str | None]:
        """blob(rel) of each of `rels` (files of type `rtype`), from a table of that type's files
        only (built once per command, from the type's slice of the cached column)."""
        self._served(rtype)
        if rels is self.rels.get(rtype) and not self._unknown:   # every file of the type, Git vouching for each
            if ("column", rtype) not in self.memo:
                self.memo[("column", rtype)] = self.blob_column(rtype)[1]
            return self.memo[("column", rtype)]
        blobs = self.memo.get(("blobs", rtype))
        if blobs is None:
            blobs = self.memo[("blobs", rtype)] = dict(zip(*self.blob_column(rtype)))
        unknown = self._unknown
        return [None if rel in unknown else blobs.get(rel) for rel in rels]

    def facts_of(self, rtype: str) -> dict:
        """rel → what reports count of each record of a type (Workflow.facts; empty or missing
        when it has none), computed for the content the entry was (built once per command)."""
        self._served(rtype)
        kept = self.memo.get(("facts", rtype))
        if kept is None:
            listed = self.rels.get(rtype, [])
            kept = self.memo[("facts", rtype)] = dict(zip(listed, column_of(self._facts, rtype, listed)))
        return kept

    def _all(self):
        for listed in self.rels.values():
            yield from listed

    def _packed(self):
        """(rel, packed entry) of every file with problems, duties or no usable content, in
        listing order (the rest are plain: only validate reads them)."""
        for rel in self._all() if self._rich is None else self._rich:
            value = self.results.get(rel)
            if value.__class__ is tuple:
                yield rel, value

    def of_type(self, rtype: str) -> tuple[list[str], list[Entry]]:
        """The files of a type the rules can read (rels, listing order), and the entries of
        those they cannot (a listing names them instead of leaving them out)."""
        self._served(rtype)
        if ("type", rtype) not in self.memo:
            bad = self._bad().get(rtype, {})
            listed = self.rels.get(rtype, [])
            usable = [rel for rel in listed if rel not in bad] if bad else listed
            self.memo[("type", rtype)] = usable, self.unusable_of(rtype)
        return self.memo[("type", rtype)]

    def unusable_of(self, rtype: str) -> list[Entry]:
        """of_type's second part alone: the entries of the type's files the rules cannot read, in
        listing order (the type's paths are not split for it)."""
        self._served(rtype)
        if ("unusable", rtype) not in self.memo:
            bad = self._bad().get(rtype, {})
            self.memo[("unusable", rtype)] = [unpack(rel, bad[rel]) for rel in sorted(bad)]    # listing order
        return self.memo[("unusable", rtype)]

    def _bad(self) -> dict[str, dict]:
        """type → {rel: packed entry} of the files the rules cannot read (every type's at once: one
        pass over the few entries that are not plain)."""
        if "bad" not in self.memo:
            found: dict[str, dict] = {}
            for rel, value in self._packed():
                if not value[5]:
                    found.setdefault(value[0], {})[rel] = value
            self.memo["bad"] = found
        return self.memo["bad"]

    def entries_of(self, rtype: str) -> list[Entry]:
        self._served(rtype)
        return [decode(rel, self.results[rel]) for rel in self.rels.get(rtype, ())]

    def packed(self) -> list[Entry]:
        """The entries with problems, obligations or no usable content (the few; the rest are
        plain)."""
        self._served(None)
        return [unpack(rel, value) for rel, value in self._packed()]

    def ids(self):
        """(id, rel) of every record with an id, in listing order, without building its entry (a
        type's entries taken as a column: no table of every file is made for it)."""
        self._served(None)
        for rtype, listed in self.rels.items():
            yield from ((record_id, rel) for record_id, rel in zip(map(_id, column_of(self.results, rtype, listed)),
                                                                   listed) if record_id)

    def summaries(self, rtype: str) -> list[tuple[str, object]]:
        """(rel, Summary or None) of each file of a summarised type (leave, score), in listing
        order, without building their entries."""
        from csops.cache.analyse import Summary

        self._served(rtype)
        listed = self.rels.get(rtype, [])
        out = []
        for rel, value in zip(listed, column_of(self.results, rtype, listed)):
            if value.__class__ is tuple:
                out.append((rel, Summary(*value[3]) if value[3] else None))
            else:
                parts = value.split("\t")
                out.append((rel, Summary(parts[1] or None, *(x or None for x in parts[2:]))))
        return out

    def owing(self, rtype: str | None = None) -> list[Entry]:
        """Only the entries with obligations (the overdue report's rows come from these), of one
        type or of every type."""
        self._served(rtype)
        return [unpack(rel, value) for rel, value in self._packed() if value[4] and rtype in (None, value[0])]

    def unusable(self) -> list[Entry]:
        """The files the rules could not read (a report names them instead of leaving them out)."""
        self._served(None)
        return [unpack(rel, value) for rel, value in self._packed() if not value[5]]


def _state(token: str, unknown) -> str | None:
    """Index.state of a saved state (its token) with these files Git does not vouch for."""
    if not token:
        return None
    if not unknown:
        return token
    import hashlib

    return token + ":" + hashlib.sha1("\0".join(sorted(unknown)).encode()).hexdigest()


def build_index(store, ctx: Context, git, *, jobs: int | None = None, use_cache: bool = True,
                status=None, progress=None, scope: tuple | None = None, with_facts: bool = True) -> Index:
    """Every record file's Entry, from the cache where the content is known, else computed.
    `status`: the `git status` the command started early (gitlog.ask_status), if it did.
    `with_facts`: the command reads what reports count of records (Workflow.facts; Index.facts_of)
    — without, those of the files read now are left unworked (UNWORKED) and what a closed record
    owes is found without working out its deadlines (Workflow.owed): a validate of a fresh clone
    reads none of it; the first command that does works them out, once.

    What a warm run costs is kept to what changed: folders are listed again only where an entry
    was added, removed or renamed (Store.rel_files); Git's index is read again only when its
    checksum changed; when neither changed, only the files `git status` names now or named last
    time are looked at — every other file has the blob its cached entry was computed for. After
    csops' own writes (Git's index moved as csops.cache.moves notes) and when files were added or
    removed, those files are looked at too, and no more."""
    workers: list[Workers] = []          # started by _build when every file is read again
    head = git.head_at_start() if git is not None else None
    try:
        index = _build(store, ctx, git, jobs, use_cache, status, workers, progress, scope, with_facts)
        index.head = head
        return index
    finally:
        for pool in workers:
            pool.close()


def _build(store, ctx: Context, git, jobs: int | None, use_cache: bool, status, workers: list, progress,
           scope: tuple | None = None, with_facts: bool = True) -> Index:
    use_cache = use_cache and caching()
    root = store.root
    scope = scope if use_cache and git is not None else None
    asked = ask_git(git, root, status, _folders(scope)) if use_cache else None
    saved_at = cache_path(git) if use_cache else None
    git_index = git_index_id(git) if use_cache else None
    saved = load(saved_at) if use_cache else NOTHING
    same_index = git_index is not None and saved.git_index == git_index
    # Git's index moved by csops' own writes only (path → the blob each put there), or None
    moved = moves.between(git.git_dir, saved.git_index, git_index) \
        if use_cache and not same_index and saved.results else None
    listed = ask_staged(git, asked[0]) if asked is not None and not same_index and moved is None else None
    folders: dict | None = {} if use_cache else None
    if use_cache and saved.folders and store.folders_unchanged(saved.folders):
        rels, folders = saved.rels, saved.folders      # not one file added, removed or renamed
    else:
        rels = {rtype: store.rel_files(rtype, saved.folders, folders) for rtype in store.types}
    versions = ctx.versions.key.encode() if ctx.versions is not None else b""
    swaps = [f"{rel}:{content_id(root / rel)}" for rel in rels.get("swap", ())]
    stamp = fingerprint(store, store.policy_path.read_bytes() + b"\0" + versions, swaps)
    if saved.fingerprint != stamp:
        saved = saved._replace(blobs={}, results={}, rich=())
    same_rels = rels is saved.rels or rels == saved.rels
    todo, early = [], None
    if not saved.results and sum(len(listed) for listed in rels.values()) > CHUNK:
        # every file is read again: the workers are started now, before the tables of a million
        # files are built here (forked later, they would share those pages and, filling the
        # holes the tables leave, copy them), and handed the first files at once — each hashes
        # what it reads — to work while Git is asked what changed (a cold validate at 100,000
        # records: half a second sooner)
        WORKER.update(ctx=ctx, workflows=WORKFLOWS, root=root, facts=with_facts)
        workers.append(Workers(jobs))
        if workers[0].pool is not None:
            todo = [(rtype, rel, None) for rtype, listed in rels.items() for rel in listed]
            early = _compute(todo, root, ctx, WORKFLOWS, jobs, workers[0], with_facts)
    if scope is not None and not ((same_index or moved is not None) and saved.results):
        # only the cached entries of the other types' files can be taken on trust (Git not asked
        # about them): here they cannot be, so Git is asked about every file after all
        asked, scope = ask_git(git, root), None
    staged, dirty = None, set()
    if asked is not None:
        prefix, status = asked
        changed = status()
        if listed is not None:
            listed = listed()                       # Git's index as text: made a table when needed
            staged = "" if listed is None else listed
        if changed is None:
            staged, same_index, scope = {}, False, None     # no usable Git: everything is read from disk
            moved = None
        else:
            dirty = {path[len(prefix):] for path in changed_paths(changed) if path.startswith(prefix)}
            if isinstance(staged, str):             # flags live in the index: read with it (kept in unknown)
                dirty |= flagged(prefix, staged)
    results: dict[str, object] = {}
    blobs: dict[str, str] = {}
    facts: Mapping = {}
    trusted: dict = {}                   # with `early`: the blobs Git vouches for (what it hashed: it may filter)
    again: list = []                     # files whose entries stand, their facts left unworked: worked out now
    changed_types: set[str] = set()      # whose files or entries differ from the cache's (the rest are copied)
    copied_from = None                   # the cache file whose columns those other types keep (its Rels)
    if (same_index or moved is not None) and saved.results:
        # Git's index is as it was, or moved by csops' own writes only: a file git status does not
        # name, that Git knew as clean last time and that no csops write has put in the index
        # since, has the blob its cached entry was computed for. The files added to the folders,
        # and those csops wrote, are looked at; those gone are dropped.
        results, blobs, facts = saved.results, saved.blobs, saved.facts
        copied_from = saved.rels if isinstance(saved.rels, Rels) else None
        moved = {path[len(asked[0]):]: blob for path, blob in (moved or {}).items() if path.startswith(asked[0])}
        unknown = dirty | saved.unknown
        added, gone = [], set()
        if not same_rels:
            for rtype, listed in rels.items():
                before = saved.rels[rtype] if rtype in saved.rels else []
                if listed != before:
                    changed_types.add(rtype)
                    known = set(before)
                    added += [(rtype, rel) for rel in listed if rel not in known]
                    gone |= known.difference(listed)
            unknown -= gone
        for rel in sorted((unknown | moved.keys()) - gone - {rel for _rtype, rel in added}):
            value = results.get(rel)
            if value is None:
                continue                 # added (below), or not a record file: nothing cached for it
            blob = content_id(root / rel)
            if rel in moved and rel not in unknown and blob != moved[rel]:
                unknown.add(rel)         # not what csops put in the index: Git does not vouch for it
            if blobs.get(rel) != blob:
                todo.append((_kind(value), rel, None))
        for rtype, rel in added:         # clean only if csops put just this in the index
            if rel in dirty or rel not in moved or content_id(root / rel) != moved[rel]:
                unknown.add(rel)
            todo.append((rtype, rel, None))
        if todo or gone:
            results, blobs, facts = _editable((results, blobs, facts), rels, changed_types, gone)
        if with_facts and any(saved.unworked.values()):          # what a validate left for reports
            whole = {rel for _type, rel, _blob in todo}
            again = [(rtype, rel, blobs.get(rel)) for rtype in saved.unworked if rtype in rels
                     for rel, kept in zip(rels[rtype], column_of(facts, rtype, rels[rtype]))
                     if kept == UNWORKED and rel not in whole]
            if again and not (todo or gone):
                results, blobs, facts = _editable((results, blobs, facts), rels, changed_types, gone)
        changed_types.update(rtype for rtype, _rel, _blob in (*todo, *again))
        touched = gone.union(rel for _rtype, rel, _blob in todo)
        rich = [*(rel for rel in saved.rich if rel not in gone), *(rel for _type, rel, _blob in todo)]
        if todo:                         # the fresh ones go in listing order among the others
            order = {rtype: i for i, rtype in enumerate(rels)}
            rich = sorted(set(rich), key=lambda rel: (order[type_of_rel(rels, rel)], rel))
    else:
        unknown = set()
        if staged is None and asked is not None and (same_index or moved is not None):  # the cache is no use after all
            staged = ask_staged(git, asked[0])() or ""
            dirty |= flagged(asked[0], staged)
        staged = staged_blobs(asked[0], staged) if isinstance(staged, str) and asked is not None else staged or {}
        listed = None                    # Git's index as text (100 MB at a million files): the table has it
        before, before_blobs, before_facts = as_dict(saved.results), as_dict(saved.blobs), as_dict(saved.facts)
        facts = {}
        rich = []                        # in listing order, as the loop goes
        if early is not None:            # every file is in the workers' hands: nothing cached to look up
            rich = [rel for listed in rels.values() for rel in listed]
            unknown = {rel for rel in rich if rel in dirty or rel not in staged}
            trusted = staged
        for rtype, listed in rels.items() if early is None else ():
            for rel in listed:
                blob = staged.get(rel)
                if blob is None or rel in dirty:
                    unknown.add(rel)
                    blob = content_id(root / rel)
                hit = before.get(rel) if before_blobs.get(rel) == blob else None
                if hit is not None and with_facts and before_facts.get(rel) == UNWORKED:
                    hit = None           # what a validate left for reports: worked out now
                if hit is not None and _kind(hit) == rtype:
                    results[rel] = hit
                    blobs[rel] = blob
                    if before_facts.get(rel):
                        facts[rel] = before_facts[rel]
                    if hit.__class__ is tuple:
                        rich.append(rel)
                    continue
                todo.append((rtype, rel, None if rel in unknown else blob))
                rich.append(rel)         # may turn out plain: _packed looks
        staged = before = before_blobs = before_facts = None    # a million entries: let go before the checks
    # In-process or forked alike, what the checks note of uncertain years is set aside: what a
    # command warns of is what it computes itself (overdue notes its deadlines).
    shown = progress(len(todo)) if progress is not None and len(todo) > 1000 else contextlib.nullcontext(_not_shown)
    with calendar.noting(), shown as step:
        # taken as the workers send them (a million results need not be held at once), in order
        # a few files changed since the last command are worked out whole whatever it reads: only
        # a cold build leaves facts for the command that counts (a report after each write would
        # otherwise work out the written file again and save the cache anew)
        computed = early if early is not None else _compute(todo, root, ctx, WORKFLOWS, jobs,
                                                             workers[0] if workers else None,
                                                             with_facts or len(todo) <= CHUNK)
        for (_rtype, rel, _known), (blob, values, kept) in zip(todo, computed):
            step(1)
            results[rel] = values
            if kept:
                facts[rel] = kept
            else:
                facts.pop(rel, None)
            if blob is None:
                blobs.pop(rel, None)     # a failed read is never cached: the next run tries again
            else:
                blobs[rel] = trusted.get(rel, blob) if rel not in unknown else blob
    if again:
        _work_out_facts(again, root, ctx, jobs, facts, progress)
    fresh, todo = bool(todo or again), None     # a million work items: let go before the cache is written
    trusted = None
    now = Saved(stamp, git_index, rels, blobs, results, frozenset(unknown), folders or {}, (), saved.token, facts)
    same_entries = same_rels and not fresh and stamp == saved.fingerprint    # every entry as saved (all hits)
    if use_cache and not (same_entries and git_index == saved.git_index and now.unknown == saved.unknown
                          and (folders is saved.folders or folders == saved.folders)):
        now = now._replace(token=saved.token if same_entries and saved.token else os.urandom(8).hex())
        # the types nothing changed of are copied from the cache file as they are (a write changes one)
        kept = frozenset(rels) - changed_types if copied_from is not None else frozenset()
        if not save(saved_at, now, copied_from, kept):
            now = now._replace(token="")
    index = Index(rels, results, blobs, now.unknown, rich, now.token if use_cache else "", facts, scope)
    if copied_from is not None and saved.token and use_cache:
        index.since = (_state(saved.token, saved.unknown), touched)
    return index


def _editable(tables: tuple, rels: Mapping, changed: set[str], gone: set[str]) -> tuple:
    """The cached tables, to change: each a Patched over the cached one (a few files set over it,
    the types they are of made again only when read), without the files `gone`."""
    out = []
    for table in tables:
        if isinstance(table, Table):
            table = Patched(table, rels, changed, gone)
        else:
            table = {rel: value for rel, value in table.items() if rel not in gone}
        out.append(table)
    return tuple(out)


def _folders(scope: tuple | None) -> tuple[str, ...]:
    from csops.vocab import TYPES

    return tuple(TYPES[rtype].folder for rtype in scope) if scope else ()


def _kind(value) -> str:
    """The record type of a cached entry (packed tuple or encoded text)."""
    return value[0] if value.__class__ is tuple else value.split("\t", 1)[0]


def _id(value) -> str | None:
    """The record id of a cached entry (packed tuple or encoded text)."""
    return (value[1] if value.__class__ is tuple else value.split("\t", 2)[1]) or None



def _work_out_facts(again: list, root: Path, ctx: Context, jobs: int | None, facts: dict, progress) -> None:
    """The facts a validate left unworked of files whose entries stand, into `facts` (read and
    parsed again, their deadlines worked out; not checked again: each is the content its entry
    was made of)."""
    WORKER.update(ctx=ctx, workflows=WORKFLOWS, root=root)
    shown = progress(len(again)) if progress is not None and len(again) > 1000 else contextlib.nullcontext(_not_shown)
    with calendar.noting(), shown as step:
        for (_rtype, rel, _blob), (_same, _none, kept) in zip(again, each_in_parallel(
                work_facts, again, jobs=jobs, chunk=CHUNK, parallel_from=CHUNK + 1)):
            step(1)
            if kept:
                facts[rel] = kept
            else:
                facts.pop(rel, None)


def _compute(todo: list, root: Path, ctx: Context, workflows, jobs: int | None, workers: Workers | None = None,
             with_facts: bool = True):
    """work's results for `todo`, one at a time, in order (by `workers` when started)."""
    WORKER.update(ctx=ctx, workflows=workflows, root=root, facts=with_facts)
    return each_in_parallel(work, todo, jobs=jobs, chunk=CHUNK, parallel_from=CHUNK + 1, workers=workers)


# -- the records themselves: from the database, only those asked for ---------------------------

def _parse(store, rels: list[str]):
    """(rel, data, error message, line, code) of each file, parsed by a pool when they are many."""
    from csops.store import _READER, _read_chunk

    _READER["root"] = str(store.root)
    return each_in_parallel(_read_chunk, rels)


def _sync(index: Index, db, store, rtype: str, progress=None) -> set[str]:
    """Give the database a row for every usable file of the type Git vouches for (parsing the ones
    it lacks), once per command; the rels it could not give a row (read from their files). A
    saved index state the database was synced with before needs no look at the listing."""
    from csops.cache.db import signature

    key = ("synced", rtype)
    if key in index.memo:
        return index.memo[key]
    state = index.state()
    left: set[str] = set()
    if state is None or not db.in_state(rtype, state):
        since = index.since if state is not None and index.since and db.in_state(rtype, index.since[0]) else None
        if since is not None:          # synced with the state before this command: only what it changed
            bad = index._bad().get(rtype, {})
            usable = [rel for rel in sorted(since[1]) if rel not in bad and rel in index.results
                      and _kind(index.results[rel]) == rtype]
            blobs = [index.blob(rel) for rel in usable]      # (no table of the type's blobs made for a few)
        else:
            usable = index.of_type(rtype)[0]
            blobs = index.blobs_of(rtype, usable)
        stamp = signature(blobs)
        if since is not None or not db.is_synced(rtype, stamp):
            have = db.blobs(rtype) if since is None else db.blobs_among(rtype, [blob for blob in blobs if blob])
            todo = [(rel, blob) for rel, blob in zip(usable, blobs) if blob and blob not in have]
            blob_of = dict(todo)
            batch: list = []
            with (progress(len(todo)) if progress is not None and len(todo) > 1000 else
                  contextlib.nullcontext(_not_shown)) as step:
                for rel, data, message, _line, _code in _parse(store, [rel for rel, _blob in todo]):
                    step(1)
                    if message or not isinstance(data, dict):
                        left.add(rel)      # changed since the index saw it: read again from the file
                        continue
                    batch.append((blob_of[rel], data))
                    if len(batch) >= 5000:
                        db.add(rtype, batch)
                        batch = []
                db.add(rtype, batch)
            if not left and since is None:
                db.mark_synced(rtype, stamp, {blob for blob in blobs if blob})
        if not left and state is not None:
            db.set_meta(f"state:{rtype}", state)
    if not left and index.head and db.meta(f"head:{rtype}") != index.head and \
            not index.doubtful(rtype) and None not in index.blob_column(rtype)[1]:
        db.set_meta(f"head:{rtype}", index.head)     # every record of the type as HEAD has it is held
    index.memo[key] = left
    return left


def catch_up(db, git, store, rtype: str) -> bool:
    """Bring the database up to HEAD's committed files of a type without looking at the work tree:
    from the commit it last held every one of (head:<type>), only the files that changed since
    are read (from Git). False when it never held them all (a full read makes it so)."""
    from csops import yamlio
    from csops.vocab import TYPES

    head, known = git.head(), db.meta(f"head:{rtype}")
    if head is None or known is None:
        return False
    if known == head:
        return True
    folder = git.rel(store.root / TYPES[rtype].folder)
    try:
        changed = sorted(path for path in git.changed_paths(known, head) if path.startswith(folder + "/"))
        if len(changed) > 5000:
            return False                             # a full read costs less
        found = git.tree_blobs(head, changed)
    except CsopsError:
        return False                                 # that commit is gone (a rebase, then gc): a full read
    have = found and db.blobs_among(rtype, list(found.values()))
    wanted = [(path, blob) for path, blob in found.items() if blob not in have and path.endswith(".yaml")]
    rows = []
    for (path, blob), data in zip(wanted, git.blobs([blob for _path, blob in wanted])):
        try:
            parsed = yamlio.load(data) if data is not None else None
        except yamlio.YamlError:
            continue                                 # the rules cannot read it: nothing to find
        if isinstance(parsed, dict):
            rows.append((blob, parsed))
    db.add(rtype, rows)
    db.set_meta(f"head:{rtype}", head)
    return True


def _not_shown(count: int) -> None:
    """A step of progress nobody is shown."""


def load_records(index: Index, db, store, rtype: str, rels: list[str], where, progress=None
                 ) -> list[tuple[str, object, object]]:
    """(rel, data, read error) for those of `rels` (usable files of one type, listing order) that
    may fit `where` (csops.query.Where: a hint, the caller tests each record), in their order:
    from the database where Git vouches for the file's content, else read from the file. `db`
    None (or failing): every file is read."""
    import sqlite3

    from csops.yamlio import YamlError

    out: dict[int, tuple] = {}
    files = list(range(len(rels)))             # positions read from their files
    if db is not None and not db.broken:
        try:
            return _load(index, db, store, rtype, rels, where, progress)
        except sqlite3.Error:
            db.broken = True                   # a full disk, a lock held too long: the files, this time
    for place, (rel, data, message, line, code) in zip(files, _parse(store, [rels[p] for p in files])):
        out[place] = (rel, data, YamlError(message, line, code) if message else None)
    return [out[place] for place in sorted(out)]


def _places(index: Index, rtype: str, rels: list[str], left: set[str]):
    """For reading `rels` (files of one type) a page at a time (load_newest): the places of those
    read from their files (Git does not vouch for them), and a lookup content → its places among
    the others."""
    blobs, files = _from_files(index, rtype, rels, left)
    first = dict(zip(blobs, range(len(blobs))))      # blob → a place (built in C: a hundred thousand files)
    first.pop(None, None)
    twins: dict[str, list[int]] = {}
    if len(first) + len(files) != len(blobs):        # two files alike: every place of the content
        for place, blob in enumerate(blobs):
            if blob is not None:
                twins.setdefault(blob, []).append(place)

    def places(blob: str):
        place = first.get(blob)
        return () if place is None else twins.get(blob) or (place,)
    return files, places


def _from_files(index: Index, rtype: str, rels: list[str], left: set[str]) -> tuple[list, list[int]]:
    """For reading `rels` (files of one type): each one's blob where its row can be used (None:
    Git does not vouch for it, or the database could not give it a row), and the places of those
    read from their files."""
    blobs = index.blobs_of(rtype, rels)
    if left:
        blobs = [None if rel in left else blob for rel, blob in zip(rels, blobs)]
    return blobs, [place for place, blob in enumerate(blobs) if blob is None] if None in blobs else []


def _found(blobs: list, rows: dict):
    """(place, row) of each file whose content has one of the database's `rows` (blob → row; a
    file alike another has it too). The rows that fit a read are the few, so the files are looked
    up in them rather than every file's content made a table of (at 100,000 files that table cost
    more than the query). The places are picked out in C (compress over a map of the lookup): a
    loop over 60,000 contents in Python cost more than the rest of the read."""
    if not rows:
        return ()
    return ((place, rows[blobs[place]]) for place in compress(range(len(blobs)), map(rows.__contains__, blobs)))


def _load(index: Index, db, store, rtype: str, rels: list[str], where, progress):
    import marshal

    from csops.yamlio import YamlError

    blobs, files = _from_files(index, rtype, rels, _sync(index, db, store, rtype, progress))
    out: dict[int, tuple] = {}
    loads = marshal.loads
    few = None                                       # a batch (a dump's): its own rows, not every one
    if len(rels) * 4 < len(index.of_type(rtype)[0]):
        few = sorted(set(blobs) - {None})
    for place, payload in _found(blobs, dict(db.select(rtype, where, few))):
        out[place] = (rels[place], loads(payload), None)
    for place, (rel, data, message, line, code) in zip(files, _parse(store, [rels[p] for p in files])):
        out[place] = (rel, data, YamlError(message, line, code) if message else None)
    return [out[place] for place in sorted(out)]


def load_steps(index: Index, db, store, rtype: str, rels: list[str], where
               ) -> list[tuple[str, object, object, object, str | None]]:
    """load_records for reports that read only what csops.steps.steps keeps: (rel,
    marshalled Steps or None, data or None, read error, blob), in listing order — the Steps where
    the database holds them, else the record's data (the caller works them out of it)."""
    import sqlite3

    if db is not None and not db.broken:
        try:
            blobs, files = _from_files(index, rtype, rels, _sync(index, db, store, rtype))
            out: dict[int, tuple] = {}
            loads = marshal.loads
            rows = {blob: (kept, payload) for blob, kept, payload in db.select_steps(rtype, where)}
            for place, (kept, payload) in _found(blobs, rows):
                out[place] = (rels[place], kept, None if kept is not None else loads(payload), None, blobs[place])
            for place, (rel, data, message, line, code) in zip(files, _parse(store, [rels[p] for p in files])):
                out[place] = (rel, None, data, _error(message, line, code), None)
            return [out[place] for place in sorted(out)]
        except sqlite3.Error:
            db.broken = True
    return [(rel, None, data, error, None) for rel, data, error in load_records(index, None, store, rtype, rels, where)]


def _error(message, line, code):
    from csops.yamlio import YamlError

    return YamlError(message, line, code) if message else None


def data_of(db, rtype: str, blob: str):
    """The parsed record the database holds for a content (the data of a row load_steps gave
    Steps of), or None."""
    payload = db.data_of(rtype, [blob]).get(blob) if db is not None else None
    return marshal.loads(payload) if payload is not None else None


def load_newest(index: Index, db, store, rtype: str, where, count: int, order
                ) -> list[tuple[str, object, object]]:
    """load_records for the `count` newest records that may fit `where` (a search's page): they are
    ordered by `order(id, created)` on the database's columns, and only their data is read; files
    Git does not vouch for are read and given too (the caller orders what it gets). The database
    orders the rows whose registration it holds as a moment; the few others are ordered here."""
    import marshal
    import sqlite3

    from csops.yamlio import YamlError

    if db is None or db.broken:
        return load_records(index, db, store, rtype, index.of_type(rtype)[0], where)
    try:
        from csops.cache.db import many_fit

        left = _sync(index, db, store, rtype)
        fit = db.most_fit(rtype, where)
        if fit == 0 and not left and index.vouched(rtype):
            return []                                 # no row's words fit, and every file is as its row
        usable = index.of_type(rtype)[0]
        unchanged = not left and None not in index.blobs_of(rtype, usable)
        others = db.heads(rtype, where)
        start, size = 0, count * 2 + 100
        page = db.heads(rtype, where, start, size, many_fit(fit, len(usable), count))
        if not others and not page and unchanged:
            return []                                 # nothing fits, and every file is as the database has it
        files, places = _places(index, rtype, usable, left)
        live = [head for head in others if places(head[0])]
        newest = []
        while True:                                   # rows of contents no file has now are passed over
            newest += [head for head in page if places(head[0])]
            if len(page) < size or len(newest) >= count:
                break
            start += size
            page = db.heads(rtype, where, start, size, many_fit(fit, len(usable), count))
        heads = sorted(((order(record_id, created), blob) for blob, record_id, created in live + newest[:count]),
                       key=lambda pair: pair[0])[:count]
        payloads = db.data_of(rtype, [blob for _key, blob in heads])
    except sqlite3.Error:
        db.broken = True
        return load_records(index, db, store, rtype, index.of_type(rtype)[0], where)
    out = []
    for _key, blob in heads:
        for place in places(blob):
            out.append((usable[place], marshal.loads(payloads[blob]), None))
    for place, (rel, data, message, line, code) in zip(files, _parse(store, [usable[p] for p in files])):
        out.append((rel, data, YamlError(message, line, code) if message else None))
    return out


# -- what is derived from the whole index ------------------------------------------------------
# Each saved index state has a token; an answer computed from the index alone (the checks across
# records) is kept under it in the database and given again while the index is unchanged.

def recall(db, index: Index, key: str):
    """What `keep` kept under `key` for this very index state, or None."""
    if db is None or not index.token:
        return None
    value = db.recall(index.token, key)
    return value if isinstance(value, list) else None


def keep(db, index: Index, key: str, value: list) -> None:
    import sqlite3

    if db is None or not index.token:
        return
    try:
        db.keep(index.token, key, value)
    except (sqlite3.Error, ValueError):
        pass                            # only costs speed
