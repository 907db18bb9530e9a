"""Rule fidelity, round 2 (SPEC §3–§6 revised): each test cites the seed line its rule comes from."""

from __future__ import annotations

from tests.conftest import Repo


def complaint(repo: Repo, now: str, assignee="lisi", dept="售后") -> str:
    return repo.ticket(customer="王", summary="x", now=now, route_to=dept, assignee=assignee)


def test_an_inquiry_after_six_counts_on_the_next_working_day(repo):
    # 001: 18点前的留言归类为当天征询数据, 18点以后的征询归类为第二个工作日征询数据
    repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李", "--summary", "晚上留言",
             now="2026-11-30T19:00")                                          # Monday evening, the month's last day
    assert repo.json("report", "stats", "--period", "2026-11", now="2026-12-02T10:00")["total"]["registered"] == 0
    assert repo.json("report", "stats", "--period", "2026-12", now="2026-12-02T10:00")["total"]["registered"] == 1


def test_the_department_a_ticket_was_routed_to_resolves_it(repo):
    # 000: 相关部门需在规定时限内处理并反馈 — the warehouse assignee reports back by resolving
    record_id = complaint(repo, "2026-11-23T09:00", assignee="chenck", dept="仓库")
    out = repo.refused("ticket", "resolve", record_id, as_="qianzj", now="2026-11-23T10:00")
    assert "ROLE_NOT_ALLOWED qianzj (qc) may not resolve a ticket" in out
    repo.run("ticket", "resolve", record_id, as_="chenck", now="2026-11-23T10:00")
    assert repo.run("validate", "--history").exit_code == 0


def test_three_unreachable_calls_in_ten_minutes_are_one_attempt(repo):
    # 002: 如联系信息有误或3—5次联系不上的可做结案 — attempts count when callback_retry_min_hours apart
    record_id = complaint(repo, "2026-11-23T09:00")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-23T10:00")
    for minute in ("11:00", "11:05", "11:10"):
        repo.run("ticket", "callback", record_id, "--outcome", "unreachable", now=f"2026-11-23T{minute}")
    out = repo.refused("ticket", "close", record_id, now="2026-11-23T11:20")
    assert "CALLBACK_REQUIRED" in out and "at least 2 h apart; it has 1 such" in out
    repo.run("ticket", "callback", record_id, "--outcome", "unreachable", now="2026-11-23T13:10")
    repo.run("ticket", "callback", record_id, "--outcome", "unreachable", now="2026-11-23T15:10")
    repo.run("ticket", "close", record_id, now="2026-11-23T15:20")
    assert repo.json("ticket", "show", record_id)["closure"] == "unreachable"


def test_the_callback_clock_does_not_run_over_days_off(repo):
    # 002: 回访人员必须在24小时内给予客户回访 — days that are not working days do not count
    record_id = complaint(repo, "2026-11-20T09:00")
    repo.run("ticket", "resolve", record_id, as_="lisi", now="2026-11-20T17:00")     # Friday
    data = repo.json("ticket", "show", record_id, now="2026-11-23T09:30")
    assert data["callback_due"] == "2026-11-23T17:00:00+08:00" and data["overdue"] is False


def test_lunch_off_post_costs_every_agent_on_duty_but_not_one_on_leave(repo):
    # 001: 午餐时间轮流顶替,如出现脱岗状态,全体客服人员扣1分 — those on duty; lisi was on approved leave
    leave = repo.out("leave", "new", "--person", "lisi", "--kind", "personal", "--start", "2026-11-25",
                     "--end", "2026-11-25", as_="lisi", now="2026-11-20T09:00")
    repo.run("leave", "approve", leave, as_="liubz", now="2026-11-20T10:00")
    repo.run("score", "add", "--code", "LUNCH_OFF_POST", "--date", "2026-11-25", as_="liubz", now="2026-11-25T14:00")
    sheet = {r["person"]: r for r in repo.json("report", "scores", "--period", "2026-11", now="2026-11-30T18:00")}
    assert sheet["zhangsan"]["deductions"] == 1 and sheet["lisi"]["deductions"] == 0


def test_the_top_of_the_chain_is_approved_by_the_top_approvers(repo):
    # 000: 请事假要逐级办理 — and whoever has nobody above is approved by leave.top_approvers
    out = repo.refused("leave", "new", "--person", "wangjl", "--kind", "personal", "--start", "2026-12-07",
                       "--end", "2026-12-07", as_="wangjl", now="2026-11-20T09:00")
    assert "LEAVE_REFUSED" in out and "leave.top_approvers" in out
    policy = repo.records / "policy.yaml"
    policy.write_text(policy.read_text().replace("  top_approvers: []", "  top_approvers: [zhaozg]")
                      + "effective: 2026-11-20\n")
    repo.git("-c", "user.name=赵主管", "-c", "user.email=zhaozg@example.com", "commit", "-qam", "top approvers")
    leave = repo.out("leave", "new", "--person", "wangjl", "--kind", "personal", "--start", "2026-12-07",
                     "--end", "2026-12-07", as_="wangjl", now="2026-11-20T09:00")
    assert repo.json("leave", "show", leave, now="2026-11-20T09:00")["next_approver"] == "zhaozg"
    repo.run("leave", "approve", leave, as_="zhaozg", now="2026-11-20T10:00")
    assert repo.json("leave", "show", leave, now="2026-11-20T10:00")["status"] == "approved"


def test_absence_across_two_months_is_counted_once_in_each(repo):
    # 002: 病假满一天,必须持医疗单位证明方可生效 — and each absence day is counted in its own month, once
    leave = repo.out("leave", "new", "--person", "lisi", "--kind", "sick", "--start", "2026-10-29",
                     "--end", "2026-11-03", as_="lisi", now="2026-10-20T09:00")
    repo.run("leave", "approve", leave, as_="liubz", now="2026-10-20T10:00")
    repo.out("score", "derive", "--period", "2026-10", as_="liubz", now="2026-11-10T18:00")
    repo.out("score", "derive", "--period", "2026-11", as_="liubz", now="2026-11-10T18:00")
    events = sorted((e["date"], e["days"]) for e in repo.json("score", "list", now="2026-11-10T18:00")
                    if e["code"] == "ABSENT")
    assert events == [("2026-10-29", 2), ("2026-11-02", 2)]         # Oct 29–30, Nov 2–3 (a weekend between)
    assert repo.out("score", "derive", "--period", "2026-11", as_="liubz", now="2026-11-11T18:00") == ""


def test_a_certificate_attached_later_retracts_the_derived_absence(repo):
    leave = repo.out("leave", "new", "--person", "lisi", "--kind", "sick", "--start", "2026-11-02",
                     "--end", "2026-11-03", as_="lisi", now="2026-10-30T09:00")
    repo.run("leave", "approve", leave, as_="liubz", now="2026-10-30T10:00")
    derived = repo.out("score", "derive", "--period", "2026-11", as_="liubz", now="2026-11-10T18:00")
    repo.run("leave", "certify", leave, "--certificate", "市一医院-017", as_="lisi", now="2026-11-11T09:00")
    result = repo.run("score", "derive", "--period", "2026-11", as_="liubz", now="2026-11-12T18:00")
    assert f"1 retracted ({derived})" in result.stderr
    event = repo.json("score", "show", derived, now="2026-11-12T18:00")
    assert event["status"] == "revoked" and event["history"][-1]["action"] == "retract"
    assert repo.json("report", "scores", "--period", "2026-11", now="2026-11-30T18:00")[0]["absence_days"] == 0
    assert repo.run("validate", "--history").exit_code == 0


def test_only_derived_events_are_retracted(repo):
    event = repo.out("score", "add", "--person", "lisi", "--code", "PHONE_RINGS", as_="liubz", now="2026-11-23T10:00")
    path = repo.path_of(event)
    path.write_text(path.read_text().replace("status: recorded", "status: revoked")
                    + "- at: 2026-11-23T11:00:00+08:00\n  by: liubz\n  from: recorded\n  to: revoked\n"
                      "  action: retract\n  note: x\n")
    assert "NOT_DERIVED only an event `score derive` recorded is retracted by it" in repo.run("validate", code=1).stdout


def test_score_events_and_sheets_concern_customer_service_only(repo):
    # 001 is customer service's list (客服部绩效考核): not the warehouse's
    out = repo.refused("score", "add", "--person", "chenck", "--code", "PHONE_RINGS", as_="liubz",
                       now="2026-11-23T10:00")
    assert "chenck is warehouse: score events concern customer-service roles" in out
    people = {r["person"] for r in repo.json("report", "scores", "--period", "2026-11", now="2026-11-30T18:00")}
    assert people == {"wangjl", "zhaozg", "liubz", "zhangsan", "lisi"}


def test_leaving_early_is_absence_like_lateness_and_first_reply_slow_costs_a_point(repo):
    # 002: 不迟到,不早退 — 早退 like 迟到: ≥ 30 minutes half a day, ≥ 60 a day;
    # 001: 首句征询必须在45秒内回复客人
    repo.run("score", "add", "--person", "lisi", "--code", "EARLY_LEAVE", "--minutes", "40", "--date", "2026-11-23",
             as_="liubz", now="2026-11-23T18:00")
    repo.run("score", "add", "--person", "lisi", "--code", "FIRST_REPLY_SLOW", "--date", "2026-11-23", as_="liubz",
             now="2026-11-23T18:00")
    row = {r["person"]: r for r in repo.json("report", "scores", "--period", "2026-11", now="2026-11-30T18:00")}["lisi"]
    assert row["absence_days"] == 0.5 and row["deductions"] == 1


def test_an_inquiry_resolved_without_a_note_is_message_late(repo):
    # 001: 晚上的留言第二个工作日12点之前必须解决完毕 … 留言未在次日12点前处理完/无批注
    record_id = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李",
                         "--summary", "x", now="2026-11-23T10:00")
    repo.run("ticket", "resolve", record_id, now="2026-11-23T11:00")                       # on time, no note
    repo.out("score", "derive", "--period", "2026-11", as_="liubz", now="2026-11-30T18:00")
    events = [e for e in repo.json("score", "list", now="2026-11-30T18:00") if e["ref"] == record_id]
    assert [(e["code"], e["person"]) for e in events] == [("MESSAGE_LATE", "zhangsan")]


# -- returns (000: 电商售后的退货流程规范) ------------------------------------------------------------

def _return(repo, kind, *items, as_="zhangsan", now="2026-11-23T10:00"):
    args = ["return", "new", "--kind", kind, "--order", "TB1", "--customer", "赵女士"]
    for item in items:
        args += ["--item", item]
    return repo.out(*args, as_=as_, now=now)


def _self_to_inspected(repo, *items, counts=()):
    record_id = _return(repo, "self", *items)
    repo.run("return", "move", record_id, "approved", now="2026-11-23T10:10")
    repo.run("return", "move", record_id, "received", *counts, as_="chenck", now="2026-11-23T11:00")
    repo.run("return", "move", record_id, "inspected", as_="chenck", now="2026-11-23T12:00")
    return record_id


def _suppliers(repo, mapping: str):
    policy = repo.records / "policy.yaml"
    policy.write_text(policy.read_text().replace("  suppliers: {}", f"  suppliers: {mapping}") + "effective: 2026-11-20\n")
    repo.git("-c", "user.name=赵主管", "-c", "user.email=zhaozg@example.com", "commit", "-qam", "suppliers")


def test_the_warehouse_registers_parcels_that_come_back_but_not_self_returns(repo):
    # 000: 跟单员收到快递员返回的货品 — in-transit and refused parcels start at the warehouse
    for kind in ("transit", "refused"):
        record_id = _return(repo, kind, "C300:1", as_="chenck")
        assert repo.json("return", "show", record_id)["created_by"] == "chenck"
    out = repo.refused("return", "new", "--kind", "self", "--order", "TB1", "--customer", "x", "--item", "C300:1",
                       as_="chenck", now="2026-11-23T10:00")
    assert "ROLE_NOT_ALLOWED chenck (warehouse) may not request a return" in out
    assert repo.run("validate", "--history").exit_code == 0


def test_the_receipt_counts_what_arrived_and_qc_judges_that(repo):
    # 000: 仓库收货时清点数量并签收 — two of three arrived
    record_id = _return(repo, "self", "A100:3", "B200:1")
    repo.run("return", "move", record_id, "approved", now="2026-11-23T10:10")
    assert "only 3 were returned" in repo.refused("return", "move", record_id, "received", "--item", "A100=4",
                                                  as_="chenck", now="2026-11-23T11:00")
    assert "nothing arrived" in repo.refused("return", "move", record_id, "received", "--item", "A100=0",
                                             "--item", "B200=0", as_="chenck", now="2026-11-23T11:00")
    assert "not an item of return" in repo.refused("return", "move", record_id, "received", "--item", "Z9=1",
                                                   as_="chenck", now="2026-11-23T11:00", code=2)
    assert "SKU=N" in repo.refused("return", "move", record_id, "received", "--item", "A100=good",
                                   as_="chenck", now="2026-11-23T11:00", code=2)
    repo.run("return", "move", record_id, "received", "--item", "A100=2", as_="chenck", now="2026-11-23T11:00")
    items = repo.json("return", "show", record_id)["items"]
    assert [(i["sku"], i["qty"], i.get("received")) for i in items] == [("A100", 3, 2), ("B200", 1, 1)]
    repo.run("return", "move", record_id, "inspected", as_="chenck", now="2026-11-23T12:00")
    out = repo.refused("return", "move", record_id, "qc_checked", "--item", "A100=good:2,defective:1",
                       "--item", "B200=good", as_="qianzj", now="2026-11-23T13:00")
    assert "good + defective must equal the 2 received" in out
    repo.run("return", "move", record_id, "qc_checked", "--item", "A100=good:1,defective:1", "--item", "B200=good",
             as_="qianzj", now="2026-11-23T13:00")
    assert repo.json("return", "show", record_id)["awaiting_vendor"] == {"A100": 1}
    path = repo.path_of(record_id)
    path.write_text(path.read_text().replace("received: 2", "received: 5"))
    out = repo.run("validate", code=1).stdout
    assert "QUANTITY items[0] A100: received 5 but the return lists 3" in out


def test_an_all_good_self_return_goes_back_to_the_customer(repo):
    # 000: 良品…寄回客户, 来回运费由客户承担 — nothing refunded, the warehouse ships it back
    record_id = _self_to_inspected(repo, "A100:2")
    repo.run("return", "move", record_id, "qc_checked", "--item", "A100=good", as_="qianzj", now="2026-11-23T13:00")
    assert repo.json("return", "show", record_id, now="2026-11-23T13:00")["waiting_for"] == "send_back"
    out = repo.refused("return", "move", record_id, "refunded", "--amount", "10", as_="zhoucw", now="2026-11-23T14:00")
    assert "ILLEGAL_TRANSITION" in out and "every item passed the QC check" in out
    assert "ILLEGAL_TRANSITION" in repo.refused("return", "move", record_id, "exchanged", now="2026-11-23T14:00")
    assert "--tracking" in repo.refused("return", "move", record_id, "sent_back", as_="chenck",
                                        now="2026-11-23T14:00", code=2)
    rows = repo.json("report", "overdue", "--type", "return", now="2026-11-25T09:00")
    assert [(r["what"], r["owner"], r["due"]) for r in rows] == [("send_back", "chenck", "2026-11-24T13:00:00+08:00")]
    repo.run("return", "move", record_id, "sent_back", "--tracking", "SF99", "--freight", "12", as_="chenck",
             now="2026-11-24T10:00")
    data = repo.json("return", "show", record_id)
    assert data["sent_back"] == {"at": "2026-11-24T10:00:00+08:00", "items": [{"sku": "A100", "qty": 2}],
                                 "tracking": "SF99", "freight": "12.00"}
    repo.run("return", "move", record_id, "closed", as_="chenck", now="2026-11-24T11:00")
    assert repo.run("validate", "--history").exit_code == 0


def test_a_mixed_return_refunds_the_defective_and_sends_the_good_back(repo):
    # 000: 次品退款或换货, 良品寄回客户 — on the same step
    record_id = _self_to_inspected(repo, "A100:2", "B200:1")
    repo.run("return", "move", record_id, "qc_checked", "--item", "A100=good:1,defective:1", "--item", "B200=good",
             as_="qianzj", now="2026-11-23T13:00")
    out = repo.refused("return", "move", record_id, "sent_back", "--tracking", "SF1", as_="chenck",
                       now="2026-11-23T14:00")
    assert "only a self-return whose every item passed" in out
    repo.run("return", "move", record_id, "refunded", "--amount", "99", "--tracking", "SF7", as_="zhoucw",
             now="2026-11-23T14:00")
    data = repo.json("return", "show", record_id)
    assert data["sent_back"]["items"] == [{"sku": "A100", "qty": 1}, {"sku": "B200", "qty": 1}]
    assert data["sent_back"]["tracking"] == "SF7"
    path = repo.path_of(record_id)
    path.write_text(path.read_text().replace("tracking: SF7", "tracking: SF8"))
    repo.git("-c", "user.name=x", "-c", "user.email=x@example.com", "commit", "-qam", "hand edit")
    assert "FIELD_REWRITTEN" in repo.run("validate", "--history", code=1).stdout


def test_vendor_notes_go_to_each_items_own_supplier(repo):
    # 000: 采购部定期开具退厂单 — power banks do not land on the appliance maker's note
    _suppliers(repo, "{PB-: 深圳电源, KB-: 美的}")
    first = _self_to_inspected(repo, "PB-10:1", "KB-2:1", "X-1:1")
    second = _self_to_inspected(repo, "KB-3:1@格力")
    repo.run("return", "move", first, "qc_checked", "--item", "PB-10=defective", "--item", "KB-2=defective",
             "--item", "X-1=defective", as_="qianzj", now="2026-11-23T13:00")
    repo.run("return", "move", second, "qc_checked", "--item", "KB-3=defective", as_="qianzj", now="2026-11-23T13:00")
    items = {i["sku"]: i.get("supplier") for i in repo.json("return", "show", first)["items"]}
    assert items == {"PB-10": "深圳电源", "KB-2": "美的", "X-1": None}
    outstanding = repo.json("report", "vendor", "--supplier", "美的")
    assert [(r["return"], r["sku"], r["vendor_note"]) for r in outstanding] == [(first, "KB-2", "outstanding")]
    result = repo.run("return", "vendor", "--supplier", "美的", as_="suncg", now="2026-11-24T10:00")
    assert f"{first}  KB-2 × 1" in result.stdout and "PB-10" not in result.stdout and "KB-3" not in result.stdout
    assert "1 defective item(s) with no known supplier were left out" in result.stderr
    out = repo.refused("return", "vendor", "--supplier", "美的", second, as_="suncg", now="2026-11-24T10:00")
    assert "go back to 格力, not 美的" in out
    assert "no defective items of 美的" in repo.refused("return", "vendor", "--supplier", "美的", as_="suncg",
                                                       now="2026-11-24T10:00")
    repo.run("return", "vendor", "--supplier", "深圳电源", first, as_="suncg", now="2026-11-24T11:00")  # + X-1
    rows = repo.json("report", "vendor")
    assert {(r["supplier"], r["sku"], r["vendor_note"] == "outstanding") for r in rows} == {
        ("美的", "KB-2", False), ("深圳电源", "PB-10", False), ("深圳电源", "X-1", False), ("格力", "KB-3", True)}
    first_path = repo.path_of(first)
    first_path.write_text(first_path.read_text().replace("supplier: 美的", "supplier: 格力", 1))
    assert "BAD_VENDOR_NOTE" in repo.run("validate", code=1).stdout


def test_the_receipt_may_change_only_the_count_received_of_each_item(repo):
    # found by an adversarial pass: a hand-made receipt raised the quantity and changed the supplier
    record_id = _return(repo, "self", "JK-M:1")
    repo.run("return", "move", record_id, "approved", now="2026-11-23T10:10")
    path = repo.path_of(record_id)
    text = path.read_text()
    text = text.replace("  qty: 1\n", "  qty: 5\n  received: 5\n  supplier: 我的朋友公司\n").replace(
        "status: approved", "status: received")
    text += "- at: 2026-11-23T11:00:00+08:00\n  by: chenck\n  from: approved\n  to: received\n"
    path.write_text(text)
    repo.git("-c", "user.name=陈仓管", "-c", "user.email=chenck@example.com", "commit", "-qam", "received")
    out = repo.run("validate", "--history", code=1).stdout
    assert "FIELD_REWRITTEN" in out and "changes items of" in out and "'qty': 5" in out
