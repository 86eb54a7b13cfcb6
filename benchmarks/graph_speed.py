"""Graph-speed features on the reference conv net (see overhead.py for the model).

* ``steps="first_nonfinite"``: good steps run as the graph, watched for NaN/Inf. Compared
  with plain graph training (``run_eagerly=False``), blocks interleaved in one process;
  the figure is the median of per-round ratios (goal ≤ 1.05×).
* ``step.compare()``: one graph replay under tfdbg2 (trace, run, read back), compared
  with one plain graph step.

    python benchmarks/graph_speed.py [--steps 20] [--rounds 7]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

from eager_lab._quiet_import import import_tensorflow

import_tensorflow()

import keras  # noqa: E402
import numpy as np  # noqa: E402

import eager_lab  # noqa: E402
from overhead import build  # noqa: E402


def graph_block(model, x, y, steps):
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return time.perf_counter() - start


def watched_block(model, x, y, steps):
    start = time.perf_counter()
    with eager_lab.capture(model, steps="first_nonfinite") as rec:
        for _ in range(steps):
            model.train_on_batch(x, y)
    assert rec.stopped_at is None
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 10, size=(64,)).astype("int32")
    keras.utils.set_random_seed(0)
    model = build(run_eagerly=False)
    print("warming up…", file=sys.stderr, flush=True)
    graph_block(model, x, y, 3)
    watched_block(model, x, y, 3)
    plain, watched = [], []
    for r in range(args.rounds):
        p = graph_block(model, x, y, args.steps)
        w = watched_block(model, x, y, args.steps)
        plain.append(p)
        watched.append(w)
        print(f"round {r + 1}/{args.rounds}: graph {p * 1e3:.0f} ms, watched {w * 1e3:.0f} ms "
              f"({w / p:.3f}×)", file=sys.stderr, flush=True)
    ratios = [w / p for p, w in zip(plain, watched)]

    with eager_lab.capture(model) as rec:
        model.train_on_batch(x, y)
    compare_s = []
    for _ in range(3):
        start = time.perf_counter()
        cmp = rec.steps[0].compare()
        compare_s.append(time.perf_counter() - start)
    graph_step = statistics.median(plain) / args.steps

    print(f"\nsteps per block: {args.steps}, rounds: {args.rounds}\n")
    print("| measure | value |\n|---|---|")
    print(f"| graph step (`run_eagerly=False`), median | {graph_step * 1e3:.1f} ms |")
    print(f"| watched step (`steps=\"first_nonfinite\"`), median | "
          f"{statistics.median(watched) / args.steps * 1e3:.1f} ms |")
    print(f"| **watched / graph, median of {args.rounds} rounds** | "
          f"**{statistics.median(ratios):.3f}×** |")
    print(f"| watched / graph, min – max | {min(ratios):.3f}× – {max(ratios):.3f}× |")
    print(f"| `step.compare()` (trace + run + read {len(cmp.rows)} tensors), median of 3 | "
          f"{statistics.median(compare_s) * 1e3:.0f} ms = "
          f"{statistics.median(compare_s) / graph_step:.0f}× a graph step |")


if __name__ == "__main__":
    main()
