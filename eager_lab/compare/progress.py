"""What a comparison is doing, for anyone waiting on it: the panel and the notebook cell.

``compare()`` takes seconds on a real model (TensorFlow optimises the whole step graph
first). Each stage is announced: the step keeps it (``step.compare_progress``, which the
panel's transport pushes as ``compare_progress``), and in a notebook cell a line appears
once the comparison has run for :data:`SHOW_AFTER` seconds and is updated at each stage
(a timer thread: the longest stage is one TensorFlow call), then replaced by the time it
took.
"""
from __future__ import annotations

import threading
import time

from ..record import events

SHOW_AFTER = 2.0


class Progress:
    def __init__(self, step, mode: str):
        self.step, self.mode = step, mode
        self.started = time.monotonic()
        self.stage = "starting"
        self._lock = threading.Lock()
        self._display = None
        self._finished = False
        self._timer = None
        if _in_a_cell():
            self._timer = threading.Timer(SHOW_AFTER, self._show)
            self._timer.daemon = True
            self._timer.start()

    def __call__(self, stage: str) -> None:
        with self._lock:
            self.stage = stage
            self.step.compare_progress = {"mode": self.mode, "stage": stage,
                                          "elapsed": round(time.monotonic() - self.started, 1)}
            if self._display is not None:
                self._display.update(_Line(self._text()))
        owner = events.recording_of(self.step)
        if owner is not None:
            events.emit("compare_progress", owner, self.step)

    def done(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._finished = True
            done = {"mode": self.mode, "stage": None,
                    "elapsed": round(time.monotonic() - self.started, 1)}
            if self._display is not None:
                what = "XLA" if self.mode == "xla" else "its graph"
                self._display.update(_Line(f"Compared step {self.step.index} with {what} in "
                                           f"{time.monotonic() - self.started:.1f} s"))
                self._display = None
        owner = events.recording_of(self.step)
        self.step.compare_progress = done
        try:
            if owner is not None:   # stage None: done (the reply, or the error, follows)
                events.emit("compare_progress", owner, self.step)
        finally:
            self.step.compare_progress = None

    def _text(self) -> str:
        what = "XLA" if self.mode == "xla" else "its graph"
        return (f"Comparing step {self.step.index} with {what}: {self.stage}… "
                f"({time.monotonic() - self.started:.0f} s)")

    def _show(self) -> None:
        from IPython.display import display
        with self._lock:
            if self._finished:
                return
            self._display = display(_Line(self._text()), display_id=True)


class _Line:
    """A plain-text line (and the same in HTML, so JupyterLab shows it as output)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        import html
        return f"<div class='eager-lab-progress'>{html.escape(self.text)}</div>"


def _in_a_cell() -> bool:
    """The main thread of an IPython kernel (the panel's requests run on another thread)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
