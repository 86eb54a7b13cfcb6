"""Narrow an eager-vs-XLA difference to the first Keras layer XLA computes differently.

:func:`capturing_inputs` notes each leaf layer's actual inputs during one eager replay of
the step (its ``call`` is wrapped on the instance for the duration, and unwrapped however
the replay ends). :func:`first_differing_layer` then runs each captured layer alone, in
call order: forward and backward (gradients with respect to its float inputs and its
trainable weights, for a fixed seeded cotangent), eagerly and compiled with
``tf.function(jit_compile=True)`` from the same variable values, and stops at the first
whose outputs, gradients or variable updates differ beyond the dtype's tolerance.

Only public Keras API is used: ``Model.layers``, ``Layer.variables`` and
``trainable_weights``, ``Layer.__call__``; the sublayers of a custom layer are found
among its attributes (``vars()``), which is where Keras tracks them.
"""
from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field

import numpy as np

from ..capturing.state import snapshot
from .diff import diff


@dataclass
class LayerCall:
    """The first call of one leaf layer during the eager replay: its ``call`` arguments."""

    layer: object
    path: str        # model-relative: "sequential/dense_1"
    args: tuple
    kwargs: dict
    order: int


@dataclass
class Probe:
    """One layer run alone, eagerly and under XLA."""

    layer: object
    path: str
    max_abs_diff: float | None = None   # over every compared value
    diverges: bool = False
    what: str | None = None             # the diverging value with the largest |Δ|
    what_diff: float | None = None      # its max |Δ|
    error: str | None = None            # why the layer could not be probed


@dataclass
class Narrowing:
    """The probes run, in call order; ``found`` is the first that diverges (or None)."""

    probes: list[Probe] = field(default_factory=list)
    found: Probe | None = None
    layers: int = 0                      # leaf layers called in the step


def layer_label(layer) -> str:
    """``dense_1 (Dense)``."""
    return f"{layer.name} ({type(layer).__name__})"


# -- which layers --------------------------------------------------------------------
def _sublayers(layer) -> list:
    """The layers ``layer`` holds: ``Model.layers``, then any found in its attributes."""
    import keras
    found = list(layer.layers) if isinstance(layer, keras.Model) else []

    def collect(value, depth):
        if isinstance(value, keras.layers.Layer):
            found.append(value)
        elif depth < 3 and isinstance(value, (list, tuple)):
            for item in value:
                collect(item, depth + 1)
        elif depth < 3 and isinstance(value, dict):
            for item in value.values():
                collect(item, depth + 1)

    for value in vars(layer).values():
        collect(value, 0)
    return [sub for sub in found if sub is not layer]


def leaf_layers(model) -> list[tuple[object, str]]:
    """``[(layer, path)]``: every layer of ``model`` that holds no other layer, with its
    model-relative path (``"sequential/dense_1"``); InputLayers are left out."""
    import keras
    if not isinstance(model, keras.layers.Layer):
        return []
    seen, leaves = {id(model)}, []
    stack = [(sub, f"{model.name}/{sub.name}") for sub in reversed(_sublayers(model))]
    while stack:
        layer, path = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        children = _sublayers(layer)
        if children:
            stack.extend((c, f"{path}/{c.name}") for c in reversed(children))
        elif not isinstance(layer, keras.layers.InputLayer):
            leaves.append((layer, path))
    return leaves


def draws_random(layer) -> bool:
    """Whether ``layer`` holds a Keras SeedGenerator (Dropout, GaussianNoise, ...)."""
    import keras
    return any(isinstance(v, keras.random.SeedGenerator) for v in vars(layer).values())


# -- capturing their inputs -------------------------------------------------------------
@contextlib.contextmanager
def capturing_inputs(leaves):
    """``with capturing_inputs(leaf_layers(model)) as calls:`` each layer's first eager call.

    Each layer's ``call`` is replaced on the instance by a pass-through that notes its
    arguments, and put back (or removed, when the class's own was in use) on exit.
    Calls made while tracing (symbolic tensors) are not noted: they cannot be replayed.
    """
    import tensorflow as tf
    calls: list[LayerCall] = []
    noted: set = set()
    patched = []

    def wrap(layer, path, original):
        @functools.wraps(original)
        def call(*args, **kwargs):
            if id(layer) not in noted and tf.executing_eagerly():
                noted.add(id(layer))
                calls.append(LayerCall(layer, path, args, dict(kwargs), len(calls)))
            return original(*args, **kwargs)
        return call

    try:
        for layer, path in leaves:
            own = vars(layer).get("call", _MISSING)
            patched.append((layer, own))
            object.__setattr__(layer, "call", wrap(layer, path, layer.call))
        yield calls
    finally:
        for layer, own in reversed(patched):
            if own is _MISSING:
                object.__delattr__(layer, "call")
            else:
                object.__setattr__(layer, "call", own)


_MISSING = object()


# -- probing one layer ------------------------------------------------------------------
def _layer_state(layer) -> list:
    from .. import compat
    variables = list(layer.variables)
    seed = compat.keras_global_seed_generator()
    if seed is not None:
        variables.append(seed.state)
    return variables


def numpy_value(x) -> tuple[np.ndarray, str]:
    """(a numpy copy of ``x``, its dtype name); bfloat16 and other ml_dtypes as float32."""
    value = np.array(x.numpy() if hasattr(x, "numpy") else x, copy=True)
    dtype = value.dtype.name
    if value.dtype.kind == "V":
        value = value.astype(np.float32)
    return value, dtype


def probe(call: LayerCall, tolerances: dict, seed: int = 0) -> Probe:
    """Run ``call``'s layer alone eagerly and under XLA; compare outputs and gradients."""
    import tensorflow as tf
    layer = call.layer
    result = Probe(layer, call.path)
    structure = (call.args, call.kwargs)
    flat = tf.nest.flatten(structure)
    positions = [i for i, v in enumerate(flat) if isinstance(v, tf.Tensor)]
    inputs = [flat[i] for i in positions]
    floats = [k for k, t in enumerate(inputs) if t.dtype.is_floating]
    weights = list(layer.trainable_weights)
    state = snapshot(_layer_state(layer))
    updated = list(layer.non_trainable_variables)   # BatchNorm's moving stats, seeds

    def forward_backward(tensors, cotangents):
        leaves = list(flat)
        for i, t in zip(positions, tensors):
            leaves[i] = t
        args, kwargs = tf.nest.pack_sequence_as(structure, leaves)
        sources = [tensors[k] for k in floats]
        with tf.GradientTape() as tape:
            tape.watch(sources)
            out = layer(*args, **kwargs)
        outs = [o for o in tf.nest.flatten(out) if isinstance(o, tf.Tensor)]
        differentiable = [o for o in outs if o.dtype.is_floating]
        if cotangents is None:     # eager run: a fixed, seeded cotangent per output
            rng = np.random.default_rng(seed)
            cotangents = [tf.cast(rng.standard_normal(tuple(o.shape)).astype(np.float32),
                                  o.dtype) for o in differentiable]
        grads = tape.gradient(differentiable, sources + weights,
                              output_gradients=list(cotangents) or None,
                              unconnected_gradients=tf.UnconnectedGradients.ZERO) \
            if differentiable and (sources or weights) else []
        grads = [tf.convert_to_tensor(g) for g in grads]
        after = [tf.identity(v.value) for v in updated]
        return outs, grads, after, list(cotangents)

    try:
        eager_outs, eager_grads, eager_after, cotangents = forward_backward(inputs, None)
        state.restore()
        compiled = tf.function(lambda t, c: forward_backward(t, c)[:3], jit_compile=True,
                               autograph=False)
        xla_outs, xla_grads, xla_after = compiled(list(inputs), list(cotangents))
    except Exception as err:  # noqa: BLE001 - a layer that cannot run alone is skipped
        from ..errors import describe
        result.error = describe(err)
        return result
    finally:
        state.restore()

    n_out = len(eager_outs)
    labels = ([("output" if n_out == 1 else f"output {k}") for k in range(n_out)]
              + [("input gradient" if len(floats) == 1 else f"gradient of input {k}")
                 for k in range(len(floats))]
              + [f"{_weight_name(w)} gradient" for w in weights]
              + [f"{_weight_name(v)} update" for v in updated])
    eager_values = [*eager_outs, *eager_grads, *eager_after]
    xla_values = [*xla_outs, *xla_grads, *xla_after]
    worst = 0.0
    for label, e, x in zip(labels, eager_values, xla_values):
        (e, dtype), (x, _) = numpy_value(e), numpy_value(x)
        abs_diff, _, diverges = diff(e, x, dtype, tolerances)
        if abs_diff is not None and abs_diff == abs_diff:
            worst = max(worst, abs_diff)
        if diverges:
            result.diverges = True
            size = abs_diff if abs_diff is not None else float("inf")
            if result.what is None or (size == size and size > (result.what_diff or 0.0)):
                result.what, result.what_diff = label, abs_diff
    result.max_abs_diff = worst
    return result


def _weight_name(variable) -> str:
    name = getattr(variable, "name", "") or ""
    return name.rpartition("/")[2].split(":")[0] or "weight"


def first_differing_layer(calls: list[LayerCall], tolerances: dict) -> Narrowing:
    """Probe ``calls`` in call order; stop at the first layer XLA computes differently."""
    narrowing = Narrowing(layers=len(calls))
    for k, call in enumerate(sorted(calls, key=lambda c: c.order)):
        result = probe(call, tolerances, seed=k)
        narrowing.probes.append(result)
        if result.diverges:
            narrowing.found = result
            break
    return narrowing
