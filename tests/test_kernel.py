"""%%eager_debug in a real Jupyter kernel, driven over ZMQ by jupyter_client.

The kernel is started from a kernelspec written for this test, pointing at the Python
running the tests (the venv's), so no globally installed kernel is picked by accident.
Every wait has a timeout: a broken kernel fails the test instead of hanging it.
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120  # seconds; TensorFlow's import alone takes several on a small machine
KERNEL_NAME = "eager-lab-test"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    kernels = tmp_path_factory.mktemp("kernels")
    spec = kernels / KERNEL_NAME
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "eager_lab test kernel",
        "language": "python",
    }))
    runtime = tmp_path_factory.mktemp("runtime")   # connection file: not in $HOME
    env = dict(os.environ)
    env.update({
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p),
        "IPYTHONDIR": str(tmp_path_factory.mktemp("ipython")),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "KERAS_BACKEND": "tensorflow",
        "CUDA_VISIBLE_DEVICES": "",  # the table's content does not depend on a GPU
    })
    manager = KernelManager(kernel_name=KERNEL_NAME,
                            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]),
                            connection_file=str(runtime / "kernel-eager-lab-test.json"))
    manager.start_kernel(env=env, cwd=str(ROOT))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT)
        reply, _ = execute(client, "%load_ext eager_lab\nimport tensorflow as tf")
        assert reply["content"]["status"] == "ok", reply["content"]
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def execute(client, code: str):
    """Run ``code``; returns the execute_reply and the cell's iopub messages."""
    messages = []
    reply = client.execute_interactive(code, timeout=TIMEOUT, output_hook=messages.append)
    return reply, messages


def outputs(messages, kind: str) -> list[dict]:
    return [m["content"] for m in messages if m["msg_type"] == kind]


def test_seed_cell_over_the_wire(kernel):
    reply, messages = execute(kernel, "%%eager_debug\nt = tf.constant(3)\nt * t")
    assert reply["content"]["status"] == "ok", reply["content"]
    (result,) = outputs(messages, "execute_result")
    assert "numpy=9" in result["data"]["text/plain"]
    (table,) = outputs(messages, "display_data")
    text, html = table["data"]["text/plain"], table["data"]["text/html"]
    assert "mul:0" in text and "x∈[9, 9]" in text
    assert "<table>" in html and "<td>mul:0</td>" in html and "x∈[9, 9]" in html
    # The source column names the notebook cell, by the number the user sees.
    count = reply["content"]["execution_count"]
    assert f"cell {count}:3" in text


def test_failing_cell_fails_the_request_and_still_shows_the_table(kernel):
    reply, messages = execute(kernel, "%%eager_debug\na = tf.ones((2, 3))\ntf.matmul(a, a)")
    assert reply["content"]["status"] == "error"
    errors = outputs(messages, "error")
    assert errors[0]["ename"] == "InvalidArgumentError"      # the user's own traceback,
    traceback = re.sub(r"\x1b\[[0-9;]*m", "", "".join(errors[0]["traceback"]))
    assert f"In[{reply['content']['execution_count']}], line 3" in traceback  # its number
    assert len(errors[-1]["traceback"]) == 1                  # then one line, no second one
    (table,) = outputs(messages, "display_data")
    assert "raised InvalidArgumentError" in table["data"]["text/plain"]


def test_usage_error_is_one_line(kernel):
    reply, messages = execute(kernel, "%%eager_debug no_such_model\n1 + 1")
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "UsageError"
    text = "".join(m["text"] for m in outputs(messages, "stream")) + "".join(
        "".join(e["traceback"]) for e in outputs(messages, "error"))
    assert "no variable named 'no_such_model'" in text and "Traceback" not in text
    assert not outputs(messages, "execute_result")               # the body did not run
