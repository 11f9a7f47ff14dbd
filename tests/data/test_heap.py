"""Bulk runs collect cycles less often while they run, and leave the thresholds as found."""

from __future__ import annotations

import gc

import pytest

from dynaform.data.heap import BULK_THRESHOLDS, bulk_collections


def test_thresholds_are_raised_during_a_run_and_restored_after_a_failure() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), bulk_collections():
        assert gc.get_threshold() == BULK_THRESHOLDS
        raise RuntimeError("the run stopped")
    assert gc.get_threshold() == before
    assert gc.isenabled()
