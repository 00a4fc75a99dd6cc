"""Pausing the cyclic garbage collector while a view of many cells builds its rows.

A province's /summary or /ranking makes some 100,000 small objects (rows, tuples): every 700
allocations start a collection, and the older generations' ones walk whatever the process
holds, so the collections cost about as much as the view's own work (measured: half of an
organisation of four provinces' /summary, and what made it grow faster than its cells).
Reference counting still frees everything meanwhile; cycles made during the pause are
collected after it. Views running at the same time share one pause: the collector resumes
when the last one ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_resume = False  # whether the collector was on when the first pause began


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection inside the block (nests, and overlaps across coroutines)."""
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
