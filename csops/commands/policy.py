"""Policy commands: import a year's public holidays into policy.yaml (one commit)."""

from __future__ import annotations

from csops import actions
from csops.bootstrap import import_year
from csops.i18n import _
from csops.policy import check_text


def import_holidays(session, country: str, year: int) -> tuple[int, int]:
    actor, policy = session.actor, session.policy
    policy.require(actor, "policy_edit", doing=_("change the policy"))
    path = session.store.policy_path
    text, off, worked = import_year(path.read_text(encoding="utf-8"), country, year)
    check_text(text, session.store.display(path))
    message = (f"policy: {country} holidays for {year} ({off} days off, {worked} make-up workdays)"
               f"\n\nCsops-By: {actor.id}")
    actions.save_file(session, path, text, message, actor.author, new=False)
    return off, worked


def history(session) -> list[dict]:
    """`policy history`: each version of the policy, oldest first — when it applies from, who made
    it, in which commit, and what it changed from the version before (docs/rules.md)."""
    from csops.versions import changed_keys

    rows, previous = [], None
    for version in session.versions.all:
        added, changed, removed = changed_keys(previous, version.data) if previous is not None else ([], [], [])
        parts = ([f"+{k}" for k in added if k != "effective"] + [f"~{k}" for k in changed if k != "effective"]
                 + [f"-{k}" for k in removed if k != "effective"])
        summary = "first version" if previous is None else (", ".join(parts[:8]) + (
            f", … ({len(parts) - 8} more)" if len(parts) > 8 else "") if parts else "no rule changed")
        if version.policy is None:
            summary = f"does not load, not used: {version.problem}"
        rows.append({"effective": version.effective.isoformat(), "explicit": version.explicit,
                     "author": version.author, "commit": version.commit[:10] if version.commit else "(working tree)",
                     "date": version.date, "changes": summary})
        previous = version.data
    return rows
