"""dynaform: own your Amazon DynamoDB tables as code, from a laptop to production."""

# A literal, not importlib.metadata (which costs ~100 ms at every CLI start); a test checks it
# matches pyproject.toml.
__version__ = "0.1.0"

__all__ = ["__version__"]
