"""The demo's model: two Dense layers and a hand-written train_step (a custom training loop).

``python -m eager_lab demo`` runs this file as user code under a pseudo file name, as IPython
runs a notebook cell: eager_lab leaves its own package's frames out of call sites and sources,
so importing it as ``eager_lab._demo_model`` would hide where its tensors come from.
"""
import keras
import tensorflow as tf


class DemoModel(keras.Model):
    def __init__(self, make_nan=False):
        super().__init__()
        self.hidden = keras.layers.Dense(16, activation="relu", name="hidden")
        self.out = keras.layers.Dense(1, name="out")
        self.make_nan = make_nan

    def call(self, x):
        return self.out(self.hidden(x))

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            pred = self(x, training=True)
            loss = tf.reduce_mean(tf.square(pred - y))
            if self.make_nan:  # a Python bool, so the graph has this op too
                loss = loss + tf.sqrt(tf.reduce_min(pred) - 1000.0)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


def build(make_nan=False):
    model = DemoModel(make_nan)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2))
    # Create the variables now, so that the recorded steps show training, not set-up.
    model(tf.zeros((1, 4)))
    model.optimizer.build(model.trainable_variables)
    return model
