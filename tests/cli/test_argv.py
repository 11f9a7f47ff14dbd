from __future__ import annotations

import typer

from dynaform.cli.app import app
from dynaform.cli.argv import hoist_global_options

ROOT = typer.main.get_command(app)


def hoist(*argv: str) -> list[str]:
    return hoist_global_options(ROOT, list(argv))


def test_global_options_after_the_command_move_to_the_front() -> None:
    assert hoist("status", "--json") == ["--json", "status"]
    assert hoist("local", "status", "--endpoint-url", "http://x:1") == [
        "--endpoint-url",
        "http://x:1",
        "local",
        "status",
    ]
    assert hoist("status", "--region=eu-west-1") == ["--region=eu-west-1", "status"]


def test_options_before_the_command_stay_in_order() -> None:
    assert hoist("--region", "eu-west-1", "status", "--json") == [
        "--region",
        "eu-west-1",
        "--json",
        "status",
    ]


def test_an_option_the_subcommand_declares_itself_is_left_alone() -> None:
    # `local logs -f` follows the log; the global -f (project file) must not take it.
    assert hoist("local", "logs", "-f") == ["local", "logs", "-f"]
    assert hoist("-f", "p.yaml", "local", "logs", "-f") == ["-f", "p.yaml", "local", "logs", "-f"]
    # `local reset --yes` is the command's own --yes.
    assert hoist("local", "reset", "--yes") == ["local", "reset", "--yes"]


def test_everything_after_double_dash_is_untouched() -> None:
    assert hoist("status", "--", "--json") == ["status", "--", "--json"]
