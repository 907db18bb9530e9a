"""For translators and the tests: every message csops can show — the templates passed to `_()`
and `N_()` in the code, and every help text of the command line — and the catalog kept in line
with them (`python -m csops.translations`: new messages added untranslated, unused ones dropped,
the .mo compiled)."""

from __future__ import annotations

from pathlib import Path

from csops.i18n import STAMP, _catalog_file, _stamp


def extract(root: Path | None = None) -> dict[str, list[str]]:
    """Every template passed to `_()` or `N_()` in csops/, and every help text of the command
    line (csops.cli.helptext), with where it is used (path:line)."""
    import ast

    from csops.cli.help_texts import help_texts   # the command tree: help made per record type too

    root = root or Path(__file__).parent
    found: dict[str, list[str]] = {text: list(where) for text, where in help_texts().items()}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_") \
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                where = f"{path.relative_to(root.parent)}:{node.lineno}"
                if where not in found.setdefault(node.args[0].value, []):
                    found[node.args[0].value].append(where)
    return found


def update_catalog(lang: str = "zh") -> tuple[int, int]:
    """Bring the .po in line with the code — new templates added untranslated, unused ones
    dropped — and compile it to the .mo read at run time. Returns (added, dropped).
    `python -m csops.translations` runs it."""
    import polib

    path = Path(_catalog_file(lang, ".po"))
    po = polib.pofile(str(path)) if path.exists() else polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": lang,
                   "Project-Id-Version": "csops"}
    used = extract()
    known = {entry.msgid: entry for entry in po}
    added = 0
    for msgid, where in used.items():
        entry = known.get(msgid)
        if entry is None:
            entry = polib.POEntry(msgid=msgid, msgstr="")
            po.append(entry)
            added += 1
        entry.occurrences = [tuple(w.rsplit(":", 1)) for w in where]
    dropped = [entry for entry in po if entry.msgid not in used]
    for entry in dropped:
        po.remove(entry)
    po.sort(key=lambda e: (e.occurrences[0][0], int(e.occurrences[0][1])) if e.occurrences else ("", 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    po.wrapwidth = 0
    po.save(str(path))
    po.metadata[STAMP] = _stamp(path.read_bytes())
    po.save_as_mofile(_catalog_file(lang, ".mo"))
    return added, len(dropped)


if __name__ == "__main__":
    added, dropped = update_catalog()
    print(f"csops.po: {added} added, {dropped} dropped")
