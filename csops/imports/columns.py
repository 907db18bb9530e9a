"""The columns `csops import` reads, per sheet type: the field each column fills, the headers it
answers to (the field's own name, the Chinese header csops writes, the headers a 台账 commonly
has), and how its cells are read. The same declaration names the columns a sheet listing writes
(`list --format csv|xlsx`), so an export imports back.

A cell becomes a value or a `CellError` naming what was wrong and the values allowed; the caller
reports it as FILE:ROW: CODE message.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, NamedTuple

from csops import vocab
from csops.i18n import _


class Col(NamedTuple):
    field: str
    headers: tuple[str, ...]          # besides the field's own name: the Chinese ones first
    kind: str = "text"                # text | time | date | person | people | choice | int | money | flag
    required: bool = False
    choices: Callable | None = None   # (session) → the allowed values, for kind "choice"


class CellError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _states(rtype: str):
    return lambda session: vocab.TYPES[rtype].states


def _fixed(values):
    return lambda session: values


def _levels(session):
    return tuple(session.policy.section("tickets").get("levels") or ("normal", "urgent", "major"))


def _roles(session):
    return tuple(session.policy.roles)


def _shifts(session):
    return (*session.policy.shifts(), "off")


def _codes(session):
    return tuple(session.policy.catalog())


ID = Col("id", ("编号", "单号", "序号"))
NOTE = Col("note", ("备注",))

LAYOUTS: dict[str, list[Col]] = {
    "ticket": [
        ID,
        Col("status", ("状态",), "choice", choices=_states("ticket")),
        Col("kind", ("种类", "类型", "工单类型"), "choice", True, lambda session: tuple(session.policy.ticket_kinds())),
        Col("channel", ("渠道", "来源"), "choice", True, lambda session: session.policy.channels()),
        Col("level", ("级别",), "choice", choices=_levels),
        Col("customer", ("客户", "客户姓名"), "text", True),
        Col("contact", ("联系方式", "电话", "联系电话")),
        Col("summary", ("摘要", "问题描述", "内容"), "text", True),
        Col("order", ("订单", "订单号", "order_no")),
        Col("department", ("部门", "处理部门")),
        Col("assignee", ("处理人",), "person"),
        Col("created", ("登记时间",), "time", True),
        Col("created_by", ("登记人",), "person"),
        Col("resolved_at", ("处理时间",), "time"),
        Col("resolved_note", ("处理结果", "处理说明"),),
        Col("callback_at", ("回访时间",), "time"),
        Col("callback", ("回访结果",), "choice", choices=_fixed(vocab.OUTCOMES)),
        Col("satisfaction", ("满意度",), "int"),
        Col("closed_at", ("结案时间",), "time"),
        Col("closed_by", ("结案人",), "person"),
        Col("void_reason", ("作废原因",)),
        NOTE,
    ],
    "return": [
        ID,
        Col("status", ("状态",), "choice", choices=_states("return")),
        Col("kind", ("种类", "退货类型"), "choice", True, _fixed(vocab.RETURN_KINDS)),
        Col("order", ("订单", "订单号", "order_no"), "text", True),
        Col("customer", ("客户", "客户姓名"), "text", True),
        Col("contact", ("联系方式", "电话", "联系电话")),
        Col("items", ("商品", "退货商品"), "text", True),
        Col("reason", ("原因", "退货原因")),
        Col("resolution", ("处理方式",), "choice", choices=_fixed(vocab.RESOLUTIONS)),
        Col("created", ("登记时间", "申请时间"), "time", True),
        Col("created_by", ("登记人",), "person"),
        Col("approved_at", ("审批时间",), "time"),
        Col("approved_by", ("审批人",), "person"),
        Col("received_at", ("收货时间",), "time"),
        Col("received_by", ("收货人",), "person"),
        Col("inspected_at", ("初检时间",), "time"),
        Col("inspected_by", ("初检人",), "person"),
        Col("qc_at", ("质检时间",), "time"),
        Col("qc_by", ("质检人",), "person"),
        Col("qc_result", ("质检结果",), "choice", choices=_fixed(("good", "defective"))),
        Col("refunded_at", ("退款时间",), "time"),
        Col("refunded_by", ("退款人",), "person"),
        Col("refund", ("退款金额", "退款"), "money"),
        Col("exchanged_at", ("换货时间",), "time"),
        Col("sent_back_at", ("寄回时间",), "time"),
        Col("reshipped_at", ("重发时间",), "time"),
        Col("shipped_by", ("发货人",), "person"),
        Col("tracking", ("快递单号",)),
        Col("closed_at", ("结案时间",), "time"),
        Col("closed_by", ("结案人",), "person"),
        NOTE,
    ],
    "leave": [
        ID,
        Col("status", ("状态",), "choice", choices=_states("leave")),
        Col("person", ("人员", "姓名", "申请人"), "person", True),
        Col("kind", ("种类", "请假类型"), "choice", True, _fixed(vocab.LEAVE_KINDS)),
        Col("start", ("开始", "开始时间"), "time", True),
        Col("end", ("结束", "结束时间"), "time", True),
        Col("reason", ("原因", "事由")),
        Col("certificate", ("证明",)),
        Col("created", ("申请时间", "登记时间"), "time", True),
        Col("approved_by", ("审批人",), "people"),
        Col("approved_at", ("审批时间",), "time"),
        Col("ended_at", ("撤回时间", "取消时间"), "time"),
        NOTE,
    ],
    "score": [
        ID,
        Col("status", ("状态",), "choice", choices=_states("score")),
        Col("person", ("人员", "姓名"), "person", True),
        Col("code", ("代码", "扣分项"), "choice", True, _codes),
        Col("date", ("日期",), "date", True),
        Col("fine", ("罚款",), "money"),
        Col("minutes", ("分钟",), "int"),
        Col("created", ("登记时间",), "time"),
        Col("created_by", ("登记人",), "person"),
        Col("confirmed_at", ("确认时间",), "time"),
        Col("confirmed_by", ("确认人",), "person"),
        Col("revoked_at", ("撤销时间",), "time"),
        Col("revoked_by", ("撤销人",), "person"),
        NOTE,
    ],
    "people": [
        Col("id", ("编号", "账号", "工号"), "text", True),
        Col("name", ("姓名",), "text", True),
        Col("role", ("角色", "岗位"), "choice", True, _roles),
        Col("reports_to", ("上级",), "text"),
        Col("email", ("邮箱",)),
        Col("active", ("在职",), "flag"),
    ],
}

# what a value may also be written as (besides its name and its label in render.STATE_LABELS)
ALIASES = {
    "reached": ("接通", "已接通", "已回访", "满意"), "unreachable": ("未接通", "无人接听"),
    "wrong_contact": ("号码错误",), "good": ("合格", "良品"), "defective": ("不合格", "不良", "不良品"),
    "off": ("休", "休息", "休假"), "weekend_duty": ("周末值班",), "day": ("白班", "正常班"),
    "refund": ("退款",), "exchange": ("换货",), "qc_checked": ("已质检",),
}
TRUE_WORDS = ("1", "true", "yes", "是", "在职", "y")
FALSE_WORDS = ("0", "false", "no", "否", "离职", "n")


def labels_of(value: str, session=None) -> tuple[str, ...]:
    """Every way a sheet may write `value`: its name, its Chinese label, its aliases (and a role's
    label in the policy)."""
    from csops.render import STATE_LABELS

    out = [value, *ALIASES.get(value, ())]
    label = STATE_LABELS["zh"].get(value)
    if label:
        out.append(label)
    if session is not None and value in session.policy.roles:
        out.append(session.policy.role_label(value))
    if session is not None and value in session.policy.channels():
        out.append(session.policy.label_of("channels", value))
    if session is not None and value in session.policy.ticket_kinds():
        out.append(session.policy.label_of("kinds", value))
    if session is not None and value in (*session.policy.shifts(), "off"):
        out.append(session.policy.shift_label(value))
    if session is not None:
        rule = session.policy.catalog().get(value)
        if isinstance(rule, dict) and rule.get("label"):
            out.append(str(rule["label"]))
    return tuple(out)


def choose(value, choices: tuple[str, ...], session, what: str) -> str:
    text = str(value).strip()
    for name in choices:
        if text == name or text in labels_of(name, session) or text.lower() == name.lower():
            return name
    raise CellError("BAD_VALUE", _("{column} {value!r} is not one of: {names}", column=what, value=text[:40],
                                   names=", ".join(choices)))


def person(value, roster, what: str) -> str:
    """A person by id or by exact name (one person only)."""
    text = str(value).strip()
    if text in roster:
        return text
    named = [p.id for p in roster if p.name == text]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise CellError("UNKNOWN_PERSON", _("{column} {value!r}: several people have that name ({names}); "
                                            "give the id", column=what, value=text, names=", ".join(named)))
    raise CellError("UNKNOWN_PERSON", _("{column} {value!r}: no such person in the roster (id or exact name)",
                                        column=what, value=text[:40]))


def time(value, tz, what: str) -> dt.datetime:
    from csops.sheets import instant

    try:
        return instant(value, tz)
    except ValueError:
        raise CellError("BAD_TIME", _("{column} {value!r} is not a time (e.g. 2026-03-05 14:30)",
                                      column=what, value=str(value)[:40])) from None


def whole(value, what: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text.lstrip("-").isdigit():
        raise CellError("BAD_VALUE", _("{column} {value!r} is not a whole number", column=what, value=text[:40]))
    return int(text)


def flag(value, what: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError("BAD_VALUE", _("{column} {value!r}: write 是 or 否", column=what, value=text[:40]))


# -- the other way: a record as a sheet row (list --format csv|xlsx), which imports back ----------------

def sheet_columns(rtype: str) -> list[str]:
    """The columns a sheet listing of `rtype` writes: every column the import reads, then what is
    computed for the moment (due, overdue, days), which the import leaves aside."""
    computed = {"ticket": ["due", "overdue"], "return": ["due", "overdue"], "leave": ["days"], "score": []}
    return [col.field for col in LAYOUTS[rtype]] + computed[rtype]


def sheet_row(rtype: str, data: dict) -> dict:
    """A record's values under its sheet columns: its fields, and the time and person of each step
    its history shows (the last time it reached each state)."""
    row = {k: v for k, v in data.items() if not isinstance(v, (dict, list))}
    history = [e for e in data.get("history") or [] if isinstance(e, dict)]
    first = history[0] if history else {}
    row["note"] = first.get("note")
    row.pop("source_key", None)

    def reached(state: str, action: str | None = None) -> dict:
        steps = [e for e in history[1:] if e.get("to") == state and e.get("from") != state
                 and (action is None or e.get("action", action) == action)]
        return steps[-1] if steps else {}

    if rtype == "ticket":
        customer = data.get("customer") if isinstance(data.get("customer"), dict) else {}
        row.update(customer=customer.get("name"), contact=customer.get("contact"))
        resolved, closed = reached("resolved"), reached("closed") or reached("voided")
        attempts = [c for c in data.get("callbacks") or [] if isinstance(c, dict)]
        last = attempts[-1] if attempts else {}
        row.update(resolved_at=resolved.get("at"), resolved_note=resolved.get("note"), callback_at=last.get("at"), callback=last.get("outcome"),
                   satisfaction=last.get("satisfaction"), closed_at=closed.get("at"), closed_by=closed.get("by"))
        if data.get("status") == "voided":
            row["void_reason"] = closed.get("note")
    elif rtype == "return":
        items = [i for i in data.get("items") or [] if isinstance(i, dict)]
        row["items"] = ", ".join(f"{i.get('sku')}×{i.get('qty')}" + (f"@{i['supplier']}" if i.get("supplier") else "")
                                 for i in items)
        for state, at, by in (("approved", "approved_at", "approved_by"), ("received", "received_at", "received_by"),
                              ("inspected", "inspected_at", "inspected_by"), ("qc_checked", "qc_at", "qc_by"),
                              ("refunded", "refunded_at", "refunded_by"), ("closed", "closed_at", "closed_by")):
            step = reached(state)
            row.update({at: step.get("at"), by: step.get("by")})
        for state, at in (("exchanged", "exchanged_at"), ("sent_back", "sent_back_at"), ("reshipped", "reshipped_at")):
            step = reached(state)
            row[at] = step.get("at")
            if step:
                row["shipped_by"] = step.get("by")
        if row.get("qc_at"):
            row["qc_result"] = "good" if all(i.get("result") == "good" for i in items) else "defective"
        refund = data.get("refund") if isinstance(data.get("refund"), dict) else {}
        row["refund"] = refund.get("amount")
        back = data.get("sent_back") if isinstance(data.get("sent_back"), dict) else {}
        row["tracking"] = data.get("tracking") or back.get("tracking")
    elif rtype == "leave":
        approvals = [a for a in data.get("approvals") or [] if isinstance(a, dict)]
        decided = reached("rejected")
        deciders = [a.get("by") for a in approvals] + ([decided.get("by")] if decided else [])
        row["approved_by"] = ", ".join(str(p) for p in deciders) or None
        row["approved_at"] = decided.get("at") or (approvals[-1].get("at") if approvals else None)
        row["ended_at"] = (reached("withdrawn") or reached("cancelled")).get("at")
    elif rtype == "score":
        confirmed, revoked = reached("confirmed"), reached("revoked")
        row.update(confirmed_at=confirmed.get("at"), confirmed_by=confirmed.get("by"), revoked_at=revoked.get("at"),
                   revoked_by=revoked.get("by"))
        row["note"] = data.get("note")
    return row
