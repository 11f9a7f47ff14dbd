"""Seed data: seed files with a little templating, and generators (Python functions that yield
items, registered with ``@generator``)."""

from dynaform.seed.registry import Option, generator

__all__ = ["Option", "generator"]
