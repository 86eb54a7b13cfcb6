"""Does the memory budget bound memory? Process RSS while the reference conv net is captured.

What a user pays: after a few plain eager steps (TensorFlow's own buffers warmed up), the
conv net (about 110 MiB of values per step) is captured for ``--steps`` steps under a
``--budget`` MiB memory budget, the way a notebook does it: ``--blocks`` capture blocks one
after the other, each recording kept referenced (as ``rec`` and Jupyter's output history
keep them), nothing deleted or garbage-collected by hand. RSS is read after every step;
the figure is the growth over the RSS before the first capture.

    python benchmarks/memory.py [--steps 60] [--budget 256] [--blocks 1] [--json]

With ``--json`` prints one JSON object (tests/test_memory.py runs it in a fresh process).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from eager_lab._quiet_import import import_tensorflow  # noqa: E402

import_tensorflow()

import keras  # noqa: E402

import eager_lab  # noqa: E402
from convnet import build, data  # noqa: E402

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60, help="recorded steps in all (default 60)")
    parser.add_argument("--budget", type=float, default=256, help="memory_budget in MiB (default 256)")
    parser.add_argument("--blocks", type=int, default=1,
                        help="capture blocks the steps are split into (default 1)")
    parser.add_argument("--warmup", type=int, default=5, help="plain eager steps first (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    x, y = data()
    model = build(run_eagerly=True)
    for _ in range(args.warmup):
        model.train_on_batch(x, y)
    budget = int(args.budget * 2**20)
    before = rss_bytes()
    samples: list[int] = []
    recordings = []                       # kept, as a notebook keeps them
    per_block = max(1, args.steps // args.blocks)
    done = 0
    while done < args.steps:
        n = min(per_block, args.steps - done)
        with eager_lab.capture(model, memory_budget=budget,
                               progress=lambda step: samples.append(rss_bytes())) as rec:
            for _ in range(n):
                model.train_on_batch(x, y)
        recordings.append(rec)
        done += n
    after = rss_bytes()
    held = sum(s.nbytes_held for r in recordings for s in r.steps)
    per_step = recordings[-1].steps[-1].nbytes_held if recordings[-1].steps else 0
    result = {
        "steps": args.steps, "blocks": args.blocks, "budget_mib": args.budget,
        "rss_before_mib": before / 2**20, "rss_after_mib": after / 2**20,
        "growth_mib": (after - before) / 2**20,
        "peak_growth_mib": (max(samples + [after]) - before) / 2**20,
        "growth_after_first_step_mib": (after - samples[0]) / 2**20 if samples else None,
        "values_held_mib": held / 2**20,
        "values_per_step_mib": sum(t.nbytes for t in recordings[-1].steps[-1].tensors) / 2**20,
        "last_step_held_mib": per_step / 2**20,
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"conv net, {args.steps} recorded steps in {args.blocks} block(s), budget "
          f"{args.budget:g} MiB, TensorFlow {__import__('tensorflow').__version__}")
    for key, value in result.items():
        print(f"  {key}: {value:.1f}" if isinstance(value, float) else f"  {key}: {value}")


if __name__ == "__main__":
    main()
