"""Records: what a captured step holds, tensor by tensor."""
from __future__ import annotations

import difflib
import math
import linecache
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import compat
from ..errors import EagerLabWarning, control_flow_hint, first_line
from ..capturing.callsite import Frame, user_frame
from .summary import Summary, summarize


@dataclass(frozen=True)
class Source:
    """Where user code created a tensor.

    ``cell`` is the notebook execution count and ``cell_id`` the notebook cell's id (the
    frontend's ``cell.model.id``, which ipykernel receives with each execution): the id
    finds the cell after re-runs, restarts and reloads, where counts repeat.
    """

    file: str
    line: int
    function: str
    cell: int | None = None
    cell_id: str | None = None

    @property
    def code(self) -> str:
        return linecache.getline(self.file, self.line).strip()

    def __str__(self) -> str:
        where = f"cell {self.cell}" if self.cell is not None else self.file
        return f"{where}:{self.line} in {self.function}"

    def to_json(self) -> dict:
        return {"file": self.file, "line": self.line, "function": self.function,
                "cell": self.cell, "cell_id": self.cell_id, "code": self.code}


def _cell_number(filename: str) -> int | None:
    """The execution count of an IPython cell's pseudo-file, when running under IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return None
    return compat.ipython_cell_numbers(get_ipython()).get(filename)


def source_of(frame: Frame | None) -> Source | None:
    if frame is None:
        return None
    from ..capturing.cell_ids import cell_id
    count = _cell_number(frame.filename)
    return Source(frame.filename, frame.line, frame.function, count, cell_id(count))


class TensorRecord:
    """One output of one eager op of a step.

    ``name`` is the graph tensor name (``"mul_1:0"``) or None, with ``unnamed_reason``.
    ``value`` is a read-only numpy array (``.copy()`` it to modify), or None once the
    memory budget dropped it; ``summary`` is always kept.
    """

    __slots__ = ("index", "op_index", "op_type", "op_name", "slot", "name", "graph",
                 "unnamed_reason", "shape", "dtype", "nbytes", "_tensor", "_value",
                 "_summary", "_stack", "_fallback_source", "_source", "error", "inputs",
                 "_gone")

    def __init__(self, index, op_index, op_type, slot, tensor, stack, fallback_source):
        self.index = index
        self.op_index = op_index
        self.op_type = op_type
        self.slot = slot
        self.op_name: str | None = None
        self.name: str | None = None
        self.graph: str | None = None
        self.unnamed_reason: str | None = None
        self.error: str | None = None
        self.inputs: tuple = ()          # row indices of the step's tensors this op consumed
        if tensor is not None:
            self.shape = shape = compat.eager_shape(tensor)
            self.dtype, itemsize = _dtype_facts(tensor.dtype)
            self.nbytes = math.prod(shape) * itemsize
        else:
            self.shape = self.dtype = None
            self.nbytes = 0
        self._tensor = tensor
        self._value = None
        self._summary: Summary | None = None
        self._stack = stack
        self._fallback_source = fallback_source
        self._source = False
        self._gone: str | None = None    # a key of VALUE_GONE once the value is freed

    # -- naming --------------------------------------------------------------------
    @property
    def scope(self) -> str | None:
        """Name scope of the graph op (``sequential/dense``), '' at the top, None if unnamed."""
        if self.op_name is None:
            return None
        return self.op_name.rpartition("/")[0]

    # -- values --------------------------------------------------------------------
    @property
    def value(self) -> np.ndarray | None:
        # Read each field once: the panel's requests run in another thread (a kernel
        # subshell) while the budget may drop this value.
        value, tensor = self._value, self._tensor
        if value is None and tensor is not None:
            value = _to_numpy(tensor)
            if self._tensor is tensor:
                self._value = value
        return value

    @property
    def has_value(self) -> bool:
        return self._tensor is not None or self._value is not None

    def drop_value(self, why: str = "memory_budget") -> None:
        """Free the value. A summary computed before stays; none is computed here.

        Dropping happens while training runs (the budget makes room for the next step):
        summarizing there cost a third of a step. A value freed before anything looked at
        it keeps dtype and shape, and its summary says the statistics are unknown
        (``capture(..., summaries="all")`` computes every summary before its value goes).
        ``why`` is a key of :data:`VALUE_GONE`; :attr:`why_no_value` says it in words.
        """
        if not self.has_value:
            return
        # Why first: a reader in another thread (the panel's) that finds no value then
        # finds the reason, never a value-less record with no reason.
        self._gone = why
        self._tensor = None
        self._value = None

    @property
    def why_no_value(self) -> str | None:
        """Why :attr:`value` is None, in words; None while the value is held."""
        gone = self._gone
        if gone is not None:
            summary = self._summary
            if gone == "larger_than_budget":
                return VALUE_GONE[gone]
            if summary is not None and summary.known:
                return f"{VALUE_GONE[gone]}; the summary is kept"
            return f"{VALUE_GONE[gone]}; {FREED_UNREAD}"
        if self._tensor is not None or self._value is not None:
            return None
        if self.error is not None and self.shape is None:
            return "the op raised before producing this output"
        if self.dtype in ("resource", "variant", "string"):
            return f"it has no numeric value (dtype {self.dtype})"
        return "its value could not be read back from the device"

    @property
    def summary(self) -> Summary:
        """Statistics of the value, computed on first use and kept after the value goes.

        ``summary.unknown`` says why there are none when the value was freed unread.
        """
        summary = self._summary
        if summary is None:
            value = self.value
            gone = self._gone
            if value is None and gone is not None:
                # Freed unread (maybe by another thread while this ran): unknown, unless
                # a summary was computed meanwhile.
                if self._summary is not None:
                    return self._summary
                shape = self.shape or ()
                summary = Summary(dtype=self.dtype or "?", shape=shape,
                                  size=math.prod(shape),
                                  unknown=f"{VALUE_GONE[gone]}; {FREED_UNREAD}")
            else:
                summary = summarize(value, self.dtype or "?", self.shape or ())
            self._summary = summary
        return summary

    # -- source --------------------------------------------------------------------
    @property
    def source(self) -> Source | None:
        if self._source is False:
            frame = user_frame(self._stack) if self._stack else None
            self._source = source_of(frame or self._fallback_source)
        return self._source

    def __repr__(self) -> str:
        label = self.name or f"<unnamed {self.op_type}>"
        return f"TensorRecord({label} {self.summary.line()})"

    def to_json(self) -> dict:
        return {
            "index": self.index, "name": self.name, "unnamed_reason": self.unnamed_reason,
            "op_type": self.op_type, "op_name": self.op_name, "slot": self.slot,
            "graph": self.graph, "scope": self.scope,
            "shape": list(self.shape) if self.shape is not None else None,
            "dtype": self.dtype, "summary": self.summary.to_json(),
            "source": self.source.to_json() if self.source else None,
            "error": self.error, "has_value": self.has_value, "inputs": list(self.inputs),
        }


FREED_UNREAD = ("it was freed before anything summarized it (summaries are computed on "
                "first look; capture(..., summaries=\"all\") computes each one before its "
                "value is freed)")

_DTYPE_FACTS: dict = {}


def _dtype_facts(dtype) -> tuple[str, int]:
    """(name, bytes per element counted): handles (variables, datasets) are owned
    elsewhere, so they count 0 — no value of ours to hold."""
    facts = _DTYPE_FACTS.get(dtype)
    if facts is None:
        name = dtype.name
        facts = _DTYPE_FACTS[dtype] = (name, 0 if name in ("resource", "variant") else dtype.size)
    return facts


#: Why a value was freed, by the key ``TensorRecord.drop_value`` got.
VALUE_GONE = {
    "memory_budget": ("dropped by the memory budget to make room for newer steps "
                      "(capture(..., memory_budget=...) sets it)"),
    "newer_recording": ("released when a newer recording needed the memory budget "
                        "(call rec.keep() on a recording to keep its values)"),
    "released": "released by rec.release()",
    "larger_than_budget": ("larger than the whole memory budget, so never kept (raise "
                           "capture(..., memory_budget=...) to keep it); its summary was "
                           "computed when the step ended"),
}


def _to_numpy(tensor) -> np.ndarray | None:
    if tensor.dtype.name in ("resource", "variant"):
        return None
    try:
        array = compat.host_view(tensor)
    except Exception:  # noqa: BLE001 - e.g. a tensor on a device without host copy
        return None
    if array.dtype.kind == "V":  # bfloat16 and other ml_dtypes: summarize as float32
        array = array.astype(np.float32)
    return array


@dataclass
class GraphOnlyTensor:
    """A tensor of the graph with no eager twin in this step (filled in by a graph run)."""

    name: str
    op_type: str
    graph: str | None
    reason: str


@dataclass
class Replay:
    """How to run a recorded step again: its function, inputs and the state before it."""

    python_function: Callable
    specs: tuple
    args: tuple
    kwargs: dict
    state: object            # state.Snapshot, or None once dropped by the memory budget
    owner: object = None     # the model, whose plain Python attributes a trace may change
    why_not: str | None = None
    # () -> the ConcreteFunction eager_lab traced for names with this step's signature
    # (or None): compare() runs that graph rather than tracing the step again.
    traced: "Callable | None" = None

    @property
    def nbytes(self) -> int:
        """Bytes this replay keeps alive: the saved state and the input batch."""
        if self.state is None:
            return 0
        return self.state.nbytes + _nbytes_of((self.args, self.kwargs))

    def drop(self, why: str) -> int:
        """Free the state and the inputs (the step can no longer be compared); bytes freed."""
        freed = self.nbytes
        if self.state is not None:
            self.state = None
            self.why_not = why
        self.args, self.kwargs = (), {}
        return freed


def _nbytes_of(structure) -> int:
    import tensorflow as tf
    total = 0
    for leaf in tf.nest.flatten(structure):
        size = getattr(leaf, "nbytes", None)
        if isinstance(size, int):
            total += size
        elif isinstance(leaf, tf.Tensor) and leaf.shape.is_fully_defined():
            total += leaf.shape.num_elements() * leaf.dtype.size
    return total


class GraphRunError(RuntimeError):
    """The step runs eagerly but not as a graph: that is the eager-vs-graph difference.

    ``source`` is the line of user code that failed while tracing or running, when the
    traceback has one; ``__cause__`` is TensorFlow's own error.
    """

    def __init__(self, index: int, err: BaseException):
        self.source = _user_source(err)
        # Python control flow on a tensor is the usual reason (Keras traces train_step
        # without autograph); anything else is the graph refusing the step as written.
        self.cause = "control-flow" if control_flow_hint(err) else "python-value"
        where = f" at {self.source}: {self.source.code}" if self.source else ""
        super().__init__(f"cannot compare step {index}: it runs eagerly but not as a graph "
                         f"({type(err).__name__}{where}): {first_line(err, 300)}".rstrip(": ")
                         + control_flow_hint(err))


def _user_source(err: BaseException) -> "Source | None":
    """The innermost frame of user code in ``err``'s traceback."""
    from ..capturing.callsite import Frame, is_user_code
    tb, found = err.__traceback__, None
    while tb is not None:
        code = tb.tb_frame.f_code
        if is_user_code(code) and "__autograph_generated" not in code.co_filename:
            found = Frame(code.co_filename, code.co_name, tb.tb_lineno)
        tb = tb.tb_next
    return source_of(found)


@dataclass
class Step:
    """One ``train_step`` call: its tensors in execution order."""

    index: int
    tensors: list[TensorRecord] = field(default_factory=list)
    error: BaseException | None = None
    naming_error: str | None = None
    signature: str | None = None
    # Computed on first use: most steps are never asked (costs ~2 ms per step).
    _graph_only: "list[GraphOnlyTensor] | Callable[[], list[GraphOnlyTensor]]" = field(
        default_factory=list, repr=False)
    _replay: "Replay | None" = field(default=None, repr=False)
    #: The latest :meth:`compare` result (the panel shows it without running it again).
    comparison: object = field(default=None, repr=False)
    #: The latest ``compare(jit_compile=True)`` result (eager against XLA).
    xla_comparison: object = field(default=None, repr=False)
    #: While compare() runs: ``{"mode", "stage", "elapsed"}`` (the panel shows it).
    compare_progress: "dict | None" = field(default=None, repr=False)
    # naming.layers.LayerIndex of the model the step trained (None: not a Keras model).
    _layer_index: object = field(default=None, repr=False)
    # The compare stage's service (eager_lab.compare.service.compare_step), handed over by
    # the capture that recorded the step: this module stays plain data.
    _compare: "Callable | None" = field(default=None, repr=False)

    def compare(self, tolerances: "dict[str, tuple[float, float]] | None" = None, *,
                jit_compile: bool = False):
        """Run this step again as a graph from the same starting state; compare tensors.

        Every diverging row gets a ``cause`` (docs/compare.md); ``first_divergence`` is
        the first real one (not optimisation noise, not propagated).

        Args:
          tolerances: ``{dtype name: (rtol, atol)}`` overriding
            :data:`eager_lab.compare.diff.DEFAULT_TOLERANCES` (integers compare exactly).
          jit_compile: compare against the step compiled with XLA instead (what XLA
            exposes: outputs, gradients, variables after the update), and narrow a
            difference to the first layer whose XLA forward/backward differs.

        Returns:
          A :class:`eager_lab.compare.diff.Comparison`. The variables are put back afterwards.

        Raises:
          RuntimeError: the state before the step was not kept (``keep_state=False``,
            or dropped by the memory budget).
          GraphRunError: (a RuntimeError) the step cannot be traced or run as a graph,
            e.g. ``if loss > 0:`` in a Keras ``train_step`` (no autograph there); the
            message names the failing line of user code.
        """
        if self._compare is None:
            raise RuntimeError(f"cannot compare step {self.index}: it was not recorded by "
                               "capture(), so there is no train step to replay as a graph")
        return self._compare(self, tolerances, jit_compile=jit_compile)

    def layer_of(self, tensor: "TensorRecord") -> str | None:
        """The Keras layer that made ``tensor`` (``path/to/layer (Class)``), or None.

        Read from its graph name's scopes: with Keras' default ``train_step`` every
        tensor's source line is the user's ``fit`` call, the layer says where inside.
        """
        return self._layer_index.layer_of(tensor.name) if self._layer_index is not None else None

    @property
    def graph_only(self) -> list[GraphOnlyTensor]:
        """Graph tensors with no eager twin in this step, each with the reason."""
        if callable(self._graph_only):
            self._graph_only = self._graph_only()
        return self._graph_only

    def __getitem__(self, name: str) -> TensorRecord:
        """The first tensor named ``name`` (a loop body's tensor repeats per iteration)."""
        for t in self.tensors:
            if t.name == name:
                return t
        names = sorted({t.name for t in self.tensors if t.name})
        close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise KeyError(f"no tensor named {name!r} in step {self.index}{hint}")

    def __contains__(self, name: str) -> bool:
        return any(t.name == name for t in self.tensors)

    def find(self, name: str) -> list[TensorRecord]:
        """Every tensor named ``name`` (one per loop iteration for a loop body's tensor)."""
        return [t for t in self.tensors if t.name == name]

    def first_nonfinite(self) -> TensorRecord | None:
        """The first tensor, in execution order, holding NaN or Inf.

        Tensors whose values were freed before anything summarized them cannot be
        checked: when such a tensor comes before the answer (or there is no answer), an
        EagerLabWarning says how many.
        """
        unknown = 0
        found = None
        for t in self.tensors:
            summary = t.summary
            if not summary.known:
                unknown += 1
            elif not summary.finite:
                found = t
                break
        if unknown:
            warnings.warn(
                f"step {self.index}: {unknown} tensor(s) before "
                f"{'the first NaN/Inf' if found else 'the end of the step'} were freed by "
                "the memory budget before they were summarized, so NaN/Inf in them is "
                "unknown (capture(..., summaries=\"all\") summarizes every tensor)",
                EagerLabWarning, stacklevel=2)
        return found

    @property
    def nbytes_held(self) -> int:
        return sum(t.nbytes for t in self.tensors if t.has_value)

    def __repr__(self) -> str:
        named = sum(t.name is not None for t in self.tensors)
        err = f", error={type(self.error).__name__}" if self.error else ""
        return f"Step({self.index}, {len(self.tensors)} tensors, {named} named{err})"
