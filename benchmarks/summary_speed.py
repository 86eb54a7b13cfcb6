"""How long does ``summarize`` take, now and at an earlier commit, on the same arrays?

Loads ``eager_lab/summary.py`` as it was at ``--against`` (default: c13c0d7, the last
commit before issue 8's float64 statistics) beside the working tree's, and times both on
each array, alternating old/new within every round so that load from other processes hits
both alike; prints the median CPU time of each (process time, all threads: steadier than
wall time on a shared machine, and what a busy training step pays) and their ratio
(new / old), then the wall-time ratio. "conv net step" is one step's worth of tensors of
the reference conv net of ``benchmarks/overhead.py`` (about 100 MiB of float32 values in
~25 big activations and gradients, plus ~60 small weight and optimizer tensors).

    python benchmarks/summary_speed.py [--against REV] [--rounds 15]

Only numpy is needed (TensorFlow is not imported).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from eager_lab import summary as new  # noqa: E402


def _load_old(rev: str):
    text = subprocess.run(["git", "show", f"{rev}:eager_lab/summary.py"], cwd=ROOT,
                          check=True, capture_output=True, text=True).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(text)
    spec = importlib.util.spec_from_file_location("summary_old", f.name)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    os.unlink(f.name)
    return module


def _cases():
    rng = np.random.default_rng(0)
    yield "f32 1e3", rng.normal(size=1_000).astype(np.float32)
    yield "f32 1e5", rng.normal(size=100_000).astype(np.float32)
    yield "f32 4e6", rng.normal(size=4_000_000).astype(np.float32)
    relu = np.maximum(rng.normal(size=(64, 30, 30, 32)), 0).astype(np.float32)
    yield "f32 64x30x30x32 relu", relu
    with_nan = rng.normal(size=100_000).astype(np.float32)
    with_nan[::1000] = np.nan
    yield "f32 1e5 with NaN", with_nan
    yield "f16 1e5", rng.normal(size=100_000).astype(np.float16)
    yield "f64 1e5", rng.normal(size=100_000)
    yield "i32 1e5 labels", rng.integers(0, 10, size=100_000).astype(np.int32)
    yield "i64 1e6 ids", rng.integers(0, 2 ** 40, size=1_000_000)
    yield "bool 1e5", rng.random(100_000) < 0.5
    yield "conv net step", _conv_net_step(rng)


def _conv_net_step(rng) -> list:
    """Tensors of one step of benchmarks/overhead.py's ConvNet (batch 64, 32x32x3 input)."""
    shapes = [(64, 32, 32, 3)]
    shapes += [(64, 30, 30, 32)] * 5          # conv1: Conv2D, BiasAdd, Relu, 2 gradients
    shapes += [(64, 28, 28, 64)] * 6          # conv2: same, plus the pooling gradient
    shapes += [(64, 64), (64, 10), (64, 10), (64,), ()] * 2
    for weight in [(3, 3, 3, 32), (32,), (3, 3, 32, 64), (64,), (64, 10), (10,)]:
        shapes += [weight] * 8                # gradient, Adam moments and updates
    return [np.maximum(rng.normal(size=s), 0).astype(np.float32) for s in shapes]


def _time(fn, arrays: list, number: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one pass of ``fn`` over ``arrays``."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(number):
        for a in arrays:
            fn(a, a.dtype.name, a.shape)
    return (time.process_time() - cpu) / number, (time.perf_counter() - wall) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="c13c0d7")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    old = _load_old(args.against)
    print(f"summarize: working tree vs {args.against}; numpy {np.__version__}, "
          f"{platform.machine()} x{os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}; "
          f"median of {args.rounds} rounds\n")
    print("| array | old CPU | new CPU | new/old CPU | new/old wall |")
    print("|---|---:|---:|---:|---:|")
    ratios = []
    for name, array in _cases():
        arrays = array if isinstance(array, list) else [array]
        number = max(1, int(2e6 // sum(a.size for a in arrays)))
        _time(old.summarize, arrays, 1)  # warm up (page in, caches)
        _time(new.summarize, arrays, 1)
        t_old, t_new = [], []
        for _ in range(args.rounds):
            t_old.append(_time(old.summarize, arrays, number))
            t_new.append(_time(new.summarize, arrays, number))
        a, b = (statistics.median(t[0] for t in ts) for ts in (t_old, t_new))
        wall = statistics.median(t[1] for t in t_new) / statistics.median(t[1] for t in t_old)
        ratios.append(b / a)
        print(f"| {name} | {a * 1e3:.3f} ms | {b * 1e3:.3f} ms | {b / a:.2f} | {wall:.2f} |")
    print(f"\ngeometric mean of new/old CPU: {statistics.geometric_mean(ratios):.2f}")


if __name__ == "__main__":
    main()
