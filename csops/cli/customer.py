"""csops customer …: the customer archive 客户档案."""

from __future__ import annotations

import json

import click

from csops.cli.common import (
    complete_person,
    echo_rows,
    echo_text,
    lang_of,
    note_option,
    output_options,
    require_reveal,
    session,
)
from csops.cli.helptext import CsopsSubGroup

COLUMNS = ["id", "type", "status", "created", "kind", "order", "summary", "satisfaction", "owed", "due"]


@click.group("customer", cls=CsopsSubGroup)
def customer():
    """The customer archive 客户档案 (004): one customer's tickets and returns; their card 客户卡
    (tier, owner) and regular revisits 定期回访.

    \b
    Example:
      csops customer show 13812345678
    """


@customer.command("show")
@click.argument("who", metavar="CONTACT|NAME")
@click.option("--reveal", is_flag=True, help="Show the contact unmasked (supervisor or above).")
@output_options
@click.pass_context
def show(ctx, who, reveal, fmt, lang):
    """Every ticket and return of the customer with this phone or e-mail (normalized: 138-1234-5678,
    +86 13812345678 and 13812345678 are one customer) or this exact name, newest first: status,
    satisfaction at each reached callback, what is still owed.

    \b
    Example:
      csops customer show 13812345678 --format json
      csops customer show 王女士
    """
    from csops.reports.customer import archive

    sess = session(ctx, reads=True)
    if reveal:
        require_reveal(sess)
    data = archive(sess, who, reveal=reveal)
    if fmt == "json":
        echo_text(json.dumps(data, ensure_ascii=False, indent=2), fmt)
        return
    found = data["customer"]
    name, contact = found["name"] or who, found["contact"]
    zh = lang_of(sess, lang) == "zh"
    title = (f"客户档案：{name}" + (f"（{contact}）" if contact else "") if zh
             else f"Customer: {name}" + (f" ({contact})" if contact else ""))
    if found.get("tier"):
        from csops.workflows.cards import tiers

        label = (tiers(sess.policy).get(found["tier"]) or {}).get("label") or found["tier"]
        owner = sess.roster.get(found.get("owner")).name if zh and sess.roster.get(found.get("owner")) else \
            found.get("owner")
        title += (f"\n等级：{label}；负责人：{owner or '—'}；上次回访：{(found['last_revisit'] or '—')[:10]}；"
                  f"下次回访：{(found['next_revisit'] or '—')[:10]}" if zh else
                  f"\ntier {found['tier']}; owner {owner or '-'}; last revisit {(found['last_revisit'] or '-')[:10]}; "
                  f"next revisit {(found['next_revisit'] or '-')[:10]}")
    echo_rows(sess, data["records"], COLUMNS, fmt, lang, title=title)


@customer.command("set")
@click.argument("contact", metavar="CONTACT|KEY")
@click.option("--tier", required=True, help="A tier from the policy's customers.tiers (e.g. A).")
@click.option("--name", default=None, help="The customer's name.")
@click.option("--owner", default=None, shell_complete=complete_person, help="Who owns the customer (owes the revisits).")
@click.option("--reason", required=True, help="Why (kept as the entry's note).")
@click.pass_context
def set_(ctx, contact, tier, name, owner, reason):
    """Give a customer their card 客户卡 — tier, name, owner — or change it (team lead and above;
    one commit). The contact is kept in full only in the card; every output masks it.

    \b
    Example:
      csops --as liuyang customer set 13812345678 --tier A --name 王女士 --owner zhangwei --reason 年消费超十万
    """
    from csops.commands.customer import set_card

    click.echo(set_card(session(ctx), contact, tier=tier, name=name, owner=owner, reason=reason))


@customer.command("revisit")
@click.argument("contact", metavar="CONTACT|KEY")
@click.option("--outcome", required=True, type=click.Choice(["reached", "unreachable"]), help="reached | unreachable")
@click.option("--satisfaction", type=click.IntRange(1, 5), default=None, help="5 高度满意 4 一般满意 3 无意见 2 有些不满意 1 极不满意")
@note_option
@click.pass_context
def revisit(ctx, contact, outcome, satisfaction, note):
    """Record a regular revisit 定期回访 of a customer (their owner, or customer service); the next
    one falls due the tier's revisit_every_days after a revisit that reached them.

    \b
    Example:
      csops customer revisit 13812345678 --outcome reached --satisfaction 5 --note 介绍了新品
    """
    from csops.commands.customer import revisit as record

    click.echo(record(session(ctx), contact, outcome=outcome, satisfaction=satisfaction, note=note))


@customer.command("list")
@click.option("--tier", default=None, help="Only the cards of this tier.")
@click.option("--reveal", is_flag=True, help="Show the contacts unmasked (supervisor or above).")
@output_options
@click.pass_context
def list_(ctx, tier, reveal, fmt, lang):
    """List the customer cards: name, contact (masked), tier, owner, last and next revisit.

    \b
    Example:
      csops customer list --tier A
    """
    from csops.reports.listing import list_records

    sess = session(ctx, reads=True)
    if reveal:
        require_reveal(sess)
    rows, columns = list_records(sess, "customer", reveal=reveal, table=fmt != "json")
    rows = [row for row in rows if tier is None or row.get("tier") == tier]
    if fmt == "json":
        echo_text(json.dumps(rows, ensure_ascii=False, indent=2, default=str), fmt)
        return
    echo_rows(sess, rows, columns, fmt, lang)


COMMAND = customer
