"""A comparison that runs for seconds shows its progress in the cell (a real kernel)."""
import pytest

from kernel_helpers import TIMEOUT, running_kernel

CELL = """
import keras, numpy as np, tensorflow as tf
import eager_lab, eager_lab.compare.progress as progress
progress.SHOW_AFTER = 0.05   # this small step compares in about a second
keras.utils.set_random_seed(0)
m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
m.compile(optimizer="sgd", loss="mse")
x, y = np.ones((4, 3), "float32"), np.ones((4, 2), "float32")
with eager_lab.capture(m) as rec:
    m.train_on_batch(x, y)
cmp = rec.steps[0].compare()
print("PROGRESS AFTER", rec.steps[0].compare_progress)
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with running_kernel(tmp_path_factory) as c:
        yield c


def test_compare_in_a_cell_shows_and_finishes_its_progress_line(client):
    msg_id = client.execute(CELL)
    displays, updates, stdout = [], [], []
    while True:
        m = client.get_iopub_msg(timeout=TIMEOUT)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        kind = m["msg_type"]
        if kind == "display_data":
            displays.append(m["content"])
        elif kind == "update_display_data":
            updates.append(m["content"])
        elif kind == "stream":
            stdout.append(m["content"]["text"])
        elif kind == "error":
            pytest.fail("\n".join(m["content"]["traceback"]))
        elif kind == "status" and m["content"]["execution_state"] == "idle":
            break
    shown = [d for d in displays if "Comparing step 0 with its graph" in
             d["data"].get("text/plain", "")]
    assert shown, displays
    display_id = shown[0]["transient"]["display_id"]
    last = [u for u in updates if u["transient"]["display_id"] == display_id][-1]
    assert last["data"]["text/plain"].startswith("Compared step 0 with its graph in ")
    assert "PROGRESS AFTER None" in "".join(stdout)
