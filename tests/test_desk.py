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


def test_a_ticket_waiting_on_the_customer_does_not_run_late(repo):
    """Routed Mon 2026-11-23 10:00 (16 working hours: due Wed 10:00); waiting on the customer
    Mon 14:00 → Wed 14:00 is 16 service hours: the deadline moves to Fri 10:00."""
    record_id = repo.ticket("complaint", summary="发票抬头", route_to="售后", now="2026-11-23T10:00")
    assert repo.show("ticket", record_id)["due"] == "2026-11-25T10:00:00+08:00"
    repo.run("ticket", "wait", record_id, "--on", "customer", "--reason", "等客户提供税号", as_="lisi",
             now="2026-11-23T14:00")
    assert repo.show("ticket", record_id, "2026-11-24T10:00")["status"] == "waiting"
    assert record_id not in repo.out("report", "overdue", now="2026-11-26T10:00")      # the clock stopped
    repo.run("ticket", "resume", record_id, "--note", "客户已回复", as_="lisi", now="2026-11-25T14:00")
    assert repo.show("ticket", record_id, "2026-11-25T14:05")["due"] == "2026-11-27T10:00:00+08:00"
    repo.run("ticket", "resolve", record_id, "--note", "已重开", as_="lisi", now="2026-11-27T09:00")
    stats = repo.json("report", "stats", "--period", "2026-11", now="2026-11-30T10:00")
    assert stats["total"]["on_time_rate"] == 1.0 and stats["total"]["wait_hours"] == 16.0
    assert repo.run("validate", "--history", now="2026-11-30T10:00").exit_code == 0


def test_waiting_on_a_department_keeps_the_clock_and_a_long_wait_is_overdue(repo):
    record_id = repo.ticket("complaint", summary="少件", route_to="仓库", now="2026-11-23T10:00")
    repo.run("ticket", "wait", record_id, "--on", "department", "--reason", "等仓库查监控", as_="lisi",
             now="2026-11-23T11:00")
    late = repo.json("report", "overdue", now="2026-11-26T10:00")
    assert [(r["id"], r["what"]) for r in late] == [(record_id, "resolve")]
    other = repo.ticket("inquiry", summary="问发票", now="2026-11-23T10:00")
    repo.run("ticket", "wait", other, "--on", "customer", "--reason", "等客户回复", now="2026-11-23T10:30")
    rows = {(r["id"], r["what"]): r for r in repo.json("report", "overdue", now="2026-12-01T10:00")}
    assert (other, "wait") in rows and rows[(other, "wait")]["owner"] == "zhangsan"
    assert (other, "resolve") not in rows
    repo.run("ticket", "resolve", other, "--note", "客户已放弃", now="2026-12-01T11:00")     # resolved from waiting
    assert (other, "wait") not in {(r["id"], r["what"]) for r in repo.json("report", "overdue", now="2026-12-01T12:00")}
    complaint = repo.ticket("complaint", summary="未分派", now="2026-11-23T10:00")
    out = repo.refused("ticket", "wait", complaint, "--on", "customer", "--reason", "x", now="2026-11-23T10:10")
    assert "a complaint is routed before it waits" in out
    assert "--reason" in repo.run("ticket", "wait", other, "--on", "customer", code=2).output


def test_a_wait_and_a_re_route_made_in_two_clones_merge(repo):
    """The merge driver unites a wait and resume from one clone with a re-route from another:
    the history in time order, the status re-derived, the record valid."""
    from csops import yamlio
    from csops.merge import merge_texts

    record_id = repo.ticket("complaint", summary="破损", route_to="仓库", now="2026-11-23T10:00")
    path = repo.path_of(record_id)
    base = path.read_text()
    repo.run("ticket", "wait", record_id, "--on", "supplier", "--reason", "等厂家检测", as_="lisi", now="2026-11-23T11:00")
    repo.run("ticket", "resume", record_id, as_="lisi", now="2026-11-23T15:00")
    ours = path.read_text()
    doc = yamlio.rt_load(base)                  # the other clone re-routes it to 售后 later that day
    doc["department"] = "售后"
    doc["history"].append({"at": "2026-11-23T16:00:00+08:00", "by": "zhangsan", "from": "routed", "to": "routed",
                           "department": "售后", "assignee": "lisi"})
    theirs = yamlio.rt_dump(doc)
    result = merge_texts(base, ours, theirs)
    assert result.conflicts == [] and result.cannot_stand is None
    merged = yamlio.load(result.text)
    assert [e["to"] for e in merged["history"]] == ["registered", "routed", "waiting", "routed", "routed"]
    assert merged["status"] == "routed" and merged["department"] == "售后" and "waiting_on" not in merged
    path.write_text(result.text)
    assert repo.run("validate", now="2026-11-23T17:00").exit_code == 0


def test_a_tier_a_customer_is_urgent_revisited_every_30_days_and_masked(repo):
    card = repo.out("customer", "set", "138-1234-5678", "--tier", "A", "--name", "王女士", "--owner", "zhangsan",
                    "--reason", "年消费超十万", as_="liubz", now="2026-11-02T10:00")
    assert card.startswith("C-20261102-")
    path = repo.path_of(card)
    assert "13812345678" in path.read_text() and "1381234" not in path.name     # in full only inside the card
    assert "may not set a customer" in repo.refused("customer", "set", "13900000000", "--tier", "B", "--reason", "x",
                                                    as_="zhangsan", now="2026-11-02T10:00")
    # a tier-A customer's complaint is urgent from registration: 8 working hours
    complaint = repo.ticket("complaint", contact="+86 13812345678", summary="破损", now="2026-11-23T10:00")
    shown = repo.show("ticket", complaint, "2026-11-23T10:05")
    assert shown["level"] == "urgent" and shown["tier"] == "A" and shown["due"] == "2026-11-24T10:00:00+08:00"
    # the first revisit is due 30 days after the card was set, for its owner
    rows = [(r["id"], r["what"], r["owner"]) for r in repo.json("report", "overdue", now="2026-12-03T10:00")]
    assert (card, "revisit", "zhangsan") in rows
    listed = repo.json("customer", "list", "--tier", "A", now="2026-12-03T10:00")
    assert listed[0]["key"] == "138****5678" and listed[0]["next_revisit"] == "2026-12-02T10:00:00+08:00"
    assert "13812345678" not in repo.out("customer", "list", now="2026-12-03T10:00")
    assert [r["id"] for r in repo.json("report", "revisits", "--tier", "A", now="2026-12-03T10:00")] == [card]
    repo.run("customer", "revisit", "13812345678", "--outcome", "unreachable", now="2026-12-03T11:00")
    assert (card, "revisit") in [(r["id"], r["what"]) for r in repo.json("report", "overdue", now="2026-12-03T12:00")]
    repo.run("customer", "revisit", "13812345678", "--outcome", "reached", "--satisfaction", "5", "--note", "介绍新品",
             now="2026-12-03T14:00")
    assert card not in repo.out("report", "overdue", now="2026-12-04T10:00")            # cleared when reached
    found = repo.json("customer", "show", "13812345678", now="2026-12-04T10:00")["customer"]
    assert (found["tier"], found["owner"], found["last_revisit"], found["next_revisit"]) == (
        "A", "zhangsan", "2026-12-03T14:00:00+08:00", "2027-01-02T14:00:00+08:00")
    agents = {r["person"]: r["revisits"] for r in repo.json("report", "agents", "--period", "2026-12",
                                                              now="2026-12-04T10:00")}
    assert agents["zhangsan"] == 2
    repo.run("customer", "set", "13812345678", "--tier", "B", "--reason", "降级", as_="zhaozg", now="2026-12-04T11:00")
    assert repo.json("customer", "list", now="2026-12-04T12:00")[0]["tier"] == "B"
    assert "--tier Z: not a tier in the policy's customers.tiers" in repo.refused(
        "customer", "set", "13812345678", "--tier", "Z", "--reason", "x", as_="zhaozg", now="2026-12-04T11:00", code=2)
    assert "this customer has no card" in repo.refused("customer", "revisit", "13900000000", "--outcome", "reached",
                                                       "--satisfaction", "3", now="2026-12-04T11:00", code=2)
    assert repo.run("validate", "--history", now="2026-12-04T12:00").exit_code == 0
