"""The README is the spec: its tour, run as written after `make demo`, in a fresh copy.

Every ```console block marked `<!-- tour -->` in README.md is run command by command (`$ …`
lines; `cd` carries over) in a copy of examples/ and tests/fixtures/, after the Makefile's own
`demo` recipe ran there against a DynamoDB Local on a free port. Each output line the README
shows must appear, in order, in what the command printed — modulo times, rates, sizes, pids and
the port (`…` in a README line matches anything; progress bars are not compared).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dynaform.local import engine

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
VARYING = [
    (re.compile(r"\d+(\.\d+)?\s?(ms|s)\b"), "<time>"),
    (re.compile(r"[\d,]+ items/s"), "<rate> items/s"),
    (re.compile(r"\d+(\.\d+)? (B|KB|MB|GB)\b"), "<size>"),
    (re.compile(r"pid \d+"), "pid <pid>"),
    (re.compile(r"localhost:\d+|127\.0\.0\.1:\d+"), "localhost:<port>"),
    (re.compile(r"port \d+"), "port <port>"),
    (re.compile(r"\d{4}-\d\d-\d\dT[\d:.+]+"), "<when>"),
]


def blocks(readme: str) -> list[list[tuple[str, list[str]]]]:
    """The marked console blocks: [(command, expected output lines)] each."""
    found = []
    for block in re.findall(r"<!-- tour -->\s*\n```console\n(.*?)```", readme, re.S):
        steps: list[tuple[str, list[str]]] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps and line.strip() and "━" not in line:
                steps[-1][1].append(line)
        found.append(steps)
    return found


def normal(text: str) -> str:
    for pattern, replacement in VARYING:
        text = pattern.sub(replacement, text)
    return text.strip()


def matches(expected: str, actual: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in normal(expected).split("…"))
    return re.fullmatch(pattern, normal(actual)) is not None


def assert_shown(command: str, expected: list[str], output: str) -> None:
    lines = iter(output.splitlines())
    for want in expected:
        if want.strip() == "…":
            continue
        assert any(matches(want, got) for got in lines), (
            f"README: `{command}` should print {want!r}; it printed:\n{output}"
        )


def run(command: str, cwd: Path, env: dict[str, str]) -> tuple[str, Path]:
    """One `$` line; a leading `cd X &&` (or a bare `cd X`) moves the tour."""
    if command.startswith("cd "):
        target, _, rest = command[3:].partition("&&")
        cwd = (cwd / target.strip()).resolve()
        if not rest.strip():
            return "", cwd
        command = rest.strip()
    command = command.replace("localhost:8000", f"localhost:{env['DYNAFORM_LOCAL_PORT']}")
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    return done.stdout, cwd


@pytest.fixture(scope="module")
def after_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    copy = tmp_path_factory.mktemp("tour")
    shutil.copytree(
        ROOT / "examples", copy / "examples", ignore=shutil.ignore_patterns(".dynaform")
    )
    shutil.copytree(ROOT / "tests" / "fixtures", copy / "tests" / "fixtures")
    port = str(engine.free_port())
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "DYNAFORM_LOCAL_PORT": port,
        "PYTHONUNBUFFERED": "1",
    }
    for key in [k for k in env if k.startswith("AWS_")]:
        del env[key]
    demo = subprocess.run(
        ["make", "-f", str(ROOT / "Makefile"), "-o", "setup", "demo", f"VENV={BIN}"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    yield copy, env
    subprocess.run([str(BIN / "dynaform"), "local", "stop"], cwd=copy, env=env, timeout=60)


def test_the_readme_tour_works_as_written_after_make_demo(
    after_demo: tuple[Path, dict[str, str]],
) -> None:
    root, env = after_demo
    tour = blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(tour) >= 4, "mark the tour's console blocks with <!-- tour -->"
    cwd = root
    for steps in tour:
        for command, expected in steps:
            output, cwd = run(command, cwd, env)
            assert "Traceback" not in output, output
            assert_shown(command, expected, output)
