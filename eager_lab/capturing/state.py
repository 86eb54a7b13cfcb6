"""Variable state before a step, so the step can be replayed (in graph mode, or eagerly).

A snapshot is a numpy copy of every variable the step may change: the model's weights
(including Keras seed-generator states, so dropout draws the same masks), every optimizer
the model holds, metric variables, Keras' global seed generator. For a step function, the
variables its traced graph captures.

Keras creates some state lazily, inside the first step that needs it: optimizer slots
(Adam's ``m`` and ``v``), the iteration counter, metric variables, sometimes layer weights.
A snapshot taken before that step cannot hold them, so the recorded step runs under a
:class:`CreatedVariables` scope that keeps each variable created during the step with its
value at creation: that is its value "before the step", and the snapshot gets it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def model_variables(model) -> list:
    """Every variable a Keras train step can change, each once."""
    import keras

    from .. import compat

    groups = [model.variables, getattr(model, "metrics_variables", [])]
    optimizers = [getattr(model, "optimizer", None)]
    optimizers += [v for v in vars(model).values() if isinstance(v, keras.optimizers.Optimizer)]
    groups += [o.variables for o in optimizers if o is not None]
    seed = compat.keras_global_seed_generator()
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

    def add_created(self, created: CreatedVariables) -> None:
        """Add the variables a step created, at their values from creation."""
        known = {id(v) for v in self.variables}
        for variable, value in zip(created.variables, created.values):
            if id(variable) not in known:
                self.variables.append(variable)
                self.values.append(value)

    def covers(self, variables) -> list:
        """The variables in ``variables`` this snapshot does not hold (by storage)."""
        held = {_storage(v) for v in self.variables}
        return [v for v in variables if _storage(v) not in held]


def _storage(variable):
    """The tf.Variable behind a Keras variable (both may appear; they share storage)."""
    from .. import compat
    inner = compat.keras_variable_storage(variable)   # never `or`: a variable's truth is its value
    return id(inner if inner is not None else variable)


class CreatedVariables:
    """``with CreatedVariables(pause) as created:`` notes every variable created inside.

    Each is kept with a copy of its value right after creation (its initial value).
    ``pause`` is a context manager under which reading that value is not recorded as one
    of the step's ops. Keep ``failed`` in mind: a variable whose value could not be read
    makes the step's saved state incomplete.
    """

    def __init__(self, pause):
        self._pause = pause
        self.variables: list = []
        self.values: list = []
        self.failed: list[str] = []

    def _creator(self, next_creator, **kwargs):
        variable = next_creator(**kwargs)
        try:
            with self._pause():
                value = np.array(variable.numpy(), copy=True)
        except Exception as err:  # noqa: BLE001 - e.g. a variable created inside a graph
            self.failed.append(f"{getattr(variable, 'name', '?')}: {type(err).__name__}")
        else:
            self.variables.append(variable)
            self.values.append(value)
        return variable

    def __enter__(self) -> "CreatedVariables":
        import tensorflow as tf
        self._scope = tf.variable_creator_scope(self._creator)
        self._scope.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._scope.__exit__(*exc)


def snapshot(variables) -> Snapshot:
    from .. import compat
    variables = _unique(variables)
    return Snapshot(variables, [compat.variable_copy(v) for v in variables])


def python_attributes(owner) -> dict:
    """Plain Python attributes of ``owner`` (a model), so tracing cannot change them."""
    if owner is None:
        return {}
    return {k: v for k, v in vars(owner).items() if type(v) in (int, float, bool, str)}


def restore_python_attributes(owner, saved: dict) -> None:
    for name, value in saved.items():
        if vars(owner).get(name, value) is not value:
            object.__setattr__(owner, name, value)
