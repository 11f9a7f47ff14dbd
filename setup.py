"""The optional compiled codec.

``pip install .`` and the editable dev install (``pip install -e .``) ship the pure-Python
package. With ``DYNAFORM_COMPILE=1`` the wheel also carries ``dynaform.data.codec`` compiled
by mypyc from the same typed source (``DYNAFORM_COMPILE=1 pip wheel .``: the build fetches
mypy; a C compiler and the Python headers must be installed). Python imports the compiled
module before the ``.py`` next to it, so the pure module stays the fallback wherever the
compiled one is missing.
"""

from __future__ import annotations

import os

from setuptools import setup

COMPILED = ["src/dynaform/data/codec.py"]

if os.environ.get("DYNAFORM_COMPILE") != "1":
    setup()
else:
    try:
        from mypyc.build import mypycify
    except ImportError:  # an isolated build asks for its requirements first: mypy, then build
        setup(setup_requires=["mypy>=1.10"])
    else:
        setup(ext_modules=mypycify(COMPILED, opt_level="3"))
