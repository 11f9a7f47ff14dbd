"""Installing AWS's DynamoDB Local into the shared cache.

Sources, tried in order, each failing fast with a one-line reason:

1. ``$DYNAMODB_LOCAL_DIR``: an unpacked DynamoDB Local, used in place.
2. AWS's download archive (``$DYNAFORM_LOCAL_ARCHIVE_URL`` overrides the address), checked
   against the ``.sha256`` file AWS publishes beside it.
3. The npm package ``amplify-dynamodb-simulator``, which ships AWS's jar and libraries under
   ``emulator/``; fetched with ``npm pack`` and checked against the integrity digest npm reports.

The result is recorded in ``manifest.json`` with the jar's sha256, so a second ``install`` is a
no-op and a damaged install is detected and replaced.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from dynaform.errors import InstallError
from dynaform.local.java import find_java
from dynaform.local.paths import dynaform_home

JAR = "DynamoDBLocal.jar"
LIB = "DynamoDBLocal_lib"
DEFAULT_ARCHIVE_URL = "https://d1ni2b6xgvw0s0.cloudfront.net/v2.x/dynamodb_local_latest.tar.gz"
# Pinned so every machine runs the same engine; override with $DYNAFORM_LOCAL_NPM_SPEC.
DEFAULT_NPM_SPEC = "amplify-dynamodb-simulator@2.9.30"
NETWORK_TIMEOUT_S = 10.0

Report = Callable[[str], None]


@dataclass(frozen=True)
class Installation:
    directory: Path
    source: str
    version: str
    jar_sha256: str

    @property
    def jar(self) -> Path:
        return self.directory / JAR

    @property
    def lib(self) -> Path:
        return self.directory / LIB


class SourceUnavailableError(Exception):
    """One source could not provide DynamoDB Local; the message is a one-line reason."""


def install_root(environ: Mapping[str, str] | None = None) -> Path:
    return dynaform_home(environ) / "dynamodb-local"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_layout(directory: Path) -> None:
    """Raise SourceUnavailableError unless ``directory`` holds an unpacked DynamoDB Local."""
    if not directory.is_dir():
        raise SourceUnavailableError(f"{directory} is not a directory")
    if not (directory / JAR).is_file():
        raise SourceUnavailableError(f"{directory} has no {JAR}")
    if not (directory / LIB).is_dir():
        raise SourceUnavailableError(f"{directory} has no {LIB}/")


def engine_version(directory: Path) -> str:
    """Ask the jar itself (DynamoDB Local supports ``-version`` since 1.25)."""
    java = find_java()
    try:
        result = subprocess.run(
            [str(java.executable), "-jar", str(directory / JAR), "-version"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=directory,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    return lines[-1] if result.returncode == 0 and lines else "unknown"


# --- the manifest -----------------------------------------------------------------------


def read_manifest(root: Path) -> Installation | None:
    """The recorded installation, if it is still intact (jar present, same sha256)."""
    try:
        data = json.loads((root / "manifest.json").read_text())
        found = Installation(
            directory=Path(data["directory"]),
            source=str(data["source"]),
            version=str(data["version"]),
            jar_sha256=str(data["jar_sha256"]),
        )
        check_layout(found.directory)
    except (OSError, ValueError, KeyError, TypeError, SourceUnavailableError):
        return None
    if sha256_file(found.jar) != found.jar_sha256:
        return None
    return found


def write_manifest(root: Path, installation: Installation) -> None:
    root.mkdir(parents=True, exist_ok=True)
    data = asdict(installation) | {"directory": str(installation.directory)}
    tmp = root / "manifest.json.tmp"
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(root / "manifest.json")


# --- the sources ------------------------------------------------------------------------


def from_local_dir(directory: Path) -> Path:
    check_layout(directory)
    return directory


def _fetch(url: str, destination: Path | None = None) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=NETWORK_TIMEOUT_S) as response:
            if destination is None:
                return bytes(response.read())
            with destination.open("wb") as out:
                shutil.copyfileobj(response, out, 1 << 20)
            return b""
    except urllib.error.HTTPError as exc:
        raise SourceUnavailableError(f"{url} answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SourceUnavailableError(f"cannot reach {url} ({reason})") from exc


def _safe_extract(archive: Path, destination: Path, prefix: str = "") -> None:
    """Extract members under ``prefix`` (stripped) without letting any escape ``destination``."""
    with tarfile.open(archive, "r:*") as tar:
        members = []
        for member in tar.getmembers():
            if not member.name.startswith(prefix):
                continue
            member.name = member.name[len(prefix) :]
            if member.name:
                members.append(member)
        tar.extractall(destination, members=members, filter="data")


def from_aws_archive(url: str, workdir: Path) -> Path:
    expected_text = _fetch(url + ".sha256").decode("ascii", "replace").split()
    if not expected_text:
        raise SourceUnavailableError(f"{url}.sha256 is empty")
    expected = expected_text[0].lower()
    archive = workdir / "dynamodb_local.tar.gz"
    _fetch(url, archive)
    actual = sha256_file(archive)
    if actual != expected:
        raise SourceUnavailableError(
            f"sha256 mismatch for {url}: expected {expected}, got {actual}"
        )
    unpacked = workdir / "unpacked"
    try:
        _safe_extract(archive, unpacked)
    except (tarfile.TarError, OSError) as exc:
        raise SourceUnavailableError(f"cannot unpack {url}: {exc}") from exc
    check_layout(unpacked)
    return unpacked


def _check_integrity(path: Path, integrity: str) -> None:
    """Check an npm Subresource-Integrity string ("sha512-<base64>") against a file."""
    algorithm, _, encoded = integrity.partition("-")
    if algorithm not in {"sha512", "sha384", "sha256", "sha1"} or not encoded:
        raise SourceUnavailableError(f"npm reported an unusable integrity value {integrity!r}")
    digest = hashlib.new(algorithm, path.read_bytes()).digest()
    if base64.b64encode(digest).decode() != encoded:
        raise SourceUnavailableError(
            f"{path.name} does not match npm's {algorithm} integrity digest"
        )


def from_npm(spec: str, workdir: Path, search_path: str | None = None) -> Path:
    npm = shutil.which("npm", path=search_path)
    if npm is None:
        raise SourceUnavailableError("`npm` is not installed")
    command = [
        npm,
        "pack",
        spec,
        "--json",
        "--pack-destination",
        str(workdir),
        "--fetch-retries=1",
        "--fetch-retry-mintimeout=2000",
        "--fetch-retry-maxtimeout=5000",
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=workdir)
    except subprocess.TimeoutExpired as exc:
        raise SourceUnavailableError(f"`npm pack {spec}` took more than 10 minutes") from exc
    if result.returncode != 0:
        lines = [ln for ln in result.stderr.splitlines() if "ERR" in ln] or ["(no output)"]
        raise SourceUnavailableError(f"`npm pack {spec}` failed: {lines[0].strip()}")
    try:
        packed = json.loads(result.stdout)[0]
        tarball = workdir / packed["filename"]
        integrity = str(packed["integrity"])
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise SourceUnavailableError(f"`npm pack {spec}` printed no package record") from exc
    _check_integrity(tarball, integrity)
    unpacked = workdir / "unpacked"
    try:
        _safe_extract(tarball, unpacked, prefix="package/emulator/")
    except (tarfile.TarError, OSError) as exc:
        raise SourceUnavailableError(f"cannot unpack {tarball.name}: {exc}") from exc
    try:
        check_layout(unpacked)
    except SourceUnavailableError as exc:
        raise SourceUnavailableError(
            f"{spec} does not ship DynamoDB Local under emulator/"
        ) from exc
    return unpacked


# --- putting it together ----------------------------------------------------------------


def _adopt(root: Path, unpacked: Path, source: str) -> Installation:
    """Move a freshly unpacked engine into place atomically and record it."""
    target = root / "current"
    old = root / "previous"
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    shutil.move(str(unpacked), str(target))
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)
    installation = Installation(target, source, engine_version(target), sha256_file(target / JAR))
    write_manifest(root, installation)
    return installation


def _use_local_dir(root: Path, local_dir: str, force: bool) -> Installation:
    """Record ``$DYNAMODB_LOCAL_DIR`` as the installation (used in place, never copied)."""
    directory = from_local_dir(Path(local_dir).expanduser().resolve())
    recorded = read_manifest(root)
    if recorded is not None and recorded.directory == directory and not force:
        return recorded
    installation = Installation(
        directory=directory,
        source="DYNAMODB_LOCAL_DIR",
        version=engine_version(directory),
        jar_sha256=sha256_file(directory / JAR),
    )
    write_manifest(root, installation)
    return installation


def install(
    *,
    environ: Mapping[str, str] | None = None,
    force: bool = False,
    report: Report | None = None,
) -> Installation:
    """Find or fetch DynamoDB Local; idempotent. Raises InstallError listing every source tried."""
    env = os.environ if environ is None else environ
    say = report or (lambda _message: None)
    root = install_root(env)
    find_java(env)  # before any download: without Java the engine is of no use

    local_dir = env.get("DYNAMODB_LOCAL_DIR")
    reasons: list[str] = []
    if local_dir:
        try:
            return _use_local_dir(root, local_dir, force)
        except SourceUnavailableError as exc:
            reasons.append(f"DYNAMODB_LOCAL_DIR: {exc}")
            say(f"skipped DYNAMODB_LOCAL_DIR: {exc}")
    else:
        reasons.append("DYNAMODB_LOCAL_DIR: not set")

    if not force:
        recorded = read_manifest(root)
        if recorded is not None:
            return recorded
    return _fetch_first(root, env, reasons, say)


def _fetch_first(
    root: Path, env: Mapping[str, str], reasons: list[str], say: Report
) -> Installation:
    """Try AWS's archive, then npm; adopt the first that delivers, else raise with every reason."""
    root.mkdir(parents=True, exist_ok=True)
    url = env.get("DYNAFORM_LOCAL_ARCHIVE_URL") or DEFAULT_ARCHIVE_URL
    spec = env.get("DYNAFORM_LOCAL_NPM_SPEC") or DEFAULT_NPM_SPEC
    attempts: list[tuple[str, Callable[[Path], Path]]] = [
        ("AWS download archive", lambda work: from_aws_archive(url, work)),
        (f"npm package {spec}", lambda work: from_npm(spec, work, env.get("PATH"))),
    ]
    for label, fetch in attempts:
        say(f"trying {label} …")
        with tempfile.TemporaryDirectory(dir=root, prefix="fetch-") as tmp:
            try:
                unpacked = fetch(Path(tmp))
            except SourceUnavailableError as exc:
                reasons.append(f"{label}: {exc}")
                say(f"skipped {label}: {exc}")
                continue
            return _adopt(root, unpacked, label)
    raise InstallError(
        "could not install DynamoDB Local; tried " + "; ".join(reasons),
        hint="set DYNAMODB_LOCAL_DIR to an unpacked DynamoDB Local, allow access to AWS's "
        "download site or to npm, or use `--engine moto`",
    )
