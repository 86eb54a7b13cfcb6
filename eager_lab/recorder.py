"""Recorder policies: which steps to record, and how many values to keep."""
from __future__ import annotations

from typing import Callable, Iterable


class StepSelector:
    """Decides per step index (0-based) whether it is recorded."""

    def __init__(self, steps: "str | int | Iterable[int] | Callable[[int], bool]"):
        # "first_nonfinite": no step is recorded up front; steps run as graphs, watched,
        # and the first one producing NaN/Inf is replayed eagerly and recorded.
        self.first_nonfinite = steps == "first_nonfinite"
        if self.first_nonfinite:
            self._test = lambda i: False
        elif steps == "all" or steps is None:
            self._test = lambda i: True
        elif isinstance(steps, bool):
            raise ValueError("steps must be 'all', 'first_nonfinite', an int, an iterable of "
                             "ints or a predicate; got a bool")
        elif isinstance(steps, int):
            if steps < 0:
                raise ValueError(f"steps={steps}: step indices start at 0")
            self._test = lambda i, s=steps: i == s
        elif callable(steps):
            self._test = steps
        elif isinstance(steps, range):
            self._test = steps.__contains__
        else:
            try:
                chosen = frozenset(int(s) for s in steps)
            except (TypeError, ValueError):
                raise ValueError(
                    f"steps must be 'all', 'first_nonfinite', an int, an iterable of ints "
                    f"(e.g. range(0, 1000, 50)) or a predicate; got {steps!r}") from None
            self._test = chosen.__contains__

    def __call__(self, index: int) -> bool:
        return bool(self._test(index))


class ValueBudget:
    """Keeps tensor values (and saved pre-step states) of the newest steps within
    ``limit`` bytes; drops older ones.

    Summaries are computed before a value is dropped, so they survive.
    """

    def __init__(self, limit: int | None):
        if limit is not None and limit < 0:
            raise ValueError(f"memory_budget must be >= 0 bytes or None; got {limit}")
        self.limit = limit

    def admit(self, newest, steps) -> None:
        if self.limit is None:
            return
        held = 0
        for step in reversed(steps):
            replay = getattr(step, "_replay", None)
            if replay is not None and replay.state is not None:
                if held + replay.state.nbytes <= self.limit:
                    held += replay.state.nbytes
                else:
                    replay.state = None
                    replay.why_not = "the state before this step was dropped by the memory budget"
            for t in reversed(step.tensors):
                if not t.has_value:
                    continue
                if held + t.nbytes <= self.limit:
                    held += t.nbytes
                else:
                    t.drop_value()
