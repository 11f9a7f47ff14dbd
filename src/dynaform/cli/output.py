"""Terminal output: results on stdout, messages and progress on stderr, JSON with --json."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

from dynaform.errors import DynaformError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def say(message: str) -> None:
    """A message for a person (never on stdout, so --json output stays clean)."""
    err.print(message)


def print_json(data: Any) -> None:
    out.file.write(json.dumps(data, indent=2, default=str) + "\n")
    out.file.flush()


def print_error(error: DynaformError) -> None:
    err.print(f"[bold red]error:[/] {error.message}", markup=True)
    if error.hint:
        err.print(f"[yellow]hint:[/] {error.hint}", markup=True)


def human_bytes(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover - loop always returns
