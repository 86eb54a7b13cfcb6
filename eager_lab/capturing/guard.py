"""Watching graph-speed steps for the first NaN/Inf (``capture(..., steps="first_nonfinite")``).

Each step runs as one compiled graph that first saves the variables into shadow copies,
then runs the step, then checks its outputs (loss, metrics) and every float variable
(weights updated from a bad gradient turn non-finite) for NaN/Inf: one call per step, no
per-variable Python work. On a bad step the shadows are put back, so the step can be
replayed eagerly from exactly its starting state.
"""
from __future__ import annotations

import tensorflow as tf


def _float(t) -> bool:
    return isinstance(t, (tf.Tensor, tf.Variable)) and (t.dtype.is_floating or t.dtype.is_complex)


class NonFiniteGuard:
    """Runs ``step_function`` as one graph that also saves and checks the variables."""

    def __init__(self, variables: list, step_function):
        self.variables = list(variables)
        with tf.init_scope():
            self.shadows = [tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False,
                                        name="eager_lab_shadow") for v in self.variables]
        checked = [v for v in self.variables if _float(v)]
        shadows, variables = self.shadows, self.variables

        # One compiled call per step: save the state, run the step, check for NaN/Inf.
        # Automatic control dependencies keep the saves before the step's own updates.
        @tf.function(autograph=False, reduce_retracing=True)
        def watched_step(*args, **kwargs):
            for shadow, variable in zip(shadows, variables):
                shadow.assign(variable)
            outputs = step_function(*args, **kwargs)
            values = [t for t in tf.nest.flatten(outputs) if _float(t)] + \
                [v.read_value() for v in checked]
            finite = tf.reduce_all(tf.stack([tf.reduce_all(tf.math.is_finite(v))
                                             for v in values])) if values else tf.constant(True)
            return outputs, finite

        @tf.function(autograph=False)
        def restore():
            for shadow, variable in zip(shadows, variables):
                variable.assign(shadow)

        self._watched_step, self._restore = watched_step, restore

    def run(self, args, kwargs):
        """(outputs, finite) of one step run as the graph."""
        outputs, finite = self._watched_step(*args, **kwargs)
        return outputs, bool(finite)

    def restore(self) -> None:
        """Put back the variables as they were before the last step."""
        self._restore()
