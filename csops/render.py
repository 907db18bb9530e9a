"""Output: table (aligned for Chinese text), JSON, CSV and Markdown; zh/en labels; masking of
customers' contact details. JSON keys and stored values stay English whatever the language.
"""

from __future__ import annotations

import re


LABELS = {
    "zh": {
        "id": "编号", "type": "类型", "status": "状态", "kind": "种类", "channel": "渠道", "level": "级别",
        "customer": "客户", "contact": "联系方式", "summary": "摘要", "assignee": "处理人", "department": "部门",
        "due": "截止时间", "callback_due": "回访截止", "overdue": "逾期", "what": "待办", "owner": "负责人",
        "overdue_hours": "逾期小时", "created": "登记时间", "created_by": "登记人", "person": "人员",
        "name": "姓名", "role": "角色", "reports_to": "上级", "email": "邮箱", "active": "在职",
        "start": "开始", "end": "结束", "days": "天数", "order": "订单", "items": "商品", "code": "代码",
        "date": "日期", "points": "扣分", "fine": "罚款", "ref": "关联", "when": "时间", "by": "操作人",
        "transition": "变更", "commit": "提交", "note": "备注", "base": "基础分", "deductions": "扣分",
        "score": "得分", "fines": "罚款", "absence_days": "旷工天数", "flags": "标记", "minutes": "分钟",
        "reason": "原因", "event": "事件", "why": "说明", "steps": "当日操作", "awaiting_vendor": "待退厂",
        "scope": "范围", "value": "本期", "previous": "上期", "change": "变化",
        "refund": "退款", "tracking": "快递单号", "waiting_for": "等待", "metric": "指标",
        "supplier": "供应商", "return": "退货单", "sku": "商品", "qty": "数量", "vendor_note": "退厂单",
        "at": "时间", "effective": "生效日期", "author": "作者", "changes": "变更",
        "shift": "班次", "on_duty": "在岗", "on_leave": "请假", "duty_lead": "值班长", "with": "对调人",
        "with_date": "换回日期", "snippet": "摘录", "registered": "登记", "resolved": "处理", "on_time": "按时",
        "callbacks": "回访", "satisfaction_avg": "平均满意度", "owed": "待办",
        "satisfaction": "满意度", "returns_handled": "经手退货", "satisfaction_rate": "满意率",
        "committer": "提交人", "signer": "签名人",
        "notice_ok": "提前申请", "needs": "待补", "holidays": "节假日", "next_approver": "下一审批人",
        "closure": "结案方式", "approvals": "审批记录", "vendor_notes": "退厂单", "sent_back": "寄回",
        "escalations": "上报记录", "duplicate_of": "重复于", "links": "关联记录", "after_reports": "事后汇报",
        "source_key": "原编号", "waiting_on": "挂起原因", "tier": "客户等级", "last_revisit": "上次回访",
        "next_revisit": "下次回访", "revisits": "定期回访", "key": "客户", "history": "历史", "emergency": "越级", "skipped": "越过", "reported_to": "上报给",
        "from_level": "原级别", "to_level": "新级别", "outcome": "结果", "freight": "运费", "escalation": "上报",
        # the steps of a record as a spreadsheet row (csops import reads them back)
        "resolved_at": "处理时间", "resolved_note": "处理结果", "callback_at": "回访时间", "callback": "回访结果", "closed_at": "结案时间",
        "closed_by": "结案人", "void_reason": "作废原因", "approved_at": "审批时间", "approved_by": "审批人",
        "received_at": "收货时间", "received_by": "收货人", "inspected_at": "初检时间", "inspected_by": "初检人",
        "qc_at": "质检时间", "qc_by": "质检人", "qc_result": "质检结果", "refunded_at": "退款时间",
        "refunded_by": "退款人", "exchanged_at": "换货时间", "sent_back_at": "寄回时间", "reshipped_at": "重发时间",
        "shipped_by": "发货人", "resolution": "处理方式", "certificate": "证明", "ended_at": "撤回时间",
        "confirmed_at": "确认时间", "confirmed_by": "确认人", "revoked_at": "撤销时间", "revoked_by": "撤销人",
    },
    "en": {},
}

STATE_LABELS = {
    "zh": {
        "registered": "已登记", "routed": "已分派", "resolved": "已处理", "closed": "已关闭", "voided": "已作废",
        "requested": "已申请", "approved": "已批准", "received": "已收货", "inspected": "已初检",
        "qc_checked": "已质检", "refunded": "已退款", "exchanged": "已换货", "reshipped": "已重发",
        "rejected": "已驳回", "withdrawn": "已撤回", "cancelled": "已取消", "recorded": "已记录",
        "confirmed": "已确认", "revoked": "已撤销",
        "complaint": "投诉", "inquiry": "咨询", "feedback": "建议",
        "resolve": "处理", "callback": "回访", "inspect": "初检", "refund": "退款", "exchange": "换货",
        "reship": "重发", "report_after": "事后汇报", "wrong_contact": "联系方式有误", "approve": "审批", "sent_back": "已寄回", "send_back": "寄回客户",
        "outstanding": "待退厂",
        "ticket": "工单", "return": "退货", "leave": "请假", "score": "考核", "swap": "调班",
        "accepted": "已接受",
        "accept": "接受", "amend": "更正", "cancel": "取消", "certify": "补交证明", "close": "关闭", "confirm": "确认",
        "escalate": "上报", "qc_check": "质检", "receive": "收货", "record": "登记", "register": "登记",
        "reject": "驳回", "reopen": "重新打开", "request": "申请", "reschedule": "改期", "retract": "收回",
        "revoke": "撤销", "route": "分派", "vendor": "退厂", "void": "作废", "withdraw": "撤回",
        "phone": "电话", "email": "邮件", "chat": "在线", "visit": "来访", "letter": "信函", "other": "其他",
        "normal": "普通", "urgent": "紧急", "major": "重大",
        "personal": "事假", "sick": "病假", "special": "特殊事假",
        "self": "自退件", "transit": "在途退件", "refused": "拒收件",
        "total": "合计", "callbacks": "回访次数", "callback_rate": "回访率", "on_time_rate": "及时率",
        "satisfaction_rate": "满意率",
        "avg_resolve_hours": "平均处理工时", "satisfaction": "满意度分布", "dismissal": "劝退",
        "dismissal_review": "开除审查",
        "reached": "接通", "unreachable": "未接通", "satisfied": "满意", "good": "合格", "defective": "不合格",
        "mixed": "部分合格", "weekend_duty": "周末值班", "off": "休", "approval": "审批", "certificate": "证明",
        "first version": "首个版本", "no rule changed": "规则未变", "query": "查询", "proactive": "主动服务",
        "qianniu": "千牛", "wechat": "微信", "douyin": "抖音", "jd": "京东",
        "waiting": "挂起中", "wait": "挂起", "customer": "客户", "active": "有效", "revisit": "定期回访",
        "set": "设定", "resume": "恢复处理", "wait_hours": "挂起工时", "supplier": "供应商",
        "department": "部门",
    },
    "en": {},
}


class Rate(float):
    """A rate from 0 to 1: `85.7%` in a table, a percentage cell in a spreadsheet."""


class Change(float):
    """A difference from the previous period: `+2` (or, of rates, `+5.0 pt`), a signed number cell."""

    def __new__(cls, value: float, points: bool = False):
        made = super().__new__(cls, value)
        made.points = points
        return made


def figure_text(value) -> str | None:
    """How a typed figure reads in text (None: not a typed figure)."""
    if isinstance(value, Rate):
        return f"{value * 100:.1f}%"
    if isinstance(value, Change):
        return f"{value * 100:+.1f} pt" if value.points else f"{value:+g}"
    return None


def mask_contact(value) -> str:
    """138****5678 for phone numbers, z***@example.com for e-mail, the ends only otherwise."""
    if value is None:
        return ""
    text = str(value)
    if "@" in text:
        local, _, domain = text.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = re.sub(r"\D", "", text)
    if digits.startswith("86") and len(digits) > 11:      # +86: the country code is no part of the number
        digits = digits[2:]
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return text[:1] + "*" * max(len(text) - 1, 0)


# Phone numbers (mainland mobiles, landlines, +86) and e-mail addresses inside free text.
_CONTACT_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<!\d)(?:\+?86[ -]?)?(?:1[3-9]\d[ -]?\d{4}[ -]?\d{4}"
                              r"|0\d{2,3}[ -]?\d{7,8})(?!\d)")
FREE_TEXT = ("summary", "note", "reason")


def mask_text(text):
    """Free text (a summary, a note) with any phone number or e-mail address in it masked."""
    return _CONTACT_IN_TEXT.sub(lambda m: mask_contact(m.group(0)), text) if isinstance(text, str) else text


def hide_contacts(text: str) -> str:
    """Free text with each phone number or e-mail address in it replaced by *** (what search
    matches: not one digit of a contact is left to be found by)."""
    return _CONTACT_IN_TEXT.sub("***", text)


def mask_record(data: dict) -> dict:
    """A copy of a record with the customer's contact masked (personal data), also where a phone
    number or e-mail address appears in its free text (summary, notes)."""
    out = {k: mask_text(v) if k in FREE_TEXT else v for k, v in data.items()}
    customer = data.get("customer")
    if isinstance(customer, dict) and customer.get("contact"):
        out["customer"] = {**customer, "contact": mask_contact(customer["contact"])}
    if data.get("contact"):                   # a return keeps the customer's contact beside the name
        out["contact"] = mask_contact(data["contact"])
    if data.get("key") and isinstance(data.get("key"), str):     # a customer card's key: a contact
        out["key"] = mask_contact(data["key"])
    for listed in ("history", "callbacks"):
        if isinstance(data.get(listed), list):
            out[listed] = [{k: mask_text(v) if k in FREE_TEXT else v for k, v in item.items()}
                           if isinstance(item, dict) else item for item in data[listed]]
    return out


# C0 and C1 controls, DEL, the bidi controls that reorder what a terminal shows (Trojan Source), and
# the lone surrogates that stand for bytes that were not UTF-8 (a commit message in GBK, say).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")   # + lone surrogates (undecodable bytes)


def _escaped(text: str) -> str:
    """Control and bidi characters shown as escapes (\\x1b, \\u202e, \\n): stored as typed, never
    acted on by a terminal or a viewer."""
    return _UNSAFE.sub(lambda m: {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(m.group(0))
                       or (f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 0x100 else f"\\u{ord(m.group(0)):04x}"),
                       text)


safe_text = _escaped      # for any text csops prints that came from outside (a file name, say)


def header(key: str, lang: str) -> str:
    return LABELS.get(lang, {}).get(key, key)


def cell(value, lang: str) -> str:
    if value is None:
        return ""
    typed = figure_text(value)
    if typed is not None:
        return typed
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v, lang) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{_escaped(str(k))}={cell(v, lang)}" for k, v in value.items())
    text = str(value)
    labels = STATE_LABELS.get(lang, {})
    step = _STEP.match(text) if labels else None
    if step:                        # a log's "routed → resolved (callback)": each word by its label
        source, target, action = step.groups()
        text = f"{labels.get(source, _NEW.get(lang, source) if source == 'new' else source)} → {labels.get(target, target)}"
        return _escaped(text + (f"（{labels.get(action, action)}）" if action else ""))
    return _escaped(labels.get(text, text))


_STEP = re.compile(r"^([a-z_]+) → ([a-z_]+)(?: \(([a-z_]+)\))?$")
_NEW = {"zh": "新建"}


RED, BOLD, RESET = "\033[31m", "\033[1m", "\033[0m"


def json_chunks(rows):
    """render(rows, …, "json"), a row at a time (JSON escapes line breaks inside strings, so every
    line break in a row's text is its layout, indented one level more inside the list)."""
    import json

    first = True
    for row in rows:
        yield ("[\n  " if first else ",\n  ") + json.dumps(row, ensure_ascii=False, indent=2,
                                                           default=str).replace("\n", "\n  ")
        first = False
    yield "[]" if first else "\n]"


def render(rows: list[dict], columns: list[str], fmt: str, lang: str = "zh", *, title: str | None = None,
           color: bool = False, alert: tuple = ("overdue_hours",)) -> str:
    """One listing in one of FORMATS. JSON is the rows as they are (English keys, raw values)."""
    if fmt == "json":
        return "".join(json_chunks(rows))
    if fmt == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")   # RFC 4180; and a CR inside a cell is then quoted
        writer.writerow([_csv_value(header(c, lang) if lang == "zh" else c) for c in columns])
        labels = STATE_LABELS.get(lang, {})       # a state, kind or channel as its label under zh
        for row in rows:
            writer.writerow([_csv_value(labels.get(value, value) if isinstance(value, str) and c not in UNLABELLED
                                        else value) for c, value in ((c, row.get(c)) for c in columns)])
        return BOM + buffer.getvalue()          # every line, the last too, ends in CRLF
    heads = [header(c, lang) for c in columns]
    body = [[cell(row.get(c), lang) for c in columns] for row in rows]
    if lang == "zh":                 # money as a reader says it: 60.00 元
        money = [i for i, c in enumerate(columns) if c in MONEY]
        body = [[f"{v} 元" if i in money and v not in ("", "0") else v for i, v in enumerate(line)] for line in body]
    if color and fmt == "table":  # only ever asked for on a terminal without NO_COLOR
        body = [[f"{RED}{v}{RESET}" if c in alert and v else v for c, v in zip(columns, line)] for line in body]
        heads = [f"{BOLD}{h}{RESET}" for h in heads]
    if fmt == "markdown":
        from tabulate import tabulate  # imported only for --format markdown

        body = [[v.replace("|", "\\|") for v in line] for line in body]
        return tabulate(body, [h.replace("|", "\\|") for h in heads], tablefmt="github", disable_numparse=True)
    if not rows:
        return "（无）" if lang == "zh" else "(none)"
    text = _simple_table(heads, body)
    if title:
        text = f"{title}\n{text}"
    return text


def _simple_table(heads: list[str], body: list[list[str]]) -> str:
    """The table tabulate draws as "simple" for one-line cells (what `cell` makes), drawn here
    without its type guessing and its two width measures per cell: left-aligned columns two
    spaces apart, each as wide as its widest cell or its header plus two; cells stripped of
    surrounding white space; a line of dashes under the header; no trailing spaces."""
    body = [[text.strip() for text in line] for line in body]
    cell_widths = [[_width(text) for text in line] for line in body]
    head_widths = [_width(text) for text in heads]
    column_widths = [width + 2 for width in head_widths]
    for line in cell_widths:
        column_widths = [max(pair) for pair in zip(column_widths, line)]

    def row(texts: list[str], widths: list[int]) -> str:
        return "  ".join(text + " " * (column - width)
                         for text, width, column in zip(texts, widths, column_widths)).rstrip()

    lines = [row(heads, head_widths), "  ".join("-" * column for column in column_widths).rstrip()]
    lines += [row(line, widths) for line, widths in zip(body, cell_widths)]
    return "\n".join(lines)


# columns of free text or names, never read as a label (a customer called `phone` stays so)
UNLABELLED = ("id", "summary", "customer", "contact", "note", "reason", "order", "order_no", "name", "snippet",
             "items", "department", "why", "event", "tracking", "supplier", "sku", "resolved_note", "void_reason")

BOM = "\ufeff"          # Excel and WPS on a Chinese Windows read a CSV without it as GBK


def _csv_value(value):
    """A cell Excel/WPS will show as text: a string starting with = + - @ TAB or CR would be taken
    for a formula (CSV injection), so it is prefixed with '."""
    if value is None:
        return ""
    if figure_text(value) is not None:
        return figure_text(value)
    if isinstance(value, (list, dict)):
        import json

        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def render_object(obj: dict, fmt: str, lang: str = "zh", names: dict | None = None) -> str:
    """`show`: one record. JSON as is; otherwise `label  value` lines — a customer as `王女士
    (138****5678)`, each callback, approval or escalation on a line of its own (`11-19 10:00 张伟
    未接通`), the history with each step's verb; `names`: person id → name (shown under zh)."""
    if fmt == "json":
        import json

        return json.dumps(obj, ensure_ascii=False, indent=2, default=str)
    names = names if lang == "zh" and names else {}
    rows = [{"field": k, "value": _shown(k, v, lang, names)} for k, v in obj.items() if k != "history"]
    if fmt in ("csv", "markdown"):
        return render(rows, ["field", "value"], fmt, lang)
    width = max((_width(header(k, lang)) for k in obj), default=0)
    lines = []
    for key, value in obj.items():
        if key == "history":
            continue
        label = header(key, lang)
        shown = _shown(key, value, lang, names)
        if isinstance(shown, list):
            lines.append(f"{label}{' ' * (width - _width(label))}  {shown[0] if shown else ''}")
            lines += [f"{' ' * width}  {line}" for line in shown[1:]]
        else:
            lines.append(f"{label}{' ' * (width - _width(label))}  {shown}")
    history = obj.get("history") or []
    if history:
        lines.append("")
        lines.append("历史：" if lang == "zh" else "history:")
        for entry in history:
            if not isinstance(entry, dict):
                continue
            step = f"{entry.get('from')} → {entry.get('to')}" + (f" ({entry['action']})" if entry.get("action") else
                                                                   " (callback)" if entry.get("from") == "resolved"
                                                                   and entry.get("to") == "resolved" else "")
            arrow = cell(step, lang) if entry.get("from") else cell(entry.get("to"), lang)
            note = f"  {note_text(entry.get('note'), lang)}" if entry.get("note") else ""
            by = names.get(entry.get("by"), entry.get("by"))
            lines.append(f"  {_when(entry.get('at'), lang)}  {by}  {arrow}{note}")
    return "\n".join(lines)


# notes csops itself wrote into records in English (the data keeps them; the reader sees them in theirs)
_NOTES = {"zh": [(re.compile(r"^approved at this level; goes on up the chain$"), "本级已批准，继续逐级审批"),
                 (re.compile(r"^(\w+) → (\w+), reported to (\S+)(?: \(emergency: report to (\S+) afterwards\))?$"),
                  None)]}


def note_text(note, lang: str) -> str:
    """A history note as the reader reads it (csops' own English notes translated)."""
    text = str(note)
    for pattern, zh in _NOTES.get(lang, ()):
        found = pattern.match(text)
        if found and zh is not None:
            return zh
        if found:                      # an escalation's summary
            labels = STATE_LABELS["zh"]
            said = f"{labels.get(found[1], found[1])} → {labels.get(found[2], found[2])}，已上报 {found[3]}"
            return said + (f"（越级：事后须向 {found[4]} 汇报）" if found[4] else "")
    return _escaped(text)


def _when(value, lang: str) -> str:
    """An instant as a line of a record shows it: ISO, or under zh `2026-11-19 10:00`."""
    text = str(value or "")
    if lang == "zh" and _INSTANT_TEXT.match(text):
        return f"{text[:10]} {text[11:16]}"
    return text


_INSTANT_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _shown(key: str, value, lang: str, names: dict):
    """A field of `show` as text (a list of lines for a list of steps)."""
    if key == "customer" and isinstance(value, dict):
        name, contact = value.get("name"), value.get("contact")
        if not contact:
            return cell(name, lang)
        return f"{cell(name, lang)}（{cell(contact, lang)}）" if lang == "zh" else f"{cell(name, lang)} ({cell(contact, lang)})"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [_step_line(key, v, lang, names) for v in value]
    if isinstance(value, dict) and "at" in value:
        return _step_line(key, value, lang, names)
    if key in MONEY and lang == "zh" and isinstance(value, str) and value:
        return f"{value} 元"
    return cell(names.get(value, value) if key in PERSON_KEYS else value, lang)


def _zh_step(key: str, step: dict, names: dict) -> str | None:
    """The lists of a record a person reads most, as a 客服 would write them."""
    labels = STATE_LABELS["zh"]
    when = f"{_when(step.get('at'), 'zh')} " if step.get("at") else ""
    by = f"{names.get(step.get('by'), step.get('by'))} " if step.get("by") else ""
    if key == "items" and "sku" in step:
        text = f"{step.get('sku')}×{step.get('qty')}"
        if step.get("received") not in (None, step.get("qty")):
            text += f" 实收{step.get('received')}"
        if step.get("result"):
            text += f" {labels.get(step['result'], step['result'])}"
        if step.get("good") is not None:
            text += f"（良品{step.get('good')}/不良{step.get('defective')}）"
        return _escaped(text)
    if key == "escalations":
        level = f"{labels.get(step.get('from_level'), step.get('from_level'))} → " \
                f"{labels.get(step.get('to_level'), step.get('to_level'))}"
        text = f"{when}{by}{level}，上报 {names.get(step.get('reported_to'), step.get('reported_to'))}"
        if step.get("emergency"):
            text += f"（越级：事后须向 {names.get(step.get('report_after'), step.get('report_after'))} 汇报）"
        return _escaped(text)
    if key == "vendor_notes":
        items = ", ".join(f"{i.get('sku')}×{i.get('qty')}" for i in step.get("items") or [] if isinstance(i, dict))
        return _escaped(f"{when}{by}{step.get('note')} → {step.get('supplier')}：{items}")
    if key == "callbacks":
        text = f"{when}{by}{labels.get(step.get('outcome'), step.get('outcome'))}"
        if step.get("satisfaction") is not None:
            text += f" 满意度{step['satisfaction']}"
        return _escaped(text + (f" {step['note']}" if step.get("note") else ""))
    if key == "approvals":
        return _escaped(f"{when}{by}批准".strip())
    return None


PERSON_KEYS = ("created_by", "person", "assignee", "with", "by", "reported_to", "report_after", "next_approver")
MONEY = ("fine", "amount", "refund_amount", "fines", "freight", "refund")


def _step_line(key: str, step: dict, lang: str, names: dict) -> str:
    """One callback, approval, escalation, vendor note, refund …: when, who, what."""
    if lang == "zh":
        said = _zh_step(key, step, names)
        if said is not None:
            return said
    parts = [_when(step.get("at"), lang)] if step.get("at") else []
    if step.get("by"):
        parts.append(str(names.get(step["by"], step["by"])))
    for name, value in step.items():
        if name in ("at", "by") or value in (None, "", [], {}):
            continue
        if name == "satisfaction" and lang == "zh":
            parts.append(f"满意度{value}")
        elif name in MONEY and lang == "zh":
            parts.append(f"{value} 元")
        elif isinstance(value, list):
            parts.append(", ".join(f"{v.get('sku')}×{v.get('qty')}" if isinstance(v, dict) and "sku" in v else
                                   cell(v, lang) for v in value))
        elif name in ("outcome", "to_level", "from_level", "result") or name in PERSON_KEYS:
            parts.append(cell(names.get(value, value), lang) if lang == "zh" else f"{name}={cell(value, lang)}")
        else:
            parts.append(f"{header(name, lang)}={cell(value, lang)}" if lang != "zh" or name not in LABELS["zh"]
                         else f"{header(name, lang)} {cell(value, lang)}")
    return " ".join(parts)


_COLOR = re.compile("|".join(map(re.escape, (RED, BOLD, RESET))))   # the only escapes a cell holds: cell() escapes the rest


def _width(text: str) -> int:
    """Columns a terminal gives `text` (a CJK character two)."""
    if text.isascii() and text.isprintable():
        return len(text)
    from wcwidth import wcswidth

    width = wcswidth(_COLOR.sub("", text) if "\x1b" in text else text)
    return width if width >= 0 else len(text)
