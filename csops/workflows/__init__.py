"""One module per record type: its transitions, roles, guards, effects and deadlines as data."""

from csops.workflows import cards, leave, returns, score, swap, ticket

WORKFLOWS = {wf.type: wf for wf in (ticket.WORKFLOW, returns.WORKFLOW, leave.WORKFLOW, score.WORKFLOW, swap.WORKFLOW,
                                         cards.WORKFLOW)}
