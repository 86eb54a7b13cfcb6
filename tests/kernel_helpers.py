"""A real Jupyter kernel for tests, and a client that speaks comms to it over ZMQ.

The kernel is started from a kernelspec written for the test, pointing at the Python
running the tests (the venv's), so no globally installed kernel is picked by accident.
Every wait has a timeout: a broken kernel fails the test instead of hanging it.
"""
from __future__ import annotations

import ast
import contextlib
import json
import os
import queue
import sys
import time
import uuid
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120  # seconds; TensorFlow's import alone takes several on a small machine
KERNEL_NAME = "eager-lab-test"


@contextlib.contextmanager
def running_kernel(tmp_path_factory):
    """A started kernel's blocking client, shut down on exit."""
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
        "CUDA_VISIBLE_DEVICES": "",  # results do not depend on a GPU
    })
    manager = KernelManager(kernel_name=KERNEL_NAME,
                            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]),
                            connection_file=str(runtime / f"kernel-{uuid.uuid4().hex}.json"))
    manager.start_kernel(env=env, cwd=str(ROOT))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT)
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


class Wire:
    """Every IOPub message of a kernel, kept in order, with comm helpers.

    ``wait_for`` hands out each message once, so two waits never match the same push.
    """

    def __init__(self, client):
        self.client = client
        self.log: list[dict] = []
        self._taken: set[int] = set()
        self._requests = 0

    # -- IOPub ---------------------------------------------------------------------------
    def _read(self, timeout: float) -> bool:
        try:
            self.log.append(self.client.get_iopub_msg(timeout=timeout))
            return True
        except queue.Empty:
            return False

    def drain(self, quiet: float = 0.3) -> None:
        """Read until IOPub has been quiet for ``quiet`` seconds."""
        while self._read(quiet):
            pass

    def wait_for(self, predicate, timeout: float = TIMEOUT, what: str = "message",
                 since: int = 0) -> dict:
        """The first message not handed out yet, from ``log[since]`` on, that matches.

        ``since`` spares rescanning a long log: a test sending thousands of messages would
        otherwise rescan it all for each reply.
        """
        deadline = time.monotonic() + timeout
        scanned = since
        while True:
            for i in range(scanned, len(self.log)):
                if i not in self._taken and predicate(self.log[i]):
                    self._taken.add(i)
                    return self.log[i]
            scanned = len(self.log)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                kinds = [m["msg_type"] for m in self.log[-10:]]
                raise AssertionError(f"no {what} within {timeout} s (last: {kinds})")
            self._read(min(remaining, 0.5))

    # -- code ----------------------------------------------------------------------------
    def execute(self, code: str, timeout: float = TIMEOUT, expressions: dict | None = None) -> dict:
        """Run ``code``; returns the execute_reply content after the kernel went idle."""
        msg_id = self.client.execute(code, user_expressions=expressions or {})
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no execute_reply within {timeout} s for {code!r}")
            try:
                reply = self.client.get_shell_msg(timeout=remaining)
            except queue.Empty:
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        self.wait_for(lambda m: m["msg_type"] == "status"
                      and m["parent_header"].get("msg_id") == msg_id
                      and m["content"]["execution_state"] == "idle", timeout, "idle")
        content = reply["content"]
        if content["status"] != "ok":
            raise AssertionError(f"{code!r} failed: {content.get('ename')}: "
                                 f"{content.get('evalue')}\n" + "\n".join(content.get("traceback", [])))
        return content

    def evaluate(self, expression: str, timeout: float = TIMEOUT):
        """The value of ``expression`` in the kernel, through JSON."""
        content = self.execute("import json", timeout,
                               expressions={"out": f"json.dumps({expression})"})
        out = content["user_expressions"]["out"]
        assert out["status"] == "ok", out
        return json.loads(ast.literal_eval(out["data"]["text/plain"]))

    # -- comms ---------------------------------------------------------------------------
    def _send(self, msg_type: str, content: dict) -> None:
        self.client.shell_channel.send(self.client.session.msg(msg_type, content))

    def open_comm(self, data: dict, target: str = "eager_lab") -> str:
        comm_id = uuid.uuid4().hex
        self._send("comm_open", {"comm_id": comm_id, "target_name": target, "data": data})
        return comm_id

    def send(self, comm_id: str, data: dict) -> None:
        self._send("comm_msg", {"comm_id": comm_id, "data": data})

    def close_comm(self, comm_id: str) -> None:
        self._send("comm_close", {"comm_id": comm_id, "data": {}})

    def comm_msg(self, comm_id: str, predicate=lambda data: True, timeout: float = TIMEOUT,
                 what: str = "comm message", since: int = 0) -> dict:
        """The next comm_msg on ``comm_id`` whose data matches; the whole message."""
        return self.wait_for(lambda m: m["msg_type"] == "comm_msg"
                             and m["content"]["comm_id"] == comm_id
                             and predicate(m["content"]["data"]), timeout, what, since)

    def comm_closed(self, comm_id: str, timeout: float = TIMEOUT, since: int = 0) -> dict:
        """The kernel's comm_close of ``comm_id``; the whole message."""
        return self.wait_for(lambda m: m["msg_type"] == "comm_close"
                             and m["content"]["comm_id"] == comm_id, timeout,
                             f"comm_close of {comm_id}", since)

    def request(self, comm_id: str, data: dict, timeout: float = TIMEOUT) -> tuple[dict, list]:
        """Send a request (a fresh request_id unless given); its reply data and buffers."""
        self._requests += 1
        data = {"request_id": f"q{self._requests}", **data}
        self.send(comm_id, data)
        msg = self.comm_msg(comm_id, lambda d: d.get("request_id") == data["request_id"],
                            timeout, f"reply to {data}")
        return msg["content"]["data"], msg.get("buffers", [])

    def comm_messages(self, comm_id: str, kind: str, since: int = 0) -> list[dict]:
        """Data of every ``kind`` message on ``comm_id`` logged from ``since`` on."""
        return [m["content"]["data"] for m in self.log[since:]
                if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id
                and m["content"]["data"].get("type") == kind]
