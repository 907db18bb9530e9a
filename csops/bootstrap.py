"""Creating a records repository (`csops init`) and importing public holidays into its policy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from csops import yamlio
from csops.errors import BadInput, NotFound, Refused
from csops.gitlog import Author, Git
from csops.store import POLICY, atomic_write
from csops.templates import template_text

GITATTRIBUTES_LINE = "{records}/**/*.yaml merge=csops"
MERGE_DRIVER = "csops merge-file %O %A %B %P"


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
        raise BadInput(f"--country {country}: the holidays package knows no such country") from None
    off = {d.isoformat(): str(name) for d, name in sorted(calendar.items()) if d.weekday() < 5 and d.year == year}
    worked = {d.isoformat(): "调休" for d in sorted(getattr(calendar, "weekend_workdays", ()) or ()) if d.year == year}
    return off, worked


def import_year(policy_path: Path, country: str, year: int) -> tuple[int, int]:
    """Add one year's holidays and make-up workdays to policy.yaml (keeping its comments)."""
    if not 1990 <= year <= 2100:
        raise BadInput(f"--year {year} is out of range")
    off, worked = holidays_for(country, year)
    if not off:
        raise Refused(f"the holidays package has no {country} holidays for {year}")
    doc = yamlio.rt_load(policy_path.read_text(encoding="utf-8"))
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
    text = yamlio.rt_dump(doc)
    yamlio.load(text)
    atomic_write(policy_path, text)
    return len(off), len(worked)


def init_repo(directory: Path, today: dt.date, *, country: str = "CN", with_ci: bool = False) -> Path:
    """git init (if needed), records/policy.yaml with this year's and next year's holidays, an
    empty roster, the merge driver for record files (.gitattributes + git config), optionally
    the CI templates; one commit."""
    directory = Path(directory).resolve()
    records = directory / "records"
    if (records / POLICY).exists():
        raise Refused(f"{records / POLICY} already exists", "this is already a records repository")
    directory.mkdir(parents=True, exist_ok=True)
    try:
        git = Git(directory)
    except NotFound:  # not a repository yet
        git = Git.init(directory)
    (records / "people").mkdir(parents=True, exist_ok=True)
    atomic_write(records / POLICY, template_text("policy.yaml"))
    for year in (today.year, today.year + 1):
        try:
            import_year(records / POLICY, country, year)
        except Refused:
            pass  # a year the package does not know yet: add it later with csops calendar import
    keep = records / "people" / ".gitkeep"
    keep.write_text("")
    attributes = git.root / ".gitattributes"
    line = GITATTRIBUTES_LINE.format(records=git.rel(records))
    lines = attributes.read_text(encoding="utf-8").splitlines() if attributes.exists() else []
    if line not in lines:
        atomic_write(attributes, "\n".join(lines + [line]) + "\n")
    register_merge_driver(git)
    paths = [records / POLICY, keep, attributes]
    if with_ci:
        paths += write_ci(git.root)
    git.commit(paths, "csops init: policy and empty roster", Author("csops", "csops@localhost"), None)
    return records



def register_merge_driver(git: Git) -> None:
    """The one-line git config each clone needs (git does not copy config when cloning)."""
    git.run("config", "merge.csops.name", "csops record merge (history entries united by time)")
    git.run("config", "merge.csops.driver", MERGE_DRIVER)


def write_ci(root: Path) -> list[Path]:
    """The pre-commit hook definition (.pre-commit-hooks.yaml), a ready .pre-commit-config.yaml using
    it as a local hook, and a GitHub Actions workflow — all running csops validate."""
    written = []
    for source, target in (("pre-commit-hooks.yaml", ".pre-commit-hooks.yaml"),
                           ("pre-commit-config.yaml", ".pre-commit-config.yaml"),
                           ("github-workflow.yml", ".github/workflows/csops.yml")):
        path = root / target
        atomic_write(path, template_text(source))
        written.append(path)
    return written
