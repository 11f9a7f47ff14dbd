"""dynaform's Java launcher: the shipped class is the shipped source, and it fails loudly."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from dynaform.errors import LocalEngineError
from dynaform.local import engine, launcher
from dynaform.local.java import find_java


def test_the_shipped_class_is_compiled_from_the_shipped_source(tmp_path: Path) -> None:
    javac = shutil.which("javac")
    if javac is None:
        pytest.skip("no javac (a JDK) on this machine")
    source = tmp_path / f"{launcher.CLASS_NAME}.java"
    source.write_text(launcher.JAVA_SOURCE)
    subprocess.run([javac, "--release", "11", "-d", str(tmp_path), str(source)], check=True)
    compiled = (tmp_path / f"{launcher.CLASS_NAME}.class").read_bytes()
    assert compiled == launcher.class_bytes(), (
        "CLASS_BASE64 is stale: paste `base64 -w 88` of the class compiled above into launcher.py"
    )


def test_the_class_is_written_once_and_repaired(tmp_path: Path) -> None:
    directory = launcher.launcher_dir(tmp_path)
    target = directory / f"{launcher.CLASS_NAME}.class"
    assert target.read_bytes() == launcher.class_bytes()
    target.write_bytes(b"damaged")
    assert launcher.launcher_dir(tmp_path) == directory
    assert target.read_bytes() == launcher.class_bytes()


def test_without_dynamodb_local_it_exits_with_the_reason_and_binds_nothing(tmp_path: Path) -> None:
    java = find_java().executable
    done = subprocess.run(
        [str(java), "-cp", str(launcher.launcher_dir(tmp_path)), launcher.CLASS_NAME, "127.0.0.1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("dynaform launcher: DynamoDB Local did not start on 127.0.0.1")
    assert "ClassNotFoundException" in last


def test_a_launcher_failure_stops_the_start_and_names_the_way_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DynamoDB Local whose internals the launcher cannot find (here: an empty jar) must
    not start at all, and the error must say what still works."""
    fake = tmp_path / "fake-dynamodb-local"
    (fake / "DynamoDBLocal_lib").mkdir(parents=True)
    with zipfile.ZipFile(fake / "DynamoDBLocal.jar", "w"):
        pass
    monkeypatch.setenv("DYNAFORM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DYNAMODB_LOCAL_DIR", str(fake))
    state_dir = tmp_path / "state"
    with pytest.raises(LocalEngineError) as caught:
        engine.start(state_dir, port=engine.free_port(), in_memory=True, timeout=60)
    assert "ClassNotFoundException" in caught.value.message
    assert "--host 0.0.0.0" in caught.value.hint
    assert engine.read_record(state_dir) is None
