"""Generate a realistic, valid records repository of N records for benchmarks.

Five years of a team of 30 per 100,000 records: tickets (60%), returns (15%), leave (10%) and score events (15%) in
every state, each with a legal history made by people with the right roles, written as csops
writes them, then committed in one commit. Usage:

    python bench/generate.py --records 100000 /tmp/bench-repo
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import subprocess
import sys
from pathlib import Path

import yaml

from csops.bootstrap import import_year
from csops.templates import template_text

TZ = dt.timezone(dt.timedelta(hours=8))
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def team(groups: int = 2) -> list[dict]:
    """A manager, `groups` supervisors with two team leads of five agents each, and the back office."""
    people = [{"id": "mgr", "name": "经理", "role": "manager", "email": "mgr@bench.example"}]
    for s in range(groups):
        people.append({"id": f"sup{s}", "name": f"主管{s}", "role": "supervisor", "reports_to": "mgr"})
        for t in range(2):
            lead = f"lead{s}{t}"
            people.append({"id": lead, "name": f"班长{s}{t}", "role": "team_lead", "reports_to": f"sup{s}"})
            for a in range(5):
                people.append({"id": f"agent{s}{t}{a}", "name": f"客服{s}{t}{a}", "role": "agent", "reports_to": lead})
    for role in ("warehouse", "qc", "finance", "purchasing"):
        people.append({"id": role, "name": role, "role": role, "reports_to": "mgr"})
    for p in people:
        p["active"] = True
    return people


def stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


class Maker:
    def __init__(self, rng: random.Random, people: list[dict], holidays: set[str]):
        self.rng = rng
        self.holidays = holidays
        self.agents = [p["id"] for p in people if p["role"] == "agent"]
        self.leads = [p["id"] for p in people if p["role"] == "team_lead"]
        self.sups = [p["id"] for p in people if p["role"] == "supervisor"]
        self.boss = {p["id"]: p.get("reports_to") for p in people}
        self.leave_day: dict[str, dt.date] = {}
        self.ids: set[str] = set()

    END = dt.datetime(2026, 11, 20, 9, 0, tzinfo=TZ)

    def recent(self, moment: dt.datetime) -> bool:
        """Work older than a month is finished, as in a real team's repository."""
        return moment > self.END - dt.timedelta(days=30)

    def new_id(self, prefix: str, moment: dt.datetime) -> str:
        while True:
            rand = "".join(self.rng.choice(ALPHABET) for _ in range(6))
            record_id = f"{prefix}-{moment:%Y%m%d}-{rand}"
            if record_id not in self.ids:
                self.ids.add(record_id)
                return record_id

    def base(self, prefix: str, moment: dt.datetime, by: str, state: str) -> dict:
        return {"id": self.new_id(prefix, moment), "status": state, "created": stamp(moment), "created_by": by,
                "history": [{"at": stamp(moment), "by": by, "to": state}]}

    @staticmethod
    def step(rec: dict, moment: dt.datetime, by: str, to: str, **extra) -> None:
        entry = {"at": stamp(moment), "by": by, "from": rec["status"], "to": to, **extra}
        rec["history"].append(entry)
        rec["status"] = to

    def ticket(self, moment: dt.datetime) -> dict:
        rng, agent = self.rng, self.rng.choice(self.agents)
        kind = rng.choice(["complaint", "complaint", "inquiry", "feedback"])
        rec = self.base("T", moment, agent, "registered")
        rec.update({"kind": kind, "channel": rng.choice(["phone", "chat", "email"]), "level": "normal",
                    "customer": {"name": f"客户{rng.randint(1, 99999)}", "contact": f"13{rng.randint(10**8, 10**9 - 1)}"},
                    "summary": rng.choice(["商品破损", "咨询发货时间", "退款未到账", "建议增加客服时间"])})
        rec["history"][0] = {"at": rec["created"], "by": agent, "to": "registered"}
        depth = rng.choice([0, 1, 2, 3, 3, 3, 3]) if self.recent(moment) else 3
        t = moment
        if depth >= 1 or kind == "complaint":
            t += dt.timedelta(minutes=20)
            assignee = rng.choice(self.agents)
            rec.update({"department": "售后", "assignee": assignee})
            self.step(rec, t, agent, "routed", department="售后", assignee=assignee)
        if depth >= 2:
            t += dt.timedelta(hours=3)
            self.step(rec, t, rec.get("assignee", agent), "resolved")
        if depth >= 3:
            t += dt.timedelta(hours=20)
            rec["callbacks"] = [{"at": stamp(t), "by": agent, "outcome": "reached", "satisfaction": 4}]
            rec["closure"] = "satisfied"
            self.step(rec, t, agent, "closed", action="callback")
        return rec

    def return_(self, moment: dt.datetime) -> dict:
        rng, agent = self.rng, self.rng.choice(self.agents)
        kind = rng.choice(["self", "self", "transit"])
        rec = self.base("R", moment, agent, "requested")
        qty = rng.randint(1, 3)
        rec.update({"kind": kind, "order": f"TB{moment:%Y%m%d}-{rng.randint(1000, 9999)}",
                    "customer": f"客户{rng.randint(1, 99999)}", "items": [{"sku": f"SKU-{rng.randint(1, 500)}", "qty": qty}]})
        t = moment
        flow = ([("approved", agent), ("received", "warehouse"), ("inspected", "warehouse"), ("qc_checked", "qc"),
                 ("refunded", "finance"), ("closed", "warehouse")] if kind == "self" else
                [("received", "warehouse"), ("reshipped", "warehouse"), ("closed", "warehouse")])
        for state, by in flow[: rng.randint(1, len(flow)) if self.recent(moment) else len(flow)]:
            t += dt.timedelta(hours=2)
            if state == "qc_checked":
                item = rec["items"][0]
                item.update({"result": "defective", "good": 0, "defective": item["qty"]})   # refunded next
            if state == "refunded":
                rec["refund"] = {"amount": f"{rng.uniform(10, 900):.2f}", "at": stamp(t)}
            if state == "reshipped":
                rec["tracking"] = f"SF{rng.randint(10**9, 10**10 - 1)}"
            self.step(rec, t, by, state)
        return rec

    def leave(self, moment: dt.datetime) -> dict:
        rng, person = self.rng, self.rng.choice(self.agents)
        day = max(self.leave_day.get(person, moment.date()), moment.date() + dt.timedelta(days=rng.randint(5, 9)))
        while day.weekday() >= 5 or day.isoformat() in self.holidays:
            day += dt.timedelta(days=1)
        self.leave_day[person] = day + dt.timedelta(days=1)
        start = dt.datetime.combine(day, dt.time(9), tzinfo=TZ)
        asked = start - dt.timedelta(days=4)
        rec = self.base("L", asked, person, "requested")
        rec.update({"person": person, "kind": "personal", "start": stamp(start),
                    "end": stamp(dt.datetime.combine(day, dt.time(18), tzinfo=TZ)), "reason": "家中有事"})
        if rng.random() < 0.85 or not self.recent(asked):
            at = asked + dt.timedelta(hours=1)
            rec["approvals"] = [{"by": self.boss[person], "at": stamp(at)}]
            self.step(rec, at, self.boss[person], "approved")
        return rec

    def score(self, moment: dt.datetime) -> dict:
        rng = self.rng
        lead = rng.choice(self.leads)
        rec = self.base("S", moment, lead, "recorded")
        kind = rng.random()
        if kind < 0.02:                 # costs every active agent on duty: recorded without a person
            rec.update({"code": "LUNCH_OFF_POST", "date": moment.date().isoformat()})
        else:
            rec.update({"person": rng.choice(self.agents), "date": moment.date().isoformat(),
                        "code": rng.choice(["PHONE_RINGS", "AUTO_REPLY", "REPORT_LATE"])})
            if kind < 0.03:             # a fine, and dismissal at the third over a whole record
                rec.update({"code": "CUSTOMER_CONFLICT", "fine": rng.choice(["20.00", "30.00", "50.00"])})
        if rng.random() < 0.7 or not self.recent(moment):
            self.step(rec, moment + dt.timedelta(hours=1), rng.choice(self.sups), "confirmed")
        return rec


FOLDERS = {"T": "tickets", "R": "returns", "L": "leave", "S": "scores"}


def generate(root: Path, count: int, seed: int = 7, commit: bool = True) -> None:
    rng = random.Random(seed)
    records = root / "records"
    (records / "people").mkdir(parents=True, exist_ok=True)
    policy = template_text("policy.yaml")
    for year in range(2021, 2028):
        policy, _off, _worked = import_year(policy, "CN", year)
    (records / "policy.yaml").write_text(policy, encoding="utf-8")
    from csops import yamlio

    holidays = {str(d) for d in (yamlio.load((records / "policy.yaml").read_text())["calendar"]["holidays"] or {})}
    people = team(groups=max(2, 2 * count // 100_000))    # a team grows with its work: 30 people per 100,000 records
    for person in people:
        (records / "people" / f"{person['id']}.yaml").write_text(
            yaml.dump(person, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False), encoding="utf-8")
    maker = Maker(rng, people, holidays)
    first = dt.datetime(2021, 12, 1, 9, 0, tzinfo=TZ)
    span = (dt.datetime(2026, 11, 20, 9, 0, tzinfo=TZ) - first).total_seconds()
    kinds = ["ticket"] * 60 + ["return_"] * 15 + ["leave"] * 10 + ["score"] * 15
    moments = sorted(first + dt.timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    for moment in moments:
        moment = moment.replace(hour=rng.randint(9, 16), minute=rng.randint(0, 59), second=0, microsecond=0)
        rec = getattr(maker, rng.choice(kinds))(moment)
        rid = rec["id"]
        path = records / FOLDERS[rid[0]] / rid[2:6] / rid[6:8] / f"{rid}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.dump(rec, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False), encoding="utf-8")
    if commit:
        def git(*args):
            subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
        if not (root / ".git").exists():
            git("init", "-q")
        git("add", "-A")
        git("-c", "user.name=bench", "-c", "user.email=bench@bench.example", "commit", "-q", "-m",
            f"generated {count} records")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("root", type=Path)
    args = parser.parse_args(argv)
    if args.root.exists() and any(args.root.iterdir()):
        sys.exit(f"{args.root} is not empty")
    args.root.mkdir(parents=True, exist_ok=True)
    generate(args.root, args.records, args.seed)


if __name__ == "__main__":
    main()
