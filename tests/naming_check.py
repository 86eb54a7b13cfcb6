"""Run one zoo case eagerly under eager_lab and in graph mode under tfdbg2; score names."""
from __future__ import annotations

import keras
import numpy as np

import eager_lab
import oracle
import zoo


def check(name: str):
    keras.utils.set_random_seed(0)
    case = zoo.ZOO[name]()
    target = case.target if case.target is not None else case.model
    # Warm up in graph mode so every variable (optimizer slots, metrics) exists.
    if case.model is not None:
        case.run()
        variables = oracle.state_variables(case.model)
    else:
        case.run()
        variables = case.state()
    saved = [(v, np.array(v.numpy(), copy=True)) for v in variables]
    with eager_lab.capture(target) as rec:
        case.run()
    step = rec.steps[0]
    after_eager = [np.array(v.numpy(), copy=True) for v, _ in saved]
    oracle.restore(saved)
    graph = oracle.run_graph_step(case.model, case.run_graph or case.run, root_prefix=case.root)
    after_graph = [np.array(v.numpy(), copy=True) for v, _ in saved]
    return step, graph, oracle.score(step, graph), (after_eager, after_graph)
