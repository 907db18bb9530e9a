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
    RecordType("ticket", "T", "tickets", "工单", ("registered", "routed", "waiting", "resolved", "closed", "voided")),
    RecordType("return", "R", "returns", "退货单", ("requested", "approved", "received", "inspected", "qc_checked",
                                                  "refunded", "exchanged", "reshipped", "sent_back", "closed")),
    RecordType("leave", "L", "leave", "请假单", ("requested", "approved", "rejected", "withdrawn", "cancelled")),
    RecordType("score", "S", "scores", "考核记录", ("recorded", "confirmed", "revoked")),
    RecordType("swap", "W", "swaps", "调班单", ("requested", "accepted", "approved", "rejected", "withdrawn")),
    RecordType("customer", "C", "customers", "客户卡", ("active",)),
)}

PREFIXES = {t.prefix: t.name for t in TYPES.values()}

LEVEL_LABELS = {"normal": "普通", "urgent": "紧急", "major": "重大"}

# each workflow step's verb in Chinese (a message says 无权回访工单, a log 已处理 → 已处理（回访）)
ACTION_LABELS = {
    "register": "登记", "route": "分派", "resolve": "处理", "reopen": "重新打开", "close": "关闭", "callback": "回访",
    "escalate": "上报", "void": "作废", "report_after": "事后汇报", "amend": "更正", "request": "申请",
    "approve": "审批", "receive": "收货", "inspect": "初检", "qc_check": "质检", "refund": "退款", "exchange": "换货",
    "send_back": "寄回客户", "reship": "重发", "vendor": "开退厂单", "reject": "驳回", "withdraw": "撤回",
    "cancel": "取消", "certify": "补交证明", "reschedule": "改期", "record": "登记", "confirm": "确认",
    "revoke": "撤销", "retract": "收回", "accept": "接受", "wait": "挂起", "resume": "恢复处理",
    "set": "设定客户卡", "revisit": "定期回访",
}
# where `csops notify` sends (policy notify.targets.NAME.kind)
NOTIFY_KINDS = ("dingtalk", "wecom", "feishu", "webhook", "email")
# what a waiting ticket waits on (挂起原因)
WAIT_ON = ("customer", "supplier", "department")
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
    "customer": ("by", "overdue"),
}
# the filters that name a person
PEOPLE_FILTERS = ("assignee", "person", "by")
