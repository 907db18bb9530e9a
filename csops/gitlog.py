"""The only module that runs Git: find the work tree, commit one change, read a record's log,
and list the commits and file versions that `validate --history` replays.

Commits go through the git binary (`repo.git`), never GitPython's index API, which is an order
of magnitude slower on a large repository. GitPython is imported only when Git is needed.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from csops.errors import Conflict, NotFound

TRAILER_PREFIX = "Csops-"


@dataclass(frozen=True)
class Author:
    name: str
    email: str


@dataclass(frozen=True)
class LogEntry:
    commit: str
    author: Author
    date: str
    subject: str
    trailers: dict


@dataclass(frozen=True)
class FileChange:
    status: str          # A, M, D
    path: str            # relative to the work tree


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    parents: tuple[str, ...]
    author: Author
    changes: tuple[FileChange, ...]


class Git:
    """A Git work tree. Construction fails with NotFound outside a repository."""

    def __init__(self, path: Path):
        import git  # GitPython: imported only where Git is touched

        self._gitmod = git
        try:
            self.repo = git.Repo(path, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise NotFound(f"{path} is not inside a Git repository", "run csops init, or git init there") from None
        self.root = Path(self.repo.working_tree_dir).resolve()
        self.git_dir = Path(self.repo.git_dir).resolve()

    @staticmethod
    def init(path: Path) -> "Git":
        import git

        git.Repo.init(path)
        return Git(path)

    def run(self, *args, env: dict | None = None, **kwargs) -> str:
        try:
            return self.repo.git.execute(["git", *args], env=env, **kwargs)
        except self._gitmod.GitCommandError as exc:
            detail = (exc.stderr or exc.stdout or "").strip().splitlines()
            raise Conflict(f"git {args[0]} failed: {detail[-1] if detail else exc.status}".replace("stderr: ", "")) from None

    def background(self, *args):
        """Start `git ARGS` on a thread now; the returned function waits and gives its stdout."""
        import subprocess
        import threading

        box = {}

        def run():
            box["out"] = subprocess.run(["git", *args], cwd=self.root, capture_output=True, check=False)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()

        def result() -> str | None:
            thread.join()
            done = box.get("out")
            return done.stdout.decode("utf-8", "surrogateescape") if done and done.returncode == 0 else None

        return result

    def rel(self, path: Path) -> str:
        return Path(os.path.relpath(Path(path).resolve(), self.root)).as_posix()

    def has_commits(self) -> bool:
        try:
            self.repo.head.commit
            return True
        except ValueError:
            return False

    def head(self) -> str | None:
        return self.repo.head.commit.hexsha if self.has_commits() else None

    def config(self, key: str) -> str | None:
        try:
            return self.repo.git.config("--get", key).strip() or None
        except self._gitmod.GitCommandError:
            return None

    def status(self, *paths: Path) -> str:
        """Porcelain status limited to `paths` (empty when clean)."""
        return self.run("status", "--porcelain", "--untracked-files=all", "--", *[self.rel(p) for p in paths])

    def commit(self, paths: list[Path], message: str, author: Author, when: dt.datetime | None) -> str:
        """Stage `paths` and commit exactly them (other staged work is left alone)."""
        env = dict(os.environ)
        if when is not None:
            env["GIT_AUTHOR_DATE"] = when.isoformat(timespec="seconds")
        if not self.config("user.email"):
            # CI machines often have no identity; the committer is then csops itself.
            env.setdefault("GIT_COMMITTER_NAME", "csops")
            env.setdefault("GIT_COMMITTER_EMAIL", "csops@localhost")
        rels = [self.rel(p) for p in paths]
        self.run("add", "--", *rels, env=env)
        self.run("commit", "--quiet", "--no-verify", "-m", message, f"--author={author.name} <{author.email}>",
                 "--only", "--", *rels, env=env)
        return self.head()

    def unstage(self, path: Path) -> None:
        """Undo `git add` of a path (used when a commit fails after staging)."""
        rel = self.rel(path)
        try:
            if self.has_commits():
                self.repo.git.execute(["git", "reset", "--quiet", "--", rel])
            else:
                self.repo.git.execute(["git", "rm", "--cached", "--quiet", "--", rel])
        except self._gitmod.GitCommandError:
            pass

    def log_file(self, path: Path) -> list[LogEntry]:
        """Every commit that touched the file, oldest first, with csops trailers parsed."""
        sep, end = "\x1f", "\x1e"
        fmt = sep.join(["%H", "%an", "%ae", "%aI", "%s", "%(trailers:only,unfold)"]) + end
        out = self.run("log", "--reverse", f"--format={fmt}", "--", self.rel(path))
        entries = []
        for chunk in out.split(end):
            chunk = chunk.strip("\n")
            if not chunk:
                continue
            sha, name, email, date, subject, trailers = chunk.split(sep)
            parsed = {}
            for line in trailers.splitlines():
                if ":" in line:
                    key, value = line.split(":", 1)
                    parsed[key.strip()] = value.strip()
            entries.append(LogEntry(sha, Author(name, email), date, subject, parsed))
        return entries

    # -- history replay -----------------------------------------------------------------------

    def resolve(self, rev: str) -> str:
        return self.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").strip()

    def commits_touching(self, prefix: str, since: str | None) -> list[CommitInfo]:
        """Commits (parents before children) that change files under `prefix`, each with its
        file changes against its first parent. `since` limits the walk to REV..HEAD."""
        if not self.has_commits():
            return []
        revs = [f"{since}..HEAD"] if since else ["HEAD"]
        sep, end = "\x1f", "\x1e"
        out = self.run("log", "--reverse", "--topo-order", "--full-history", "--no-renames", "--raw",
                       "--no-abbrev", f"--format={end}%H{sep}%P{sep}%an{sep}%ae", *revs, "--", prefix)
        commits = []
        for chunk in out.split(end):
            chunk = chunk.strip("\n")
            if not chunk:
                continue
            header, *lines = chunk.split("\n")
            sha, parents, name, email = header.split(sep)
            parents = tuple(parents.split())
            if len(parents) > 1:  # git log shows no raw diff for merges: ask for it against parent 1
                lines = self.run("diff-tree", "-r", "--no-renames", "--no-abbrev", parents[0], sha,
                                 "--", prefix).splitlines()
            changes = []
            for line in lines:
                if line.startswith(":") and "\t" in line:
                    meta, path = line.split("\t", 1)
                    changes.append(FileChange(meta.split()[-1][0], path))
            commits.append(CommitInfo(sha, parents, Author(name, email), tuple(changes)))
        return commits

    def blobs(self, specs: list[str]) -> list[bytes | None]:
        """Contents of many `rev:path` objects through one `git cat-file --batch` process."""
        import subprocess

        if not specs:
            return []
        proc = subprocess.run(["git", "cat-file", "--batch"], cwd=self.root, input="\n".join(specs).encode() + b"\n",
                              capture_output=True, check=False)
        data, pos, out = proc.stdout, 0, []
        for _ in specs:
            newline = data.index(b"\n", pos)
            header = data[pos:newline].split()
            pos = newline + 1
            if len(header) < 3 or header[1] == b"missing":
                out.append(None)
                continue
            size = int(header[2])
            out.append(data[pos:pos + size])
            pos += size + 1
        return out
