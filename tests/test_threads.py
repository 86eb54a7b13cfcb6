"""Captures in different threads are independent; a failed start undoes everything."""
import threading

import keras
import numpy as np
import pytest
import tensorflow as tf

import eager_lab
from eager_lab import compat
from eager_lab.record import events
def _data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")


def _model():
    m = keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(3, activation="relu"),
                          keras.layers.Dense(2)])
    m.compile(optimizer="adam", loss="mse")
    return m


def _run_threads(*targets):
    errors = []

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as err:  # noqa: BLE001 - reported by the test
                errors.append(err)
        return run

    threads = [threading.Thread(target=guarded(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a capture thread hung"
    return errors


@pytest.mark.parametrize("trial", range(4))
def test_two_models_captured_in_two_threads_at_once(trial):
    models = [_model(), _model()]
    x, y = _data(trial)
    recordings = [None, None]
    barrier = threading.Barrier(2)

    def work(k, steps):
        def run():
            barrier.wait()
            with eager_lab.capture(models[k]) as rec:
                for _ in range(steps):
                    models[k].train_on_batch(x, y)
            recordings[k] = rec
        return run

    assert _run_threads(work(0, 3), work(1, 2)) == []
    assert [len(r.steps) for r in recordings] == [3, 2]
    for rec in recordings:
        assert all(sum(t.name is not None for t in s.tensors) > 10 for s in rec.steps)
        assert rec.id in events.recordings
    assert not tf.config.functions_run_eagerly()
    for m in models:
        assert "train_step" not in vars(m)


def test_one_model_in_two_threads_second_is_refused_clearly():
    m = _model()
    x, y = _data()
    inside, leave = threading.Event(), threading.Event()
    first = {}

    def holder():
        with eager_lab.capture(m) as rec:
            m.train_on_batch(x, y)
            inside.set()
            leave.wait(120)
        first["rec"] = rec

    t = threading.Thread(target=holder)
    t.start()
    assert inside.wait(120)
    try:
        with pytest.raises(RuntimeError, match="already being captured in thread"):
            with eager_lab.capture(m):
                pass
        # The refused capture left this thread free to capture something else.
        other = _model()
        with eager_lab.capture(other) as rec2:
            other.train_on_batch(x, y)
        assert len(rec2.steps) == 1
    finally:
        leave.set()
        t.join(120)
    assert len(first["rec"].steps) == 1
    assert "train_step" not in vars(m)


def test_one_tf_function_captured_from_two_threads_records_each_call_once():
    w = tf.Variable(tf.ones((4, 2)))

    @tf.function
    def step(x):
        return tf.reduce_sum(tf.matmul(x, w))

    original = compat.get_python_function(step)
    x, _ = _data()
    barrier = threading.Barrier(2)
    recordings = {}

    def work(name, calls):
        def run():
            with eager_lab.capture(step) as rec:
                barrier.wait()
                for _ in range(calls):
                    step(x)
                barrier.wait()      # both captures are active during all calls
            recordings[name] = rec
        return run

    assert _run_threads(work("a", 3), work("b", 5)) == []
    assert len(recordings["a"].steps) == 3 and len(recordings["b"].steps) == 5
    assert compat.get_python_function(step) is original
    assert not tf.config.functions_run_eagerly()
    # Calls outside any capture run as before, as a graph.
    assert float(step(x)) == pytest.approx(float(np.sum(x @ np.ones((4, 2)))), rel=1e-5)


def test_a_failed_start_undoes_everything(monkeypatch):
    """The capture fails half-way in (after its hooks were set): nothing stays behind."""
    @tf.function
    def step(x):
        return tf.reduce_sum(x * 2.0)

    original = compat.get_python_function(step)
    m = _model()

    def broken_register(recording):
        raise RuntimeError("registration failed")

    monkeypatch.setattr(events, "register", broken_register)
    for target in (step, m):
        with pytest.raises(RuntimeError, match="registration failed"):
            with eager_lab.capture(target):
                pass
    assert compat.get_python_function(step) is original
    assert not tf.config.functions_run_eagerly()
    assert "train_step" not in vars(m) and not m.run_eagerly
    monkeypatch.undo()
    # The thread is not stuck "already active": the next capture works.
    x, y = _data()
    with eager_lab.capture(m) as rec:
        m.train_on_batch(x, y)
    assert len(rec.steps) == 1
