"""Write the user guide 用户手册 (docs/guide/*.md): one chapter per role, each a day's work on the
demo team's records (records/) with the real commands and their real output.

    python docs/guide/make_guide.py [FOLDER]     # default: this folder

The commands run, in order, on a clone of the project (records/ with the history that made it), at the times the
chapters name; a record a command makes is shown with the random part of its id as XXXXXX (it differs
every run), and a commit id as xxxxxxxxxx. tests/test_language.py runs this script and fails when what it
writes differs from the committed guide — the guide cannot drift from what csops does.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

# (file, title, what the role does, [(explanation, acting person, time, command)]). A command may
# use the ids made before it: {T} the ticket registered in the first chapter, {L} the leave asked.
CHAPTERS = [
    ("1-客服专员.md", "客服专员：张伟的一天",
     "客服专员接待客户、登记工单、分派给处理部门、回访客户，也在这里申请请假。以下命令都以张伟的身份运行"
     "（`export CSOPS_USER=zhangwei`，或在命令前加 `--as zhangwei`）。",
     [("早上先看自己名下逾期的事项。逾期小时按工作时间计算（调休、节假日都已算进去），回访按自然时间计算。",
       "zhangwei", "2026-11-23T09:05", "csops report overdue --owner zhangwei"),
      ("王女士来电投诉电饭煲内胆有划痕。登记工单，csops 输出工单编号；同一客户还有未办完的记录时会提醒。",
       "zhangwei", "2026-11-23T09:10",
       "csops ticket new --kind complaint --channel phone --customer 王女士 --contact 13812345678 "
       "--order TB20261120-0077 --summary 电饭煲内胆有划痕"),
      ("投诉须先分派给处理部门（分流），时限从登记起按工作时间计算。",
       "zhangwei", "2026-11-23T09:15", "csops ticket route {T} --to-dept 仓库 --assignee sunqiang"),
      ("查看这张工单：截止时间、回访截止时间都已算好。", "zhangwei", "2026-11-23T09:16", "csops ticket show {T}"),
      ("仓库要客户先拍照片：挂起工单，等客户期间处理时限暂停（等客户、等供应商时暂停，见规则文件 tickets.pause_on）。",
       "zhangwei", "2026-11-23T09:18", "csops ticket wait {T} --on customer --reason 等客户拍内胆照片"),
      ("客户发来照片，恢复处理：截止时间顺延了等待的工作时间。", "zhangwei", "2026-11-23T11:18",
       "csops ticket resume {T} --note 客户已发照片"),
      ("", "zhangwei", "2026-11-23T11:19", "csops ticket show {T}"),
      ("客户又问起别的订单时，在客户档案里查她所有的工单和退货（联系方式遮盖显示）。",
       "zhangwei", "2026-11-23T09:20", "csops customer show 13812345678"),
      ("不记得单号时，用关键词找：中文不用空格。", "zhangwei", "2026-11-23T09:25", "csops search 内胆"),
      ("下周三有事，提前申请事假（事假须提前三天，节假日前后另有规定）。",
       "zhangwei", "2026-11-23T09:30",
       "csops leave new --person zhangwei --kind personal --start 2026-11-26T09:00 --end 2026-11-26T18:00 "
       "--reason 家中有事")]),
    ("2-班长.md", "班长：刘洋的一天",
     "班长审批组员的请假和调班、处理上报给自己的工单、登记考核事件，晚上看日报。",
     [("先看自己要审批的和要处理的。", "liuyang", "2026-11-23T09:40", "csops report overdue --owner liuyang"),
      ("批准张伟的事假（逐级审批：走到足够高时就是已批准）。", "liuyang", "2026-11-23T09:45", "csops leave approve {L}"),
      ("陈静的病假在这里等审批。", "liuyang", "2026-11-23T09:50", "csops leave approve L-20261122-MJMC1D"),
      ("李娜迟到 35 分钟：登记考核事件（迟到半小时以上按旷工半天计）。", "liuyang", "2026-11-23T10:00",
       "csops score add --person lina --code LATE --minutes 35 --date 2026-11-23"),
      ("王女士一年消费超十万：设为重要客户（客户分级），由张伟负责，每 30 天定期回访；她的投诉从登记起就按紧急处理。",
       "liuyang", "2026-11-23T16:00",
       "csops customer set 13812345678 --tier A --name 王女士 --owner zhangwei --reason 年消费超十万"),
      ("查看客户卡：等级、负责人和下次回访。", "liuyang", "2026-11-23T16:05", "csops customer list"),
      ("下班前看日报：每人登记、处理、按时处理、回访和满意度，各渠道的登记数，以及当天的值班长。", "liuyang",
       "2026-11-23T18:05", "csops report daily --date 2026-11-23")]),
    ("3-主管.md", "客服主管：赵敏的一天",
     "主管确认考核、从记录中推出扣分事件、排班、更正登记错误，月底出考核表。",
     [("把上周记录已能证明的扣分事件登记下来（回访超时、留言超时等）；再运行一次不会重复。", "zhaomin",
       "2026-11-23T10:30", "csops score derive --period 2026-11"),
      ("排周末值班：下周六张伟值班。", "zhaomin", "2026-11-23T10:40",
       "csops roster set 2026-12-05 --person zhangwei --shift weekend_duty"),
      ("查看那天谁在岗。", "zhaomin", "2026-11-23T10:45", "csops roster show --date 2026-12-05"),
      ("本月考核表，得分最低的在前；再看某人扣分的原因。", "zhaomin", "2026-11-23T11:00",
       "csops report scores --period 2026-11"),
      ("", "zhaomin", "2026-11-23T11:00", "csops report scores --period 2026-11 --explain zhangwei")]),
    ("4-经理.md", "客服经理：王建国的一天",
     "经理看统计和月报，了解规则文件的每个版本何时生效。",
     [("本月工单统计：回访率、及时率、满意率与上月对比。", "wangjg", "2026-11-23T14:00",
       "csops report stats --period 2026-11"),
      ("每人本月的数据。", "wangjg", "2026-11-23T14:05", "csops report agents --period 2026-11"),
      ("规则文件的每个版本：生效日期、作者和改了什么。", "wangjg", "2026-11-23T14:10", "csops policy history")]),
    ("5-仓库质检财务采购.md", "仓库、质检、财务、采购",
     "退货单在各部门之间流转，每一步只能由对应部门完成；每天有退货记录表，次品按供应商开退厂单。",
     [("仓库孙强：收到的自退件要在一个工作日内初检。", "sunqiang", "2026-11-23T10:00",
       "csops return move R-20261118-79NSRY inspected"),
      ("在途件当天重发，写上新的快递单号。", "sunqiang", "2026-11-23T10:10",
       "csops return move R-20261120-YQ09XZ reshipped --tracking SF1300224455"),
      ("质检周丽：逐件给出结论。", "zhouli", "2026-11-23T11:00",
       "csops return move R-20261118-79NSRY qc_checked --item HD-01=defective"),
      ("财务吴昊：次品退款（金额最多两位小数）。", "wuhao", "2026-11-23T14:00",
       "csops return move R-20261118-79NSRY refunded --amount 89.00"),
      ("当天的退货记录表。", "sunqiang", "2026-11-23T17:30", "csops report returns --date 2026-11-23"),
      ("采购郑涛：按供应商查看待开退厂单的次品。", "zhengtao", "2026-11-23T17:40", "csops report vendor")]),
    ("6-管理员.md", "管理员：Git 仓库和 CI",
     "管理员维护记录仓库：检查整个历史、导出数据给分析人员。新建仓库和导入台账见 [导入台账](../import.md)。",
     [("为另一个团队新建记录仓库，同时写入 CI 配置（每次推送运行 `csops validate --history`）和 pre-commit 钩子。",
       "zhaomin", "2026-11-23T18:20", "csops init ../售后二组 --ci"),
      ("检查全部记录，并回放 Git 历史（CI 里每次推送都运行）。", "zhaomin", "2026-11-23T18:30",
       "csops validate --history"),
      ("导出给分析人员（SQLite，可用 sqlite3 或 Datasette 打开）。", "zhaomin", "2026-11-23T18:35",
       "csops export sqlite 客服数据.db"),
      ("把逾期清单和日报推到钉钉群（《客服部工作职责》发布钉钉日报），一步一步：\n\n"
       "1. 钉钉群 → 群设置 → 机器人 → 添加机器人 → 自定义；安全设置选“加签”，复制签名密钥（SEC 开头）；"
       "完成后复制 Webhook 地址（含 access_token）。\n"
       "2. 地址和密钥都不写进记录仓库（克隆仓库的人都能看到）：在 GitHub 仓库 Settings → Secrets and variables → "
       "Actions 新建两个 secret：`DINGTALK_URL`（Webhook 地址）和 `DINGTALK_SECRET`（签名密钥）；在本机则设成同名"
       "环境变量。\n"
       "3. 在 `records/policy.yaml` 中写上发送对象，只写变量名："
       "`notify: {targets: {客服群: {kind: dingtalk, url_env: DINGTALK_URL, secret_env: DINGTALK_SECRET}}}`"
       "（写入地址或令牌时 `csops validate` 报 SECRET_IN_POLICY）。\n"
       "4. `csops init --ci` 写好的 `.github/workflows/csops-notify.yml` 每天 09:00 发逾期清单、18:10 发日报"
       "（北京时间；休息日命令自己跳过，调休上班日照常）；仓库变量 `CSOPS_NOTIFY_TARGET` 可改用别的对象。\n"
       "5. 先试运行看消息内容，不发送：", "zhaomin", "2026-11-23T18:40", "csops notify overdue --to 客服群 --dry-run")]),
]

_ID = re.compile(r"\b([TRLSWC])-(\d{8})-[0-9A-Z]{6}\b")


def run(folder: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="csops-guide-") as scratch:
        repo = Path(scratch) / "kefu"
        # the project's own history: each demo record made by its person's commit (validate --history holds)
        subprocess.run(["git", "clone", "-q", "--no-local", str(ROOT), str(repo)], check=True, capture_output=True)
        subprocess.run(["git", "config", "merge.csops.driver", "csops merge-file %O %A %B %P"], cwd=repo, check=True)
        known = set(_ID.findall((ROOT / "records").as_posix())) | {p.stem for p in (ROOT / "records").rglob("*.yaml")}
        made: dict[str, str] = {}
        folder.mkdir(parents=True, exist_ok=True)
        index = ["# 用户手册", "", "每章是一个角色一天的工作，命令和输出都来自演示团队的记录（`records/`），由 "
                 "`docs/guide/make_guide.py` 生成。命令的帮助（`csops 命令 --help`）、提示和报表默认是中文；"
                 "`--lang en` 或环境变量 `CSOPS_LANG=en` 改为英文。每条规则、它在规则文件中的数值和出处见 "
                 "[docs/rules.md](../rules.md)；把现有台账搬进来见 [导入台账](../import.md)。", ""]
        for name, title, intro, steps in CHAPTERS:
            lines = [f"# {title}", "", intro, ""]
            for text, person, now, command in steps:
                command = command.format(**made)
                env = {**os.environ, "CSOPS_LANG": "zh", "CSOPS_USER": person, "CSOPS_NOW": now, "COLUMNS": "120"}
                env.pop("CSOPS_DEBUG", None)
                argv = shlex.split(command)
                done = subprocess.run([sys.executable, "-m", "csops", *argv[1:]], cwd=repo, env=env,
                                      capture_output=True, text=True, timeout=300)
                if done.returncode not in (0, 1):
                    raise SystemExit(f"{command}: exit {done.returncode}\n{done.stderr}")
                output = done.stdout + done.stderr
                for found in _ID.finditer(done.stdout):
                    if found[0] not in known and argv[1:3] in (["ticket", "new"], ["leave", "new"]):
                        made.setdefault(found[1], found[0])
                if text:
                    lines += [text, ""]
                shown = _masked(command, known) if not any(v in command for v in made.values()) else \
                    _masked(_named(command, made), known)
                lines += ["```console", f"$ {shown}", *[_masked(line, known).rstrip() for line in output.splitlines()],
                          "```", ""]
            (folder / name).write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
            index.append(f"- [{title}]({name})")
        (folder / "README.md").write_text("\n".join(index) + "\n", encoding="utf-8")


def _named(command: str, made: dict) -> str:
    for key, value in made.items():
        command = command.replace(value, f"${key}")
    return command


def _masked(text: str, known: set) -> str:
    """A record made during the run as T-20261123-……; commit ids as ……; the scratch folder gone."""
    text = _ID.sub(lambda m: m[0] if m[0] in known else f"{m[1]}-{m[2]}-XXXXXX", text)
    text = re.sub(r"\b[0-9a-f]{10}\b", "xxxxxxxxxx", text)
    return re.sub(r"/tmp/csops-guide-[^/\s]+/", "", text)


if __name__ == "__main__":
    run(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
