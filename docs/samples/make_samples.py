"""Write the sample sheets of docs/import.md: a team's 台账 as a desk keeps them — the staff list
花名册, the December roster grid 排班表, October's 工单台账 (National Day week and its 调休
Saturday included), the 退货登记表 saved by Excel on a Chinese Windows (GB18030), the 请假单,
the 考核记录, and an older ledger with its own column names and the --map file that reads it.

    python docs/samples/make_samples.py [FOLDER]      # default: this folder

tests/test_import.py runs it and imports every sheet into a new repository, so the guide's
commands and their output cannot drift from what csops does.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from pathlib import Path

PEOPLE = [
    ["编号", "姓名", "角色", "上级", "邮箱"],
    ["wangjg", "王建国", "客服经理", "", "wangjg@kefu.example.cn"],
    ["zhaomin", "赵敏", "客服主管", "王建国", "zhaomin@kefu.example.cn"],
    ["liuyang", "刘洋", "班长", "赵敏", "liuyang@kefu.example.cn"],
    ["zhangwei", "张伟", "客服专员", "刘洋", "zhangwei@kefu.example.cn"],
    ["lina", "李娜", "客服专员", "刘洋", "lina@kefu.example.cn"],
    ["chenjing", "陈静", "客服专员", "刘洋", "chenjing@kefu.example.cn"],
    ["sunqiang", "孙强", "仓库", "王建国", "sunqiang@kefu.example.cn"],
    ["zhouli", "周丽", "质检", "王建国", "zhouli@kefu.example.cn"],
    ["wuhao", "吴昊", "财务", "王建国", "wuhao@kefu.example.cn"],
    ["zhengtao", "郑涛", "采购", "王建国", "zhengtao@kefu.example.cn"],
]


def t(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M")


TICKETS = [
    ["编号", "状态", "种类", "渠道", "客户", "联系方式", "摘要", "订单", "部门", "处理人", "登记时间", "登记人",
     "处理时间", "处理结果", "回访时间", "回访结果", "满意度", "结案时间"],
    ["GD-2610-001", "已关闭", "投诉", "电话", "王女士", "13812340001", "电饭煲内胆有划痕", "TB20260930001", "仓库", "孙强",
     t("2026-09-30 16:00"), "张伟", t("2026-10-08 11:00"), "已换新内胆", t("2026-10-08 16:00"), "接通", 5, None],
    ["GD-2610-002", "已处理", "咨询", "在线", "李先生", None, "询问国庆期间发货时间", None, None, None,
     t("2026-10-02 10:00"), "李娜", t("2026-10-08 09:30"), "已告知8日起发货", None, None, None, None],
    ["GD-2610-003", "已处理", "投诉", "电话", "赵女士", "13812340003", "快递外箱破损", "TB20261009007", "仓库", "孙强",
     t("2026-10-10 10:00"), "陈静", t("2026-10-13 09:30"), "已补发", None, None, None, None],
    ["GD-2610-004", "已登记", "建议", "邮件", "孙先生", "sun@example.com", "希望增加夜间客服", None, None, None,
     t("2026-10-15 14:00"), "张伟", None, None, None, None, None, None],
    ["GD-2610-005", "已处理", "咨询", "电话", "周女士", None, "发票抬头修改", None, None, None,
     t("2026-10-20 09:30"), "李娜", t("2026-10-20 10:00"), "已重开发票", None, None, None, None],
    ["GD-2610-006", "已关闭", "投诉", "电话", "吴先生", "13900002222", "少发配件", "TB20261020015", "仓库", "孙强",
     t("2026-10-21 09:00"), "陈静", t("2026-10-23 17:00"), "已补发配件", t("2026-10-24 10:00"), "接通", 4, None],
]

RETURNS = [
    ["编号", "状态", "种类", "订单", "客户", "联系方式", "商品", "原因", "登记时间", "登记人", "审批时间", "审批人",
     "收货时间", "收货人", "初检时间", "初检人", "质检时间", "质检人", "质检结果", "退款时间", "退款人", "退款金额",
     "结案时间", "结案人"],
    ["TH-2610-01", "已关闭", "自退件", "TB20260930001", "王女士", "13812340001", "NC-01×1", "内胆划痕",
     "2026-10-08 16:30", "张伟", "2026-10-08 17:00", "张伟", "2026-10-12 10:00", "孙强", "2026-10-12 14:00", "孙强",
     "2026-10-13 10:00", "周丽", "不合格", "2026-10-13 15:00", "吴昊", "299.00", "2026-10-14 09:00", "孙强"],
    ["TH-2610-02", "已收货", "拒收件", "TB20261019002", "郑先生", "", "A100×2", "客户拒收", "2026-10-20 11:00", "孙强",
     "", "", "2026-10-20 11:00", "孙强", "", "", "", "", "", "", "", "", "", ""],
]

LEAVE = [
    ["编号", "人员", "种类", "开始", "结束", "原因", "证明", "申请时间", "审批人", "审批时间", "状态"],
    ["QJ-2610-01", "李娜", "事假", "2026-10-19 09:00", "2026-10-19", "家中有事", "", "2026-10-14 09:00", "刘洋",
     "2026-10-14 11:00", "已批准"],
    ["QJ-2610-02", "陈静", "病假", "2026-10-26", "2026-10-26", "发烧", "医院诊断证明", "2026-10-25 08:00", "刘洋",
     "2026-10-25 09:00", "已批准"],
]

SCORES = [
    ["编号", "人员", "代码", "日期", "分钟", "登记人", "登记时间", "确认时间", "确认人"],
    ["KH-2610-01", "张伟", "LATE", "2026-10-16", 12, "刘洋", "2026-10-16 09:30", "2026-10-16 18:00", "赵敏"],
    ["KH-2610-02", "陈静", "回访表格未做/乱做/漏做", "2026-10-22", None, "刘洋", "2026-10-22 17:00", None, None],
]

OLD_LEDGER = [
    ["工单号", "问题类型", "来源", "顾客", "问题描述", "受理时间", "受理人", "处理情况"],
    ["2025-0117", "售后咨询", "旺旺", "钱女士", "咨询保修期", "2026/9/28 10:05", "李娜", "未处理"],
    ["2025-0118", "投诉", "电话", "冯先生", "配送员态度差", "2026/9/28 14:40", "张伟", "未处理"],
]

MAP = """# 旧台账的列名和取值 → csops 的字段（csops import tickets 旧台账.csv --map 旧台账映射.yaml）
工单号: id
问题类型: {field: kind, values: {售后咨询: inquiry, 投诉: complaint}}
来源: {field: channel, values: {旺旺: chat}}
顾客: customer
问题描述: summary
受理时间: created
受理人: created_by
处理情况: {field: status, values: {未处理: registered}}
"""


def roster() -> list[list]:
    head = ["姓名"] + [str(day) for day in range(1, 32)]
    duty = {5: "张伟", 6: "张伟", 12: "李娜", 13: "李娜", 19: "陈静", 20: "陈静", 26: "张伟", 27: "张伟"}
    rows = [head]
    for name in ("张伟", "李娜", "陈静"):
        cells = []
        for day in range(1, 32):
            weekend = dt.date(2026, 12, day).weekday() >= 5
            cells.append(("周末值班" if duty[day] == name else "休") if weekend else "")
        rows.append([name] + cells)
    return rows


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8-sig") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def write_xlsx(path: Path, rows: list[list], sheet: str) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"created": dt.datetime(2026, 12, 1)})       # the same bytes every run
    page = book.add_worksheet(sheet)
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                page.write_datetime(r, c, value, when)
            elif value is not None:
                page.write(r, c, value, bold if r == 0 else None)
    page.set_column(0, len(rows[0]) - 1, 12)
    book.close()


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "花名册.csv", PEOPLE)
    write_xlsx(folder / "排班表.xlsx", roster(), "2026年12月")
    write_xlsx(folder / "工单台账.xlsx", TICKETS, "10月工单")
    write_csv(folder / "退货登记表.csv", RETURNS, encoding="gb18030")
    write_csv(folder / "请假单.csv", LEAVE)
    write_csv(folder / "考核记录.csv", SCORES)
    write_csv(folder / "旧台账.csv", OLD_LEDGER)
    (folder / "旧台账映射.yaml").write_text(MAP, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
