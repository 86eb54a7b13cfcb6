"""(1.3) ``get_tensors`` in columns: the same rows as ``protocol.row``, from real captures.

Every column page is decoded here as the panel decodes it (src/protocol/columns.ts) and
compared, row by row and field by field, with the dict rows of 1.2. A summary the kernel
leaves to the panel (text index -1) is checked by making Python's own line from the
numbers sent: ``Summary.line()`` of a Summary holding only those numbers must be the
row's text, so the numbers are all the line needs (the panel's formatter is checked
against ``Summary.line()`` by src/__tests__/summaryText.spec.ts).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import comm
import eager_lab
from eager_lab.comm import protocol
from eager_lab.comm.columns import FLOAT64, HAS_VALUE, INT32, INTEGER, STATS
from eager_lab.comm.transport import Transport
from eager_lab.record import events
from eager_lab.record.records import Step, TensorRecord
from eager_lab.record.summary import Summary, tensor_label
from test_protocol import mixed_step, same_shape

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "protocol-examples" / "columns"


def example(name: str):
    return json.loads((EXAMPLES / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def transport():
    return Transport(comm.get_comm_manager())


def decode(columns: dict, bufs: list) -> list[dict]:
    """The rows of a column page, as the panel makes them (summary: text or numbers)."""
    n = columns["count"]
    ints = np.frombuffer(bufs[0], "<i4").reshape(len(columns["int32"]), n)
    nums = np.frombuffer(bufs[1], "<f8").reshape(len(columns["float64"]), n)
    dims = np.frombuffer(bufs[2], "<f8")
    col = {name: ints[k] for k, name in enumerate(columns["int32"])}
    num = {name: nums[k] for k, name in enumerate(columns["float64"])}
    strings = columns["strings"]

    def text(column, k):
        at = int(col[column][k])
        return None if at < 0 else strings[at]

    rows, d = [], 0
    for k in range(n):
        rank = int(col["rank"][k])
        shape = None if rank < 0 else [None if x < 0 else int(x) for x in dims[d:d + rank]]
        d += max(rank, 0)
        flags = int(col["flags"][k])
        source = int(col["source"][k])
        row = {"i": None, "name": columns["name"][k], "reason": text("reason", k),
               "op": text("op", k), "op_name": columns["op_name"][k],
               "scope": text("scope", k), "graph": text("graph", k), "shape": shape,
               "dtype": text("dtype", k), "summary": text("summary", k),
               "nan": int(num["nan"][k]),
               "inf": int(num["pos_inf"][k] + num["neg_inf"][k]),
               "source": columns["sources"][source] if source >= 0 else None,
               "error": text("error", k), "has_value": bool(flags & HAS_VALUE),
               "why_no_value": text("why_no_value", k)}
        if row["summary"] is None:
            row["summary"] = line_from_numbers(row, {f: float(num[f][k]) for f in FLOAT64},
                                               flags)
        rows.append(row)
    assert d == dims.size
    return rows


def line_from_numbers(row: dict, num: dict, flags: int) -> str:
    """Python's own line, made from nothing but what the page sent."""
    def number(x):
        return int(x) if flags & INTEGER else x
    known = flags & STATS
    summary = Summary(
        dtype=row["dtype"], shape=tuple(row["shape"]), size=int(num["size"]),
        min=number(num["min"]) if known else None, max=number(num["max"]) if known else None,
        mean=num["mean"] if known else None, std=num["std"] if known else None,
        nan=int(num["nan"]), pos_inf=int(num["pos_inf"]), neg_inf=int(num["neg_inf"]),
        zeros=int(num["zeros"]))
    head, _, rest = summary.line().partition(" ")
    assert head == tensor_label(type("R", (), {"shape": row["shape"], "dtype": row["dtype"]}))
    return rest


def ask_columns(transport, rec_id, **fields):
    reply, bufs = transport.answer({"type": "get_tensors", "request_id": "c1",
                                    "recording_id": rec_id, "step": 0, "columns": True,
                                    **fields})
    assert reply["type"] == "tensors", reply
    json.dumps(reply, allow_nan=False)
    assert len(bufs) == 3 and all(isinstance(b, memoryview) for b in bufs)
    return reply, bufs


def same_rows(transport, recording, **fields):
    step = recording.steps[0]
    reply, bufs = ask_columns(transport, recording.id, **fields)
    rows = decode(reply["columns"], bufs)
    offset = reply["offset"]
    for k, row in enumerate(rows):
        row["i"] = offset + k
    expected = [protocol.row(t) for t in step.tensors[offset:offset + len(rows)]]
    assert rows == expected
    return reply, rows


@pytest.fixture
def recording():
    rec = eager_lab.capture(tf.function(mixed_step))
    x = tf.constant(np.arange(24, dtype=np.float32) / 7.0)
    with rec:
        rec.target(x)
    return rec


def test_columns_are_the_rows(recording, transport):
    reply, rows = same_rows(transport, recording)
    assert reply["total"] == len(rows) == len(recording.steps[0].tensors)
    assert any(r["nan"] for r in rows)
    # Repeated strings once: every op type, dtype, scope of the page appears once.
    strings = reply["columns"]["strings"]
    assert len(strings) == len(set(strings))


def test_columns_page_and_clamp(recording, transport):
    n = len(recording.steps[0].tensors)
    for offset in range(0, n, 5):
        reply, rows = same_rows(transport, recording, offset=offset, limit=5)
        assert reply["offset"] == offset and len(rows) == min(5, n - offset)
    past, bufs = ask_columns(transport, recording.id, offset=n + 3)
    assert past["offset"] == n and past["columns"]["count"] == 0
    assert [len(b) for b in bufs] == [0, 0, 0]
    request = protocol.parse_request({"type": "get_tensors", "request_id": "x",
                                      "recording_id": 1, "step": 0, "columns": True,
                                      "limit": 10**9})
    assert request.limit == protocol.MAX_COLUMN_ROWS and request.columns
    assert protocol.parse_request({"type": "get_tensors", "request_id": "x",
                                   "recording_id": 1, "step": 0}).limit == protocol.MAX_ROWS


@pytest.mark.parametrize("value", [1, "yes", None, [True]], ids=repr)
def test_columns_must_be_a_boolean(transport, value):
    reply, _ = transport.answer({"type": "get_tensors", "request_id": "c2", "recording_id": 1,
                                 "step": 0, "columns": value})
    assert reply["code"] == "bad_request" and "columns" in reply["message"]


def test_rows_the_panel_cannot_format_carry_their_text(transport):
    """A failed op, a value freed unread (statistics unknown), int64 beyond 2**53, NaN,
    complex, strings, and dropped values whose summary was kept: still the same rows."""
    tensors = [tf.constant([2**53 + 1, 3], tf.int64), tf.constant([1.0, np.nan]),
               tf.constant([1 + 2j]), tf.constant(["a"]), tf.constant(np.arange(5000.0)),
               tf.constant(7, tf.uint64), tf.constant([[True, False]]),
               tf.constant(-np.inf), tf.zeros((2, 0))]
    records = [TensorRecord(i, i, "Const", 0, t, None, None) for i, t in enumerate(tensors)]
    failed = TensorRecord(len(records), len(records), "Div", 0, None, None, None)
    failed.error = "InvalidArgumentError: division by zero"
    unread = TensorRecord(len(records) + 1, 0, "Const", 0, tf.constant([4.0]), None, None)
    unread.drop_value("released")
    read = TensorRecord(len(records) + 2, 0, "Const", 0, tf.constant([5.0]), None, None)
    read.summary  # noqa: B018
    read.drop_value("released")
    rec = eager_lab.capture(lambda: None)
    rec.steps.append(Step(0, tensors=records + [failed, unread, read]))
    rec.finished = True
    events.register(rec)
    reply, rows = same_rows(transport, rec)
    assert rows[len(records)]["summary"].startswith("raised InvalidArgumentError")
    assert rows[len(records) + 1]["summary"] == "not summarized (value freed unread)"
    _, bufs = ask_columns(transport, rec.id)
    summary_column = np.frombuffer(bufs[0], "<i4").reshape(len(INT32), -1)[INT32.index("summary")]
    as_text = {k for k, at in enumerate(summary_column) if at >= 0}
    assert as_text == {0, len(records), len(records) + 1}   # int64 > 2**53, failed, unknown


def test_sources_are_sent_once_per_place(recording, transport):
    reply, rows = same_rows(transport, recording)
    sources = reply["columns"]["sources"]
    assert len(sources) == len({json.dumps(s, sort_keys=True) for s in sources})
    assert {json.dumps(r["source"], sort_keys=True) for r in rows if r["source"]} == \
        {json.dumps(s, sort_keys=True) for s in sources}


def test_the_columns_example_is_the_rows_example():
    """docs/protocol-examples/columns/: the reply (with its buffers, given as JSON numbers)
    decodes to the rows of tensors.rows.json, which start with the 1.2 example's row."""
    reply, bufs = example("tensors"), example("tensors.buffers")
    raw = [memoryview(np.array(bufs["int32"], "<i4")).cast("B"),
           memoryview(np.array(bufs["float64"], "<f8")).cast("B"),
           memoryview(np.array(bufs["dims"], "<f8")).cast("B")]
    rows = decode(reply["columns"], raw)
    for k, row in enumerate(rows):
        row["i"] = reply["offset"] + k
    expected = example("tensors.rows")
    assert rows == expected
    rows_example = json.loads((EXAMPLES.parent / "tensors.json").read_text())["rows"]
    assert expected[0] == rows_example[0]
    assert reply["columns"]["int32"] == list(INT32)
    assert reply["columns"]["float64"] == list(FLOAT64)
    request = protocol.parse_request(example("get_tensors"))
    assert request.columns and request.limit == example("get_tensors")["limit"]


def test_built_replies_have_the_examples_shape(recording, transport):
    reply, _ = ask_columns(transport, recording.id)
    same_shape(reply, example("tensors"), "tensors")


def test_100k_rows_in_two_pages(transport):
    n = 100_000
    rec = eager_lab.capture(lambda: None)
    parts = tf.unstack(tf.range(n, dtype=tf.float32))
    rec.steps.append(Step(0, tensors=[TensorRecord(i, i, "Unpack", i, t, None, None)
                                      for i, t in enumerate(parts)]))
    for t in rec.steps[0].tensors:
        t.op_name, t.name = "unstack", f"unstack:{t.slot}"
    rec.finished = True
    events.register(rec)
    got = []
    while len(got) < n:
        reply, bufs = ask_columns(transport, rec.id, offset=len(got), limit=n)
        got += decode(reply["columns"], bufs)
    assert len(got) == n and reply["offset"] == protocol.MAX_COLUMN_ROWS
    assert [r["name"] for r in got[::9999]] == [f"unstack:{i}" for i in range(0, n, 9999)]
    assert got[-1]["summary"] == "x∈[1e+05, 1e+05] μ=1e+05"
    # Per row, the JSON part holds its name and op name, nothing else; the rest is buffers.
    names = len(json.dumps(reply["columns"]["name"])) + len(json.dumps(reply["columns"]["op_name"]))
    assert len(json.dumps(reply)) < names + 2000


def test_a_page_of_large_tensors_is_cut_to_what_it_can_afford(transport, monkeypatch):
    """Large tensors cost one summarize each: a page holds what fits its time budget (at
    least one row), says how many, and the next request goes on from there."""
    from eager_lab.comm import columns
    tensors = [tf.fill((300, 300), float(i)) for i in range(12)]
    rec = eager_lab.capture(lambda: None)
    rec.steps.append(Step(0, tensors=[TensorRecord(i, i, "Fill", 0, t, None, None)
                                      for i, t in enumerate(tensors)]))
    rec.finished = True
    events.register(rec)
    one = columns._ALONE_SECONDS + 300 * 300 * 4 * columns._BYTE_SECONDS
    monkeypatch.setattr(columns, "PAGE_SECONDS", 4.5 * one)
    counts, got = [], []
    while len(got) < len(tensors):
        reply, rows = same_rows(transport, rec, offset=len(got), limit=100)
        counts.append(len(rows))
        got += rows
    assert counts == [4, 4, 4]
    assert [r["summary"] for r in got[:2]] == ["all_zeros", "x∈[1, 1] μ=1 σ=0"]
    monkeypatch.setattr(columns, "PAGE_SECONDS", 0.0)
    reply, rows = same_rows(transport, rec, offset=5, limit=100)
    assert len(rows) == 1 and reply["offset"] == 5      # always at least one row
