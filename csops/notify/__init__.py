"""`csops notify overdue|daily|approvals|revisits --to TARGET`: a report as a message to the team's
chat (DingTalk, WeCom, Feishu, a webhook) or mailbox (004: 发布钉钉日报).

A target is named in the policy's `notify.targets` — `{kind, url_env, secret_env, to}` — and its
URL, token and secret come from environment variables only (the policy check refuses a policy that
holds one). The message is markdown in the policy's language, contacts masked, naming who owes
what; one that is too long for the platform is cut into several at line ends.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from csops.errors import BadInput
from csops.i18n import _, language
from csops.notify.platforms import LIMITS, SendFailed, post
from csops.vocab import NOTIFY_KINDS as KINDS

REPORTS = ("overdue", "daily", "approvals", "revisits")



class Message(NamedTuple):
    title: str
    lines: list          # markdown lines
    empty: bool          # nothing owed / nothing to report


def target_of(session, name: str) -> dict:
    notify = session.policy_file.section("notify")      # where to send is today's setting, not a rule of the past
    targets = (notify.get("targets") or {}) if notify else {}
    spec = targets.get(name) if isinstance(targets, dict) else None
    if not isinstance(spec, dict):
        raise BadInput(_("--to {name}: no such target in the policy's notify.targets", name=name),
                       _("targets: {names}", names=", ".join(map(str, targets)) if isinstance(targets, dict)
                         and targets else _("none")))
    if spec.get("kind") not in KINDS:
        raise BadInput(_("notify.targets.{name}.kind must be one of {names}", name=name, names=", ".join(KINDS)))
    return spec


def build(session, report: str, day) -> Message:
    """The report as markdown lines, in the policy's language."""
    zh = language() == "zh"
    names = {p.id: p.name for p in session.roster}
    who = (lambda pid: names.get(pid) or pid or "—") if zh else (lambda pid: pid or "-")
    if report == "overdue":
        from csops.reports.overdue import overdue_rows

        rows = overdue_rows(session)
        title = (f"逾期事项（截至 {session.now:%Y-%m-%d %H:%M}）" if zh
                 else f"Overdue as of {session.now:%Y-%m-%d %H:%M}")
        lines = [f"- {_word(r['type'], zh)} {r['id']} {_word(r['what'], zh)}：{who(r['owner'])}，逾期 "
                 f"{r['overdue_hours']:g} 小时" if zh else
                 f"- {r['type']} {r['id']} {r['what']}: {who(r['owner'])}, {r['overdue_hours']:g} h late" for r in rows]
        return Message(title, lines or [("无逾期事项。" if zh else "Nothing is overdue.")], not rows)
    if report == "daily":
        from csops.reports.daily import TOTAL, channels, daily

        rows, lead = daily(session, day.isoformat())
        title = f"日报 {day}" if zh else f"Daily report {day}"
        lines = []
        if lead:
            lines.append(f"值班长：{who(lead)}" if zh else f"duty lead: {lead}")
        by_channel = channels(session, day.isoformat())
        if by_channel:
            said = [f"{session.policy.label_of('channels', c) if zh else c} {n}" for c, n in by_channel.items()]
            lines.append(("渠道：" + "，".join(said)) if zh else ("by channel: " + ", ".join(said)))
        for r in rows:
            person = ("合计" if zh else "total") if r["person"] == TOTAL else who(r["person"])
            lines.append(f"- {person}：登记 {r['registered']}，处理 {r['resolved']}（按时 {r['on_time']}），回访 "
                         f"{r['callbacks']}，经手退货 {r['returns_handled']}" if zh else
                         f"- {person}: registered {r['registered']}, resolved {r['resolved']} ({r['on_time']} on "
                         f"time), callbacks {r['callbacks']}, returns {r['returns_handled']}")
        active = any(r["registered"] or r["resolved"] or r["callbacks"] for r in rows)
        return Message(title, lines, not active)
    if report == "approvals":
        owed = _owed(session, ("approve", "accept"), ("leave", "swap"))
        title = "待审批" if zh else "Waiting for approval"
        lines = []
        for owner in sorted(owed, key=str):
            items = "；".join(f"{_word(rtype, zh)} {rid}（{what}）" if zh else f"{rtype} {rid} ({what})"
                             for rid, rtype, what in owed[owner])
            lines.append(f"- {who(owner)}：{items}" if zh else f"- {who(owner)}: {items}")
        return Message(title, lines or [("无待审批事项。" if zh else "Nothing waits for approval.")], not owed)
    owed = _owed(session, ("revisit",), ("customer",), due_by=session.now)
    title = "待定期回访的客户" if zh else "Revisits due"
    lines = [f"- {who(owner)}" + ("：" + "、".join(rid for rid, _t, _w in items) if zh else
                                   ": " + ", ".join(rid for rid, _t, _w in items))
             for owner, items in sorted(owed.items(), key=lambda kv: str(kv[0]))]
    return Message(title, lines or [("无到期回访。" if zh else "No revisit is due.")], not owed)


def _word(value: str, zh: bool) -> str:
    from csops.render import STATE_LABELS

    return STATE_LABELS["zh"].get(value, value) if zh else value


def _owed(session, whats: tuple, rtypes: tuple, due_by=None) -> dict:
    """Owner → [(id, type, what)] of what the records owe now (not only what is late)."""
    out: dict = {}
    for rtype in rtypes:
        wf = session.workflow(rtype)
        for rec in session.ctx.records(rtype):
            for duty in wf.duties(rec.data, session.ctx):
                if duty.what in whats and (due_by is None or duty.due <= due_by):
                    out.setdefault(duty.owner, []).append((rec.data.get("id"), rtype,
                                                           _word(duty.what, language() == "zh")))
    return out


def chunks(message: Message, limit: int) -> list[str]:
    """The message's text cut at line ends into parts of at most `limit` bytes."""
    head = f"**{message.title}**\n\n"
    parts, current = [], head
    for line in message.lines:
        piece = line + "\n"
        if len((current + piece).encode()) > limit and current != head:
            parts.append(current.rstrip())
            current = head
        current += piece
    parts.append(current.rstrip())
    return parts


def send(session, report: str, target: str, *, day, dry_run: bool = False, fail_if_empty: bool = False) -> list:
    """Build the report and send it; returns the texts sent (or that would be)."""
    spec = target_of(session, target)
    message = build(session, report, day)
    if message.empty and fail_if_empty:
        return []
    kind = spec["kind"]
    texts = chunks(message, LIMITS[kind])
    if dry_run:
        return texts
    try:
        if kind == "email":
            from csops.notify.mail import send_mail

            send_mail(spec, message.title, texts)
            return texts
        url = _env(spec.get("url_env"), target, "url_env")
        secret = os.environ.get(spec["secret_env"]) if spec.get("secret_env") else None
        for text in texts:
            post(kind, url, message.title, text, secret)
    except SendFailed as exc:
        exc.texts = texts            # what was not sent, for the caller to show
        raise
    return texts


def _env(name, target: str, key: str) -> str:
    value = os.environ.get(name) if name else None
    if not value:
        raise SendFailed(_("notify.targets.{target}.{key}: set the environment variable {name}", target=target,
                           key=key, name=name or "?"))
    return value
