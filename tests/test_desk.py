"""The channels and kinds an e-commerce desk uses (from the policy), tickets that wait without
running late, and customer tiers with their regular revisits (客户分级, 004 1.4–1.5)."""

from __future__ import annotations


from tests.test_audit import edit, hand_commit


def test_channels_and_kinds_come_from_the_policy(repo):
    wechat = repo.ticket("inquiry", channel="wechat", summary="问发货", now="2026-11-23T10:00")
    assert repo.show("ticket", wechat, "2026-11-23T10:05")["channel"] == "wechat"
    out = repo.refused("ticket", "new", "--kind", "inquiry", "--channel", "unknown", "--customer", "x", "--summary", "y",
                       now="2026-11-23T10:00", code=2)
    assert "--channel unknown: not a channel in the policy's tickets.channels" in out and "qianniu" in out
    out = repo.refused("ticket", "new", "--kind", "praise", "--channel", "phone", "--customer", "x", "--summary", "y",
                       now="2026-11-23T10:00", code=2)
    assert "--kind praise: not a kind in the policy's tickets.kinds" in out and "proactive" in out
    # 查询 follows the inquiry rules: due by the cut-off, followed up the next day
    query = repo.ticket("query", channel="qianniu", summary="查物流", now="2026-11-23T10:00")
    assert repo.show("ticket", query, "2026-11-23T10:05")["due"] == "2026-11-23T18:00:00+08:00"
    repo.run("ticket", "resolve", query, "--note", "已告知", now="2026-11-23T11:00")
    assert repo.show("ticket", query, "2026-11-23T11:05")["callback_due"]
    # 主动服务: no deadline, no callback; counted in the day's report, by channel too
    proactive = repo.ticket("proactive", channel="douyin", summary="回访老客户", now="2026-11-23T10:30")
    shown = repo.show("ticket", proactive, "2026-11-25T10:00")
    assert shown["due"] is None and shown["overdue"] is False
    repo.run("ticket", "resolve", proactive, "--note", "已联系", now="2026-11-23T11:30")
    assert not repo.show("ticket", proactive, "2026-11-25T10:00").get("callback_due")
    assert proactive not in repo.out("report", "overdue", now="2026-11-30T10:00")
    daily = repo.out("report", "daily", "--date", "2026-11-23", now="2026-11-23T18:00")
    assert "by channel: qianniu 1, wechat 1, douyin 1" in daily
    stats = repo.json("report", "stats", "--period", "2026-11", now="2026-11-30T10:00")
    assert stats["by_kind"]["proactive"]["registered"] == 1 and stats["by_kind"]["query"]["registered"] == 1


def test_a_channel_dropped_later_still_reads_and_a_kind_needs_known_rules(repo):
    wechat = repo.ticket("inquiry", channel="wechat", summary="问价", now="2026-11-23T10:00")
    policy = repo.records / "policy.yaml"
    edit(policy, "wechat: 微信, douyin: 抖音", "wechat: ~, douyin: ~")
    hand_commit(repo, "zhaozg", "policy: no WeChat, no Douyin")
    assert repo.run("validate", now="2026-12-10T10:00").exit_code == 0
    assert repo.show("ticket", wechat, "2026-12-10T10:00")["channel"] == "wechat"
    assert "not a channel" in repo.refused("ticket", "new", "--kind", "inquiry", "--channel", "wechat", "--customer",
                                           "x", "--summary", "y", now="2026-12-10T10:00", code=2)
    edit(policy, "query: {label: 查询, rules: inquiry}", "query: {label: 查询, rules: complaint}")
    out = repo.run("validate", code=1, now="2026-12-10T10:00").stdout
    assert "BAD_POLICY tickets.kinds.query: rules must be one of inquiry, feedback, proactive" in out
