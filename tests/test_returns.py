"""Returns (SPEC §4): the three flows, roles per step, guards, deadlines, vendor notes, the sheet."""


def new(repo, kind="self", items=("A100:2", "B200:1"), now="2026-11-23T10:00", **extra):
    args = ["return", "new", "--kind", kind, "--order", "TB20261120-0081", "--customer", "赵女士"]
    for item in items:
        args += ["--item", item]
    for key, value in extra.items():
        args += [f"--{key}", value]
    return repo.out(*args, now=now, as_="zhangsan")


def move(repo, record_id, state, as_, now, *extra, code=0):
    return repo.run("return", "move", record_id, state, *extra, as_=as_, now=now, code=code)


def show(repo, record_id, now="2026-11-23T10:00"):
    return repo.show("return", record_id, now)


def self_return_to_qc(repo):
    record_id = new(repo)
    move(repo, record_id, "approved", "zhangsan", "2026-11-23T10:10")
    move(repo, record_id, "received", "chenck", "2026-11-23T14:00")
    move(repo, record_id, "inspected", "chenck", "2026-11-23T15:00")
    move(repo, record_id, "qc_checked", "qianzj", "2026-11-24T10:00", "--item", "A100=good:1,defective:1",
         "--item", "B200=defective")
    return record_id


def test_self_return_flow_end_to_end(repo):
    record_id = self_return_to_qc(repo)
    data = show(repo, record_id, now="2026-11-24T10:00")
    assert [(i["sku"], i["good"], i["defective"], i["result"]) for i in data["items"]] == [
        ("A100", 1, 1, "mixed"), ("B200", 0, 1, "defective")]
    assert data["due"] == "2026-11-25T10:00:00+08:00" and data["waiting_for"] == "refund"
    move(repo, record_id, "refunded", "zhoucw", "2026-11-24T16:00", "--amount", "259.90")
    move(repo, record_id, "closed", "chenck", "2026-11-24T17:00")
    data = show(repo, record_id)
    assert data["status"] == "closed" and data["refund"] == {"amount": "259.90", "at": "2026-11-24T16:00:00+08:00"}
    assert data["awaiting_vendor"] == {"A100": 1, "B200": 1}
    assert repo.run("validate", "--history").exit_code == 0


def test_exchange_branch(repo):
    record_id = self_return_to_qc(repo)
    move(repo, record_id, "exchanged", "zhangsan", "2026-11-24T11:00")
    move(repo, record_id, "closed", "chenck", "2026-11-24T12:00")
    assert show(repo, record_id)["status"] == "closed"


def test_transit_and_refused_flows(repo):
    transit = new(repo, kind="transit", items=("C300:1",))
    assert "only a self-return is approved" in repo.refused("return", "move", transit, "approved", now="2026-11-23T10:05")
    move(repo, transit, "received", "chenck", "2026-11-23T11:00")
    assert show(repo, transit, now="2026-11-23T11:00")["due"] == "2026-11-23T18:00:00+08:00"   # same working day
    assert "--tracking" in move(repo, transit, "reshipped", "chenck", "2026-11-23T12:00", code=2).output
    move(repo, transit, "reshipped", "chenck", "2026-11-23T12:00", "--tracking", "SF1234567890")
    move(repo, transit, "closed", "chenck", "2026-11-23T12:30")
    refused = new(repo, kind="refused", items=("D400:3",))
    move(repo, refused, "received", "chenck", "2026-11-23T11:00")
    move(repo, refused, "inspected", "chenck", "2026-11-23T12:00")
    move(repo, refused, "refunded", "zhoucw", "2026-11-23T13:00", "--amount", "88")
    move(repo, refused, "closed", "chenck", "2026-11-23T14:00")
    assert show(repo, refused)["refund"]["amount"] == "88.00"
    assert repo.run("validate").exit_code == 0


def test_each_step_only_by_its_department(repo):
    record_id = new(repo)
    assert "ROLE_NOT_ALLOWED" in repo.refused("return", "move", record_id, "approved", as_="chenck", now="2026-11-23T10:05")
    move(repo, record_id, "approved", "zhangsan", "2026-11-23T10:10")
    assert "ROLE_NOT_ALLOWED" in repo.refused("return", "move", record_id, "received", as_="zhangsan", now="2026-11-23T11:00")
    move(repo, record_id, "received", "chenck", "2026-11-23T11:00")
    move(repo, record_id, "inspected", "chenck", "2026-11-23T12:00")
    assert "ROLE_NOT_ALLOWED" in repo.refused("return", "move", record_id, "qc_checked", "--item", "A100=good",
                                              "--item", "B200=good", as_="chenck", now="2026-11-23T13:00")
    move(repo, record_id, "qc_checked", "qianzj", "2026-11-23T13:00", "--item", "A100=good", "--item", "B200=defective")
    assert "ROLE_NOT_ALLOWED" in repo.refused("return", "move", record_id, "refunded", "--amount", "10",
                                              as_="zhangsan", now="2026-11-23T14:00")
    defective = self_return_to_qc(repo)
    assert "ROLE_NOT_ALLOWED" in repo.refused("return", "vendor", "--supplier", "华东电子", defective,
                                              as_="zhangsan", now="2026-11-25T14:00")


def test_guards(repo):
    assert "positive whole number" in repo.refused("return", "new", "--kind", "self", "--order", "O1", "--customer",
                                                   "x", "--item", "A100:0", code=2)
    assert "SKU:QTY" in repo.refused("return", "new", "--kind", "self", "--order", "O1", "--customer", "x",
                                     "--item", "A100:1.5", code=2)
    record_id = new(repo)
    move(repo, record_id, "approved", "zhangsan", "2026-11-23T10:10")
    move(repo, record_id, "received", "chenck", "2026-11-23T11:00")
    move(repo, record_id, "inspected", "chenck", "2026-11-23T12:00")
    assert "must judge every item" in repo.refused("return", "move", record_id, "qc_checked", "--item", "A100=good",
                                                   as_="qianzj", now="2026-11-23T13:00")
    assert "not an item of return" in repo.refused("return", "move", record_id, "qc_checked", "--item", "A100=good",
                                                   "--item", "B200=good", "--item", "Z999=good", as_="qianzj",
                                                   now="2026-11-23T13:00", code=2)
    assert "must equal" in repo.refused("return", "move", record_id, "qc_checked", "--item", "A100=good:1,defective:2",
                                        "--item", "B200=good", as_="qianzj", now="2026-11-23T13:00")
    move(repo, record_id, "qc_checked", "qianzj", "2026-11-23T13:00", "--item", "A100=good", "--item", "B200=defective")
    for bad in ("0", "-5", "12.345", "abc"):
        repo.refused("return", "move", record_id, "refunded", "--amount", bad, as_="zhoucw", now="2026-11-23T14:00",
                     code=2)
    move(repo, record_id, "refunded", "zhoucw", "2026-11-23T14:00", "--amount", "12.34")
    assert "at most once" in repo.refused("return", "move", record_id, "refunded", "--amount", "1", as_="zhoucw",
                                          now="2026-11-23T15:00")
    assert "ILLEGAL_TRANSITION" in repo.refused("return", "move", record_id, "inspected", as_="chenck",
                                                now="2026-11-23T15:00")


def test_nothing_moves_backwards(repo):
    record_id = new(repo)
    move(repo, record_id, "approved", "zhangsan", "2026-11-23T10:10")
    move(repo, record_id, "received", "chenck", "2026-11-23T11:00")
    out = repo.refused("return", "move", record_id, "approved", as_="zhangsan", now="2026-11-23T12:00")
    assert "cannot approve" in out


def test_deadlines_and_overdue_rows(repo):
    record_id = new(repo, now="2026-11-20T10:00")
    move(repo, record_id, "approved", "zhangsan", "2026-11-20T10:10")
    move(repo, record_id, "received", "chenck", "2026-11-20T15:00")               # Friday afternoon
    assert show(repo, record_id, now="2026-11-20T15:00")["due"] == "2026-11-23T15:00:00+08:00"   # Monday
    rows = repo.json("report", "overdue", "--type", "return", now="2026-11-23T17:00")
    assert rows == [{"id": record_id, "type": "return", "what": "inspect", "due": "2026-11-23T15:00:00+08:00",
                     "owner": "chenck", "overdue_hours": 2.0}]


def test_vendor_notes_never_send_an_item_twice(repo):
    record_id = self_return_to_qc(repo)
    result = repo.run("return", "vendor", "--supplier", "华东电子", record_id, as_="suncg", now="2026-11-25T10:00")
    number = result.stdout.splitlines()[0]
    assert number.startswith("V-20261125-")
    data = show(repo, record_id)
    assert data["vendor_notes"][0]["items"] == [{"sku": "A100", "qty": 1}, {"sku": "B200", "qty": 1}]
    assert data["awaiting_vendor"] == {}
    assert "no defective items" in repo.refused("return", "vendor", "--supplier", "华东电子", record_id,
                                                as_="suncg", now="2026-11-25T11:00")
    assert "no defective items" in repo.refused("return", "vendor", "--supplier", "华东电子", as_="suncg",
                                                now="2026-11-25T11:00")
    path = repo.path_of(record_id)
    path.write_text(path.read_text().replace("qty: 1\nhistory", "qty: 5\nhistory"))
    text = path.read_text()
    text = text.replace("  - sku: B200\n    qty: 1", "  - sku: B200\n    qty: 4")
    path.write_text(text)
    assert "only 1 are defective" in repo.run("validate", code=1).stdout


def test_daily_return_sheet(repo):
    record_id = self_return_to_qc(repo)           # touched on 11-23 and 11-24
    other = new(repo, kind="transit", items=("C300:1",), now="2026-11-24T09:00")
    move(repo, record_id, "refunded", "zhoucw", "2026-11-24T16:00", "--amount", "100")
    rows = repo.json("report", "returns", "--date", "2026-11-24")
    assert [(r["id"], r["kind"], r["status"]) for r in rows] == sorted([(record_id, "self", "refunded"),
                                                                        (other, "transit", "requested")])
    mine = next(r for r in rows if r["id"] == record_id)
    assert mine["steps"] == ["qc_checked", "refunded"] and mine["refund"] == "100.00"
    assert mine["awaiting_vendor"] == {"A100": 1, "B200": 1}
    assert [r["id"] for r in repo.json("report", "returns", "--date", "2026-11-23")] == [record_id]
    assert "A100×2" in repo.out("report", "returns", "--date", "2026-11-24")


import pytest


@pytest.mark.parametrize("state, who, extra", [
    ("inspected", "zhangsan", ()),            # only the warehouse inspects
    ("received", "qianzj", ()),               # … and receives
])
def test_warehouse_steps_refused_to_others(repo, state, who, extra):
    record_id = new(repo)
    move(repo, record_id, "approved", "zhangsan", "2026-11-23T10:10")
    if state == "inspected":
        move(repo, record_id, "received", "chenck", "2026-11-23T11:00")
    assert "ROLE_NOT_ALLOWED" in repo.refused("return", "move", record_id, state, *extra, as_=who,
                                              now="2026-11-23T12:00")


def test_later_steps_refused_to_other_departments(repo):
    record_id = self_return_to_qc(repo)
    assert "ROLE_NOT_ALLOWED" in repo.refused("return", "move", record_id, "exchanged", as_="chenck",
                                              now="2026-11-24T11:00")
    move(repo, record_id, "exchanged", "zhangsan", "2026-11-24T11:00")
    assert "ROLE_NOT_ALLOWED" in repo.refused("return", "move", record_id, "closed", as_="zhangsan",
                                              now="2026-11-24T12:00")
    transit = new(repo, kind="transit", items=("C300:1",))
    move(repo, transit, "received", "chenck", "2026-11-23T11:00")
    assert "ROLE_NOT_ALLOWED" in repo.refused("return", "move", transit, "reshipped", "--tracking", "SF1",
                                              as_="zhoucw", now="2026-11-23T12:00")


def test_refund_and_reship_deadlines_in_the_overdue_report(repo):
    record_id = self_return_to_qc(repo)                     # QC check Tue 11-24 10:00 → refund due Wed 10:00
    transit = new(repo, kind="transit", items=("C300:1",), now="2026-11-27T09:00")
    move(repo, transit, "received", "chenck", "2026-11-27T17:00")   # Friday 17:00 → re-ship due Fri 18:00
    rows = {r["id"]: r for r in repo.json("report", "overdue", "--type", "return", now="2026-11-30T10:00")}
    assert rows[record_id]["what"] == "refund" and rows[record_id]["due"] == "2026-11-25T10:00:00+08:00"
    assert rows[record_id]["owner"] == "zhoucw" and rows[record_id]["overdue_hours"] == 24.0
    assert rows[transit]["what"] == "reship" and rows[transit]["due"] == "2026-11-27T18:00:00+08:00"
    assert rows[transit]["overdue_hours"] == 1.0             # Friday 18:00 → Monday 10:00: one working hour
