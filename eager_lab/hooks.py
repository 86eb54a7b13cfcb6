"""Hooks: how the steps of each kind of target are intercepted, and undone.

A Keras model's ``train_step`` is swapped for one that records; a ``tf.function``'s
Python function is swapped while functions run eagerly. ``restore()`` puts back exactly
what was there.
"""
from __future__ import annotations

import functools
import weakref
from typing import TYPE_CHECKING

import tensorflow as tf

from . import _tf_private
from .state import model_variables
from .step_graphs import _StepGraphs

if TYPE_CHECKING:
    from .session import Recording


class CaptureError(TypeError):
    """The object handed to ``capture()`` cannot be captured; the message says why."""


def _check_keras_model(target) -> bool:
    names = [c.__module__ for c in type(target).__mro__]
    if any(n.startswith("tf_keras") or n.startswith("keras.engine") or
           n.startswith("tensorflow.python.keras") for n in names):
        raise CaptureError(
            f"{type(target).__name__} is a Keras 2 / tf_keras model; eager_lab supports "
            "Keras 3 models (`import keras`, keras>=3.0 with the TensorFlow backend) and "
            "step functions (a tf.function or a Python callable).")
    try:
        import keras
    except ImportError:  # pragma: no cover
        return False
    if isinstance(target, keras.Model):
        if keras.backend.backend() != "tensorflow":
            raise CaptureError(
                f"eager_lab needs Keras' TensorFlow backend; this Keras uses "
                f"{keras.backend.backend()!r} (set KERAS_BACKEND=tensorflow).")
        return True
    return False


def _hooks_for(target, recording: "Recording"):
    if _check_keras_model(target):
        return _ModelHooks(target, recording)
    if _tf_private.is_tf_function(target) or callable(target):
        return _FunctionHooks(target, recording)
    raise CaptureError(
        f"eager_lab.capture() takes a Keras 3 model or a step function (tf.function or "
        f"callable); got {type(target).__name__}.")


# Traced graphs per model, reused by later captures. Weak keys, and the traced function
# reaches the model only through a weak reference, so a captured model can still be freed.
_model_graphs: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class _ModelHooks:
    """Intercepts ``model.train_step`` while capturing; restores everything on exit."""

    _MISSING = object()

    def __init__(self, model, recording: "Recording"):
        self.model = model
        self.recording = recording
        self.element_spec = None

    def _graphs(self, train_step) -> _StepGraphs:
        # Cached per model, train_step and optimizer: users capture the same model often,
        # and tracing costs about two eager steps.
        function = getattr(train_step, "__func__", train_step)
        fingerprint = (function, id(self.model.optimizer), len(self.model.variables))
        cached = _model_graphs.get(self.model)
        if cached is not None and cached[0] == fingerprint:
            graphs = cached[1]
            graphs.capture = self.recording._capture
            return graphs
        if getattr(train_step, "__self__", None) is self.model:
            model_ref = weakref.ref(self.model)

            def one_step_on_data(data):
                return function(model_ref(), data)
        else:  # a train_step function set on the instance
            def one_step_on_data(data):
                return train_step(data)
        graphs = _StepGraphs(one_step_on_data, self.recording._capture)
        _model_graphs[self.model] = (fingerprint, graphs)
        return graphs

    def state_variables(self, graphs, key, specs) -> list:
        del graphs, key, specs  # The model knows its state before any trace.
        return model_variables(self.model)

    def install(self) -> None:
        model = self.model
        self.saved = {
            "train_step": vars(model).get("train_step", self._MISSING),
            "_run_eagerly": model._run_eagerly,
            "_jit_compile": model._jit_compile,
            "train_function": model.train_function,
        }
        train_step = model.train_step   # the user's (or Keras') bound method
        graphs = self._graphs(train_step)
        recording = self.recording
        hooks = self

        def train_step_captured(data):
            return recording._run_step(graphs, train_step, (data,), {},
                                       element_spec=hooks.element_spec, owner=model)

        object.__setattr__(model, "train_step", train_step_captured)
        model._run_eagerly = True
        model._jit_compile = False
        model.train_function = None
        model.make_train_function()
        eager_function = model.train_function

        def train_function(iterator):
            # Graph Keras traces the step with the iterator's element_spec (batch dim
            # often None), not with each batch's concrete shape: name from that graph.
            hooks.element_spec = getattr(iterator, "element_spec", None)
            return eager_function(iterator)

        model.train_function = train_function

    def restore(self) -> None:
        model, saved = self.model, self.saved
        if saved["train_step"] is self._MISSING:
            vars(model).pop("train_step", None)
        else:
            object.__setattr__(model, "train_step", saved["train_step"])
        model._run_eagerly = saved["_run_eagerly"]
        model._jit_compile = saved["_jit_compile"]
        model.train_function = saved["train_function"]


class _FunctionHooks:
    """Captures a step function: a ``tf.function`` (its calls are intercepted) or a callable."""

    def __init__(self, fn, recording: "Recording"):
        self.fn = fn
        self.recording = recording
        self.is_tf_function = _tf_private.is_tf_function(fn)
        python_fn = _tf_private.get_python_function(fn) if self.is_tf_function else fn
        self.python_fn = python_fn
        signature = getattr(fn, "input_signature", None) if self.is_tf_function else None
        autograph = self.is_tf_function and _tf_private.tf_function_autograph(fn)
        self.graphs = _StepGraphs(python_fn, recording._capture, input_signature=signature,
                                  autograph=autograph)

    def call(self, args, kwargs):
        return self.recording._run_step(self.graphs, self.python_fn, args, kwargs)

    def state_variables(self, graphs, key, specs) -> list:
        """The variables the step's graph captures (traced now if it was not yet)."""
        graphs.index_for(key, specs)
        concrete = graphs.concrete.get(key)
        return list(concrete.variables) if concrete is not None else []

    def install(self) -> None:
        self.saved_eager = tf.config.functions_run_eagerly()
        if self.is_tf_function:
            hooks = self

            @functools.wraps(self.python_fn)
            def captured(*args, **kwargs):
                return hooks.call(args, kwargs)

            _tf_private.set_python_function(self.fn, captured)
            tf.config.run_functions_eagerly(True)

    def restore(self) -> None:
        if self.is_tf_function:
            _tf_private.set_python_function(self.fn, self.python_fn)
            tf.config.run_functions_eagerly(self.saved_eager)
