"""Recordings the kernel keeps, and who hears about them.

Every recording gets an id and is kept in :data:`recordings` (the latest ``KEEP`` of them,
values only for the newest), so a frontend that connects late can still ask for it
(``eager_lab.recordings[id]``).
Listeners (the comm transport) are told when a recording starts, records a step, ends,
and when one of its steps is compared with the graph. A listener's failure never reaches
the training loop.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

KEEP = 5

#: id -> Recording, oldest first; ``eager_lab.recordings`` is this dict.
recordings: dict = {}
#: The newest recording (``eager_lab.last``): set when a ``capture()`` block ends, or
#: while ``%eager_debug on`` records.
last = None
#: The comparison ``%%eager_debug --compare`` ran last (``eager_lab.last_comparison``).
last_comparison = None
_listeners: list[Callable] = []
_before_register: list[Callable[[], None]] = []
_next_id = 1
_lock = threading.RLock()   # captures in several threads register concurrently
_log = logging.getLogger("eager_lab")


def register(recording) -> int:
    """Give ``recording`` an id and keep it (dropping the oldest beyond ``KEEP``).

    All recordings share one memory budget, the newest one's: older recordings that are
    finished and not kept (``rec.keep()``) release their values (summaries stay), and the
    values of kept ones count against the new recording's budget.
    """
    global _next_id
    for prepare in list(_before_register):
        prepare()
    with _lock:
        if getattr(recording, "id", None) is None:
            recording.id = _next_id
            _next_id += 1
        reserved = 0
        for older in list(recordings.values()):
            if older is recording or not older.finished:
                continue   # a capture running in another thread keeps its own values
            if older.kept:
                reserved += older._budget.held
            else:
                older._budget.release_all("newer_recording")
        recording._budget.reserved = reserved
        recordings[recording.id] = recording
        # Forget the oldest beyond KEEP (a kept recording is kept here too).
        forgettable = [k for k, r in recordings.items() if not r.kept and r is not recording]
        for key in forgettable[:max(0, len(recordings) - KEEP)]:
            recordings.pop(key)._budget.release_all("newer_recording")
    return recording.id


def before_register(prepare: Callable[[], None]) -> None:
    """Call ``prepare()`` before each recording is registered (it must never raise).

    The package root wires the later stages in here (start the comm to the panel, note
    cell ids), so that this module does not import them.
    """
    if prepare not in _before_register:
        _before_register.append(prepare)


def add_listener(listener: Callable) -> None:
    """``listener(event, recording, step)``; event is "started", "step", "finished" or
    "compared"."""
    if listener not in _listeners:
        _listeners.append(listener)


def remove_listener(listener: Callable) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def emit(event: str, recording, step=None) -> None:
    for listener in list(_listeners):
        try:
            listener(event, recording, step)
        except Exception:  # noqa: BLE001 - a frontend problem must not stop training
            _log.exception("eager_lab listener failed on %r", event)


def recording_of(step):
    """The kept recording holding ``step``, or None."""
    with _lock:
        kept = list(recordings.values())
    return next((r for r in kept if any(s is step for s in r.steps)), None)
