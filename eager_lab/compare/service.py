"""Compare a recorded step with the same step run as a graph, leaving training as it was.

A :class:`~eager_lab.record.records.Step` is plain data: its tensors, and (``_replay``)
the inputs and variable state before it. This service does the work behind
``step.compare()``: put that state back, run the step as a graph under tfdbg2
(:mod:`.graph_run`), pair and compare the values (:mod:`.diff`), put the variables and the
model's plain Python attributes back as they were, then keep the result on the step and
tell the panel. The capture that records a step hands it this function, so the record
stage never imports this one.
"""
from __future__ import annotations

from ..capturing.state import (model_variables, python_attributes, restore_python_attributes,
                               snapshot)
from ..record import events
from ..record.records import GraphRunError
from .diff import DEFAULT_TOLERANCES, Comparison, build
from .graph_run import StepFailedAsGraph, run_step_in_graph


def compare_step(step, tolerances: "dict[str, tuple[float, float]] | None" = None
                 ) -> Comparison:
    """``step.compare(tolerances)``: see :meth:`eager_lab.record.records.Step.compare`."""
    replay = step._replay
    if replay is None or replay.state is None:
        why = (replay.why_not if replay is not None and replay.why_not else
               "the state before this step was not kept (capture(..., keep_state=True) "
               "keeps it within memory_budget, newest steps first)")
        raise RuntimeError(f"cannot compare step {step.index}: {why}")
    # Everything the replay may write is put back afterwards: the saved variables and
    # any the model holds now (created by later steps).
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
        run = run_step_in_graph(replay.python_function, replay.specs, replay.args,
                                replay.kwargs)
    except StepFailedAsGraph as failed:
        raise GraphRunError(step.index, failed.__cause__) from failed.__cause__
    finally:
        now.restore()
        restore_python_attributes(replay.owner, python_state)
    comparison = build(step, run, {**DEFAULT_TOLERANCES, **(tolerances or {})})
    owner = events.recording_of(step)
    previous, step.comparison = step.comparison, comparison
    if owner is not None:  # its graph values count against the recording's budget
        owner._budget.replace(step, previous, comparison)
        events.emit("compared", owner, step)   # an open panel shows eager | graph
    return comparison
