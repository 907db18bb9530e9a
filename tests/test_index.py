"""The parse cache behind validate and report overdue: never stale, never trusted when corrupt."""

def inquiry(repo, now="2026-11-23T10:00"):
    return repo.ticket("inquiry", channel="chat", customer="李", summary="x", now=now)


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
    assert "kind: 'question' is not in the policy's tickets.kinds" in repo.run("validate", code=1).stdout


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
    assert "kind: 'inquirx' is not in the policy's tickets.kinds" in repo.run("validate", code=1).stdout


def test_a_corrupt_cache_is_rebuilt_not_trusted(repo):
    record_id = inquiry(repo)
    repo.run("validate")
    for garbage in (b"", b"\x00\x01garbage", cache_file(repo).read_bytes()[:100]):
        cache_file(repo).write_bytes(garbage)
        assert repo.run("validate").exit_code == 0
        rows = repo.json("report", "overdue", now="2026-11-30T10:00")
        assert [r["id"] for r in rows] == [record_id]


def test_a_cache_damaged_inside_a_column_is_removed_and_the_command_stops(repo):
    """A column whose lines no longer agree with the cache's table (its bytes damaged after it was
    written whole: the table is intact) is found as the command first reads it: one line, exit 1,
    the file removed — the next command rebuilds it and answers as before."""
    record_id = inquiry(repo)
    inquiry(repo)
    assert repo.run("validate").exit_code == 0
    data = cache_file(repo).read_bytes()
    at = data.index(b".yaml\n")                    # the tickets' paths: two lines made one
    cache_file(repo).write_bytes(data[:at] + b".yaml " + data[at + 6:])
    result = repo.run("ticket", "list", code=1)
    assert result.stdout == ""
    assert "the record cache" in result.stderr and "was damaged; it has been removed" in result.stderr
    assert "run the command again" in result.stderr and "Traceback" not in result.stderr
    assert not cache_file(repo).exists()
    assert record_id in repo.out("ticket", "list")
    assert repo.run("validate").exit_code == 0 and cache_file(repo).exists()
    data = cache_file(repo).read_bytes()
    at = data.index(b"tickets/")                    # a path's bytes no longer UTF-8
    cache_file(repo).write_bytes(data[:at] + b"\xff\xfe" + data[at + 2:])
    result = repo.run("report", "overdue", code=1)
    assert "was damaged; it has been removed" in result.stderr and not cache_file(repo).exists()
    assert repo.run("validate").exit_code == 0


def test_a_policy_change_starts_afresh(repo):
    record_id = inquiry(repo, now="2026-11-23T10:00")      # due 18:00 that day
    assert repo.json("report", "overdue", now="2026-11-23T19:00")[0]["id"] == record_id
    policy = repo.records / "policy.yaml"
    policy.write_text(policy.read_text().replace('same_day_due: "18:00"', 'same_day_due: "20:00"')
                      + "effective: 2026-11-01\n")        # back-dated: the rule applies to this record too
    assert repo.json("report", "overdue", now="2026-11-23T19:00") == []


def test_the_overdue_report_sees_an_uncommitted_change(repo):
    record_id = inquiry(repo)
    assert [r["id"] for r in repo.json("report", "overdue", now="2026-11-24T10:00")] == [record_id]
    path = repo.path_of(record_id)
    path.write_text(path.read_text().replace("status: registered", "status: resolved") +
                    "- at: 2026-11-23T11:00:00+08:00\n  by: zhangsan\n  from: registered\n  to: resolved\n")
    assert repo.json("report", "overdue", now="2026-11-24T10:00") == []      # its follow-up is due at 18:00


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


# -- the small files every command parses (policy, defaults, people): parsed once per content ----

def parsed_file(repo):
    return repo.root / ".git" / "csops-cache" / "parsed.marshal"


def counting_parses(monkeypatch):
    """Every real parse of a policy-sized file (the cache's misses), as the texts parsed."""
    from csops import yamlio

    texts = []
    real = yamlio.load

    def load(text, *args, **kwargs):
        if kwargs.get("limit") == yamlio.POLICY_BYTES:
            texts.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(yamlio, "load", load)
    return texts


def test_the_policy_and_the_people_are_parsed_once_per_content(repo, monkeypatch):
    record_id = inquiry(repo)
    repo.run("validate")
    assert parsed_file(repo).exists()
    parses = counting_parses(monkeypatch)
    assert [r["id"] for r in repo.json("report", "overdue", now="2026-11-30T10:00")] == [record_id]
    assert repo.run("validate").exit_code == 0
    assert parses == []                                  # nothing parsed again: same bytes, same data
    # an edit, committed or not, is new bytes: parsed again, and what it says is what counts
    policy = repo.records / "policy.yaml"
    policy.write_text(policy.read_text().replace('same_day_due: "18:00"', 'same_day_due: "20:00"')
                      + "effective: 2026-11-01\n")
    assert repo.json("report", "overdue", now="2026-11-23T19:00") == []
    assert len(parses) == 1
    person = repo.records / "people" / "zhangsan.yaml"
    person.write_text(person.read_text().replace("role: agent", "role: agnet"))
    assert "zhangsan" in repo.run("validate", code=1).stdout
    assert len(parses) == 2


def test_a_file_that_does_not_parse_is_never_kept(repo):
    policy = repo.records / "policy.yaml"
    good = policy.read_text()
    policy.write_text(good + "timezone: [unclosed\n")
    for _ in range(2):                                    # the same error, with its line, every time
        result = repo.run("validate", code=1)
        assert "policy.yaml:" in result.stdout and "YAML" in result.stdout
    policy.write_text(good)
    assert repo.run("validate").exit_code == 0


def test_a_damaged_parse_cache_is_ignored_and_rewritten(repo):
    import marshal

    record_id = inquiry(repo)
    repo.run("validate")
    kept = marshal.loads(parsed_file(repo).read_bytes())
    for garbage in (b"", b"\x00\x01garbage", parsed_file(repo).read_bytes()[:50], marshal.dumps([1, 2]),
                    marshal.dumps({key: b"\xff" for key in kept}),
                    b"[\xff\xff\xff\x7f"):          # a list of 2**31 items: no memory for it
        parsed_file(repo).write_bytes(garbage)
        assert [r["id"] for r in repo.json("report", "overdue", now="2026-11-30T10:00")] == [record_id]
        assert repo.run("validate").exit_code == 0
        assert marshal.loads(parsed_file(repo).read_bytes()).keys() == kept.keys()


def test_the_parse_cache_keeps_to_its_budget():
    from csops import yamlio

    cache = yamlio.ParseCache()                   # in memory only
    cache.BUDGET = 2_000
    texts = [f"n: {i}\nnote: {'x' * 300}\n" for i in range(20)]
    for text in texts:
        assert cache.load(text, numbers=None) == {"n": int(text[3:text.index("\n")]), "note": "x" * 300}
    assert 0 < len(cache._used) < 6                 # the newest that fit, not all twenty
    assert cache.load(texts[-1], numbers=None)["n"] == 19


def test_a_read_served_from_the_caches_parses_nothing(repo):
    """Once the caches are warm, a listing or report imports no YAML parser at all."""
    import subprocess
    import sys

    inquiry(repo)
    script = ("import sys\nfrom csops.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
              "sys.stdout.write('\\n@' + ' '.join(sorted(m for m in ('yaml', 'ruamel.yaml') if m in sys.modules)))")
    for command in (["report", "overdue"], ["ticket", "list", "--status", "registered"], ["validate"]):
        argv = [sys.executable, "-c", script, "--records", str(repo.records), "--now", "2026-11-30T10:00", *command]
        first = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        again = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        assert again.rsplit("\n@", 1)[0] == first.rsplit("\n@", 1)[0]
        assert again.rsplit("\n@", 1)[1] == "", command
