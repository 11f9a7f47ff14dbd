"""The importers' rule: every input either imports to a project that loads and resolves in
every environment, or fails with one DynaformError — never another exception. Checked on every
fixture, cut short at twenty places and with its stage rewritten as a parameter reference."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dynaform.core.export_formats import ImportedProject
from dynaform.core.importers import import_text
from dynaform.core.load import load_project
from dynaform.errors import DynaformError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
FILES = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.name != "README.md")


def variants(text: str) -> list[str]:
    cuts = [text[: len(text) * n // 20] for n in range(1, 20)]
    return [*cuts, text, text.replace("dev", "${Stage}"), text.replace("id", "${Id}")]


@pytest.mark.parametrize("fixture", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES])
def test_an_import_plans_or_fails_in_one_sentence(fixture: Path, tmp_path: Path) -> None:
    imported = 0
    for number, text in enumerate(variants(fixture.read_text())):
        try:
            result = import_text(text, str(fixture.relative_to(FIXTURES)), "auto", {})
            project = ImportedProject()
            project.add(result, fixture.name)
        except DynaformError as exc:
            assert "\n" not in exc.message, exc.message
            continue
        file = tmp_path / str(number) / "dynaform.yaml"
        file.parent.mkdir()
        file.write_text(yaml.safe_dump(project.project("p", "dev"), sort_keys=False))
        loaded = load_project(file)
        for env in loaded.environment_names:
            assert loaded.resolve(env), env
        imported += 1
    whole_imports = not fixture.name.startswith(("sam-missing", "tf-dynamic"))
    assert imported >= (1 if whole_imports else 0)
