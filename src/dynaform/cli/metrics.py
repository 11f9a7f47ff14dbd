"""``describe TABLE --metrics``: CloudWatch series as one-line charts (sparklines)."""

from __future__ import annotations

from typing import Any

from dynaform.cli.output import out

BARS = "▁▂▃▄▅▆▇█"
ROWS = (
    ("read", "consumed read (units/s)"),
    ("write", "consumed write (units/s)"),
    ("read throttles", "read throttles"),
    ("write throttles", "write throttles"),
)


def sparkline(values: list[float]) -> str:
    """One character per value, scaled to the series' peak; zero is a space-like low bar."""
    peak = max(values, default=0.0)
    if peak <= 0:
        return BARS[0] * len(values)
    return "".join(BARS[min(len(BARS) - 1, int(v / peak * (len(BARS) - 1) + 0.5))] for v in values)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def _line(label: str, values: list[float], total: bool) -> None:
    summary = f"total {_number(sum(values))}" if total else f"peak {_number(max(values))}"
    out.print(f"  {label:<28} {sparkline(values)}  {summary}", markup=False, highlight=False)


def show_metrics(found: Any) -> None:
    """The metrics (``dynaform.aws.metrics.TableMetrics``), or why there are none."""
    if isinstance(found, str):
        out.print(f"[bold]{'metrics':<23}[/] {found}", markup=True)
        return
    minutes = found.period // 60
    out.print(
        f"\n[bold]metrics[/] {found.start:%Y-%m-%d %H:%M} to {found.end:%Y-%m-%d %H:%M} UTC, "
        f"one bar per {minutes} min",
        markup=True,
    )
    for resource in found.resources:
        out.print(f"[bold]{resource.name}[/]", markup=True)
        for key, label in ROWS:
            _line(label, resource.series[key], total="throttles" in key)
        for kind in ("read", "write"):
            used = resource.utilisation(kind)
            if used is not None:
                _line(f"{kind} utilisation (%)", used, total=False)


def metrics_json(found: Any) -> Any:
    if isinstance(found, str):
        return {"unavailable": found}
    return {
        "start": found.start.isoformat(),
        "end": found.end.isoformat(),
        "period_seconds": found.period,
        "resources": {r.name: r.series for r in found.resources},
    }
