"""Misuse gets a clear message, from eager_lab's own code, and loses nothing."""
import gc
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import eager_lab
from eager_lab import CaptureError, EagerLabWarning
def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")


def _sequential(compiled=True):
    m = keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(2)])
    if compiled:
        m.compile(optimizer="sgd", loss="mse")
    return m


def test_uncompiled_model_is_refused_with_the_fix():
    m = _sequential(compiled=False)
    with pytest.raises(CaptureError, match=r"not compiled: call model.compile\(optimizer=") as err:
        eager_lab.capture(m)
    assert err.traceback[-1].path.name == "hooks.py"   # raised on purpose, not an AttributeError
    assert "train_step" not in vars(m)


def test_capture_not_used_as_a_context_manager_warns():
    x, y = _data()
    m = _sequential()
    rec = eager_lab.capture(m)
    m.train_on_batch(x, y)                 # not recorded: the block was never entered
    with pytest.warns(EagerLabWarning, match="never started.*with eager_lab.capture"):
        steps = rec.steps
    assert steps == []
    assert "not started" in repr(rec)


def test_never_started_recording_warns_when_forgotten():
    m = _sequential()
    with pytest.warns(EagerLabWarning, match="never started"):
        eager_lab.capture(m)
        gc.collect()


def test_plain_function_called_directly_warns_and_says_how():
    x, y = _data()
    w = tf.Variable(tf.zeros((4, 2)))

    def step(x, y):
        return tf.reduce_mean(tf.square(tf.matmul(x, w) - y))

    with pytest.warns(EagerLabWarning, match=r"plain Python function.*Call the recording.*rec\(\.\.\.\)"):
        with eager_lab.capture(step):
            step(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EagerLabWarning)   # the right way: no warning
        with eager_lab.capture(step) as rec:
            rec(x, y)
    assert len(rec.steps) == 1
    matmul = next(t for t in rec.steps[0].tensors if t.op_type == "MatMul")
    assert matmul.name is not None and matmul.value is not None


def test_model_block_without_a_train_step_warns():
    x, y = _data()
    m = _sequential()
    with pytest.warns(EagerLabWarning, match="no train step.*evaluate and predict"):
        with eager_lab.capture(m):
            m.predict(x, verbose=0)


def test_steps_that_select_nothing_warn():
    x, y = _data()
    m = _sequential()
    with pytest.warns(EagerLabWarning, match=r"2 step\(s\) ran, and steps=5 selected none"):
        with eager_lab.capture(m, steps=5):
            m.train_on_batch(x, y)
            m.train_on_batch(x, y)


def test_first_nonfinite_without_nan_is_silent():
    x, y = _data()
    m = _sequential()
    with warnings.catch_warnings():
        warnings.simplefilter("error", EagerLabWarning)
        with eager_lab.capture(m, steps="first_nonfinite") as rec:
            m.train_on_batch(x, y)
    assert rec.steps == [] and rec.stopped_at is None


def test_bad_memory_budget_is_refused():
    with pytest.raises(ValueError, match="memory_budget"):
        eager_lab.capture(_sequential(), memory_budget=-1)
    with pytest.raises(ValueError, match="memory_budget"):
        eager_lab.capture(_sequential(), memory_budget="512MB")
