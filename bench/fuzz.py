#!/usr/bin/env python3
"""A grammar-aware fuzz campaign against the real csops CLI (SPEC §7 exit codes, §10 robustness).

It builds one template records repository through the CLI itself (`csops init`, a team of nine,
tickets, returns, leave and score events in most of their states, side branches for merges), then
runs generated inputs against a copy of it (reset with `git reset --hard && git clean` after an
input that wrote), each input one of these families:

  record / person / policy  a file of that kind mutated structurally, field by field: wrong types,
                            nested lists and maps, huge/negative/NaN/inf numbers, impossible or
                            out-of-range dates, long strings, control characters, ANSI/OSC escapes,
                            bidi overrides, YAML tags, anchors and aliases, duplicate keys, deep
                            nesting, latin-1/GBK/UTF-16 bytes, truncation, empty files, `~`, a bare
                            list or scalar — left as a hand edit or committed — then a command that
                            reads or writes it;
  newfile                   extra files: duplicate ids, names that lie, symlinks in and out of the
                            tree, folders named *.yaml;
  args                      every command of `csops --help`, with grammar-aware option values (dates,
                            periods, amounts, ids, items, --set FIELD=VALUE, ...), some hostile;
  git / env / journal       a detached HEAD, index.lock, dirty or staged records, a merge, rebase or
                            cherry-pick in progress, broken refs or index, failing commit signing,
                            a linked worktree; CSOPS_LOCK_TIMEOUT=abc, CSOPS_NOW=garbage, GIT_DIR=...;
                            a hostile interrupted-write journal for `csops recover`.

A finding is: exit status 70 (an internal error), an exception escaping click, a death by signal,
a Python traceback in the output, a hang (> 10 s), an exit status other than 0/1/2, a file changed,
a commit made or a lock/journal/temp file left by a command that failed (exit 1, 2 or 70), or a
file outside the repository touched. Each distinct finding (kind + exception + innermost csops
frame) is minimised (fewer files, states, variables and arguments) and printed with a reproducer
and the traceback's last frames; the full list is written as JSON (--findings FILE).

Inputs depend only on --seed and their number (the template's ids are made deterministic), so
`--replay N` re-runs input N of a seed verbosely. Commands run in-process (click's CliRunner,
CSOPS_DEBUG unset) in a supervised worker process — a hang is cut at 10 s, a worker that dies is
a death by signal — and a few per cent as real `python -m csops` subprocesses.

Run it from the project's environment (pip install -e '.[test]'), from the repository root:

  python bench/fuzz.py --seed 1 --count 300          # a short seeded slice for CI (exit 1 on findings)
  python bench/fuzz.py --seed 2 --count 100000 --seconds 7200
  python bench/fuzz.py --seed 1 --replay 17          # input 17 of seed 1 again, with its output

It prints the inputs run, findings by kind with one minimal example each, and inputs/second, and
exits 1 when anything was found. Only one fuzz process per machine core is useful (git is the cost).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import queue
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HANG_SECONDS = 10.0
NOW = "2026-11-23T10:00:00+08:00"
TEAM = [  # id, name, role, reports_to — the demo team of tests/conftest.py
    ("wangjl", "王经理", "manager", None), ("zhaozg", "赵主管", "supervisor", "wangjl"),
    ("liubz", "刘班长", "team_lead", "zhaozg"), ("zhangsan", "张三", "agent", "liubz"),
    ("lisi", "李四", "agent", "liubz"), ("chenck", "陈仓管", "warehouse", "wangjl"),
    ("qianzj", "钱质检", "qc", "wangjl"), ("zhoucw", "周财务", "finance", "wangjl"),
    ("suncg", "孙采购", "purchasing", "wangjl")]
PEOPLE = [p[0] for p in TEAM]
GROUP_OF = {"ticket": "ticket", "return": "return", "leave": "leave", "score": "score"}
FOLDER_OF = {"ticket": "tickets", "return": "returns", "leave": "leave", "score": "scores"}
STATES = {"ticket": ["registered", "routed", "resolved", "closed", "voided"],
          "return": ["requested", "approved", "received", "inspected", "qc_checked", "refunded", "exchanged",
                     "reshipped", "sent_back", "closed"],
          "leave": ["requested", "approved", "rejected", "withdrawn", "cancelled"],
          "score": ["recorded", "confirmed", "revoked"]}
CODES = ["LUNCH_OFF_POST", "AWAY_NO_STATUS", "WEEKEND_OFF_POST", "MESSAGE_LATE", "AUTO_REPLY", "PHONE_RINGS",
         "BAD_REVIEW", "WRONG_QUOTE", "DATA_LEAK", "FOLLOWUP_LATE", "SHIP_LATE", "LATE", "ABSENT", "WRONG_INFO",
         "CUSTOMER_CONFLICT", "AGREEMENT_LEAK"]
ROLES = ["agent", "team_lead", "supervisor", "manager", "warehouse", "qc", "finance", "purchasing"]

# ------------------------------------------------------------------------------------------------
# Value pools: grammar-aware valid values and hostile ones
# ------------------------------------------------------------------------------------------------

HOSTILE_TEXT = [
    "", " ", "\t", "\n", "\r\n", "x" * 4000, "x" * 4001, "好" * 4001, "x" * 70000, "a\x01b", "\x07\x08\x7f",
    "\x1b[31mred\x1b[0m", "\x1b[2J\x1b[H", "\x1b]0;pwned\x07", "\x1b]8;;http://e.vil/\x1b\\link\x1b]8;;\x1b\\",
    "\x9b31m", "\x85", "\u2028", "\u2029", "\u202egnp.exe", "\u2066x\u2069", "\u200b", "\ufeff", "\ufffe",
    "\U0001F600" * 10, "e\u0301" * 500, "ｆｕｌｌ", "=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)", "\tTAB",
    "\rCR", "a|b", "| x |\n|---|", "<script>alert(1)</script>", "{{7*7}}", "${HOME}", "%s%n%x",
    "../../etc/passwd", "/etc/passwd", "CON", ".", "..", "-", "--help", "-h", "--", "~", "null", "true",
    "yes", "NaN", "1e309", "[a, b]", "{a: 1}", "&a", "*a", "!!python/object:os.system", "key: value",
    "- item", "# comment", "'", '"', "\\", "13812345678", "+86 138 1234 5678", "a@b.c", "电话13812345678请回电",
    "\udcd5\udcc5\udcc8\udcfd",  # GBK bytes of 张三 as Python decodes a non-UTF-8 argv (surrogateescape)
    "line1\nline2\nline3", "x\x1b", "\\x00", "%00", "😀" * 2000]
HOSTILE_DATES = [
    "0001-01-01", "0001-01-01T00:00", "9999-12-31", "9999-12-31T23:59:59", "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00", "2026-02-30", "2026-02-29", "2024-02-29T10:00", "2026-13-01", "2026-00-10",
    "2026-11-31", "2026-11-23T25:00", "2026-11-23T24:00", "2026-11-23T23:60", "2016-12-31T23:59:60",
    "2026-11-23T10:00+25:00", "2026-11-23T10:00+99", "2026-11-23T10:00-00:00", "2026-11-23T10:00Z",
    "2026-11-23T10:00:00.123456789", "2026-11-23 10:00", "2026/11/23", "23.11.2026", "20261123",
    "2026-W48-1", "2026-327", "1999-12-31T23:59", "2100-01-01", "2099-12-31T23:59", "1970-01-01T00:00:00Z",
    "-0001-01-01", "+12026-11-23", "２０２６-１１-２３", "٢٠٢٦-١١-٢٣", "now", "today", "", " ", "1e30",
    "1700000000", "NaN", "2026-11-23T10:00:00+08:00[Asia/Shanghai]", "T10:00", "10:00", "2026-11", "2026",
    "0000-00-00", "2026-11-23T10", "2026-11-23T1:2", "2026-11-23\n", "2026-11-23T10:00:00+08:00" * 50,
    "2026-11-23T10:00:00+08:00:00.5", "2026-11-23T10:00+08:00:60", "2026-11-23T10:00:00+0800"]
HOSTILE_PERIODS = [
    "0001-01", "9999-12", "0000-01", "2026-13", "2026-00", "2026-1", "2026-011", "2026-W00", "2026-W53",
    "2020-W53", "2026-W54", "2026-W99", "0001-W01", "9999-W52", "9999-W53", "10000-01", "-2026-11",
    "2026-11-01", "2026", "2026W48", "2026-w48", "2026-W4", "２０２６-１１", "٢٠٢٦-١١", "", " 2026-11",
    "2026-11 ", "1999-12", "2100-01", "2026-11\n", "2026--11", "W48", "2026-Q4", "0001-W00", "2026-W-1"]
HOSTILE_AMOUNTS = [
    "1e30", "1E+30", "-1", "-0.01", "0", "0.00", "0.001", "1000000.00", "1000000.01", "9" * 30, "1" * 500,
    "NaN", "nan", "sNaN", "Infinity", "-inf", "1_000", "1,000.00", "１００", "٣", "0x10", "", " ", " 5 ",
    "5.", ".5", "1e-400", "5e-324", "1.7976931348623157e308", "12.345", "¥199", "199.90元", "--1", "+5",
    "0e0", "1e1000000000", "-0", "1e-1000000000", "0.0000000000000000000000001"]
HOSTILE_INTS = ["0", "-1", "99999999999999999999", "-99999999999999999999", "1e3", "0x10", "٣", "３", " 3",
                "3.0", "", "nan", "10000", "9999", "1", "1900", "2100", "2147483648", "6"]
HOSTILE_FLOATS = ["nan", "inf", "-inf", "1e308", "1e309", "-0", "0", "5e-324", "20.005", "1e30", "-20", "٣",
                  "1e-320", "49.999999999999999"]
HOSTILE_IDS = [
    "", "T", "T-", "T-2026", "2026", "-", "*", "?", "[", ".", "..", "../policy", "../../../etc/passwd",
    "people/zhangsan", "policy", "yaml", ".yaml", "T-20261116-XXXXXX", "T-99991231-AAAAAA",
    "T-00010101-AAAAAA", "L-20261116-000000", "%", "^", "$", "(", "\\", "a" * 5000, "t-2026", "T_2026", "0",
    "T-20261340-ABCDEF", "T-20260230-ABCDEF", "S-00000000-000000", "--", "-h", "2026-11", "\u202eT"]
HOSTILE_PEOPLE = ["", "nobody", "../x", "a/b", "ZHANGSAN", "zhangsan ", " zhangsan", "张三", "zhang san", "-x",
                  ".", "..", "policy", "x" * 300, "con", "zhangsan\n", "zhangsan@example.com", "\x1b[31mx",
                  "\udcd5\udcc5", "None", "null", "~"]
HOSTILE_EMAILS = ["", "a", "@", "a@", "@b", "a@b", "a@@b.c", "ZHANGSAN@EXAMPLE.COM", "zhangsan@example.com",
                  "x" * 5000 + "@x.cn", "a@b.c\n", "<a@b.c>", '"a b"@c.d', "a@b.c, c@d.e", "张三@例子.中国"]
HOSTILE_STATES = ["", "REGISTERED", "closed ", "voided", "sent_back", "reopened", "done", "../x", "approved",
                  "qc_checked", "refunded", "cancelled", "confirmed", "None", "registered\n", "x" * 500]
HOSTILE_SINCE = ["HEAD", "HEAD~1", "HEAD~3", "HEAD~999", "HEAD^", "{BRANCH}", "side", "conflict", "@{u}",
                 "nonexistent", "", "--all", "-p", "--output=/tmp/csops-fuzz-out", "HEAD..", "..HEAD", ":/fuzz",
                 "HEAD^{tree}", "0" * 40, "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "x" * 5000, "HEAD@{1}",
                 "HEAD~1 HEAD", "HEAD:records/policy.yaml", "-", "--", "recconf"]
HOSTILE_TZ = ["Asia/Nowhere", "UTC", "Etc/GMT-14", "Etc/GMT+12", "../../../etc/passwd", "/etc/localtime", "",
              "Asia/Shanghai\x00", "+08:00", "CST", "posixrules", "right/UTC", "Factory", "EST5EDT", "zh",
              "Asia/Shanghai ", "asia/shanghai", "UTC" * 2000, "."]
HOSTILE_INTERVALS = ["25:00-26:00", "18:00-09:00", "09:00-12:00", "00:00-24:00", "00:00-00:00", "9-5", "",
                     "24:00", "23:59:60", "-1:00", "09:00-12:00-13:00", "09:00 - 12:00", "０９:００-１２:００",
                     "09:00-09:00", "12:00-11:59", "9:0-10:0", "09:00-", "-12:00", "09:00-12:00,13:00-18:00",
                     "23:00-25:00", "00:00-23:59:59.999999"]
HOSTILE_TIMESTAMPS = [  # written as plain YAML timestamps (the loaders construct them)
    "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59+08:00", "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00", "2026-02-30T10:00:00+08:00", "2026-11-23T25:00:00+08:00",
    "2026-11-23T10:61:00+08:00", "2026-11-23T10:00:00+99:00", "2026-11-23", "2026-11-23T10:00:00",
    "1999-12-31T23:59:59Z", "2100-01-01T00:00:00Z", "2026-11-23t10:00:00z", "2026-11-23 10:00:00.999999999 -12",
    "2026-13-45", "0000-01-01", "2026-02-29", "1970-01-01T00:00:00Z", "2026-11-23T10:00:00+08:00"]
RAW_YAML = [  # one-line YAML snippets spliced in verbatim
    "!!python/object/apply:os.system ['touch {SCRATCH}/pwned']", "!!python/name:os.system",
    "!!binary aGVsbG8=", "!!set {a, b}", "!!omap [{a: 1}]", "!!pairs [[a, 1]]", "!!timestamp 2026-02-30",
    "!!timestamp 2026-11-23T25:00:00", "!!int 0x7fffffffffffffffffff", "!!float nan", "!!float .inf", "!!str",
    "!!null ''", "!custom x", "!<tag:evil.example,2026:x> y", "!!map []", "!!seq {}", "!!int abc", "!!bool maybe",
    "&a x", "*a", "*undefined", "&a [*a]", "&a {b: *a}", "{<<: {x: 1}}", "<<", "[", "]", "{", "}", "{a: 1, a: 2}",
    "{[1, 2]: x}", "{{a: 1}: b}", "{? x}", "0o17", "0b101", "+.inf", "-.inf", ".NaN", "1e400", "-0", "0x_",
    "1_000_000", "190:20:30", "yes", "No", "on", "~", "null", "''", '""', "|", ">", "- x", "? x", ": x", "@x",
    "`x", "%x", "'unterminated", '"unterminated', '"\\x00\\x1b[31m\\u202e"', '"\\ud800"', '"\\U0010FFFF"',
    '"\\N\\_\\L\\P"', '"\\uDFFF\\uD800"', "[" * 40 + "]" * 40, "[" * 31 + "]" * 31, "[" * 33 + "]" * 33,
    "{a: " * 40 + "1" + "}" * 40, "[" * 100000 + "]" * 100000, "!!str &a x", "!!python/tuple [1, 2]",
    "[1, 2, 3, " + "x, " * 20000 + "]", "2026-11-23 10:00:00 +8", "2026-11-23T10:00:00+08:00 # comment",
    "\t1", "'a''b'", "\"a\\\"b\"", "&x !!int 1", "!!merge <<", "9" * 5000, "-" * 10]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def argsafe(text: str) -> str:
    """What can be an argv element or environment value: no NUL, no surrogate other than the
    \\udc80-\\udcff that stand for undecodable bytes."""
    return "".join("\x01" if c == "\x00" else ("?" if "\ud800" <= c <= "\udc7f" or "\udd00" <= c <= "\udfff" else c)
                   for c in text)


def print(*parts, **kwargs):  # noqa: A001 - what csops printed may hold lone surrogates: never fail on them
    import builtins

    builtins.print(*(str(p).encode("utf-8", "backslashreplace").decode("utf-8") for p in parts), **kwargs)


# ------------------------------------------------------------------------------------------------
# YAML: load keeping timestamps as text, dump with splices
# ------------------------------------------------------------------------------------------------

def _yaml():
    import yaml

    class TS(str):
        """A timestamp scalar written plain (never quoted)."""

    class Raw(str):
        """A YAML snippet spliced verbatim."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: TS(loader.construct_scalar(node)))

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(TS, lambda d, v: d.represent_scalar("tag:yaml.org,2002:timestamp", str(v)))
    Dumper.add_representer(tuple, lambda d, v: d.represent_list(list(v)))
    return yaml, TS, Raw, Loader, Dumper


YAML, TS, Raw, YLoader, YDumper = _yaml()


def yload(text: str):
    try:
        return YAML.load(text, Loader=YLoader)
    except Exception:  # noqa: BLE001 - a template that does not parse is mutated as bytes only
        return None


def ydump(data) -> str:
    """Dump, splicing Raw snippets in where their placeholders went."""
    raws: list[str] = []

    def walk(node):
        if isinstance(node, Raw):
            raws.append(str(node))
            return f"RAWSPLICE{len(raws) - 1}X"
        if isinstance(node, dict):
            return {walk(k) if isinstance(k, Raw) else k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    plain = walk(data)
    try:
        text = YAML.dump(plain, Dumper=YDumper, allow_unicode=True, sort_keys=False, default_flow_style=False,
                         width=100000)
    except (RecursionError, YAML.YAMLError, ValueError, TypeError):
        text = YAML.dump(str(plain)[:5000], Dumper=YDumper, allow_unicode=True)
    for i, raw in enumerate(raws):
        text = re.sub(rf"(['\"]?)RAWSPLICE{i}X\1", lambda _m, raw=raw: raw, text, count=1)
    return text


# ------------------------------------------------------------------------------------------------
# The generator (parent side): deterministic from (seed, input number)
# ------------------------------------------------------------------------------------------------

DATE_KEYS = {"at", "created", "start", "end", "date", "due", "effective", "started", "until", "received",
             "resolved", "when", "callback_due"}
PERSON_KEYS = {"by", "created_by", "person", "assignee", "reports_to", "to_person", "escalated_to", "requester"}
STATE_KEYS = {"to", "from", "status"}
NUMBER_KEYS = {"amount", "fine", "points", "qty", "good", "defective", "minutes", "days", "satisfaction", "base",
               "factor", "attempts", "hours", "level_index"}
ENUM_KEYS = {"kind": ["complaint", "inquiry", "feedback", "self", "transit", "refused", "personal", "sick",
                      "special"],
             "channel": ["phone", "email", "chat", "visit", "letter", "other"],
             "level": ["normal", "urgent", "major"], "code": CODES, "role": ROLES,
             "outcome": ["reached", "unreachable"], "action": ["register", "route", "resolve", "amend", "void"],
             "result": ["good", "defective", "mixed"], "resolution": ["refund", "exchange"]}


class Gen:
    def __init__(self, rng: random.Random, info: dict):
        self.r = rng
        self.info = info
        self.records = info["records"]          # type -> [{id, status, path, text}]
        self.commands = info["commands"]        # [{path, params}]

    # -- small helpers --------------------------------------------------------------------------
    def p(self, prob: float) -> bool:
        return self.r.random() < prob

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def when(self, lo="2026-11-16", days=40) -> dt.datetime:
        base = dt.datetime.fromisoformat(lo + "T00:00:00+08:00")
        return base + dt.timedelta(minutes=self.r.randrange(days * 24 * 60))

    def date_text(self) -> str:
        t = self.when()
        style = self.r.randrange(7)
        return [t.strftime("%Y-%m-%dT%H:%M"), t.strftime("%Y-%m-%d"), t.isoformat(), t.strftime("%Y-%m-%dT%H:%M:%S"),
                t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%MZ"), t.strftime("%Y-%m-%d %H:%M"),
                t.strftime("%Y-%m-%dT%H:%M:%S+08:00")][style]

    def any_record(self, rtype: str | None = None) -> dict:
        rtype = rtype or self.pick(sorted(self.records))
        return self.pick(self.records[rtype])

    def record_ref(self, rtype: str | None, record: dict | None = None) -> str:
        record = record or self.any_record(rtype)
        rid = record["id"]
        style = self.r.random()
        if style < 0.75:
            return rid
        if style < 0.85:
            return rid[-6:]
        if style < 0.9:
            return rid[-4:]
        if style < 0.95:
            return rid.lower()
        return rid[:-1]

    def text(self, hostile=0.15) -> str:
        if self.p(hostile):
            return argsafe(self.pick(HOSTILE_TEXT))
        return self.pick(["收到的电饭煲内胆有划痕", "发票怎么开", "已安排换货", "客户要求退款", "note",
                          "重复登记", "请回电 13812345678", "王女士", "赵先生", "TB20261120-0081", "仓库", "财务部",
                          "SF1234567890", "MC-2026-001", "供应商甲", "病假条", "x"])

    # -- values by parameter name ---------------------------------------------------------------
    def value_for(self, cmd: list[str], name: str, param: dict, ctx: dict) -> str:
        h = ctx["hostile"]
        group = cmd[0]
        rtype = group if group in GROUP_OF else None
        choices = param.get("choices")
        if choices:
            return self.pick(choices) if not self.p(h * 0.2) else self.pick(["", "TABLE", "xml", "zh-CN", "json "])
        if name in ("record_id", "duplicate_of", "ref", "record_ids"):
            if ctx.get("target") and name == "record_id" and self.p(0.8):
                return self.record_ref(None, ctx["target"]) if not self.p(h) else argsafe(self.pick(HOSTILE_IDS))
            if self.p(h):
                return argsafe(self.pick(HOSTILE_IDS))
            if name == "duplicate_of":
                rtype = "ticket"
            if rtype is None or name == "ref" and self.p(0.5):
                rtype = None
            return self.record_ref(rtype)
        if name == "state":
            rt = ctx["target"]["type"] if ctx.get("target") else (rtype or "ticket")
            return self.pick(STATES.get(rt, STATES["ticket"])) if not self.p(h) else self.pick(HOSTILE_STATES)
        if name == "status":
            return self.pick(STATES.get(rtype or "ticket", STATES["ticket"])) if not self.p(h) else self.pick(
                HOSTILE_STATES)
        if name in ("start", "end", "due", "date", "now"):
            if self.p(h):
                return argsafe(self.pick(HOSTILE_DATES))
            if name == "date" and cmd[0] == "report":
                return self.when().strftime("%Y-%m-%d")
            return self.date_text()
        if name == "period":
            if self.p(h):
                return self.pick(HOSTILE_PERIODS)
            return self.pick(["2026-11", "2026-10", "2026-12", "2026-W47", "2026-W48", "2026-W46", "2027-01"])
        if name == "amount":
            return self.pick(HOSTILE_AMOUNTS) if self.p(h) else self.pick(["259.90", "88", "0.01", "199.9", "100"])
        if name == "fine":
            return self.pick(HOSTILE_FLOATS) if self.p(h) else self.pick(["10", "20", "30", "50", "15.5"])
        if name in ("minutes", "satisfaction", "year"):
            if self.p(h):
                return self.pick(HOSTILE_INTS)
            return {"minutes": lambda: str(self.r.randrange(1, 120)), "satisfaction": lambda: str(self.r.randrange(1, 6)),
                    "year": lambda: self.pick(["2026", "2027", "2028", "2025"])}[name]()
        if name in ("person", "assignee", "reports_to", "to", "owner", "explain"):
            return argsafe(self.pick(HOSTILE_PEOPLE)) if self.p(h) else self.pick(PEOPLE)
        if name == "person_id":
            if cmd[-1] == "add" and not self.p(h):
                return self.pick(["newp", "wangwu", "zhaoliu", "agent7", "x1"])
            return argsafe(self.pick(HOSTILE_PEOPLE)) if self.p(h) else self.pick(PEOPLE)
        if name == "role":
            return self.pick(ROLES) if not self.p(h) else self.pick(["", "admin", "Agent", "agent+", "root", "x" * 300])
        if name == "email":
            return argsafe(self.pick(HOSTILE_EMAILS)) if self.p(h) else f"p{self.r.randrange(100)}@example.com"
        if name == "active":
            return self.pick(["true", "false"]) if not self.p(h) else self.pick(["maybe", "", "1", "0", "yes"])
        if name == "level":
            return self.pick(["normal", "urgent", "major"]) if not self.p(h) else self.pick(["", "critical", "MAJOR", "0"])
        if name == "contact":
            return self.pick(["13812345678", "+86 138 1234 5678", "li@example.com", "021-12345678"]) if not self.p(
                h) else argsafe(self.pick(HOSTILE_TEXT + HOSTILE_EMAILS))
        if name == "code":
            return self.pick(CODES) if not self.p(h) else self.pick(["", "late", "LATE\n", "UNKNOWN", "x" * 300])
        if name == "item":
            if cmd[-1] == "new":
                return self.pick(["A100:2", "B200:1", "C300:5"]) if not self.p(h) else self.pick(
                    ["A100", "A100:", ":2", "A100:0", "A100:-1", "A100:1.5", "A100:1e9", "A100:99999999999999999999",
                     "A100:２", "A100:2:3", "A100=2", "a b:1", ":", "", "A100:2,B200:1", "x" * 5000 + ":1", "A100:٣"])
            return self.pick(["A100=good", "A100=defective", "A100=good:1,defective:1", "B200=good", "B200=defective",
                              "A100=2", "B200=1", "C300=good"]) if not self.p(h) else self.pick(
                ["A100=good:5,defective:5", "A100=good:-1,defective:3", "A100=bad", "A100=", "=good",
                 "A100=good:1,good:1", "Z999=good", "A100=good:1e9", "A100=mixed", "A100=good,defective", ",",
                 "A100=good:99999999999999999999", "A100=-1", "A100=0", "A100=good:0,defective:0", "A100==good"])
        if name == "set":
            return self.set_value(ctx.get("target"), h)
        if name == "since":
            return self.pick(HOSTILE_SINCE) if self.p(max(h, 0.5)) else self.pick(["HEAD~1", "HEAD~5", "{BRANCH}"])
        if name == "html":
            return self.pick(["{OUT}/m.html", "{OUT}/m.html", "{OUT}/nodir/m.html", "{OUT}", "/dev/full", "/dev/null",
                              "-", "{RECORDS}/m.html", "", "{OUT}/" + "x" * 300 + ".html"])
        if name == "country":
            return "CN" if not self.p(h) else self.pick(["cn", "US", "XX", "", "../", "CN\n", "HK", "TW", "DE"])
        if name == "directory":
            return self.pick(["{SCRATCH}/init/c{CASE}", "{SCRATCH}/init/c{CASE}", "{ROOT}/sub", "{RECORDS}",
                              "{OUT}", "/proc/1/x", "", "{SCRATCH}/init/" + "x" * 300,
                              "{SCRATCH}/init/a\nb", "{ROOT}"])
        if name in ("base", "ours", "theirs"):
            return "{SCRATCH}/mf/" + name + ".yaml"
        if name == "name":
            if cmd[0] == "merge-file":
                return self.pick(["records/tickets/x.yaml", "policy.yaml", "", "../x"])
            return self.text(h)
        if name == "supplier":
            return self.text(h) if self.p(0.5) else "供应商甲"
        return self.text(h)

    def set_value(self, target, h) -> str:
        rtype = target["type"] if target else "ticket"
        fields = {"ticket": [("summary", "改正摘要"), ("kind", "inquiry"), ("level", "urgent"), ("channel", "email"),
                             ("customer.name", "王女士"), ("customer.contact", "13900000000"), ("due", "2026-11-30T10:00")],
                  "return": [("order", "TB1"), ("reason", "质量问题"), ("kind", "transit"), ("items", "[]"),
                             ("customer.name", "赵")],
                  "leave": [("kind", "sick"), ("reason", "看病"), ("certificate", "MC-1"), ("start", "2026-12-01"),
                            ("end", "2026-12-02"), ("person", "lisi")],
                  "score": [("code", "AUTO_REPLY"), ("date", "2026-11-04"), ("person", "lisi"), ("fine", "20"),
                            ("minutes", "50")]}[rtype]
        if not self.p(h):
            key, value = self.pick(fields)
            return f"{key}={value}"
        key = self.pick([f[0] for f in fields] + ["id", "status", "history", "created", "", "a.b.c.d", "__class__",
                                                  "history.0.by", "customer.contact.x", "items.0.qty", "nonexistent",
                                                  "x" * 300, "customer", "refund.amount"])
        value = self.pick(HOSTILE_TEXT + HOSTILE_DATES + HOSTILE_AMOUNTS + [
            "[1,2]", "{a: 1}", "!!python/object:x", "~", "null", "- a", "&a [*a]", "[" * 50])
        form = self.r.randrange(6)
        return argsafe([f"{key}={value}", f"{key}={value}", f"{key}", f"={value}", f"{key}=={value}",
                        f"{key}={value}={value}"][form])

    # -- argv for one command -------------------------------------------------------------------
    def actor(self, cmd: list[str], argv_state: str | None) -> str:
        hints = {("ticket", "void"): ["liubz", "zhaozg"], ("ticket", "amend"): ["zhaozg", "wangjl"],
                 ("return", "amend"): ["zhaozg"], ("leave", "amend"): ["zhangsan", "zhaozg"],
                 ("score", "amend"): ["zhaozg"], ("leave", "approve"): ["liubz", "zhaozg", "wangjl"],
                 ("leave", "reject"): ["liubz", "zhaozg"], ("score", "add"): ["liubz", "zhaozg"],
                 ("score", "confirm"): ["zhaozg", "wangjl"], ("score", "revoke"): ["zhaozg"],
                 ("score", "derive"): ["liubz", "zhaozg"], ("person", "add"): ["zhaozg", "wangjl"],
                 ("person", "set"): ["zhaozg", "wangjl"], ("calendar", "import"): ["zhaozg", "wangjl"],
                 ("return", "vendor"): ["suncg"]}
        state_hints = {"received": ["chenck"], "inspected": ["chenck"], "reshipped": ["chenck"], "closed": ["chenck",
                                                                                                               "zhangsan"],
                       "qc_checked": ["qianzj"], "refunded": ["zhoucw"], "sent_back": ["suncg", "chenck"]}
        if self.p(0.35):
            return self.pick(PEOPLE)
        if argv_state in state_hints and cmd[:2] == ["return", "move"]:
            return self.pick(state_hints[argv_state])
        return self.pick(hints.get(tuple(cmd[:2]), ["zhangsan", "lisi", "zhangsan", "liubz"]))

    def command_argv(self, cmd_spec: dict, ctx: dict) -> list[str]:
        cmd = cmd_spec["path"]
        body: list[str] = []
        positional: list[str] = []
        state = None
        for param in cmd_spec["params"]:
            name = param["name"]
            if param["kind"] == "arg":
                if param["nargs"] == -1:
                    positional += [self.value_for(cmd, name, param, ctx) for _ in range(self.r.randrange(0, 4))]
                elif param["required"] or self.p(0.5):
                    value = self.value_for(cmd, name, param, ctx)
                    if name == "state":
                        state = value
                    positional.append(value)
                continue
            if param["flag"]:
                if self.p(0.3):
                    body.append(param["opts"][-1] if self.p(0.5) else param["opts"][0])
                continue
            wanted = param["required"] and not self.p(ctx["hostile"] * 0.1)
            if not wanted and not self.p(0.4 if name not in ("set",) else 0.9):
                continue
            times = self.r.randrange(1, 4) if param["multiple"] else 1
            for _ in range(times):
                opt = self.pick(param["opts"])
                value = self.value_for(cmd, name, param, ctx)
                body += [f"{opt}={value}"] if opt.startswith("--") and self.p(0.1) else [opt, value]
        if self.p(0.3):
            order = positional + body
        else:
            order = body + positional if self.p(0.3) else positional + body
        if "-" in order or any(o.startswith("-") and o not in body for o in positional):
            order = body + ["--"] + positional if self.p(0.5) else order
        argv = list(cmd) + order
        if self.p(ctx["hostile"] * 0.2):               # argument structure: drop, repeat, junk
            op = self.r.randrange(5)
            if op == 0 and len(argv) > len(cmd):
                del argv[self.r.randrange(len(cmd), len(argv))]
            elif op == 1 and len(argv) > len(cmd):
                i = self.r.randrange(len(cmd), len(argv))
                argv.insert(i, argv[i])
            elif op == 2:
                argv.append(self.pick(["--bogus", "extra", "--", "-", "--note", "--help"]))
            elif op == 3:
                argv.insert(len(cmd), self.pick(["--format", "--note=", "-x"]))
            else:
                argv += ["--note", argsafe(self.pick(HOSTILE_TEXT))]
        globals_: list[str] = []
        if ctx.get("records", True) and self.p(0.93):
            globals_ += ["--records", "{RECORDS}" if not self.p(ctx["hostile"] * 0.1) else self.pick(
                ["{ROOT}", "{RECORDS}/tickets", "{SCRATCH}/nonexistent", "{RECORDS}/policy.yaml", "/", "", ".",
                 "{OUT}", "{SCRATCH}/outside"])]
        if ctx.get("as", True) and self.p(0.93):
            globals_ += ["--as", self.actor(cmd, state) if not self.p(ctx["hostile"] * 0.15) else argsafe(
                self.pick(HOSTILE_PEOPLE))]
        if ctx.get("now", True) and self.p(0.9):
            globals_ += ["--now", self.when("2026-11-18", 30).isoformat() if not self.p(ctx["hostile"] * 0.2)
                         else argsafe(self.pick(HOSTILE_DATES))]
        if self.p(0.03):
            globals_ += ["--backfill", self.text(0.3)]
        return globals_ + argv

    def pick_command(self, prefer_type: str | None = None) -> dict:
        specs = self.commands
        if prefer_type and self.p(0.75):
            group = GROUP_OF[prefer_type]
            pool = [c for c in specs if c["path"][0] == group and any(p["name"] == "record_id" for p in c["params"])]
            pool += [c for c in specs if c["path"] in (["log"], ["validate"], ["report", "overdue"])]
            pool += [c for c in specs if c["path"][0] == group and c["path"][-1] in ("list", "new")]
            return self.pick(pool)
        weights = []
        for c in specs:
            w = 1.0
            if c["path"][0] in ("init", "merge-file", "calendar"):
                w = 0.25
            if c["path"][-1] in ("show", "list", "move", "new"):
                w = 1.5
            weights.append(w)
        return self.r.choices(specs, weights=weights)[0]

    # -- YAML structure mutation ----------------------------------------------------------------
    def hostile_value(self, key):
        key = str(key) if key is not None else ""
        r = self.r.random()
        if r < 0.45:
            if key in DATE_KEYS or key.endswith("_at") or key.endswith("_due"):
                return TS(self.pick(HOSTILE_TIMESTAMPS)) if self.p(0.6) else self.pick(HOSTILE_DATES + [
                    dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59)])
            if key in PERSON_KEYS:
                return self.pick(HOSTILE_PEOPLE + PEOPLE + [None, 1, ["zhangsan"]])
            if key in STATE_KEYS:
                return self.pick(HOSTILE_STATES + sum(STATES.values(), []) + [None, 0, ["closed"]])
            if key in NUMBER_KEYS:
                return self.pick([0, -1, 10 ** 30, -10 ** 30, 2 ** 63, float("nan"), float("inf"), float("-inf"),
                                  1e308, -0.0, 0.5, 1.005, "1e30", "NaN", "259.90", "259.9", "-0.01", "1,000", True,
                                  "٣", 10 ** 400, 1000000.01, "1000000.01", 123.456])
            if key in ENUM_KEYS:
                return self.pick(ENUM_KEYS[key] + ["", "x", None, 0, [ENUM_KEYS[key][0]], ENUM_KEYS[key][0].upper()])
            if key == "id":
                return self.pick(HOSTILE_IDS + [None, 0, ["T-1"]] + [self.any_record()["id"]])
        if r < 0.62:
            return Raw(self.pick(RAW_YAML))
        return self.pick([None, True, False, 0, -1, 10 ** 30, float("nan"), float("inf"), "", [], {}, [None], [[[]]],
                          {"a": {"b": None}}, [1, [2, [3]]], {1: 2, None: 3}, list(range(1000)),
                          {"k%d" % i: i for i in range(500)}, self.pick(HOSTILE_TEXT), "x" * 300000,
                          dt.date(2026, 11, 23), b"\x00\xff", self.nest(self.r.choice([31, 32, 33, 40])),
                          self.pick(HOSTILE_DATES), TS(self.pick(HOSTILE_TIMESTAMPS))])

    def nest(self, depth: int):
        node: object = "leaf"
        for i in range(depth):
            node = [node] if i % 2 else {"k": node}
        return node

    def paths(self, node, prefix=()):
        out = [prefix]
        if isinstance(node, dict):
            for k, v in node.items():
                out += self.paths(v, prefix + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node[:50]):
                out += self.paths(v, prefix + (i,))
        return out

    def mutate_tree(self, data, policy=False):
        """One structural mutation at a random place; returns a short description."""
        paths = [p for p in self.paths(data) if p]
        if not paths:
            return "empty"
        path = self.pick(paths)
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        name = key if isinstance(key, str) else (path[-2] if len(path) > 1 and isinstance(path[-2], str) else "")
        op = self.r.random()
        where = ".".join(map(str, path))
        if op < 0.62:
            value = self.policy_value(where, name) if policy and self.p(0.6) else self.hostile_value(name)
            parent[key] = value
            return f"{where}={str(value)[:60]!r}"
        if op < 0.70:
            del parent[key]
            return f"del {where}"
        if op < 0.76 and isinstance(parent, dict):
            parent[self.pick(["extra", "id", "zzz", "", "历史", "status ", "x" * 200, "__proto__"])] = self.hostile_value("")
            return f"add key at {where}"
        if op < 0.82:
            parent[key] = self.pick([[parent[key]], {"v": parent[key]}, [parent[key]] * 3, self.nest(34)])
            return f"wrap {where}"
        if op < 0.88 and isinstance(data.get("history"), list) and data["history"]:
            hist = data["history"]
            kind = self.r.randrange(6)
            if kind == 0:
                hist.reverse()
            elif kind == 1:
                hist.append(dict(hist[-1]) if isinstance(hist[-1], dict) else hist[-1])
            elif kind == 2:
                hist.append({"at": TS("2026-11-01T00:00:00+08:00"), "by": "zhangsan", "from": "registered",
                             "to": self.pick(sum(STATES.values(), []))})
            elif kind == 3:
                hist.clear()
            elif kind == 4:
                hist.insert(0, {"to": None})
            else:
                hist.append(self.pick([None, "x", [], {"at": None}, {"action": "amend", "changes": {"kind": {"from": 1}}}]))
            return f"history op {kind}"
        if isinstance(parent, dict) and len(parent) > 1:
            k2 = self.pick(list(parent))
            parent[key], parent[k2] = parent[k2], parent[key]
            return f"swap {where}<->{k2}"
        parent[key] = None
        return f"null {where}"

    def policy_value(self, where: str, name: str):
        if "working_hours" in where or "makeup_workday_hours" in where:
            return self.pick([self.pick(HOSTILE_INTERVALS), [self.pick(HOSTILE_INTERVALS)],
                              ["09:00-13:00", "12:00-18:00"], [], ["a"], [[["09:00-12:00"]]], None, "09:00-12:00", 9])
        if "timezone" in where:
            return self.pick(HOSTILE_TZ + [["a"], 8, None, {"a": 1}])
        if "holidays" in where or "makeup_workdays" in where:
            return self.pick([{"2026-02-30": "x"}, {"garbage": "x"}, {dt.date(1, 1, 1): "x"},
                              {dt.date(9999, 12, 31): "x"}, ["2026-11-23"], "x", {dt.date(2026, 11, 23): ["x"]},
                              {dt.date(2026, 11, 23) + dt.timedelta(days=i): "h" for i in range(800)}, None,
                              {TS("2026-11-23T10:00:00"): "x"}, {1: 2}])
        if name in ("cutoff", "same_day_due", "next_day_due", "half_day_split"):
            return self.pick(["25:00", "24:00", "00:00", "23:59", "", "9", "09:00:00", "12:00pm", 780, None, "-1:00"])
        if name in ("levels", "chain", "departments"):
            return self.pick([[], ["normal"], ["a", "a"], "normal", [None], [["x"]], ["manager", "agent"], ["x"]])
        if "permissions" in where:
            return self.pick([[], ["nobody+"], "agent", ["agent++"], ["+"], ["supervisor+", "*"], None, [1], {"a": 1}])
        if "catalog" in where:
            return self.pick([{"points": float("nan")}, {"points": -5}, {"fine": [50, 10]},
                              {"fine": [float("nan"), float("inf")]}, {"fine": 10},
                              {"points": 1, "repeat": {"from": 0, "factor": 1e308}}, {"points": 1, "dismissal_at": 0},
                              {"points": 1, "also": [{"role": "x", "points": 2}]}, {"applies_to": "nobody"},
                              {"lateness": "yes"}, {"absence_days": -1}, None, [], "x", {"points": 10 ** 30},
                              {"points": "1.5"}, {"points": 1, "repeat": {"from": -1}}, {"points": 1, "also": "x"}])
        if name == "effective":
            return self.pick([dt.date(1, 1, 1), dt.date(9999, 12, 31), "garbage", TS("2026-11-23T10:00:00"), [],
                              20261123, TS("2026-02-30"), dt.date(2026, 12, 1), dt.date(2026, 11, 1)])
        return self.pick([0, -1, 1e9, 1e30, float("nan"), float("inf"), 0.0001, 2 ** 63, "16", True, None, [],
                          {"normal": 10 ** 12}, {"normal": -1}, {"personal": float("nan")}, "x", 100000, 1e-9])

    def file_level(self, text: str) -> tuple[bytes, str]:
        """Encoding, line ends, truncation, byte flips, padding, directives."""
        op = self.r.randrange(20)
        data = text.encode("utf-8", "surrogatepass")
        if op == 0:
            enc = self.pick(["latin-1", "gbk", "utf-16", "utf-16-le", "utf-32", "cp1252", "utf-8-sig", "big5"])
            return text.encode(enc, "replace"), f"encoded {enc}"
        if op == 1:
            return data[: self.r.randrange(max(1, len(data)))], "truncated"
        if op == 2:
            b = bytearray(data)
            for _ in range(self.r.randrange(1, 6)):
                if b:
                    b[self.r.randrange(len(b))] = self.r.randrange(256)
            return bytes(b), "byte flips"
        if op == 3:
            seq = self.pick([b"\x00", b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\xef\xbf\xbf", b"\x1b[31m", b"\xe2\x80\xae",
                             b"\r", b"\t", b"\x85", b"\xf4\x90\x80\x80"])
            pos = self.r.randrange(len(data) + 1)
            return data[:pos] + seq + data[pos:], f"inserted {seq!r}"
        if op == 4:
            return data.replace(b"\n", b"\r\n"), "CRLF"
        if op == 5:
            return data.replace(b"\n", b"\r"), "CR"
        if op == 6:
            return b"\xef\xbb\xbf" + data, "BOM"
        if op == 7:
            return data + b"# " + b"x" * (256 * 1024) + b"\n", "over 256 KB"
        if op == 8:
            return self.pick([b"%YAML 1.2\n---\n", b"%YAML 2.0\n---\n", b"%TAG ! tag:evil:\n---\n", b"--- !!map\n",
                              b"--- |\n", b"---\n---\n"]) + data, "directive"
        if op == 9:
            return data + self.pick([b"\n---\nid: other\n", b"\n...\n", b"\n...\ngarbage\n", b"\n--- ~\n"]), "multi-doc"
        if op == 10:
            lines = data.split(b"\n")
            i = self.r.randrange(len(lines))
            lines[i] = lines[i].replace(b"  ", b"\t")
            return b"\n".join(lines), "tab indent"
        if op == 11:
            lines = data.split(b"\n")
            top = [ln for ln in lines if ln[:1].isalpha()]
            dup = self.pick(top) if top else b"id: x"
            return data + (b"" if data.endswith(b"\n") else b"\n") + dup + b"\n", "duplicate key"
        if op == 12:
            return b" " + data.replace(b"\n", b"\n "), "indented"
        if op == 13:
            lines = data.split(b"\n")
            del lines[self.r.randrange(len(lines))]
            return b"\n".join(lines), "line deleted"
        if op == 14:
            lines = data.split(b"\n")
            i = self.r.randrange(len(lines))
            lines.insert(i, lines[i])
            return b"\n".join(lines), "line repeated"
        if op == 15:
            return data + b"\n" + b"#" * 100 + b"\x00" * 100, "NUL tail"
        if op == 16:
            return data.replace(b": ", b":", 1), "colon without space"
        if op == 17:
            return data + b"anchors: &a [" + b",".join([b"x"] * 50) + b"]\nbomb: [" + b",".join([b"*a"] * 50) + b"]\n", "aliases"
        return data, "as is"

    def whole_file(self) -> tuple[bytes, str]:
        choices = [b"", b"~", b"null", b"[]", b"{}", b"- a\n- b\n", b"42", b"'str'", b"---\n", b"\xef\xbb\xbf",
                   b"\x00" * 10, bytes(self.r.randrange(256) for _ in range(200)), b"[" * 100000 + b"]" * 100000,
                   b"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                   b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n",
                   b"- " * 40 + b"x\n", b"x" * (300 * 1024), b"id: \"" + b"\\x" * 10 + b"\"\n",
                   "\ufeff编号: 你好\n".encode("utf-16"), "状态: 已分派\n".encode("gbk"), b"--- !!python/object:os.system {}\n",
                   b"? [a]\n: b\n", b"<<: *x\n", b"%YAML 1.1\n", b"\t- a\n", b"a:\n  - b\n c: d\n"]
        data = self.pick(choices)
        return data, f"whole file {data[:30]!r}"

    def mutate_file(self, text: str, policy=False) -> tuple[bytes, list[str]]:
        notes = []
        if self.p(0.08):
            data, note = self.whole_file()
            return data, [note]
        data = yload(text)
        if isinstance(data, dict) and self.p(0.9):
            for _ in range(1 if self.p(0.6) else self.r.randrange(2, 5)):
                try:
                    notes.append(self.mutate_tree(data, policy))
                except (TypeError, ValueError, KeyError, IndexError, AttributeError):
                    notes.append("mutation skipped")
            text = ydump(data)
        if self.p(0.25) or not notes:
            out, note = self.file_level(text)
            notes.append(note)
            return out, notes
        return text.encode("utf-8", "surrogatepass"), notes

    # -- git states, environment, journals ------------------------------------------------------
    GIT_STATES = ["detached", "index_lock", "index_lock_csops", "dirty_record", "dirty_field", "staged_record",
                  "untracked_record", "merge_clean", "merge_conflict", "merge_record", "rebase_dir", "cherry_pick",
                  "unborn", "bad_ref", "bad_index", "no_index", "gpgsign", "sshsign", "autocrlf", "commit_encoding",
                  "hooks", "csops_lock_held", "temp_leftover", "packed_refs", "worktree", "records_symlink_out",
                  "no_people_dir", "policy_dir", "shallow_head_file", "index_lock_empty"]
    ENV = {
        "CSOPS_LOCK_TIMEOUT": ["abc", "", "-1", "nan", "inf", "1e309", "0", "0x10", " 1", "3601", "１", "1e-300", "-0"],
        "CSOPS_NOW": HOSTILE_DATES, "CSOPS_USER": HOSTILE_PEOPLE + PEOPLE,
        "CSOPS_RECORDS": ["{SCRATCH}/nonexistent", "{ROOT}", "/", "", "{RECORDS}/policy.yaml", "{OUT}", "~", "."],
        "TZ": ["garbage", "Asia/Shanghai", "UTC+99", ":/etc/passwd", ""], "NO_COLOR": ["1", ""],
        "TERM": ["dumb", "xterm-256color", ""], "COLUMNS": ["0", "-1", "abc", "99999999", "1"],
        "GIT_DIR": ["/nonexistent", "{SCRATCH}/outside", "{RECORDS}"], "GIT_WORK_TREE": ["/", "{SCRATCH}/outside"],
        "GIT_INDEX_FILE": ["{SCRATCH}/outside/index", "/dev/null"], "GIT_OBJECT_DIRECTORY": ["/nonexistent"],
        "GIT_CEILING_DIRECTORIES": ["{ROOT}", "/"], "GIT_AUTHOR_DATE": ["garbage", "@0", "9999-12-31", "@-1"],
        "GIT_COMMITTER_DATE": ["garbage", "@0", "@99999999999"], "GIT_COMMITTER_NAME": ["", "\n", "<>"],
        "GIT_COMMITTER_EMAIL": ["", "<>", "a\nb"], "GIT_AUTHOR_NAME": ["", "x"], "HOME": ["/nonexistent", "{SCRATCH}/elsewhere"],
        "GIT_CONFIG_GLOBAL": ["/dev/null", "/nonexistent", "{SCRATCH}/outside/sentinel.txt"], "GIT_CONFIG_NOSYSTEM": ["1"],
        "GIT_CONFIG_PARAMETERS": ["'core.autocrlf'='true'", "garbage'", "'commit.gpgsign'='true'"],
        "GIT_CONFIG_COUNT": ["1", "x", "-1"], "PATH": ["/nonexistent", ""], "GIT_TRACE": ["1", "/dev/full"],
        "GIT_OPTIONAL_LOCKS": ["0"], "GIT_NAMESPACE": ["x"], "GIT_REPLACE_REF_BASE": ["x"],
        "LC_ALL": ["C", "zh_CN.GB18030", "tr_TR.UTF-8", "garbage"], "PYTHONIOENCODING": ["ascii", "latin-1", "gbk"],
        "LANG": ["C", "POSIX", "zh_CN.GBK"],
    }
    SUBPROCESS_ONLY_ENV = {"LC_ALL", "PYTHONIOENCODING", "LANG"}

    def journal(self) -> bytes:
        good = {"format": 1, "state": self.pick(["begun", "prepared"]), "token": "0123456789abcdef", "pid": 1,
                "host": "x", "started": "2026-11-23T02:00:00+00:00", "branch": "{BRANCH}", "message": "fuzz",
                "files": [{"path": "records/policy.yaml",
                           "temp": "records/.policy.yaml.csops-0123456789abcdef.tmp", "base": None,
                           "new": "0" * 40}], "head": "{BASE}", "commit": "{BASE}", "index": "0" * 40}
        for _ in range(self.r.randrange(1, 4)):
            key = self.pick(list(good) + ["files.path", "files.temp", "files.new"])
            value = self.pick([None, 1, "", "x", [], {}, [1], "../../outside/sentinel.txt",
                               "{SCRATCH}/outside/sentinel.txt", "/", "..", "records", "{BASE}", "HEAD", "--all",
                               "refs/heads/{BRANCH}", "../../x", ["main"], "z" * 40, "records/policy.yaml",
                               float("nan"), 10 ** 30, "main\n", "-x", "records/.x.yaml.csops-0123456789abcdef.tmp"])
            if key.startswith("files."):
                files = good["files"]
                if isinstance(files, list) and files and isinstance(files[0], dict):
                    files[0][key.split(".")[1]] = value
            else:
                good[key] = value
        if self.p(0.15):
            return self.pick([b"", b"garbage", b"[]", b"null", b"{\"format\": 1", b"[" * 100000 + b"]" * 100000,
                              b"{\"format\": NaN}", "\ufeff{}".encode(), b"\xff\xfe"])
        return json.dumps(good).replace("NaN", "NaN").encode()

    # -- one case -------------------------------------------------------------------------------
    def case(self, number: int) -> dict:
        case = {"n": number, "files": [], "commit": False, "revert": False, "git": [], "env": {}, "cwd": "root",
                "mode": "inproc", "family": None, "notes": []}
        fam = self.r.choices(["record", "person", "policy", "newfile", "args", "git", "env", "journal"],
                             weights=[34, 9, 11, 5, 26, 8, 4, 3])[0]
        case["family"] = fam
        ctx = {"hostile": 0.08, "target": None}
        if fam == "record":
            rtype = self.pick(sorted(self.records))
            rec = self.any_record(rtype)
            ctx["target"] = rec
            data, notes = self.mutate_file(rec["text"])
            case["files"].append({"path": rec["path"], "op": "write", "data": b64(data)})
            case["notes"] += notes
            if self.p(0.15):     # a second record, of any type
                other = self.any_record()
                if other["path"] != rec["path"]:
                    data, notes = self.mutate_file(other["text"])
                    case["files"].append({"path": other["path"], "op": "write", "data": b64(data)})
                    case["notes"] += notes
            case["commit"] = self.p(0.45)
            spec = self.pick_command(rtype)
        elif fam == "person":
            pid = self.pick(PEOPLE)
            person = self.info["people"][pid]
            data, notes = self.mutate_file(person["text"])
            path = person["path"]
            if self.p(0.15):
                path = f"records/people/{self.pick(['evil', 'newp', 'zhangsan2', '..', 'ZHANGSAN', '.hidden', 'x y'])}.yaml"
            case["files"].append({"path": path, "op": "write", "data": b64(data)})
            case["notes"] += notes
            case["commit"] = self.p(0.5)
            spec = self.pick_command(self.pick([None, None, "ticket", "leave", "score"]))
        elif fam == "policy":
            data, notes = self.mutate_file(self.info["policy"]["text"], policy=True)
            case["files"].append({"path": self.info["policy"]["path"], "op": "write", "data": b64(data)})
            case["notes"] += notes
            case["commit"] = self.p(0.5)
            case["revert"] = case["commit"] and self.p(0.3)
            spec = self.pick_command(self.pick([None, None, "ticket", "return", "leave", "score"]))
        elif fam == "newfile":
            rec = self.any_record()
            rtype = rec["type"]
            folder = FOLDER_OF[rtype]
            kind = self.r.randrange(12)
            new_id = rec["id"][:-6] + "FUZZ" + self.pick(["00", "01", "ZZ"])
            text = rec["text"].replace(rec["id"], new_id)
            target_id = new_id
            if kind == 0:      # the same id twice
                case["files"].append({"path": f"records/{folder}/dup/{rec['id']}.yaml", "op": "write",
                                      "data": b64(rec["text"].encode())})
                target_id = rec["id"]
            elif kind == 1:    # a name that lies
                case["files"].append({"path": f"records/{folder}/2026/11/{new_id}.yaml", "op": "write",
                                      "data": b64(rec["text"].encode())})
            elif kind == 2:    # in the wrong type's folder
                wrong = self.pick([f for f in FOLDER_OF.values() if f != folder] + ["people"])
                case["files"].append({"path": f"records/{wrong}/2026/{new_id}.yaml", "op": "write",
                                      "data": b64(text.encode())})
            elif kind == 3:
                case["files"].append({"path": f"records/{folder}/2026/11/{new_id}.yaml", "op": "symlink",
                                      "target": self.pick(["/etc/passwd", "{SCRATCH}/outside/sentinel.txt",
                                                           "{SCRATCH}/outside", f"{new_id}.yaml", "/nonexistent",
                                                           "../../../policy.yaml", "/dev/zero", "/proc/self/environ"])})
            elif kind == 4:
                case["files"].append({"path": f"records/{folder}/2026/11/{new_id}.yaml", "op": "mkdir"})
            elif kind == 5:
                case["files"].append({"path": f"records/{folder}/out", "op": "symlink", "target": "{SCRATCH}/outside"})
            elif kind == 6:
                case["files"].append({"path": f"records/{folder}/loop", "op": "symlink", "target": "."})
            elif kind == 7:    # odd names and places
                name = self.pick([f".{new_id}.yaml", f"{new_id}.yml", f"{new_id}.YAML", f"{new_id}.yaml~",
                                  f"a/b/c/d/e/f/g/h/i/j/{new_id}.yaml", f"{new_id} .yaml", f"{new_id}\n.yaml",
                                  f"\u202e{new_id}.yaml", f"{new_id}.yaml.csops-0123456789abcdef.tmp",
                                  f".{new_id}.yaml.csops-0123456789abcdef.tmp", f".{new_id}.yaml.123.tmp"])
                case["files"].append({"path": f"records/{folder}/{name}", "op": "write", "data": b64(text.encode())})
            elif kind == 8:    # a mutated copy under a new id
                data, notes = self.mutate_file(text)
                case["notes"] += notes
                case["files"].append({"path": f"records/{folder}/2026/11/{new_id}.yaml", "op": "write", "data": b64(data)})
            elif kind == 9:    # the policy or roster replaced by something else
                case["files"].append(self.pick([
                    {"path": "records/policy.yaml", "op": "symlink", "target": "/etc/passwd"},
                    {"path": "records/policy.yaml", "op": "delete"}, {"path": "records/people", "op": "delete"},
                    {"path": "records/people/zhangsan.yaml", "op": "delete"},
                    {"path": "records/people/evil.yaml", "op": "symlink", "target": "zhangsan.yaml"},
                    {"path": "records/policy.yaml", "op": "mkdir"}]))
            elif kind == 10:   # a record deleted (committed or not)
                case["files"].append({"path": rec["path"], "op": "delete"})
                target_id = rec["id"]
            else:              # a folder named like a record type file
                case["files"].append({"path": f"records/{folder}/2026", "op": "delete"})
            case["commit"] = self.p(0.4)
            ctx["target"] = dict(rec, id=target_id)
            spec = self.pick_command(rtype)
        elif fam == "args":
            ctx["hostile"] = self.pick([0.05, 0.2, 0.35, 0.6])
            spec = self.pick_command(None if self.p(0.7) else self.pick(sorted(self.records)))
            if self.p(0.5):
                ctx["target"] = self.any_record()
                spec = self.pick_command(ctx["target"]["type"])
        elif fam == "git":
            case["git"] = [self.pick(self.GIT_STATES)]
            if self.p(0.15):
                case["git"].append(self.pick(self.GIT_STATES))
            ctx["target"] = self.any_record()
            spec = self.pick_command(ctx["target"]["type"] if self.p(0.7) else None)
            if self.p(0.2):
                spec = self.pick([c for c in self.commands if c["path"] in (["recover"], ["validate"])])
        elif fam == "env":
            for _ in range(self.r.randrange(1, 3)):
                key = self.pick(sorted(self.ENV))
                case["env"][key] = argsafe(self.pick(self.ENV[key]))
            ctx["target"] = self.any_record() if self.p(0.6) else None
            spec = self.pick_command(ctx["target"]["type"] if ctx["target"] else None)
            if self.p(0.3):
                case["git"] = [self.pick(["index_lock", "detached", "dirty_record", "merge_clean"])]
        else:  # journal
            case["files"].append({"path": ".git/csops-journal.json", "op": "write", "data": b64(self.journal()),
                                  "subst": True})
            if self.p(0.3):
                case["git"].append(self.pick(["index_lock_csops", "temp_leftover", "index_lock"]))
            spec = self.pick([c for c in self.commands if c["path"] == ["recover"]] * 3 + [self.pick_command()])
        if "CSOPS_NOW" in case["env"]:
            ctx["now"] = False
        if "CSOPS_USER" in case["env"]:
            ctx["as"] = False
        if "CSOPS_RECORDS" in case["env"] or "GIT_DIR" in case["env"]:
            ctx["records"] = self.p(0.5)
        if self.p(0.04):
            case["cwd"] = self.pick(["records", "deep", "outside", "gitdir", "gone"])
            ctx["records"] = self.p(0.3)
        case["argv"] = self.command_argv(spec, ctx)
        if case["env"].keys() & self.SUBPROCESS_ONLY_ENV or self.p(0.012):
            case["mode"] = "subproc"
        if spec["path"] == ["merge-file"]:
            rec = self.any_record()
            for side in ("base", "ours", "theirs"):
                data = rec["text"].encode() if side == "base" or self.p(0.3) else self.mutate_file(rec["text"])[0]
                case["files"].append({"path": "{SCRATCH}/mf/" + side + ".yaml", "op": "write", "data": b64(data)})
        if self.p(0.03) and fam not in ("git", "env"):
            case["git"].append(self.pick(self.GIT_STATES))
        return case


# ------------------------------------------------------------------------------------------------
# The worker: builds the template, runs cases in-process, reports what happened
# ------------------------------------------------------------------------------------------------

class FuzzTimeout(BaseException):
    """Raised by the alarm in the worker: passes through csops' `except Exception` boundary."""


def git(cwd, *args, check=True, env=None, timeout=60):
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    if check and proc.returncode:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


def clean_git_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_EDITOR="true", GIT_PAGER="cat", GIT_CONFIG_NOSYSTEM="1")
    return env


class Worker:
    def __init__(self, scratch: str):
        self.scratch = scratch
        self.template = os.path.join(scratch, "template")
        self.root = os.path.join(scratch, "work", "repo")
        self.records = os.path.join(self.root, "records")
        self.out = os.path.join(scratch, "out")
        self.outside = os.path.join(scratch, "outside")
        self.tmp = os.path.join(scratch, "tmp")
        for d in (self.out, self.tmp, os.path.join(scratch, "init"), os.path.join(scratch, "mf")):
            os.makedirs(d, exist_ok=True)
        tempfile.tempdir = self.tmp          # csops' saved tracebacks land here
        for key in ("CSOPS_DEBUG", "CSOPS_USER", "CSOPS_NOW", "CSOPS_RECORDS", "NO_COLOR", "GIT_DIR",
                    "GIT_WORK_TREE", "GIT_INDEX_FILE"):
            os.environ.pop(key, None)
        os.environ.update(CSOPS_LOCK_TIMEOUT="1", GIT_TERMINAL_PROMPT="0", GIT_EDITOR="true", GIT_PAGER="cat",
                          TERM="dumb")
        from click.testing import CliRunner

        from csops.cli import cli
        self.cli = cli
        self.runner = CliRunner()
        self.dirty = True
        self.flock_proc = None
        self._make_outside()
        if not os.path.exists(os.path.join(self.template, ".fuzz-info.json")):
            self.build_template()
        with open(os.path.join(self.template, ".fuzz-info.json"), encoding="utf-8") as fh:
            self.info = json.load(fh)
        self.base = self.info["base"]
        self.recopy()

    # -- the template ---------------------------------------------------------------------------
    def invoke(self, argv, env=None):
        return self.runner.invoke(self.cli, argv, env=env, catch_exceptions=True)

    def build_template(self):
        import csops.store as _store

        if os.path.exists(self.template):
            shutil.rmtree(self.template)
        det = random.Random(20261123)
        real_random_text = _store.random_text
        alphabet = _store.ID_ALPHABET
        # deterministic record ids (csops draws them with store.random_text)
        _store.random_text = lambda count: "".join(det.choice(alphabet) for _ in range(count))
        log = []
        try:
            root = self.template
            res = self.invoke(["--now", "2026-11-01T09:00", "init", root])
            if res.exit_code:
                raise RuntimeError(f"csops init failed: {res.output}")
            git(root, "config", "user.name", "fuzz")
            git(root, "config", "user.email", "fuzz@example.com")
            git(root, "config", "gc.auto", "0")
            branch = git(root, "symbolic-ref", "--short", "HEAD").strip()
            recs = os.path.join(root, "records")

            def run(as_, now, *args):
                argv = ["--records", recs, "--now", now] + (["--as", as_] if as_ else []) + list(args)
                res = self.invoke(argv)
                log.append((res.exit_code, " ".join(args)[:80], res.output.strip()[:200]))
                return res.stdout.strip() if res.exit_code == 0 else None

            for pid, name, role, boss in TEAM:
                args = ["person", "add", pid, "--name", name, "--role", role, "--email", f"{pid}@example.com"]
                if boss:
                    args += ["--reports-to", boss]
                run("wangjl" if pid != "wangjl" else None, "2026-11-01T09:00", *args)
            day = "2026-11-"

            def ticket(kind, t, *steps, contact="13812345678"):
                tid = run("zhangsan", day + t, "ticket", "new", "--kind", kind, "--channel", "phone", "--customer",
                          "王女士", "--contact", contact, "--summary", "电饭煲内胆有划痕，联系13812345678")
                for as_, when, *args in steps:
                    if tid:
                        run(as_, day + when, "ticket", args[0], tid, *args[1:])
                return tid

            route = ("zhangsan", "17T10:00", "route", "--to-dept", "仓库", "--assignee", "zhangsan")
            resolve = ("zhangsan", "17T15:00", "resolve", "--note", "已安排换货")
            ticket("inquiry", "16T10:00", contact="li@example.com")
            ticket("complaint", "16T10:05")
            ticket("complaint", "17T09:30", route)
            ticket("complaint", "17T09:40", route, resolve)
            ticket("complaint", "17T09:50", route, resolve,
                   ("zhangsan", "18T10:00", "callback", "--outcome", "reached", "--satisfaction", "5"))
            ticket("complaint", "17T09:55", route, resolve,
                   ("zhangsan", "18T10:00", "callback", "--outcome", "reached", "--satisfaction", "1"))
            ticket("complaint", "17T09:56", route, resolve, ("zhangsan", "18T10:00", "callback", "--outcome", "unreachable"))
            ticket("complaint", "17T09:57", route, ("zhangsan", "17T11:00", "escalate", "--note", "客户情绪激动"))
            first = ticket("inquiry", "17T09:58")
            ticket("inquiry", "17T09:59", ("liubz", "17T10:30", "void", "--reason", "重复登记", "--duplicate-of", first or "x"))
            ticket("feedback", "18T09:00", ("zhangsan", "18T09:30", "resolve", "--note", "已记录建议"))
            merge_ticket = ticket("complaint", "18T09:10", ("zhangsan", "18T09:20", "route", "--to-dept", "仓库",
                                                            "--assignee", "zhangsan"))

            def ret(kind, t, *steps, items=("A100:2", "B200:1")):
                args = ["return", "new", "--kind", kind, "--order", "TB20261120-0081", "--customer", "赵女士"]
                for item in items:
                    args += ["--item", item]
                rid = run("zhangsan", day + t, *args)
                for as_, when, state, *extra in steps:
                    if rid:
                        run(as_, day + when, "return", "move", rid, state, *extra)
                return rid

            appr = ("zhangsan", "18T10:10", "approved")
            recv = ("chenck", "18T14:00", "received")
            insp = ("chenck", "18T15:00", "inspected")
            qc = ("qianzj", "19T10:00", "qc_checked", "--item", "A100=good:1,defective:1", "--item", "B200=defective")
            refund = ("zhoucw", "19T16:00", "refunded", "--amount", "259.90")
            ret("self", "18T10:00")
            ret("self", "18T10:01", appr)
            ret("self", "18T10:02", appr, recv)
            ret("self", "18T10:03", appr, recv, insp, qc)
            ret("self", "18T10:04", appr, recv, insp, qc, refund)
            ret("self", "18T10:05", appr, recv, insp, qc, refund, ("chenck", "19T17:00", "closed"))
            ret("transit", "18T10:06", recv, items=("C300:1",))
            ret("transit", "18T10:07", recv, ("chenck", "18T16:00", "reshipped", "--tracking", "SF1234567890"),
                items=("C300:1",))
            ret("refused", "18T10:08", recv, insp, items=("D400:3",))

            def leave(person, kind, start, end, now, *steps, extra=()):
                lid = run(person, day + now, "leave", "new", "--person", person, "--kind", kind, "--start", start,
                          "--end", end, *extra)
                for as_, when, verb, *more in steps:
                    if lid:
                        run(as_, day + when, "leave", verb, lid, *more)
                return lid

            leave("zhangsan", "personal", "2026-11-30T09:00", "2026-11-30T18:00", "20T10:00")
            leave("lisi", "personal", "2026-12-01T09:00", "2026-12-01T18:00", "20T10:00", ("liubz", "20T11:00", "approve"))
            leave("zhangsan", "sick", "2026-11-21T09:00", "2026-11-21T18:00", "20T10:00", ("liubz", "20T10:30", "approve"))
            leave("lisi", "sick", "2026-12-03", "2026-12-04", "20T10:00", ("liubz", "20T11:00", "approve"),
                  extra=("--certificate", "MC-1"))
            leave("zhangsan", "special", "2026-11-26T09:00", "2026-11-26T12:00", "20T10:00",
                  ("zhangsan", "20T10:10", "withdraw"))
            leave("liubz", "personal", "2026-12-07T09:00", "2026-12-08T18:00", "20T10:00", ("zhaozg", "20T11:00", "approve"))

            def score(*args, steps=()):
                sid = run("liubz", "2026-11-20T18:00", "score", "add", *args)
                for as_, verb in steps:
                    if sid:
                        run(as_, "2026-11-20T19:00", "score", verb, sid)
                return sid

            score("--person", "zhangsan", "--code", "MESSAGE_LATE", "--date", "2026-11-03")
            score("--person", "lisi", "--code", "BAD_REVIEW", "--date", "2026-11-05", steps=[("zhaozg", "confirm")])
            score("--person", "zhangsan", "--code", "FOLLOWUP_LATE", "--date", "2026-11-06", steps=[("zhaozg", "revoke")])
            score("--code", "LUNCH_OFF_POST", "--date", "2026-11-07")
            score("--person", "lisi", "--code", "CUSTOMER_CONFLICT", "--date", "2026-11-09", "--fine", "30")
            score("--person", "zhangsan", "--code", "LATE", "--date", "2026-11-10", "--minutes", "45")
            score("--person", "zhangsan", "--code", "AWAY_NO_STATUS", "--date", "2026-11-11")
            run("zhaozg", "2026-11-20T20:00", "score", "derive", "--period", "2026-11")

            # branches for merge states: side (clean), conflict (notes.txt), recconf (a record both sides changed)
            with open(os.path.join(root, "notes.txt"), "w") as fh:
                fh.write("base\n")
            git(root, "add", "notes.txt")
            git(root, "commit", "-q", "-m", "notes")
            git(root, "branch", "side")
            git(root, "branch", "conflict")
            git(root, "branch", "recconf")
            git(root, "checkout", "-q", "side")
            with open(os.path.join(root, "side.txt"), "w") as fh:
                fh.write("side\n")
            git(root, "add", "side.txt")
            git(root, "commit", "-q", "-m", "side")
            git(root, "checkout", "-q", "conflict")
            with open(os.path.join(root, "notes.txt"), "w") as fh:
                fh.write("theirs\n")
            git(root, "commit", "-q", "-am", "theirs")
            git(root, "checkout", "-q", "recconf")
            if merge_ticket:
                run("zhangsan", "2026-11-19T10:00", "ticket", "resolve", merge_ticket, "--note", "在分支上解决")
            git(root, "checkout", "-q", branch)
            with open(os.path.join(root, "notes.txt"), "w") as fh:
                fh.write("ours\n")
            git(root, "commit", "-q", "-am", "ours")
            if merge_ticket:
                run("zhangsan", "2026-11-19T11:00", "ticket", "escalate", merge_ticket)
        finally:
            _store.random_text = real_random_text
        info = self.describe(root)
        info["build_log"] = [entry for entry in log if entry[0] != 0]
        info["branch"] = branch
        with open(os.path.join(root, ".git", "info", "exclude"), "a") as fh:
            fh.write(".fuzz-info.json\n")
        with open(os.path.join(root, ".fuzz-info.json"), "w", encoding="utf-8") as fh:
            json.dump(info, fh, ensure_ascii=False)

    def describe(self, root) -> dict:
        import click

        records: dict[str, list] = {}
        prefix = {"T": "ticket", "R": "return", "L": "leave", "S": "score"}
        for dirpath, _, names in os.walk(os.path.join(root, "records")):
            for name in sorted(names):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)
                if not name.endswith(".yaml") or rel.startswith("records/people") or name == "policy.yaml":
                    continue
                text = open(full, encoding="utf-8").read()
                data = yload(text) or {}
                rtype = prefix.get(name[:1])
                if rtype:
                    records.setdefault(rtype, []).append({"id": name[:-5], "type": rtype, "status": data.get("status"),
                                                          "path": rel, "text": text})
        for items in records.values():
            items.sort(key=lambda r: r["id"])
        people = {}
        for pid in PEOPLE:
            rel = f"records/people/{pid}.yaml"
            people[pid] = {"path": rel, "text": open(os.path.join(root, rel), encoding="utf-8").read()}
        commands = []

        def walk(cmd, path):
            if isinstance(cmd, click.Group):
                ctx = click.Context(cmd)
                for name in cmd.list_commands(ctx):
                    walk(cmd.get_command(ctx, name), path + [name])
                return
            params = []
            for p in cmd.params:
                if p.name in ("help",):
                    continue
                params.append({"name": p.name, "kind": "arg" if isinstance(p, click.Argument) else "opt",
                               "opts": [o for o in p.opts], "flag": bool(getattr(p, "is_flag", False)),
                               "multiple": bool(getattr(p, "multiple", False)), "required": bool(p.required),
                               "nargs": p.nargs, "choices": list(getattr(p.type, "choices", []) or []) or None})
            commands.append({"path": path, "params": params})

        walk(self.cli, [])
        return {"records": records, "people": people, "commands": commands,
                "policy": {"path": "records/policy.yaml",
                           "text": open(os.path.join(root, "records", "policy.yaml"), encoding="utf-8").read()},
                "base": git(root, "rev-parse", "HEAD").strip()}

    # -- reset ----------------------------------------------------------------------------------
    def _make_outside(self):
        os.makedirs(os.path.join(self.outside, "dir"), exist_ok=True)
        with open(os.path.join(self.outside, "sentinel.txt"), "w") as fh:
            fh.write("must survive\n")
        with open(os.path.join(self.outside, "dir", "keep.yaml"), "w") as fh:
            fh.write("id: keep\n")
        self.outside_state = self.tree_state(self.outside)

    def recopy(self):
        work = os.path.dirname(self.root)
        if os.path.exists(work):
            shutil.rmtree(work, ignore_errors=True)
            if os.path.exists(work):
                subprocess.run(["rm", "-rf", work])
        os.makedirs(work)
        shutil.copytree(self.template, self.root, symlinks=True)
        os.remove(os.path.join(self.root, ".fuzz-info.json"))
        self.pristine = self.snapshot()
        self.dirty = False

    def reset(self):
        if not self.dirty:
            return
        g = os.path.join(self.root, ".git")
        try:
            if not os.path.isdir(g) or not os.path.isdir(self.records):
                raise RuntimeError("gone")
            for name in ("index.lock", "csops-journal.json", "csops-journal.json.new", "MERGE_HEAD", "MERGE_MSG",
                         "MERGE_MODE", "CHERRY_PICK_HEAD", "REVERT_HEAD", "AUTO_MERGE", "ORIG_HEAD"):
                if os.path.lexists(os.path.join(g, name)):
                    os.remove(os.path.join(g, name))
            for name in os.listdir(g):
                if name.startswith("csops-index-") or name in ("rebase-merge", "rebase-apply", "worktrees"):
                    path = os.path.join(g, name)
                    shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
            for name in ("config", "HEAD", "packed-refs"):
                src = os.path.join(self.template, ".git", name)
                dst = os.path.join(g, name)
                if os.path.exists(src):
                    shutil.copyfile(src, dst)
                elif os.path.lexists(dst):
                    os.remove(dst)
            shutil.rmtree(os.path.join(g, "refs"))
            shutil.copytree(os.path.join(self.template, ".git", "refs"), os.path.join(g, "refs"))
            env = clean_git_env()
            if subprocess.run(["git", "reset", "-q", "--hard", self.base], cwd=self.root, env=env,
                              capture_output=True, stdin=subprocess.DEVNULL).returncode:
                if os.path.exists(os.path.join(g, "index")):
                    os.remove(os.path.join(g, "index"))
                git(self.root, "reset", "-q", "--hard", self.base, env=env)
            git(self.root, "clean", "-qffdx", env=env)
            for d in (self.out, os.path.join(self.scratch, "init"), os.path.join(self.scratch, "mf"),
                      os.path.join(self.scratch, "wt"), os.path.join(self.scratch, "elsewhere")):
                if os.path.lexists(d):
                    shutil.rmtree(d, ignore_errors=True)
            os.makedirs(self.out, exist_ok=True)
            if self.snapshot() != self.pristine:
                raise RuntimeError("not pristine after reset")
            self.dirty = False
        except Exception:  # noqa: BLE001
            self.recopy()
        if self.tree_state(self.outside) != self.outside_state:
            shutil.rmtree(self.outside, ignore_errors=True)
            self._make_outside()
        for name in os.listdir(self.tmp):
            try:
                os.remove(os.path.join(self.tmp, name))
            except OSError:
                shutil.rmtree(os.path.join(self.tmp, name), ignore_errors=True)

    # -- snapshots ------------------------------------------------------------------------------
    @staticmethod
    def tree_state(top, skip_git=True) -> dict:
        state = {}
        for dirpath, dirnames, names in os.walk(top):
            if skip_git and ".git" in dirnames and dirpath == top:
                dirnames.remove(".git")
            for name in dirnames + names:
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, top)
                try:
                    st = os.lstat(full)
                except OSError:
                    continue
                if stat.S_ISLNK(st.st_mode):
                    state[rel] = ("L", os.readlink(full))
                elif stat.S_ISREG(st.st_mode):
                    with open(full, "rb") as fh:
                        state[rel] = ("F", hashlib.sha1(fh.read()).hexdigest())
                elif stat.S_ISDIR(st.st_mode):
                    state[rel] = ("D",)
                else:
                    state[rel] = ("O", stat.S_IFMT(st.st_mode))
        return state

    def git_meta(self) -> dict:
        g = os.path.join(self.root, ".git")
        meta = {}
        if not os.path.isdir(g):
            return {"gone": True}
        for name in ("HEAD", "packed-refs", "index.lock", "csops-journal.json", "csops-journal.json.new",
                     "MERGE_HEAD", "CHERRY_PICK_HEAD"):
            path = os.path.join(g, name)
            if os.path.isfile(path):
                with open(path, "rb") as fh:
                    meta[name] = hashlib.sha1(fh.read()).hexdigest()
        for dirpath, _, names in os.walk(os.path.join(g, "refs")):
            for name in names:
                full = os.path.join(dirpath, name)
                with open(full, "rb") as fh:
                    meta[os.path.relpath(full, g)] = fh.read().strip().decode(errors="replace")
        for name in os.listdir(g):
            if name.startswith("csops-index-"):
                meta[name] = "present"
        return meta

    def snapshot(self) -> dict:
        return {"tree": self.tree_state(self.root), "git": self.git_meta()}

    def staged(self) -> str:
        proc = subprocess.run(["git", "diff", "--cached", "--name-status", "HEAD"], cwd=self.root,
                              capture_output=True, text=True, env=clean_git_env(), stdin=subprocess.DEVNULL)
        return proc.stdout + (f"<rc {proc.returncode}>" if proc.returncode else "")

    # -- preparing a case -----------------------------------------------------------------------
    def subst(self, text: str, case: dict) -> str:
        return (text.replace("{RECORDS}", self.records).replace("{ROOT}", self.root).replace("{OUT}", self.out)
                .replace("{SCRATCH}", self.scratch).replace("{BASE}", self.base).replace("{BRANCH}", self.info["branch"]).replace("{CASE}", str(case["n"])))

    def path_of(self, rel: str, case) -> str:
        rel = self.subst(rel, case)
        return rel if os.path.isabs(rel) else os.path.join(self.root, rel)

    def apply_files(self, case):
        for f in case["files"]:
            path = self.path_of(f["path"], case)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if os.path.lexists(path) and f["op"] != "write":
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.remove(path)
            if f["op"] == "write":
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                data = unb64(f["data"])
                if f.get("subst"):
                    data = self.subst(data.decode("utf-8", "surrogateescape"), case).encode("utf-8", "surrogateescape")
                with open(path, "wb") as fh:
                    fh.write(data)
            elif f["op"] == "symlink":
                os.symlink(self.subst(f["target"], case), path)
            elif f["op"] == "mkdir":
                os.makedirs(path, exist_ok=True)
        if case.get("commit") and any(not f["path"].startswith(("{", ".git")) for f in case["files"]):
            env = clean_git_env()
            git(self.root, "add", "-A", "--", "records", env=env, check=False)
            git(self.root, "-c", "core.hooksPath=/dev/null", "commit", "-q", "--no-verify", "-m", "hand edit",
                "--author", "赵主管 <zhaozg@example.com>", env=env, check=False)
            if case.get("revert"):
                git(self.root, "checkout", "-q", self.base, "--", "records", env=env, check=False)
                git(self.root, "commit", "-q", "--no-verify", "-am", "revert hand edit", "--author",
                    "赵主管 <zhaozg@example.com>", env=env, check=False)

    def apply_git(self, case):
        env = clean_git_env()
        g = os.path.join(self.root, ".git")
        records = [r for rs in self.info["records"].values() for r in rs]
        some = records[case["n"] % len(records)]
        some_path = os.path.join(self.root, some["path"])
        for state in case["git"]:
            if state == "detached":
                git(self.root, "checkout", "-q", "--detach", env=env, check=False)
            elif state == "index_lock":
                with open(os.path.join(g, "index.lock"), "w") as fh:
                    fh.write("another git\n")
            elif state == "index_lock_csops":
                with open(os.path.join(g, "index.lock"), "w") as fh:
                    fh.write("csops 0123456789abcdef\n")
            elif state == "index_lock_empty":
                open(os.path.join(g, "index.lock"), "w").close()
            elif state in ("dirty_record", "staged_record"):
                if os.path.isfile(some_path):
                    with open(some_path, "a", encoding="utf-8") as fh:
                        fh.write("# a hand edit\n")
                if state == "staged_record":
                    git(self.root, "add", "-A", env=env, check=False)
            elif state == "dirty_field":
                if os.path.isfile(some_path):
                    with open(some_path, encoding="utf-8", errors="replace") as fh:
                        text = fh.read()
                    with open(some_path, "w", encoding="utf-8") as fh:
                        fh.write(re.sub(r"(?m)^(status|kind|summary|person|code): .*$", r"\1: edited", text, count=1))
            elif state == "untracked_record":
                folder = os.path.dirname(some_path)
                with open(os.path.join(folder, some["id"][:-4] + "UNTR.yaml"), "w", encoding="utf-8") as fh:
                    fh.write(some["text"].replace(some["id"], some["id"][:-4] + "UNTR"))
            elif state == "merge_clean":
                git(self.root, "merge", "-q", "--no-commit", "--no-ff", "side", env=env, check=False)
            elif state == "merge_conflict":
                git(self.root, "merge", "-q", "conflict", env=env, check=False)
            elif state == "merge_record":
                git(self.root, "merge", "-q", "--no-commit", "--no-ff", "recconf", env=env, check=False)
            elif state == "rebase_dir":
                os.makedirs(os.path.join(g, "rebase-merge"), exist_ok=True)
                with open(os.path.join(g, "rebase-merge", "head-name"), "w") as fh:
                    fh.write(f"refs/heads/{self.info['branch']}\n")
            elif state == "cherry_pick":
                with open(os.path.join(g, "CHERRY_PICK_HEAD"), "w") as fh:
                    fh.write(git(self.root, "rev-parse", "side", env=env))
            elif state == "unborn":
                git(self.root, "symbolic-ref", "HEAD", "refs/heads/unborn", env=env, check=False)
            elif state == "bad_ref":
                with open(os.path.join(g, "refs", "heads", self.info["branch"]), "w") as fh:
                    fh.write("garbage\n")
            elif state == "bad_index":
                path = os.path.join(g, "index")
                if os.path.exists(path):
                    with open(path, "r+b") as fh:
                        fh.truncate(os.path.getsize(path) // 2)
            elif state == "no_index":
                if os.path.exists(os.path.join(g, "index")):
                    os.remove(os.path.join(g, "index"))
            elif state == "gpgsign":
                git(self.root, "config", "commit.gpgsign", "true", env=env)
                git(self.root, "config", "user.signingkey", "NONEXISTENTKEY", env=env)
            elif state == "sshsign":
                git(self.root, "config", "gpg.format", "ssh", env=env)
                git(self.root, "config", "user.signingkey", os.path.join(self.scratch, "nokey"), env=env)
                git(self.root, "config", "commit.gpgsign", "true", env=env)
            elif state == "autocrlf":
                git(self.root, "config", "core.autocrlf", "true", env=env)
            elif state == "commit_encoding":
                git(self.root, "config", "i18n.commitEncoding", "GBK", env=env)
            elif state == "hooks":
                hooks = os.path.join(self.scratch, "hooks")
                os.makedirs(hooks, exist_ok=True)
                for hook in ("pre-commit", "commit-msg", "post-commit", "reference-transaction", "post-index-change"):
                    with open(os.path.join(hooks, hook), "w") as fh:
                        fh.write("#!/bin/sh\necho hook >&2\nexit 1\n")
                    os.chmod(os.path.join(hooks, hook), 0o755)
                git(self.root, "config", "core.hooksPath", hooks, env=env)
            elif state == "csops_lock_held" and shutil.which("flock"):
                self.flock_proc = subprocess.Popen(["flock", "-x", os.path.join(g, "csops.lock"), "sleep", "4"],
                                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL, start_new_session=True)
                time.sleep(0.05)
            elif state == "temp_leftover":
                folder = os.path.dirname(some_path)
                with open(os.path.join(folder, f".{some['id']}.yaml.csops-0123456789abcdef.tmp"), "w") as fh:
                    fh.write(some["text"])
            elif state == "packed_refs":
                git(self.root, "pack-refs", "--all", env=env, check=False)
            elif state == "worktree":
                wt = os.path.join(self.scratch, "wt")
                git(self.root, "worktree", "add", "-q", "-f", "-b", f"wt{case['n']}", wt, env=env, check=False)
                case["_cwd"] = wt
                case["_records"] = os.path.join(wt, "records")
            elif state == "records_symlink_out":
                target = os.path.join(self.root, "records", "scores")
                if os.path.isdir(target):
                    shutil.rmtree(target)
                    os.symlink(os.path.join(self.outside, "dir"), target)
            elif state == "no_people_dir":
                shutil.rmtree(os.path.join(self.records, "people"), ignore_errors=True)
            elif state == "policy_dir":
                os.remove(os.path.join(self.records, "policy.yaml"))
                os.makedirs(os.path.join(self.records, "policy.yaml"))
            elif state == "shallow_head_file":
                with open(os.path.join(g, "HEAD"), "w") as fh:
                    fh.write("ref: refs/heads/../../../x\n")

    # -- running a case -------------------------------------------------------------------------
    def run_case(self, case: dict, verbose=False) -> dict:
        self.reset()
        self.dirty = True
        try:
            self.apply_files(case)
            self.apply_git(case)
        except Exception as exc:  # noqa: BLE001 - a case the harness could not set up is skipped
            return {"n": case["n"], "skipped": f"setup: {type(exc).__name__}: {exc}"}
        argv = [self.subst(a, case) for a in case["argv"]]
        if case.get("_records"):
            argv = [case["_records"] if a == self.records else a for a in argv]
        env = {k: self.subst(v, case) for k, v in case["env"].items()}
        cwd = case.get("_cwd") or {"root": self.root, "records": self.records,
                                   "deep": os.path.join(self.records, "tickets"),
                                   "outside": os.path.join(self.scratch, "elsewhere"),
                                   "gitdir": os.path.join(self.root, ".git"),
                                   "gone": os.path.join(self.scratch, "gone")}.get(case["cwd"], self.root)
        if case["cwd"] in ("gone", "outside"):
            os.makedirs(cwd, exist_ok=True)
        watch_staged = bool(case["git"])
        pre = self.snapshot()
        pre_staged = self.staged() if watch_staged else ""
        init_target = next((a for a in argv if "/init/" in a), None) if argv and "init" in argv else None
        result = {"n": case["n"], "findings": []}
        start = time.perf_counter()
        if case["mode"] == "subproc":
            code, out, err, tb, sig = self.run_subprocess(argv, env, cwd)
        else:
            code, out, err, tb, sig = self.run_inprocess(argv, env, cwd, case["cwd"] == "gone")
        duration = time.perf_counter() - start
        if self.flock_proc is not None:
            try:
                os.killpg(self.flock_proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.flock_proc.wait()
            self.flock_proc = None
        result.update(code=code, seconds=round(duration, 3), out=out[-1500:], err=err[-1500:])
        findings = result["findings"]
        if tb and "saved in" in (err or "") and code == 70:
            pass
        if sig == "hang":
            findings.append(("hang", tb))
        elif sig:
            findings.append(("signal", f"{sig}\n{tb or ''}"))
        elif code == 70:
            findings.append(("internal-error", tb or err))
        elif code == "escaped":
            findings.append(("exception-escaped-click", tb))
        elif code not in (0, 1, 2):
            findings.append(("unexpected-exit", f"exit {code}: {err[-500:]}"))
        if "Traceback (most recent call last)" in out + err and code not in (70, "escaped"):
            findings.append(("traceback-in-output", out + err))
        if duration > HANG_SECONDS and sig != "hang":
            findings.append(("hang", f"took {duration:.1f} s\n{tb or ''}"))
        if code != 0 and not sig:
            post = self.snapshot()
            changes = self.diff(pre, post)
            if watch_staged and self.staged() != pre_staged:
                changes.append("the index (staged changes) changed")
            if init_target and os.path.lexists(init_target):
                changes.append(f"init left {init_target}")
            if code == 1 and "--fail-if-any" in argv:     # the report is written, then exit 1 says "late"
                targets = _output_targets(argv)
                changes = [c for c in changes if not (c.endswith(" created") and
                                                      os.path.basename(c[:-len(" created")]) in targets)]
            if changes:
                findings.append(("changed-on-failure", f"exit {code}: " + "; ".join(changes[:6])))
        if self.tree_state(self.outside) != self.outside_state:
            findings.append(("touched-outside", "a file outside the repository changed"))
        if os.path.exists(os.path.join(self.scratch, "pwned")):
            findings.append(("code-execution", "a YAML tag ran code"))
            os.remove(os.path.join(self.scratch, "pwned"))
        if verbose:
            result["argv"], result["env"] = argv, env
        return result

    @staticmethod
    def diff(pre, post) -> list[str]:
        out = []
        for rel in sorted(set(pre["tree"]) | set(post["tree"])):
            if pre["tree"].get(rel) != post["tree"].get(rel):
                what = "created" if rel not in pre["tree"] else "deleted" if rel not in post["tree"] else "changed"
                out.append(f"{rel} {what}")
        for key in sorted(set(pre["git"]) | set(post["git"])):
            if pre["git"].get(key) != post["git"].get(key):
                what = "created" if key not in pre["git"] else "removed" if key not in post["git"] else "moved"
                if key == "csops-journal.json" and what == "removed":
                    continue
                out.append(f".git/{key} {what}" + (" (a commit was made)" if key.startswith("refs/heads") else ""))
        return out

    def run_inprocess(self, argv, env, cwd, gone):
        here = os.getcwd()
        tb = None
        sig = None

        def alarm(signum, frame):
            raise FuzzTimeout()

        old = signal.signal(signal.SIGALRM, alarm)
        try:
            os.chdir(cwd)
            if gone:
                os.rmdir(cwd)
            signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
            try:
                res = self.runner.invoke(self.cli, argv, env=env or None, catch_exceptions=True, prog_name="csops")
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            out = res.stdout_bytes.decode("utf-8", "replace")
            err = (res.stderr_bytes or b"").decode("utf-8", "replace")
            code = res.exit_code
            if res.exception is not None and not isinstance(res.exception, SystemExit):
                code = "escaped"
                tb = "".join(traceback.format_exception(*res.exc_info))
        except FuzzTimeout:
            code, out, err, sig = None, "", "", "hang"
            tb = "".join(traceback.format_exc())
        finally:
            signal.signal(signal.SIGALRM, old)
            os.chdir(here)
        if code == 70:
            tb = self.saved_traceback(err) or err
        return code, out, err, tb, sig

    def saved_traceback(self, err: str) -> str | None:
        m = re.search(r"saved in (\S+?); please report", err)
        if m and os.path.exists(m.group(1)):
            with open(m.group(1), encoding="utf-8", errors="replace") as fh:
                return fh.read()
        return None

    def run_subprocess(self, argv, env, cwd):
        full = {k: v for k, v in os.environ.items()}
        full.update(env)
        full.pop("CSOPS_DEBUG", None)
        full["TMPDIR"] = self.tmp
        if cwd == os.path.join(self.scratch, "gone"):
            cwd = self.root
        try:
            proc = subprocess.run([sys.executable, "-m", "csops", *[os.fsencode(a) for a in argv]], cwd=cwd,
                                  env={k: v for k, v in full.items()}, capture_output=True, timeout=HANG_SECONDS,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            return None, (exc.stdout or b"").decode("utf-8", "replace"), (exc.stderr or b"").decode("utf-8", "replace"), \
                "timed out (subprocess)", "hang"
        out = proc.stdout.decode("utf-8", "replace")
        err = proc.stderr.decode("utf-8", "replace")
        sig = None
        tb = None
        if proc.returncode < 0:
            sig = f"killed by signal {-proc.returncode}"
        if proc.returncode == 70:
            tb = self.saved_traceback(err) or err
        elif "Traceback (most recent call last)" in err:
            tb = err
        return proc.returncode, out, err, tb, sig


def worker_main(scratch: str):
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
    except (ImportError, ValueError, OSError):
        pass
    worker = Worker(scratch)

    def send(obj):
        proto_out.write(json.dumps(obj, ensure_ascii=True).encode() + b"\n")
        proto_out.flush()

    send({"ready": True, "info": worker.info})
    for line in proto_in:
        msg = json.loads(line)
        if msg.get("quit"):
            break
        try:
            send(worker.run_case(msg["case"], verbose=msg.get("verbose", False)))
        except Exception:  # noqa: BLE001 - the harness itself failed on this case: say so, go on
            worker.dirty = True
            send({"n": msg["case"]["n"], "skipped": "harness: " + traceback.format_exc()[-600:]})


# ------------------------------------------------------------------------------------------------
# The parent: generate, supervise, classify, minimise, summarise
# ------------------------------------------------------------------------------------------------

class Supervisor:
    def __init__(self, scratch: str, log):
        self.scratch = scratch
        self.log = log
        self.proc = None
        self.info = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker", self.scratch],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     start_new_session=True)
        self.lines: queue.Queue = queue.Queue()
        proc = self.proc

        def pump():
            for line in proc.stdout:
                self.lines.put(line)
            self.lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        msg = self.lines.get(timeout=600)
        if msg is None:
            raise SystemExit(f"the fuzz worker failed to start (see {self.log.name})")
        self.info = json.loads(msg)["info"]

    def kill(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                self.proc.kill()
            self.proc.wait()

    def run(self, case: dict, verbose=False) -> dict:
        try:
            self.proc.stdin.write(json.dumps({"case": case, "verbose": verbose}).encode() + b"\n")
            self.proc.stdin.flush()
            msg = self.lines.get(timeout=HANG_SECONDS + 50)
        except (BrokenPipeError, queue.Empty):
            msg = "timeout"
        if msg and msg != "timeout":
            return json.loads(msg)
        if msg == "timeout":
            self.kill()
            self.start()
            return {"n": case["n"], "findings": [("hang", "no answer in 60 s (the worker was killed)")], "code": None}
        rc = self.proc.wait()
        self.start()
        what = f"killed by signal {-rc}" if rc < 0 else f"worker exited {rc}"
        return {"n": case["n"], "findings": [("signal", what)], "code": None}

    def close(self):
        try:
            self.proc.stdin.write(b'{"quit": true}\n')
            self.proc.stdin.flush()
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            self.kill()


FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')


def last_frames(tb: str, n=3) -> list[str]:
    frames = FRAME.findall(tb or "")
    lines = [f"{short(f)}:{line} in {fn}" for f, line, fn in frames[-n:]]
    tail = [ln for ln in (tb or "").strip().splitlines() if ln.strip()]
    if tail:
        lines.append(tail[-1].strip()[:300])
    return lines


def short(path: str) -> str:
    i = path.rfind("/csops/")
    return path[i + 1:] if i >= 0 else os.path.basename(path)


def signature(kind: str, detail: str, case: dict) -> str:
    frames = FRAME.findall(detail or "")
    ours = [f for f in frames if "/csops/" in f[0] and "/bench/" not in f[0]]
    where = f"{short(ours[-1][0])}:{ours[-1][2]}" if ours else ""
    tail = [ln for ln in (detail or "").strip().splitlines() if ln.strip()]
    exc = ""
    if frames and tail:
        exc = tail[-1].split(":")[0].strip()[:60]
    cmd = " ".join(a for a in command_of(case["argv"]) if a[:1].isalpha())[:40]
    if kind in ("internal-error", "exception-escaped-click", "traceback-in-output"):
        return f"{kind}|{exc}|{where}"
    if kind == "changed-on-failure":
        what = re.sub(r"[0-9A-Z]{6}\b|c\d+", "*", detail.split(":", 1)[-1].split(";")[0].strip())
        return f"{kind}|{cmd}|{what[:80]}"
    return f"{kind}|{cmd}|{where}"


def command_of(argv: list[str]) -> list[str]:
    """The sub-command words of an argv (after the global options)."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        i += 1 if argv[i] in ("--version", "-v") or "=" in argv[i] else 2
    return argv[i:i + 2]


def originals(info: dict) -> dict:
    """Template file path -> its text (what a mutated file is a mutation of)."""
    out = {r["path"]: r["text"] for rs in info["records"].values() for r in rs}
    out.update({p["path"]: p["text"] for p in info["people"].values()})
    out[info["policy"]["path"]] = info["policy"]["text"]
    return out


def closest_original(orig: str, new_lines: list[str]) -> list[str]:
    """The template's text, or the same re-dumped without comments (what a structural mutation
    starts from), whichever differs from the mutated lines in fewer places."""
    import difflib

    best = None
    for candidate in (orig, ydump(yload(orig))):
        lines = candidate.split("\n")
        changed = sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in
                      difflib.SequenceMatcher(None, lines, new_lines, autojunk=False).get_opcodes() if tag != "equal")
        if best is None or changed < best[0]:
            best = (changed, lines)
    return best[1]


def minimise(sup: Supervisor, case: dict, sig: str, budget: int) -> dict:
    """Greedy: drop whole parts, then single arguments and file operations, keeping the signature."""
    tries = [0]

    def still(candidate) -> bool:
        if tries[0] >= budget:
            return False
        tries[0] += 1
        res = sup.run(candidate)
        return any(signature(k, d, candidate) == sig for k, d in res.get("findings", []))

    best = json.loads(json.dumps(case))
    for field, empty in (("env", {}), ("git", []), ("mode", "inproc"), ("cwd", "root"), ("commit", False),
                         ("revert", False)):
        if best.get(field) != empty:
            cand = dict(best, **{field: empty})
            if still(cand):
                best = cand
    i = 0
    while i < len(best["files"]):
        cand = dict(best, files=best["files"][:i] + best["files"][i + 1:])
        if still(cand):
            best = cand
        else:
            i += 1
    i = 0
    while i < len(best["git"]):
        cand = dict(best, git=best["git"][:i] + best["git"][i + 1:])
        if still(cand):
            best = cand
        else:
            i += 1
    for key in list(best["env"]):
        cand = dict(best, env={k: v for k, v in best["env"].items() if k != key})
        if still(cand):
            best = cand
    argv = best["argv"]
    i = 0
    while i < len(argv):                        # an option with its value, or one word
        for span in (2, 1):
            if i + span <= len(argv) and argv[i].startswith("-"):
                cand = dict(best, argv=argv[:i] + argv[i + span:])
                if still(cand):
                    best, argv = cand, cand["argv"]
                    break
        else:
            i += 1
            continue
    for j, arg in enumerate(argv):               # shorten long values
        if len(arg) > 60:
            cand = dict(best, argv=argv[:j] + [arg[:40]] + argv[j + 1:])
            if still(cand):
                best, argv = cand, cand["argv"]
    import difflib

    origs = originals(sup.info)
    for k, f in enumerate(best["files"]):        # undo the parts of a mutated file that do not matter
        orig = origs.get(f["path"])
        if f["op"] != "write" or orig is None:
            continue
        try:
            new = unb64(f["data"]).decode("utf-8").split("\n")
        except UnicodeDecodeError:
            continue
        old = closest_original(orig, new)
        hunks = [op for op in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes() if op[0] != "equal"]
        for tag, i1, i2, j1, j2 in reversed(hunks):
            if len(hunks) < 2 or tries[0] >= budget:
                break
            cand_lines = new[:j1] + old[i1:i2] + new[j2:]
            files = list(best["files"])
            files[k] = dict(f, data=b64("\n".join(cand_lines).encode("utf-8", "surrogatepass")))
            cand = dict(best, files=files)
            if still(cand):
                best, new, f = cand, cand_lines, files[k]
    for k, f in enumerate(best["files"]):        # fewer lines in a new file
        if f["op"] != "write" or f.get("subst") or f["path"] in origs:
            continue
        lines = unb64(f["data"]).split(b"\n")
        j = len(lines) - 1
        while j >= 0 and tries[0] < budget:
            cand_lines = lines[:j] + lines[j + 1:]
            files = list(best["files"])
            files[k] = dict(f, data=b64(b"\n".join(cand_lines)))
            cand = dict(best, files=files)
            if still(cand):
                best, lines = cand, cand_lines
            j -= 1
    best["_tries"] = tries[0]
    return best


def reproducer(case: dict, info: dict) -> str:
    """A shell-ish description: the files written (a diff against the template's file when it is
    a mutation of one), the Git state, the environment, the command."""
    import difflib

    origs = originals(info)
    out = []
    for f in case["files"]:
        if f["op"] == "write":
            data = unb64(f["data"])
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None and f["path"] in origs and text != origs[f["path"]] and len(data) < 100000:
                new_lines = text.split("\n")
                diff = list(difflib.unified_diff(closest_original(origs[f["path"]], new_lines), new_lines, f["path"],
                                                 f["path"] + " (fuzzed)", n=1, lineterm=""))
                shown = [ln if all(c.isprintable() for c in ln) and len(ln) < 300 else repr(ln[:300]) for ln in diff]
                if not shown:
                    out.append(f"# {f['path']}: the template's file re-dumped without its comments (same data)")
                    continue
                if len(shown) <= 40:
                    out.append("# edit, as a diff against the template's file (or that file re-dumped without "
                               "comments):\n" + "\n".join(shown))
                    continue
            if text is not None and len(text) <= 1500 and all(c.isprintable() or c == "\n" for c in text):
                out.append(f"cat > {f['path']} <<'EOF'\n{text.rstrip()}\nEOF")
            else:
                notes = "; ".join(case.get("notes", []))[:300]
                out.append(f"# {f['path']} := {data[:400]!r}{' …' if len(data) > 400 else ''} ({len(data)} bytes"
                           + (f"; made by: {notes}" if notes else "") + ")")
        elif f["op"] == "symlink":
            out.append(f"ln -s {f['target']} {f['path']}")
        elif f["op"] == "mkdir":
            out.append(f"mkdir -p {f['path']}")
        else:
            out.append(f"rm -r {f['path']}")
    if case.get("commit"):
        out.append("git add -A records && git commit -m 'hand edit'" + (" && (revert it in a second commit)" if case.get(
            "revert") else ""))
    for state in case["git"]:
        out.append(f"# git state: {state}")
    if case["cwd"] != "root":
        out.append(f"# cwd: {case['cwd']}")
    env = " ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in case["env"].items())
    argv = " ".join(shell_quote(a) for a in case["argv"])
    out.append(("(subprocess) " if case["mode"] == "subproc" else "") + (env + " " if env else "") + "csops " + argv)
    return "\n".join(out)


def shell_quote(arg: str) -> str:
    if len(arg) > 80:
        for size in range(1, 9):
            unit = arg[:size]
            if len(arg) % size == 0 and unit * (len(arg) // size) == arg:
                return f"<{unit!r}×{len(arg) // size}>"      # the unit repeated N times
    if arg and re.fullmatch(r"[\w@%+=:,./{}-]+", arg) and len(arg) <= 80:
        return arg
    if all(c.isprintable() for c in arg) and len(arg) < 200:
        return "'" + arg.replace("'", "'\\''") + "'"
    shown = arg if len(arg) < 200 else arg[:60] + f"…(×{len(arg)})"
    return "$" + repr(shown).replace("\\'", "'")


def run_campaign(args) -> int:
    scratch = args.workdir or tempfile.mkdtemp(prefix="csops-fuzz-")
    os.makedirs(scratch, exist_ok=True)
    log = open(os.path.join(scratch, "worker.log"), "ab")
    started = time.time()
    sup = Supervisor(scratch, log)
    info = sup.info
    if info.get("build_log"):
        print(f"note: {len(info['build_log'])} template step(s) refused: {info['build_log'][:3]}", file=sys.stderr)
    if args.recheck:
        with open(args.recheck, encoding="utf-8") as fh:
            old = json.load(fh)
        still_there = 0
        for entry in old["findings"]:
            case = entry.get("minimal") or entry["case"]
            res = sup.run(case, verbose=True)
            now = [signature(k, d, case) for k, d in res.get("findings", [])]
            same = entry["signature"] in now
            still_there += same
            print(f"{'STILL ' if same else ('OTHER ' if now else 'FIXED ')} {entry['signature']}"
                  + (f"  -> now {now}" if now and not same else "") + f"  (exit {res.get('code')})")
            if same or now:
                detail = next(d for k, d in res["findings"])
                print("    " + "\n    ".join(last_frames(detail)))
        sup.close()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        return 1 if still_there else 0
    if args.replay is not None:
        case = Gen(random.Random(f"{args.seed}:{args.replay}"), info).case(args.replay)
        res = sup.run(case, verbose=True)
        print(reproducer(case, info))
        print(json.dumps({k: v for k, v in res.items()}, ensure_ascii=False, indent=1))
        sup.close()
        return 1 if res.get("findings") else 0
    findings: dict[str, dict] = {}
    by_kind: dict[str, int] = {}
    families: dict[str, int] = {}
    codes: dict[str, int] = {}
    skipped = 0
    ran = 0
    t0 = time.time()
    n = args.start
    last_print = t0
    while ran < args.count and (args.seconds is None or time.time() - t0 < args.seconds):
        case = Gen(random.Random(f"{args.seed}:{n}"), info).case(n)
        res = sup.run(case)
        n += 1
        if res.get("skipped"):
            skipped += 1
            if args.verbose:
                print(f"skipped #{case['n']}: {res['skipped'][:300]}", file=sys.stderr)
            continue
        ran += 1
        families[case["family"]] = families.get(case["family"], 0) + 1
        codes[str(res.get("code"))] = codes.get(str(res.get("code")), 0) + 1
        for kind, detail in res.get("findings", []):
            by_kind[kind] = by_kind.get(kind, 0) + 1
            sig = signature(kind, detail, case)
            entry = findings.setdefault(sig, {"kind": kind, "count": 0, "case": case, "detail": detail,
                                              "result": res, "seed": args.seed})
            entry["count"] += 1
            if entry["count"] == 1:
                print(f"[{ran}] NEW {sig} (input #{case['n']})", file=sys.stderr, flush=True)
        if time.time() - last_print > 60:
            last_print = time.time()
            rate = ran / (time.time() - t0)
            print(f"[{ran} inputs, {rate:.1f}/s, {len(findings)} distinct findings]", file=sys.stderr, flush=True)
    elapsed = time.time() - t0
    if args.minimise:
        for sig, entry in findings.items():
            entry["minimal"] = minimise(sup, entry["case"], sig, args.minimise)
            res = sup.run(entry["minimal"], verbose=True)
            entry["minimal_result"] = res
            for kind, detail in res.get("findings", []):
                if signature(kind, detail, entry["minimal"]) == sig:
                    entry["detail"] = detail
    sup.close()
    print_summary(args, ran, skipped, elapsed, findings, by_kind, families, info)
    print("exit statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(codes.items())))
    if args.findings or findings:
        path = args.findings or os.path.join(tempfile.gettempdir(), f"csops-fuzz-findings-seed{args.seed}.json")
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({"seed": args.seed, "inputs": ran, "seconds": round(elapsed, 1), "by_kind": by_kind,
                       "findings": [{"signature": s, **{k: v for k, v in e.items() if k != "result"},
                                     "reproducer": reproducer(e.get("minimal") or e["case"], info)}
                                    for s, e in findings.items()]}, fh, ensure_ascii=True, indent=1, default=str)
        print(f"findings written to {path}")
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    else:
        print(f"scratch kept in {scratch} (worker log: worker.log)")
    del started
    return 1 if findings else 0


def print_summary(args, ran, skipped, elapsed, findings, by_kind, families, info):
    print(f"csops fuzz: seed {args.seed}, {ran} inputs in {elapsed:.0f} s ({ran / max(elapsed, 1e-9):.1f} inputs/s), "
          f"{skipped} skipped by the harness")
    print("families: " + ", ".join(f"{k} {v}" for k, v in sorted(families.items())))
    if not findings:
        print("no findings")
        return
    print("findings by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items())))
    print("({RECORDS}, {ROOT}, {SCRATCH}: the template's records folder, its repository, the scratch folder; "
          "files are relative to {ROOT}; <'x'×N>: x repeated N times)")
    for i, (sig, entry) in enumerate(sorted(findings.items(), key=lambda kv: kv[0]), 1):
        case = entry.get("minimal") or entry["case"]
        print(f"\n#{i} {sig}  (×{entry['count']}, first input #{entry['case']['n']} of seed {entry['seed']})")
        print("  " + reproducer(case, info).replace("\n", "\n  "))
        res = entry.get("minimal_result") or entry["result"]
        if res.get("code") is not None:
            print(f"  → exit {res.get('code')}: {(res.get('err') or '').strip()[-300:]}")
        for line in last_frames(entry["detail"]):
            print("    " + line)


def _output_targets(argv) -> list:
    """The files --output asked for (`--output X` or `--output=X`), as the snapshot names them."""
    out = []
    for i, arg in enumerate(argv):
        if arg == "--output" and i + 1 < len(argv):
            out.append(os.path.basename(str(argv[i + 1])))
        elif str(arg).startswith("--output="):
            out.append(os.path.basename(str(arg)[len("--output="):]))
    return [t for t in out if t]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=300, help="inputs to run (default 300)")
    parser.add_argument("--seconds", type=float, default=None, help="time budget (stops at whichever comes first)")
    parser.add_argument("--start", type=int, default=0, help="number of the first input (default 0)")
    parser.add_argument("--replay", type=int, default=None, metavar="N", help="run input N of --seed verbosely")
    parser.add_argument("--minimise", type=int, default=60, metavar="RUNS",
                        help="re-runs allowed to minimise each distinct finding (0: off; default 60)")
    parser.add_argument("--recheck", default=None, metavar="FILE",
                        help="re-run the (minimal) inputs of a findings file against the current code")
    parser.add_argument("--findings", default=None, metavar="FILE", help="write every finding as JSON here")
    parser.add_argument("--workdir", default=None, help="scratch folder (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker_main(args.worker)
        return 0
    os.environ.pop("CSOPS_DEBUG", None)
    return run_campaign(args)


if __name__ == "__main__":
    sys.exit(main())
