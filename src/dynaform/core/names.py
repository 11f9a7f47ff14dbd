"""Names the whole tool agrees on, importable without loading anything else."""

from __future__ import annotations

PROJECT_FILE_NAMES = ("dynaform.yaml", "dynaform.yml", "dynaform.json")
