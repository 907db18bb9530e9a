"""Build the demo team's records (records/ of this project) through the csops CLI itself.

Every record is created and advanced by real csops commands, each one commit authored by the
demo person acting, dated with --now in November 2026 — so `csops validate --history` holds
for the demo exactly as it would for a real team. Run once, from the project root, on a clean
tree:  python bench/demo_records.py [ROOT]
"""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner

from csops.cli import cli

ROOT = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else Path(__file__).resolve().parent.parent
RECORDS = ROOT / "records"
MAIL = "kefu.example.cn"

TEAM = [
    ("wangjg", "王建国", "manager", None),
    ("zhaomin", "赵敏", "supervisor", "wangjg"),
    ("liuyang", "刘洋", "team_lead", "zhaomin"),
    ("zhangwei", "张伟", "agent", "liuyang"),
    ("lina", "李娜", "agent", "liuyang"),
    ("chenjing", "陈静", "agent", "liuyang"),
    ("sunqiang", "孙强", "warehouse", "wangjg"),
    ("zhouli", "周丽", "qc", "wangjg"),
    ("wuhao", "吴昊", "finance", "wangjg"),
    ("zhengtao", "郑涛", "purchasing", "wangjg"),
]

runner = CliRunner()


def csops(*args, as_=None, now="2026-11-02T09:00") -> str:
    argv = ["--records", str(RECORDS), "--now", now]
    if as_:
        argv += ["--as", as_]
    result = runner.invoke(cli, argv + list(args), catch_exceptions=False)
    if result.exit_code != 0:
        sys.exit(f"demo step failed: csops {' '.join(args)}\n{result.output}")
    return result.stdout.strip().splitlines()[0] if result.stdout.strip() else ""


def ticket(kind, channel, customer, contact, summary, now, as_, level=None):
    args = ["ticket", "new", "--kind", kind, "--channel", channel, "--customer", customer, "--summary", summary]
    if contact:
        args += ["--contact", contact]
    if level:
        args += ["--level", level]
    return csops(*args, as_=as_, now=now)


def main() -> None:
    if (RECORDS / "policy.yaml").exists():
        sys.exit("records/policy.yaml exists already: the demo is built once")
    result = runner.invoke(cli, ["--now", "2026-11-02T08:30", "init", str(ROOT)], catch_exceptions=False)
    if result.exit_code != 0:
        sys.exit(result.output)
    for pid, name, role, boss in TEAM:
        args = ["person", "add", pid, "--name", name, "--role", role, "--email", f"{pid}@{MAIL}"]
        if boss:
            args += ["--reports-to", boss]
        csops(*args, as_="wangjg" if pid != "wangjg" else None, now="2026-11-02T08:40")

    # -- tickets ---------------------------------------------------------------------------
    t = ticket("complaint", "phone", "王女士", "13812345678", "收到的电饭煲内胆有划痕，要求换货", "2026-11-02T10:15", "zhangwei")
    csops("ticket", "route", t, "--to-dept", "仓库", "--assignee", "lina", as_="zhangwei", now="2026-11-02T10:40")
    csops("ticket", "resolve", t, "--note", "已安排换货并补发", as_="lina", now="2026-11-03T15:20")
    csops("ticket", "callback", t, "--outcome", "reached", "--satisfaction", "5", as_="zhangwei", now="2026-11-04T10:00")

    t = ticket("complaint", "chat", "刘先生", "13700001111", "快递员态度恶劣，包裹被扔在门口", "2026-11-03T14:05", "lina")
    csops("ticket", "route", t, "--to-dept", "物流", "--assignee", "chenjing", as_="lina", now="2026-11-03T14:30")
    csops("ticket", "resolve", t, "--note", "已向快递公司投诉并致歉", as_="chenjing", now="2026-11-04T11:00")
    csops("ticket", "callback", t, "--outcome", "reached", "--satisfaction", "2", "--note", "客户仍不满意",
          as_="lina", now="2026-11-05T09:30")
    csops("ticket", "resolve", t, "--note", "补偿20元优惠券", as_="chenjing", now="2026-11-05T16:00")
    csops("ticket", "callback", t, "--outcome", "reached", "--satisfaction", "4", as_="lina", now="2026-11-06T10:10")

    t = ticket("complaint", "phone", "陈女士", "13611112222", "退款七天未到账", "2026-11-06T16:50", "chenjing")
    csops("ticket", "route", t, "--to-dept", "财务", "--assignee", "liuyang", as_="chenjing", now="2026-11-06T17:00")
    csops("ticket", "resolve", t, "--note", "财务已重新打款", as_="liuyang", now="2026-11-09T11:00")
    for when in ("2026-11-10T10:00", "2026-11-10T15:00", "2026-11-11T10:00"):
        csops("ticket", "callback", t, "--outcome", "unreachable", as_="chenjing", now=when)
    csops("ticket", "close", t, "--note", "三次回访未接通，按规定关闭", as_="chenjing", now="2026-11-11T10:30")

    for customer, contact, summary, times, who in (
            ("周先生", "zhou.x@example.com", "咨询发票开具流程", ("2026-11-10T11:00", "2026-11-10T16:00"), "zhangwei"),
            ("吴女士", "15900003333", "咨询会员积分如何兑换", ("2026-11-12T19:20", "2026-11-13T11:00"), "lina")):
        t = ticket("inquiry", "email" if "@" in contact else "chat", customer, contact, summary, times[0], who)
        csops("ticket", "resolve", t, "--note", "已答复", as_=who, now=times[1])
        csops("ticket", "close", t, as_=who, now=times[1][:11] + "17:30")

    t = ticket("feedback", "letter", "郑先生", None, "建议增加周末客服热线时间", "2026-11-13T10:00", "chenjing")
    csops("ticket", "route", t, "--to-dept", "客服部", "--assignee", "zhaomin", as_="chenjing", now="2026-11-13T10:30")
    csops("ticket", "resolve", t, "--note", "已纳入下季度排班方案", as_="zhaomin", now="2026-11-13T17:00")

    t = ticket("complaint", "visit", "孙女士", "18611114444", "门店售出的商品是旧款，要求退货", "2026-11-16T09:40",
               "zhangwei", level="urgent")
    csops("ticket", "route", t, "--to-dept", "门店", "--assignee", "lina", as_="zhangwei", now="2026-11-16T10:00")
    csops("ticket", "escalate", t, "--note", "客户要求主管出面", as_="zhangwei", now="2026-11-16T10:30")
    csops("ticket", "resolve", t, "--note", "主管致电道歉并办理退货", as_="lina", now="2026-11-16T15:00")
    csops("ticket", "callback", t, "--outcome", "reached", "--satisfaction", "3", as_="zhangwei", now="2026-11-17T09:30")

    # open work as of Monday 2026-11-23 morning
    t = ticket("complaint", "phone", "钱先生", "13522225555", "洗衣机安装后漏水，师傅未上门", "2026-11-18T11:20", "lina")
    csops("ticket", "route", t, "--to-dept", "售后", "--assignee", "chenjing", as_="lina", now="2026-11-18T11:40")
    csops("ticket", "resolve", t, "--note", "师傅已上门更换进水管", as_="chenjing", now="2026-11-20T16:30")
    # callback due 11-21 16:30 — not done: overdue on Monday

    t = ticket("complaint", "phone", "冯女士", "13933336666", "收到的羽绒服有异味", "2026-11-19T15:10", "zhangwei")
    csops("ticket", "route", t, "--to-dept", "质检", "--assignee", "lina", as_="zhangwei", now="2026-11-19T15:30")
    # 16 working hours → due 11-23 15:10

    t = ticket("complaint", "chat", "黄先生", "13044447777", "订单重复扣款", "2026-11-20T10:05", "chenjing", level="urgent")
    csops("ticket", "route", t, "--to-dept", "财务", "--assignee", "liuyang", as_="chenjing", now="2026-11-20T10:20")
    csops("ticket", "escalate", t, "--emergency", "--note", "金额较大，直接报主管", as_="chenjing", now="2026-11-20T10:25")
    # escalated to major: 4 working hours → overdue

    t = ticket("inquiry", "phone", "林女士", "13155558888", "询问双十二活动规则", "2026-11-20T18:30", "zhangwei")
    # after the cut-off on Friday → due Monday 12:00

    t = ticket("inquiry", "chat", "何先生", "18866669999", "询问发货时间", "2026-11-19T10:00", "lina")
    csops("ticket", "route", t, "--to-dept", "仓库", "--assignee", "zhangwei", as_="lina", now="2026-11-19T10:10")
    # due 11-19 18:00 → long overdue

    t = ticket("feedback", "email", "罗女士", "luo@example.com", "希望包装更环保", "2026-11-21T11:00", "chenjing")
    # Saturday → due Monday 12:00

    t = ticket("complaint", "phone", "高先生", "13277770000", "维修后故障依旧", "2026-11-17T09:15", "zhangwei")
    csops("ticket", "route", t, "--to-dept", "售后", "--assignee", "chenjing", as_="zhangwei", now="2026-11-17T09:30")
    csops("ticket", "resolve", t, "--note", "更换主板", as_="chenjing", now="2026-11-18T14:00")
    csops("ticket", "callback", t, "--outcome", "unreachable", as_="zhangwei", now="2026-11-19T10:00")
    # retry due 11-20 10:00 → overdue

    t = ticket("inquiry", "visit", "谢女士", None, "询问以旧换新政策", "2026-11-23T08:50", "lina")

    t = ticket("feedback", "chat", "唐先生", "17711112222", "APP 下单页面加载慢", "2026-11-09T14:00", "chenjing")
    csops("ticket", "resolve", t, "--note", "已转技术部优化并答复客户", as_="chenjing", now="2026-11-09T17:00")
    csops("ticket", "callback", t, "--outcome", "reached", "--satisfaction", "5", as_="chenjing", now="2026-11-10T10:00")

    t = ticket("complaint", "email", "韩女士", "han@example.com", "会员折扣未生效，多付了钱", "2026-11-23T08:55",
               "zhangwei")

    # -- returns ---------------------------------------------------------------------------
    def ret(kind, order, customer, items, now, as_="zhangwei", **extra):
        args = ["return", "new", "--kind", kind, "--order", order, "--customer", customer]
        for item in items:
            args += ["--item", item]
        for key, value in extra.items():
            args += [f"--{key}", value]
        return csops(*args, as_=as_, now=now)

    def move(rid, state, as_, now, *extra):
        csops("return", "move", rid, state, *extra, as_=as_, now=now)

    r = ret("self", "TB20261101-0093", "王女士", ["RC-5L:1"], "2026-11-03T10:00", reason="内胆划痕")
    move(r, "approved", "zhangwei", "2026-11-03T10:20")
    move(r, "received", "sunqiang", "2026-11-05T10:00")
    move(r, "inspected", "sunqiang", "2026-11-05T14:00")
    move(r, "qc_checked", "zhouli", "2026-11-06T10:00", "--item", "RC-5L=defective")
    move(r, "exchanged", "zhangwei", "2026-11-06T15:00")
    move(r, "closed", "sunqiang", "2026-11-06T17:00")

    r2 = ret("self", "TB20261104-0211", "孙女士", ["JK-M-BLK:2", "JK-L-BLK:1"], "2026-11-16T15:30",
             as_="lina", reason="旧款，要求退货")
    move(r2, "approved", "lina", "2026-11-16T15:40")
    move(r2, "received", "sunqiang", "2026-11-17T10:00")
    move(r2, "inspected", "sunqiang", "2026-11-17T11:00")
    move(r2, "qc_checked", "zhouli", "2026-11-17T15:00", "--item", "JK-M-BLK=good:1,defective:1",
         "--item", "JK-L-BLK=good")
    move(r2, "refunded", "wuhao", "2026-11-18T10:00", "--amount", "897.00")
    move(r2, "closed", "sunqiang", "2026-11-18T16:00")
    csops("return", "vendor", "--supplier", "杭州某服饰有限公司", r, r2, as_="zhengtao", now="2026-11-19T10:00")

    r = ret("transit", "TB20261110-0456", "赵先生", ["TEA-250:3"], "2026-11-12T09:30", as_="chenjing",
            reason="地址无法投递")
    move(r, "received", "sunqiang", "2026-11-12T14:00")
    move(r, "reshipped", "sunqiang", "2026-11-12T16:30", "--tracking", "SF1402778811")
    move(r, "closed", "sunqiang", "2026-11-13T09:00")

    r = ret("refused", "TB20261111-0777", "钱女士", ["MUG-01:2"], "2026-11-13T10:00", as_="lina", reason="客户拒收")
    move(r, "received", "sunqiang", "2026-11-14T09:30")
    move(r, "inspected", "sunqiang", "2026-11-14T11:00")
    move(r, "refunded", "wuhao", "2026-11-16T10:00", "--amount", "59.80")

    r = ret("self", "TB20261115-0932", "冯女士", ["DJ-XL:1"], "2026-11-19T16:00", reason="羽绒服异味")
    move(r, "approved", "zhangwei", "2026-11-19T16:10")
    move(r, "received", "sunqiang", "2026-11-20T11:00")
    move(r, "inspected", "sunqiang", "2026-11-20T14:00")
    move(r, "qc_checked", "zhouli", "2026-11-20T16:00", "--item", "DJ-XL=defective")
    # refund due 11-23 16:00

    r = ret("self", "TB20261116-1010", "马先生", ["HD-01:1"], "2026-11-18T10:00", as_="chenjing", reason="耳机单边无声")
    move(r, "approved", "chenjing", "2026-11-18T10:10")
    move(r, "received", "sunqiang", "2026-11-19T10:00")
    # inspect due 11-20 10:00 → overdue

    r = ret("transit", "TB20261117-1102", "朱女士", ["BOOK-07:2"], "2026-11-20T09:00", as_="lina", reason="收件人电话停机")
    move(r, "received", "sunqiang", "2026-11-20T11:00")
    # reship due 11-20 18:00 → overdue

    ret("self", "TB20261118-1200", "胡先生", ["KB-87:1"], "2026-11-22T20:00", as_="zhangwei", reason="按键失灵")
    r = ret("self", "TB20261119-1290", "郭女士", ["LAMP-3:1"], "2026-11-21T10:00", as_="lina", reason="灯罩破损",
            resolution="exchange")
    move(r, "approved", "lina", "2026-11-21T10:30")

    # -- leave -----------------------------------------------------------------------------
    def leave(person, kind, start, end, now, as_=None, **extra):
        args = ["leave", "new", "--person", person, "--kind", kind, "--start", start, "--end", end]
        for key, value in extra.items():
            args += [f"--{key}", value]
        return csops(*args, as_=as_ or person, now=now)

    lv = leave("zhangwei", "personal", "2026-11-12T09:00", "2026-11-12T18:00", "2026-11-05T09:00", reason="家中有事")
    csops("leave", "approve", lv, as_="liuyang", now="2026-11-05T10:00")

    lv = leave("lina", "sick", "2026-11-09T09:00", "2026-11-10T18:00", "2026-11-08T09:00", reason="发烧")
    csops("leave", "approve", lv, as_="liuyang", now="2026-11-08T10:00")
    csops("leave", "certify", lv, "--certificate", "市第一人民医院诊断证明 2026-11-09", as_="lina", now="2026-11-11T09:00")

    lv = leave("chenjing", "special", "2026-11-16T14:00", "2026-11-16T18:00", "2026-11-16T13:30", reason="孩子学校急事")
    csops("leave", "approve", lv, as_="liuyang", now="2026-11-16T13:35")   # short notice: up to the manager
    csops("leave", "approve", lv, as_="zhaomin", now="2026-11-16T13:40")
    csops("leave", "approve", lv, as_="wangjg", now="2026-11-16T13:50")

    lv = leave("zhangwei", "personal", "2026-12-31T09:00", "2027-01-04T18:00", "2026-11-10T09:00", reason="元旦回老家")
    csops("leave", "reject", lv, "--note", "元旦值班人手不足", as_="liuyang", now="2026-11-10T15:00")

    lv = leave("lina", "personal", "2026-11-27T09:00", "2026-11-27T12:00", "2026-11-19T09:00", reason="办理证件")
    csops("leave", "withdraw", lv, as_="lina", now="2026-11-20T09:00")

    lv = leave("sunqiang", "personal", "2026-11-30T09:00", "2026-11-30T18:00", "2026-11-16T09:00", reason="搬家")
    csops("leave", "approve", lv, as_="wangjg", now="2026-11-16T10:00")
    csops("leave", "cancel", lv, as_="sunqiang", now="2026-11-18T09:00")

    leave("chenjing", "sick", "2026-11-23T09:00", "2026-11-23T18:00", "2026-11-22T20:00", reason="肠胃炎")
    leave("zhangwei", "personal", "2026-12-07T09:00", "2026-12-08T18:00", "2026-11-21T10:00", reason="婚礼")
    lv = leave("liuyang", "personal", "2026-11-25T13:00", "2026-11-25T18:00", "2026-11-20T09:00", reason="孩子家长会")
    csops("leave", "approve", lv, as_="zhaomin", now="2026-11-20T09:30")

    # -- scores ----------------------------------------------------------------------------
    def score(*args, as_="liuyang", now="2026-11-10T18:00"):
        return csops("score", "add", *args, as_=as_, now=now)

    s = score("--person", "zhangwei", "--code", "PHONE_RINGS", "--date", "2026-11-04")
    csops("score", "confirm", s, as_="zhaomin", now="2026-11-11T09:00")
    score("--person", "lina", "--code", "LATE", "--minutes", "35", "--date", "2026-11-06", "--note", "地铁故障")
    score("--code", "LUNCH_OFF_POST", "--date", "2026-11-09", "--note", "午餐时段无人顶岗")
    s = score("--person", "chenjing", "--code", "AWAY_NO_STATUS", "--date", "2026-11-12")
    csops("score", "revoke", s, "--note", "经核实为系统故障", as_="zhaomin", now="2026-11-13T09:00")
    s = score("--person", "zhangwei", "--code", "CUSTOMER_CONFLICT", "--fine", "30", "--date", "2026-11-13",
              "--note", "与客户争执导致投诉")
    csops("score", "confirm", s, as_="zhaomin", now="2026-11-14T09:00")
    score("--person", "lina", "--code", "WRONG_INFO", "--date", "2026-11-17", "--note", "告知客户错误的退货地址",
          now="2026-11-17T18:00")
    score("--person", "chenjing", "--code", "REPORT_LATE", "--date", "2026-11-19", now="2026-11-20T10:30")
    score("--person", "zhangwei", "--code", "BAD_REVIEW_TEXT", "--date", "2026-11-20", now="2026-11-20T17:00")
    score("--person", "chenjing", "--code", "FOLLOWUP_LATE", "--date", "2026-11-21", "--note", "回访超过24小时",
          now="2026-11-21T18:00")
    print("demo records built:", sum(1 for _ in RECORDS.rglob("*-*.yaml")), "records")


def round2() -> None:
    """Round 2's additions, appended to the demo's history through the CLI (records are never
    deleted, so the demo grows rather than being rebuilt): a voided duplicate ticket, a return
    sent back whole, a parcel registered by the warehouse with part of it arriving, a mixed return
    whose good item goes back on the refund step, and a vendor note for one supplier only."""
    if any("TB20261117-1188" in p.read_text(encoding="utf-8") for p in (RECORDS / "returns").rglob("*.yaml")):
        sys.exit("the round-2 demo records exist already")
    first = ticket("inquiry", "phone", "郑女士", "13911223344", "询问羽绒服尺码", "2026-11-18T10:00", "lina")
    duplicate = ticket("inquiry", "phone", "郑女士", "13911223344", "询问羽绒服尺码（重复登记）", "2026-11-18T10:02",
                       "lina")
    csops("ticket", "void", duplicate, "--reason", "重复登记", "--duplicate-of", first, as_="liuyang",
          now="2026-11-18T10:30")
    csops("ticket", "resolve", first, "--note", "已告知尺码表", as_="lina", now="2026-11-18T11:00")

    def move(rid, state, as_, now, *extra):
        csops("return", "move", rid, state, *extra, as_=as_, now=now)

    r = csops("return", "new", "--kind", "self", "--order", "TB20261117-1188", "--customer", "周先生",
              "--item", "JK-S-RED:2", "--reason", "颜色与图片不符", as_="chenjing", now="2026-11-18T09:30")
    move(r, "approved", "chenjing", "2026-11-18T09:40")
    move(r, "received", "sunqiang", "2026-11-19T10:00")
    move(r, "inspected", "sunqiang", "2026-11-19T11:00")
    move(r, "qc_checked", "zhouli", "2026-11-19T15:00", "--item", "JK-S-RED=good")
    move(r, "sent_back", "sunqiang", "2026-11-20T10:00", "--tracking", "SF1402990011", "--freight", "18.00",
         "--note", "良品寄回，来回运费由客户承担")
    move(r, "closed", "sunqiang", "2026-11-20T10:05")

    r = csops("return", "new", "--kind", "refused", "--order", "TB20261118-0420", "--customer", "吴女士",
              "--item", "RC-3L:1", "--item", "MUG-02:2", "--reason", "客户拒收", as_="sunqiang", now="2026-11-19T14:00")
    move(r, "received", "sunqiang", "2026-11-19T14:10", "--item", "MUG-02=1", "--note", "少到一个杯子，已联系快递")
    move(r, "inspected", "sunqiang", "2026-11-19T16:00")
    move(r, "refunded", "wuhao", "2026-11-20T11:00", "--amount", "329.00")

    r = csops("return", "new", "--kind", "self", "--order", "TB20261112-0567", "--customer", "郭先生",
              "--item", "RC-3L:1", "--item", "JK-M-GRY:1", "--reason", "电饭煲不加热；外套不想要了", as_="zhangwei",
              now="2026-11-17T11:00")
    move(r, "approved", "zhangwei", "2026-11-17T11:10")
    move(r, "received", "sunqiang", "2026-11-18T10:00")
    move(r, "inspected", "sunqiang", "2026-11-18T14:00")
    move(r, "qc_checked", "zhouli", "2026-11-19T10:00", "--item", "RC-3L=defective", "--item", "JK-M-GRY=good")
    move(r, "refunded", "wuhao", "2026-11-19T16:00", "--amount", "399.00", "--tracking", "SF1402990022")
    move(r, "closed", "sunqiang", "2026-11-20T09:30")
    csops("return", "vendor", "--supplier", "美的生活电器", as_="zhengtao", now="2026-11-20T15:00")
    print("round-2 demo records added")


def roster() -> None:
    """The duty roster 排班 of the last week of November: weekend duty with its duty lead, an approved
    swap and one still waiting for the team lead (SPEC §12)."""
    if (RECORDS / "roster").is_dir():
        sys.exit("the demo roster exists already")
    csops("roster", "set", "2026-11-28..2026-11-29", "--person", "zhangwei", "--shift", "weekend_duty",
          as_="zhaomin", now="2026-11-20T17:00")
    csops("roster", "set", "2026-11-28", "--person", "lina", "--shift", "weekend_duty", as_="zhaomin",
          now="2026-11-20T17:01")
    csops("roster", "set", "2026-11-29", "--person", "chenjing", "--shift", "weekend_duty", as_="zhaomin",
          now="2026-11-20T17:02")
    csops("roster", "set", "2026-11-30", "--person", "zhangwei", "--shift", "off", as_="zhaomin",
          now="2026-11-20T17:03")
    csops("roster", "lead", "2026-11-28", "--person", "zhangwei", as_="zhaomin", now="2026-11-20T17:04")
    csops("roster", "lead", "2026-11-29", "--person", "zhangwei", as_="zhaomin", now="2026-11-20T17:05")
    w = csops("swap", "new", "--with", "lina", "--date", "2026-11-29", "--with-date", "2026-11-28",
              "--reason", "周日家中有事，与李娜对调", as_="chenjing", now="2026-11-21T10:00")
    csops("swap", "accept", w, as_="lina", now="2026-11-21T10:30")
    csops("swap", "approve", w, as_="liuyang", now="2026-11-21T11:00")
    w = csops("swap", "new", "--with", "chenjing", "--date", "2026-11-30", "--reason", "周一需陪家人就医",
              as_="zhangwei", now="2026-11-22T20:00")
    csops("swap", "accept", w, as_="chenjing", now="2026-11-22T21:00")
    print("demo roster added")


def desk() -> None:
    """The daily desk (SPEC §11): 王女士 calls again about the same order — the repeat-caller
    warning, a link to her return, and her 客户档案."""
    ret = next((p.stem for p in (RECORDS / "returns").rglob("*.yaml") if "TB20261101-0093" in p.read_text("utf-8")),
               None)
    if ret is None or any("再次来电" in p.read_text("utf-8") for p in (RECORDS / "tickets").rglob("*.yaml")):
        sys.exit("the desk demo needs the first demo records, and runs once")
    t = csops("ticket", "new", "--kind", "inquiry", "--channel", "phone", "--customer", "王女士", "--contact",
              "+86 138-1234-5678", "--summary", "再次来电：换货的电饭煲何时发出", "--order", "TB20261101-0093",
              "--link", ret, as_="lina", now="2026-11-23T08:50")
    csops("ticket", "resolve", t, "--note", "已查询：11-06 已换货发出，单号已告知", as_="lina", now="2026-11-23T09:05")
    print("desk demo added")


def swaps_fixed() -> None:
    """Round 2's review found the pending demo swap gave away a day zhangwei was off: the team lead
    rejects it, and zhangwei asks for the swap he meant (his Sunday weekend duty) instead."""
    pending = next((p.stem for p in (RECORDS / "swaps").rglob("*.yaml") if "周一需陪家人就医" in p.read_text("utf-8")),
                   None)
    if pending is None or "\nstatus: rejected" in next((RECORDS / "swaps").rglob(f"{pending}.yaml")).read_text("utf-8"):
        sys.exit("nothing to fix")
    csops("swap", "reject", pending, "--note", "张伟当天本就休息，无需调班", as_="liuyang", now="2026-11-23T09:10")
    w = csops("swap", "new", "--with", "chenjing", "--date", "2026-11-29", "--reason", "周日需陪家人就医，请陈静代班",
              as_="zhangwei", now="2026-11-23T09:12")
    csops("swap", "accept", w, as_="chenjing", now="2026-11-23T09:20")
    print("demo swaps fixed")


# Later additions, appended to the demo's history (each runs once): python bench/demo_records.py --round2
ADDITIONS = {"--round2": round2, "--roster": roster, "--desk": desk, "--swaps-fixed": swaps_fixed}

if __name__ == "__main__":
    chosen = [flag for flag in ADDITIONS if flag in sys.argv]
    ADDITIONS[chosen[0]]() if chosen else main()
