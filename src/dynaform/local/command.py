"""The command line that runs each engine kind, listening on a given host and port."""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from dynaform.errors import LocalEngineError
from dynaform.local.install import install, install_root
from dynaform.local.java import find_java
from dynaform.local.launcher import CLASS_NAME, launcher_dir
from dynaform.local.network import is_wildcard, parse_host
from dynaform.local.record import EngineKind


@dataclass(frozen=True)
class EngineCommand:
    argv: list[str]
    version: str
    workdir: Path


def engine_command(
    engine: EngineKind, host: str, port: int, data_dir: Path | None
) -> EngineCommand:
    if engine == "moto":
        return moto_command(host, port)
    return dynamodb_local_command(host, port, data_dir)


def moto_command(host: str, port: int) -> EngineCommand:
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        raise LocalEngineError(
            "moto's server is not installed",
            hint="install it with `pip install 'dynaform[moto]'`",
        )
    from importlib.metadata import version

    argv = [sys.executable, "-m", "moto.server", "-H", parse_host(host), "-p", str(port)]
    return EngineCommand(argv, f"moto {version('moto')}", Path.cwd())


def dynamodb_local_command(host: str, port: int, data_dir: Path | None) -> EngineCommand:
    """AWS's own entry point when every interface is wanted; otherwise dynaform's launcher,
    the only way to bind DynamoDB Local to one address (see ``launcher.py``)."""
    java = find_java()
    installation = install()
    argv = [str(java.executable), f"-Djava.library.path={installation.lib}"]
    if is_wildcard(host):
        argv += ["-jar", str(installation.jar)]
    else:
        classpath = os.pathsep.join([str(launcher_dir(install_root())), str(installation.jar)])
        argv += ["-cp", classpath, CLASS_NAME, parse_host(host)]
    argv += ["-sharedDb", "-disableTelemetry", "-port", str(port)]
    argv += ["-inMemory"] if data_dir is None else ["-dbPath", str(data_dir)]
    return EngineCommand(argv, installation.version, installation.directory)
