"""`report monthly --period YYYY-MM --html FILE`: one self-contained HTML page a supervisor can send
to management — the month's figures, the satisfaction distribution, what is overdue at the end
of the month, and the score sheet. Inline CSS and SVG only: no scripts, no fonts or images from
the network."""

from __future__ import annotations

import datetime as dt
from html import escape

from csops.render import cell, header

TEXT = {
    "zh": {"title": "客服月报", "figures": "本月工单", "satisfaction": "满意度分布", "by_kind": "按类别",
           "overdue": "逾期事项（截至 {at}）", "scores": "考核表", "none": "无", "generated": "生成于",
           "previous": "上月", "owner": "负责人",
           "sat": {"5": "5 高度满意", "4": "4 一般满意", "3": "3 无意见", "2": "2 有些不满意", "1": "1 极不满意"},
           "metrics": {"registered": "受理", "resolved": "处理", "closed": "关闭", "callbacks": "回访",
                       "callback_rate": "回访率", "on_time_rate": "及时率", "satisfaction_rate": "满意率",
                       "avg_resolve_hours": "平均处理工时"}},
    "en": {"title": "Customer service monthly report", "figures": "Tickets this month",
           "satisfaction": "Satisfaction", "by_kind": "By kind", "overdue": "Overdue (as of {at})",
           "scores": "Score sheet", "none": "none", "generated": "Generated", "previous": "last month",
           "owner": "owner",
           "sat": {str(n): str(n) for n in range(5, 0, -1)},
           "metrics": {m: m.replace("_", " ") for m in ("registered", "resolved", "closed", "callbacks",
                                                         "callback_rate", "on_time_rate", "satisfaction_rate",
                                                         "avg_resolve_hours")}},
}

CSS = """
body{font-family:-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
margin:32px;color:#1f2933;background:#fff;line-height:1.4}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;border-bottom:2px solid #e4e7eb;padding-bottom:4px}
.meta{color:#616e7c;font-size:13px}.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #e4e7eb;border-radius:8px;padding:10px 16px;min-width:110px}
.card b{display:block;font-size:22px}.card span{color:#616e7c;font-size:13px}
.card small{display:block;color:#616e7c;font-size:12px}.up{color:#057a55}.down{color:#c81e1e}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;font-size:13px;margin-top:6px}th,td{border:1px solid #e4e7eb;padding:4px 10px;text-align:left}
th{background:#f5f7fa}td.num{text-align:right}.late{color:#c81e1e;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:24px;margin-top:18px}.charts svg{max-width:100%;height:auto}
@media (max-width:600px){body{margin:12px;font-size:15px}h1{font-size:20px}
.card{flex:1 1 40%;min-width:0;padding:8px 10px}.card b{font-size:19px}table{font-size:14px}
th,td{white-space:nowrap}}
@media (max-width:480px){table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:auto}
table.stack thead{display:none}table.stack tr{border:1px solid #e4e7eb;border-radius:8px;margin:0 0 8px;padding:4px 8px}
table.stack td{border:none;padding:2px 0;white-space:normal;display:flex;justify-content:space-between;gap:12px}
table.stack td::before{content:attr(data-label);color:#616e7c;font-weight:400}}
@page{size:A4;margin:14mm}
@media print{body{margin:0;font-size:11px}.scroll{overflow:visible}thead{display:table-header-group}
tr,.card,svg{break-inside:avoid}h2{break-after:avoid}a{color:inherit}}
"""


def _pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _bar_chart(title: str, items: list[tuple[str, int]], colour: str, chart_id: str) -> str:
    """A horizontal bar chart as inline SVG."""
    width, row, label_w = 420, 28, 130
    top = max([v for _, v in items] + [1])
    height = row * len(items) + 36
    bars = []
    for i, (label, value) in enumerate(items):
        y = 28 + i * row
        length = int((width - label_w - 50) * value / top)
        bars.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="12">{escape(label)}</text>'
                    f'<rect x="{label_w}" y="{y}" width="{max(length, 1)}" height="20" fill="{colour}" rx="3"/>'
                    f'<text x="{label_w + length + 6}" y="{y + 15}" font-size="12">{value}</text>')
    return (f'<svg id="{chart_id}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}"><text x="0" y="16" font-size="14" font-weight="600">'
            f'{escape(title)}</text>{"".join(bars)}</svg>')


def _table(rows: list[dict], columns: list[str], lang: str, numeric=(), late=(), stack: bool = False) -> str:
    """A table; `stack`: on a phone (≤ 480 px) each row becomes a card of label–value lines, so
    every column (an overdue item's owner and hours late) shows without scrolling sideways."""
    if not rows:
        return f"<p>{TEXT[lang]['none']}</p>"
    head = "".join(f"<th>{escape(header(c, lang))}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            value = row.get(c)
            value = cell(value, lang)
            css = " ".join(x for x in ("num" if c in numeric else "", "late" if c in late else "") if x)
            label = f' data-label="{escape(header(c, lang))}"' if stack else ""
            cells.append(f'<td class="{css}"{label}>{escape(str(value))}</td>' if css else
                         f"<td{label}>{escape(str(value))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    table = '<table class="stack">' if stack else "<table>"
    return f"<div class=\"scroll\">{table}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"


def _card(metric: str, now, before, t) -> str:
    """One figure, with last month's beside it (环比)."""
    def show(value):
        return _pct(value) if metric.endswith("_rate") else ("—" if value is None else str(value))
    change = ""
    if now is not None and before is not None and now != before:
        delta = now - before
        text = f"{delta * 100:+.1f} pt" if metric.endswith("_rate") else f"{delta:+g}"
        good = delta > 0 if metric != "avg_resolve_hours" else delta < 0
        change = f' <em class="{"up" if good else "down"}">{escape(text)}</em>'
    return (f'<div class="card"><b>{escape(show(now))}</b><span>{escape(t["metrics"][metric])}</span>'
            f'<small>{escape(t["previous"])} {escape(show(before))}{change}</small></div>')


def monthly_html(session, period: str, lang: str) -> str:
    from csops.reports.overdue import COLUMNS as OVERDUE, overdue_rows
    from csops.reports.scores import COLUMNS as SCORES, score_rows
    from csops.timeutil import month_bounds
    from csops.reports.stats import ticket_stats
    from csops.timeutil import format_short, try_instant

    from csops.reports.stats import previous_period

    first, last = month_bounds(period)
    t = TEXT[lang]
    stats, before = ticket_stats(session, period, previous_period(period))
    total, before = stats["total"], before["total"]
    end_of_month = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=session.tz)
    as_of = min(session.now, end_of_month)
    names = {p.id: p.name for p in session.roster}
    overdue = [{**row, "owner": names.get(row["owner"], row["owner"]),
                "due": format_short(try_instant(row["due"], session.tz), session.tz)}
               for row in overdue_rows(session.as_of(as_of))]
    scores = score_rows(session, period)
    cards = "".join(_card(m, total[m], before[m], t) for m in t["metrics"])
    satisfaction = _bar_chart(t["satisfaction"], [(t["sat"][k], total["satisfaction"][k]) for k in "54321"],
                              "#3f83f8", "chart-satisfaction")
    def kind_label(kind: str) -> str:       # the policy's label (查询, 主动服务 …) under zh
        return session.policy.label_of("kinds", kind) if lang == "zh" else kind

    kinds = _bar_chart(t["by_kind"], [(kind_label(k), v["registered"]) for k, v in stats["by_kind"].items()],
                       "#0e9f6e", "chart-kinds")
    by_kind_rows = [{"kind": kind_label(k), **{m: (_pct(v[m]) if m.endswith("_rate") else v[m])
                                               for m in t["metrics"]}} for k, v in stats["by_kind"].items()]
    by_kind_table = _table(by_kind_rows, ["kind", *t["metrics"]], lang, numeric=tuple(t["metrics"]))
    for metric, label in t["metrics"].items():
        by_kind_table = by_kind_table.replace(f"<th>{escape(header(metric, lang))}</th>", f"<th>{escape(label)}</th>")
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(t['title'])} {escape(period)}</title><style>{CSS}</style></head>
<body>
<h1>{escape(t['title'])} {escape(period)}</h1>
<p class="meta">{escape(first.isoformat())} – {escape(last.isoformat())} · {escape(t['generated'])} {escape(format_short(session.now, session.tz))}</p>
<h2>{escape(t['figures'])}</h2>
<div class="cards">{cards}</div>
{by_kind_table}
<div class="charts">{satisfaction}{kinds}</div>
<h2>{escape(t['overdue'].format(at=format_short(as_of, session.tz)))}</h2>
{_table(overdue, OVERDUE, lang, numeric=("overdue_hours",), late=("overdue_hours",), stack=True)}
<h2>{escape(t['scores'])}</h2>
{_table(scores, [c for c in SCORES if c != "person"], lang, numeric=("base", "deductions", "score", "fines", "absence_days"))}
</body></html>
"""
