"""Put a recorded step's starting state back for the length of a replay, then today's.

Every comparison (graph, XLA, the layer probes) runs inside :func:`replayed_state`, so
comparing never changes training.
"""
from __future__ import annotations

import contextlib

from ..capturing.state import (model_variables, python_attributes, restore_python_attributes,
                               snapshot)


@contextlib.contextmanager
def replayed_state(step):
    """Put the variables as they were before ``step``; afterwards, as they are now.

    Yields the step's :class:`Replay` (python function, specs, args, kwargs, owner).
    Everything the replay may write is put back: the saved variables, any the model
    holds now (created by later steps), and the model's plain Python attributes.
    """
    replay = step._replay
    if replay is None or replay.state is None:
        why = (replay.why_not if replay is not None and replay.why_not else
               "the state before this step was not kept (capture(..., keep_state=True) "
               "keeps it within memory_budget, newest steps first)")
        raise RuntimeError(f"cannot compare step {step.index}: {why}")
    current = model_variables(replay.owner) if replay.owner is not None else []
    missing = replay.state.covers(current)
    if missing:
        names = ", ".join(getattr(v, "path", None) or v.name for v in missing[:3])
        raise RuntimeError(
            f"cannot compare step {step.index}: the model has variables its saved state "
            f"does not hold ({names}{', …' if len(missing) > 3 else ''}): they were "
            "created after this step, so replaying it would read their later values")
    now = snapshot(replay.state.variables)
    python_state = python_attributes(replay.owner)
    try:
        replay.state.restore()
        yield replay
    finally:
        now.restore()
        restore_python_attributes(replay.owner, python_state)
