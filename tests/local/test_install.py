"""Every install source, for real: a local directory, an archive served over HTTP with its
.sha256 beside it (AWS's layout), and `npm pack` of a package with AWS's jar under emulator/."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import shutil
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dynaform.errors import InstallError, JavaMissingError
from dynaform.local.install import (
    JAR,
    LIB,
    Installation,
    SourceUnavailableError,
    _check_integrity,
    install,
    install_root,
    read_manifest,
)
from dynaform.local.java import find_java


@pytest.fixture(scope="module")
def real_engine() -> Installation:
    """The DynamoDB Local that `make test`'s set-up installed."""
    return install()


@pytest.fixture(scope="module")
def archive_dir(real_engine: Installation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory laid out like AWS's download site: the archive and its .sha256."""
    site = tmp_path_factory.mktemp("site")
    archive = site / "dynamodb_local_latest.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        tar.add(real_engine.jar, arcname=JAR)
        tar.add(real_engine.lib, arcname=LIB)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    (site / "dynamodb_local_latest.tar.gz.sha256").write_text(f"{digest}  {archive.name}\n")
    return site


class CountingServer(http.server.ThreadingHTTPServer):
    requests: list[str]


@pytest.fixture
def site(archive_dir: Path) -> Iterator[tuple[str, CountingServer]]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(archive_dir), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            server.requests.append(self.path)

    server = CountingServer(("127.0.0.1", 0), Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/dynamodb_local_latest.tar.gz"
        yield url, server
    finally:
        server.shutdown()


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    java_home = find_java().executable.resolve().parent.parent
    return {
        "DYNAFORM_HOME": str(tmp_path / "home"),
        "PATH": os.environ["PATH"],
        "JAVA_HOME": str(java_home),
        **extra,
    }


def test_dynamodb_local_dir_is_used_in_place(tmp_path: Path, real_engine: Installation) -> None:
    env = env_for(tmp_path, DYNAMODB_LOCAL_DIR=str(real_engine.directory))
    found = install(environ=env)
    assert found.source == "DYNAMODB_LOCAL_DIR"
    assert found.directory == real_engine.directory
    assert found.version == real_engine.version != "unknown"
    assert read_manifest(install_root(env)) == found


def test_archive_source_checks_sha256_and_is_idempotent(
    tmp_path: Path, site: tuple[str, CountingServer], real_engine: Installation
) -> None:
    url, server = site
    env = env_for(tmp_path, DYNAFORM_LOCAL_ARCHIVE_URL=url)
    messages: list[str] = []
    found = install(environ=env, report=messages.append)
    assert found.source == "AWS download archive"
    assert found.jar_sha256 == real_engine.jar_sha256
    assert found.version == real_engine.version
    assert (found.lib / "sqlite4java.jar").is_file()
    assert server.requests == [
        "/dynamodb_local_latest.tar.gz.sha256",
        "/dynamodb_local_latest.tar.gz",
    ]
    # Second run: nothing fetched.
    assert install(environ=env) == found
    assert len(server.requests) == 2
    # A damaged jar is noticed and replaced.
    found.jar.write_bytes(b"not a jar")
    assert read_manifest(install_root(env)) is None
    repaired = install(environ=env)
    assert repaired.jar_sha256 == real_engine.jar_sha256
    assert len(server.requests) == 4


def test_archive_with_wrong_sha256_is_refused(
    tmp_path: Path, site: tuple[str, CountingServer], archive_dir: Path
) -> None:
    url, _ = site
    sha_file = archive_dir / "dynamodb_local_latest.tar.gz.sha256"
    good = sha_file.read_text()
    sha_file.write_text("0" * 64 + "\n")
    try:
        env = env_for(tmp_path, DYNAFORM_LOCAL_ARCHIVE_URL=url, DYNAFORM_LOCAL_NPM_SPEC="x")
        env["PATH"] = str(tmp_path)  # and no npm to fall back on
        with pytest.raises(InstallError) as caught:
            install(environ=env)
    finally:
        sha_file.write_text(good)
    assert "sha256 mismatch" in caught.value.message
    assert not (install_root(env) / "current").exists()


def test_every_missing_source_gives_its_one_line_reason(tmp_path: Path) -> None:
    env = env_for(
        tmp_path,
        DYNAMODB_LOCAL_DIR=str(tmp_path / "nowhere"),
        DYNAFORM_LOCAL_ARCHIVE_URL="http://127.0.0.1:9/dynamodb_local_latest.tar.gz",
    )
    env["PATH"] = str(tmp_path)  # no npm
    messages: list[str] = []
    with pytest.raises(InstallError) as caught:
        install(environ=env, report=messages.append)
    text = caught.value.message
    assert "DYNAMODB_LOCAL_DIR: " in text and "is not a directory" in text
    assert "AWS download archive: cannot reach http://127.0.0.1:9/" in text
    assert "`npm` is not installed" in text
    assert "DYNAMODB_LOCAL_DIR" in caught.value.hint
    assert len([m for m in messages if m.startswith("skipped")]) == 3


def test_npm_source_unpacks_the_emulator_folder(tmp_path: Path, real_engine: Installation) -> None:
    if shutil.which("npm") is None:
        pytest.fail("npm is required by the test suite (it is one of the install sources)")
    package = tmp_path / "pkg"
    (package / "emulator").mkdir(parents=True)
    (package / "package.json").write_text(
        json.dumps({"name": "fake-simulator", "version": "1.0.0"})
    )
    shutil.copy(real_engine.jar, package / "emulator" / JAR)
    shutil.copytree(real_engine.lib, package / "emulator" / LIB)
    env = env_for(
        tmp_path,
        DYNAFORM_LOCAL_ARCHIVE_URL="http://127.0.0.1:9/none.tar.gz",
        DYNAFORM_LOCAL_NPM_SPEC=str(package),
    )
    found = install(environ=env)
    assert found.source == f"npm package {package}"
    assert found.jar_sha256 == real_engine.jar_sha256
    assert found.version == real_engine.version
    assert not (found.directory / "package.json").exists()


def test_npm_integrity_mismatch_is_refused(tmp_path: Path) -> None:
    tarball = tmp_path / "p.tgz"
    tarball.write_bytes(b"payload")
    good = base64.b64encode(hashlib.sha512(b"payload").digest()).decode()
    _check_integrity(tarball, f"sha512-{good}")
    with pytest.raises(SourceUnavailableError, match="integrity"):
        _check_integrity(tarball, "sha512-AAAA")


def test_java_is_checked_before_any_download(
    tmp_path: Path, site: tuple[str, CountingServer]
) -> None:
    url, server = site
    env = env_for(tmp_path, DYNAFORM_LOCAL_ARCHIVE_URL=url)
    env["PATH"] = str(tmp_path)
    del env["JAVA_HOME"]
    with pytest.raises(JavaMissingError):
        install(environ=env)
    assert server.requests == []
