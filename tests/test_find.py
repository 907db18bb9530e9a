"""Finding things 查找 (SPEC §14): filters on every list, `csops search`, and the same answers with
and without the record index."""

import json

import pytest


def _ticket(repo, summary, *, contact=None, order=None, customer="王女士", kind="complaint", now="2026-11-20T09:00",
            as_="zhangsan"):
    args = ["ticket", "new", "--kind", kind, "--channel", "phone", "--customer", customer, "--summary", summary]
    args += ["--contact", contact] if contact else []
    args += ["--order", order] if order else []
    return repo.out(*args, now=now, as_=as_)


@pytest.fixture
def desk(repo):
    made = {
        "pot": _ticket(repo, "收到的电饭煲内胆有划痕", contact="138-1234-5678", order="TB1234", now="2026-11-16T09:00"),
        "late": _ticket(repo, "快递延误三天", contact="13987654321", customer="李先生", now="2026-11-18T09:00",
                        as_="lisi"),
        "ask": _ticket(repo, "内胆材质咨询 Teflon", kind="inquiry", now="2026-11-19T09:00"),
    }
    repo.run("ticket", "route", made["pot"], "--to-dept", "售后", "--assignee", "lisi", now="2026-11-16T10:00")
    made["return"] = repo.out("return", "new", "--kind", "self", "--order", "TB1234", "--customer", "王女士",
                              "--item", "NEIDAN-3L:1", "--reason", "内胆划痕", now="2026-11-17T09:00")
    return made


def _ids(repo, *args, env=None):
    return [row["id"] for row in json.loads(repo.out(*args, "--format", "json", now="2026-11-23T10:00", env=env))]


def test_every_filter_narrows_the_list_and_they_combine(repo, desk):
    assert _ids(repo, "ticket", "list", "--assignee", "lisi") == [desk["pot"]]
    assert _ids(repo, "ticket", "list", "--by", "lisi") == [desk["late"]]
    assert _ids(repo, "ticket", "list", "--kind", "inquiry") == [desk["ask"]]
    assert _ids(repo, "ticket", "list", "--dept", "售后") == [desk["pot"]]
    assert _ids(repo, "ticket", "list", "--customer", "李先生") == [desk["late"]]
    assert _ids(repo, "ticket", "list", "--contact", "+86 138 1234 5678") == [desk["pot"]]    # normalized
    assert _ids(repo, "ticket", "list", "--contact", "13812345679") == []
    assert _ids(repo, "ticket", "list", "--order", "TB1234") == [desk["pot"]]
    assert _ids(repo, "return", "list", "--order", "TB1234") == [desk["return"]]
    assert _ids(repo, "ticket", "list", "--since", "2026-11-18", "--until", "2026-11-18") == [desk["late"]]
    assert _ids(repo, "ticket", "list", "--status", "routed", "--status", "registered", "--kind", "complaint") == \
        sorted([desk["pot"], desk["late"]])
    assert _ids(repo, "ticket", "list", "--text", "内胆", "--kind", "complaint") == [desk["pot"]]
    assert _ids(repo, "ticket", "list", "--text", "teflon") == [desk["ask"]]                 # ASCII case ignored
    assert _ids(repo, "ticket", "list", "--overdue", "--kind", "complaint") == sorted([desk["pot"], desk["late"]])
    assert _ids(repo, "ticket", "list", "--level", "urgent") == []
    assert _ids(repo, "leave", "list", "--person", "lisi") == []


def test_overdue_lists_what_is_late_at_that_moment_and_not_what_is_owed_later(repo, desk):
    """--overdue is what the overdue report names, moment by moment: a ticket that owes something
    not yet due is left out (the index's entries say by when each file owes; a deadline is worked
    out only for those past one)."""
    seen = set()
    for now in ("2026-11-16T09:30", "2026-11-17T17:00", "2026-11-18T12:00", "2026-11-19T17:00", "2026-11-20T18:00",
                "2026-11-23T10:00"):
        late = sorted({row["id"] for row in json.loads(repo.out("report", "overdue", "--format", "json", now=now))
                       if row["type"] == "ticket"})
        owing = [row["id"] for row in json.loads(repo.out("ticket", "list", "--format", "json", now=now))
                 if row["status"] in ("registered", "routed")]
        listed = [row["id"] for row in json.loads(repo.out("ticket", "list", "--overdue", "--format", "json", now=now))]
        assert listed == late, now
        seen.add((len(listed), len(owing)))
    assert any(0 < late < owing for late, owing in seen), seen       # a moment with some owed, not yet late


def test_a_leave_request_still_waiting_at_its_start_is_overdue_in_the_list_as_in_the_report(repo):
    leave = repo.out("leave", "new", "--person", "zhangsan", "--kind", "sick", "--start", "2026-11-23T09:00",
                     "--end", "2026-11-23T18:00", "--reason", "肠胃炎", now="2026-11-22T20:00")
    for now, late in (("2026-11-23T08:30", []), ("2026-11-23T09:30", [leave])):
        named = [row["id"] for row in json.loads(repo.out("report", "overdue", "--format", "json", now=now))
                 if row["type"] == "leave"]
        assert named == late
        for env in (None, {"CSOPS_CACHE": "off"}):
            assert [row["id"] for row in json.loads(repo.out("leave", "list", "--overdue", "--format", "json",
                                                             now=now, env=env))] == late, (now, env)
    shown = json.loads(repo.out("leave", "show", leave, "--format", "json", now="2026-11-23T09:30"))
    assert shown["overdue"] is True and shown["due"].startswith("2026-11-23T09:00")
    repo.run("leave", "approve", leave, as_="liubz", now="2026-11-23T10:00", code=0)
    assert _ids(repo, "leave", "list", "--overdue") == []


@pytest.mark.parametrize("args, words", [
    (("ticket", "list", "--assignee", "nobody"), ["--assignee nobody", "nobody on the roster", "zhangsan"]),
    (("ticket", "list", "--kind", "praise"), ["--kind praise", "complaint, inquiry, feedback"]),
    (("ticket", "list", "--channel", "fax"), ["--channel fax", "phone"]),
    (("ticket", "list", "--status", "open"), ["--status open", "registered"]),
    (("score", "list", "--code", "NOPE"), ["--code NOPE"]),
    (("ticket", "list", "--contact", "1381"), ["whole phone number"]),
    (("ticket", "list", "--since", "11/20"), ["YYYY-MM-DD"]),
    (("ticket", "list", "--since", ""), ["--since", "YYYY-MM-DD"]),             # '' is no day, not "any day"
    (("ticket", "list", "--until", "2026-02-30"), ["--until", "YYYY-MM-DD"]),
    (("ticket", "list", "--since", "2026-11-20", "--until", "2026-11-01"), ["is after"]),
])
def test_an_unknown_value_is_refused_naming_the_choices(repo, args, words):
    out = repo.run(*args, code=2).output
    assert out.count("\n") == 1 and all(w in out for w in words), out


@pytest.mark.parametrize("contact", ["123", "not an email", ""])
def test_a_contact_no_customer_could_be_found_by_is_refused_when_a_record_is_made(repo, contact):
    """`--contact 123` was stored, and then no listing, customer show or repeat-caller check could
    ever find the customer by it (the filter refuses the same value)."""
    head = repo.git("rev-parse", "HEAD")
    for args in (["ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王", "--summary", "测"],
                 ["return", "new", "--kind", "self", "--order", "TB1", "--customer", "王", "--item", "NEIDAN-3L:1"]):
        out = repo.run(*args, "--contact", contact, code=2).output
        assert out.count("\n") == 1 and f"--contact {contact!r}" in out and "e-mail address" in out, out
    assert repo.git("rev-parse", "HEAD") == head and repo.status() == ""


def test_since_and_until_take_every_form_a_date_option_takes(repo, desk):
    for day in ("2026-11-18", "2026/11/18", "20261118", "2026年11月18日"):
        assert _ids(repo, "ticket", "list", "--since", day, "--until", day) == [desk["late"]], day


def test_an_empty_due_or_date_is_refused_not_taken_for_none_given(repo, desk):
    head = repo.git("rev-parse", "HEAD")
    for args, option in ((("ticket", "route", desk["late"], "--to-dept", "仓库", "--due", ""), "--due"),
                         (("score", "add", "--person", "lisi", "--code", "PHONE_RINGS", "--date", ""), "--date")):
        out = repo.run(*args, as_="liubz", code=2).output
        assert out.count("\n") == 1 and option in out, out
    out = repo.run("ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "李", "--summary", "问",
                   now="", code=2).output
    assert out.count("\n") == 1 and "--now" in out, out                  # not the real clock instead
    assert repo.git("rev-parse", "HEAD") == head and repo.status() == ""


def test_a_filter_a_type_does_not_have_is_no_option(repo):
    assert "No such option" in repo.run("leave", "list", "--channel", "phone", code=2).output


def test_search_finds_chinese_without_spaces_across_types_newest_first(repo, desk):
    rows = json.loads(repo.out("search", "内胆", "--format", "json"))
    assert [r["id"] for r in rows] == [desk["ask"], desk["return"], desk["pot"]]
    assert {r["type"] for r in rows} == {"ticket", "return"}
    assert "【内胆】" in rows[2]["snippet"] and rows[2]["when"] == "2026-11-16 09:00"
    assert [r["id"] for r in json.loads(repo.out("search", "内胆", "划痕", "--type", "ticket", "--format", "json"))] \
        == [desk["pot"]]                                                   # every word must match
    assert json.loads(repo.out("search", "内胆", "--limit", "1", "--format", "json"))[0]["id"] == desk["ask"]
    assert json.loads(repo.out("search", "TB1234", "--format", "json"))        # order numbers are text
    assert "3L" in repo.out("search", "NEIDAN", "--type", "return")            # items too


def test_a_contact_is_found_by_its_whole_value_only_and_shown_masked(repo, desk):
    _ticket(repo, "回电 13812345678 说明情况", now="2026-11-21T09:00")
    whole = json.loads(repo.out("search", "13812345678", "--format", "json"))
    assert [r["id"] for r in whole] == [desk["pot"]]          # by the customer key, not the number in a summary
    assert json.loads(repo.out("search", "1234567", "--format", "json")) == []   # never a fragment
    shown = json.loads(repo.out("search", "回电", "--format", "json"))
    assert "138****5678" in shown[0]["snippet"] and "13812345678" not in repo.out("search", "回电")


def test_an_order_number_with_a_long_run_of_digits_is_found_whole_or_in_part(repo, desk):
    """An order number of seven digits or more (TB20261101-0093, JD1234567) is text, not a
    contact: search finds it whole, by its letters and digits, and by a run of its digits alone."""
    order = _ticket(repo, "订单号查询", order="TB20261101-0093", now="2026-11-21T09:00")
    jd = _ticket(repo, "京东订单", order="JD1234567", now="2026-11-21T10:00")
    for word in ("TB20261101-0093", "TB20261101", "20261101", "0093"):
        assert [r["id"] for r in json.loads(repo.out("search", word, "--format", "json"))] == [order], word
    assert [r["id"] for r in json.loads(repo.out("search", "JD1234567", "--format", "json"))] == [jd]
    assert [r["id"] for r in json.loads(repo.out("search", "1234567", "--type", "ticket", "--format", "json"))] \
        == [jd]                                      # digits alone: an order's text (no customer has them)
    assert _ids(repo, "ticket", "list", "--text", "TB20261101-0093") == [order]


def test_no_digit_of_a_contact_in_free_text_can_be_found_not_even_the_ends_its_mask_shows(repo, desk):
    """A phone number written in a summary is shown masked (138****5678) and found by no part of
    it: neither by search nor by --text."""
    said = _ticket(repo, "门店服务态度差，要求回电 13912345678", now="2026-11-21T09:00")
    for word in ("5678", "139", "****", "139****5678", "2345678"):
        assert said not in [r["id"] for r in json.loads(repo.out("search", word, "--format", "json"))], word
    assert _ids(repo, "ticket", "list", "--text", "5678") == []
    assert "139****5678" in json.loads(repo.out("search", "回电", "--format", "json"))[0]["snippet"]


def test_search_needs_words(repo):
    assert "needs the words" in repo.run("search", " ", code=2).output


def test_filters_and_search_answer_the_same_with_and_without_the_index(repo, desk):
    queries = [("ticket", "list", "--text", "内胆"), ("ticket", "list", "--contact", "13812345678"),
               ("return", "list", "--order", "TB1234"), ("ticket", "list", "--assignee", "lisi"),
               ("search", "内胆"), ("search", "快递"), ("customer", "show", "13812345678")]

    def answers():
        return [repo.out(*q, "--format", "json", now="2026-11-23T10:00", env={"CSOPS_CACHE": c})
                for q in queries for c in ("off", "on")]

    def same():
        got = answers()
        assert got[0::2] == got[1::2]

    same()
    same()                                            # warm
    path = repo.path_of(desk["late"])                 # an edit not committed: seen at once
    path.write_text(path.read_text(encoding="utf-8").replace("快递延误三天", "内胆快递延误"), encoding="utf-8")
    same()
    assert desk["late"] in repo.out("search", "内胆")
    repo.git("commit", "-qam", "by hand")
    same()
    repo.git("checkout", "-q", "HEAD~1")              # another branch state
    same()
    assert desk["late"] not in repo.out("search", "内胆")


def test_search_names_the_files_the_rules_cannot_read_as_a_listing_does_with_and_without_the_index(repo, desk):
    """The files the rules cannot read (one ticket, one return) are named on stderr by a search
    over every type as without the index, and the rest is found as before."""
    for key in ("ask", "return"):
        path = repo.path_of(desk[key])
        path.write_text(path.read_text(encoding="utf-8").replace("status: ", "status: 不存在的", 1), encoding="utf-8")
    repo.git("commit", "-qam", "two hand edits the rules cannot read")
    off, cold, warm = (repo.run("search", "内胆", now="2026-11-23T10:00", env={"CSOPS_CACHE": cache})
                       for cache in ("off", "on", "on"))
    assert cold.stdout == warm.stdout == off.stdout and cold.stderr == warm.stderr == off.stderr
    assert desk["pot"] in warm.stdout and desk["ask"] not in warm.stdout
    assert "2 records skipped" in warm.stderr and repo.path_of(desk["ask"]).name in warm.stderr


def test_a_new_ticket_names_a_handful_of_the_customers_open_records_and_a_count(repo):
    made = [_ticket(repo, f"第{n}次来电", contact="13812345678", now=f"2026-11-2{n % 3}T09:{n:02d}") for n in range(8)]
    result = repo.run("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                      "--contact", "138 1234 5678", "--summary", "又来电", now="2026-11-23T09:00")
    warning = result.stderr
    assert warning.count("same contact") == 5 and "and 3 more" in warning
    assert all(rid in warning for rid in sorted(made)[:5])


def test_the_repeat_caller_warning_sees_what_was_committed_since_the_last_read(repo, monkeypatch):
    """The warning of a new ticket comes from the index's database brought up to HEAD (no look at
    every file): a contact changed by a commit made since any listing is seen at once, both ways."""
    first = _ticket(repo, "第一次来电", contact="13811112222", now="2026-11-20T09:00")
    repo.out("ticket", "list")                                  # the database holds every ticket now
    path = repo.path_of(first)
    path.write_text(path.read_text(encoding="utf-8").replace("13811112222", "13933334444"), encoding="utf-8")
    repo.git("commit", "-qam", "a teammate corrects the number")

    def whole_index(*args, **kwargs):
        raise AssertionError("a new ticket read every file")
    monkeypatch.setattr("csops.cache.index.build_index", whole_index)
    old = repo.run("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                   "--contact", "13811112222", "--summary", "旧号码", now="2026-11-23T09:00")
    assert first not in old.stderr
    new = repo.run("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                   "--contact", "139 3333 4444", "--summary", "新号码", now="2026-11-23T09:05")
    assert first in new.stderr and "same contact" in new.stderr


def test_a_write_with_a_contact_asks_git_what_its_commit_changed_once(repo, monkeypatch):
    """The write checks what its commit changes (git diff-tree); the repeat-caller warning after
    it, bringing the database from that commit's parent to it for tickets and for returns, reuses
    that answer — and still sees the caller's earlier ticket."""
    from csops import gitlog

    first = _ticket(repo, "第一次来电", contact="13811112222", now="2026-11-20T09:00")
    _ticket(repo, "第二次来电", contact="13855556666", now="2026-11-20T09:30")     # the database follows each
    asked = []
    run = gitlog._run

    def counting(args, *rest, **options):
        asked.extend(word for word in args if word == "diff-tree")
        return run(args, *rest, **options)

    monkeypatch.setattr(gitlog, "_run", counting)
    result = repo.run("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                      "--contact", "138 1111 2222", "--summary", "又来电", now="2026-11-23T09:00")
    assert first in result.stderr and "same contact" in result.stderr
    assert asked == ["diff-tree"]


def test_a_python_whose_sqlite_cannot_search_says_what_to_install(repo, monkeypatch):
    """SQLite without FTS5 or its trigram tokenizer (older than 3.34): search says so in one line
    and what to install; listings still answer, from the files."""
    import sqlite3

    real = sqlite3.connect

    class NoFullText:
        def __init__(self, db):
            self.db = db

        def execute(self, sql, *args):
            if "fts5" in sql:
                raise sqlite3.OperationalError("no such module: fts5")
            return self.db.execute(sql, *args)

        def close(self):
            self.db.close()

    monkeypatch.setattr("csops.cache.db.sqlite3.connect",
                        lambda target, *a, **k: NoFullText(real(target, *a, **k)) if target == ":memory:"
                        else real(target, *a, **k))
    from csops.cache.db import full_text_problem

    full_text_problem.cache_clear()                  # asked once per process: ask again here, and after
    try:
        record_id = _ticket(repo, "内胆划痕")
        out = repo.run("search", "内胆", code=2).output
        assert "cannot search Chinese text" in out and "SQLite 3.34" in out and out.count("\n") == 1
        assert record_id in repo.out("ticket", "list", "--text", "内胆")
    finally:
        full_text_problem.cache_clear()


def test_a_database_naming_a_commit_that_is_gone_reads_the_whole_index(repo):
    """After a rebase and a gc the commit the database last held whole may be gone: the warning
    then comes from the whole index, never an error."""
    import sqlite3

    first = _ticket(repo, "第一次来电", contact="13811112222", now="2026-11-20T09:00")
    repo.out("ticket", "list")
    with sqlite3.connect(repo.root / ".git" / "csops-cache" / "index.sqlite") as db:
        db.execute("UPDATE meta SET value = ? WHERE name LIKE 'head:%'", ("0" * 40,))
    again = repo.run("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                     "--contact", "13811112222", "--summary", "又来电", now="2026-11-23T09:00")
    assert first in again.stderr
