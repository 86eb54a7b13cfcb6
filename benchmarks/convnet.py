"""The reference conv net of the benchmarks (and of tests/test_memory.py).

Input 64×32×32×3, Conv2D 32 → Conv2D 64 → global average pool → Dense 10, Adam, a
hand-written train_step (subclassed model, GradientTape): about 110 MiB of values per step.
"""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


class ConvNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv1 = keras.layers.Conv2D(32, 3, activation="relu")
        self.conv2 = keras.layers.Conv2D(64, 3, activation="relu")
        self.pool = keras.layers.GlobalAveragePooling2D()
        self.head = keras.layers.Dense(10)

    def call(self, x):
        return self.head(self.pool(self.conv2(self.conv1(x))))

    def train_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


def build(run_eagerly: bool) -> ConvNet:
    model = ConvNet()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), run_eagerly=run_eagerly)
    return model


def data(batch: int = 64, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 10, size=(batch,)).astype("int32")
    return x, y
