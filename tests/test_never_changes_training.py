"""A debugger never changes what it debugs: training with eager_lab is bit-identical.

Each case builds the same fresh model twice (same seed: same initial weights, same
dropout seeds), trains one plainly and one under ``capture`` with every recorded step
compared with the graph (``compare()``), trends and ``first_nonfinite`` read, then trains
both one more step, and compares every variable: weights, optimizer slots and iteration
counters, metric state, seed generators. Fresh models, so step 0 is the step in which
Keras creates the optimizer's and the metrics' variables (and sometimes the weights).
"""
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import eager_lab


def _dense_bn_dropout():
    m = keras.Sequential([
        keras.layers.Input((8,)), keras.layers.Dense(16, activation="relu"),
        keras.layers.BatchNormalization(), keras.layers.Dropout(0.3), keras.layers.Dense(3)])
    m.compile(optimizer="adam", loss="mse", metrics=["mae"], run_eagerly=True)
    return m


def _conv_sgd():
    m = keras.Sequential([
        keras.layers.Input((8, 8, 2)), keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.BatchNormalization(), keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(3)])
    m.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"], run_eagerly=True)
    return m


class LazyCustom(keras.Model):
    """Weights built inside the first step (no Input), a custom train_step, RMSprop."""

    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(12, activation="tanh")
        self.drop = keras.layers.Dropout(0.2)
        self.out = keras.layers.Dense(3)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def call(self, x, training=False):
        return self.out(self.drop(self.hidden(x), training=training))

    def train_step(self, data):
        x, y = data[0], data[1]
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(self(x, training=True) - y))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}


def _lazy_custom():
    m = LazyCustom()
    m.compile(optimizer=keras.optimizers.RMSprop(1e-2, momentum=0.5), run_eagerly=True)
    return m


def _batches(model_name, n=4):
    rng = np.random.default_rng(1)
    if model_name == "conv_sgd":
        return [(rng.normal(size=(6, 8, 8, 2)).astype("float32"),
                 rng.integers(0, 3, size=(6,)).astype("int32")) for _ in range(n)]
    return [(rng.normal(size=(10, 8)).astype("float32"),
             rng.normal(size=(10, 3)).astype("float32")) for _ in range(n)]


MODELS = {"dense_bn_dropout": _dense_bn_dropout, "conv_sgd": _conv_sgd,
          "lazy_custom": _lazy_custom}


def _fresh(name):
    keras.utils.set_random_seed(7)
    return MODELS[name]()


def _generic(path: str) -> str:
    """A variable path without Keras' per-instance suffixes (sequential_1_dense_2 -> ...)."""
    return re.sub(r"_[0-9]+(?=[/_]|$)", "", path)


def _state(model):
    """Every variable, by path, as numpy (optimizer and metrics included)."""
    variables = list(model.variables) + list(model.optimizer.variables) + \
        list(getattr(model, "metrics_variables", []))
    seen, out = set(), {}
    for v in variables:
        if id(v) in seen:
            continue
        seen.add(id(v))
        # By position, with the path minus Keras' per-instance suffixes (dense_1 -> dense).
        path = _generic(getattr(v, "path", v.name))
        out[f"{len(out):03d} {path}"] = np.array(v.numpy(), copy=True)
    return out


def _assert_bit_identical(a, b):
    assert sorted(a) == sorted(b)
    different = [k for k in a if a[k].shape != b[k].shape or
                 a[k].tobytes() != b[k].tobytes()]
    assert different == [], f"{len(different)} of {len(a)} variables differ: {different[:6]}"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_capture_and_compare_every_step_leave_training_bit_identical(name):
    batches = _batches(name)
    plain = _fresh(name)
    for x, y in batches[:3]:
        plain.train_on_batch(x, y)
    plain.train_on_batch(*batches[3])

    debugged = _fresh(name)
    with eager_lab.capture(debugged) as rec:
        for x, y in batches[:3]:
            debugged.train_on_batch(x, y)
    assert len(rec.steps) == 3
    for step in rec.steps:                 # step 0 first: the lazily built state
        cmp = step.compare()
        named = [r for r in cmp.rows if r.eager is not None and r.only_in is None]
        assert named, "the comparison paired no tensor"
        assert cmp.first_divergence is None, cmp.first_divergence
        step.first_nonfinite()
    rec.trends()
    rec.steps[0].compare()                 # again, after later steps moved the state on
    debugged.train_on_batch(*batches[3])
    _assert_bit_identical(_state(plain), _state(debugged))


def test_fit_under_capture_is_bit_identical():
    batches = _batches("dense_bn_dropout")
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    plain = _fresh("dense_bn_dropout")
    plain.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    debugged = _fresh("dense_bn_dropout")
    with eager_lab.capture(debugged) as rec:
        debugged.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    assert len(rec.steps) == 8
    for step in (rec.steps[0], rec.steps[-1]):
        step.compare()
    _assert_bit_identical(_state(plain), _state(debugged))


def test_graph_speed_watching_is_bit_identical_to_graph_training():
    """steps="first_nonfinite" runs the steps as graphs: the same as Keras' graph fit."""
    batches = _batches("dense_bn_dropout")
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    plain = _fresh("dense_bn_dropout")
    plain.compile(optimizer="adam", loss="mse", metrics=["mae"], run_eagerly=False)
    plain.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    watched = _fresh("dense_bn_dropout")
    watched.compile(optimizer="adam", loss="mse", metrics=["mae"], run_eagerly=False)
    with eager_lab.capture(watched, steps="first_nonfinite") as rec:
        watched.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    assert rec.steps == [] and rec.stopped_at is None
    _assert_bit_identical(_state(plain), _state(watched))


def test_custom_loop_with_a_fresh_optimizer_is_bit_identical():
    """A tf.function step whose Keras optimizer builds its slots in the first step."""
    batches = _batches("dense_bn_dropout")

    def make():
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.layers.Input((8,)), keras.layers.Dense(5),
                                  keras.layers.Dense(3)])
        optimizer = keras.optimizers.Adam(1e-2)

        @tf.function
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return loss
        return model, optimizer, step

    plain_model, plain_opt, plain_step = make()
    tf.config.run_functions_eagerly(True)
    try:
        for x, y in batches:
            plain_step(x, y)
    finally:
        tf.config.run_functions_eagerly(False)
    model, opt, step = make()
    with eager_lab.capture(step) as rec:
        for x, y in batches[:3]:
            step(x, y)
    for s in rec.steps:
        s.compare()
    tf.config.run_functions_eagerly(True)
    try:
        step(*batches[3])
    finally:
        tf.config.run_functions_eagerly(False)

    def state(m, o):
        return {f"{i:03d} {_generic(v.path)}": v.numpy()
                for i, v in enumerate(list(m.variables) + list(o.variables))}
    _assert_bit_identical(state(plain_model, plain_opt), state(model, opt))


def test_a_step_whose_state_is_incomplete_is_not_compared():
    """Variables made after the saved state (here: a second optimizer's, by a later step)
    make compare() say why, instead of replaying against the wrong state."""
    x, y = _batches("dense_bn_dropout")[0]
    m = _fresh("dense_bn_dropout")
    m.train_on_batch(x, y)
    with eager_lab.capture(m) as rec:
        m.train_on_batch(x, y)
    m.extra = keras.optimizers.Adam()
    m.extra.build(m.trainable_variables)
    before = _state(m)
    with pytest.raises(RuntimeError, match="created after this step"):
        rec.steps[0].compare()
    _assert_bit_identical(before, _state(m))
