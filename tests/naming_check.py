"""Run one zoo case eagerly under eager_lab and in graph mode under tfdbg2; score names."""
from __future__ import annotations

import keras
import numpy as np

import eager_lab
import oracle
import zoo


def check(name: str):
    """``(step, graph, score, states)`` of one zoo case.

    ``states`` is ``[(variable path, value after the eager step, value after the graph
    step)]``: both steps start from the same state, so they must end in the same one
    (:func:`assert_same_states`).
    """
    keras.utils.set_random_seed(0)
    case = zoo.ZOO[name]()
    target = case.target if case.target is not None else case.model
    # Warm up in graph mode so every variable (optimizer slots, metrics) exists.
    case.run()
    variables = oracle.state_variables(case.model) if case.model is not None else case.state()
    saved = [(v, np.array(v.numpy(), copy=True)) for v in variables]
    with eager_lab.capture(target) as rec:
        case.run()
    step = rec.steps[0]
    after_eager = [np.array(v.numpy(), copy=True) for v, _ in saved]
    oracle.restore(saved)
    graph = oracle.run_graph_step(case.model, case.run_graph or case.run, root_prefix=case.root)
    after_graph = [np.array(v.numpy(), copy=True) for v, _ in saved]
    states = [(getattr(v, "path", None) or v.name, e, g)
              for (v, _), e, g in zip(saved, after_eager, after_graph)]
    return step, graph, oracle.score(step, graph), states


# Measured: eager and graph steps end within 7.5e-9 of each other on every zoo model
# (grappler and oneDNN reorder float sums); a wrong step or a wrong restore is far above.
STATE_RTOL, STATE_ATOL = 1e-6, 1e-6


def assert_same_states(states) -> None:
    """The eager step (under capture) and the graph step left the same variable values."""
    assert states, "no variables compared"
    differ = []
    for path, eager, graph in states:
        if eager.shape != graph.shape:
            differ.append(f"{path} (shape {eager.shape} vs {graph.shape})")
        elif eager.dtype.kind not in "fc":      # counters, seeds: exactly
            if not np.array_equal(eager, graph):
                differ.append(f"{path} ({eager.ravel()[:4]} vs {graph.ravel()[:4]})")
        elif not np.allclose(eager, graph, rtol=STATE_RTOL, atol=STATE_ATOL):
            delta = np.max(np.abs(eager.astype(np.float64) - graph.astype(np.float64)))
            differ.append(f"{path} (max |Δ| {delta:.3g})")
    assert not differ, f"eager and graph steps ended in different states: {differ[:5]}"
