"""A throwaway PostgreSQL 15 cluster for the PostgreSQL source's tests: initdb in a temporary
folder, its own free port, listening on 127.0.0.1 only, stopped and removed at the end. As
root, initdb and pg_ctl run as the ``postgres`` user (PostgreSQL refuses to run as root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dynaform.local.engine import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """Yields the cluster's address: postgresql://postgres@127.0.0.1:PORT/postgres."""
    if not (BIN / "initdb").exists():
        raise RuntimeError(f"PostgreSQL 15 is missing ({BIN}); run scripts/bootstrap.sh")
    folder = Path(tempfile.mkdtemp(prefix="dynaform-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    subprocess.run(
        _as_owner([str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                   "-E", "UTF8", "--no-sync"]),
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = str(BIN / "pg_ctl")
    subprocess.run(
        _as_owner([pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"),
                   "-w", "start"]),
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
            check=False, capture_output=True,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)
