"""Integrity: crash safety, bad input never tracebacks or half-writes, history audit by commit."""

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csops import yamlio

def inquiry(repo):
    return repo.ticket("inquiry", channel="chat", customer="李", summary="x")


VALID = textwrap.dedent("""\
    id: T-20261123-FUZZ00
    status: registered
    created: 2026-11-23T10:00:00+08:00
    created_by: zhangsan
    kind: inquiry
    channel: chat
    level: normal
    customer:
      name: 李
    summary: x
    history:
    - at: 2026-11-23T10:00:00+08:00
      by: zhangsan
      to: registered
    """)

odd_values = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30), st.floats(allow_nan=True),
    st.text(max_size=30), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.sampled_from(["2026-02-30", "2026-11-23T25:00:00+08:00", "9999-99-99", "\u202e\u0000x", "~", "yes", "13:00",
                     "0x1F", "!!binary aGVsbG8=", "&a [*a]", "𝕏" * 50]))


@pytest.fixture(scope="module")
def fuzz_repo(tmp_path_factory, _template_repo):
    import shutil

    from tests.conftest import Repo

    root = tmp_path_factory.mktemp("fuzz") / "repo"
    shutil.copytree(_template_repo, root)
    return Repo(root)


def _validate_names_the_file(repo, path):
    result = repo.run("validate", code=None)
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert path.name in result.stdout
    else:                           # accepted: then every command reads it as a record
        rtype = {"T": "ticket", "L": "leave"}[path.name[0]]
        shown = repo.run(rtype, "show", path.stem, code=None, now="2026-11-30T10:00")
        assert shown.exit_code == 0, (path.name, shown.output)
    # reports carry on past a malformed record (as users run them, without CSOPS_DEBUG)
    for args in (("report", "overdue"), ("ticket", "list"), ("leave", "list"), ("report", "scores", "--period",
                                                                                  "2026-11")):
        result = repo.run(*args, code=None, env={"CSOPS_DEBUG": ""}, now="2026-11-30T10:00")
        assert result.exit_code == 0, result.output


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["id", "status", "created", "created_by", "kind", "channel", "level", "customer",
                            "summary", "history", "due", "callbacks", "assignee"]), value=odd_values)
def test_fuzzed_fields_are_reported_never_a_traceback(fuzz_repo, key, value):
    data = yamlio.load(VALID)
    data[key] = value
    path = fuzz_repo.records / "tickets" / "2026" / "11" / "T-20261123-FUZZ00.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    import yaml

    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    try:
        _validate_names_the_file(fuzz_repo, path)
    finally:
        path.unlink()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
                      st.sampled_from(["- a\nb: [", "a: &x [*x, *x]\n", "{", "history:\n- to:\n  -", "%YAML 9\n---",
                                       VALID.replace("  to: registered", "  to: [registered"), "\ufeff" + VALID])))
def test_fuzzed_files_are_reported_never_a_traceback(fuzz_repo, text):
    path = fuzz_repo.records / "leave" / "2026" / "11" / "L-20261123-FUZZ01.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", errors="replace"))
    try:
        _validate_names_the_file(fuzz_repo, path)
    finally:
        path.unlink()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from([
    ["ticket", "new", "--kind", "inquiry", "--channel", "chat", "--customer", "{0}", "--summary", "{1}", "--level", "{2}"],
    ["ticket", "route", "{0}", "--to-dept", "{1}", "--due", "{2}"],
    ["leave", "new", "--person", "zhangsan", "--kind", "personal", "--start", "{0}", "--end", "{1}"],
    ["return", "new", "--kind", "self", "--order", "{0}", "--customer", "{1}", "--item", "{2}"],
    ["score", "add", "--person", "{0}", "--code", "{1}", "--date", "{2}"],
    ["report", "scores", "--period", "{0}"],
    ["report", "returns", "--date", "{0}"],
    ["ticket", "show", "{0}"],
]), args=st.lists(st.text(max_size=40), min_size=3, max_size=3))
def test_fuzzed_arguments_never_traceback_or_half_write(fuzz_repo, command, args):
    argv = [part.format(*args) if "{" in part else part for part in command]
    head, status = fuzz_repo.head(), fuzz_repo.status()
    result = fuzz_repo.run(*argv, as_="liubz", now="2026-11-23T10:00", code=None)
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        assert fuzz_repo.head() == head and fuzz_repo.status() == status
        assert result.output.strip().count("\n") <= 3


def test_history_audit_names_the_commit_of_an_illegal_transition_and_a_wrong_role(repo):
    record_id = inquiry(repo)
    path = repo.path_of(record_id)
    path.write_text(path.read_text().replace("status: registered", "status: closed") +
                    "- at: 2026-11-23T11:00:00+08:00\n  by: zhangsan\n  from: registered\n  to: closed\n")
    repo.git("-c", "user.name=张三", "-c", "user.email=zhangsan@example.com", "commit", "-qam", "close by hand")
    sha = repo.head()[:10]
    event = repo.out("score", "add", "--person", "lisi", "--code", "PHONE_RINGS", as_="liubz", now="2026-11-23T12:00")
    epath = repo.path_of(event)
    epath.write_text(epath.read_text().replace("status: recorded", "status: confirmed") +
                     "- at: 2026-11-23T12:30:00+08:00\n  by: liubz\n  from: recorded\n  to: confirmed\n")
    repo.git("-c", "user.name=刘班长", "-c", "user.email=liubz@example.com", "commit", "-qam", "self-confirm")
    sha2 = repo.head()[:10]
    out = repo.run("validate", "--history", code=1).stdout
    assert f"ILLEGAL_TRANSITION commit {sha}: registered → closed" in out
    assert f"ROLE_NOT_ALLOWED commit {sha2}: liubz (team_lead) may not confirm a score" in out
