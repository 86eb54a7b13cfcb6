"""Every difference between a step's eager and graph values gets its cause (issue 11).

Real TensorFlow and real Keras models. Each cause on a model of its own; the planted
gradient-noise bug on keras.applications.MobileNetV2 among real optimiser noise.
"""
import numpy as np
import pytest
import tensorflow as tf
import keras

import eager_lab
from eager_lab.compare.diff import diff

EXACT = {"float32": (0.0, 0.0)}   # every last-bit difference is a diverging row


def _conv_bn(planted=False):
    keras.utils.set_random_seed(0)

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.body = keras.Sequential([
                keras.Input((8, 8, 3)), keras.layers.DepthwiseConv2D(3, padding="same"),
                keras.layers.BatchNormalization(), keras.layers.ReLU(),
                keras.layers.Conv2D(4, 1), keras.layers.BatchNormalization(),
                keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)])

        def call(self, x, training=False):
            return self.body(x, training=training)

        def train_step(self, data):
            x, y = data[0], data[1]
            with tf.GradientTape() as tape:
                loss = self.compute_loss(x=x, y=y, y_pred=self(x, training=True))
            grads = tape.gradient(loss, self.trainable_variables)
            if planted:
                grads = [g * np.random.rand() for g in grads]   # the planted bug
            self.optimizer.apply(grads, self.trainable_variables)
            return {"loss": loss}

    model = Net()
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(True))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 8, 8, 3)).astype("float32")
    y = rng.integers(0, 3, size=(4,))
    return model, x, y


def _compare(model, x, y, tolerances=None):
    model.train_on_batch(x, y)
    with eager_lab.capture(model) as rec:
        model.train_on_batch(x, y)
    return rec.steps[0].compare(tolerances)


def _check_origins(cmp):
    for r in cmp.rows:
        if r.diverges:
            assert r.cause is not None, r
            assert r.cause_text
        if r.cause == "propagated" and r.origin is not None:
            origin = cmp.rows[r.origin]
            assert origin.cause not in (None, "propagated"), (r, origin)


def test_a_clean_model_has_no_real_divergence_and_its_noise_is_attributed():
    model, x, y = _conv_bn()
    cmp = _compare(model, x, y, EXACT)
    assert cmp.first_difference is not None      # last-bit differences exist...
    assert cmp.first_divergence is None          # ...none of them real
    causes = cmp.cause_counts
    assert set(causes) <= {"propagated", "graph-optimization", "graph-optimization:constants"} | {
        c for c in causes if c.startswith("graph-optimization:")}, causes
    assert any(c.startswith("graph-optimization:") for c in causes), causes
    assert cmp.noise_count == sum(causes.values())
    _check_origins(cmp)
    # The optimisation origins really compute differently from the same inputs: the eager
    # kernel on the graph's own input values does not give the graph's value.
    origins = [r for r in cmp.rows if r.diverges and r.cause.startswith("graph-optimization:")
               and r.cause != "graph-optimization:constants"]
    assert origins
    assert all("eager value" in r.cause_text or "oneDNN" in r.cause_text for r in origins)


def test_the_planted_bug_is_the_first_divergence_among_noise():
    model, x, y = _conv_bn(planted=True)
    cmp = _compare(model, x, y, EXACT)
    first = cmp.first_divergence
    assert first is not None and first.cause == "python-value", cmp
    assert first.op_type == "Mul" and first.name.startswith("mul")
    assert "np.random.rand()" in first.eager.source.code
    assert "keras.random" in first.cause_text and str(first.eager.source.line) in first.cause_text
    # Its downstream rows carry it (not noise), and the noise is still told apart.
    downstream = [r for r in cmp.rows if r.cause == "propagated" and r.origin is not None
                  and cmp.rows[r.origin].cause == "python-value"]
    assert downstream and not any(r.noise for r in downstream)
    assert cmp.noise_count > 0
    _check_origins(cmp)
    # The first raw difference is earlier than the real one (noise in the backward pass).
    assert cmp.rows.index(cmp.first_difference) < cmp.rows.index(first)


def test_propagated_rows_compute_the_same_from_the_graph_inputs():
    # Decided by re-running the op, not by tolerance: check it independently with NumPy.
    model, x, y = _conv_bn(planted=True)
    cmp = _compare(model, x, y, EXACT)
    by_name = {(r.graph, r.name): r for r in cmp.rows if r.in_graph}
    checked = 0
    for r in cmp.rows:
        if r.cause == "propagated" and r.op_type in ("Mul", "AddV2", "Sub") and len(r.inputs) == 2:
            a, b = (by_name.get((None, n)) for n in r.inputs)
            if a is None or b is None or a.graph_value is None or b.graph_value is None:
                continue
            op = {"Mul": np.multiply, "AddV2": np.add, "Sub": np.subtract}[r.op_type]
            expected = op(a.graph_value.astype(np.float64), b.graph_value.astype(np.float64))
            delta, _, bad = diff(expected, r.graph_value, "float32", {"float32": (1e-6, 1e-7)})
            assert not bad, (r, delta)
            checked += 1
    assert checked >= 5


class RandomStep(keras.Model):
    """Unseeded tf.random: eager and the graph draw different numbers."""

    def __init__(self):
        super().__init__()
        self.d = keras.layers.Dense(2)

    def train_step(self, data):
        x, y = data[0], data[1]
        with tf.GradientTape() as tape:
            noise = tf.random.uniform(tf.shape(x))
            loss = tf.reduce_mean(tf.square(self.d(x + noise) - y))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        return {"loss": loss}


def test_unseeded_random_is_stateful():
    keras.utils.set_random_seed(0)
    model = RandomStep()
    model.compile(optimizer="sgd")
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 2), "float32")
    cmp = _compare(model, x, y)
    first = cmp.first_divergence
    assert first is not None and first.cause == "stateful", cmp
    assert first.op_type == "RandomUniform"
    assert "SeedGenerator" in first.cause_text
    _check_origins(cmp)


def test_rows_name_the_keras_layer_that_made_them():
    model, x, y = _conv_bn()
    cmp = _compare(model, x, y)
    layers = {r.layer for r in cmp.rows if r.layer}
    assert any(layer.endswith("(BatchNormalization)") for layer in layers), layers
    assert any(layer.endswith("(DepthwiseConv2D)") for layer in layers), layers
    # The layer is the deepest scope of the graph name that is a layer (TensorFlow's _1
    # suffixes removed): a row of the BatchNormalization layer has its name in its scope.
    for r in cmp.rows:
        if r.layer and r.layer.endswith("(BatchNormalization)"):
            layer_name = r.layer.split(" ")[0].rpartition("/")[2]
            assert f"/{layer_name}" in r.name, r
            assert r.layer.startswith(model.name + "/"), r.layer


def test_compare_leaves_grappler_options_as_they_were():
    before = tf.config.optimizer.get_experimental_options()
    model, x, y = _conv_bn()
    _compare(model, x, y, EXACT)
    assert tf.config.optimizer.get_experimental_options() == before


def test_mobilenet_v2_planted_bug_among_real_noise():
    """The issue's case: default settings, the planted multiply is the first divergence."""
    keras.utils.set_random_seed(0)

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.base = keras.applications.MobileNetV2(
                input_shape=(32, 32, 3), alpha=0.35, weights=None, classes=10)

        def call(self, x, training=False):
            return self.base(x, training=training)

        def train_step(self, data):
            x, y = data[0], data[1]
            with tf.GradientTape() as tape:
                loss = self.compute_loss(x=x, y=y, y_pred=self(x, training=True))
            grads = tape.gradient(loss, self.trainable_variables)
            grads = [g * np.random.rand() for g in grads]
            self.optimizer.apply(grads, self.trainable_variables)
            return {"loss": loss}

    model = Net()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 10, size=(8,))
    cmp = _compare(model, x, y)
    first = cmp.first_divergence
    assert first is not None and first.op_type == "Mul" and first.cause == "python-value"
    assert "np.random.rand()" in first.eager.source.code
    noise = [r for r in cmp.rows if r.diverges and r.noise]
    assert noise
    assert any("_BN" in (r.name or "") for r in noise)
    origins = [r for r in noise if r.cause.startswith("graph-optimization")]
    assert origins and all(r.cause.startswith("graph-optimization:") for r in origins), \
        {r.cause for r in origins}
    assert cmp.rows.index(cmp.first_difference) < cmp.rows.index(first)


def test_a_branch_flipped_by_its_condition_is_control_flow():
    # autograph turns `if <tensor>:` into a tf.cond; its condition draws unseeded random
    # numbers, so eager and the graph take different branches.
    w = tf.Variable(tf.ones((3, 2)), name="w")
    opt = keras.optimizers.SGD(0.1)
    opt.build([w])

    def step(x):
        with tf.GradientTape() as tape:
            h = tf.matmul(x, w)
            if tf.random.uniform(()) > 0.5:
                h = h * 2.0
            else:
                h = h - 1.0
            loss = tf.reduce_mean(tf.square(h))
        opt.apply_gradients([(tape.gradient(loss, w), w)])
        return loss

    fn = tf.function(step)
    x = tf.ones((4, 3))
    tf.random.set_seed(1)
    for _ in range(20):   # until the two draws fall on different sides of 0.5
        with eager_lab.capture(fn) as rec:
            fn(x)
        cmp = rec.steps[0].compare()
        condition = next(r for r in cmp.rows if r.op_type == "Greater")
        if condition.diverges:
            break
    assert condition.diverges and condition.cause == "propagated"
    first = cmp.first_divergence
    assert first.cause == "stateful" and first.op_type == "RandomUniform"
    flipped = [r for r in cmp.rows if r.cause == "control-flow"]
    assert flipped and all("another branch" in r.cause_text and "Greater:0" in r.cause_text
                           for r in flipped)
    assert any(r.name == "Square:0" for r in flipped)
    _check_origins(cmp)


def test_every_tensor_of_a_default_train_step_names_its_layer():
    # Keras' own train_step: every source line is the user's train_on_batch call, so the
    # layer is what says where a tensor comes from.
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="hidden"),
                              keras.layers.BatchNormalization(name="bn"),
                              keras.layers.Dense(2, name="out")])
    model.compile(optimizer="adam", loss="mse")
    x, y = np.ones((8, 4), "float32"), np.zeros((8, 2), "float32")
    with eager_lab.capture(model) as rec:
        model.train_on_batch(x, y)
    step = rec.steps[0]
    layers = {step.layer_of(t) for t in step.tensors}
    prefix = model.name + "/"
    assert {prefix + "hidden (Dense)", prefix + "bn (BatchNormalization)",
            prefix + "out (Dense)"} <= layers, layers
    matmul = next(t for t in step.tensors if t.name and t.name.endswith("hidden_1/MatMul:0")
                  or (t.name or "").endswith("hidden/MatMul:0"))
    assert step.layer_of(matmul) == prefix + "hidden (Dense)"
    assert matmul.source is not None and matmul.source.function.startswith("test_")
