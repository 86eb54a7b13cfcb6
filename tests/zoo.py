"""A zoo of varied Keras 3 models and step functions for the naming oracle tests.

Each entry builds a fresh model (seeded) and returns a ``Case``: the model (or None for a
plain step function), a ``run`` callable doing exactly one training step, and the
``root`` name of the graph function tfdbg2 should look in.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np
import tensorflow as tf


@dataclass
class Case:
    model: object
    run: Callable[[], object]
    root: str = "one_step_on_data"
    target: object = None        # what to capture (defaults to the model)
    state: Callable[[], list] | None = None   # variables a step changes (for function cases)
    run_graph: Callable[[], object] | None = None  # a graph run traced afresh (function cases)


def _data(n=16, d=6, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype("float32"), rng.normal(size=(n, k)).astype("float32")


class ArithmeticModel(keras.Model):
    """Custom train_step with hand-written arithmetic around the loss."""

    def __init__(self):
        super().__init__()
        self.d1 = keras.layers.Dense(8, activation="relu")
        self.d2 = keras.layers.Dense(3)

    def call(self, x):
        return self.d2(self.d1(x))

    def train_step(self, data):
        x, y = data[0], data[1]
        with tf.GradientTape() as tape:
            p = self(x, training=True)
            err = p - y
            loss = tf.reduce_mean(err * err) * 0.5 + 1e-3 * tf.reduce_sum(tf.abs(p))
            loss = loss / (1.0 + tf.math.log1p(tf.reduce_mean(tf.square(x))))
        grads = tape.gradient(loss, self.trainable_variables)
        grads = [g * 0.9 for g in grads]
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


def arithmetic():
    m = ArithmeticModel()
    m.compile(optimizer=keras.optimizers.Adam(1e-2))
    x, y = _data()
    return Case(m, lambda: m.train_on_batch(x, y))


def default_step():
    m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="tanh"),
                          keras.layers.Dense(3)])
    m.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = _data()
    return Case(m, lambda: m.train_on_batch(x, y))


def conv_batchnorm():
    m = keras.Sequential([
        keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, padding="same"),
        keras.layers.BatchNormalization(), keras.layers.ReLU(),
        keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(5),
    ])
    m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 8, 8, 3)).astype("float32")
    y = rng.integers(0, 5, size=(8,))
    return Case(m, lambda: m.train_on_batch(x, y))


def embedding_gather():
    inp = keras.Input((5,), dtype="int32")
    h = keras.layers.Embedding(20, 4)(inp)
    h = keras.layers.GlobalAveragePooling1D()(h)
    out = keras.layers.Dense(2)(h)
    m = keras.Model(inp, out)
    m.compile(optimizer="rmsprop", loss="mse")
    rng = np.random.default_rng(2)
    x = rng.integers(0, 20, size=(6, 5)).astype("int32")
    y = rng.normal(size=(6, 2)).astype("float32")
    return Case(m, lambda: m.train_on_batch(x, y))


def gru():
    m = keras.Sequential([keras.Input((4, 3)), keras.layers.GRU(5), keras.layers.Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 4, 3)).astype("float32")
    y = rng.normal(size=(6, 1)).astype("float32")
    return Case(m, lambda: m.train_on_batch(x, y))


class ControlFlowModel(keras.Model):
    """tf.cond and tf.while_loop in train_step: what autograph makes of `if` and `for`."""

    def __init__(self):
        super().__init__()
        self.d = keras.layers.Dense(3)

    def train_step(self, data):
        x, y = data[0], data[1]
        with tf.GradientTape() as tape:
            p = self.d(x)
            loss = tf.reduce_mean(tf.square(p - y))
            loss = tf.cond(loss > 0.1, lambda: loss * 2.0, lambda: loss + 1.0)

            def body(i, acc):
                return i + 1, acc * 0.5 + tf.reduce_mean(p) * 0.1

            _, acc = tf.while_loop(lambda i, acc: i < 3, body, (tf.constant(0), loss))
            loss = loss + acc * 0.01
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


def control_flow():
    m = ControlFlowModel()
    m.compile(optimizer="sgd")
    x, y = _data()
    return Case(m, lambda: m.train_on_batch(x, y))


class TwoTapeModel(keras.Model):
    """A GAN-like step: two tapes, two optimizers, in one train_step."""

    def __init__(self):
        super().__init__()
        self.gen = keras.Sequential([keras.layers.Dense(6, activation="relu"), keras.layers.Dense(6)])
        self.disc = keras.Sequential([keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
        self.g_opt = keras.optimizers.Adam(1e-3)
        self.d_opt = keras.optimizers.SGD(1e-2)

    def call(self, x):
        return self.disc(self.gen(x))

    def train_step(self, data):
        x = data[0]
        with tf.GradientTape() as d_tape:
            fake = self.gen(x)
            d_loss = tf.reduce_mean(tf.nn.softplus(self.disc(fake))) + \
                tf.reduce_mean(tf.nn.softplus(-self.disc(x)))
        d_grads = d_tape.gradient(d_loss, self.disc.trainable_variables)
        self.d_opt.apply_gradients(zip(d_grads, self.disc.trainable_variables))
        with tf.GradientTape() as g_tape:
            g_loss = tf.reduce_mean(tf.nn.softplus(-self.disc(self.gen(x))))
        g_grads = g_tape.gradient(g_loss, self.gen.trainable_variables)
        self.g_opt.apply_gradients(zip(g_grads, self.gen.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss}


def two_tapes():
    m = TwoTapeModel()
    m.compile()
    x, y = _data()
    m(x)
    m.g_opt.build(m.gen.trainable_variables)
    m.d_opt.build(m.disc.trainable_variables)
    return Case(m, lambda: m.train_on_batch(x, y))


class ScopedModel(keras.Model):
    """User name scopes around parts of the step."""

    def __init__(self):
        super().__init__()
        self.d = keras.layers.Dense(3)

    def train_step(self, data):
        x, y = data[0], data[1]
        with tf.GradientTape() as tape:
            with tf.name_scope("forward"):
                p = self.d(x)
            with tf.name_scope("loss"):
                with tf.name_scope("inner"):
                    diff = tf.subtract(p, y, name="diff")
                loss = tf.reduce_mean(diff * diff, name="mse")
        with tf.name_scope("update"):
            grads = tape.gradient(loss, self.trainable_variables)
            grads = [tf.clip_by_norm(g, 1.0) for g in grads]
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


def name_scopes():
    m = ScopedModel()
    m.compile(optimizer="adam")
    x, y = _data()
    return Case(m, lambda: m.train_on_batch(x, y))


def sample_weights():
    m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    m.compile(optimizer="adam", loss="mae", weighted_metrics=["mse"])
    x, y = _data()
    w = np.linspace(0.1, 1.0, len(x)).astype("float32")
    return Case(m, lambda: m.train_on_batch(x, y, sample_weight=w))


def dropout():
    keras.utils.set_random_seed(7)
    m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(12, activation="relu"),
                          keras.layers.Dropout(0.3), keras.layers.Dense(3)])
    m.compile(optimizer="adam", loss="mse")
    x, y = _data()
    return Case(m, lambda: m.train_on_batch(x, y))


def fit_dataset():
    """fit() on a tf.data pipeline: graph Keras traces with an unknown batch dimension."""
    m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(3)])
    m.compile(optimizer="adam", loss="mse")
    x, y = _data()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    return Case(m, lambda: m.fit(ds, epochs=1, verbose=0, shuffle=False))


def functional_two_outputs():
    inp = keras.Input((6,))
    h = keras.layers.Dense(8, activation="gelu")(inp)
    a = keras.layers.Dense(3, name="reg")(h)
    b = keras.layers.Dense(2, activation="softmax", name="cls")(h)
    m = keras.Model(inp, [a, b])
    m.compile(optimizer="adamw", loss=["mse", "categorical_crossentropy"], loss_weights=[1.0, 0.5])
    x, y = _data()
    yb = np.eye(2, dtype="float32")[np.arange(len(x)) % 2]
    return Case(m, lambda: m.train_on_batch(x, [y, yb]))


def tf_function_step():
    """capture(fn): a user's own @tf.function step in a custom training loop."""
    w = tf.Variable(tf.random.stateless_normal((6, 3), seed=(1, 2)), name="w")
    b = tf.Variable(tf.zeros((3,)), name="b")
    opt = keras.optimizers.SGD(0.1)
    opt.build([w, b])
    x, y = _data()

    @tf.function(autograph=False)
    def step(x, y):
        with tf.GradientTape() as tape:
            p = tf.matmul(x, w) + b
            loss = tf.reduce_mean(tf.square(p - y))
        gw, gb = tape.gradient(loss, [w, b])
        opt.apply_gradients([(gw, w), (gb, b)])
        return loss

    xt, yt = tf.constant(x), tf.constant(y)
    fresh = tf.function(step.python_function, autograph=False)
    return Case(None, lambda: step(xt, yt), root="step", target=step,
                state=lambda: [w, b, *opt.variables], run_graph=lambda: fresh(xt, yt))


ZOO = {
    "custom_arithmetic": arithmetic,
    "default_train_step": default_step,
    "conv_batchnorm": conv_batchnorm,
    "embedding_gather": embedding_gather,
    "gru": gru,
    "cond_while": control_flow,
    "two_tapes_two_optimizers": two_tapes,
    "name_scopes": name_scopes,
    "sample_weights": sample_weights,
    "dropout": dropout,
    "fit_dataset": fit_dataset,
    "functional_two_outputs": functional_two_outputs,
    "tf_function_step": tf_function_step,
}


def autograph_if_for():
    """A @tf.function with autograph: a Python `if` on a tensor and a `for` over tf.range."""
    w = tf.Variable(tf.random.stateless_normal((6, 3), seed=(3, 4)), name="w")
    opt = keras.optimizers.Adam(0.01)
    opt.build([w])
    x, y = _data()

    def step(x, y):
        with tf.GradientTape() as tape:
            p = tf.matmul(x, w)
            loss = tf.reduce_mean(tf.square(p - y))
            if loss > 0.5:
                loss = loss * 0.5
            else:
                loss = loss + 0.1
            acc = tf.constant(0.0)
            for i in tf.range(3):
                acc = acc + tf.reduce_sum(p) * tf.cast(i, tf.float32) * 1e-3
            loss = loss + acc
        opt.apply_gradients([(tape.gradient(loss, w), w)])
        return loss

    fn = tf.function(step)
    fresh = tf.function(step)
    xt, yt = tf.constant(x), tf.constant(y)
    return Case(None, lambda: fn(xt, yt), root="step", target=fn,
                state=lambda: [w, *opt.variables], run_graph=lambda: fresh(xt, yt))


ZOO["autograph_if_for"] = autograph_if_for
