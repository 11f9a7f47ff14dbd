"""dynaform: own your Amazon DynamoDB tables as code, from a laptop to production."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dynaform")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
