"""What a user pays for ``eager_lab.capture``: a captured step against a plain eager step.

Measured as a notebook uses it, side by side in one process:

* rounds of one block of plain ``run_eagerly=True`` steps, then one
  ``with eager_lab.capture(model) as rec:`` block of as many steps;
* the recording stays referenced by ``rec`` until the next block replaces it (and by
  ``eager_lab.last`` / ``eager_lab.recordings``, as in a kernel); nothing is deleted or
  garbage-collected by hand, anywhere;
* the first capture block counts (it traces the graph for names and takes fresh memory);
* naming, summaries and the memory budget's evictions are all inside the timed block.

Cases (``--case``):

* ``convnet``: the reference conv net (benchmarks/convnet.py, a hand-written train_step,
  ~110 MiB of values per step), blocks of 5 steps;
* ``mobilenet``: ``keras.applications.MobileNetV2`` (alpha 0.35, 32×32, batch 8, the
  default train_step, ~8,000 tensors per step), blocks of 3 steps;
* ``fit``: one ``capture`` around a 40-step ``fit`` of the conv net (``steps="all"``): the
  median step time of the last 10 steps over the first 10 (is the per-step cost flat as
  steps and evictions accumulate?), beside a plain 40-step fit.

    python benchmarks/overhead.py [--case convnet|mobilenet|fit|all] [--rounds 7]

Prints min / median / max of the per-round ratios and a markdown table
(docs/benchmarks.md keeps the latest one, with the machine and date).
"""
from __future__ import annotations

import argparse
import os
import platform
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
import convnet  # noqa: E402  (the reference conv net, shared with memory.py)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


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


def mobilenet():
    model = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35,
                                           weights=None, classes=10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  run_eagerly=True)
    return model


def blocks(name: str, model, x, y, steps: int, rounds: int) -> dict:
    """Interleaved plain / capture blocks; the user's ``rec`` keeps the latest recording."""
    plain_block(model, x, y, steps)           # builds the variables (a plain user does too)
    plain, captured, ratios = [], [], []
    rec = None
    for r in range(rounds):
        p = plain_block(model, x, y, steps)
        c, rec = capture_block(model, x, y, steps)   # the previous `rec` is replaced here
        plain.append(p)
        captured.append(c)
        ratios.append(c / p)
        _say(f"{name} round {r + 1}/{rounds}: plain {p * 1e3:.0f} ms, capture {c * 1e3:.0f} ms "
             f"({c / p:.2f}×)")
    step = rec.steps[-1]
    return {"case": name, "steps": steps, "rounds": rounds,
            "plain_ms": statistics.median(plain) * 1e3 / steps,
            "capture_ms": statistics.median(captured) * 1e3 / steps,
            "ratios": ratios, "first": ratios[0],
            "tensors": len(step.tensors),
            "named": sum(t.name is not None for t in step.tensors)}


class _StepTimes(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.times: list[float] = []

    def on_train_batch_begin(self, batch, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter() - self._start)


def fit_flatness(steps: int = 40) -> dict:
    x, y = convnet.data(batch=64 * steps)
    keras.utils.set_random_seed(0)
    model = convnet.build(run_eagerly=True)
    model.train_on_batch(x[:64], y[:64])     # variables built, as after a first plain step
    plain = _StepTimes()
    model.fit(x, y, batch_size=64, epochs=1, shuffle=False, verbose=0, callbacks=[plain])
    captured = _StepTimes()
    with eager_lab.capture(model, steps="all") as rec:
        model.fit(x, y, batch_size=64, epochs=1, shuffle=False, verbose=0,
                  callbacks=[captured])
    first, last = captured.times[:10], captured.times[-10:]
    return {"steps": len(captured.times),
            "plain_ms": statistics.median(plain.times) * 1e3,
            "first_ms": statistics.median(first) * 1e3,
            "last_ms": statistics.median(last) * 1e3,
            "flat": statistics.median(last) / statistics.median(first),
            "vs_plain": statistics.median(captured.times) / statistics.median(plain.times),
            "recorded": len(rec.steps)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=("convnet", "mobilenet", "fit", "all"),
                        default="all")
    parser.add_argument("--rounds", type=int, default=7,
                        help="interleaved plain/capture rounds per case (default 7)")
    args = parser.parse_args()

    results = []
    if args.case in ("convnet", "all"):
        keras.utils.set_random_seed(0)
        x, y = convnet.data()
        results.append(blocks("convnet", convnet.build(run_eagerly=True), x, y, 5, args.rounds))
    if args.case in ("mobilenet", "all"):
        keras.utils.set_random_seed(0)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(8, 32, 32, 3)).astype("float32")
        y = rng.integers(0, 10, size=(8,)).astype("int32")
        results.append(blocks("mobilenet", mobilenet(), x, y, 3, args.rounds))
    fit = fit_flatness() if args.case in ("fit", "all") else None

    print(f"\n{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"eager_lab {eager_lab.__version__}, {time.strftime('%Y-%m-%d')}\n")
    if results:
        print("| case | steps/block × rounds | plain step | captured step | capture / plain: "
              "min – **median** – max | first block | tensors/step (named) |")
        print("|---|---|---:|---:|---|---:|---|")
        for r in results:
            q = r["ratios"]
            print(f"| {r['case']} | {r['steps']} × {r['rounds']} | {r['plain_ms']:.0f} ms | "
                  f"{r['capture_ms']:.0f} ms | {min(q):.2f}× – **{statistics.median(q):.2f}×** – "
                  f"{max(q):.2f}× | {r['first']:.2f}× | {r['tensors']} ({r['named']}) |")
    if fit:
        print("\n| one capture around a fit | value |")
        print("|---|---|")
        print(f"| steps recorded | {fit['recorded']} of {fit['steps']} |")
        print(f"| plain fit step, median | {fit['plain_ms']:.0f} ms |")
        print(f"| captured step, median of the first 10 / last 10 | "
              f"{fit['first_ms']:.0f} ms / {fit['last_ms']:.0f} ms |")
        print(f"| **last 10 / first 10** | **{fit['flat']:.2f}** |")
        print(f"| captured / plain fit step, medians | {fit['vs_plain']:.2f}× |")


if __name__ == "__main__":
    main()
