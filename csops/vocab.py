"""The vocabulary every layer shares: record types with their id prefixes and folders, the states
and kinds of each, and their labels. No imports from csops: the store, the workflow tables, the
CLI's choices and the render labels all read these one lists.
"""

from __future__ import annotations

from typing import NamedTuple


class RecordType(NamedTuple):
    name: str            # ticket | return | leave | score | swap
    prefix: str          # the id prefix: T-20261123-7K3Q5X
    folder: str          # the folder under records/
    label: str           # 工单 …
    states: tuple[str, ...]


TYPES: dict[str, RecordType] = {t.name: t for t in (
    RecordType("ticket", "T", "tickets", "工单", ("registered", "routed", "resolved", "closed", "voided")),
    RecordType("return", "R", "returns", "退货", ("requested", "approved", "received", "inspected", "qc_checked",
                                                  "refunded", "exchanged", "reshipped", "sent_back", "closed")),
    RecordType("leave", "L", "leave", "请假", ("requested", "approved", "rejected", "withdrawn", "cancelled")),
    RecordType("score", "S", "scores", "考核", ("recorded", "confirmed", "revoked")),
    RecordType("swap", "W", "swaps", "调班", ("requested", "accepted", "approved", "rejected", "withdrawn")),
)}

PREFIXES = {t.prefix: t.name for t in TYPES.values()}
FOLDERS = {t.folder: t.name for t in TYPES.values()}

# -- tickets -------------------------------------------------------------------------------------
TICKET_KINDS = ("complaint", "inquiry", "feedback")
CHANNELS = ("phone", "email", "chat", "visit", "letter", "other")
OUTCOMES = ("reached", "unreachable", "wrong_contact")   # 联系信息有误…可做结案 (002)
CLOSURES = ("satisfied", "unreachable", "resolved", "wrong_contact")
SATISFACTION = {5: "高度满意", 4: "一般满意", 3: "无意见", 2: "有些不满意", 1: "极不满意"}

# -- returns -------------------------------------------------------------------------------------
RETURN_KINDS = ("self", "transit", "refused")
ITEM_RESULTS = ("good", "defective", "mixed")
RESOLUTIONS = ("refund", "exchange")

# -- leave ---------------------------------------------------------------------------------------
LEAVE_KINDS = ("personal", "sick", "special")

# -- people --------------------------------------------------------------------------------------
CS_ROLES = ("agent", "team_lead", "supervisor", "manager")     # customer service: who has a score sheet

# Fields no correction (amend) may touch: identity and the audit trail itself.
UNAMENDABLE = ("id", "created", "created_by", "status", "history")
# lists a step only adds to: earlier elements stay as they were (the audit, the merge driver)
APPEND_ONLY = ("history", "callbacks", "escalations", "approvals", "vendor_notes", "after_reports")

# -- output --------------------------------------------------------------------------------------
FORMATS = ("table", "json", "csv", "markdown", "xlsx")
LANGUAGES = ("zh", "en")

# -- the files of a records root that are not records ---------------------------------------------
POLICY = "policy.yaml"
PEOPLE = "people"
ROSTER = "roster"           # the duty roster 排班: roster/YYYY-MM.yaml
ALLOWED_SIGNERS = "allowed_signers"


# which filters each type's `list` takes besides --status, --since, --until, --text (docs/rules.md)
FILTERS = {
    "ticket": ("assignee", "by", "kind", "channel", "level", "dept", "customer", "contact", "order", "overdue"),
    "return": ("by", "kind", "customer", "contact", "order", "overdue"),
    "leave": ("person", "by", "kind", "overdue"),
    "score": ("person", "by", "code"),
    "swap": ("person", "by", "overdue"),
}
# the filters that name a person
PEOPLE_FILTERS = ("assignee", "person", "by")
