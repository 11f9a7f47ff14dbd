"""The codec compiled by mypyc from the same source, for the tests.

The wheel build (``DYNAFORM_COMPILE=1``, see setup.py) compiles ``dynaform.data.codec`` in
place; the tests compile a copy of the same file as a top-level module in pytest's cache (the
codec imports nothing from dynaform), so the dev install keeps the pure module and both are
tested. The build is redone only when the source or the Python version changes.
"""

from __future__ import annotations

import hashlib
import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import dynaform.data.codec

NAME = "dynaform_codec_compiled"


def build(cache: Path) -> ModuleType:
    source = Path(dynaform.data.codec.__file__)
    assert source.suffix == ".py", "the dev install must use the pure codec"
    text = source.read_bytes()
    stamp = hashlib.sha256(text + sys.version.encode()).hexdigest()[:16]
    folder = cache / stamp
    if not list(folder.glob(f"{NAME}.*.so")):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / f"{NAME}.py").write_bytes(text)
        mypyc = Path(sys.executable).parent / "mypyc"
        subprocess.run(
            [str(mypyc), f"{NAME}.py"], cwd=folder, check=True, capture_output=True, text=True
        )
        (folder / f"{NAME}.py").unlink()  # so the import below can only find the compiled one
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module(NAME)
    finally:
        sys.path.remove(str(folder))
    assert not str(module.__file__).endswith(".py")
    return module
