"""Policy commands: import a year's public holidays into policy.yaml (one commit)."""

from __future__ import annotations

from csops import actions
from csops.bootstrap import import_year
from csops.policy import check_text


def import_holidays(session, country: str, year: int) -> tuple[int, int]:
    actor, policy = session.actor, session.policy
    policy.require(actor, "policy_edit", doing="change the policy")
    path = session.store.policy_path
    text, off, worked = import_year(path.read_text(encoding="utf-8"), country, year)
    check_text(text, session.store.display(path))
    message = (f"policy: {country} holidays for {year} ({off} days off, {worked} make-up workdays)"
               f"\n\nCsops-By: {actor.id}")
    actions.save_file(session, path, text, message, actor.author, new=False)
    return off, worked
