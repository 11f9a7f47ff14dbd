"""Declared tables: the project file, its validation, naming and per-environment resolution."""
