"""Hold TensorFlow's output buffers, or copy each output into a pre-allocated arena?

The design question of issue 10, measured without the rest of eager_lab: three throw-away
op callbacks on the reference conv net (benchmarks/convnet.py), each over blocks of 5
eager steps, side by side with plain blocks in one process, every block's values kept
until the next block of the same kind (as a recording is):

* ``none``: a callback that returns at once (the floor of having a callback at all);
* ``hold``: keeps every output tensor (what eager_lab does: no copy, TensorFlow's buffer);
* ``arena``: copies every output into one 512 MiB ring buffer allocated up front (one
  ``np.copyto`` per tensor) and lets the tensor go, so TensorFlow can reuse its buffers.

Prints the median block ratio to plain, and minor page faults per step, per variant.

    python benchmarks/value_arena.py [--rounds 7]
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time

from eager_lab._quiet_import import import_tensorflow

import_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from eager_lab import compat  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convnet  # noqa: E402

ARENA_BYTES = 512 * 2**20
STEPS = 5


class Variants:
    def __init__(self):
        self.kept: list = []
        self.arena = np.empty(ARENA_BYTES, np.uint8)   # allocated, not touched: first pass faults
        self.position = 0

    def none(self, op_type, inputs, attrs, outputs, op_name=None, graph=None):
        return outputs

    def hold(self, op_type, inputs, attrs, outputs, op_name=None, graph=None):
        if graph is None and outputs:
            self.kept.append(tuple(outputs))
        return outputs

    def arena_copy(self, op_type, inputs, attrs, outputs, op_name=None, graph=None):
        if graph is None and outputs:
            for t in outputs:
                if t.dtype.name in ("resource", "variant", "string"):
                    continue
                value = compat.host_view(t)
                n = value.nbytes
                if not n:
                    continue
                if self.position + n > ARENA_BYTES:
                    self.position = 0
                slot = self.arena[self.position:self.position + n].view(value.dtype)
                np.copyto(slot.reshape(value.shape), value)
                self.position += n
                self.kept.append(slot)
        return outputs


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    x, y = convnet.data()
    model = convnet.build(run_eagerly=True)
    for _ in range(STEPS):
        model.train_on_batch(x, y)
    v = Variants()
    callbacks = {"none": v.none, "hold": v.hold, "arena": v.arena_copy}
    ratios = {k: [] for k in callbacks}
    faults = {k: [] for k in (*callbacks, "plain")}
    for r in range(args.rounds):
        f0, start = _faults(), time.perf_counter()
        for _ in range(STEPS):
            model.train_on_batch(x, y)
        plain = time.perf_counter() - start
        faults["plain"].append((_faults() - f0) / STEPS)
        for name, callback in callbacks.items():
            v.kept = []                       # the previous block's values go now
            compat.add_op_callback(callback)
            try:
                f0, start = _faults(), time.perf_counter()
                for _ in range(STEPS):
                    model.train_on_batch(x, y)
                took = time.perf_counter() - start
            finally:
                compat.remove_op_callback(callback)
            ratios[name].append(took / plain)
            faults[name].append((_faults() - f0) / STEPS)
        print(f"round {r + 1}: " + ", ".join(f"{k} {q[-1]:.2f}×" for k, q in ratios.items()),
              file=sys.stderr, flush=True)
    print("| variant | block / plain block: min – **median** – max | minor page faults / step (median) |")
    print("|---|---|---:|")
    print(f"| plain | 1 | {statistics.median(faults['plain']):,.0f} |")
    for name, q in ratios.items():
        print(f"| {name} | {min(q):.2f}× – **{statistics.median(q):.2f}×** – {max(q):.2f}× | "
              f"{statistics.median(faults[name]):,.0f} |")


if __name__ == "__main__":
    main()
