"""Variable state before a step, so the step can be replayed (in graph mode, or eagerly).

A snapshot is a numpy copy of every variable the step may change: the model's weights
(including Keras seed-generator states, so dropout draws the same masks), every optimizer
the model holds, metric variables, Keras' global seed generator. For a step function, the
variables its traced graph captures.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def model_variables(model) -> list:
    """Every variable a Keras train step can change, each once."""
    import keras
    from keras.src.backend.common import global_state

    groups = [model.variables, getattr(model, "metrics_variables", [])]
    optimizers = [getattr(model, "optimizer", None)]
    optimizers += [v for v in vars(model).values() if isinstance(v, keras.optimizers.Optimizer)]
    groups += [o.variables for o in optimizers if o is not None]
    seed = global_state.get_global_attribute("global_seed_generator")
    if seed is not None:
        groups.append([seed.state])
    return _unique(v for group in groups for v in group)


def _unique(variables) -> list:
    seen, out = set(), []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


@dataclass
class Snapshot:
    """Values of ``variables`` at one moment; :meth:`restore` assigns them back."""

    variables: list
    values: list

    @property
    def nbytes(self) -> int:
        return sum(v.nbytes for v in self.values)

    def restore(self) -> None:
        for variable, value in zip(self.variables, self.values):
            variable.assign(value)


def snapshot(variables) -> Snapshot:
    variables = _unique(variables)
    return Snapshot(variables, [np.array(v.numpy(), copy=True) for v in variables])
