"""The cyclic garbage collector during bulk runs.

A bulk run builds millions of short-lived JSON containers (a scanned page is some 40,000 dicts
and lists) that never form cycles. With the default thresholds the collector promotes each page
to the oldest generation and then walks the whole heap about once per page: measured, that was
three quarters of the CPU of parsing a page. During a run, the youngest generation is collected
every 200,000 allocations instead of 700; cycles are still collected, just later, and the
previous thresholds come back when the run ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BULK_THRESHOLDS = (200_000, 50, 100)


@contextmanager
def bulk_collections() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(*BULK_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
