"""``%%eager_debug`` without a model: name the eager ops of a plain TensorFlow cell.

A cell is run twice, and both runs must report the same call sites for the same ops:

* **Eager run.** The cell runs once, normally, through ``shell.run_cell``: printing,
  the displayed result, tracebacks are IPython's own. Every eager op is recorded with its
  stack cut at IPython's ``run_code`` frame. ``run_code`` ``exec``\\ s each piece of the
  cell directly, so every stack starts at the cell's ``<module>`` frame.
* **Trace.** The same transformed source, compiled with the *same file name* IPython gave
  the cell, is ``exec``\\ d inside a ``tf.function`` (autograph off) through session's
  step boundary (``_StepGraphs``). The frames between that boundary and the cell's
  ``<module>`` frame belong to eager_lab, and call sites drop eager_lab's frames.

Module code is named ``<module>`` in both runs and its lines are the cell's lines, so the
frames are equal as ``(file, function, line)``; functions defined in the cell are
re-defined from the same source and match too. No code object needs renaming, and it
does not matter that IPython compiles each top-level statement as its own code object
while the trace compiles the cell as one: call sites compare frames, not code objects.

The trace re-runs the cell's Python code, so it is fenced in: it runs in a copy of the
namespace (the notebook's names are restored afterwards), its printing and displays are
dropped, and creating a ``tf.Variable`` stops it (creating it again would be a second
variable). When the trace stops, the ops built so far keep their names; the rest stay
unnamed with the reason.
"""
from __future__ import annotations

import contextlib

import tensorflow as tf

from .. import compat
from ..errors import describe
from ..record import events
from ..capturing.callsite import frames_of, line_of
from ..capturing.op_capture import OpCapture
from ..record.records import Step
from ..capturing.session import DEFAULT_MEMORY_BUDGET, Recording, _ENTRY_CODE, _StepGraphs, _failing_op

# IPython's run_code execs each piece of a cell: the frame right above the cell's code.
# The base class's: a shell subclass that overrides run_code still ends up calling it.
_RUN_CODE = compat.IPYTHON_RUN_CODE

VARIABLES_REASON = "the cell creates tf.Variables; tracing it again would create them twice"
NOT_TRACED_REASON = "not traced (--no-trace): the cell was only run eagerly"
#: Eager ops recorded per cell; a cell running more (a training loop) is recorded in part.
MAX_CELL_OPS = 10_000
TOO_MANY_OPS_REASON = ("not traced: the cell ran more than {max_ops} eager ops (a training "
                       "loop?); only the first were recorded. Capture the step instead: "
                       "%%eager_debug model, or eager_lab.capture(step_fn)")


class _CellCreatesVariables(Exception):
    """Raised inside the trace when the cell creates a variable (see VARIABLES_REASON)."""


def _refuse_variables(next_creator, **kwargs):
    del next_creator, kwargs
    raise _CellCreatesVariables(VARIABLES_REASON)


class _CellTrace:
    """The traced function: runs the cell's code in a scratch namespace.

    An exception inside the cell does not abort the trace: the graph built up to that
    point is kept, so the ops before it can still be named. ``stopped`` keeps the error.
    """

    def __init__(self, code, namespace: dict):
        self.code = code
        self.namespace = namespace
        self.stopped: BaseException | None = None

    def __call__(self):
        try:
            with tf.variable_creator_scope(_refuse_variables):
                exec(self.code, self.namespace)  # noqa: S102 - the user's own cell
        except Exception as err:  # noqa: BLE001 - any error ends the trace, not the capture
            self.stopped = err
        return None


class _NoTrace:
    """Stands in for _StepGraphs when the cell is not traced; ``reason`` says why."""

    def __init__(self, reason: str | None):
        self.reason = reason

    def index_for(self, key, specs, quiet_owner=None):
        return None, self.reason


class _CellOpCapture(OpCapture):
    """The cell's eager ops, at most ``max_ops`` of them.

    A training loop in a cell would otherwise keep every output of every iteration alive
    until the cell ends (the value budget applies only once the step is complete), and
    tracing it would unroll the whole loop. Past the limit, ops are only counted.
    """

    def __init__(self, entry_code, max_ops: int):
        super().__init__(entry_code)
        self.max_ops = max_ops
        self.skipped = 0

    def callback(self, op_type, inputs, attrs, outputs, op_name=None, graph=None):
        if graph is None and self.recording and len(self.eager_ops) >= self.max_ops:
            self.skipped += 1
            return outputs
        return super().callback(op_type, inputs, attrs, outputs, op_name=op_name, graph=graph)


class CellRecording(Recording):
    """The recording of one ``%%eager_debug`` cell: one step, the cell's eager ops."""

    def __init__(self, label: str, memory_budget: int | None):
        super().__init__(_no_step, memory_budget=memory_budget)
        self._used = True    # started by run_cell, not by `with`
        self.cell_label = label
        self.skipped_ops = 0   # eager ops past MAX_CELL_OPS, counted but not recorded

    def __repr__(self) -> str:
        return f"<eager_lab Recording of {self.cell_label}: {len(self.steps)} step(s)>"

    @property
    def label(self) -> str:
        return self.cell_label


def _no_step():  # the target Recording requires; a cell recording is never called
    raise TypeError("a cell recording cannot be called")


@contextlib.contextmanager
def _quiet_display(shell):
    """Drop ``display()`` output while tracing (stdout/stderr are already redirected)."""
    pub = shell.display_pub
    saved = vars(pub).get("publish")
    pub.publish = lambda *args, **kwargs: None
    try:
        yield
    finally:
        if saved is None:
            del pub.publish
        else:
            pub.publish = saved


def _scratch(namespace: dict) -> dict:
    """The namespace the trace runs in: a copy, with plain lists/dicts/sets copied too.

    ``losses.append(loss)`` in a cell is common; run again by the trace it would append a
    symbolic tensor to the user's list. Deeper mutations (an object's attributes, nested
    containers) are not fenced in: ``--no-trace`` is for cells where that matters.
    """
    scratch = dict(namespace)
    for name, value in namespace.items():
        if type(value) in (list, dict, set) and not name.startswith("_"):
            scratch[name] = type(value)(value)
    return scratch


def _restore_namespace(namespace: dict, snapshot: dict) -> None:
    """Undo whatever the trace bound in the notebook namespace (e.g. through a magic)."""
    for name in [n for n in namespace if n not in snapshot]:
        del namespace[name]
    for name, value in snapshot.items():
        if namespace.get(name, snapshot) is not value:
            namespace[name] = value


def run_nested(shell, source: str):
    """``shell.run_cell(source)`` from inside a running cell, under the cell's own number.

    IPython compiles a cell under ``shell.execution_count``, which the outer cell has
    already advanced past itself: a nested run would be "In[6]" in cell 5 (tracebacks,
    and the ``cell N`` of tensor sources). The compiler's ``cache`` is given the outer
    cell's number for the duration of the run.
    """
    compiler = shell.compile
    outer = shell.execution_count - 1       # what IPython's displayhook calls Out[...]
    own = vars(compiler).get("cache")
    original = compiler.cache

    def cache(transformed_code, number=0, raw_code=None):
        if number == outer + 1:
            number = outer
        return original(transformed_code, number, raw_code=raw_code)

    compiler.cache = cache
    try:
        return shell.run_cell(source, store_history=False)
    finally:
        if own is None:
            del compiler.cache
        else:
            compiler.cache = own


def _module_line(stack, cell_file: str) -> int | None:
    """Line of the cell's ``<module>`` frame in a raw stack (innermost first)."""
    for code, lasti in reversed(list(frames_of(stack))):
        if code.co_filename == cell_file and code.co_name == "<module>":
            return line_of(code, lasti)
    return None


def _stop_reason(err: BaseException, cell_file: str) -> tuple[str, int | None]:
    """Why and at which cell line the trace stopped."""
    line = None
    tb = err.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == cell_file and code.co_name == "<module>":
            line = tb.tb_lineno
            break
        tb = tb.tb_next
    if isinstance(err, _CellCreatesVariables):
        return VARIABLES_REASON, line
    where = f" at line {line}" if line is not None else ""
    return f"tracing the cell stopped{where}: {describe(err)}", line


def run_cell(shell, source: str, *, trace: bool = True,
             memory_budget: int | None = DEFAULT_MEMORY_BUDGET, label: str = "cell",
             max_ops: int = MAX_CELL_OPS):
    """Run ``source`` as a cell, recording its eager ops, then name them by tracing it.

    Returns ``(execution_result, recording)``; the recording is also ``eager_lab.last``.
    Naming never hides the cell's own outcome: if it fails, the tensors stay unnamed.
    """

    recording = CellRecording(label, memory_budget)
    events.register(recording)   # an id before any push names it (the panel needs one)
    events.emit("started", recording)
    before = dict(shell.user_ns)
    eager = _CellOpCapture(_RUN_CODE, max_ops)
    eager.recording = True
    eager.enable()
    try:
        result = run_nested(shell, source)
    finally:
        eager.recording = False
        eager.disable()
    ops = eager.take_eager_ops()
    failing = _failing_op(result.error_in_exec, _RUN_CODE) if result.error_in_exec else None
    if failing is not None:
        ops.append(failing)
    recording.skipped_ops = eager.skipped

    reason = None if trace else NOT_TRACED_REASON
    if eager.skipped:
        reason = TOO_MANY_OPS_REASON.format(max_ops=max_ops)
    step = Step(0, error=result.error_in_exec)
    try:
        _name_ops(shell, recording, step, ops, source, before, reason)
    except Exception as err:  # noqa: BLE001 - a naming bug must not break the notebook
        if not any(s is step for s in recording.steps):
            why = f"eager_lab could not name this cell: {type(err).__name__}: {err}"
            recording._finish(step, ops, _NoTrace(why), "cell", ((), {}), None, None)
    events.last = recording
    recording.finished = True
    events.emit("finished", recording)
    return result, recording


def _name_ops(shell, recording, step, ops, source, before, reason) -> None:
    """Trace the cell and name ``ops`` by it (or leave them unnamed with ``reason``)."""
    # The outermost frame (flat stack: ..., code, lasti) is the cell's <module>.
    cell_file = ops[0].stack[-2].co_filename if ops and ops[0].stack else None
    code = None
    if reason is None and cell_file is not None:
        code = _compile_like_ipython(shell, source, cell_file)
        if code is None:
            reason = ("not traced: the cell could not be compiled as one block of code "
                      "(top-level await?)")
    if code is None:
        recording._finish(step, ops, _NoTrace(reason), "cell", ((), {}), None, None)
        return
    cell_trace = _CellTrace(code, _scratch(before))
    graph_capture = OpCapture(_ENTRY_CODE)
    graphs = _StepGraphs(cell_trace, graph_capture)
    after = dict(shell.user_ns)
    graph_capture.enable()
    try:
        with _quiet_display(shell):
            recording._finish(step, ops, graphs, "cell", ((), {}), None, None)
    finally:
        graph_capture.disable()
        _restore_namespace(shell.user_ns, after)
    if cell_trace.stopped is not None:
        _explain_stop(step, ops, cell_trace.stopped, cell_file)


def _compile_like_ipython(shell, source: str, cell_file: str):
    """The cell's code as IPython compiles it (same transforms, same file name), or None."""
    try:
        tree = shell.compile.ast_parse(shell.transform_cell(source), filename=cell_file)
        tree = shell.transform_ast(tree)
        if tree is None:
            return None
        return compile(tree, cell_file, "exec", flags=shell.compile.flags, dont_inherit=True)
    except Exception:  # noqa: BLE001 - the eager run already reported syntax errors
        return None


def _explain_stop(step, ops, err, cell_file) -> None:
    """Unnamed tensors from the stop line on get the reason the trace stopped."""
    reason, stop_line = _stop_reason(err, cell_file)
    for rec in step.tensors:
        if rec.name is not None:
            continue
        line = _module_line(ops[rec.op_index].stack, cell_file)
        if stop_line is None or line is None or line >= stop_line:
            rec.unnamed_reason = reason
