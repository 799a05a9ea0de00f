"""Bulk steps: reading a national plan, reading forms and writing the master each create
millions of small objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a bulk step, back as it was afterwards.

    Such a step creates millions of small acyclic objects (freed by reference counting);
    each of them counts towards collections that walk the whole heap, which cost a quarter
    of reading forms or writing the master and half of reading a national plan (135.000
    targets). Cycles made meanwhile wait until the step's end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
