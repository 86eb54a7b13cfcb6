"""Recorder policies: which steps to record, and how many values to keep."""
from __future__ import annotations

from collections import deque
from typing import Callable, Iterable


class StepSelector:
    """Decides per step index (0-based) whether it is recorded."""

    def __init__(self, steps: "str | int | Iterable[int] | Callable[[int], bool]"):
        # "first_nonfinite": no step is recorded up front; steps run as graphs, watched,
        # and the first one producing NaN/Inf is replayed eagerly and recorded.
        self.spec = steps
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
    """Keeps the values of one recording within ``limit`` bytes, newest first.

    What a step holds: its tensors' values, and (for ``compare()``) the variable state saved
    before it and its input batch. Admitting a step costs O(its size): the budget keeps a
    running total and a queue of the steps that still hold something, oldest first, and
    frees from the front of the queue (the oldest step's saved state first, then its
    tensors in execution order) until the total fits. A dropped value is freed for real:
    nothing else of eager_lab keeps a reference to it.

    Dropping runs while training runs, so by default it computes nothing: a summary
    computed before (someone looked) stays, others become unknown. With
    ``summarize_on_drop`` every summary is computed before its value goes (the cost of a
    third of a conv-net step, paid at the drop). A single tensor larger than the whole
    budget is never held: its summary is computed when its step ends, then it goes.

    ``reserved`` bytes are held by older recordings the user kept (``rec.keep()``): they
    count against this recording's limit.
    """

    def __init__(self, limit: int | None, summarize_on_drop: bool = False):
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                                  or limit < 0):
            raise ValueError(f"memory_budget must be an int >= 0 (bytes) or None; got {limit!r}")
        self.limit = limit
        self.summarize_on_drop = summarize_on_drop
        self.reserved = 0
        self.held = 0
        self.expected = 0              # bytes the last step held when it was admitted
        self._queue: deque = deque()   # [step, next tensor position to drop]

    def admit(self, step) -> None:
        """Count ``step``'s values, then free the oldest ones beyond the limit."""
        if self.limit is not None:
            room = self.limit - self.reserved
            for t in step.tensors:
                if t.nbytes > room and t.has_value:
                    t.summary  # noqa: B018 - its only chance: the value goes now
                    t.drop_value("larger_than_budget")
        size = step.nbytes_held + _replay_nbytes(step)
        self.held += size
        self.expected = size
        self._queue.append([step, 0])
        self._fit()

    def make_room(self) -> None:
        """Before a step: free what the next step will need (as much as the last one took).

        A step's outputs are all alive until it ends; making room first keeps the memory
        held at any moment, not only between steps, near the limit.
        """
        self._fit(self.expected)

    def replace(self, step, previous, comparison) -> None:
        """``step`` got a new comparison: count its graph values instead of ``previous``'s."""
        if previous is not None and previous is not comparison:
            self.held -= previous.drop_values()
        if any(entry[0] is step for entry in self._queue):
            self.held += comparison.nbytes
            self._fit()
        else:   # the step's values are gone already: its comparison keeps none either
            comparison.drop_values()

    def _fit(self, incoming: int = 0) -> None:
        if self.limit is None:
            return
        room = max(0, self.limit - self.reserved - incoming)
        queue = self._queue
        while self.held > room and queue:
            entry = queue[0]
            step = entry[0]
            self.held -= _drop_replay(step, "the state before this step was dropped by the "
                                      "memory budget")
            self.held -= _drop_comparison(step)
            tensors = step.tensors
            position = entry[1]
            while self.held > room and position < len(tensors):
                t = tensors[position]
                position += 1
                if t.has_value:
                    self.held -= t.nbytes
                    if self.summarize_on_drop:
                        t.summary  # noqa: B018 - computed while the value exists
                    t.drop_value("memory_budget")
            entry[1] = position
            if position >= len(tensors):
                queue.popleft()

    def release_all(self, why: str) -> None:
        """Free everything this recording holds (``why``: a key of records.VALUE_GONE)."""
        while self._queue:
            step = self._queue.popleft()[0]
            _drop_replay(step, "the state before this step was released for a newer recording")
            _drop_comparison(step)
            for t in step.tensors:
                if self.summarize_on_drop and t.has_value:
                    t.summary  # noqa: B018 - computed while the value exists
                t.drop_value(why)
        self.held = 0


def _replay_nbytes(step) -> int:
    replay = getattr(step, "_replay", None)
    return replay.nbytes if replay is not None else 0


def _drop_replay(step, why: str) -> int:
    replay = getattr(step, "_replay", None)
    return replay.drop(why) if replay is not None else 0


def _drop_comparison(step) -> int:
    freed = 0
    for attr in ("comparison", "xla_comparison"):
        drop = getattr(getattr(step, attr, None), "drop_values", None)
        freed += drop() if drop is not None else 0
    return freed
