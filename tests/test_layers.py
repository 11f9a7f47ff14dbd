"""The architecture, enforced: imports only go down the layers, no cycles between packages,
the CLI never reaches DynamoDB except through ``dynaform.api``, the core is pure, functions fit
on a screen, modules stay small, and `dynaform --help` loads none of the heavy libraries."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "dynaform"

# Lower number = lower layer. A module may import its own package and any lower layer; two
# packages on the same layer do not import each other.
LAYERS = {
    "errors": 0,
    "settings": 1,
    "core": 2,
    "aws": 3,
    "local": 4,
    "data": 4,
    "entities": 5,
    "seed": 5,
    "migrate": 5,
    "api": 6,
    "cli": 7,
    "ui": 7,
}
TOP_LEVEL = {"__init__", "__main__"}  # the package's own entry points
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 450
# Libraries that do I/O or talk to AWS: never in the pure core.
SHELL_LIBRARIES = {"boto3", "botocore", "urllib3", "requests", "socket", "subprocess", "psycopg"}


def package_of(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def imports(path: Path) -> list[tuple[str, int]]:
    """Every absolute module name imported (at any depth: lazy imports count too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
    return found


def modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_every_package_has_a_layer() -> None:
    packages = {package_of(p) for p in modules()} - TOP_LEVEL - {"py"}
    assert packages <= set(LAYERS), f"give these a layer in LAYERS: {packages - set(LAYERS)}"


def test_imports_only_go_down() -> None:
    wrong = []
    for path in modules():
        me = package_of(path)
        if me in TOP_LEVEL:
            continue
        for name, line in imports(path):
            parts = name.split(".")
            if parts[0] != "dynaform" or len(parts) < 2 or parts[1] in (me, "__version__"):
                continue
            other = parts[1]
            if LAYERS.get(other, -1) >= LAYERS[me]:
                wrong.append(f"{path.relative_to(SRC)}:{line} ({me}) imports {name}")
    assert not wrong, "\n".join(wrong)


def test_no_cycle_between_packages() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in modules():
        me = package_of(path)
        for name, _ in imports(path):
            parts = name.split(".")
            if parts[0] == "dynaform" and len(parts) > 1 and parts[1] != me:
                graph[me].add(parts[1])

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(p for p in list(graph) if reaches(p, p, {p}))
    assert not cycles, f"packages in a cycle: {cycles}"


def test_the_cli_reaches_dynamodb_only_through_the_api() -> None:
    wrong = []
    for path in (SRC / "cli").rglob("*.py"):
        for name, line in imports(path):
            top = name.split(".")[0]
            if top in {"boto3", "botocore"} or name.startswith(("dynaform.aws", "dynaform.data")):
                wrong.append(f"{path.relative_to(SRC)}:{line} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_the_core_is_pure() -> None:
    wrong = []
    for path in (SRC / "core").rglob("*.py"):
        for name, line in imports(path):
            if name.split(".")[0] in SHELL_LIBRARIES:
                wrong.append(f"{path.relative_to(SRC)}:{line} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_the_planner_runs_without_botocore_loaded() -> None:
    code = (
        "import sys\n"
        "import dynaform.core.planfile, dynaform.core.render, dynaform.core.load\n"
        "import dynaform.core.importers, dynaform.core.documents\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('botocore', 'boto3')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def _loaded_after(args: list[str], names: tuple[str, ...]) -> list[str]:
    code = (
        "import sys, io, contextlib\n"
        "from dynaform.cli.app import main\n"
        "try:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        f"        main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(' '.join(sorted(m for m in {names!r} if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_help_and_version_load_no_heavy_library() -> None:
    heavy = ("boto3", "botocore", "pydantic", "yaml", "orjson", "faker", "dynaform.api")
    assert _loaded_after(["--help"], heavy) == []
    assert _loaded_after(["--version"], heavy) == []
    # A command's help: typer itself builds its parameter parsers with pydantic, but nothing
    # of ours that talks to DynamoDB is loaded.
    shell = ("boto3", "botocore", "dynaform.api", "dynaform.data", "dynaform.aws")
    assert _loaded_after(["data", "--help"], shell) == []
    assert _loaded_after(["plan", "--help"], shell) == []


def test_functions_fit_on_a_screen_and_modules_stay_small() -> None:
    wrong = []
    for path in modules():
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            wrong.append(f"{path.relative_to(SRC)}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    wrong.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}: {length}")
    assert not wrong, "\n".join(wrong)


def test_the_version_matches_the_package_metadata() -> None:
    import tomllib

    import dynaform

    pyproject = tomllib.loads((SRC.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    assert dynaform.__version__ == pyproject["project"]["version"]
