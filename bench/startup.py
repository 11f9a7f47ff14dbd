"""CLI start-up, side by side in one run: `dynaform --help` and `dynaform --version` against
`python -c "import boto3"` (the target: no slower), runs interleaved so machine noise hits all
three alike. Prints median and best wall time of each (nothing is asserted).

Usage: python bench/startup.py [RUNS]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
CONTENDERS = {
    "dynaform --help": [str(BIN / "dynaform"), "--help"],
    "dynaform --version": [str(BIN / "dynaform"), "--version"],
    'python -c "import boto3"': [sys.executable, "-c", "import boto3"],
    'python -c "pass"': [sys.executable, "-c", "pass"],
}


def once(argv: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    times: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    for argv in CONTENDERS.values():  # warm the file cache once
        once(argv)
    for _ in range(runs):
        for name, argv in CONTENDERS.items():
            times[name].append(once(argv))
    width = max(len(name) for name in CONTENDERS)
    print(f"{'command':<{width}}  median ms  best ms")
    rows = []
    for name, found in times.items():
        median, best = statistics.median(found) * 1000, min(found) * 1000
        rows.append({"command": name, "median_ms": round(median), "best_ms": round(best)})
        print(f"{name:<{width}}  {median:9.0f}  {best:7.0f}")
    boto3 = statistics.median(times['python -c "import boto3"'])
    ratio = statistics.median(times["dynaform --help"]) / boto3
    print(f"dynaform --help / import boto3 (medians): {ratio:.2f}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
