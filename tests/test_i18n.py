"""Messages in Chinese by default, through the gettext catalog (SPEC §11): every message the code
asks for is translated, the catalog is in line with the code, and the language follows --lang,
CSOPS_LANG and the policy. Problem codes and JSON stay English."""

from __future__ import annotations

import ast
import json
import string
from pathlib import Path

import polib
import pytest

from csops import i18n, translations

PACKAGE = Path(i18n.__file__).parent
CATALOG = PACKAGE / "locale" / "zh" / "LC_MESSAGES" / "csops.po"
ZH = {"CSOPS_LANG": None}            # the suite runs with CSOPS_LANG=en (conftest); these tests take it away


def _fields(template: str) -> set[str]:
    return {name.split("!")[0].split(".")[0].split("[")[0]
            for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


def _sample(spec: str):
    """A value a format spec accepts: a date for %-codes, a number for numeric types, else text."""
    import datetime as dt

    if "%" in spec:
        return dt.date(2026, 11, 23)
    if spec[-1:] in ("d", "x"):
        return 3
    if spec[-1:] in ("f", "g", "e", "%"):
        return 1.5
    return "x"


def _has_values(template: str) -> bool:
    return bool(_fields(template))


def test_every_message_the_code_asks_for_has_a_chinese_translation():
    catalog = {entry.msgid: entry.msgstr for entry in polib.pofile(str(CATALOG))}
    missing = [f"{where[0]}: {msgid!r}" for msgid, where in translations.extract().items() if not catalog.get(msgid)]
    assert not missing, "untranslated (run python -m csops.translations, then translate csops.po):\n" + "\n".join(missing)


def test_translations_use_only_the_placeholders_of_their_message_and_format():
    for entry in polib.pofile(str(CATALOG)):
        if not entry.msgstr or not _has_values(entry.msgid):
            continue
        extra = _fields(entry.msgstr) - _fields(entry.msgid)
        assert not extra, f"{entry.msgid!r}: the translation invents {extra}"
        specs = {name: spec for _t, name, spec, _c in string.Formatter().parse(entry.msgid) if name}
        values = {name.split("!")[0]: _sample(spec) for name, spec in specs.items()}
        entry.msgid.format(**values)
        entry.msgstr.format(**values)      # raises on a broken brace or a spec the value cannot take


def test_the_catalog_has_no_message_the_code_no_longer_asks_for():
    used = set(translations.extract())
    stale = [entry.msgid for entry in polib.pofile(str(CATALOG)) if entry.msgid not in used]
    assert not stale, f"stale entries (run python -m csops.translations): {stale[:5]}"


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def test_messages_are_literal_templates_so_a_translator_can_find_them():
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_":
                first = node.args[0] if node.args else None
                assert isinstance(first, ast.Constant) and isinstance(first.value, str), \
                    f"{path.name}:{node.lineno}: _() needs a literal template (values go in as keywords)"


def test_no_module_that_translates_rebinds_the_underscore():
    for path, tree in _modules():
        imports = any(isinstance(n, ast.ImportFrom) and n.module == "csops.i18n" and any(a.name == "_" for a in n.names)
                      for n in tree.body)
        if not imports:
            continue
        bound = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store)]
        assert not bound, f"{path.name}:{bound[0]}: `_` is the translation function here; name the throwaway otherwise"


# -- behaviour through the CLI ---------------------------------------------------------------------

def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_errors_are_chinese_by_default_and_english_on_request(repo):
    zh = repo.refused("ticket", "show", "T-20261120-ZZZZZZ", code=2, env=ZH)
    assert zh.startswith("csops: ") and "T-20261120-ZZZZZZ" in zh and _chinese(zh), zh
    en = repo.refused("ticket", "show", "T-20261120-ZZZZZZ", code=2, env={"CSOPS_LANG": "en"})
    assert en == "csops: no ticket T-20261120-ZZZZZZ (see csops ticket list)\n"
    flag = repo.refused("ticket", "list", "--status", "nonsense", "--lang", "en", code=2, env=ZH)
    assert "a ticket is one of registered" in flag and not _chinese(flag)


def test_chinese_refusals_name_roles_choices_and_empty_fields_in_chinese(repo):
    """In Chinese a role is its label (客服专员, 主管及以上), a filter's wrong value names the
    choices without English words around them, an empty summary is said as such."""
    out = repo.refused("import", "tickets", "nothing.xlsx", as_="zhangsan", env=ZH)
    assert "（客服专员）" in out and "及以上" in out and "(agent)" not in out and "agent" not in out, out
    out = repo.refused("ticket", "list", "--kind", "complain", code=2, env=ZH)
    assert out.startswith("csops: --kind complain：") and " kind " not in out and " 的 " not in out, out
    out = repo.refused("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王",
                       "--summary", " ", code=2, env=ZH)
    assert "--summary 为空" in out and "BAD_FIELD" not in out and "T-" not in out, out
    assert "--summary is empty" in repo.refused("ticket", "new", "--kind", "complaint", "--channel", "phone",
                                                "--customer", "王", "--summary", "", code=2)


def test_a_refused_transition_is_chinese_but_its_code_and_states_stay_english(repo):
    record_id = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                         "--contact", "13800138000", "--summary", "漏发")
    out = repo.refused("ticket", "move", record_id, "closed", env=ZH)
    assert "ILLEGAL_TRANSITION" in out and "registered → closed" in out
    assert _chinese(out.split("ILLEGAL_TRANSITION")[1]), out


def test_the_policy_language_decides_when_the_reader_did_not(repo):
    policy = repo.records / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("language: zh", "language: en", 1), encoding="utf-8")
    repo.git("commit", "-qam", "English desk")
    out = repo.refused("ticket", "show", "T-20261120-ZZZZZZ", code=2, env=ZH)
    assert out == "csops: no ticket T-20261120-ZZZZZZ (see csops ticket list)\n"
    assert _chinese(repo.refused("ticket", "show", "T-20261120-ZZZZZZ", code=2, env={"CSOPS_LANG": "zh"}))


def test_validate_speaks_the_readers_language_and_its_cache_follows(repo):
    record_id = repo.out("ticket", "new", "--kind", "inquiry", "--channel", "phone", "--customer", "李先生",
                         "--summary", "问价")
    path = repo.path_of(record_id)
    path.write_text(path.read_text(encoding="utf-8").replace("kind: inquiry", "kind: rumour"), encoding="utf-8")
    zh = repo.run("validate", code=1, env=ZH).output
    en = repo.run("validate", code=1, env={"CSOPS_LANG": "en"}).output
    assert "BAD_FIELD" in zh and "BAD_FIELD" in en
    assert zh != en and _chinese(zh.split("BAD_FIELD")[1].splitlines()[0]) and not _chinese(en)
    assert repo.run("validate", code=1, env=ZH).output == zh           # from the cache, still Chinese


def test_json_stays_english_under_chinese(repo):
    repo.out("ticket", "new", "--kind", "inquiry", "--channel", "phone", "--customer", "李先生", "--summary", "问价")
    rows = json.loads(repo.run("ticket", "list", "--format", "json", env=ZH).stdout)
    assert rows and set(rows[0]) >= {"id", "status"} and rows[0]["status"] == "registered"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_missing_catalog_falls_back_to_the_english_text(lang, monkeypatch, tmp_path):
    monkeypatch.setattr(i18n, "LOCALE", tmp_path)
    monkeypatch.setattr(i18n, "_catalogs", {})
    monkeypatch.setenv("CSOPS_LANG", lang)
    i18n.reset()
    assert i18n._("{n} records", n=3) == "3 records"


def test_the_compiled_catalog_is_the_catalog_compiled():
    """csops.mo is what is read at run time: it holds every translation of csops.po (a forgotten
    `python -m csops.translations` after editing the .po fails here, not only slowly in use)."""
    import gettext

    with open(CATALOG.with_suffix(".mo"), "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    assert compiled.info().get(i18n.STAMP.lower()) == i18n._stamp(CATALOG.read_bytes()), \
        "csops.mo was not compiled from this csops.po (run python -m csops.translations)"
    entries = [entry for entry in polib.pofile(str(CATALOG)) if entry.msgstr]
    assert entries and all(compiled.gettext(entry.msgid) == entry.msgstr for entry in entries)


@pytest.mark.parametrize("damage", ["edited .po", "damaged .mo", "no .mo"])
def test_a_compiled_catalog_not_made_from_this_po_is_not_read(damage, monkeypatch, tmp_path):
    import shutil

    folder = tmp_path / "zh" / "LC_MESSAGES"
    shutil.copytree(CATALOG.parent, folder)
    po, mo = folder / "csops.po", folder / "csops.mo"
    template = "csops: {exc}"
    if damage == "edited .po":
        catalog = polib.pofile(str(po))
        catalog.find(template).msgstr = "改过的：{exc}"
        catalog.save(str(po))
    elif damage == "damaged .mo":
        mo.write_bytes(mo.read_bytes()[:200])
    else:
        mo.unlink()
    monkeypatch.setattr(i18n, "LOCALE", str(tmp_path))
    monkeypatch.setattr(i18n, "_catalogs", {})
    monkeypatch.setenv("CSOPS_LANG", "zh")
    i18n.reset()
    expected = "改过的：x" if damage == "edited .po" else polib.pofile(str(CATALOG)).find(template).msgstr.format(exc="x")
    assert i18n._(template, exc="x") == expected


def test_every_state_kind_and_action_has_a_chinese_label():
    from csops.render import STATE_LABELS
    from csops.workflows import WORKFLOWS

    words = {w for wf in WORKFLOWS.values() for t in wf.transitions for w in (t.action, *t.targets, *t.sources) if w and w != "*"}
    assert not sorted(w for w in words if w not in STATE_LABELS["zh"])


@pytest.mark.usefixtures("chinese")
def test_log_and_show_name_states_and_steps_in_chinese(repo):
    record_id = repo.out("ticket", "new", "--kind", "complaint", "--channel", "phone", "--customer", "王女士",
                         "--summary", "漏发")
    repo.run("ticket", "route", record_id, "--to-dept", "售后", "--assignee", "lisi")
    log = repo.out("log", record_id)
    assert "新建 → 已登记" in log and "已登记 → 已分派" in log and "registered" not in log
    assert "registered → routed" in repo.out("log", record_id, "--lang", "en")
    assert json.loads(repo.run("log", record_id, "--format", "json").stdout)[-1]["transition"] == "registered → routed"
    show = repo.out("ticket", "show", record_id)
    assert "历史：" in show and "已登记 → 已分派" in show


def test_nothing_a_user_or_maintainer_reads_cites_the_contract():
    """Help, messages, templates, comments, the README and the demo records cite the regulations or
    docs/ — never "SPEC §…", a document no user has."""
    import re
    from pathlib import Path

    top = Path(__file__).resolve().parent.parent
    files = [*top.joinpath("csops").rglob("*.py"), *top.joinpath("csops").rglob("*.po"),
             *top.joinpath("templates").glob("*"), top / "README.md", *top.joinpath("docs").rglob("*.md"),
             *top.joinpath("records").rglob("*.yaml")]       # the demo records a new user opens first
    cited = [f"{path.relative_to(top)}:{n}" for path in files if path.is_file()
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if re.search(r"SPEC\s*§", line)]
    assert cited == []
