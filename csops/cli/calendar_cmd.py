"""csops calendar …"""

from __future__ import annotations

import click

from csops.cli.common import session


@click.group("calendar")
def calendar():
    """The business calendar: public holidays and make-up workdays (调休) in policy.yaml.

    \b
    Example:
      csops calendar import --country CN --year 2027
    """


@calendar.command("import")
@click.option("--country", default="CN", show_default=True)
@click.option("--year", type=int, required=True)
@click.pass_context
def import_(ctx, country, year):
    """Add a year's public holidays and make-up workdays from the `holidays` package (one commit).

    \b
    Example:
      csops --as zhuguan calendar import --country CN --year 2027
    """
    from csops.bootstrap import import_year
    from csops.errors import Refused
    from csops.policy import load_policy
    from csops.store import atomic_write

    sess = session(ctx)
    path = sess.store.policy_path
    actor = sess.actor
    allowed = sess.policy.permission("policy_edit")
    if not sess.policy.role_matches(actor.role, allowed):
        raise Refused(f"{actor.id} ({actor.role}) may not change the policy (allowed: {', '.join(allowed)})")
    with sess.store.lock(sess.git.git_dir):
        old = path.read_bytes()
        off, worked = import_year(path, country, year)
        try:
            load_policy(path)
            sess.git.commit([path], f"policy: {country} holidays for {year} ({off} days off, {worked} make-up workdays)"
                            f"\n\nCsops-By: {actor.id}", actor.author, sess.now)
        except BaseException:
            atomic_write(path, old.decode("utf-8"))
            raise
    click.echo(f"{year}: {off} holidays, {worked} make-up workdays")


COMMANDS = [calendar]
