"""The parse cache behind validate and report overdue: never stale, never trusted when corrupt."""

def inquiry(repo, now="2026-11-23T10:00"):
    return repo.out("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李", "--summary", "x",
                    now=now)


def cache_file(repo):
    return repo.root / ".git" / "csops-cache" / "index-en.marshal"       # the suite reads English (conftest)


def test_validate_writes_the_cache_and_sees_an_uncommitted_change(repo):
    record_id = inquiry(repo)
    assert repo.run("validate").exit_code == 0
    assert cache_file(repo).exists()
    path = repo.path_of(record_id)
    path.write_text(path.read_text().replace("to: registered", "to: closed"))      # not committed
    assert "ILLEGAL_TRANSITION" in repo.run("validate", code=1).stdout
    repo.git("checkout", "--", str(path))
    assert repo.run("validate").exit_code == 0


def test_a_committed_change_is_seen(repo):
    record_id = inquiry(repo)
    repo.run("validate")
    path = repo.path_of(record_id)
    path.write_text(path.read_text().replace("kind: inquiry", "kind: question"))
    repo.git("commit", "-qam", "hand edit")
    assert "kind: 'question' is not one of" in repo.run("validate", code=1).stdout


def test_an_uncommitted_change_with_the_same_size_and_time_is_seen(repo):
    import os

    import time

    record_id = inquiry(repo)
    assert repo.run("validate").exit_code == 0
    # Git compares ctime to the second: an edit within the same second as the last `git status`
    # is invisible to Git itself (its "racy" window); one second later the ctime gives it away.
    time.sleep(1.1)
    path = repo.path_of(record_id)
    stat = path.stat()
    path.write_text(path.read_text().replace("kind: inquiry", "kind: inquirx"))     # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))                         # same mtime
    assert "kind: 'inquirx' is not one of" in repo.run("validate", code=1).stdout


def test_a_corrupt_cache_is_rebuilt_not_trusted(repo):
    record_id = inquiry(repo)
    repo.run("validate")
    for garbage in (b"", b"\x00\x01garbage", cache_file(repo).read_bytes()[:100]):
        cache_file(repo).write_bytes(garbage)
        assert repo.run("validate").exit_code == 0
        rows = repo.json("report", "overdue", now="2026-11-30T10:00")
        assert [r["id"] for r in rows] == [record_id]


def test_a_policy_change_starts_afresh(repo):
    record_id = inquiry(repo, now="2026-11-23T10:00")      # due 18:00 that day
    assert repo.json("report", "overdue", now="2026-11-23T19:00")[0]["id"] == record_id
    policy = repo.records / "policy.yaml"
    policy.write_text(policy.read_text().replace('same_day_due: "18:00"', 'same_day_due: "20:00"')
                      + "effective: 2026-11-01\n")        # back-dated: the rule applies to this record too
    assert repo.json("report", "overdue", now="2026-11-23T19:00") == []


def test_the_overdue_report_sees_an_uncommitted_change(repo):
    record_id = inquiry(repo)
    assert [r["id"] for r in repo.json("report", "overdue", now="2026-11-30T10:00")] == [record_id]
    path = repo.path_of(record_id)
    path.write_text(path.read_text().replace("status: registered", "status: resolved") +
                    "- at: 2026-11-23T11:00:00+08:00\n  by: zhangsan\n  from: registered\n  to: resolved\n")
    assert repo.json("report", "overdue", now="2026-11-30T10:00") == []


def test_parallel_bulk_load_reads_the_same_as_serial(repo):
    from csops.store import Store

    ids = {inquiry(repo, now=f"2026-11-23T10:0{n}") for n in range(4)}
    bad = repo.records / "tickets" / "2026" / "11" / "T-20261123-BAD000.yaml"
    bad.write_text("id: [\n")
    store = Store(repo.records)
    serial = store.load_type("ticket", jobs=1)
    parallel = store.load_type("ticket", jobs=2, parallel_from=1)
    assert [(r.path, r.data) for r in serial] == [(r.path, r.data) for r in parallel]
    assert {r.id for r in parallel if r.data} == ids
    broken = [r for r in parallel if r.error]
    assert len(broken) == 1 and broken[0].error.line == 2 and broken[0].path == bad
