"""The panel's requests on a kernel subshell, answered while a cell runs.

JupyterLab 4.6 sends comm messages on a subshell of ipykernel 7 (one per comm target), so
eager_lab's handlers run in another thread *during* a training cell. Reading rows then is
fine; running a comparison is not (it puts a step's old variables back and runs the step):
the kernel refuses it with the reason until the cell is done, and training is unchanged.
"""
import json
import time
import uuid

import pytest

from kernel_helpers import TIMEOUT, Wire, running_kernel

from eager_lab.comm.protocol import PROTOCOL_VERSION  # noqa: E402

HELLO = {"type": "hello", "protocol_version": PROTOCOL_VERSION, "side": "frontend",
         "version": "0.1.0"}

SETUP = """
import time, numpy as np, keras, eager_lab
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(3)])
model.compile(optimizer="adam", loss="mse")
x, y = np.ones((8, 4), "float32"), np.ones((8, 3), "float32")
model.train_on_batch(x, y)
with eager_lab.capture(model) as rec:
    model.train_on_batch(x, y)
"""

# Trains for a few seconds, then records what the variables were at the end.
TRAIN = """
t0 = time.monotonic()
while time.monotonic() - t0 < 6:
    model.train_on_batch(x, y)
after_training = [v.numpy().tolist() for v in model.variables]
"""


class Subshell:
    """A comm on a kernel subshell, as JupyterLab opens it."""

    def __init__(self, wire: Wire):
        client = wire.client
        msg = client.session.msg("create_subshell_request", {})
        client.control_channel.send(msg)
        reply = client.control_channel.get_msg(timeout=TIMEOUT)
        assert reply["content"]["status"] == "ok", reply["content"]
        self.id = reply["content"]["subshell_id"]
        self.wire = wire

    def send(self, msg_type: str, content: dict) -> None:
        client = self.wire.client
        msg = client.session.msg(msg_type, content)
        msg["header"]["subshell_id"] = self.id
        client.shell_channel.send(msg)


@pytest.fixture(scope="module")
def wire(tmp_path_factory):
    with running_kernel(tmp_path_factory) as client:
        w = Wire(client)
        w.execute("%load_ext eager_lab")
        w.execute(SETUP)
        yield w


def test_requests_during_a_training_cell(wire):
    sub = Subshell(wire)
    comm_id = uuid.uuid4().hex
    sub.send("comm_open", {"comm_id": comm_id, "target_name": "eager_lab", "data": HELLO})
    wire.comm_msg(comm_id, lambda d: d.get("type") == "welcome")
    rec_id = wire.evaluate("rec.id")

    def ask(data):
        request_id = uuid.uuid4().hex[:8]
        sub.send("comm_msg", {"comm_id": comm_id, "data": {"request_id": request_id, **data}})
        return wire.comm_msg(comm_id, lambda d: d.get("request_id") == request_id,
                             timeout=TIMEOUT)["content"]["data"]

    before = wire.evaluate("[v.numpy().tolist() for v in model.variables]")
    started = time.monotonic()
    msg_id = wire.client.execute(TRAIN)          # not waited for: the cell is running
    time.sleep(1.5)
    rows = ask({"type": "get_tensors", "recording_id": rec_id, "step": 0, "limit": 5})
    refused = ask({"type": "get_comparison", "recording_id": rec_id, "step": 0})
    answered_after = time.monotonic() - started
    assert rows["type"] == "tensors" and rows["total"] > 5
    assert refused["type"] == "error" and refused["code"] == "no_value"
    assert "running a cell" in refused["message"]
    assert answered_after < 5, "the requests waited for the cell: no subshell?"
    wire.wait_for(lambda m: m["msg_type"] == "status"
                  and m["parent_header"].get("msg_id") == msg_id
                  and m["content"]["execution_state"] == "idle", TIMEOUT, "idle")
    # Training ran undisturbed: its variables moved on from `before`, and nothing put the
    # saved state of step 0 back after it ended.
    after = wire.evaluate("after_training")
    assert after != before
    assert wire.evaluate("[v.numpy().tolist() for v in model.variables]") == after
    # Once the cell is done, the same request runs the comparison.
    done = ask({"type": "get_comparison", "recording_id": rec_id, "step": 0})
    assert done["type"] == "comparison" and done["total"] > 0
    assert json.dumps(wire.evaluate("[v.numpy().tolist() for v in model.variables]")) == \
        json.dumps(after)
