"""Help that teaches: every command has a one-line summary and an example."""

import click
import pytest
from click.testing import CliRunner

from csops.cli import cli


def all_commands(group=cli, path=()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):          # csops imports a command's module when it is named
        command = group.get_command(ctx, name)
        yield path + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, path + (name,))


TREE = list(all_commands())


def test_the_command_tree_is_complete():
    names = {" ".join(p) for p, _ in TREE}
    for expected in ("ticket new", "ticket callback", "return vendor", "leave certify", "score derive",
                     "report overdue", "report stats", "report monthly", "report scores", "report returns",
                     "validate", "log", "merge-file", "calendar import", "person add", "init"):
        assert expected in names


@pytest.mark.parametrize("path, command", TREE, ids=[" ".join(p) for p, _ in TREE])
def test_every_command_has_a_summary_and_an_example(path, command):
    summary = command.get_short_help_str(limit=200)
    assert summary and not summary.startswith("Show this"), f"csops {' '.join(path)} has no summary"
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output, f"csops {' '.join(path)} --help has no example"
    example = result.output.split("Example", 1)[1].split("Options:")[0]
    assert "csops" in example and path[-1] in example, f"csops {' '.join(path)}: the example does not show it"


def test_the_command_list_shows_each_commands_own_summary():
    """csops --help lists the commands from a table (it imports none of them): the table says
    what each command's own help says, at every width."""
    from csops.cli import COMMANDS

    for (name,), command in [(p, c) for p, c in TREE if len(p) == 1]:
        listed = click.Command(name, help=COMMANDS[name][1])
        for width in (30, 45, 80, 10_000):
            assert listed.get_short_help_str(width) == command.get_short_help_str(width), name
    output = CliRunner().invoke(cli, ["--help"]).output
    assert "validate    Check every record, the roster and the policy" in output


def test_shell_completion_is_available():
    result = CliRunner().invoke(cli, [], env={"_CSOPS_COMPLETE": "bash_source"}, prog_name="csops")
    assert "_csops_completion" in result.output


def test_a_command_imports_only_its_own_module():
    import subprocess
    import sys

    def loaded(*argv):
        script = ("import sys\nfrom csops.cli import cli\ntry:\n    cli.main(sys.argv[1:], prog_name='csops')\n"
                  "except SystemExit:\n    pass\nsys.stdout.write('\\n@' + ' '.join(sorted(m for m in sys.modules "
                  "if m.startswith('csops.cli.'))))")
        result = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, check=True)
        return set(result.stdout.rsplit("\n@", 1)[1].split())

    assert loaded("--help") == {"csops.cli.common", "csops.cli.helptext"}
    assert loaded("--version") == {"csops.cli.common", "csops.cli.helptext"}
    assert loaded("ticket", "--help") == {"csops.cli.common", "csops.cli.helptext", "csops.cli.ticket",
                                          "csops.cli.records"}


# -- help in the reader's language ------------------------------------------------------------------

CJK = __import__("re").compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("path, command", TREE, ids=[" ".join(p) for p, _ in TREE])
def test_every_help_is_in_chinese_and_lang_is_taken_after_the_sub_command(path, command):
    """zh by default (CSOPS_LANG=zh here): the usage line, the description and every option's
    help in Chinese; `--lang en` after the sub-command — even after --help — gives English."""
    zh = CliRunner().invoke(cli, [*path, "--help"], env={"CSOPS_LANG": "zh"})
    assert zh.exit_code == 0 and zh.output.startswith("用法：")
    head, _sep, options = zh.output.partition("选项：")
    description = head.split("\n", 1)[1].split("示例")[0]
    assert CJK.search(description), f"csops {' '.join(path)}: the description is not translated"
    for param in command.params:
        if getattr(param, "help", None) and not CJK.search(param.help):
            flag = param.opts[0]
            line = next(line for line in options.splitlines() if line.strip().startswith(flag))
            assert CJK.search(options.split(flag, 1)[1].split("\n  -", 1)[0]), f"{' '.join(path)} {flag}: {line}"
    en = CliRunner().invoke(cli, [*path, "--help", "--lang", "en"], env={"CSOPS_LANG": "zh"})
    assert en.exit_code == 0 and en.output.startswith("Usage:") and "Options:" in en.output


def test_lang_after_the_sub_command_sets_the_language_of_its_messages(repo):
    out = repo.run("ticket", "close", "T-20261120-NOSUCH", "--lang", "en", code=2, env={"CSOPS_LANG": "zh"}).output
    assert "no ticket" in out.lower() or "no record" in out.lower() or "not found" in out.lower(), out
    out = repo.run("ticket", "close", "T-20261120-NOSUCH", "--lang", "zh", code=2).output
    assert CJK.search(out), out
