"""The ``dynaform`` command: global options, command groups, and error handling."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import NoReturn

import typer

from dynaform import __version__
from dynaform.cli import adopt as adopt_cli
from dynaform.cli import appconfig as appconfig_cli
from dynaform.cli import data as data_cli
from dynaform.cli import documents as documents_cli
from dynaform.cli import items as items_cli  # noqa: F401 - registers data get/query/scan/put/delete
from dynaform.cli import local as local_cli
from dynaform.cli import migrate as migrate_cli
from dynaform.cli import seed as seed_cli
from dynaform.cli import status as status_cli
from dynaform.cli import tables as tables_cli
from dynaform.cli import ui as ui_cli
from dynaform.cli.argv import hoist_global_options
from dynaform.cli.context import AppState
from dynaform.cli.output import print_error, print_json
from dynaform.core.variables import parse_assignments
from dynaform.errors import DynaformError
from dynaform.settings import Flags

app = typer.Typer(
    name="dynaform",
    help="Own your Amazon DynamoDB tables as code, from a laptop to production.\n\n"
    "Example: dynaform local start && dynaform status",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: a third of the start-up time, and flags read plainly
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(local_cli.app, name="local")
app.add_typer(data_cli.app, name="data")
app.add_typer(migrate_cli.app, name="migrate")
app.command("status")(status_cli.status)
app.command("plan")(tables_cli.plan)
app.command("apply")(tables_cli.apply)
app.command("destroy")(tables_cli.destroy)
app.command("describe")(tables_cli.describe)
app.command("export")(adopt_cli.export)
app.command("import")(adopt_cli.import_)
app.command("docs")(documents_cli.docs)
app.command("iam-policy")(documents_cli.iam_policy_command)
app.command("ui")(ui_cli.ui)
app.command("env-vars")(appconfig_cli.env_vars)
app.command("seed", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    seed_cli.seed
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dynaform {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    env: str | None = typer.Option(
        None,
        "--env",
        "-e",
        help="Environment from dynaform.yaml (else $DYNAFORM_ENV, default_env).",
    ),
    file: Path | None = typer.Option(
        None, "--file", "-f", help="Project file (default: ./dynaform.yaml, searched upwards)."
    ),
    endpoint_url: str | None = typer.Option(
        None, "--endpoint-url", help="DynamoDB endpoint, e.g. http://localhost:8000."
    ),
    region: str | None = typer.Option(None, "--region", help="AWS region (default us-east-1)."),
    profile: str | None = typer.Option(None, "--profile", help="AWS profile from ~/.aws."),
    local: bool = typer.Option(
        False, "--local", help="Use the managed local engine, starting it when needed."
    ),
    var: list[str] = typer.Option(
        [], "--var", metavar="NAME=VALUE", help="Set a project variable (repeatable)."
    ),
    json_output: bool = typer.Option(False, "--json", help="Machine-readable output on stdout."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Answer yes to every confirmation."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show tracebacks and details."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Global options work before or after the command name."""
    ctx.obj = AppState(
        flags=Flags(endpoint_url=endpoint_url, region=region, profile=profile, local=local),
        project_file=file,
        json=json_output,
        yes=yes,
        verbose=verbose,
        env_flag=env,
        var_flags=parse_assignments(var),
    )


def main(argv: list[str] | None = None) -> None:
    """Console entry point: never a traceback unless -v; with --json, every error is also a
    JSON object on stdout ({"error", "hint", "exit"}) so scripts see it."""
    command = typer.main.get_command(app)
    args = hoist_global_options(command, sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args or "--verbose" in args
    as_json = "--json" in args
    try:
        code = command.main(args=args, prog_name="dynaform", standalone_mode=False)
    except DynaformError as exc:
        if verbose:
            traceback.print_exc()
        _fail(exc, as_json)
    except typer.TyperException as exc:  # usage errors (click's, bundled by typer): exit 2
        exc.show()  # type: ignore[attr-defined]
        _fail(DynaformError(exc.format_message(), hint=""), as_json, exc.exit_code, shown=True)
    except typer.Abort:
        _fail(DynaformError("aborted; nothing more was done", hint=""), as_json, 1)
    except Exception as exc:  # a bug or an error we do not translate yet: still one sentence
        if verbose:
            traceback.print_exc()
        from dynaform.api import translate

        _fail(translate(exc), as_json)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(
    error: DynaformError, as_json: bool, code: int | None = None, *, shown: bool = False
) -> NoReturn:
    exit_code = error.exit_code if code is None else code
    if not shown:
        print_error(error)
    if as_json:
        print_json({"error": error.message, "hint": error.hint, "exit": exit_code})
    sys.exit(exit_code)
