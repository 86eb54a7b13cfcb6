"""What the sidebar's trends cost the kernel: ``get_trends`` over a recording of many steps.

The reference conv net of overhead.py, ``--steps`` recorded ``train_on_batch`` steps with a
memory budget of 0 (values dropped, summaries kept, as a long recording would be), then the
comm request handler answers ``get_trends`` for every name, page by page, as the panel asks
when the recording ends. The summaries are computed on first use, so the first answer
includes them; a second answer shows the cost of the series alone.

    python benchmarks/trends.py [--steps 50]
"""
from __future__ import annotations

import argparse
import time

from eager_lab._quiet_import import import_tensorflow

import_tensorflow()

import comm  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import eager_lab  # noqa: E402
from eager_lab.comm.transport import Transport  # noqa: E402
from overhead import build  # noqa: E402


def all_trends(transport, recording_id) -> tuple[float, int, int]:
    """Seconds to fetch every page, pages, names."""
    start = time.perf_counter()
    offset, total, pages = 0, None, 0
    while total is None or offset < total:
        reply, _ = transport.answer({"type": "get_trends", "request_id": "b",
                                     "recording_id": recording_id, "offset": offset,
                                     "limit": 5000})
        assert reply["type"] == "trends", reply
        total, pages = reply["total"], pages + 1
        offset += len(reply["series"])
    return time.perf_counter() - start, pages, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 10, size=(64,)).astype("int32")
    keras.utils.set_random_seed(0)
    model = build(run_eagerly=False)
    start = time.perf_counter()
    with eager_lab.capture(model, memory_budget=0, keep_state=False) as rec:
        for _ in range(args.steps):
            model.train_on_batch(x, y)
    captured = time.perf_counter() - start
    transport = Transport(comm.get_comm_manager())
    first, pages, names = all_trends(transport, rec.id)
    again, _, _ = all_trends(transport, rec.id)
    tensors = sum(len(s.tensors) for s in rec.steps)
    print(f"| recorded steps | {args.steps} ({tensors} tensors, {names} names) |")
    print(f"| capture of the steps | {captured:.1f} s |")
    print(f"| `get_trends`, every page, summaries computed on the way | {first * 1e3:.0f} ms "
          f"({pages} page{'s' * (pages > 1)}) |")
    print(f"| `get_trends` again (summaries known) | {again * 1e3:.0f} ms |")


if __name__ == "__main__":
    main()
