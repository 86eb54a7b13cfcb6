"""How much stale comms cost a capture: ``python benchmarks/stale_comms.py``.

Stale comms are those of frontends that went away without closing them (page reloads).
Measures a 20-step capture of a small Keras model in a real kernel, timed inside the
kernel, with one panel comm; with 2,000 stale comms and the cap lifted (the behaviour
before protocol 1.2); and with 2,000 stale comms under ``MAX_COMMS``. Not a test: the
numbers depend on the machine (docs/protocol.md quotes them).
"""
from __future__ import annotations

import queue
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from kernel_helpers import Wire, running_kernel  # noqa: E402
from test_transport import HELLO, MODEL  # noqa: E402

STALE = 2000
REPEATS = 3
CAPTURE = """
started = time.monotonic()
with eager_lab.capture(model):
    for _ in range(20):
        model.train_on_batch(x, y)
duration = time.monotonic() - started
"""


class _Temp:
    def mktemp(self, name):
        return Path(tempfile.mkdtemp(prefix=f"{name}-"))


def open_stale(wire, n: int) -> list[str]:
    since = len(wire.log)
    ids = [wire.open_comm(HELLO) for _ in range(n)]
    for comm_id in ids:            # each welcomed, then never heard from again
        wire.comm_msg(comm_id, lambda d: d.get("type") == "welcome", since=since)
    return ids


def run(wire, code: str, expression: str, timeout: float = 1800):
    """Run ``code``, return ``expression``'s repr: from the shell reply alone. With 2,000
    comms IOPub overflows and drops messages (even the kernel's "idle"), so nothing here
    waits for IOPub; what it holds is thrown away."""
    client = wire.client
    msg_id = client.execute(code, user_expressions={"out": expression})
    deadline = time.monotonic() + timeout
    while True:
        drain_iopub(client)
        try:
            reply = client.get_shell_msg(timeout=0.2)
        except queue.Empty:
            if time.monotonic() > deadline:
                raise AssertionError(f"no reply to {code!r}") from None
            continue
        if reply["parent_header"].get("msg_id") == msg_id:
            content = reply["content"]
            assert content["status"] == "ok", content
            return content["user_expressions"]["out"]["data"]["text/plain"]


def drain_iopub(client) -> None:
    while True:
        try:
            client.get_iopub_msg(timeout=0)
        except queue.Empty:
            return


def capture(wire, label: str, repeats: int = REPEATS) -> None:
    durations = [float(run(wire, CAPTURE, "duration")) for _ in range(repeats)]
    comms = run(wire, "pass", "len(eager_lab.comm.transport._transport._comms)")
    print(f"{label:<40} capture {statistics.median(durations):6.2f} s "
          f"(runs: {', '.join(f'{d:.2f}' for d in durations)}), {comms} comms open",
          flush=True)


def main() -> None:
    with running_kernel(_Temp()) as client:
        wire = Wire(client)
        wire.execute(MODEL + "\n%load_ext eager_lab\nimport time")
        wire.execute("model.train_on_batch(x, y)")           # traced, warmed up
        panel = wire.open_comm(HELLO)
        wire.comm_msg(panel)
        capture(wire, "1 panel comm")

        wire.execute("eager_lab.comm.transport.MAX_COMMS = 10**9")  # as before 1.2: no cap
        started = time.monotonic()
        stale = open_stale(wire, STALE)
        print(f"opened {STALE} stale comms in {time.monotonic() - started:.1f} s (no cap)")
        wire.request(panel, {"type": "request_state"})
        capture(wire, f"{STALE} stale comms + panel, no cap", repeats=1)
        for comm_id in stale:
            wire.close_comm(comm_id)
        run(wire, "eager_lab.comm.transport.MAX_COMMS = 8", "eager_lab.comm.transport.MAX_COMMS")
        time.sleep(5)
        drain_iopub(client)
        wire.log.clear()
        wire._taken.clear()

        started = time.monotonic()
        open_stale(wire, STALE)
        print(f"opened {STALE} stale comms in {time.monotonic() - started:.1f} s (cap 8)")
        panel = wire.open_comm(HELLO)       # the live panel: heard from last
        wire.comm_msg(panel)
        capture(wire, f"{STALE} stale comms + panel, MAX_COMMS=8")


if __name__ == "__main__":
    main()
