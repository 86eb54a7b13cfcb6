"""The ``capture()`` context manager: hooks a model (or a step function) and records steps.

Capture is invisible: on exit — normal, exception or KeyboardInterrupt — the model's
``run_eagerly``, ``jit_compile``, ``train_function`` and ``train_step`` are exactly what
they were, and nothing of eager_lab stays registered with TensorFlow.
"""
from __future__ import annotations

import contextlib
import functools
import io
import re
import sys
import threading
import weakref
from typing import Any, Callable, Iterable

import tensorflow as tf

from . import _tf_private, events
from .callsite import caller_user_frame
from .op_capture import EagerOp, OpCapture
from .naming import GraphIndex, match, graph_only
from .records import GraphOnlyTensor, Step, TensorRecord
from .recorder import StepSelector, ValueBudget

DEFAULT_MEMORY_BUDGET = 512 * 2**20

_active = threading.local()


class CaptureError(TypeError):
    """The object handed to ``capture()`` cannot be captured; the message says why."""


def _step_body(step_fn, args, kwargs):
    """Every captured step, eager or traced, runs through this frame.

    Call sites are cut here, so an op's call site starts in the step function in both the
    eager run and the trace. Keep it a plain function that does nothing else.
    """
    return step_fn(*args, **kwargs)


_ENTRY_CODE = _step_body.__code__


def _spec_of(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tf.TypeSpec):
        return value
    if isinstance(value, tf.Tensor) or hasattr(value, "__array__"):
        tensor = tf.convert_to_tensor(value) if not isinstance(value, tf.Tensor) else value
        return tf.TensorSpec(tensor.shape, tensor.dtype)
    return tf.type_spec_from_value(value)


def _signature(args, kwargs, element_spec=None):
    """Input specs of a step (the iterator's element_spec for Keras' fit, as graph Keras sees it)."""
    if element_spec is not None:
        try:
            tf.nest.assert_same_structure(element_spec, args[0], check_types=False)
            return (element_spec,), {}
        except (TypeError, ValueError):
            pass
    return tf.nest.map_structure(_spec_of, (args, kwargs))


class _StepGraphs:
    """The traced graph of a step function, once per input signature, reused across captures."""

    def __init__(self, python_fn: Callable, capture: OpCapture, input_signature=None,
                 autograph: bool = False):
        # Autograph (a user's own tf.function) converts the user's code only; the step
        # entry must stay unconverted, or call sites would not be cut at it.
        traced_fn = tf.autograph.to_graph(python_fn) if autograph else python_fn

        @functools.wraps(python_fn)
        def one_step_on_data(*args, **kwargs):
            return _step_body(traced_fn, args, kwargs)

        self.capture = capture
        self.function = tf.function(one_step_on_data, autograph=False, reduce_retracing=True,
                                    input_signature=input_signature)
        self.indexes: dict[str, GraphIndex] = {}
        self.concrete: dict[str, Any] = {}
        self.errors: dict[str, str] = {}

    def index_for(self, key: str, specs, quiet_owner=None) -> tuple[GraphIndex | None, str | None]:
        """Trace (without running) for this signature; cached. Returns (index, error)."""
        if key in self.indexes or key in self.errors:
            return self.indexes.get(key), self.errors.get(key)
        args, kwargs = specs
        saved = _python_state(quiet_owner)
        self.capture.take_graph_ops()
        self.capture.tracing = True
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                concrete = self.function.get_concrete_function(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - any trace failure leaves names unset
            self.errors[key] = _trace_error_message(err)
            return None, self.errors[key]
        finally:
            self.capture.tracing = False
            _restore_python_state(quiet_owner, saved)
        ops = self.capture.take_graph_ops()
        graph_key = id(concrete.graph)
        # A relaxed signature can reuse a graph traced earlier: then no op was seen now.
        for other_key, other in self.concrete.items():
            if id(other.graph) == graph_key and not ops:
                self.indexes[key] = self.indexes[other_key]
                break
        else:
            self.indexes[key] = GraphIndex.build(ops, concrete.graph)
        self.concrete[key] = concrete
        return self.indexes[key], None


def _trace_error_message(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    hint = ""
    if "OperatorNotAllowedInGraphError" in type(err).__name__ or "not allowed" in text:
        hint = (" (Keras runs train_step without autograph: a Python `if`/`for` on a "
                "tensor works eagerly but not in the graph; use tf.cond / tf.while_loop)")
    return f"could not trace the step as a graph: {type(err).__name__}: {text}{hint}"


def _python_state(owner) -> dict:
    """Plain Python attributes of ``owner`` (a model), so tracing cannot change them."""
    if owner is None:
        return {}
    return {k: v for k, v in vars(owner).items() if type(v) in (int, float, bool, str)}


def _restore_python_state(owner, saved: dict) -> None:
    for name, value in saved.items():
        if vars(owner).get(name, value) is not value:
            object.__setattr__(owner, name, value)


_OP_IN_MESSAGE = re.compile(r"\[Op:([A-Za-z0-9_]+)\]")


def _failing_op(err: BaseException, entry_code=_ENTRY_CODE) -> EagerOp | None:
    """The op an exception came from, as an EagerOp without outputs, or None.

    Its stack is read from the traceback, cut at the frame running ``entry_code``.
    """
    found = _OP_IN_MESSAGE.search(str(err))
    if not found:
        return None
    entries = []
    tb = err.__traceback__
    while tb is not None:
        entries.append((tb.tb_frame.f_code, tb.tb_lasti))
        tb = tb.tb_next
    for i, (code, _) in enumerate(entries):
        if code is entry_code:
            return EagerOp(found.group(1), None, tuple(reversed(entries[i + 1:])))
    return None


class Recording:
    """What ``capture()`` returns: the recorded steps and the options they were taken with."""

    def __init__(self, target, *, steps="all", memory_budget: int | None = DEFAULT_MEMORY_BUDGET,
                 progress: Callable[[Step], None] | None = None):
        self.target = target
        self.steps: list[Step] = []
        self._select = StepSelector(steps)
        self._budget = ValueBudget(memory_budget)
        self._progress = progress
        self._capture = OpCapture(_ENTRY_CODE)
        self._hooks = _hooks_for(target, self)
        self._calls = 0
        self._open = False
        self.id: int | None = None        # set by events.register when the block starts
        self.finished = False

    @property
    def label(self) -> str:
        """What was captured: the model's class or the function's name."""
        return getattr(self.target, "__name__", None) or type(self.target).__name__

    # -- context manager -----------------------------------------------------------
    def __enter__(self) -> "Recording":
        if getattr(_active, "recording", None) is not None:
            raise RuntimeError(
                "eager_lab.capture() is already active in this thread; nested captures are "
                "not supported (leave the outer `with eager_lab.capture(...)` block first)")
        _active.recording = self
        try:
            self._capture.enable()
            self._hooks.install()
        except BaseException:
            self._capture.disable()
            _active.recording = None
            raise
        self._open = True
        self.finished = False
        events.register(self)
        events.emit("started", self)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self._hooks.restore()
        finally:
            self._capture.disable()
            self._capture.recording = False
            self._capture.tracing = False
            _active.recording = None
            self._open = False
            self.finished = True
            _set_last(self)
            events.emit("finished", self)

    def __call__(self, *args, **kwargs):
        """Run one step of a captured function (``capture(fn)``) and return its result."""
        if not isinstance(self._hooks, _FunctionHooks):
            raise TypeError("only a recording of a function is callable; "
                            "for a model, call model.fit / train_on_batch inside the block")
        if not self._open:
            with self:
                return self._hooks.call(args, kwargs)
        return self._hooks.call(args, kwargs)

    # -- one step ------------------------------------------------------------------
    def _run_step(self, graphs: _StepGraphs, step_fn, args, kwargs, element_spec=None,
                  owner=None):
        index = self._calls
        self._calls += 1
        specs = _signature(args, kwargs, element_spec)
        key = repr(specs)
        if not self._select(index):
            graph_index, error = graphs.index_for(key, specs, owner)
            if error is None:  # unrecorded steps run at graph speed
                return graphs.function(*args, **kwargs)
            return step_fn(*args, **kwargs)
        step = Step(index, signature=key)
        fallback_source = caller_user_frame(sys._getframe(1))
        capture = self._capture
        capture.take_eager_ops()
        capture.recording = True
        failure = None
        try:
            return _step_body(step_fn, args, kwargs)
        except BaseException as err:
            failure = err
            step.error = err
            raise
        finally:
            capture.recording = False
            ops = capture.take_eager_ops()
            if failure is not None:
                failing = _failing_op(failure)
                if failing is not None:
                    ops.append(failing)
            try:
                self._finish(step, ops, graphs, key, specs, owner, fallback_source)
            except Exception as err:  # noqa: BLE001 - never mask the user's step or error
                self._finish_unnamed(step, ops, fallback_source,
                                     f"eager_lab could not name this step: {type(err).__name__}: {err}")

    def _finish_unnamed(self, step, ops, fallback_source, reason) -> None:
        self._store(step, ops, None, None, reason, fallback_source)

    def _finish(self, step, ops, graphs, key, specs, owner, fallback_source) -> None:
        index, error = graphs.index_for(key, specs, owner)
        matches = match(ops, index) if index is not None else None
        self._store(step, ops, matches, index, error, fallback_source)

    def _store(self, step, ops, matches, index, error, fallback_source) -> None:
        records = []
        for op_index, op in enumerate(ops):
            m = matches[op_index] if matches is not None else None
            outputs = op.outputs if op.outputs is not None else (None,)
            for slot, tensor in enumerate(outputs):
                rec = TensorRecord(len(records), op_index, op.op_type, slot, tensor,
                                   op.stack, fallback_source)
                if m is None:
                    rec.unnamed_reason = error
                elif m.graph_op is None:
                    rec.unnamed_reason = m.reason
                else:
                    rec.op_name = m.graph_op.op_name
                    rec.graph = "/".join(m.graph_op.path) or None
                    if op.outputs is not None:
                        rec.name = f"{m.graph_op.op_name}:{slot}"
                    else:
                        rec.unnamed_reason = "the op failed before producing this output"
                if op.outputs is None:
                    rec.error = f"{type(step.error).__name__}: {step.error}"
                records.append(rec)
        step.tensors = records
        step.naming_error = error
        if index is not None:
            step._graph_only = lambda: [
                GraphOnlyTensor(f"{g.op_name}:{slot}", g.op_type, "/".join(g.path) or None, why)
                for g, why in graph_only(index, ops) for slot in range(len(g.dtypes))
            ]
        self.steps.append(step)
        self._budget.admit(step, self.steps)
        if self._progress is not None:
            self._progress(step)
        events.emit("step", self, step)

    def __repr__(self) -> str:
        return f"<eager_lab Recording of {type(self.target).__name__}: {len(self.steps)} step(s)>"


def _set_last(recording: Recording) -> None:
    import eager_lab
    eager_lab.last = recording


# -- hooks: how steps of each kind of target are intercepted ---------------------------
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


def _hooks_for(target, recording: Recording):
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

    def __init__(self, model, recording: Recording):
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

    def __init__(self, fn, recording: Recording):
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


def capture(target, *, steps: "str | int | Iterable[int] | Callable[[int], bool]" = "all",
            memory_budget: int | None = DEFAULT_MEMORY_BUDGET,
            progress: Callable[[Step], None] | None = None) -> Recording:
    """Record every intermediate tensor of eager training steps, named as in the graph.

    Args:
      target: a Keras 3 ``keras.Model`` (its ``train_step`` is captured in ``fit``,
        ``train_on_batch`` or direct calls), or a step function: a ``tf.function``
        (calls to it inside the block run eagerly and are recorded) or a Python callable
        (call the recording: ``rec(x, y)``).
      steps: which steps (0-based, counted from the start of the block) to record:
        ``"all"`` (default), an int (only that step), an iterable of ints
        (``range(0, 1000, 50)`` for every 50th), or a predicate ``lambda i: ...``.
        Steps not recorded run as the compiled graph, at graph speed.
      memory_budget: bytes of tensor values to keep, newest steps first (default
        512 MiB); older values are dropped to ``value=None``. Summaries are always kept.
        ``None`` keeps everything.
      progress: called with each recorded :class:`Step` as it completes.

    Returns:
      A :class:`Recording`; use it as a context manager.

    Raises:
      CaptureError: the target is not a Keras 3 model or callable.
      RuntimeError: a capture is already active in this thread.
    """
    return Recording(target, steps=steps, memory_budget=memory_budget, progress=progress)
