"""The comm protocol's messages against docs/protocol-examples/*.json, on real captures.

Requests in the examples must parse; replies and pushes built from a real recording must
have the example's keys and JSON types. Values go through the real request handler
(``Transport.answer``) and come back out of the buffer with numpy, page by page.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import comm
import eager_lab
from eager_lab.comm import buffers
from eager_lab.record import events
from eager_lab.comm import protocol
from eager_lab.record.summary import summary_text
from eager_lab.comm.transport import Transport

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "protocol-examples"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def mixed_step(x):
    """Float32, bool, float16, bfloat16, int32 and int64 tensors; a NaN at the end."""
    h = tf.reshape(x * 2.0 + 1.0, (2, 3, 4))
    positive = h > 3.0
    half = tf.cast(h, tf.float16) * tf.constant(0.5, tf.float16)
    counts = tf.reduce_sum(tf.cast(positive, tf.int32), axis=-1)
    wide = tf.cast(counts, tf.int64) * 3
    brain = tf.cast(h, tf.bfloat16)        # recorded as float32 values
    s = tf.constant(0.0)
    for _ in range(3):
        s = s + tf.reduce_mean(h)
    bad = tf.math.log(tf.reduce_min(h) - 100.0)   # NaN
    return h, positive, half, wide, brain, s, bad


@pytest.fixture
def recording():
    """A fresh capture per test: a newer recording drops the values of older ones."""
    rec = eager_lab.capture(tf.function(mixed_step))
    x = tf.constant(np.arange(24, dtype=np.float32) / 7.0)
    with rec:
        rec.target(x)
    assert rec.steps and rec.steps[0].tensors
    return rec


@pytest.fixture(scope="module")
def transport():
    # The comm package's own manager (no kernel): requests are answered the same way.
    return Transport(comm.get_comm_manager())


def ask(transport, **request):
    request.setdefault("request_id", "t1")
    reply, bufs = transport.answer(request)
    assert reply["request_id"] == request["request_id"] or reply["type"] == "error"
    return reply, bufs


def by_name(step, name_part: str):
    return next(t for t in step.tensors if t.op_type == name_part)


# -- structure -----------------------------------------------------------------------------
def same_shape(built, expected, path="$"):
    """Same keys, same JSON types; null on either side matches anything (optional values)."""
    if built is None or expected is None:
        return
    if isinstance(expected, dict):
        assert isinstance(built, dict), path
        assert set(built) == set(expected), f"{path}: {sorted(built)} != {sorted(expected)}"
        for key in expected:
            same_shape(built[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(built, list), path
        if built and expected:
            same_shape(built[0], expected[0], f"{path}[0]")
    elif isinstance(expected, bool):
        assert isinstance(built, bool), path
    elif isinstance(expected, (int, float)):
        assert isinstance(built, (int, float)) and not isinstance(built, bool), path
    else:
        assert type(built) is type(expected), f"{path}: {type(built)} != {type(expected)}"


REQUESTS = ("request_state", "get_tensors", "get_tensor", "get_values", "get_comparison",
            "get_trends")


ERROR_EXAMPLES = {p.stem: json.loads(p.read_text()) for p in (EXAMPLES / "errors").glob("*.json")}
# (1.3) get_tensors and its tensors reply in columns (tests/test_protocol_columns.py).
COLUMN_EXAMPLES = {p.stem: json.loads(p.read_text())
                   for p in (EXAMPLES / "columns").glob("*.json") if p.stem.count(".") == 0}


def test_the_documents_json_is_the_examples():
    """Each ```json block of protocol.md is its example file (or the real mismatch error);
    the extra error examples of protocol-examples/errors/ and the column examples of
    protocol-examples/columns/ are in it too."""
    doc = (EXAMPLES.parent / "protocol.md").read_text()
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", doc, re.S)]
    assert {b["type"] for b in blocks} == {p.stem for p in EXAMPLES.glob("*.json")}
    for block in blocks:
        if block.get("code") == "version_mismatch":
            with pytest.raises(protocol.ProtocolError) as err:
                protocol.check_peer({**example("hello"), "protocol_version": "2.0.0"})
            assert block == err.value.to_json()
        elif block in ERROR_EXAMPLES.values() or block in COLUMN_EXAMPLES.values():
            continue
        else:
            assert block == example(block["type"])
    assert all(e in blocks for e in ERROR_EXAMPLES.values())
    assert set(COLUMN_EXAMPLES) == {"get_tensors", "tensors"}
    assert all(e in blocks for e in COLUMN_EXAMPLES.values())


def test_error_examples_are_the_kernels_replies(transport):
    """protocol-examples/errors/*.json: what the kernel really answers to those inputs."""
    assert set(ERROR_EXAMPLES) == {"negative_index", "long_request_id", "bad_version"}
    reply, _ = transport.answer({**example("get_values"), "request_id": "r8", "index": -1})
    assert reply == ERROR_EXAMPLES["negative_index"]
    reply, _ = transport.answer({**example("get_tensors"), "request_id": "x" * 1000})
    assert reply == ERROR_EXAMPLES["long_request_id"]
    with pytest.raises(protocol.ProtocolError) as err:
        protocol.check_peer({**example("hello"), "protocol_version": "\u00b2.0.0"})
    assert err.value.to_json() == ERROR_EXAMPLES["bad_version"]


@pytest.mark.parametrize("name", REQUESTS)
def test_example_requests_parse(name):
    data = example(name)
    request = protocol.parse_request(data)
    assert request.type == name and request.request_id == data["request_id"]
    for key in ("recording_id", "step", "index", "offset", "limit", "count"):
        if key in data:
            assert getattr(request, key) == data[key]
    if "prefix" in data:
        assert list(request.prefix) == data["prefix"]


def _progress_of_a_comparison(step) -> dict:
    """The first compare_progress push a real comparison of ``step`` makes."""
    from eager_lab.record import events
    pushed = []

    def listen(event, recording, s):
        if event == "compare_progress" and not pushed:
            pushed.append(protocol.compare_progress(recording, s))

    events.add_listener(listen)
    try:
        step.compare()
    finally:
        events.remove_listener(listen)
    return pushed[0]


def test_every_example_is_checked(recording, transport):
    """One builder per example file; each built message matches the example's shape."""
    step = recording.steps[0]
    rid = recording.id
    nan_row = step.first_nonfinite().index
    built = {
        "hello": protocol.hello("frontend"),
        "welcome": protocol.welcome(),
        "status": protocol.status(recording, capturing=True),
        "recording": protocol.recording_push(protocol.recording_digest(
            recording, [protocol.step_digest(s) for s in recording.steps])),
        "state": ask(transport, type="request_state")[0],
        "tensors": ask(transport, type="get_tensors", recording_id=rid, step=0)[0],
        "tensor": ask(transport, type="get_tensor", recording_id=rid, step=0, index=0)[0],
        "values": ask(transport, type="get_values", recording_id=rid, step=0, index=0,
                      prefix=[0])[0],
        "error": ask(transport, type="get_tensors", recording_id=999, step=0)[0],
        "comparison": ask(transport, type="get_comparison", recording_id=rid, step=0)[0],
        "trends": ask(transport, type="get_trends", recording_id=rid)[0],
        "compare_progress": _progress_of_a_comparison(step),
    }
    files = {p.stem for p in EXAMPLES.glob("*.json")}
    assert files == set(built) | set(REQUESTS)
    # `series` maps tensor names (data, not schema) to series: compare one entry.
    (example_name, example_series), = example("trends")["series"].items()
    built_series = next(iter(built["trends"]["series"].values()))
    same_shape(built_series, example_series, "trends.series[*]")
    built["trends"] = {**built["trends"], "series": {example_name: built_series}}
    # (1.4) `causes` maps causes (data) to counts: the same step agrees, so it is empty.
    assert built["comparison"]["causes"] == {}
    built["comparison"] = {**built["comparison"], "causes": example("comparison")["causes"]}
    for name, message in built.items():
        same_shape(message, example(name), name)
        json.dumps(message, allow_nan=False)   # the browser's JSON.parse takes it
    assert built["hello"] == {**example("hello"), "version": eager_lab.__version__}
    assert built["state"]["recordings"][-1]["steps"][0]["first_nonfinite"] == nan_row
    assert built["comparison"]["total"] == len(step.comparison.rows) > 0
    assert built["trends"]["steps"] == [0]


def test_rows_hold_the_tables_summary_without_dtype(recording, transport):
    step = recording.steps[0]
    reply, _ = ask(transport, type="get_tensors", recording_id=recording.id, step=0)
    assert reply["total"] == len(step.tensors) == len(reply["rows"])
    for row, rec in zip(reply["rows"], step.tensors):
        assert row["i"] == rec.index and row["name"] == rec.name
        assert row["summary"] == summary_text(rec)
        assert not row["summary"].startswith(("f32[", "bool[", "f16["))
    nan_row = reply["rows"][step.first_nonfinite().index]
    assert nan_row["nan"] == 1 and "NaN!" in nan_row["summary"]


def test_get_tensors_pages(recording, transport):
    n = len(recording.steps[0].tensors)
    rows = []
    for offset in range(0, n, 4):
        reply, _ = ask(transport, type="get_tensors", recording_id=recording.id, step=0,
                       offset=offset, limit=4)
        assert reply["offset"] == offset and reply["total"] == n and len(reply["rows"]) <= 4
        rows += reply["rows"]
    assert [r["i"] for r in rows] == list(range(n))
    past, _ = ask(transport, type="get_tensors", recording_id=recording.id, step=0,
                  offset=n + 10, limit=4)
    assert past["rows"] == [] and past["offset"] == n
    assert protocol.parse_request({"type": "get_tensors", "request_id": "x", "recording_id": 1,
                                   "step": 0, "limit": 10**9}).limit == protocol.MAX_ROWS


# -- values --------------------------------------------------------------------------------
def decode(reply, bufs) -> np.ndarray:
    assert len(bufs) == 1 and isinstance(bufs[0], memoryview)
    data = np.frombuffer(bufs[0], dtype=np.dtype(reply["dtype"]).newbyteorder("<"))
    assert data.size == reply["count"]
    return data


@pytest.mark.parametrize("op, wire", [("AddV2", "float32"), ("Greater", "uint8"),
                                      ("Mul", None), ("Cast", None)])
def test_values_round_trip(recording, transport, op, wire):
    step = recording.steps[0]
    found = [t for t in step.tensors if t.op_type == op and t.has_value]
    assert found
    for rec in found:
        reply, bufs = ask(transport, type="get_values", recording_id=recording.id, step=0,
                          index=rec.index)
        expected = np.asarray(rec.value)
        want = {"bool": "uint8", "float16": "float32"}.get(expected.dtype.name,
                                                           expected.dtype.name)
        assert reply["dtype"] == (wire or want)
        assert reply["shape"] == list(expected.shape) and reply["total"] == expected.size
        got = decode(reply, bufs).reshape(expected.shape)
        np.testing.assert_array_equal(got, expected.astype(want))


def test_values_prefix_and_paging(recording, transport):
    step = recording.steps[0]
    rec = next(t for t in step.tensors if t.shape == (2, 3, 4) and t.dtype == "float16")
    value = np.asarray(rec.value)
    got = []
    for offset in range(0, 12, 5):
        reply, bufs = ask(transport, type="get_values", recording_id=recording.id, step=0,
                          index=rec.index, prefix=[1], offset=offset, count=5)
        assert reply["shape"] == [3, 4] and reply["total"] == 12 and reply["prefix"] == [1]
        assert reply["offset"] == offset and reply["count"] == min(5, 12 - offset)
        got.append(decode(reply, bufs))
    np.testing.assert_array_equal(np.concatenate(got), value[1].astype(np.float32).reshape(-1))
    reply, bufs = ask(transport, type="get_values", recording_id=recording.id, step=0,
                      index=rec.index, prefix=[1, 2, 3])
    assert reply["shape"] == [] and reply["total"] == 1
    assert decode(reply, bufs)[0] == np.float32(value[1, 2, 3])
    reply, bufs = ask(transport, type="get_values", recording_id=recording.id, step=0,
                      index=rec.index, offset=100)
    assert reply["count"] == 0 and reply["offset"] == 24 and bufs[0].nbytes == 0
    assert protocol.parse_request({"type": "get_values", "request_id": "x", "recording_id": 1,
                                   "step": 0, "index": 0, "count": 10**9}).count == 2**20


def test_page_sends_a_contiguous_tensor_without_copy(recording):
    rec = next(t for t in recording.steps[0].tensors if t.dtype == "float32" and t.shape)
    page = buffers.page(rec)
    assert np.shares_memory(np.frombuffer(page.buffer, np.float32), rec.value)


# -- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [
    [],                                                        # not an object
    {"request_id": "x"},                                       # no type
    {"type": "explode", "request_id": "x"},                    # unknown type
    {"type": "request_state"},                                 # no request_id
    {"type": "request_state", "request_id": 7},                # request_id not a string
    {"type": "get_tensors", "request_id": "x", "recording_id": "3", "step": 0},
    {"type": "get_tensors", "request_id": "x", "recording_id": 3},              # no step
    {"type": "get_tensor", "request_id": "x", "recording_id": 3, "step": 0, "index": True},
    {"type": "get_tensor", "request_id": "x", "recording_id": 3, "step": 0, "index": 1.5},
    {"type": "get_tensors", "request_id": "x", "recording_id": 3, "step": 0, "offset": -1},
    {"type": "get_values", "request_id": "x", "recording_id": 3, "step": 0, "index": 0,
     "prefix": "0,5"},
    {"type": "get_values", "request_id": "x", "recording_id": 3, "step": 0, "index": 0,
     "prefix": [0, -1]},
    # 1.2: negative integers would index from the end (another row's data)
    {"type": "get_values", "request_id": "x", "recording_id": 3, "step": 0, "index": -1},
    {"type": "get_values", "request_id": "x", "recording_id": 3, "step": 0, "index": -1,
     "source": "graph"},
    {"type": "get_tensor", "request_id": "x", "recording_id": -3, "step": 0, "index": 0},
    {"type": "get_tensors", "request_id": "x", "recording_id": 3, "step": -1},
    {"type": "get_values", "request_id": "x", "recording_id": 3, "step": 0, "index": 0,
     "count": -5},
    # integers the panel cannot hold exactly
    {"type": "get_tensor", "request_id": "x", "recording_id": 2**53, "step": 0, "index": 0},
    {"type": "get_tensors", "request_id": "x", "recording_id": 3, "step": 0,
     "limit": 10**400},
    # a type that is not a string: a list was an internal TypeError (unhashable)
    {"type": ["get_tensors"], "request_id": "x"},
    {"type": {"a": 1}, "request_id": "x"},
    {"type": None, "request_id": "x"},
    {"type": 7, "request_id": "x"},
    # request ids that cannot be echoed
    {"type": "request_state", "request_id": ""},
    {"type": "request_state", "request_id": "r" * 129},
    {"type": "request_state", "request_id": ["r1"]},
    # null is not "left out"; other wrong types
    {"type": "get_tensors", "request_id": "x", "recording_id": 3, "step": 0, "offset": None},
    {"type": "get_tensors", "request_id": "x", "recording_id": None, "step": 0},
    {"type": "get_tensor", "request_id": "x", "recording_id": 3, "step": [0], "index": 0},
    {"type": "get_tensor", "request_id": "x", "recording_id": 3, "step": {}, "index": 0},
    {"type": "get_values", "request_id": "x", "recording_id": 3, "step": 0, "index": 0,
     "prefix": [0] * 65},
    {"type": "get_values", "request_id": "x", "recording_id": 3, "step": 0, "index": 0,
     "prefix": [True]},
    {"type": "get_values", "request_id": "x", "recording_id": 3, "step": 0, "index": 0,
     "source": ["graph"]},
    {"type": "get_values", "request_id": "x", "recording_id": 3, "step": 0, "index": 0,
     "source": "XLA"},
    # (1.4) jit_compile is a JSON boolean, never 1 or "true"
    {"type": "get_comparison", "request_id": "x", "recording_id": 3, "step": 0,
     "jit_compile": 1},
    {"type": "get_comparison", "request_id": "x", "recording_id": 3, "step": 0,
     "jit_compile": "true"},
    {"type": "get_comparison", "request_id": "x", "recording_id": 3, "step": 0,
     "jit_compile": None},
    "get_tensors",
    None,
])
def test_bad_requests(transport, data):
    with pytest.raises(protocol.ProtocolError) as err:
        protocol.parse_request(data)
    assert err.value.code == "bad_request"
    reply, bufs = transport.answer(data)
    assert reply["type"] == "error" and reply["code"] == "bad_request" and bufs is None
    rid = data.get("request_id") if isinstance(data, dict) else None
    valid = isinstance(rid, str) and 0 < len(rid) <= protocol.MAX_REQUEST_ID
    assert reply["request_id"] == (rid if valid else None)
    same_shape(reply, example("error"))
    assert len(json.dumps(reply)) < 600, reply


HUGE = "x" * 10_000_000


@pytest.mark.parametrize("data", [
    {"type": HUGE, "request_id": "x"},
    {"type": "request_state", "request_id": HUGE},
    {"type": "get_tensors", "request_id": "x", "recording_id": HUGE, "step": 0},
    {"type": "get_values", "request_id": "x", "recording_id": 3, "step": 0, "index": 0,
     "prefix": list(range(1_000_000))},
    {"type": "get_values", "request_id": "x", "recording_id": 3, "step": 0, "index": 0,
     "source": [HUGE] * 3},
    {"type": "get_tensor", "request_id": "x", "recording_id": 3, "step": 0,
     "index": [[[[[[[HUGE]]]]]]]},
])
def test_a_reply_never_grows_with_the_request(transport, data):
    reply, _ = transport.answer(data)
    assert reply["code"] == "bad_request"
    assert len(json.dumps(reply)) < 600, len(json.dumps(reply))


def test_error_messages_are_cut():
    def fails(request):
        raise RuntimeError("a TensorFlow error of many pages " + "x" * 100_000)

    transport = Transport(comm.get_comm_manager())
    transport._handlers["request_state"] = fails
    reply, _ = transport.answer({"type": "request_state", "request_id": "z"})
    assert reply["code"] == "internal"
    assert len(reply["message"]) == protocol.MAX_ERROR_TEXT
    assert reply["message"].startswith("request_state failed: RuntimeError: a TensorFlow")


def test_a_negative_graph_row_is_never_read_from_the_end(recording, transport):
    """Even past parse_request (a handler called directly): rows[-1] is another row."""
    ask(transport, type="get_comparison", recording_id=recording.id, step=0)
    rows = recording.steps[0].comparison.rows
    assert len(rows) > 1 and rows[-1].graph_value is not None
    for index in (-1, -len(rows), len(rows)):
        request = protocol.Request("get_values", "g", recording_id=recording.id, step=0,
                                   index=index, source="graph")
        with pytest.raises(protocol.ProtocolError) as err:
            transport._on_get_values(request)
        assert err.value.code == "not_found" and str(index) in err.value.message


def test_prefix_outside_the_shape_is_a_bad_request(recording, transport):
    rec = next(t for t in recording.steps[0].tensors if t.shape == (2, 3, 4))
    for prefix in ([2], [0, 0, 0, 0]):
        reply, _ = ask(transport, type="get_values", recording_id=recording.id, step=0,
                       index=rec.index, prefix=prefix)
        assert reply["code"] == "bad_request", reply


def test_not_found(recording, transport):
    reply, _ = ask(transport, type="get_tensor", recording_id=12345, step=0, index=0)
    assert reply["code"] == "not_found" and reply["request_id"] == "t1"
    assert f"kept: {', '.join(str(k) for k in events.recordings)}" in reply["message"]
    reply, _ = ask(transport, type="get_tensors", recording_id=recording.id, step=99)
    assert reply["code"] == "not_found" and "step 99" in reply["message"]
    reply, _ = ask(transport, type="get_tensor", recording_id=recording.id, step=0,
                   index=len(recording.steps[0].tensors))
    assert reply["code"] == "not_found"


def test_dropped_values_are_no_value(transport):
    rec = eager_lab.capture(tf.function(mixed_step), memory_budget=0)
    with rec:
        rec.target(tf.range(24, dtype=tf.float32))
    tensor = next(t for t in rec.steps[0].tensors if t.dtype == "float32")
    assert not tensor.has_value
    reply, _ = ask(transport, type="get_values", recording_id=rec.id, step=0,
                   index=tensor.index)
    assert reply["code"] == "no_value" and "memory budget" in reply["message"]
    detail, _ = ask(transport, type="get_tensor", recording_id=rec.id, step=0,
                    index=tensor.index)
    assert detail["row"]["has_value"] is False and detail["stats"]["size"] == 24
    # 1.2: the row says why, in the words of TensorRecord.why_no_value.
    assert detail["row"]["why_no_value"] == tensor.why_no_value
    assert "memory budget" in detail["row"]["why_no_value"]


def test_why_no_value_is_null_while_held_and_kept_follows_keep(recording, transport):
    rows, _ = ask(transport, type="get_tensors", recording_id=recording.id, step=0)
    held = [r for r in rows["rows"] if r["has_value"]]
    assert held and all(r["why_no_value"] is None for r in held)
    assert all(r["why_no_value"] for r in rows["rows"] if not r["has_value"])
    state, _ = ask(transport, type="request_state")
    digest = next(r for r in state["recordings"] if r["id"] == recording.id)
    assert digest["kept"] is False
    recording.keep()
    try:
        state, _ = ask(transport, type="request_state")
        digest = next(r for r in state["recordings"] if r["id"] == recording.id)
        assert digest["kept"] is True
    finally:
        recording.release()
    rows, _ = ask(transport, type="get_tensors", recording_id=recording.id, step=0)
    assert not any(r["has_value"] for r in rows["rows"])
    assert {r["why_no_value"] for r in rows["rows"] if r["dtype"] == "float32"} == {
        "released by rec.release(); the summary is kept"}


def test_a_sources_cell_id_is_sent():
    from eager_lab.record.records import Source
    source = Source("/tmp/ipykernel_1/3.py", 4, "call", 3, "4f1c2a9e")
    assert protocol.source_json(source) == {"file": "/tmp/ipykernel_1/3.py", "line": 4,
                                            "function": "call", "cell": 3,
                                            "cell_id": "4f1c2a9e"}
    assert protocol.source_json(Source("f.py", 1, "g"))["cell_id"] is None


def test_a_handler_bug_is_an_internal_error(recording):
    transport = Transport(comm.get_comm_manager())
    with pytest.raises(ValueError, match="already registered"):
        transport.register_handler("request_state", lambda request: {})
    transport._handlers["request_state"] = lambda request: 1 / 0
    reply, _ = transport.answer({"type": "request_state", "request_id": "z"})
    assert reply == {"type": "error", "request_id": "z", "code": "internal",
                     "message": "request_state failed: ZeroDivisionError: division by zero"}


# -- versions, digests, fetch code -----------------------------------------------------------
def test_version_check_by_major():
    assert protocol.check_peer({**example("hello"), "protocol_version": "1.7.2"})
    with pytest.raises(protocol.ProtocolError) as err:
        protocol.check_peer({**example("hello"), "protocol_version": "2.0.0"})
    assert err.value.code == "version_mismatch"
    assert protocol.PROTOCOL_VERSION in err.value.message and "2.0.0" in err.value.message
    assert err.value.to_json()["protocol_version"] == protocol.PROTOCOL_VERSION
    assert err.value.to_json()["request_id"] is None
    for bad in ({"type": "hello"}, {"type": "hello", "protocol_version": "one"}, {"type": "x"}):
        with pytest.raises(protocol.ProtocolError) as err:
            protocol.check_peer(bad)
        assert err.value.code == "bad_request"


@pytest.mark.parametrize("version", [
    "\u00b2.0.0",        # str.isdigit() is true, int() raises: the hello went unanswered
    "1" * 5000 + ".0.0",  # int() refuses 5,000 digits: unanswered too
    "1" * 5000,
    "\u0661.2.0",        # an Arabic-Indic digit one
    "1.2", "1", "", " ", "v1.2.0", "1..0", "1.2.0 junk", "1.2.0\x00", "1.2.0/..",
    None, 1, 1.2, True, [1, 2, 0], {"major": 1}, "x" * 10_000_000,
], ids=lambda v: protocol.preview(v)[:24])
@pytest.mark.parametrize("kind", ["hello", "welcome"])
def test_a_junk_version_is_a_bad_request(version, kind):
    with pytest.raises(protocol.ProtocolError) as err:
        protocol.check_peer({**example("hello"), "type": kind, "protocol_version": version})
    reply = err.value.to_json()
    assert reply["code"] == "bad_request" and reply["request_id"] is None
    assert reply["message"].startswith(f"{kind} has no valid protocol_version")
    assert len(json.dumps(reply)) < 400


@pytest.mark.parametrize("version, code", [
    ("1.2.0", None), ("1.0.0", None), ("1.99.7-rc.1+build.5", None), (" 1.2.0 ", None),
    ("01.2.0", None), ("2.0.0", "version_mismatch"), ("0.9.0", "version_mismatch"),
    ("9" * 60 + ".0.0", "version_mismatch"),
], ids=lambda v: protocol.preview(v)[:24])
def test_versions_follow_the_frontends_grammar(version, code):
    """src/protocol.ts parseVersion: MAJOR.MINOR.PATCH (ASCII digits), optional suffix."""
    data = {**example("hello"), "protocol_version": version, "side": "x" * 1_000_000}
    if code is None:
        assert protocol.check_peer(data) is data
        return
    with pytest.raises(protocol.ProtocolError) as err:
        protocol.check_peer(data)
    assert err.value.code == code and version.strip() in err.value.message
    assert "other side" in err.value.message and len(err.value.message) < 300


def test_nonfinite_is_only_claimed_once_checked():
    rec = eager_lab.capture(tf.function(mixed_step))
    with rec:
        rec.target(tf.range(24, dtype=tf.float32))
    step = rec.steps[0]
    unchecked = {"first_nonfinite": None, "nonfinite_checked": False}
    assert protocol.nonfinite(step) == unchecked                    # a push: no summaries
    assert protocol.nonfinite(step, deadline=0.0) == unchecked      # no time left
    nan_row = step.first_nonfinite().index      # computes every summary, as a table does
    checked = protocol.step_digest(step)
    assert checked["nonfinite_checked"] is True and checked["first_nonfinite"] == nan_row
    assert protocol.step_digest(step, deadline=math.inf) == checked


def test_nonfinite_stops_at_the_first_nan_it_knows():
    rec = eager_lab.capture(tf.function(lambda v: tf.sqrt(v - 5.0) * 2.0 + 1.0))
    with rec:
        rec.target(tf.range(3, dtype=tf.float32))
    step = rec.steps[0]
    first = next(t for t in step.tensors if t.op_type == "Sqrt")
    for t in step.tensors[:first.index + 1]:
        t.summary  # noqa: B018 - known up to the NaN; the later ones are not computed
    assert protocol.nonfinite(step) == {"first_nonfinite": first.index,
                                        "nonfinite_checked": True}


def test_state_checks_within_its_budget(transport, monkeypatch):
    from eager_lab.comm import transport as transport_module
    rec = eager_lab.capture(tf.function(mixed_step))
    with rec:
        rec.target(tf.range(24, dtype=tf.float32))
    monkeypatch.setattr(transport_module, "STATE_CHECK_SECONDS", 0.0)
    state, _ = ask(transport, type="request_state")
    assert state["recordings"][-1]["steps"][0]["nonfinite_checked"] is False
    monkeypatch.setattr(transport_module, "STATE_CHECK_SECONDS", 10.0)
    state, _ = ask(transport, type="request_state")
    assert state["recordings"][-1]["steps"][0]["nonfinite_checked"] is True


def test_fetch_code_evaluates_to_the_value(recording, transport):
    step = recording.steps[0]
    named = next(t for t in step.tensors if t.name and t.has_value)
    saved_name = step.tensors[1].name
    step.tensors[1].name = None                   # an unnamed tensor: fetched by position
    try:
        for rec in (named, step.tensors[1]):
            reply, _ = ask(transport, type="get_tensor", recording_id=recording.id, step=0,
                           index=rec.index)
            code = reply["fetch_code"]
            assert code.startswith("eager_lab.last" if eager_lab.last is recording
                                   else f"eager_lab.recordings[{recording.id}]")
            assert (".tensors[" in code) == (rec.name is None)
            assert eval(code, {"eager_lab": eager_lab}) is rec.value  # noqa: S307
    finally:
        step.tensors[1].name = saved_name
    # A name repeated later in the step (a loop body's) fetches by position.
    dup = step.tensors[-1]
    saved_name = dup.name
    dup.name = named.name
    try:
        code = protocol.fetch_code(recording, 0, dup, step, latest=True)
        assert code == f"eager_lab.last.steps[0].tensors[{dup.index}].value"
    finally:
        dup.name = saved_name
    code = protocol.fetch_code(recording, 0, named, step, latest=True)
    assert code == f"eager_lab.last.steps[0][{json.dumps(named.name)}].value"


def test_comparison_rows_and_graph_values(recording, transport):
    step = recording.steps[0]
    reply, _ = ask(transport, type="get_comparison", recording_id=recording.id, step=0)
    rows = reply["rows"]
    assert reply["first_divergence"] is None        # same step, same inputs: no divergence
    both = [r for r in rows if r["only_in"] is None]
    assert both and all(step.tensors[r["eager_index"]].name == r["name"] for r in both)
    assert all(r["graph_summary"] for r in rows if r["only_in"] != "eager")
    k = next(r["k"] for r in both if r["op"] == "AddV2")
    values, bufs = ask(transport, type="get_values", recording_id=recording.id, step=0,
                       index=k, source="graph")
    assert values["source"] == "graph"
    graph_value = step.comparison.rows[k].graph_value
    np.testing.assert_array_equal(decode(values, bufs), graph_value.reshape(-1))
    eager = step.tensors[rows[k]["eager_index"]].value
    np.testing.assert_allclose(graph_value, eager, rtol=1e-5)
    bad, _ = ask(transport, type="get_values", recording_id=recording.id, step=0, index=0,
                 source="both")
    assert bad["type"] == "error" and bad["code"] == "bad_request"


def test_trends_follow_names_over_steps(transport):
    rec = eager_lab.capture(tf.function(mixed_step))
    with rec:
        for k in range(3):
            rec.target(tf.constant(np.arange(24, dtype=np.float32) / (7.0 + k)))
    reply, _ = ask(transport, type="get_trends", recording_id=rec.id)
    assert reply["steps"] == [0, 1, 2]
    name = next(t.name for t in rec.steps[0].tensors if t.op_type == "AddV2")
    series = reply["series"][name]
    assert series["step"] == [0, 1, 2]
    assert series["mean"] == [pytest.approx(float(s[name].value.mean()), rel=1e-5)
                              for s in rec.steps]
    paged, _ = ask(transport, type="get_trends", recording_id=rec.id, offset=0, limit=2)
    assert len(paged["series"]) == 2 and paged["total"] == reply["total"]
