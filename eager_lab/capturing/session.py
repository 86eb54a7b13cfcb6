"""The ``capture()`` context manager: hooks a model (or a step function) and records steps.

Capture is invisible: on exit — normal, exception or KeyboardInterrupt — the model's
``run_eagerly``, ``jit_compile``, ``train_function`` and ``train_step`` are exactly what
they were, and nothing of eager_lab stays registered with TensorFlow.
"""
from __future__ import annotations

import contextlib
import functools
import re
import sys
import threading
import warnings
from typing import Callable, Iterable

from ..errors import EagerLabWarning
from ..naming.layers import LayerIndex
from ..record import events
from . import gc_freeze
from .callsite import caller_user_frame
from .hooks import CaptureError, _FunctionHooks, _hooks_for
from ..naming.names import call_sites, eager_sites, graph_only, match
from .op_capture import EagerOp, OpCapture
from ..record.records import GraphOnlyTensor, Replay, Step, TensorRecord
from .state import CreatedVariables, snapshot
from ..record.budget import StepSelector, ValueBudget
from ..naming.step_graphs import _ENTRY_CODE, _StepGraphs, _step_body, _signature
from ..compare.service import compare_step

__all__ = ["capture", "Recording", "CaptureError", "EagerLabWarning", "DEFAULT_MEMORY_BUDGET"]

DEFAULT_MEMORY_BUDGET = 512 * 2**20

_active = threading.local()


NEVER_STARTED = ("this recording was never started, so it records nothing: use it as a "
                 "context manager, `with eager_lab.capture(model) as rec: model.fit(...)`, "
                 "or call a captured step function through it, rec(x, y)")


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
            inner_first = reversed(entries[i + 1:])
            return EagerOp(found.group(1), None, tuple(x for pair in inner_first for x in pair))
    return None


class Recording:
    """What ``capture()`` returns: the recorded steps and the options they were taken with."""

    def __init__(self, target, *, steps="all", memory_budget: int | None = DEFAULT_MEMORY_BUDGET,
                 progress: Callable[[Step], None] | None = None, keep_state: bool = True,
                 summaries: str = "lazy"):
        if summaries not in ("lazy", "all"):
            raise ValueError(f"summaries must be 'lazy' (computed on first look) or 'all' "
                             f"(each computed before its value is freed); got {summaries!r}")
        self.target = target
        self.summaries = summaries
        self.keep_state = keep_state
        self._steps: list[Step] = []
        self._layer_indexes: dict = {}   # id(model) -> LayerIndex
        self._warned_unstarted = False
        self._used = False       # entered at least once (or called, for a function)
        self._calls_at_enter = self._steps_at_enter = 0
        self._select = StepSelector(steps)
        self._budget = ValueBudget(memory_budget, summarize_on_drop=summaries == "all")
        self._progress = progress
        self._capture = OpCapture(_ENTRY_CODE)
        self._hooks = _hooks_for(target, self)
        self._calls = 0
        self._open = False
        self.id: int | None = None        # set by events.register when the block starts
        self.finished = False
        #: steps="first_nonfinite": index of the step that went NaN/Inf (replayed, recorded)
        self.stopped_at: int | None = None
        self._guard = None
        #: ``keep()`` was called: a newer recording never releases this one's values.
        self.kept = False
        self._ready = True

    def keep(self) -> "Recording":
        """Keep this recording's values when a newer recording starts.

        By default a new capture releases the values of older recordings (their summaries
        stay) so that every recording together stays within the memory budget. Kept values
        still count against that budget: a newer capture then holds fewer of its own.
        Returns the recording, so ``rec = eager_lab.capture(m).keep()`` works too.
        """
        self.kept = True
        return self

    def release(self) -> None:
        """Free every value this recording holds now (summaries stay)."""
        self.kept = False
        self._budget.release_all("released")

    @property
    def label(self) -> str:
        """What was captured: the model's class or the function's name."""
        return getattr(self.target, "__name__", None) or type(self.target).__name__

    # -- context manager -----------------------------------------------------------
    def __enter__(self) -> "Recording":
        self._used = True
        if getattr(_active, "recording", None) is not None:
            raise RuntimeError(
                "eager_lab.capture() is already active in this thread; nested captures are "
                "not supported (leave the outer `with eager_lab.capture(...)` block first)")
        _active.recording = self
        try:
            self._capture.enable()
            self._hooks.install()
            events.register(self)
        except BaseException:
            # Undo everything this call set, so the thread (and the process-wide
            # functions_run_eagerly) are as they were.
            try:
                self._hooks.restore()
            finally:
                self._capture.disable()
                _active.recording = None
            raise
        gc_freeze.enter()
        self._open = True
        self.finished = False
        self._calls_at_enter, self._steps_at_enter = self._calls, len(self._steps)
        events.emit("started", self)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self._hooks.restore()
        finally:
            gc_freeze.leave()
            self._capture.disable()
            self._capture.recording = False
            self._capture.tracing = False
            _active.recording = None
            self._open = False
            self.finished = True
            _set_last(self)
            events.emit("finished", self)
        if exc_type is None and len(self._steps) == self._steps_at_enter:
            why = self._why_nothing_recorded()
            if why is not None:
                warnings.warn(f"eager_lab.capture() recorded no step: {why}",
                              EagerLabWarning, stacklevel=2)

    def _why_nothing_recorded(self) -> str | None:
        """Why a block ended without a recorded step, or None when that is expected."""
        ran = self._calls - self._calls_at_enter
        if ran:
            if self._select.first_nonfinite:
                return None   # every step was finite: nothing to replay
            return (f"{ran} step(s) ran, and steps={self._select.spec!r} selected none "
                    "(steps count from 0 at the start of the block)")
        if isinstance(self._hooks, _FunctionHooks):
            name = getattr(self.target, "__name__", "the function")
            if self._hooks.is_tf_function:
                return f"{name} was not called inside the block"
            return (f"{name} is a plain Python function: calling it directly is not seen "
                    f"by eager_lab. Call the recording instead, rec(...), or make {name} a "
                    "tf.function")
        return (f"no train step of this {type(self.target).__name__} ran inside the block "
                "(eager_lab records the steps of model.fit and model.train_on_batch; "
                "evaluate and predict run no train step)")

    @property
    def steps(self) -> list[Step]:
        """The recorded steps, in order."""
        if not self._used and not self._warned_unstarted:
            self._warned_unstarted = True
            warnings.warn(NEVER_STARTED, EagerLabWarning, stacklevel=2)
        return self._steps

    def __del__(self):
        if (getattr(self, "_ready", False) and not self._used
                and not self._warned_unstarted):
            with contextlib.suppress(Exception):   # interpreter shutdown
                warnings.warn(NEVER_STARTED, EagerLabWarning, stacklevel=1)

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
        fallback_source = caller_user_frame(sys._getframe(1))
        if self._select(index):
            return self._record_step(index, graphs, step_fn, args, kwargs, specs, key, owner,
                                     fallback_source)
        graph_index, error = graphs.index_for(key, specs, owner)
        if error is not None:  # no graph to run: run the step as it is, unrecorded
            return step_fn(*args, **kwargs)
        if not self._select.first_nonfinite or self.stopped_at is not None:
            return graphs.function(*args, **kwargs)  # unrecorded steps run at graph speed
        guard = self._guard_for(graphs, key, specs)
        outputs, finite = guard.run(args, kwargs)
        if finite:
            return outputs
        # The first step with NaN/Inf: undo it and replay it eagerly, recorded.
        guard.restore()
        self.stopped_at = index
        if owner is not None and hasattr(owner, "stop_training"):
            owner.stop_training = True  # Keras' fit ends after this batch
        return self._record_step(index, graphs, step_fn, args, kwargs, specs, key, owner,
                                 fallback_source)

    def _guard_for(self, graphs, key, specs):
        if self._guard is None:
            # Kept on the (per-model, cached) step graphs: building the guard traces the
            # step again, which a notebook capturing the same model often must not repeat.
            from .guard import NonFiniteGuard
            variables = self._hooks.state_variables(graphs, key, specs)
            guard = getattr(graphs, "guard", None)
            if guard is None or [id(v) for v in guard.variables] != [id(v) for v in variables]:
                guard = graphs.guard = NonFiniteGuard(variables, graphs.python_function)
            self._guard = guard
        return self._guard

    def _record_step(self, index, graphs, step_fn, args, kwargs, specs, key, owner,
                     fallback_source):
        self._budget.make_room()
        step = Step(index, signature=key, _compare=compare_step,
                    _layer_index=self._layer_index(owner))
        step._replay = self._replay_for(graphs, args, kwargs, specs, key, owner)
        capture = self._capture
        capture.take_eager_ops()
        created = CreatedVariables(capture.paused)
        capture.recording = True
        failure = None
        try:
            with created:
                return _step_body(step_fn, args, kwargs)
        except BaseException as err:
            failure = err
            step.error = err
            raise
        finally:
            capture.recording = False
            if created.variables or created.failed:
                self._hooks.variables_created()
            _complete_state(step._replay, created)
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
            del ops
            gc_freeze.step_recorded()

    def _layer_index(self, owner):
        """The model's layers by name (which layer made a tensor), built once per model."""
        key = id(owner)
        if key not in self._layer_indexes:
            self._layer_indexes[key] = LayerIndex(owner)
        return self._layer_indexes[key]

    def _replay_for(self, graphs, args, kwargs, specs, key, owner) -> Replay | None:
        """What ``step.compare()`` needs: the inputs and the variable state before the step."""
        if not self.keep_state:
            return None
        try:
            variables = self._hooks.state_variables(graphs, key, specs)
            return Replay(graphs.python_function, specs, args, kwargs, snapshot(variables), owner,
                          traced=functools.partial(graphs.concrete.get, key))
        except Exception as err:  # noqa: BLE001 - comparing is optional; recording is not
            return Replay(graphs.python_function, specs, args, kwargs, None, owner,
                          f"the state before the step could not be saved: {err}")

    def _finish_unnamed(self, step, ops, fallback_source, reason) -> None:
        self._store(step, ops, None, None, reason, fallback_source)

    def _finish(self, step, ops, graphs, key, specs, owner, fallback_source) -> None:
        index, error = graphs.index_for(key, specs, owner)
        sites = call_sites(ops) if index is not None else None
        matches = match(ops, index, sites) if index is not None else None
        self._store(step, ops, matches, index, error, fallback_source, sites)

    def _store(self, step, ops, matches, index, error, fallback_source, sites=None) -> None:
        records = []
        # Which row produced each tensor an op consumed. Exact: every output is held
        # from its op until the step ends, so no other object can share its id meanwhile.
        producer: dict[int, int] = {}
        for op_index, op in enumerate(ops):
            m = matches[op_index] if matches is not None else None
            outputs = op.outputs if op.outputs is not None else (None,)
            inputs = tuple(producer[i] for i in op.input_ids if i in producer)
            for slot, tensor in enumerate(outputs):
                rec = TensorRecord(len(records), op_index, op.op_type, slot, tensor,
                                   op.stack, fallback_source)
                rec.inputs = inputs
                if tensor is not None:
                    producer[id(tensor)] = rec.index
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
            # Computed on first use, from the call sites only: a closure over `ops` would
            # keep every eager output alive after the budget dropped its value.
            seen = eager_sites(ops, sites)
            step._graph_only = lambda: [
                GraphOnlyTensor(f"{g.op_name}:{slot}", g.op_type, "/".join(g.path) or None, why)
                for g, why in graph_only(index, seen) for slot in range(len(g.dtypes))
            ]
        self._steps.append(step)
        self._budget.admit(step)
        if self._progress is not None:
            self._progress(step)
        events.emit("step", self, step)

    def trend(self, name: str) -> dict[str, list]:
        """How one tensor evolved over the recorded steps (first occurrence per step).

        Returns ``{"step": [...], "mean": [...], "std": [...], "max_abs": [...],
        "nan": [...], "inf": [...]}``: exploding or vanishing gradients show at a glance.
        A step whose value of ``name`` was freed before anything summarized it has no
        point (``capture(..., summaries="all")`` keeps one for every step).
        Raises KeyError (with the closest names) when no recorded step has ``name``.
        """
        series = self.trends([name]).get(name)
        if series is None:
            if not self.steps:
                raise KeyError(f"no step recorded, so no trend for {name!r}")
            self.steps[-1][name]  # raises KeyError naming the closest names
            return {k: [] for k in _TREND_KEYS}   # every value freed unread: no point
        return series

    def trends(self, names: "Iterable[str] | None" = None) -> dict[str, dict[str, list]]:
        """:meth:`trend` of many names at once (default: every name, in order of first
        appearance), in one pass over the steps rather than one per name."""
        firsts = []
        for step in self.steps:
            first: dict = {}
            for t in step.tensors:
                if t.name is not None and t.name not in first:
                    first[t.name] = t
            firsts.append((step.index, first))
        if names is None:
            names = list(dict.fromkeys(n for _, first in firsts for n in first))
        out: dict[str, dict[str, list]] = {}
        for name in names:
            series: dict[str, list] = {k: [] for k in _TREND_KEYS}
            for index, first in firsts:
                tensor = first.get(name)
                if tensor is None:
                    continue
                s = tensor.summary
                if not s.known:   # freed unread: no point rather than a made-up one
                    continue
                series["step"].append(index)
                series["mean"].append(s.mean)
                series["std"].append(s.std)
                series["max_abs"].append(None if s.min is None
                                         else max(abs(s.min), abs(s.max)))
                series["nan"].append(s.nan)
                series["inf"].append(s.inf)
            if series["step"]:
                out[name] = series
        return out

    def __repr__(self) -> str:
        if self.id is None:
            return (f"<eager_lab Recording of {type(self.target).__name__}: not started "
                    "(use it as `with eager_lab.capture(...) as rec:`)>")
        return f"<eager_lab Recording of {type(self.target).__name__}: {len(self._steps)} step(s)>"


_TREND_KEYS = ("step", "mean", "std", "max_abs", "nan", "inf")


def _complete_state(replay: Replay | None, created: CreatedVariables) -> None:
    """Add the variables the step created to its saved state, or say why it is incomplete."""
    if replay is None or replay.state is None:
        return
    if created.failed:
        replay.drop("the state before this step is incomplete: the step created variables "
                    f"whose initial values could not be read ({', '.join(created.failed[:3])})")
    else:
        replay.state.add_created(created)


def _set_last(recording: Recording) -> None:
    events.last = recording


def capture(target, *, steps: "str | int | Iterable[int] | Callable[[int], bool]" = "all",
            memory_budget: int | None = DEFAULT_MEMORY_BUDGET,
            progress: Callable[[Step], None] | None = None,
            keep_state: bool = True, summaries: str = "lazy") -> Recording:
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
        ``"first_nonfinite"`` runs every step as the graph and watches its outputs and
        variables; the first step that produces NaN/Inf is undone, replayed eagerly from
        its starting state with the same batch, recorded, and training stops
        (``model.stop_training``; ``rec.stopped_at`` is its index).
      memory_budget: bytes of tensor values to keep, newest steps first (default
        512 MiB); older values are dropped to ``value=None``, keeping the summaries
        computed so far. ``None`` keeps everything. A tensor larger than the whole budget
        is summarized when its step ends and not kept.
      progress: called with each recorded :class:`Step` as it completes.
      keep_state: save the variables before each recorded step (a copy of the model's
        state, counted in ``memory_budget``) so ``step.compare()`` can replay it as a
        graph. ``False`` saves memory and time on big models.
      summaries: ``"lazy"`` (default): a tensor's summary (min, max, μ, σ, NaN/Inf
        counts, histogram) is computed the first time anything reads it — the panel, the
        cell table, ``t.summary``, ``trend()`` — never while training runs; a value the
        budget frees before that has an unknown summary. ``"all"``: every summary is
        computed before its value is freed, so trends and NaN/Inf checks cover every
        recorded step (costs about a third of a step of the reference conv net per step
        whose values are freed).

    Returns:
      A :class:`Recording`; use it as a context manager.

    Raises:
      CaptureError: the target is not a Keras 3 model or callable.
      RuntimeError: a capture is already active in this thread.
    """
    return Recording(target, steps=steps, memory_budget=memory_budget, progress=progress,
                     keep_state=keep_state, summaries=summaries)
