"""The comm under fire: over 1,000 malformed, wrong-typed, oversized and wrong-version
messages through a real kernel, each answered as docs/protocol.md says.

Seeded (``EAGER_LAB_FUZZ_SEED``, default 8): a failure names its seed and case number, and
the same seed sends the same messages again. Every case is one change to a valid message,
so its answer is known without asking the code under test:

* a malformed request gets ``error`` ``bad_request`` or ``not_found`` (never ``internal``,
  never silence), its ``request_id`` echoed when that was a string of 1 to 128 characters;
* a junk or other-major ``hello``/``welcome`` gets ``bad_request`` / ``version_mismatch``;
  a comm opened without a usable hello is closed; an ``error`` from the panel closes the
  comm (the documented ways a message is answered by a close instead of a reply);
* no reply carries another row's data: every reply that is not an error is checked
  against the kernel's own values for exactly what was asked (offsets past the end get
  the documented empty page);
* no reply grows with its request: 10 MB fields get replies of a few hundred bytes.

Afterwards the kernel still answers a real request correctly and runs a cell.
"""
from __future__ import annotations

import json
import math
import os
import random
import time
from collections import Counter

import numpy as np
import pytest

pytest.importorskip("jupyter_client")
from kernel_helpers import Wire, running_kernel  # noqa: E402

SEED = int(os.environ.get("EAGER_LAB_FUZZ_SEED", "8"))
N_PANEL = 1050      # messages on the live panel comm
N_FRESH = 160       # handshakes on comms of their own
REPLY_TIMEOUT = 20  # seconds; a missing reply fails the case at once
MAX_INT = 2**53 - 1
MAX_ERROR_BYTES = 600     # quoting at most 64 characters of the input; a message is short
from eager_lab.comm.protocol import PROTOCOL_VERSION  # noqa: E402

HELLO = {"type": "hello", "protocol_version": PROTOCOL_VERSION, "side": "frontend",
         "version": "0.1.0"}
PUSHES = ("status", "recording")

SETUP = """
%load_ext eager_lab
import json
import numpy as np, tensorflow as tf, eager_lab

@tf.function
def fuzz_step(x):
    h = tf.reshape(x * 2.0 + 1.0, (2, 3, 4))
    return tf.reduce_sum(tf.nn.relu(h - 3.0)), h > 3.0, tf.cast(h, tf.int32)

rec = eager_lab.capture(fuzz_step)
with rec:
    for k in range(3):
        fuzz_step(tf.constant(np.arange(24, dtype=np.float32) / (7.0 + k)))
cmp = rec.steps[1].compare()

def _values(v):
    return None if v is None else np.asarray(v).astype(float).ravel().tolist()

truth = {
    "rec": rec.id,
    "steps": [s.index for s in rec.steps],
    "tensors": [[{"shape": list(t.shape) if t.shape is not None else None,
                  "dtype": t.dtype, "values": _values(t.value)} for t in s.tensors]
                for s in rec.steps],
    "graph": [{"shape": None if r.graph_value is None else list(r.graph_value.shape),
               "values": _values(r.graph_value)} for r in cmp.rows],
}
"""

# Values of a wrong JSON type for an integer field (bool is not an integer here).
JUNK = [None, True, False, 0.0, 1.0, -0.5, 2.5, 1e308, -1e308, "0", "1", "", "x", "\u00b2",
        "\u0663", [], [0], [[0]], {}, {"0": 0}, {"value": 1}, [None], "null"]
NEGATIVE = [-1, -2, -7, -(2**31), -(2**53), -(2**63), -(10**30)]
TOO_BIG = [2**53, 2**53 + 1, 2**63, 2**64, 10**30, 10**300]
BAD_PREFIX = ["0,5", 5, None, {}, [None], [1.5], ["0"], [True], [[0]], [-1], [0, -3],
              [2**53], [0] * 65, [0.0]]
BAD_SOURCE = ["Eager", "GRAPH", "graph ", "", "both", None, 1, True, ["graph"], {"s": "graph"}]
BAD_VERSIONS = ["\u00b2.0.0", "1" * 5000 + ".0.0", "1" * 5000, "\u0661.2.0", "1.2", "1", "",
                " ", "v1.2.0", "1..0", "1.2.0 junk", "1.2.0\x00", "one.two.three", "1.2.x",
                None, 1, 1.2, True, [1, 2, 0], {"major": 1}, "x" * 100_000, "-1.2.0"]
OTHER_MAJORS = ["0.9.0", "2.0.0", "10.0.0", "999999999.0.0", "2.0.0-rc.1", "0.0.0"]
FIELDS = {   # the fields each request type defines, besides type and request_id
    "request_state": (),
    "get_tensors": ("recording_id", "step", "offset", "limit"),
    "get_tensor": ("recording_id", "step", "index"),
    "get_values": ("recording_id", "step", "index", "prefix", "offset", "count", "source"),
    "get_comparison": ("recording_id", "step", "offset", "limit"),
    "get_trends": ("recording_id", "offset", "limit"),
}
REQUIRED = {"recording_id", "step", "index"}
WIRE_DTYPE = {"bool": "uint8", "float16": "float32", "bfloat16": "float32"}


class Case:
    """One message and what must come back: an error with one of ``codes`` and
    ``request_id`` ``rid``, a reply that ``check`` accepts, or a close of the comm.

    ``comm="fresh"``: sent as the open data of a comm of its own; ``then_closes``: the
    kernel then closes that comm; ``then``: a case sent next on that comm.
    """

    def __init__(self, label, data, *, codes=None, rid=None, check=None, closes=False,
                 comm="panel", open_data=None, then_closes=False, then=None):
        self.label, self.data, self.codes, self.rid = label, data, codes, rid
        self.check, self.closes, self.comm = check, closes, comm
        self.open_data, self.then_closes, self.then = open_data, then_closes, then

    def __repr__(self) -> str:
        sent = self.open_data if self.comm == "fresh" else self.data
        text = json.dumps(sent, default=str, ensure_ascii=False)
        return f"<{self.label}: {text[:160]}{'...' if len(text) > 160 else ''}>"


# -- valid requests and how to check their replies ----------------------------------------
class Truth:
    def __init__(self, data: dict):
        self.rec = data["rec"]
        self.steps = data["steps"]
        self.tensors = data["tensors"]          # per step position: shape, dtype, values
        self.graph = data["graph"]              # rows of the compared step
        self.compared = self.steps[1]
        self.valued = [(s, i) for s, ts in zip(self.steps, self.tensors)
                       for i, t in enumerate(ts) if t["values"] is not None]

    def tensors_of(self, step):
        return self.tensors[self.steps.index(step)]


def check_rows(truth, data, index_key="i"):
    """A page of rows (``i``) of a step, or of the comparison (``k``)."""
    n = len(truth.tensors_of(data["step"])) if index_key == "i" else len(truth.graph)
    offset, limit = data.get("offset", 0), data.get("limit", 5000)

    def check(reply, buffers):
        want = list(range(min(offset, n), min(offset + min(limit, 5000), n)))
        assert reply["total"] == n and reply["offset"] == min(offset, n)
        assert [r[index_key] for r in reply["rows"]] == want
        assert (reply["recording_id"], reply["step"]) == (truth.rec, data["step"])
    return check


def check_tensor(truth, data):
    t = truth.tensors_of(data["step"])[data["index"]]

    def check(reply, buffers):
        assert (reply["recording_id"], reply["step"], reply["index"]) == (
            truth.rec, data["step"], data["index"])
        assert reply["row"]["i"] == data["index"] and reply["row"]["shape"] == t["shape"]
        assert reply["stats"]["size"] == math.prod(t["shape"])
    return check


def check_values(truth, data):
    graph = data.get("source") == "graph"
    t = truth.graph[data["index"]] if graph else truth.tensors_of(data["step"])[data["index"]]
    full = np.array(t["values"]).reshape(t["shape"])
    prefix = data.get("prefix", [])
    sub = full[tuple(prefix)]
    flat = np.ravel(sub)
    offset = min(data.get("offset", 0), flat.size)
    want = flat[offset:offset + min(data.get("count", 2**20), 2**20)]

    def check(reply, buffers):
        assert (reply["recording_id"], reply["step"], reply["index"]) == (
            truth.rec, data["step"], data["index"])
        assert reply["source"] == ("graph" if graph else "eager")
        assert reply["prefix"] == prefix and reply["shape"] == list(np.shape(sub))
        assert reply["offset"] == offset and reply["total"] == flat.size
        assert len(buffers) == 1
        got = np.frombuffer(buffers[0], dtype=np.dtype(reply["dtype"]).newbyteorder("<"))
        assert reply["count"] == got.size == want.size
        np.testing.assert_array_equal(got.astype(float), want)   # this row's, no other's
    return check


def check_trends(truth, data):
    def check(reply, buffers):
        assert reply["recording_id"] == truth.rec and reply["steps"] == truth.steps
        offset = data.get("offset", 0)
        assert reply["offset"] == min(offset, reply["total"])
        assert len(reply["series"]) == max(0, min(reply["total"] - offset,
                                                  data.get("limit", 5000)))
    return check


def check_state(truth, data):
    def check(reply, buffers):
        assert [r["id"] for r in reply["recordings"]] == [truth.rec]
        assert [s["index"] for s in reply["recordings"][0]["steps"]] == truth.steps
    return check


REPLY = {"request_state": ("state", check_state), "get_tensors": ("tensors", check_rows),
         "get_tensor": ("tensor", check_tensor), "get_values": ("values", check_values),
         "get_comparison": ("comparison",
                            lambda t, d: check_rows(t, d, "k")),
         "get_trends": ("trends", check_trends)}


# -- generating cases ---------------------------------------------------------------------
class Fuzzer:
    def __init__(self, truth: Truth, rng: random.Random):
        self.truth, self.rng = truth, rng
        self.n = 0

    def rid(self) -> str:
        self.n += 1
        return f"f{self.n}"

    def valid(self, kind=None) -> dict:
        """A valid request of ``kind`` (random), for exactly one thing that exists."""
        r, t = self.rng, self.truth
        kind = kind or r.choice(list(FIELDS))
        data = {"type": kind, "request_id": self.rid()}
        if kind == "request_state":
            return data
        data["recording_id"] = t.rec
        if kind == "get_trends":
            return {**data, **r.choice([{}, {"offset": r.randrange(3)},
                                        {"limit": r.randrange(1, 9)}])}
        if kind == "get_comparison":   # only the compared step: another would run compare()
            return {**data, "step": t.compared, **self._page(len(t.graph), "limit")}
        if kind == "get_values" and r.random() < 0.3:
            k = r.choice([k for k, g in enumerate(t.graph) if g["values"] is not None])
            return {**data, "step": t.compared, "index": k, "source": "graph",
                    **self._prefix(t.graph[k]["shape"])}
        if kind == "get_values":
            step, index = r.choice(t.valued)
            data = {**data, "step": step, "index": index,
                    **self._prefix(t.tensors_of(step)[index]["shape"])}
            return {**data, **r.choice([{}, {"source": "eager"}])}
        step = r.choice(t.steps)
        data["step"] = step
        if kind == "get_tensors":
            return {**data, **self._page(len(t.tensors_of(step)), "limit")}
        return {**data, "index": r.randrange(len(t.tensors_of(step)))}

    def _page(self, total, key) -> dict:
        r = self.rng
        return r.choice([{}, {"offset": r.randrange(total + 1)},
                         {"offset": r.randrange(total + 1), key: r.randrange(1, 8)}])

    def _prefix(self, shape) -> dict:
        r = self.rng
        prefix = [r.randrange(d) for d in shape[:r.randrange(len(shape) + 1)] if d > 0]
        extra = r.choice([{}, {"offset": r.randrange(4)}, {"count": r.randrange(1, 6)}])
        return {"prefix": prefix, **extra} if r.random() < 0.7 else extra

    def error(self, label, data, codes=("bad_request",), keep_rid=True):
        rid = data.get("request_id") if isinstance(data, dict) else None
        return Case(label, data, codes=codes, rid=rid if keep_rid else None)

    def answered(self, label, data):
        reply_type, checker = REPLY[data["type"]]
        return Case(label, data, codes=None, rid=data["request_id"],
                    check=(reply_type, checker(self.truth, data)))

    # one change to a valid request per case
    def wrong_type(self):
        data = self.valid(self.rng.choice([k for k in FIELDS if FIELDS[k]]))
        field = self.rng.choice(FIELDS[data["type"]])
        pool = BAD_PREFIX if field == "prefix" else BAD_SOURCE if field == "source" else JUNK
        return self.error(f"wrong type {field}", {**data, field: self.rng.choice(pool)})

    def negative(self):
        data = self.valid(self.rng.choice([k for k in FIELDS if FIELDS[k]]))
        ints = [f for f in FIELDS[data["type"]] if f not in ("prefix", "source")]
        field = self.rng.choice(ints)
        value = self.rng.choice(NEGATIVE)
        if data.get("source") == "graph" and self.rng.random() < 0.5:
            field = "index"    # the graph row read from the end was the reported bug
        return self.error(f"negative {field}", {**data, field: value})

    def too_big(self):
        data = self.valid(self.rng.choice([k for k in FIELDS if FIELDS[k]]))
        ints = [f for f in FIELDS[data["type"]] if f not in ("prefix", "source")]
        field = self.rng.choice(ints)
        return self.error(f"too big {field}", {**data, field: self.rng.choice(TOO_BIG)})

    def missing(self):
        data = self.valid(self.rng.choice(["get_tensors", "get_tensor", "get_values",
                                           "get_comparison", "get_trends", "request_state"]))
        field = self.rng.choice([f for f in data if f in REQUIRED] + ["type"])
        del data[field]
        return self.error(f"missing {field}", data)

    def unknown_type(self):
        data = self.valid()
        kind = self.rng.choice(["hello_there", "get_tensor ", "GET_TENSORS", "get_value",
                                "", "welcome2", "state", "tensors", "values", "\u00e9tat",
                                None, 0, 1.5, True, [], ["get_tensors"], {"type": "get_tensor"},
                                [["request_state"]], "request_state\x00"])
        return self.error("unknown type", {**data, "type": kind})

    def not_object(self):
        data = self.rng.choice([[], [self.valid()], "request_state", 0, 1.5, True, None,
                                "", [[[[[]]]]], ["get_tensors", 1, 0]])
        return self.error("not an object", data, keep_rid=False)

    def bad_request_id(self):
        data = self.valid()
        value = self.rng.choice([None, "", 0, 7, 1.5, True, [], ["f1"], {"id": "f1"},
                                 "r" * 129, "r" * self.rng.randrange(130, 5000)])
        data = {**data, "request_id": value} if value is not None else {
            k: v for k, v in data.items() if k != "request_id"}
        return self.error("bad request_id", data, keep_rid=False)

    def out_of_range(self):
        """Ids, steps, indices and prefixes of the right type that do not exist."""
        r, t = self.rng, self.truth
        what = r.choice(["recording_id", "step", "index", "index", "graph row", "prefix"])
        if what == "recording_id":
            data = self.valid(r.choice(["get_tensors", "get_tensor", "get_values",
                                        "get_comparison", "get_trends"]))
            value = r.choice([0, t.rec + 1, t.rec + 17, 10**9, MAX_INT])
            return self.error("unknown recording", {**data, "recording_id": value},
                              ("not_found",))
        if what == "step":
            data = self.valid(r.choice(["get_tensors", "get_tensor", "get_values",
                                        "get_comparison"]))
            value = r.choice([max(t.steps) + 1, max(t.steps) + 2, 10**6, MAX_INT])
            return self.error("unknown step", {**data, "step": value}, ("not_found",))
        if what in ("index", "graph row"):
            data = self.valid(r.choice(["get_tensor", "get_values"]))
            if what == "graph row":
                data = {**data, "type": "get_values", "step": t.compared, "source": "graph"}
            n = len(t.graph) if data.get("source") == "graph" else len(
                t.tensors_of(data["step"]))
            value = r.choice([n, n + 1, n + 1000, MAX_INT])
            data = {k: v for k, v in data.items() if k not in ("prefix", "offset", "count")}
            return self.error(f"{what} past the end", {**data, "index": value},
                              ("not_found",))
        data = self.valid("get_values")    # documented: a prefix outside the shape
        shape = (t.graph[data["index"]] if data.get("source") == "graph"
                 else t.tensors_of(data["step"])[data["index"]])["shape"]
        prefix = r.choice([[0] * (len(shape) + 1),
                           [*([0] * r.randrange(len(shape))), 10**6] if shape else [0],
                           [shape[0]] if shape else [0, 0]])
        return self.error("prefix outside the shape", {**data, "prefix": prefix})

    def graph_row(self):
        """The reported bug: a negative graph row was read from the end (another row's
        value, or an internal IndexError); also rows that have no graph value."""
        r, t = self.rng, self.truth
        data = {"type": "get_values", "request_id": self.rid(), "recording_id": t.rec,
                "step": t.compared, "source": "graph"}
        empty = [k for k, g in enumerate(t.graph) if g["values"] is None]
        if empty and r.random() < 0.3:
            return self.error("graph row without a value", {**data, "index": r.choice(empty)},
                              ("not_found",))
        index = r.choice([-1, -2, -len(t.graph), -len(t.graph) - 1, -(2**31)])
        return self.error("negative graph row", {**data, "index": index})

    def past_the_end(self):
        """Documented answers, not errors: an empty page past the end, a zero count."""
        r = self.rng
        data = self.valid(r.choice(["get_tensors", "get_values", "get_comparison",
                                    "get_trends"]))
        key = "count" if data["type"] == "get_values" else "limit"
        change = r.choice([{"offset": r.choice([10**4, 10**9, MAX_INT])}, {key: 0},
                           {key: r.choice([10**7, MAX_INT])}])
        return self.answered("past the end", {**data, **change})

    def oversized(self):
        r = self.rng
        big = "x" * r.randrange(1_000_000, 10_000_001)
        data = self.valid(r.choice(["get_tensor", "get_values", "get_tensors"]))
        where = r.choice(["type", "request_id", "field", "prefix", "extra"])
        if where == "extra":   # an unknown field is ignored: the normal reply, not an echo
            return self.answered("oversized extra field", {**data, "junk": big})
        if where == "type":
            return self.error("oversized type", {**data, "type": big})
        if where == "request_id":
            return self.error("oversized request_id", {**data, "request_id": big},
                              keep_rid=False)
        if where == "prefix":
            return self.error("oversized prefix", {**data, "type": "get_values",
                                                   "prefix": [0] * 1_000_000})
        return self.error("oversized field", {**data, "step": big})

    def panel_handshake(self):
        """A junk hello or welcome on the live panel: refused, the comm stays live."""
        data = {**HELLO, "type": self.rng.choice(["hello", "welcome"]),
                "protocol_version": self.rng.choice(BAD_VERSIONS)}
        return Case("junk version on the panel", data, codes=("bad_request",), rid=None)

    def fresh(self):
        """A comm of its own: junk or other-major hellos, requests on inert comms, and the
        panel's ``error`` (the kernel closes that comm)."""
        r = self.rng
        what = r.random()
        if what < 0.45:
            open_data = r.choice([{**HELLO, "protocol_version": r.choice(BAD_VERSIONS)},
                                  {**HELLO, "type": "welcome"}, self.valid(), {}, None,
                                  [HELLO], "hello", {"type": ["hello"]}])
            return Case("junk comm-open", None, codes=("bad_request",), rid=None,
                        comm="fresh", open_data=open_data, then_closes=True)
        if what < 0.9:
            open_data = {**HELLO, "protocol_version": r.choice(OTHER_MAJORS)}
            follow = r.choice(["request", "junk welcome", "hello again", None])
            case = Case("other major", None, codes=("version_mismatch",), rid=None,
                        comm="fresh", open_data=open_data)
            if follow == "request":
                data = self.valid()
                case.then = Case("request on an inert comm", data,
                                 codes=("version_mismatch",), rid=data["request_id"])
            elif follow == "junk welcome":
                data = {**HELLO, "type": "welcome",
                        "protocol_version": r.choice(BAD_VERSIONS)}
                case.then = Case("junk welcome on an inert comm", data,
                                 codes=("bad_request",), rid=None)
            elif follow == "hello again":
                case.then = Case("other major again", open_data,
                                 codes=("version_mismatch",), rid=None)
            return case
        case = Case("welcomed, then the panel's error", None, comm="fresh",
                    open_data=HELLO, check=("welcome", lambda reply, buffers: None))
        case.then = Case("panel's error", {"type": "error", "request_id": None,
                                           "code": "version_mismatch", "message": "no"},
                         closes=True)
        return case


MIX = [("wrong_type", 260), ("negative", 100), ("too_big", 70), ("missing", 60),
       ("unknown_type", 60), ("not_object", 30), ("bad_request_id", 60),
       ("out_of_range", 150), ("graph_row", 40), ("past_the_end", 70), ("oversized", 12),
       ("panel_handshake", 40)]


def cases(truth: Truth, seed: int) -> list[Case]:
    rng = random.Random(seed)
    fuzz = Fuzzer(truth, rng)
    out = [getattr(fuzz, name)() for name, n in MIX for _ in range(n)]
    n_valid = N_PANEL - len(out)
    out += [fuzz.answered("valid", fuzz.valid()) for _ in range(n_valid)]
    out += [fuzz.fresh() for _ in range(N_FRESH)]
    rng.shuffle(out)
    return out


# -- running them -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wire(tmp_path_factory):
    with running_kernel(tmp_path_factory) as client:
        w = Wire(client)
        w.execute(SETUP)
        yield w


def reply_on(wire, comm_id, since):
    """The next comm message on ``comm_id`` that is not a push, or a close; never waits
    past REPLY_TIMEOUT (silence fails the case)."""
    return wire.wait_for(
        lambda m: m["content"].get("comm_id") == comm_id and (
            m["msg_type"] == "comm_close"
            or (m["msg_type"] == "comm_msg" and not (
                isinstance(m["content"]["data"], dict)
                and m["content"]["data"].get("type") in PUSHES))),
        REPLY_TIMEOUT, f"an answer on {comm_id}", since)


def judge(case: Case, msg: dict) -> None:
    """Raises AssertionError when ``msg`` is not what ``case`` must get."""
    if case.closes:
        assert msg["msg_type"] == "comm_close", f"expected the comm closed, got {msg['content']}"
        return
    assert msg["msg_type"] == "comm_msg", f"expected a reply, got a close: {msg['content']}"
    reply, buffers = msg["content"]["data"], msg.get("buffers", [])
    size = len(json.dumps(reply))
    if case.check is not None:
        reply_type, check = case.check
        assert reply.get("type") == reply_type, f"expected {reply_type}, got {str(reply)[:300]}"
        if case.rid is not None:
            assert reply["request_id"] == case.rid
        check(reply, buffers)
        assert size < 100_000, size
        return
    assert reply.get("type") == "error", f"expected an error, got {str(reply)[:300]}"
    assert reply["code"] in case.codes, f"expected {case.codes}, got {reply}"
    assert reply["request_id"] == case.rid, f"request_id {reply['request_id']!r} != {case.rid!r}"
    assert isinstance(reply["message"], str) and reply["message"]
    assert not buffers, "an error with buffers"
    assert size <= MAX_ERROR_BYTES, f"an error of {size} bytes"
    if reply["code"] == "version_mismatch":
        assert reply["protocol_version"] == HELLO["protocol_version"]


def send(wire, case: Case, comm_id: str) -> dict:
    since = len(wire.log)
    wire.send(comm_id, case.data)
    return reply_on(wire, comm_id, since)


def run_fresh(wire, case: Case, failures: list) -> None:
    since = len(wire.log)
    comm_id = wire.open_comm(case.open_data)
    first = reply_on(wire, comm_id, since)
    judge_into(case, first, failures)
    if case.then_closes:   # a comm that cannot ever complete its handshake is closed
        closed = wire.wait_for(lambda m: m["msg_type"] == "comm_close"
                               and m["content"]["comm_id"] == comm_id, REPLY_TIMEOUT,
                               "close of the junk comm", since)
        if closed["content"]["data"] != {}:
            failures.append((case, f"closed with {closed['content']['data']}"))
    then = case.then
    if then is not None:
        judge_into(then, send(wire, then, comm_id), failures)


def judge_into(case, msg, failures) -> None:
    try:
        judge(case, msg)
    except AssertionError as err:
        failures.append((case, str(err)[:600]))


def _variety(failures, n=10):
    """Up to ``n`` failures, one per kind of case first."""
    firsts = list({c.label: (c, e) for c, e in reversed(failures)}.values())
    return (firsts + [f for f in failures if f not in firsts])[:n]


def test_every_malformed_message_gets_a_typed_answer(wire):
    truth = Truth(wire.evaluate("truth"))
    assert truth.graph and truth.valued, "the set-up recorded nothing"
    panel = wire.open_comm(HELLO)
    assert wire.comm_msg(panel)["content"]["data"]["type"] == "welcome"
    all_cases = cases(truth, SEED)
    started = time.monotonic()
    failures: list = []
    sent = Counter()
    for number, case in enumerate(all_cases):
        try:
            if case.comm == "fresh":
                run_fresh(wire, case, failures)
                sent[case.label] += 1 + (case.then is not None)
            else:
                judge_into(case, send(wire, case, panel), failures)
                sent[case.label] += 1
        except AssertionError as err:     # silence: later answers could not be told apart
            pytest.fail(f"seed {SEED}, case {number} {case!r}: {err}")
    elapsed = time.monotonic() - started
    total = sum(sent.values())
    print(f"\ncomm fuzz, seed {SEED}: {total} messages in {elapsed:.1f} s; "
          + ", ".join(f"{k}: {v}" for k, v in sorted(sent.items())))
    assert total >= 1000
    assert not failures, (f"seed {SEED}: {len(failures)} of {total} answered wrongly, e.g.\n"
                          + "\n".join(f"{c!r}: {e}" for c, e in _variety(failures)))
    wire.drain()
    assert not [m for m in wire.log if m["msg_type"] == "comm_msg"
                and m["content"]["data"].get("code") == "internal"]

    # Still alive, still right: a real request, pushes to the panel, a cell.
    index = next(i for s, i in truth.valued if s == truth.steps[0])
    data = {"type": "get_values", "request_id": "after", "recording_id": truth.rec,
            "step": truth.steps[0], "index": index}
    judge(Fuzzer(truth, random.Random(0)).answered("after", data), send(
        wire, Case("after", data), panel))
    assert len(wire.evaluate("list(eager_lab.comm.transport._transport._comms)")) <= 8  # the doc's
    assert panel in wire.evaluate("list(eager_lab.comm.transport._transport._live)")
    since = len(wire.log)
    wire.execute("with eager_lab.capture(fuzz_step) as again:\n"
                 "    fuzz_step(tf.range(24, dtype=tf.float32))")
    wire.drain()
    assert wire.comm_messages(panel, "status", since), "no push to the panel afterwards"
    assert wire.evaluate("sum(range(10))") == 45
    assert wire.client.is_alive()
