"""Creating a records repository (`csops init`) and importing public holidays into its policy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from csops import txn, yamlio
from csops.errors import BadInput, NotARepository, Refused
from csops.gitlog import Author, Git, blob_id
from csops.i18n import _
from csops.templates import template_text
from csops.vocab import POLICY

GITATTRIBUTES_LINE = "{records}/**/*.yaml merge=csops text eol=lf"   # LF on every desk, Windows included


def merge_driver_command() -> str:
    """The driver as Git runs it: this interpreter by its absolute path, so it works whatever PATH
    git has (an IDE, a GUI client, a server hook)."""
    import shlex
    import sys

    return f"{shlex.quote(sys.executable)} -m csops merge-file %O %A %B %P"


def holidays_for(country: str, year: int) -> tuple[dict[str, str], dict[str, str]]:
    """(days off that would be worked, weekend days that are worked) for one year, from the
    `holidays` package, named in Chinese where it knows the names."""
    import holidays as holidays_lib

    try:
        try:
            calendar = holidays_lib.country_holidays(country, years=year, language="zh_CN")
        except (NotImplementedError, ValueError):
            calendar = holidays_lib.country_holidays(country, years=year)
    except (NotImplementedError, KeyError, AttributeError):
        raise BadInput(_("--country {country}: the holidays package knows no such country", country=country)) from None
    off = {d.isoformat(): str(name) for d, name in sorted(calendar.items()) if d.weekday() < 5 and d.year == year}
    worked = {d.isoformat(): "调休" for d in sorted(getattr(calendar, "weekend_workdays", ()) or ()) if d.year == year}
    return off, worked


def estimated_schedule(country: str, worked, year: int) -> bool:
    """Whether a year's imported holidays are a guess: for CN, no make-up workday is known for it
    nor for the year after — the newest years, whose schedule is not out yet (an old year the
    package simply has no make-up days for is not waiting for anything)."""
    if country.upper() != "CN" or worked:
        return False
    return not holidays_for(country, year + 1)[1] if year < 2099 else True


def import_year(policy_text: str, country: str, year: int) -> tuple[str, int, int]:
    """policy.yaml's text with one year's holidays and make-up workdays added (keeping its
    comments), and how many of each. A CN year without any 调休 make-up workday has no official
    schedule yet (it is published late in the year before): it is listed in `calendar.estimated`
    until it is imported again with one (docs/rules.md)."""
    if not 2000 <= year <= 2099:
        raise BadInput(_("--year {year} is out of range (2000–2099)", year=year))
    off, worked = holidays_for(country, year)
    if not off:
        raise Refused(_("the holidays package has no {country} holidays for {year}", country=country, year=year))
    doc = yamlio.rt_load(policy_text)
    from ruamel.yaml.comments import CommentedMap

    calendar = doc.setdefault("calendar", CommentedMap())
    for key, values in (("holidays", off), ("makeup_workdays", worked)):
        existing = calendar.get(key)
        if not isinstance(existing, dict) or not existing:
            existing = CommentedMap()
            calendar[key] = existing
        for day in [d for d in list(existing) if str(d).startswith(f"{year}-")]:
            del existing[day]
        for day, name in values.items():
            existing[day] = name
        ordered = CommentedMap(sorted(existing.items(), key=lambda kv: str(kv[0])))
        calendar[key] = ordered
    listed = calendar.get("estimated")
    years = {y for y in listed if isinstance(y, int)} if isinstance(listed, list) else set()
    years = years | {year} if estimated_schedule(country, worked, year) else years - {year}
    if years:
        calendar["estimated"] = sorted(years)
    elif "estimated" in calendar:
        del calendar["estimated"]
    text = yamlio.rt_dump(doc)
    yamlio.load(text, numbers=None)
    return text, len(off), len(worked)


def init_repo(directory: Path, today: dt.date, *, country: str = "CN", with_ci: bool = False,
              inside: bool = False, when: dt.datetime | None = None, started: dt.datetime) -> Path:
    """git init (if needed), records/policy.yaml with this year's and next year's holidays, an
    empty roster, the merge driver for record files (.gitattributes + git config), optionally
    the CI templates; one commit (dated `when`, the --now given, else now: the policy's first
    version applies from then)."""
    directory = Path(directory).resolve()
    records = directory / "records"
    if (records / POLICY).exists():
        raise Refused(_("{file} already exists", file=records / POLICY), _('this is already a records repository'))
    made = not directory.exists()
    try:
        return _init(directory, records, today, country, with_ci, inside, when, started)
    except BaseException:
        if made:                       # leave nothing behind: the folder did not exist before
            import shutil

            shutil.rmtree(directory, ignore_errors=True)
        raise


def _init(directory: Path, records: Path, today: dt.date, country: str, with_ci: bool, inside: bool,
          when: dt.datetime | None, started: dt.datetime) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    try:
        git = Git(directory)
    except NotARepository:   # not a repository yet (no usable git is another NotFound, and says so)
        git = Git.init(directory)
    if git.root != directory and not inside:
        raise Refused(_("{directory} is inside the Git work tree {root}: its records would be committed there",
                        directory=directory, root=git.root),
                      _('choose a folder outside it, or pass --inside if that is what you want'))
    policy = template_text("policy.yaml")
    for year in (today.year, today.year + 1):
        try:
            policy, _ignored, _ignored = import_year(policy, country, year)
        except Refused:
            pass  # a year the package does not know yet: add it later with csops calendar import
    files = {records / POLICY: policy, records / "people" / ".gitkeep": ""}
    attributes = git.root / ".gitattributes"
    line = GITATTRIBUTES_LINE.format(records=git.rel(records))
    lines = attributes.read_text(encoding="utf-8").splitlines() if attributes.exists() else []
    if line not in lines:
        files[attributes] = "\n".join(lines + [line]) + "\n"
    if with_ci:
        files.update(ci_files(git.root, (git.branch() or "main").removeprefix("refs/heads/"), install_spec()))
    register_merge_driver(git)
    changes = [txn.Change(path, text, blob_id(path.read_bytes()) if path.exists() else None)
               for path, text in files.items()]
    with txn.repository_lock(git.git_dir):
        txn.commit_files(git, changes, "csops init: policy and empty roster", Author("csops", "csops@localhost"), when,
                         started=started)
    return records


def register_merge_driver(git: Git) -> None:
    """The one-line git config each clone needs (git does not copy config when cloning)."""
    git.run("config", "merge.csops.name", "csops record merge (history entries united by time)")
    git.run("config", "merge.csops.driver", merge_driver_command())


def install_spec() -> str | None:
    """Where this csops was installed from, as a pip requirement CI can install the same code
    from: a VCS URL pinned to its commit, an archive URL (with its hash), or a version from an
    index; None for a local folder or file (CI cannot reach it). Read from the install's
    metadata (PEP 610 direct_url.json)."""
    import json
    from importlib import metadata

    try:
        dist = metadata.distribution("csops")
    except metadata.PackageNotFoundError:
        return None
    direct = dist.read_text("direct_url.json")
    if not direct:
        return f"csops=={dist.version}"
    try:
        info = json.loads(direct)
    except ValueError:
        return None
    url = str(info.get("url") or "")
    if not url or url.startswith("file:"):
        return None
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict):
        return f"csops @ {vcs.get('vcs', 'git')}+{url}@{vcs['commit_id']}" if vcs.get("commit_id") else None
    archive = info.get("archive_info")
    if isinstance(archive, dict):
        hashes = archive.get("hashes") or {}
        digest = next((f"#{name}={value}" for name, value in hashes.items()), "")
        return f"csops @ {url}{digest}"
    return None


def ci_files(root: Path, branch: str, spec: str | None) -> dict[Path, str]:
    """A ready .pre-commit-config.yaml and a GitHub Actions workflow, both running csops validate;
    the workflow triggers on `branch` and installs csops from `spec` (see install_spec)."""
    workflow = (template_text("github-workflow.yml").replace("@BRANCH@", branch)
                .replace("@SPEC@", (spec or "").replace("'", "''")))
    notify = template_text("notify-workflow.yml").replace("@SPEC@", (spec or "").replace("'", "''"))
    return {root / ".pre-commit-config.yaml": pre_commit_config(spec),
            root / ".github" / "workflows" / "csops.yml": workflow,
            root / ".github" / "workflows" / "csops-notify.yml": notify}


def pre_commit_config(spec: str | None) -> str:
    """The records repository's .pre-commit-config.yaml: csops' own hooks from its Git repository
    at the installed commit when csops came from one (pre-commit then installs it), else local
    hooks that run the csops already installed."""
    if spec and spec.startswith("csops @ git+") and "@" in spec[len("csops @ git+"):]:
        url, _ignored, commit = spec[len("csops @ git+"):].rpartition("@")
        return ("# pre-commit (https://pre-commit.com) in a records repository, once per clone:\n"
                "#   pre-commit install && pre-commit install --hook-type pre-push\n"
                f"repos:\n- repo: {url}\n  rev: {commit}\n  hooks:\n  - id: csops-validate\n"
                "  - id: csops-validate-history\n")
    return template_text("pre-commit-config.yaml")


