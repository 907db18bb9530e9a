"""Benchmark `csops import tickets` on a year's 工单台账 as a desk keeps it in Excel.

A new repository (`csops init`, the staff list brought in with `csops import people`), then a
workbook of N ticket rows (10,000 by default) from January to October 2026: complaints routed to
the warehouse, resolved, called back and closed; inquiries answered the same day; feedback left
open — each with its contact, order number and people by name. Prints the seconds and the peak
memory of the import as a user types it, and of the same import run again (every row already
there: nothing added). Usage:

    python bench/import_bench.py [--rows 10000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import peak_memory_mb  # noqa: E402

PEOPLE = [("wangjg", "王建国", "客服经理", ""), ("zhaomin", "赵敏", "客服主管", "王建国"),
          ("liuyang", "刘洋", "班长", "赵敏")] + [
    (f"agent{n}", f"客服{n}", "客服专员", "刘洋") for n in range(8)] + [
    ("sunqiang", "孙强", "仓库", "王建国"), ("zhouli", "周丽", "质检", "王建国")]
HEAD = ["编号", "状态", "种类", "渠道", "客户", "联系方式", "摘要", "订单", "部门", "处理人", "登记时间", "登记人",
        "处理时间", "处理结果", "回访时间", "回访结果", "满意度", "结案时间"]
SUMMARIES = ["电饭煲内胆有划痕", "快递破损", "少发配件", "询问发货时间", "发票抬头修改", "希望增加颜色", "保修期咨询",
             "退款进度", "安装预约", "赠品未收到"]


def workbook(path: Path, rows: int, seed: int = 7) -> None:
    import xlsxwriter

    rng = random.Random(seed)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("工单台账")
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for c, text in enumerate(HEAD):
        sheet.write_string(0, c, text)
    start = dt.date(2026, 1, 5)
    agents = [name for _pid, name, role, _boss in PEOPLE if role == "客服专员"]
    for r in range(1, rows + 1):
        day = start + dt.timedelta(days=rng.randrange(290))
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        at = dt.datetime.combine(day, dt.time(rng.randint(9, 15), rng.randrange(60)))
        kind = rng.choices(["投诉", "咨询", "建议"], [5, 3, 2])[0]
        agent = rng.choice(agents)
        row = [f"GD{r:06d}", "", kind, rng.choice(["电话", "在线", "邮件"]), f"客户{rng.randrange(4000)}",
               f"13{rng.randrange(10**9):09d}", rng.choice(SUMMARIES), f"TB{rng.randrange(10**8):08d}", "", "",
               at, agent, None, "", None, "", None, None]
        if kind == "投诉":
            row[8], row[9] = "仓库", "孙强"
            row[12], row[13] = at + dt.timedelta(hours=3), "已处理"
            row[14], row[15], row[16] = at + dt.timedelta(hours=20), "接通", rng.choice([3, 4, 5])
        elif kind == "咨询":
            row[12], row[13] = at + dt.timedelta(minutes=40), "已答复"
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value, when)
            elif value not in (None, ""):
                sheet.write(r, c, value)
    book.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--keep", type=Path, default=None, help="Build the repository here (kept).")
    args = parser.parse_args(argv)
    base = args.keep or Path(tempfile.mkdtemp(prefix="csops-import-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    root = base / "kefu"
    csops = [sys.executable, "-m", "csops"]
    subprocess.run([*csops, "--now", "2026-01-02T09:00", "init", str(root)], check=True, capture_output=True)
    staff = base / "花名册.csv"
    staff.write_text("编号,姓名,角色,上级\n" + "".join(f"{pid},{name},{role},{boss}\n" for pid, name, role, boss in PEOPLE),
                     encoding="utf-8")
    subprocess.run([*csops, "import", "people", str(staff)], cwd=root, check=True, capture_output=True)
    sheet = base / "工单台账.xlsx"
    workbook(sheet, args.rows)
    command = [*csops, "--as", "zhaomin", "import", "tickets", str(sheet)]
    seconds, pss, rss = peak_memory_mb(command, root)
    count = subprocess.run(["git", "ls-files", "records/tickets"], cwd=root, capture_output=True, text=True,
                           check=True).stdout.count("\n")
    if count != args.rows:
        sys.exit(f"expected {args.rows} tickets after the import, found {count}")
    again, pss_again, _rss = peak_memory_mb(command, root)
    print(f"csops import tickets ({args.rows:,} xlsx rows): {seconds:.2f} s, peak memory {pss:.0f} MB "
          f"(RSS {rss:.0f} MB); {count:,} tickets in one commit")
    print(f"the same file again (every row imported before): {again:.2f} s, peak memory {pss_again:.0f} MB")


if __name__ == "__main__":
    main()
