"""steps="first_nonfinite": train at graph speed, replay the first bad step eagerly."""
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import eager_lab
from eager_lab.capturing.state import model_variables

BAD_BATCH = 3


class LogModel(keras.Model):
    """log() of an input feature: the batch holding a 0 makes the loss -Inf."""

    def __init__(self):
        super().__init__()
        self.d = keras.layers.Dense(2)

    def train_step(self, data):
        x, y = data[0], data[1]
        with tf.GradientTape() as tape:
            p = self.d(x)
            penalty = tf.math.log(tf.reduce_min(tf.abs(x)))
            loss = tf.reduce_mean(tf.square(p - y)) + 1e-3 * penalty
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


def _data():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.5, size=(64, 3)).astype("float32")
    x[BAD_BATCH * 8 + 2, 1] = 0.0                     # log(0) in batch 3
    y = rng.normal(size=(64, 2)).astype("float32")
    return x, y


def _model():
    keras.utils.set_random_seed(0)
    m = LogModel()
    m.compile(optimizer=keras.optimizers.Adam(1e-2))
    m.d(np.zeros((1, 3), "float32"))                 # build weights and optimizer up front
    m.optimizer.build(m.trainable_variables)
    return m


def test_first_nonfinite_step_is_replayed_named_and_stops_training():
    x, y = _data()
    model = _model()
    with eager_lab.capture(model, steps="first_nonfinite") as rec:
        history = model.fit(x, y, batch_size=8, epochs=5, shuffle=False, verbose=0)
    assert rec.stopped_at == BAD_BATCH
    assert [s.index for s in rec.steps] == [BAD_BATCH]
    assert len(history.history["loss"]) == 1          # fit stopped in its first epoch
    origin = rec.steps[-1].first_nonfinite()
    assert origin.op_type == "Log"
    assert origin.name == "Log:0"
    assert origin.source.function == "train_step"
    assert "tf.math.log" in origin.source.code
    assert not model._run_eagerly                     # restored

    # The same bug in graph mode under TensorFlow's own check_numerics names the same op.
    reference = _model()
    reference.fit(x[:BAD_BATCH * 8], y[:BAD_BATCH * 8], batch_size=8, shuffle=False, verbose=0)
    tf.debugging.enable_check_numerics()
    try:
        reference.make_train_function(force=True)
        with pytest.raises(tf.errors.InvalidArgumentError) as err:
            reference.train_on_batch(x[BAD_BATCH * 8:BAD_BATCH * 8 + 8], y[BAD_BATCH * 8:BAD_BATCH * 8 + 8])
    finally:
        tf.debugging.disable_check_numerics()
    detected = re.search(r"Detected at node ([\w/]+)/CheckNumericsV2", str(err.value))
    assert detected, str(err.value)[:800]
    assert detected.group(1) == origin.op_name


def test_state_before_the_bad_step_is_bit_identical_to_plain_graph_training():
    x, y = _data()
    model = _model()
    with eager_lab.capture(model, steps="first_nonfinite") as rec:
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    saved = rec.steps[-1]._replay.state
    plain = _model()
    plain.fit(x[:BAD_BATCH * 8], y[:BAD_BATCH * 8], batch_size=8, shuffle=False, verbose=0)
    reference = model_variables(plain)   # same structure, same order (layer names differ)
    assert len(reference) == len(saved.values)
    for variable, value, expected in zip(saved.variables, saved.values, reference):
        np.testing.assert_array_equal(value, expected.numpy(), err_msg=variable.path)


def test_good_training_records_nothing():
    x, y = _data()
    x[x == 0] = 1.0
    model = _model()
    with eager_lab.capture(model, steps="first_nonfinite") as rec:
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert rec.steps == [] and rec.stopped_at is None
