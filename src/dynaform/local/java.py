"""Finding a Java runtime good enough for DynamoDB Local."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dynaform.errors import JavaMissingError

MIN_JAVA = 11

_VERSION_RE = re.compile(r'version "(\d+)(?:\.(\d+))?[^"]*"')


@dataclass(frozen=True)
class Java:
    executable: Path
    major: int
    banner: str


def parse_java_major(version_output: str) -> int | None:
    """The major version from ``java -version`` output ("1.8.0_292" -> 8, "17.0.15" -> 17)."""
    match = _VERSION_RE.search(version_output)
    if match is None:
        return None
    first = int(match.group(1))
    if first == 1 and match.group(2) is not None:
        return int(match.group(2))
    return first


_found: dict[tuple[str | None, str | None], Java] = {}


def find_java(environ: Mapping[str, str] | None = None) -> Java:
    """The java executable from ``$JAVA_HOME`` or ``PATH``; raises with how to get one.
    Remembered per (JAVA_HOME, PATH): asking `java -version` costs a JVM start."""
    env = os.environ if environ is None else environ
    key = (env.get("JAVA_HOME"), env.get("PATH"))
    if key not in _found:
        _found[key] = _search(env)
    return _found[key]


def _search(env: Mapping[str, str]) -> Java:
    candidates: list[Path] = []
    java_home = env.get("JAVA_HOME")
    if java_home:
        candidates.append(Path(java_home) / "bin" / "java")
    on_path = shutil.which("java", path=env.get("PATH"))
    if on_path:
        candidates.append(Path(on_path))
    if not candidates:
        raise JavaMissingError("DynamoDB Local needs Java 11 or newer, and no `java` was found")
    problems = []
    for executable in candidates:
        try:
            result = subprocess.run(
                [str(executable), "-version"], capture_output=True, text=True, timeout=20
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            problems.append(f"{executable}: {exc}")
            continue
        banner = (result.stderr or result.stdout).strip()
        major = parse_java_major(banner)
        if major is None:
            problems.append(f"{executable}: unrecognised version output")
        elif major < MIN_JAVA:
            problems.append(f"{executable} is Java {major}")
        else:
            return Java(executable, major, banner.splitlines()[0] if banner else "")
    raise JavaMissingError(
        "DynamoDB Local needs Java 11 or newer; found only: " + "; ".join(problems)
    )
