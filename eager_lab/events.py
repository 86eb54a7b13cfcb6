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
from typing import Callable

KEEP = 5

#: id -> Recording, oldest first; ``eager_lab.recordings`` is this dict.
recordings: dict = {}
_listeners: list[Callable] = []
_next_id = 1
_log = logging.getLogger("eager_lab")


def register(recording) -> int:
    """Give ``recording`` an id and keep it (dropping the oldest beyond ``KEEP``)."""
    global _next_id
    from .transport import ensure_transport  # a capture in a kernel: reach an open panel
    ensure_transport()                       # (once; never raises; no-op outside a kernel)
    if getattr(recording, "id", None) is None:
        recording.id = _next_id
        _next_id += 1
    # Older recordings keep their summaries but give their values back: the memory budget
    # is per recording, and only the newest one's values are worth keeping.
    for older in recordings.values():
        if older is not recording:
            for step in older.steps:
                for tensor in step.tensors:
                    if tensor.has_value:
                        tensor.drop_value()
    recordings[recording.id] = recording
    while len(recordings) > KEEP:
        del recordings[next(iter(recordings))]
    return recording.id


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
    return next((r for r in recordings.values() if any(s is step for s in r.steps)), None)
