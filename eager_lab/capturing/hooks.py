"""Hooks: how the steps of each kind of target are intercepted, and undone.

A Keras model's ``train_step`` is swapped for one that records; a ``tf.function``'s
Python function is swapped while functions run eagerly. ``restore()`` puts back exactly
what was there.
"""
from __future__ import annotations

import functools
import threading
import weakref
from typing import Protocol

import tensorflow as tf

from .. import compat
from .op_capture import OpCapture
from .state import model_variables
from ..naming.step_graphs import _StepGraphs



class StepRecorder(Protocol):
    """What the hooks need of the recording that owns them (``session.Recording``):
    its op capture, and the call that records one step."""

    _capture: OpCapture

    def _run_step(self, graphs, step_fn, args, kwargs, element_spec=None, owner=None): ...


class CaptureError(TypeError):
    """The object handed to ``capture()`` cannot be captured; the message says why."""


def _check_keras_model(target) -> bool:
    if compat.is_keras2_class(type(target)):
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


def _hooks_for(target, recording: StepRecorder):
    if _check_keras_model(target):
        return _ModelHooks(target, recording)
    if compat.is_tf_function(target) or callable(target):
        return _FunctionHooks(target, recording)
    raise CaptureError(
        f"eager_lab.capture() takes a Keras 3 model or a step function (tf.function or "
        f"callable); got {type(target).__name__}.")


# Traced graphs per model, reused by later captures. Weak keys, and the traced function
# reaches the model only through a weak reference, so a captured model can still be freed.
_model_graphs: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


# Models being captured now (id -> thread name): a model's hooks are process-wide.
_capturing: dict = {}
_capturing_lock = threading.Lock()


class _ModelHooks:
    """Intercepts ``model.train_step`` while capturing; restores everything on exit."""

    _MISSING = object()

    def __init__(self, model, recording: StepRecorder):
        if getattr(model, "optimizer", None) is None:
            raise CaptureError(
                f"{type(model).__name__} is not compiled: call model.compile(optimizer=...) "
                "before capturing it (eager_lab records the train step that fit and "
                "train_on_batch run, which needs the compiled optimizer)")
        self.model = model
        self.recording = recording
        self.element_spec = None
        self._variables = None

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
        # Collected once per block (20 ms on MobileNetV2): a step that creates variables
        # (Adam's slots, lazily built layers) calls variables_created() to collect again.
        if self._variables is None:
            self._variables = model_variables(self.model)
        return self._variables

    def variables_created(self) -> None:
        self._variables = None

    def install(self) -> None:
        model = self.model
        with _capturing_lock:
            other = _capturing.get(id(model))
            if other is not None:
                raise RuntimeError(
                    f"this {type(model).__name__} is already being captured in thread "
                    f"{other!r}; one model can be captured by one thread at a time")
            _capturing[id(model)] = threading.current_thread().name
        self.claimed = True
        self._variables = None
        self.saved = {
            "train_step": vars(model).get("train_step", self._MISSING),
            "run_state": compat.keras_run_state(model),   # (run_eagerly, jit_compile)
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
        compat.set_keras_run_state(model, run_eagerly=True, jit_compile=False)
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
        """Undo :meth:`install`, also one that failed half-way."""
        if getattr(self, "claimed", False):
            with _capturing_lock:
                _capturing.pop(id(self.model), None)
            self.claimed = False
        saved = getattr(self, "saved", None)
        if saved is None:
            return
        model = self.model
        if saved["train_step"] is self._MISSING:
            vars(model).pop("train_step", None)
        else:
            object.__setattr__(model, "train_step", saved["train_step"])
        compat.set_keras_run_state(model, *saved["run_state"])
        model.train_function = saved["train_function"]
        self.saved = None


class _FunctionHooks:
    """Captures a step function: a ``tf.function`` (its calls are intercepted) or a callable."""

    def __init__(self, fn, recording: StepRecorder):
        self.fn = fn
        self.recording = recording
        self.is_tf_function = compat.is_tf_function(fn)
        python_fn = compat.get_python_function(fn) if self.is_tf_function else fn
        if self.is_tf_function:   # another thread's capture may have routed it already
            python_fn = _routes.original(fn, python_fn)
        self.python_fn = python_fn
        signature = getattr(fn, "input_signature", None) if self.is_tf_function else None
        autograph = self.is_tf_function and compat.tf_function_autograph(fn)
        self.graphs = _StepGraphs(python_fn, recording._capture, input_signature=signature,
                                  autograph=autograph)

    def call(self, args, kwargs):
        return self.recording._run_step(self.graphs, self.python_fn, args, kwargs)

    def state_variables(self, graphs, key, specs) -> list:
        """The variables the step's graph captures (traced now if it was not yet)."""
        graphs.index_for(key, specs)
        concrete = graphs.concrete.get(key)
        return list(concrete.variables) if concrete is not None else []

    def variables_created(self) -> None:
        """Nothing cached: the traced graph's captures are the state."""

    def install(self) -> None:
        if self.is_tf_function:
            _routes.add(self.fn, self.python_fn, self)

    def restore(self) -> None:
        if self.is_tf_function:
            _routes.remove(self.fn, self)


class _Routes:
    """Which capture each thread's calls of a ``tf.function`` go to.

    The Python function behind a ``tf.function`` and ``tf.config.run_functions_eagerly``
    are process-wide, but captures are per thread: while any capture of ``fn`` is active,
    ``fn`` calls a router that sends each call to the capture of the calling thread, or
    to the original function in threads that capture nothing. Functions run eagerly while
    any capture of a tf.function is active, and as before once the last one ends.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._routes: dict = {}          # id(fn) -> (fn, original, {thread id: hooks})
        self._eager_users = 0
        self._eager_before = False

    def original(self, fn, python_fn):
        with self._lock:
            route = self._routes.get(id(fn))
            return route[1] if route is not None else python_fn

    def add(self, fn, original, hooks) -> None:
        thread = threading.get_ident()
        with self._lock:
            route = self._routes.get(id(fn))
            if route is None:
                route = self._routes[id(fn)] = (fn, original, {})
                compat.set_python_function(fn, _router(route))
            if thread in route[2]:
                raise RuntimeError(f"{getattr(fn, '__name__', fn)!r} is already captured in "
                                   "this thread")
            route[2][thread] = hooks
            if self._eager_users == 0:
                self._eager_before = tf.config.functions_run_eagerly()
                tf.config.run_functions_eagerly(True)
            self._eager_users += 1

    def remove(self, fn, hooks) -> None:
        with self._lock:
            route = self._routes.get(id(fn))
            if route is None:
                return
            by_thread = route[2]
            for thread, h in list(by_thread.items()):
                if h is hooks:
                    del by_thread[thread]
                    self._eager_users -= 1
            if not by_thread:
                compat.set_python_function(fn, route[1])
                del self._routes[id(fn)]
            if self._eager_users == 0:
                tf.config.run_functions_eagerly(self._eager_before)


def _router(route):
    fn, original, by_thread = route

    @functools.wraps(original)
    def routed(*args, **kwargs):
        hooks = by_thread.get(threading.get_ident())
        if hooks is None:
            return original(*args, **kwargs)
        return hooks.call(args, kwargs)

    return routed


_routes = _Routes()
