from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dynaform.errors import JavaMissingError
from dynaform.local.java import find_java, parse_java_major


@pytest.mark.parametrize(
    ("banner", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_292"', 8),
        ('openjdk version "11" 2018-09-25', 11),
        ('openjdk version "21.0.2-ea" 2024-01-16', 21),
        ("something else entirely", None),
    ],
)
def test_parse_java_major(banner: str, major: int | None) -> None:
    assert parse_java_major(banner) == major


def fake_java(directory: Path, banner: str) -> Path:
    bin_dir = directory / "bin"
    bin_dir.mkdir(parents=True)
    script = bin_dir / "java"
    script.write_text(f"#!/bin/sh\necho '{banner}' >&2\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_no_java_at_all_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(JavaMissingError) as caught:
        find_java({"PATH": str(tmp_path)})
    assert "no `java` was found" in caught.value.message
    assert "apt-get install -y openjdk-17-jre-headless" in caught.value.hint
    assert "--engine moto" in caught.value.hint


def test_too_old_java_is_refused_with_its_version(tmp_path: Path) -> None:
    fake_java(tmp_path, 'java version "1.8.0_292"')
    with pytest.raises(JavaMissingError) as caught:
        find_java({"JAVA_HOME": str(tmp_path), "PATH": os.devnull})
    assert "is Java 8" in caught.value.message


def test_java_home_is_preferred(tmp_path: Path) -> None:
    script = fake_java(tmp_path, 'openjdk version "21.0.1" 2023-10-17')
    found = find_java({"JAVA_HOME": str(tmp_path), "PATH": os.devnull})
    assert found.executable == script
    assert found.major == 21


def test_the_machine_java_is_found() -> None:
    # The harness needs it: DynamoDB Local is Java.
    assert find_java().major >= 11
