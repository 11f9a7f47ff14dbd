"""A plan as a person reads it (rich markup), separate from deciding it (pure)."""

from __future__ import annotations

from rich.markup import escape

from dynaform.core.diff import Change
from dynaform.core.ownership import holding_name
from dynaform.core.planfile import Plan

SYMBOLS = {
    "create": ("+", "green", "create"),
    "update": ("~", "yellow", "update"),
    "index-rebuild": ("±", "magenta", "index rebuild"),
    "table-rebuild": ("!", "bold red", "TABLE REBUILD"),
    "delete": ("-", "red", "delete"),
}


def _change_lines(change: Change) -> list[str]:
    symbol, colour, label = SYMBOLS[change.kind]
    if change.resuming:
        label = "REBUILD INCOMPLETE"
    logical = f" ({change.logical})" if change.logical and change.logical != change.table else ""
    lines = [f"[{colour}]{symbol} {escape(change.table)}[/]{escape(logical)}  [{colour}]{label}[/]"]
    if change.kind == "create" and change.desired is not None:
        spec = change.desired
        keys = spec.partition_key.name + (f" / {spec.sort_key.name}" if spec.sort_key else "")
        extras = [f"keys {keys}"]
        if spec.gsis:
            extras.append("indexes " + ", ".join(g.name for g in spec.gsis))
        if spec.lsis:
            extras.append("local indexes " + ", ".join(i.name for i in spec.lsis))
        for flag, text in (
            (spec.ttl, f"ttl {spec.ttl}"),
            (spec.stream, f"stream {spec.stream}"),
            (spec.pitr, "pitr"),
            (spec.deletion_protection, "deletion protection"),
        ):
            if flag:
                extras.append(text)
        lines.append("    " + escape("; ".join(extras)))
    for field in change.fields:
        arrow = f"{escape(field.before)} → {escape(field.after)}"
        reason = f"  [dim]({escape(field.reason)})[/]" if field.reason else ""
        lines.append(f"    {escape(field.field)}: {arrow}{reason}")
    if change.blocked:
        lines.append(f"    [bold red]refused:[/] {escape(change.blocked)}")
    return lines


def render(plan: Plan) -> str:
    lines = [
        f"[bold]Plan[/] for {escape(plan.project)} / {escape(plan.env)} on "
        f"{escape(plan.endpoint)} ({plan.caps.engine})",
        "",
    ]
    for change in plan.changes:
        lines += _change_lines(change)
    for table, notes in plan.diff.skipped.items():
        for note in notes:
            lines.append(f"[dim]· {escape(table)}: {escape(note)} — skipped on this endpoint[/]")
    if plan.steps:
        lines += ["", "[bold]Steps[/]"]
        width = len(str(len(plan.steps)))
        for number, step in enumerate(plan.steps, 1):
            lines.append(
                f"  {number:>{width}}. {escape(step.table)}: {escape(step.action)}  "
                f"[dim]{step.operation}[/]"
            )
    lines += ["", summary(plan)]
    return "\n".join(lines)


def summary(plan: Plan) -> str:
    if not plan.has_changes:
        count = len(plan.diff.unchanged)
        return f"[green]No changes.[/] {count} table(s) match the project file."
    counts: dict[str, int] = {}
    for change in plan.changes:
        counts[change.kind] = counts.get(change.kind, 0) + 1
    parts = [f"{n} to {SYMBOLS[kind][2]}" for kind, n in counts.items()]
    text = "Plan: " + ", ".join(parts) + f"; {len(plan.steps)} step(s)."
    if plan.blocked:
        text += f" [bold red]{len(plan.blocked)} change(s) refused as planned.[/]"
    return text


def rebuild_stages(change: Change) -> list[str]:
    """A TABLE REBUILD as a person reads it before confirming."""
    table, hold = change.table, holding_name(change.table)
    return [
        f"create holding table {hold} and copy every item into it",
        "verify exact item counts match",
        f"delete {table}, then create it as declared",
        "copy every item back (converting changed key types), verify counts",
        f"delete {hold}",
    ]
