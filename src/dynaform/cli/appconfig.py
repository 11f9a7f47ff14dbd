"""``env-vars``: the environment's table and index names for applications."""

from __future__ import annotations

from pathlib import Path

import typer

from dynaform.cli.context import state
from dynaform.cli.output import out, say


def env_vars(
    ctx: typer.Context,
    fmt: str = typer.Option(
        "dotenv", "--format", help="dotenv, json, shell (export lines), python or typescript."
    ),
    prefix: str = typer.Option("", "--prefix", help="Before every derived name, e.g. VITE_."),
    out_file: Path | None = typer.Option(None, "--out", "-o", help="Write here (else stdout)."),
) -> None:
    """The table (and index) names of an environment, for application code: variable names
    derived from the logical names (ITEMS_TABLE_NAME=items-prod), overridable under
    `env_vars:` in dynaform.yaml. Nothing is sent to DynamoDB.

    Example: dynaform -e prod env-vars --format dotenv > .env.production
    """
    from dynaform.api.appconfig import app_config
    from dynaform.core.appconfig import render

    app = state(ctx)
    text = render(app_config(app.bind(), prefix.upper()), fmt)
    if out_file is None:
        out.file.write(text)
        return
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(text)
    say(f"wrote {out_file}")
