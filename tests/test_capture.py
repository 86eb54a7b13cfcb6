"""Capture is invisible: the model is restored, training is bit-identical, errors are clear."""
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import eager_lab
from eager_lab import CaptureError
class Tiny(keras.Model):
    def __init__(self, poison=False):
        super().__init__()
        self.d = keras.layers.Dense(3)
        self.poison = poison
        self.python_calls = 0

    def call(self, x):
        return self.d(x)

    def train_step(self, data):
        self.python_calls += 1
        x, y = data[0], data[1]
        with tf.GradientTape() as tape:
            p = self(x, training=True)
            loss = tf.reduce_mean(tf.square(p - y))
            if self.poison:
                loss = tf.debugging.check_numerics(tf.math.log(loss - 1e6), "loss went bad")
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 3)).astype("float32")


def _tiny(**kw):
    keras.utils.set_random_seed(1)
    m = Tiny(**kw)
    m.compile(optimizer="adam")
    return m


def _hooks(model):
    return (model._run_eagerly, model._jit_compile, model.train_function,
            "train_step" in vars(model))


def test_model_restored_and_training_bit_identical():
    x, y = _data()
    plain, captured = _tiny(), _tiny()   # same seed: same initial weights
    for m in (plain, captured):
        m.compile(optimizer="adam", run_eagerly=True)
        m.train_on_batch(x, y)           # builds optimizer and metrics state
    before = _hooks(captured)
    with eager_lab.capture(captured) as rec:
        captured.train_on_batch(x, y)
        captured.train_on_batch(x, y)
    for _ in range(2):
        plain.train_on_batch(x, y)
    assert _hooks(captured) == before
    assert len(rec.steps) == 2
    for a, b in zip(captured.variables + captured.optimizer.variables,
                    plain.variables + plain.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_fit_records_every_step_and_restores():
    x, y = _data()
    m = _tiny()
    m.fit(x, y, batch_size=4, epochs=1, verbose=0)
    before = _hooks(m)
    with eager_lab.capture(m) as rec:
        m.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert [s.index for s in rec.steps] == [0, 1, 2, 3]
    assert _hooks(m) == before
    assert eager_lab.last is rec
    step = rec.steps[-1]
    named = [t for t in step.tensors if t.name]
    assert len(named) > 0.5 * len(step.tensors)
    t = named[0]
    assert step[t.name] is t
    assert t.value is not None and t.value.shape == t.shape
    assert t.summary.line().startswith(("f32[", "i64[", "i32["))


def test_key_error_names_closest():
    x, y = _data()
    m = _tiny()
    with eager_lab.capture(m) as rec:
        m.train_on_batch(x, y)
    step = rec.steps[0]
    some = next(t.name for t in step.tensors if t.name and "MatMul" in t.name)
    with pytest.raises(KeyError) as err:
        step[some.replace("MatMul", "MatMull")]
    assert some in str(err.value)


def test_exception_keeps_partial_step_and_reraises_unchanged():
    x, y = _data()
    m = _tiny(poison=True)
    m.compile(optimizer="adam", run_eagerly=True)
    m.poison = False
    m.train_on_batch(x, y)
    m.poison = True
    before = _hooks(m)
    weights = [v.numpy().copy() for v in m.variables]
    with pytest.raises(tf.errors.InvalidArgumentError) as err:
        with eager_lab.capture(m) as rec:
            m.train_on_batch(x, y)
    assert "loss went bad" in str(err.value)
    step = rec.steps[0]
    assert step.error is err.value
    last = step.tensors[-1]
    assert last.op_type == "CheckNumerics"
    assert last.error and last.value is None
    assert last.op_name is not None and last.op_name.endswith("CheckNumerics")
    assert step.first_nonfinite() is not None  # the log of a negative number
    assert step.first_nonfinite().op_type == "Log"
    assert step.first_nonfinite().name is not None
    assert _hooks(m) == before
    for v, w in zip(m.variables, weights):  # the step failed before any update
        np.testing.assert_array_equal(v.numpy(), w)


def test_keyboard_interrupt_restores():
    x, y = _data()
    m = _tiny()
    m.train_on_batch(x, y)
    before = _hooks(m)

    class Stop(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        with eager_lab.capture(m):
            m.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[Stop()])
    assert _hooks(m) == before
    # Nothing stays registered: a new capture works.
    with eager_lab.capture(m) as rec:
        m.train_on_batch(x, y)
    assert len(rec.steps) == 1


def test_unrecorded_steps_run_as_graph():
    x, y = _data()
    m = _tiny()
    m.train_on_batch(x, y)
    m.python_calls = 0
    with eager_lab.capture(m, steps=[1]) as rec:
        for _ in range(4):
            m.train_on_batch(x, y)
    assert [s.index for s in rec.steps] == [1]
    # train_step's Python body ran once eagerly (step 1) and once to trace (undone);
    # the three unrecorded steps ran the compiled graph, without Python.
    assert m.python_calls == 1


def test_step_selection_forms():
    x, y = _data()
    m = _tiny()
    with eager_lab.capture(m, steps=range(0, 6, 2)) as rec:
        for _ in range(6):
            m.train_on_batch(x, y)
    assert [s.index for s in rec.steps] == [0, 2, 4]
    with eager_lab.capture(m, steps=lambda i: i == 3) as rec:
        for _ in range(5):
            m.train_on_batch(x, y)
    assert [s.index for s in rec.steps] == [3]
    with pytest.raises(ValueError, match="steps must be"):
        eager_lab.capture(m, steps="sometimes")


def test_a_new_recording_frees_older_values_but_keeps_them_listed():
    x, y = _data()
    m = _tiny()
    with eager_lab.capture(m) as first:
        m.train_on_batch(x, y)
    assert all(t.has_value for t in first.steps[0].tensors)
    with eager_lab.capture(m) as second:
        m.train_on_batch(x, y)
    assert eager_lab.recordings[first.id] is first
    assert eager_lab.recordings[second.id] is second
    assert not any(t.has_value for t in first.steps[0].tensors)
    assert all(t.summary.size == int(np.prod(t.shape)) for t in first.steps[0].tensors)
    assert all(t.has_value for t in second.steps[0].tensors)


def test_memory_budget_keeps_newest_values_and_all_summaries():
    x, y = _data()
    m = _tiny()
    with eager_lab.capture(m, memory_budget=0) as rec:
        m.train_on_batch(x, y)
    assert all(t.value is None for t in rec.steps[0].tensors)
    assert all(t.summary.size == int(np.prod(t.shape)) for t in rec.steps[0].tensors)
    with eager_lab.capture(m, memory_budget=None) as full:
        m.train_on_batch(x, y)
    per_step = full.steps[0].nbytes_held
    assert per_step > 0
    with eager_lab.capture(m, memory_budget=int(per_step * 1.5)) as rec:
        for _ in range(3):
            m.train_on_batch(x, y)
    assert all(t.has_value for t in rec.steps[-1].tensors)
    assert not any(t.has_value for t in rec.steps[0].tensors)
    assert sum(s.nbytes_held for s in rec.steps) <= per_step * 1.5
    assert all(t.summary is not None for s in rec.steps for t in s.tensors)


def test_source_points_at_user_code():
    x, y = _data()
    m = _tiny()
    with eager_lab.capture(m) as rec:
        m.train_on_batch(x, y)
    square = next(t for t in rec.steps[0].tensors if t.op_type == "Square")
    assert square.source.file == __file__
    assert square.source.function == "train_step"
    assert "tf.square" in square.source.code


def test_nested_capture_is_refused():
    m = _tiny()
    x, y = _data()
    with eager_lab.capture(m) as outer:
        with pytest.raises(RuntimeError, match="nested captures are not supported"):
            with eager_lab.capture(m):
                pass
        m.train_on_batch(x, y)
    assert len(outer.steps) == 1
    with eager_lab.capture(m) as again:  # the refused inner capture left nothing behind
        m.train_on_batch(x, y)
    assert len(again.steps) == 1


@pytest.mark.parametrize("bad", [42, "model", [1, 2]])
def test_not_a_model_or_callable(bad):
    with pytest.raises(CaptureError, match="Keras 3 model or a step function"):
        eager_lab.capture(bad)


def _tf_keras():
    """tf_keras, which .ci/test installs (without its dependencies): under CI a missing
    tf_keras fails the test instead of skipping it."""
    if os.environ.get("CI"):
        import tf_keras
        return tf_keras
    return pytest.importorskip("tf_keras")


def test_tf_keras_model_is_refused_clearly():
    tf_keras = _tf_keras()
    m = tf_keras.Sequential([tf_keras.layers.Dense(1)])
    assert not isinstance(m, keras.Model)
    with pytest.raises(CaptureError, match="Keras 2 / tf_keras"):
        eager_lab.capture(m)


def test_tf_keras_installed_leaves_keras_3_in_place():
    # tf_keras in the environment must not change what every other test imports.
    tf_keras = _tf_keras()
    assert os.environ.get("TF_USE_LEGACY_KERAS", "0").lower() in ("", "0", "false")
    assert keras.__version__.startswith("3."), keras.__version__
    assert tf.keras.Model is keras.Model
    assert tf_keras.Model is not keras.Model


def test_unsupported_tensorflow_version_message(monkeypatch):
    from eager_lab import compat
    monkeypatch.setattr(tf, "__version__", "2.15.0")   # older: refused (newer: tried)
    with pytest.raises(compat.UnsupportedTensorFlowError, match="supports TensorFlow 2.16 to 2.21"):
        compat._check()


def test_capture_tf_function_step_in_custom_loop():
    w = tf.Variable(tf.ones((4, 3)))
    opt = keras.optimizers.SGD(0.1)
    opt.build([w])
    x, y = _data()

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
        opt.apply_gradients([(tape.gradient(loss, w), w)])
        return loss

    step(x, y)
    eager_before = tf.config.functions_run_eagerly()
    with eager_lab.capture(step) as rec:
        for _ in range(2):
            step(x, y)
    assert tf.config.functions_run_eagerly() == eager_before
    assert len(rec.steps) == 2
    names = {t.name for t in rec.steps[0].tensors}
    assert "MatMul:0" in names
    assert rec.steps[0]["MatMul:0"].value.shape == (8, 3)


def test_capture_plain_callable_by_calling_the_recording():
    v = tf.Variable(2.0)

    def step(a):
        return v * a + tf.square(a)

    with eager_lab.capture(step) as rec:
        out = rec(tf.constant(3.0))
    assert float(out) == 15.0
    step0 = rec.steps[0]
    assert step0["mul:0"].value == 6.0
    assert step0["Square:0"].value == 9.0


def test_captured_model_can_be_freed():
    import gc
    import weakref
    x, y = _data()
    m = _tiny()
    with eager_lab.capture(m) as rec:
        m.train_on_batch(x, y)
    ref = weakref.ref(m)
    del m, rec
    eager_lab.last = None
    eager_lab.recordings.clear()  # kept on purpose, for a panel that connects late
    gc.collect()
    assert ref() is None, "eager_lab keeps the model alive after the capture"


def test_trend_follows_a_tensor_across_steps():
    x, y = _data()
    m = _tiny()
    with eager_lab.capture(m) as rec:
        for _ in range(4):
            m.train_on_batch(x, y)
    name = next(t.name for t in rec.steps[0].tensors if t.op_type == "Mean")
    trend = rec.trend(name)
    assert trend["step"] == [0, 1, 2, 3]
    losses = [float(s[name].value) for s in rec.steps]
    np.testing.assert_allclose(trend["mean"], losses, rtol=1e-6)
    assert trend["nan"] == [0, 0, 0, 0]
    assert trend["max_abs"] == [abs(v) for v in losses]
    with pytest.raises(KeyError, match="closest"):
        rec.trend(name + "x")
    # All names in one pass: the same series, every named tensor, first appearance order.
    every = rec.trends()
    assert every[name] == trend
    names = list(dict.fromkeys(t.name for s in rec.steps for t in s.tensors if t.name))
    assert list(every) == names
    assert rec.trends([name, "nope:0"]) == {name: trend}


def test_inputs_point_at_the_rows_an_op_consumed():
    x, y = _data()
    m = _tiny()
    with eager_lab.capture(m) as rec:
        m.train_on_batch(x, y)
    tensors = rec.steps[0].tensors
    square = next(t for t in tensors if t.op_type == "Square")
    (sub,) = [tensors[i] for i in square.inputs]
    assert sub.op_type == "Sub"
    np.testing.assert_allclose(square.value, sub.value ** 2, rtol=1e-6)
    assert all(i < t.index for t in tensors for i in t.inputs)
