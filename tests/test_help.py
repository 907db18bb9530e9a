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


COMMANDS = list(all_commands())


def test_the_command_tree_is_complete():
    names = {" ".join(p) for p, _ in COMMANDS}
    for expected in ("ticket new", "ticket callback", "return vendor", "leave certify", "score derive",
                     "report overdue", "report stats", "report monthly", "report scores", "report returns",
                     "validate", "log", "merge-file", "calendar import", "person add", "init"):
        assert expected in names


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_a_summary_and_an_example(path, command):
    summary = command.get_short_help_str(limit=200)
    assert summary and not summary.startswith("Show this"), f"csops {' '.join(path)} has no summary"
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output, f"csops {' '.join(path)} --help has no example"
    example = result.output.split("Example", 1)[1].split("Options:")[0]
    assert "csops" in example and path[-1] in example, f"csops {' '.join(path)}: the example does not show it"


def test_shell_completion_is_available():
    result = CliRunner().invoke(cli, [], env={"_CSOPS_COMPLETE": "bash_source"}, prog_name="csops")
    assert "_csops_completion" in result.output
