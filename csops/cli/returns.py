"""csops return …: 退货 commands."""

from __future__ import annotations

import click

from csops.cli.common import (
    complete_id,
    complete_state,
    note_option,
    session,
    warn_related,
)
from csops.cli.records import type_group
from csops.i18n import _
from csops.vocab import RESOLUTIONS, RETURN_KINDS

returns = type_group("return", "Returns 退货: self-returns 自退件, in-transit 在途退件, refusals 拒收件.",
                     "  csops return new --kind self --order TB20261120-0081 --customer 赵女士 --item A100:2")


@returns.command("new")
@click.option("--kind", required=True, type=click.Choice(RETURN_KINDS))
@click.option("--order", required=True, help="The order number.")
@click.option("--customer", required=True, help="The customer's name.")
@click.option("--item", "items", multiple=True, required=True, metavar="SKU:QTY[@SUPPLIER]",
              help="An item returned (repeat); @SUPPLIER names who takes it back if defective "
              "(default: policy returns.suppliers by SKU prefix).")
@click.option("--reason", default=None)
@click.option("--resolution", type=click.Choice(RESOLUTIONS), default=None,
              help="What the customer asked for (a self-return; default refund).")
@click.option("--contact", default=None, help="The customer's phone or e-mail (masked in listings).")
@click.option("--link", "links", multiple=True, metavar="ID", help="A related ticket or return (repeat).")
@note_option
@click.pass_context
def new(ctx, kind, order, customer, items, reason, resolution, contact, links, note):
    """Register a return (customer service; in-transit and refused parcels also the warehouse);
    prints its id.

    \b
    Example:
      csops return new --kind transit --order TB1234 --customer 钱先生 --item B200:1
    """
    from csops.commands import returns as wf

    sess = session(ctx)
    record_id = wf.new(sess, kind=kind, order=order, customer=customer, items=list(items), reason=reason,
                       resolution=resolution, contact=contact, links=links, note=note)
    click.echo(record_id)
    warn_related(sess, "return", record_id, contact, order)


@returns.command("move")
@click.argument("record_id", shell_complete=complete_id)
@click.argument("state", shell_complete=complete_state)
@click.option("--item", "items", multiple=True, metavar="SKU=N|SKU=good|defective",
              help="At the receipt: how many arrived (SKU=2; default all). At the QC check: the verdict per "
              "item (SKU=good:2,defective:1 for a split).")
@click.option("--amount", default=None, help="At the refund: the amount (two decimals at most).")
@click.option("--tracking", default=None, help="At the re-ship or sending goods back: the tracking number.")
@click.option("--freight", default=None, help="Sending good items back: the freight charged to the customer.")
@note_option
@click.pass_context
def move(ctx, record_id, state, items, amount, tracking, freight, note):
    """Move a return to its next STATE (each step only by its department).

    \b
    Example:
      csops --as qc_li return move 7K3Q qc_checked --item A100=good --item A200=defective
      csops --as fin_zhou return move 7K3Q refunded --amount 129.00
      csops --as wh_sun return move 7K3Q sent_back --tracking SF1234 --freight 12.00
    """
    from csops.commands import returns as wf

    click.echo(wf.move(session(ctx), record_id, state, items=items, amount=amount, tracking=tracking,
                       freight=freight, note=note))


@returns.command("vendor")
@click.option("--supplier", required=True, help="The supplier the defective goods go back to.")
@click.argument("record_ids", nargs=-1, shell_complete=complete_id)
@note_option
@click.pass_context
def vendor(ctx, supplier, record_ids, note):
    """Issue a return-to-vendor note 退厂单 for the supplier's defective items not yet sent back
    (purchasing). Without ids: every return's items of that supplier.

    \b
    Example:
      csops --as cg_sun return vendor --supplier 华东电子 R-20261118-4F2KQ9
    """
    from csops.commands import returns as wf

    number, lines, unknown = wf.vendor(session(ctx), supplier=supplier, refs=list(record_ids), note=note)
    click.echo(number)
    for line in lines:
        click.echo(f"  {line['return']}  {line['sku']} × {line['qty']}")
    if unknown:
        click.echo(_("warning: {unknown} defective item(s) with no known supplier were left out (name their "
                     "returns, or map their SKUs in policy returns.suppliers)",
                     unknown=unknown), err=True)


COMMAND = returns
