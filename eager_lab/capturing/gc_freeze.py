"""While a capture is open, Python's cyclic garbage collector skips what existed before it.

A recorded step keeps thousands of new objects alive (a record, its outputs and its call
stack per op): they push the collector into full collections, each of which walks every
object of the process — TensorFlow and Keras alone are millions. Measured on
MobileNetV2-0.35 (8,000 ops a step): 268 ms of collection per captured step against
2.5 ms per plain step, a fifth of the step. ``gc.freeze()`` moves the objects that exist
when the first capture opens to the collector's permanent generation, so collections while
capturing walk only what was made since, and each recorded step's records are frozen too
when it ends; ``gc.unfreeze()`` hands everything back when the last capture closes, and
garbage among it is collected as usual from then on. Refcounting is untouched: a dropped
value is freed at once; only garbage in reference cycles waits for the block's end. A
process that froze objects itself (a server pre-forking workers) is left as it was.
"""
from __future__ import annotations

import contextlib
import gc
import threading

_lock = threading.Lock()
_open = 0          # captures open now, in any thread
_froze = False     # the objects frozen now were frozen by eager_lab
_thresholds = None  # the collector's thresholds before the first capture opened
# Full collections while capturing: only after this many collections of generation 1
# (default 10). What survives into generation 2 then is the recording itself.
FULL_EVERY = 1000


_pauses = 0        # collection_paused() blocks running now, in any thread
_paused_from = False  # the collector was on when the first of them began


@contextlib.contextmanager
def collection_paused():
    """No automatic collection inside (the panel's page builder makes 100,000s of short-
    lived tuples, which set off full collections). Nested and concurrent pauses share one
    count, so the collector comes back on only after the last, and only if it was on;
    a capture opened meanwhile still sees it as on and freezes as usual."""
    global _pauses, _paused_from
    with _lock:
        if _pauses == 0:
            _paused_from = gc.isenabled()
        _pauses += 1
        gc.disable()
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _paused_from:
                gc.enable()


def _collector_on() -> bool:
    return gc.isenabled() or (_pauses > 0 and _paused_from)


def enter() -> None:
    global _open, _froze, _thresholds
    with _lock:
        _open += 1
        if _open == 1 and _collector_on() and gc.get_freeze_count() == 0:
            gc.freeze()
            _froze = True
            _thresholds = gc.get_threshold()
            gc.set_threshold(_thresholds[0], _thresholds[1], max(FULL_EVERY, _thresholds[2]))


def step_recorded() -> None:
    """A step's records join the frozen objects: collections during the next step walk
    only what that step makes (refcounting still frees anything dropped at once; only
    reference cycles wait for the block's end)."""
    with _lock:
        if _froze:
            gc.freeze()


def leave() -> None:
    global _open, _froze
    with _lock:
        _open = max(0, _open - 1)
        if _open == 0 and _froze:
            gc.unfreeze()
            _froze = False
            if gc.get_threshold()[2] == max(FULL_EVERY, _thresholds[2]):  # not changed since
                gc.set_threshold(*_thresholds)
