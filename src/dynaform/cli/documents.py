"""``docs`` and ``iam-policy``: documents generated from the project file."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from dynaform.cli.context import state
from dynaform.cli.output import out, say
from dynaform.errors import UsageError


def docs(
    ctx: typer.Context,
    out_file: Path | None = typer.Option(None, "--out", "-o", help="Write here (else stdout)."),
) -> None:
    """A Markdown design document: tables, names per environment, keys, indexes, settings
    and a Mermaid diagram of each table's access paths. All environments unless -e.

    Example: dynaform docs --out docs/dynamodb.md
    """
    from dynaform.api.appconfig import entities_document
    from dynaform.core.documents import design_document

    app = state(ctx)
    project = app.project()
    envs = [app.env(project)] if app.env_flag else project.environment_names
    text = design_document(project, envs) + entities_document(project)
    if out_file is None:
        out.file.write(text)
        return
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(text)
    say(f"wrote {out_file}")


def iam_policy_command(
    ctx: typer.Context,
    role: str = typer.Option("app", "--role", help="deploy, migrate, app (data only) or readonly."),
    account: str = typer.Option("*", "--account", help="AWS account id for the ARNs."),
    region: str | None = typer.Option(None, "--region-for-arns", help="Region (default: env's)."),
) -> None:
    """A least-privilege IAM policy (JSON) scoped to the project's table and index ARNs.

    deploy: exactly what plan/apply/export/destroy/status call, a rebuild's holding tables
    included; migrate: what `migrate` calls (its control table, items of every table); app:
    item reads and writes (and the streams it declares); readonly: reads, describes and
    `describe --metrics`.

    Example: dynaform -e prod iam-policy --role deploy --account 123456789012
    """
    from dynaform.core.documents import ROLES, iam_policy
    from dynaform.core.ownership import control_table_name

    app = state(ctx)
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}", hint="use " + ", ".join(ROLES))
    project = app.project()
    env = app.env(project)
    specs = project.resolve(env)
    chosen_region = region or project.environment(env).region or app.bind().settings.region
    policy = iam_policy(specs, role, chosen_region, account, control_table_name(project.name, env))
    out.file.write(json.dumps(policy, indent=2) + "\n")
