"""How much slower is a step under ``eager_lab.capture`` than a plain eager step?

The reference conv net: input 64×32×32×3, Conv2D 32 → Conv2D 64 → global average pool →
Dense 10, Adam, a hand-written train_step (subclassed model, GradientTape). Each round
times one block of ``--steps`` plain ``run_eagerly=True`` steps and one
``with eager_lab.capture(model)`` block of as many steps (naming included), interleaved in
this process after a warm-up; the figure is the median of the per-round ratios.

    python benchmarks/overhead.py [--steps 5] [--rounds 7]

Prints a markdown table (docs/benchmarks.md keeps the latest one).
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time

from eager_lab._quiet_import import import_tensorflow

import_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import eager_lab  # noqa: E402


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convnet import build  # noqa: E402  (the reference conv net, shared with memory.py)


def plain_block(model, x, y, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return time.perf_counter() - start


def capture_block(model, x, y, steps: int):
    start = time.perf_counter()
    with eager_lab.capture(model) as rec:
        for _ in range(steps):
            model.train_on_batch(x, y)
    return time.perf_counter() - start, rec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5, help="steps per timed block (default 5)")
    parser.add_argument("--rounds", type=int, default=7,
                        help="interleaved plain/capture rounds after warm-up (default 7)")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 10, size=(64,)).astype("int32")
    keras.utils.set_random_seed(0)
    model = build(run_eagerly=True)

    print("warming up…", file=sys.stderr, flush=True)
    plain_block(model, x, y, 2)                          # builds variables, warms kernels
    plain_block(model, x, y, args.steps)
    # The first capture traces the graph. The first two blocks also take fresh memory from
    # the OS for the values they hold (page faults: glibc first maps large buffers, and
    # after freeing them serves them from its heap, which it then keeps); later blocks
    # reuse that memory.
    first = []
    for _ in range(2):
        seconds, rec = capture_block(model, x, y, args.steps)
        first.append(seconds)
        del rec
        gc.collect()

    plain, captured, ratios = [], [], []
    for r in range(args.rounds):
        p = plain_block(model, x, y, args.steps)
        c, rec = capture_block(model, x, y, args.steps)
        print(f"round {r + 1}/{args.rounds}: plain {p * 1e3:.0f} ms, capture {c * 1e3:.0f} ms "
              f"({c / p:.2f}×)", file=sys.stderr, flush=True)
        plain.append(p)
        captured.append(c)
        ratios.append(c / p)
        if r < args.rounds - 1:
            del rec
            gc.collect()

    step = rec.steps[-1]
    tensors, named, held = len(step.tensors), sum(t.name is not None for t in step.tensors), step.nbytes_held
    start = time.perf_counter()
    for t in step.tensors:
        t.summary  # noqa: B018 - what a table of the step computes
    summarize_ms = (time.perf_counter() - start) * 1e3
    del rec, step
    gc.collect()

    print("naming cost and graph steps…", file=sys.stderr, flush=True)
    # Naming: a second model of the same kind, warmed up plainly, captured once (its graph
    # is traced), then again (its graph is cached).
    fresh = build(run_eagerly=True)
    plain_block(fresh, x, y, 2)
    plain_block(fresh, x, y, args.steps)
    traced, rec = capture_block(fresh, x, y, args.steps)
    del rec
    gc.collect()
    cached, rec = capture_block(fresh, x, y, args.steps)
    del rec
    gc.collect()

    graph_model = build(run_eagerly=False)
    plain_block(graph_model, x, y, 3)
    graph = [plain_block(graph_model, x, y, args.steps) for _ in range(3)]

    per_step = 1e3 / args.steps
    warm = statistics.median(captured)
    print(f"\nsteps per block: {args.steps}, rounds: {args.rounds}, "
          f"TensorFlow {tf.__version__}, Keras {keras.__version__}, eager_lab {eager_lab.__version__}\n")
    print("| measure | value |")
    print("|---|---|")
    print(f"| plain eager step (`run_eagerly=True`), median | {statistics.median(plain) * per_step:.1f} ms |")
    print(f"| captured step, median | {warm * per_step:.1f} ms |")
    print(f"| **capture / plain, median of {args.rounds} rounds** | **{statistics.median(ratios):.2f}×** |")
    print(f"| capture / plain, min – max | {min(ratios):.2f}× – {max(ratios):.2f}× |")
    print(f"| naming (trace) cost, once per model: traced block − cached block | {(traced - cached) * 1e3:.0f} ms |")
    print(f"| first two capture blocks of the process (trace, page faults) | "
          f"{first[0] * 1e3:.0f} ms, {first[1] * 1e3:.0f} ms |")
    print(f"| graph step (`run_eagerly=False`), median | {statistics.median(graph) * per_step:.1f} ms |")
    print(f"| tensors per step (named) | {tensors} ({named}) |")
    print(f"| values held per step | {held / 2**20:.1f} MiB |")
    print(f"| summaries of one step's tensors, computed on first look | {summarize_ms:.0f} ms |")


if __name__ == "__main__":
    main()
