"""(1.4) Why a comparison row differs, on the comm: causes, noise, origins, XLA.

Serialization is checked on comparisons built by hand (every field set, so each one is
seen to arrive where docs/protocol.md says); what a real kernel sends is checked for the
fields' presence, types and the rules that hold whatever the attribution says (the first
divergence is a real one, counts add up, an origin is an earlier row). Which cause a row
gets is tests/test_compare*.py's business, not the protocol's.
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import tensorflow as tf

import comm
import eager_lab
from eager_lab.comm import protocol
from eager_lab.comm.transport import Transport
from eager_lab.compare.diff import CompareRow, Comparison

ROW_KEYS = {"k", "name", "graph", "op", "eager_index", "eager_summary", "graph_summary",
            "max_abs_diff",
            "max_rel_diff", "diverges", "only_in", "why",
            "cause", "cause_text", "noise", "origin", "layer"}
REPLY_KEYS = {"type", "request_id", "recording_id", "step", "first_divergence",
              "first_difference", "causes", "noise", "mode", "xla_layer", "seconds",
              "offset", "total", "rows"}


@pytest.fixture(scope="module")
def transport():
    return Transport(comm.get_comm_manager())


def ask(transport, **request):
    request.setdefault("request_id", "c1")
    return transport.answer(request)


def request(offset=0, limit=protocol.MAX_ROWS, **extra):
    return protocol.Request("get_comparison", "c1", recording_id=3, step=0, offset=offset,
                            limit=limit, **extra)


def eager(i):
    """The eager twin as a row needs it: its index (a TensorRecord's other fields are
    not serialized)."""
    return SimpleNamespace(index=i)


def by_hand() -> Comparison:
    """Every kind of row: agrees, noise, real, propagated, unattributed, an eager side
    that is no tensor of the step (XLA's); two rows of one loop-body name with array
    values (a list.index() would compare their arrays)."""
    loop = np.arange(4, dtype=np.float32)
    rows = [
        CompareRow("while/x:0", "while_body", "Mul", eager(0), loop),
        CompareRow("conv/Conv2D:0", None, "Conv2D", eager(1), np.ones(2, np.float32),
                   max_abs_diff=2e-7, max_rel_diff=1e-7, diverges=True,
                   cause="graph-optimization:onednn", noise=True,
                   cause_text="oneDNN fused Conv2D with its bias in the graph",
                   layer="seq/conv (Conv2D)"),
        CompareRow("while/x:0", "while_body", "Mul", eager(2), loop.copy(),
                   max_abs_diff=0.5, max_rel_diff=0.2, diverges=True, cause="python-value",
                   cause_text="np.random.rand() frozen at trace time " + "x" * 3000),
        CompareRow("add:0", None, "AddV2", eager(3), np.zeros(4, np.float32),
                   max_abs_diff=0.5, max_rel_diff=0.2, diverges=True, cause="propagated",
                   cause_text="carries the difference of while/x:0", origin=np.int64(2),
                   layer="seq/dense (Dense)"),
        CompareRow("odd:0", None, "Sin", eager(4), np.zeros(1, np.float32),
                   max_abs_diff=float("inf"), max_rel_diff=float("nan"), diverges=True),
        CompareRow("loss", None, "output",
                   SimpleNamespace(index=None, value=np.array(2.5, np.float32)),
                   np.array(2.5, np.float32), max_abs_diff=0.0, max_rel_diff=0.0),
    ]
    layer = SimpleNamespace(path="seq/dense", class_name="Dense",
                            max_abs_diff=np.float32(0.25), text="XLA changes seq/dense first")
    return Comparison(rows, {}, mode="xla", xla_layer=layer, seconds=1.5)


def test_every_new_field_is_serialized():
    cmp = by_hand()
    reply = protocol.comparison(request(), cmp)
    json.dumps(reply, allow_nan=False)
    assert set(reply) == REPLY_KEYS and all(set(r) == ROW_KEYS for r in reply["rows"])
    # The first real divergence skips the noise row; the first difference does not.
    assert reply["first_divergence"] == 2 and reply["first_difference"] == 1
    assert reply["causes"] == {"graph-optimization:onednn": 1, "python-value": 1,
                               "propagated": 1, "unknown": 1}
    assert reply["noise"] == 1 and reply["mode"] == "xla" and reply["seconds"] == 1.5
    assert reply["xla_layer"] == {"path": "seq/dense", "class_name": "Dense",
                                  "max_abs_diff": 0.25,
                                  "text": "XLA changes seq/dense first"}
    agree, noise, real, propagated, unknown, replayed = reply["rows"]
    assert agree["eager_summary"] is None          # the panel has its row
    assert replayed["eager_index"] is None and replayed["only_in"] is None
    assert replayed["eager_summary"] == "f32[] x∈[2.5, 2.5] μ=2.5"
    assert replayed["graph_summary"] == replayed["eager_summary"]
    assert (agree["cause"], agree["cause_text"], agree["noise"], agree["origin"],
            agree["layer"]) == (None, None, False, None, None)
    assert noise["noise"] is True and noise["layer"] == "seq/conv (Conv2D)"
    assert noise["cause"] == "graph-optimization:onednn"
    assert real["cause"] == "python-value" and real["noise"] is False
    assert len(real["cause_text"]) == protocol.MAX_ERROR_TEXT   # cut, like errors
    assert propagated["origin"] == 2 and type(propagated["origin"]) is int
    assert propagated["cause_text"] == "carries the difference of while/x:0"
    assert unknown["cause"] is None and unknown["max_abs_diff"] is None   # no Infinity


def test_indices_stay_whole_comparison_indices_on_a_later_page():
    reply = protocol.comparison(request(offset=3, limit=1), by_hand())
    assert [r["k"] for r in reply["rows"]] == [3]
    assert reply["first_divergence"] == 2 and reply["rows"][0]["origin"] == 2
    assert reply["total"] == 6 and reply["offset"] == 3


def test_a_graph_comparison_has_no_xla_layer_and_may_not_know_its_time():
    cmp = by_hand()
    cmp.mode, cmp.xla_layer, cmp.seconds = "graph", None, None
    cmp.rows = cmp.rows[:2]      # only noise: no real divergence
    reply = protocol.comparison(request(), cmp)
    assert (reply["mode"], reply["xla_layer"], reply["seconds"]) == ("graph", None, None)
    assert reply["first_divergence"] is None and reply["first_difference"] == 1


def test_an_xla_layer_may_name_no_layer():
    cmp = by_hand()
    cmp.xla_layer = SimpleNamespace(path=None, class_name=None, max_abs_diff=None,
                                    text="no single layer's XLA forward/backward differs")
    reply = protocol.comparison(request(), cmp)
    assert reply["xla_layer"] == {"path": None, "class_name": None, "max_abs_diff": None,
                                  "text": "no single layer's XLA forward/backward differs"}


def test_jit_compile_and_the_xla_source_parse():
    base = {"type": "get_comparison", "request_id": "c", "recording_id": 3, "step": 0}
    assert protocol.parse_request(base).jit_compile is False
    assert protocol.parse_request({**base, "jit_compile": True}).jit_compile is True
    values = {"type": "get_values", "request_id": "c", "recording_id": 3, "step": 0,
              "index": 1, "source": "xla"}
    assert protocol.parse_request(values).source == "xla"
    assert protocol.parse_request({**values, "source": "xla_eager"}).source == "xla_eager"
    assert "xla" in protocol.welcome()["capabilities"]


# -- a real step whose graph differs from eager ---------------------------------------------
def frozen_draw(x):
    """A Python draw frozen into the graph when traced: eager and graph multiply by
    different numbers, and everything after the product differs too."""
    scale = np.float32(np.random.rand() + 0.5)
    y = x * scale
    return tf.reduce_sum(tf.square(y + 1.0))


@pytest.fixture
def diverging():
    rec = eager_lab.capture(tf.function(frozen_draw))
    with rec:
        rec.target(tf.constant(np.linspace(-1.0, 1.0, 12, dtype=np.float32)))
    return rec


def check_reply(reply):
    """The rules every 1.4 comparison reply keeps, whatever the causes."""
    json.dumps(reply, allow_nan=False)
    assert set(reply) == REPLY_KEYS
    rows = reply["rows"]
    assert all(set(r) == ROW_KEYS for r in rows)
    for r in rows:
        assert r["cause"] is None or isinstance(r["cause"], str)
        assert r["cause_text"] is None or isinstance(r["cause_text"], str)
        assert isinstance(r["noise"], bool)
        assert r["layer"] is None or isinstance(r["layer"], str)
        assert r["origin"] is None or (type(r["origin"]) is int and 0 <= r["origin"] < len(rows))
        if not r["diverges"] and r["max_abs_diff"] == 0.0:   # identical: nothing to explain
            assert r["cause"] is None and r["noise"] is False
    diverging = [r for r in rows if r["diverges"]]
    assert all(isinstance(c, str) and type(n) is int for c, n in reply["causes"].items())
    assert sum(reply["causes"].values()) == len(diverging)
    assert reply["noise"] == sum(r["noise"] for r in diverging)
    assert reply["seconds"] is None or reply["seconds"] >= 0
    first, raw = reply["first_divergence"], reply["first_difference"]
    assert raw == (diverging[0]["k"] if diverging else None)
    if first is not None:
        row = rows[first]
        assert row["diverges"] and not row["noise"] and row["cause"] != "propagated"
        assert raw <= first
        assert not any(r["diverges"] and not r["noise"] and r["cause"] != "propagated"
                       for r in rows[:first])


def test_a_real_comparison_keeps_the_rules(diverging, transport):
    reply, _ = ask(transport, type="get_comparison", recording_id=diverging.id, step=0)
    assert reply["type"] == "comparison", reply
    check_reply(reply)
    assert reply["mode"] == "graph" and reply["xla_layer"] is None
    assert reply["first_difference"] is not None      # the draw differs
    step = diverging.steps[0]
    assert step.xla_comparison is None                # the graph one only
    assert reply["causes"] == step.comparison.cause_counts


def test_jit_compile_answers_the_xla_comparison_and_its_values(diverging, transport):
    step = diverging.steps[0]
    reply, _ = ask(transport, type="get_comparison", recording_id=diverging.id, step=0,
                   jit_compile=True)
    assert reply["type"] == "comparison", reply
    check_reply(reply)
    assert reply["mode"] == "xla"
    xla = step.xla_comparison
    assert xla is not None and reply["total"] == len(xla.rows)
    assert step.comparison is None or step.comparison is not xla
    # Asked again: the kept comparison, not a second XLA run.
    again, _ = ask(transport, type="get_comparison", recording_id=diverging.id, step=0,
                   jit_compile=True)
    assert step.xla_comparison is xla and again["rows"] == reply["rows"]
    k = next(r["k"] for r in reply["rows"] if xla.rows[r["k"]].graph_value is not None)
    values, bufs = ask(transport, type="get_values", recording_id=diverging.id, step=0,
                       index=k, source="xla")
    assert values["type"] == "values" and values["source"] == "xla"
    got = np.frombuffer(bufs[0], dtype=values["dtype"])
    expected = np.asarray(xla.rows[k].graph_value).reshape(-1)[:values["count"]]
    np.testing.assert_array_equal(got, expected.astype(values["dtype"]))
    # The graph comparison is still there to ask for, apart from the XLA one.
    graph, _ = ask(transport, type="get_comparison", recording_id=diverging.id, step=0)
    assert graph["mode"] == "graph" and step.comparison is not xla


def with_a_python_op(x):
    """A step XLA cannot compile: tf.numpy_function runs Python, which XLA has no kernel for."""
    y = tf.numpy_function(np.sin, [x], tf.float32)
    return tf.reduce_sum(y * 2.0)


def test_a_step_xla_cannot_compile_is_answered_no_value(transport):
    rec = eager_lab.capture(tf.function(with_a_python_op))
    with rec:
        rec.target(tf.constant(np.linspace(-1.0, 1.0, 4, dtype=np.float32)))
    reply, _ = ask(transport, type="get_comparison", recording_id=rec.id, step=0,
                   jit_compile=True)
    assert reply["type"] == "error" and reply["code"] == "no_value", reply
    assert reply["message"].startswith("cannot compare step 0 with XLA")
    assert rec.steps[0].xla_comparison is None
    # The graph comparison is unaffected.
    graph, _ = ask(transport, type="get_comparison", recording_id=rec.id, step=0)
    assert graph["type"] == "comparison" and graph["mode"] == "graph"


def test_a_tensor_reply_names_its_keras_layer(transport):
    model = keras_model()
    with eager_lab.capture(model) as rec:
        model.train_on_batch(np.ones((4, 3), "float32"), np.zeros((4, 2), "float32"))
    step = rec.steps[0]
    index = next(t.index for t in step.tensors if t.name and "MatMul" in t.name
                 and not t.name.startswith("gradient_tape"))
    reply, _ = ask(transport, type="get_tensor", recording_id=rec.id, step=0, index=index)
    assert reply["type"] == "tensor", reply
    assert reply["layer"] == f"{model.name}/dense (Dense)"
    assert reply["layer"] == step.layer_of(step.tensors[index])


def keras_model():
    import keras
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense")])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_compare_progress_is_pushed_per_stage_then_done(diverging):
    seen = []

    def listen(event, recording, step):
        if event == "compare_progress":
            seen.append(protocol.compare_progress(recording, step))

    eager_lab.record.events.add_listener(listen)
    try:
        diverging.steps[0].compare()
    finally:
        eager_lab.record.events.remove_listener(listen)
    stages = [m["stage"] for m in seen]
    assert stages[0].startswith("running the step as a graph") and stages[-1] is None
    assert "comparing values" in stages
    for m in seen:
        json.dumps(m, allow_nan=False)
        assert m["type"] == "compare_progress" and m["mode"] == "graph"
        assert m["recording_id"] == diverging.id and m["step"] == 0 and m["elapsed"] >= 0
    assert diverging.steps[0].compare_progress is None
