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

import functools
import time

from ..record import events
from ..record.records import GraphRunError
from .causes import attribute
from .diff import DEFAULT_TOLERANCES, Comparison, build
from .graph_run import StepFailedAsGraph, run_step_in_graph
from .progress import Progress
from .replay import replayed_state


def compare_step(step, tolerances: "dict[str, tuple[float, float]] | None" = None, *,
                 jit_compile: bool = False) -> Comparison:
    """``step.compare(tolerances)``: see :meth:`eager_lab.record.records.Step.compare`."""
    tolerances = {**DEFAULT_TOLERANCES, **(tolerances or {})}
    started = time.perf_counter()
    progress = Progress(step, "xla" if jit_compile else "graph")
    try:
        if jit_compile:
            from .xla import compare_with_xla
            progress("running the step with XLA (compiling it first)")
            comparison = compare_with_xla(step, tolerances, functools.partial(
                _graph_comparison, step, tolerances, progress))
            attr = "xla_comparison"
        else:
            comparison = _compare_with_graph(step, tolerances, progress)
            attr = "comparison"
    finally:
        progress.done()
    comparison.seconds = time.perf_counter() - started
    _keep(step, comparison, attr)
    return comparison


def _graph_comparison(step, tolerances, progress) -> Comparison:
    """The plain-graph comparison the XLA one needs: the kept one (whatever its
    tolerances: it is read for its first real divergence), else run and kept."""
    if step.comparison is not None:
        return step.comparison
    comparison = _compare_with_graph(step, tolerances, progress)
    _keep(step, comparison, "comparison")
    progress("narrowing the XLA difference to a layer")
    return comparison


def _compare_with_graph(step, tolerances, progress) -> Comparison:
    with replayed_state(step) as replay:
        progress("running the step as a graph (TensorFlow optimises it first)")
        try:
            run = run_step_in_graph(replay)
        except StepFailedAsGraph as failed:
            raise GraphRunError(step.index, failed.__cause__) from failed.__cause__
        progress("comparing values")
        comparison = build(step, run, tolerances)
        progress("finding the cause of each difference")
        attribute(step, run, comparison, progress)
    return comparison


def _keep(step, comparison, attr: str) -> None:
    owner = events.recording_of(step)
    previous = getattr(step, attr)
    setattr(step, attr, comparison)
    if owner is not None:  # its graph values count against the recording's budget
        owner._budget.replace(step, previous, comparison)
        events.emit("compared", owner, step)   # an open panel shows eager | graph
