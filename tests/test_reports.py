"""Reports in every format, compared with golden outputs; masking; --fail-if-any; the monthly HTML."""

import itertools
import re
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import csops.store


@pytest.fixture
def fixed(repo, monkeypatch):
    """The team with a few records whose ids are predictable."""
    counter = itertools.count()
    alphabet = csops.store.ID_ALPHABET
    monkeypatch.setattr(csops.store, "random_text",
                        lambda count: "".join(alphabet[next(counter) % len(alphabet)] for _ in range(count)))
    # an inquiry after Friday's cut-off (due Monday 12:00), a complaint resolved and not called back,
    # a self-return received on Friday (inspect due Monday 15:00)
    repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "林女士", "--contact",
             "13155558888", "--summary", "询问双十二活动规则", now="2026-11-20T18:30")
    t = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "钱先生", "--contact",
                 "13522225555", "--summary", "洗衣机漏水", now="2026-11-18T11:20")
    repo.run("ticket", "route", t, "--to-dept", "售后", "--assignee", "lisi", now="2026-11-18T11:40")
    repo.run("ticket", "resolve", t, as_="lisi", now="2026-11-20T16:30")
    r = repo.out("return", "new", "--kind", "self", "--order", "TB1", "--customer", "马先生", "--item", "HD-01:1",
                 now="2026-11-19T10:00")
    repo.run("return", "move", r, "approved", now="2026-11-19T10:10")
    repo.run("return", "move", r, "received", as_="chenck", now="2026-11-20T15:00")
    repo.run("score", "add", "--person", "zhangsan", "--code", "FOLLOWUP_LATE", "--date", "2026-11-21", as_="liubz",
             now="2026-11-21T18:00")
    return repo


NOW = "2026-11-23T17:00"

OVERDUE_TABLE_ZH = """\
逾期事项（截至 2026-11-23 17:00，逾期小时按工作时间计，回访按自然时间计）
编号               类型    待办    截止时间                   负责人    逾期小时
-----------------  ------  ------  -------------------------  --------  ----------
T-20261120-012345  工单    处理    2026-11-23T12:00:00+08:00  zhangsan  4
R-20261119-CDEFGH  退货    初检    2026-11-23T15:00:00+08:00  chenck    2
T-20261118-6789AB  工单    回访    2026-11-23T16:30:00+08:00  lisi      0.5"""

OVERDUE_CSV = """\
id,type,what,due,owner,overdue_hours
T-20261120-012345,ticket,resolve,2026-11-23T12:00:00+08:00,zhangsan,4.0
R-20261119-CDEFGH,return,inspect,2026-11-23T15:00:00+08:00,chenck,2.0
T-20261118-6789AB,ticket,callback,2026-11-23T16:30:00+08:00,lisi,0.5"""

OVERDUE_MARKDOWN_EN = """\
| id                | type   | what     | due                       | owner    | overdue_hours   |
|-------------------|--------|----------|---------------------------|----------|-----------------|
| T-20261120-012345 | ticket | resolve  | 2026-11-23T12:00:00+08:00 | zhangsan | 4               |
| R-20261119-CDEFGH | return | inspect  | 2026-11-23T15:00:00+08:00 | chenck   | 2               |
| T-20261118-6789AB | ticket | callback | 2026-11-23T16:30:00+08:00 | lisi     | 0.5             |"""


@pytest.mark.usefixtures("chinese")
def test_overdue_golden_outputs(fixed):
    assert fixed.out("report", "overdue", now=NOW) == OVERDUE_TABLE_ZH
    csv_text = fixed.out("report", "overdue", "--format", "csv", "--lang", "en", now=NOW)
    assert csv_text == OVERDUE_CSV           # (CliRunner shows the CRLF row ends as LF; a terminal gets no BOM)
    zh = fixed.out("report", "overdue", "--format", "csv", now=NOW)
    assert zh.startswith("编号,类型,待办,截止时间,负责人,逾期小时\n")
    fixed.run("report", "overdue", "--format", "csv", "--output", fixed.root / "overdue.csv", now=NOW)
    data = (fixed.root / "overdue.csv").read_bytes()     # a file for Excel/WPS on Chinese Windows: BOM, CRLF
    assert data.startswith("\ufeff编号,类型,待办".encode()) and data.endswith(b"\r\n") and data.count(b"\n") == \
        data.count(b"\r\n")
    assert fixed.out("report", "overdue", "--format", "markdown", "--lang", "en", now=NOW) == OVERDUE_MARKDOWN_EN
    rows = fixed.json("report", "overdue", now=NOW)
    # resolved Friday 16:30: the weekend does not count, the callback was due Monday 16:30 (002)
    assert rows[-1] == {"id": "T-20261118-6789AB", "type": "ticket", "what": "callback",
                        "due": "2026-11-23T16:30:00+08:00", "owner": "lisi", "overdue_hours": 0.5}
    assert [r["id"] for r in fixed.json("report", "overdue", "--owner", "chenck", now=NOW)] == ["R-20261119-CDEFGH"]
    assert [r["id"] for r in fixed.json("report", "overdue", "--type", "return", now=NOW)] == ["R-20261119-CDEFGH"]
    fixed.run("report", "overdue", "--fail-if-any", now=NOW, code=1)
    fixed.run("report", "overdue", "--fail-if-any", now="2026-11-20T09:00", code=0)


def test_chinese_table_columns_line_up():
    from wcwidth import wcswidth

    lines = OVERDUE_TABLE_ZH.splitlines()[1:]
    starts = [[m.start() for m in re.finditer(r"(?<=  )\S", line)] for line in lines]
    widths = [[wcswidth(line[:i]) for i in row] for line, row in zip(lines, starts)]
    assert all(w == widths[1] for w in widths[2:]) and widths[0] == widths[1]


@pytest.mark.usefixtures("chinese")
def test_scores_and_returns_reports_in_every_format(fixed):
    table = fixed.out("report", "scores", "--period", "2026-11", now=NOW)
    assert table.splitlines()[0].split() == ["人员", "姓名", "基础分", "扣分", "得分", "罚款", "旷工天数", "标记"]
    assert table.splitlines()[2].split()[:5] == ["zhangsan", "张三", "100", "0.5", "99.5"]
    rows = fixed.json("report", "scores", "--period", "2026-11", now=NOW)
    assert rows[0] == {"person": "zhangsan", "name": "张三", "base": 100, "deductions": 0.5, "score": 99.5,
                       "fines": 0, "absence_days": 0, "flags": []}
    assert fixed.out("report", "scores", "--period", "2026-11", "--format", "csv", now=NOW).splitlines()[1] == \
        "zhangsan,张三,100,0.5,99.5,0,0,[]"
    assert "| zhangsan" in fixed.out("report", "scores", "--period", "2026-11", "--format", "markdown", now=NOW)
    sheet = fixed.json("report", "returns", "--date", "2026-11-20", now=NOW)
    assert [(r["id"], r["kind"], r["status"], r["steps"]) for r in sheet] == [
        ("R-20261119-CDEFGH", "self", "received", ["received"])]
    assert fixed.out("report", "returns", "--date", "2026-11-20", "--format", "csv", "--lang", "en",
                     now=NOW).splitlines()[0] == "id,kind,status,order,customer,items,steps,refund,awaiting_vendor"
    assert fixed.out("report", "returns", "--date", "2026-11-20", "--format", "csv", now=NOW).splitlines()[0] == \
        "编号,种类,状态,订单,客户,商品,当日操作,退款,待退厂"


def test_stats_json_and_comparison_table(fixed):
    stats = fixed.json("report", "stats", "--period", "2026-11", now=NOW)
    assert stats["period"] == "2026-11"
    assert stats["total"]["registered"] == 2 and stats["total"]["resolved"] == 1
    complaint = stats["by_kind"]["complaint"]
    # resolved Fri 16:30, due Fri 11:20 (16 working hours from Wed 11:20): late; no callback yet
    assert complaint["callback_rate"] == 0.0 and complaint["on_time_rate"] == 0.0
    assert complaint["avg_resolve_hours"] == 20.17       # Wed 11:20 → Fri 16:30 in working hours
    assert set(stats["total"]["satisfaction"]) == {"1", "2", "3", "4", "5"}
    week = fixed.json("report", "stats", "--period", "2026-W47", now=NOW)
    assert week["from"] == "2026-11-16" and week["to"] == "2026-11-22"
    table = fixed.out("report", "stats", "--period", "2026-11", "--lang", "en", now=NOW)
    assert table.splitlines()[0] == "2026-11 (previous: 2026-10; satisfaction rate: satisfaction ≥ 3)"
    assert re.search(r"total\s+registered\s+2\s+0\s+\+2", table)
    fixed.refused("report", "stats", "--period", "2026-13", code=2)


def test_contacts_masked_everywhere_unless_revealed(fixed):
    for fmt in ("table", "csv", "markdown", "json"):
        assert "13155558888" not in fixed.out("ticket", "list", "--format", fmt, now=NOW)
    shown = fixed.json("ticket", "show", "T-20261120-012345", now=NOW)
    assert shown["customer"]["contact"] == "131****8888"
    assert fixed.json("ticket", "show", "T-20261120-012345", "--reveal", as_="zhaozg",
                      now=NOW)["customer"]["contact"] == "13155558888"
    assert "may not use --reveal" in fixed.refused("ticket", "show", "T-20261120-012345", "--reveal", now=NOW)


def _on_a_terminal(fixed, **env) -> str:
    """csops run with its stdout on a real pseudo-terminal; what it printed there."""
    import os
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    subprocess.run([sys.executable, "-m", "csops", "--records", str(fixed.records), "--now", NOW, "report", "overdue"],
                   stdout=slave, stderr=subprocess.DEVNULL, env={**base, "TERM": "xterm", **env}, check=True)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return out.decode("utf-8", "replace")


def test_colour_only_on_a_terminal_and_never_with_no_color_or_a_dumb_terminal(fixed):
    assert "\033[" not in fixed.out("report", "overdue", now=NOW)            # a pipe
    assert "\033[31m" in _on_a_terminal(fixed)                                # a terminal
    assert "\033[" not in _on_a_terminal(fixed, NO_COLOR="1")
    assert "\033[" not in _on_a_terminal(fixed, TERM="dumb")


@pytest.mark.usefixtures("chinese")
def test_monthly_html_is_self_contained(fixed, tmp_path):
    page = tmp_path / "m.html"
    fixed.run("report", "monthly", "--period", "2026-11", "--html", str(page), now="2026-11-30T18:00")
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html.lower()
    assert not re.search(r"""(src|href)=["']?https?:""", html) and "@import" not in html and "url(" not in html
    assert html.count("<svg") == 2 and 'id="chart-satisfaction"' in html and 'id="chart-kinds"' in html
    assert "T-20261118-6789AB" in html and "客服月报 2026-11" in html and "考核表" in html


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_monthly_html_renders_its_charts_in_chromium(fixed, tmp_path):
    for n, satisfaction in enumerate(("5", "4", "5")):
        t = fixed.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", f"客户{n}",
                      "--summary", "咨询", now=f"2026-11-24T1{n}:00")
        fixed.run("ticket", "resolve", t, now=f"2026-11-24T1{n}:10")
        fixed.run("ticket", "callback", t, "--outcome", "reached", "--satisfaction", satisfaction,
                  now=f"2026-11-24T1{n}:20")
    page = tmp_path / "m.html"
    fixed.run("report", "monthly", "--period", "2026-11", "--html", str(page), "--lang", "en",
              now="2026-11-30T18:00")
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1000,900",
                    page.as_uri()], capture_output=True, timeout=120, check=False)
    assert shot.exists(), "Chromium made no screenshot"
    pixels = _png_pixels(shot)
    blue = sum(1 for p in pixels if p[2] > 200 and p[0] < 100 and p[1] < 170)      # satisfaction bars #3f83f8
    green = sum(1 for p in pixels if p[1] > 130 and p[0] < 40 and p[2] < 140)      # by-kind bars #0e9f6e
    assert blue > 200 and green > 200, f"charts not visible (blue {blue}, green {green} pixels)"


def _chromium(tmp_path, *args):
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, timeout=120, check=False)


@pytest.mark.usefixtures("chinese")
def test_monthly_html_reads_on_a_phone_and_prints_on_a4(fixed, tmp_path):
    t = fixed.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "客户", "--summary", "咨询",
                  now="2026-11-24T10:00")
    fixed.run("ticket", "resolve", t, now="2026-11-24T10:10")
    fixed.run("ticket", "callback", t, "--outcome", "reached", "--satisfaction", "5", now="2026-11-24T10:20")
    page = tmp_path / "m.html"
    fixed.run("report", "monthly", "--period", "2026-11", "--html", str(page), now="2026-11-30T18:00")
    html = page.read_text()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "@page{size:A4" in html and "thead{display:table-header-group}" in html and "@media (max-width:600px)" in html
    assert "上月" in html and "满意率" in html                                   # month over month
    assert "+08:00" not in html.split("逾期事项")[1]                              # local times, no offsets
    assert '<td data-label="负责人">张三</td>' in html or '<td data-label="负责人">李四</td>' in html   # names, not ids
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    for width in (1200, 390):
        shot = tmp_path / f"shot{width}.png"
        _chromium(tmp_path, f"--screenshot={shot}", f"--window-size={width},2400", page.as_uri())
        assert shot.exists(), "Chromium made no screenshot"
        pixels = _png_pixels(shot)
        blue = sum(1 for p in pixels if p[2] > 200 and p[0] < 100 and p[1] < 170)      # satisfaction bars
        assert blue > 100, f"at {width} px the charts are not visible ({blue} blue pixels)"
        red = sum(1 for p in pixels if p[0] > 170 and p[1] < 80 and p[2] < 80)         # hours late (class late)
        assert red > 20, f"at {width} px the hours late are out of sight ({red} red pixels)"
    pdf = tmp_path / "m.pdf"
    _chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and re.search(rb"MediaBox \[0 0 59[45]\.\d+ 84[12]\.\d+\]", data)   # A4


def _png_pixels(path):
    """RGB pixels of a PNG (8-bit RGB/RGBA, as Chromium writes them), with zlib only."""
    import struct
    import zlib

    data = path.read_bytes()
    pos, chunks = 8, []
    width = height = colour = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, _, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    step = 4 if colour == 6 else 3
    stride = width * step
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - step] if x >= step else 0
            up, corner = previous[x], previous[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(line)
        previous = line
    return [tuple(row[x:x + 3]) for row in rows for x in range(0, stride, step)]


def test_policy_language_picks_the_labels_and_lang_overrides(fixed):
    policy = fixed.records / "policy.yaml"
    policy.write_text(policy.read_text().replace("language: zh", "language: en"))
    head = fixed.out("report", "overdue", now=NOW).splitlines()[1].split()
    assert head == ["id", "type", "what", "due", "owner", "overdue_hours"]
    assert fixed.out("report", "overdue", "--lang", "zh", now=NOW).splitlines()[1].split()[:2] == ["编号", "类型"]
    assert fixed.json("report", "overdue", "--lang", "zh", now=NOW)[0]["what"] == "resolve"   # JSON stays English


# -- the table format: tabulate's "simple" table, drawn by csops ------------------------------------

_CELL_TEXT = st.one_of(
    st.text(st.sampled_from("aZ09 -.:|_→（）\u3000\u00a0工单回访超时李\u0301\u200d\ufe0f\u2028\uff21😀❤\x1b\n\t\x7f\u202e"),
            max_size=12),
    st.sampled_from(["", " ", "True", "False", "12", " 3.50 ", "1e5", "-7", "nan", "T-20261119-ABC123",
                     "❤\ufe0f", "☀\ufe0f 晴"]),
    st.text(max_size=6),
)


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(st.fixed_dictionaries({"id": _CELL_TEXT, "status": st.sampled_from(["resolved", "closed", ""]),
                                             "summary": st.one_of(_CELL_TEXT, st.dictionaries(_CELL_TEXT, _CELL_TEXT,
                                                                                               max_size=2)),
                                             "overdue_hours": st.one_of(st.none(), st.floats(-1e6, 1e6), _CELL_TEXT)}),
                     min_size=1, max_size=6),
       lang=st.sampled_from(["zh", "en"]), color=st.booleans())
def test_the_table_is_the_one_tabulate_draws(rows, lang, color):
    """`--format table` prints what tabulate's "simple" format printed for the same cells,
    colors on a terminal included, for any text a record can hold."""
    from tabulate import tabulate

    from csops.render import BOLD, RED, RESET, cell, header, render

    columns = ["id", "status", "summary", "overdue_hours"]
    # the cells as render makes them, drawn by tabulate: the table it printed before csops drew its own
    heads = [header(c, lang) for c in columns]
    body = [[cell(row.get(c), lang) for c in columns] for row in rows]
    if color:
        body = [[f"{RED}{v}{RESET}" if c == "overdue_hours" and v else v for c, v in zip(columns, line)]
                for line in body]
        heads = [f"{BOLD}{h}{RESET}" for h in heads]
    assert render(rows, columns, "table", lang, color=color) == tabulate(body, heads, tablefmt="simple",
                                                                          disable_numparse=True)
