"""step.compare(): the same step as a graph, from the same state, tensor by tensor."""
from collections import defaultdict

import keras
import numpy as np
import pytest
import tensorflow as tf

import eager_lab
import oracle
import zoo


def _variables(model):
    from eager_lab.capturing.state import model_variables
    return [v.numpy().copy() for v in model_variables(model)]


def _assert_same(before, after):
    assert len(before) == len(after)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)


def _assert_rows_are_the_oracles(cmp, step, truth):
    """Rows are paired by name, so a row's eager and graph names agree by construction.
    Check the pairing against what the test's own graph run (tfdbg2, ``truth``) recorded
    under that name instead: same op type, shape, dtype and value (the eager tensor and
    the product's graph value alike, occurrence by occurrence in loop bodies), and the
    row's difference recomputed in NumPy float64."""
    occurrences = defaultdict(int)
    rows = [r for r in cmp.rows if r.only_in is None]
    for r in rows:
        key = (r.graph, r.name)
        k = occurrences[key]
        occurrences[key] += 1
        values = truth.lookup(key)
        assert values, f"{key}: the oracle's graph run has no tensor of that name"
        want = np.asarray(values[min(k, len(values) - 1)])
        t = r.eager
        assert t.op_type == r.op_type == truth.op_types[key], (key, t.op_type, r.op_type)
        if t.value is None:      # resource handles: no value to compare
            continue
        assert t.shape == want.shape and t.dtype == want.dtype.name, (key, t.shape, want.shape)
        assert oracle.close(t.value, want), f"{key}#{k}: eager value is not the oracle's"
        assert oracle.close(r.graph_value, want), f"{key}#{k}: graph value is not the oracle's"
        a, b = t.value.astype(np.float64), r.graph_value.astype(np.float64)
        expected = float(np.max(np.abs(a - b))) if a.size else 0.0
        assert r.max_abs_diff == expected, (key, r.max_abs_diff, expected)
    return rows


@pytest.mark.parametrize("name", ["custom_arithmetic", "cond_while"])
def test_compare_matches_and_leaves_state_untouched(name):
    keras.utils.set_random_seed(0)
    case = zoo.ZOO[name]()
    case.run()
    start = oracle.snapshot(case.model)
    with eager_lab.capture(case.model) as rec:
        case.run()
    step = rec.steps[0]
    before = _variables(case.model)
    cmp = step.compare()
    _assert_same(before, _variables(case.model))
    assert cmp.first_divergence is None, cmp.first_divergence
    # Every graph tensor of the run has a value, the graph-only ones included.
    graph_rows = [r for r in cmp.rows if r.only_in != "eager"]
    assert all(r.graph_value is not None for r in graph_rows)
    assert cmp.only_in_graph, "shape arithmetic and IdentityN exist only in the graph"
    # The oracle: the same step in graph mode under tfdbg2, from the same state.
    after = oracle.snapshot(case.model)
    oracle.restore(start)
    truth = oracle.run_graph_step(case.model, case.run, root_prefix=case.root)
    oracle.restore(after)
    # Names, values and the ops' inputs of the whole step agree with the oracle ...
    score = oracle.score(step, truth)
    assert score.wrong == [], score.wrong[:5]
    # ... and so does each compared row, whatever name it was paired by.
    compared = _assert_rows_are_the_oracles(cmp, step, truth)
    # Every named eager tensor is in a compared row (none left as eager-only).
    assert {id(r.eager) for r in compared} == {id(t) for t in step.tensors if t.name}
    assert len(compared) >= {"custom_arithmetic": 150, "cond_while": 45}[name]


def test_dropout_with_same_seed_state_does_not_diverge():
    keras.utils.set_random_seed(0)
    case = zoo.dropout()
    case.run()
    with eager_lab.capture(case.model) as rec:
        case.run()
    cmp = rec.steps[0].compare()
    assert cmp.first_divergence is None, cmp.first_divergence
    assert any("dropout" in (r.name or "") for r in cmp.rows if r.only_in is None)


class FrozenNumpy(keras.Model):
    """np.random.rand() in train_step: a graph freezes it at trace time."""

    def __init__(self):
        super().__init__()
        self.d = keras.layers.Dense(2)
        self.calls = 0

    def train_step(self, data):
        x, y = data[0], data[1]
        self.calls += 1
        with tf.GradientTape() as tape:
            p = self.d(x)
            noise_scale = np.float32(np.random.rand() + 1.0)
            loss = tf.reduce_mean(tf.square(p - y)) * noise_scale  # consumes the frozen value
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


class FrozenCounter(FrozenNumpy):
    def train_step(self, data):
        x, y = data[0], data[1]
        self.calls += 1
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(self.d(x) - y)) * float(self.calls)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


@pytest.mark.parametrize("cls", [FrozenNumpy, FrozenCounter])
def test_frozen_python_value_diverges_at_its_consumer(cls):
    keras.utils.set_random_seed(0)
    model = cls()
    model.compile(optimizer="sgd")
    x = np.ones((4, 3), "float32")
    y = np.zeros((4, 2), "float32")
    model.train_on_batch(x, y)
    model.train_on_batch(x, y)
    with eager_lab.capture(model) as rec:
        model.train_on_batch(x, y)
    calls = model.calls
    cmp = rec.steps[0].compare()
    assert model.calls == calls  # the graph trace's Python side effects were undone
    first = cmp.first_divergence
    assert first is not None
    assert first.op_type == "Mul" and first.name == "mul:0"
    assert first.eager.source.function == "train_step"
    assert "loss = " in first.eager.source.code


def test_compare_without_state_says_why():
    keras.utils.set_random_seed(0)
    case = zoo.arithmetic()
    with eager_lab.capture(case.model, keep_state=False) as rec:
        case.run()
    with pytest.raises(RuntimeError, match="state before this step was not kept"):
        rec.steps[0].compare()


def test_compare_a_tf_function_step():
    keras.utils.set_random_seed(0)
    case = zoo.tf_function_step()
    case.run()
    with eager_lab.capture(case.target) as rec:
        case.run()
    state = [v.numpy().copy() for v in case.state()]
    cmp = rec.steps[0].compare()
    _assert_same(state, [v.numpy().copy() for v in case.state()])
    assert cmp.first_divergence is None
    assert any(r.name == "MatMul:0" and r.only_in is None for r in cmp.rows)


def test_compare_keeps_tensorflows_debugger_logs_out_of_the_cell():
    # tfdbg2 logs "Enabled dumping callback" and, per notebook cell, "Failed to read
    # source code": noise in the user's output. TensorFlow's own logger level is restored.
    import logging

    class Keep(logging.Handler):
        def __init__(self):
            super().__init__(logging.DEBUG)
            self.messages = []

        def emit(self, record):
            self.messages.append(record.getMessage())

    keras.utils.set_random_seed(0)
    case = zoo.arithmetic()
    case.run()
    with eager_lab.capture(case.model) as rec:
        case.run()
    logger = tf.get_logger()
    level, keep = logger.level, Keep()
    logger.addHandler(keep)
    logger.setLevel(logging.INFO)
    try:
        rec.steps[0].compare()
        assert not [m for m in keep.messages if "dump" in m or "source" in m], keep.messages
        assert logger.level == logging.INFO
        logger.info("eager_lab probe")      # the handler hears INFO: the check above can fail
        assert keep.messages[-1] == "eager_lab probe"
    finally:
        logger.removeHandler(keep)
        logger.setLevel(level)


def _halving_step(on_tensor: bool):
    """A @tf.function step (autograph on) halving its loss under an `if`: on a tensor
    (autograph makes it a tf.cond, whose branches are function graphs) or on a Python
    bool (plain Python while tracing: the graph has only the branch taken)."""
    w = tf.Variable(tf.random.stateless_normal((6, 3), seed=(3, 4)), name="w")
    opt = keras.optimizers.SGD(0.01)
    opt.build([w])
    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((8, 6), dtype=np.float32))
    y = tf.constant(rng.random((8, 3), dtype=np.float32))
    halve = True

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
            if (loss > 0.0) if on_tensor else halve:
                loss = loss * 0.5
            else:
                loss = loss + 0.1
        opt.apply_gradients([(tape.gradient(loss, w), w)])
        return loss

    return step, x, y, [w, *opt.variables]


@pytest.mark.parametrize("on_tensor", [True, False], ids=["if_on_tensor", "if_on_python_bool"])
def test_autograph_if_on_a_tensor_vs_a_python_bool(on_tensor):
    step, x, y, state = _halving_step(on_tensor)
    step(x, y)
    with eager_lab.capture(step) as rec:
        step(x, y)
    before = [v.numpy().copy() for v in state]
    cmp = rec.steps[0].compare()
    _assert_same(before, [v.numpy().copy() for v in state])
    assert cmp.first_divergence is None, cmp.first_divergence
    # The eager `loss * 0.5` has a graph twin with the same value either way.
    halved = next(r for r in cmp.rows if r.op_type == "Mul" and r.only_in is None
                  and r.eager.source is not None and "loss * 0.5" in r.eager.source.code)
    assert halved.max_abs_diff == 0.0
    if on_tensor:
        # Inside the tf.cond's true branch; its gradient lives in the branch's gradient
        # graph, which eager execution never builds: graph-only, with graph values.
        assert (halved.name, halved.graph) == ("cond/mul:0", "cond_true")
        branch_grads = [r for r in cmp.rows if r.graph == "cond_true_grad"]
        assert branch_grads and all(r.only_in == "graph" and r.graph_value is not None
                                    for r in branch_grads)
        assert any(r.op_type == "Mul" for r in branch_grads)
    else:
        # A Python bool leaves no control flow in the graph: every row is top level.
        assert (halved.name, halved.graph) == ("mul:0", None)
        assert not any(r.graph for r in cmp.rows)
        grad = next(r for r in cmp.rows if r.name == "gradient_tape/mul/Mul:0")
        assert grad.only_in is None and grad.max_abs_diff == 0.0


class TensorAsBool(keras.Model):
    """`if loss > 0:` in a Keras train_step: fine eagerly; Keras 3 traces train_step
    without autograph, so as a graph it cannot run at all."""

    def __init__(self):
        super().__init__()
        self.d = keras.layers.Dense(1)

    def train_step(self, data):
        x, y = data[0], data[1]
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(self.d(x) - y))
            if loss > 0.0:  # the line the error names
                loss = loss * 0.5
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


def test_a_step_that_cannot_run_as_a_graph_says_where():
    import comm
    from eager_lab.comm.transport import Transport
    model = TensorAsBool()
    model.compile(optimizer="sgd", run_eagerly=True)
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
    model.train_on_batch(x, y)
    with eager_lab.capture(model) as rec:
        model.train_on_batch(x, y)
    before = _variables(model)
    with pytest.raises(eager_lab.GraphRunError) as err:
        rec.steps[0].compare()
    message = str(err.value)
    assert "runs eagerly but not as a graph" in message
    assert "OperatorNotAllowedInGraphError" in message
    assert err.value.source is not None and err.value.source.function == "train_step"
    assert "if loss > 0.0:" in message
    assert "use tf.cond" in message and err.value.cause == "control-flow"   # the fix
    assert isinstance(err.value.__cause__, tf.errors.OperatorNotAllowedInGraphError)
    _assert_same(before, _variables(model))
    # The panel gets the same reason, as a no_value error (not an eager_lab bug).
    reply, _ = Transport(comm.get_comm_manager()).answer(
        {"type": "get_comparison", "request_id": "r", "recording_id": rec.id, "step": 0})
    assert reply["type"] == "error" and reply["code"] == "no_value", reply
    assert "if loss > 0.0:" in reply["message"]
