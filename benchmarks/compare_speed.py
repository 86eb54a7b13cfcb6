"""How long ``step.compare()`` takes, in plain eager steps of the same model (issue 11).

The issue's case: ``keras.applications.MobileNetV2`` (alpha 0.35, 32×32, batch 8, Adam,
TensorFlow's default settings) with a custom ``train_step`` whose planted bug multiplies
the gradients by ``np.random.rand()``. In one process, per round: a plain eager step
(``run_eagerly=True``, no eager_lab), then a captured step, then ``compare()`` of it —
everything a user pays, the first compare included (nothing traced or warmed for it). The
figure is the median over rounds of compare seconds / that round's eager step seconds
(goal: ≤ 10), with what compare found (first divergence, causes).

    python benchmarks/compare_speed.py [--rounds 3] [--no-bug]
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
import tensorflow as tf  # noqa: E402

import eager_lab  # noqa: E402


def mobilenet(planted: bool):
    keras.utils.set_random_seed(0)

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.base = keras.applications.MobileNetV2(
                input_shape=(32, 32, 3), alpha=0.35, weights=None, classes=10)

        def call(self, x, training=False):
            return self.base(x, training=training)

        def train_step(self, data):
            x, y = data[0], data[1]
            with tf.GradientTape() as tape:
                loss = self.compute_loss(x=x, y=y, y_pred=self(x, training=True))
            grads = tape.gradient(loss, self.trainable_variables)
            if planted:
                grads = [g * np.random.rand() for g in grads]
            self.optimizer.apply(grads, self.trainable_variables)
            return {"loss": loss}

    model = Net()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=True)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 10, size=(8,))
    return model, x, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-bug", action="store_true", help="the plain model")
    args = parser.parse_args()
    model, x, y = mobilenet(planted=not args.no_bug)
    model.train_on_batch(x, y)   # Keras builds the optimizer's slots in the first step
    recordings, ratios = [], []
    for k in range(args.rounds):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        eager = time.perf_counter() - start
        with eager_lab.capture(model) as rec:
            model.train_on_batch(x, y)
        recordings.append(rec)   # kept, as in a notebook
        start = time.perf_counter()
        cmp = rec.steps[0].compare()
        seconds = time.perf_counter() - start
        ratios.append(seconds / eager)
        first = cmp.first_divergence
        print(f"round {k}: eager step {eager:.2f} s, compare {seconds:.2f} s = "
              f"{seconds / eager:.1f} eager steps; {len(cmp.rows)} rows; causes "
              f"{cmp.cause_counts}; first divergence "
              f"{(first.name, first.cause) if first else None}", file=sys.stderr)
    print(f"compare / eager step: median {statistics.median(ratios):.1f} "
          f"(min {min(ratios):.1f}, max {max(ratios):.1f}) over {args.rounds} rounds")


if __name__ == "__main__":
    main()
