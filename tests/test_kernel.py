"""%%eager_debug in a real Jupyter kernel, driven over ZMQ by jupyter_client.

The kernel comes from ``kernel_helpers.running_kernel``: a kernelspec pointing at the
Python running the tests, and a timeout on every wait.
"""
from __future__ import annotations

import re

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
from kernel_helpers import TIMEOUT, running_kernel  # noqa: E402


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    with running_kernel(tmp_path_factory) as client:
        reply, _ = execute(client, "%load_ext eager_lab\nimport tensorflow as tf")
        assert reply["content"]["status"] == "ok", reply["content"]
        yield client


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
