"""Sources carry the id of the notebook cell they came from, through a real kernel.

JupyterLab sends ``metadata.cellId`` with each execute_request; the test does the same, runs
a cell again under the same id (a new execution count), and checks that every tensor whose
source is in a notebook cell names the id of that cell.
"""
import json

import pytest

from kernel_helpers import TIMEOUT, running_kernel

DEFINE = """
import keras, numpy as np, tensorflow as tf
import eager_lab

class Model(keras.Model):
    def __init__(self):
        super().__init__()
        self.d = keras.layers.Dense(2)

    def call(self, x):
        return self.d(x)

    def train_step(self, data):
        x, y = data[0], data[1]
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(self(x) - y))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}
"""

TRAIN = """
m = Model(); m.compile(optimizer="sgd")
x, y = np.ones((4, 3), "float32"), np.ones((4, 2), "float32")
with eager_lab.capture(m) as rec:
    m.train_on_batch(x, y)
"""

REPORT = """
import json
print("SOURCES", json.dumps(sorted({(t.source.cell, t.source.cell_id, t.source.line)
                                    for t in rec.steps[0].tensors if t.source})))
"""


def _execute(client, code, cell_id):
    """An execute_request as JupyterLab sends it; returns (execution count, stdout)."""
    msg = client.session.msg("execute_request", {
        "code": code, "silent": False, "store_history": True, "user_expressions": {},
        "allow_stdin": False, "stop_on_error": True}, metadata={"cellId": cell_id})
    client.shell_channel.send(msg)
    reply = client.get_shell_msg(timeout=TIMEOUT)
    while reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
        reply = client.get_shell_msg(timeout=TIMEOUT)
    assert reply["content"]["status"] == "ok", reply["content"]
    out = []
    while True:
        m = client.get_iopub_msg(timeout=TIMEOUT)
        if m["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
            continue
        if m["msg_type"] == "stream":
            out.append(m["content"]["text"])
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    return reply["content"]["execution_count"], "".join(out)


def _sources(stdout):
    line = next(l for l in stdout.splitlines() if l.startswith("SOURCES "))
    return [tuple(s) for s in json.loads(line[len("SOURCES "):])]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with running_kernel(tmp_path_factory) as c:
        yield c


def test_sources_name_the_cell_id_even_when_counts_repeat(client):
    define_count, _ = _execute(client, DEFINE, "cell-define")
    train_count, _ = _execute(client, TRAIN, "cell-train")
    _, out = _execute(client, REPORT, "cell-report")
    sources = _sources(out)
    assert {(count, cid) for count, cid, _ in sources} == {(define_count, "cell-define")}, \
        sources   # every tensor comes from train_step, in the first cell
    # The same cells run again (as after "Restart and run all" a count moves on; here the
    # define cell is re-run under its id): the ids follow the cells, not the counts.
    define_again, _ = _execute(client, DEFINE, "cell-define")
    _execute(client, TRAIN, "cell-train")
    _, out = _execute(client, REPORT, "cell-report")
    sources = _sources(out)
    assert define_again != define_count
    assert {(count, cid) for count, cid, _ in sources} == {(define_again, "cell-define")}


def test_a_cell_run_without_an_id_keeps_its_count_only(client):
    _execute(client, DEFINE, None)       # a frontend that sends no cell id
    _execute(client, TRAIN, "cell-train-2")
    _, out = _execute(client, REPORT, "cell-report-2")
    assert {cid for _, cid, _ in _sources(out)} == {None}


def test_sources_in_the_running_cell_name_it(client):
    code = """
import eager_lab, tensorflow as tf, json
def step(x):
    return tf.reduce_sum(x * 3.0)
with eager_lab.capture(step) as rec:
    rec(tf.ones((2,)))
print("SOURCES", json.dumps(sorted({(t.source.cell, t.source.cell_id, t.source.line)
                                    for t in rec.steps[0].tensors if t.source})))
"""
    count, out = _execute(client, code, "cell-running")
    assert {(c, cid) for c, cid, _ in _sources(out)} == {(count, "cell-running")}
