"""``step.compare(jit_compile=True)``: the recorded step, eager against XLA-compiled.

Keras compiles train steps with XLA by default on GPUs (``jit_compile="auto"``). XLA
fuses ops into kernels of its own, so tensor by tensor there is nothing to pair: what it
exposes is what the step returns and writes. From the state saved before the step, the
step runs once compiled (``tf.function(..., jit_compile=True)``) and once eagerly (its
Python function called directly; eager_lab records nothing then), and two kinds of rows
compare them:

* ``output``: each value the step returns (``loss``, metric results), named by key path;
* ``variable``: every variable the step may change, after the update (``variable.path``).

The gradients are not rows: returning them as extra outputs changes what XLA fuses, and
so the very numbers compared (one Adam slot of a Conv2D + BatchNorm model moved by one
ulp), and a second compilation for them would double the cost, which XLA's compile
dominates. The layer probes below report gradients per layer instead.

A row's eager side is an :class:`XlaEagerValue` (no op of the recorded step: ``index`` and
``source`` are None), its ``graph_value`` the XLA value. When a row diverges,
:mod:`.layer_probe` runs each leaf layer alone, eagerly and under XLA, in call order, and
:attr:`Comparison.xla_layer` is the first that differs (:class:`XlaLayer`).

Every run starts from the saved state and ends with the variables as they were
(:func:`.service.replayed_state`): comparing never changes training.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..capturing.state import model_variables
from ..errors import first_line
from ..record.records import GraphRunError
from .diff import CompareRow, Comparison, diff
from .replay import replayed_state
from .layer_probe import (capturing_inputs, draws_random, first_differing_layer, layer_label,
                          leaf_layers, numpy_value)

#: The end of every "XLA cannot compile" message: the graph comparison is unaffected.
STILL_WORKS = "compare() without jit_compile still works"


@dataclass(frozen=True, eq=False)      # by identity, as TensorRecord: values are arrays
class XlaEagerValue:
    """The eager side of an XLA row: a value of the eager replay, not one recorded op.

    It answers what code reading ``CompareRow.eager`` asks of a ``TensorRecord``:
    ``value``, ``dtype``, ``shape``, ``name``, ``op_type``; ``index`` and ``source`` are
    None (no row of ``step.tensors``: the panel has no eager tensor to open for it).
    """

    name: str
    op_type: str
    value: np.ndarray
    dtype: str
    index: None = None
    source: None = None
    why_no_value: None = None
    graph: None = None

    @property
    def shape(self) -> tuple:
        return tuple(self.value.shape)

    @property
    def has_value(self) -> bool:
        return True

    @property
    def summary(self):
        from ..record.summary import summarize
        return summarize(self.value, self.dtype, self.shape)


@dataclass
class XlaLayer:
    """Where an eager-vs-XLA difference starts: the first layer XLA computes differently.

    ``path`` (``"sequential/dense_1"``), ``class_name`` and ``max_abs_diff`` are None when
    no single layer differs (the difference comes from XLA fusing across layers, or from
    code outside the layers); ``text`` says which in one line. ``what`` names the value
    of the layer that differs most (``"kernel gradient"``, ``"output"``); ``probed`` lists
    ``(layer path, max |Δ| or None when it could not be probed)`` in call order.
    """

    path: str | None
    class_name: str | None
    max_abs_diff: float | None
    text: str
    name: str | None = None
    what: str | None = None
    probed: list = field(default_factory=list)

    def __str__(self) -> str:
        return self.text


class XlaCompileError(GraphRunError):
    """The step runs as a graph but XLA cannot compile it (``compare(jit_compile=True)``).

    ``op`` is the op type XLA has no kernel for (or None), ``source`` the line of user
    code that made it when known, ``tf_error`` TensorFlow's own error (not chained, so
    the traceback stays short).
    """

    def __init__(self, index: int, err: BaseException, op: str | None, node: str | None,
                 source):
        RuntimeError.__init__(self, _compile_message(index, err, op, node, source))
        self.op, self.node, self.source, self.tf_error = op, node, source, err


def _compile_message(index, err, op, node, source) -> str:
    where = f" at {source}: {source.code}" if source is not None else ""
    if op is not None:
        named = op if node in (None, op) else f"{op} (node {node})"
        why = f"op {named} has no XLA kernel{where}"
    elif any(hint in str(err) for hint in _SHAPE_HINTS):
        why = f"a shape depends on data, and XLA needs shapes known when compiling{where}"
    else:
        return (f"cannot compare step {index} with XLA: it fails compiled with XLA "
                f"({type(err).__name__}{where}: {first_line(err, 240)}); {STILL_WORKS}")
    return (f"cannot compare step {index} with XLA: XLA cannot compile it ({why}); "
            f"{STILL_WORKS}")


# TensorFlow's words for an input XLA needs as a constant (a shape, an axis) that is not.
_SHAPE_HINTS = ("evaluated to concrete values at compile time", "compile-time constant")
_UNSUPPORTED = re.compile(r"on XLA_\w+: (\w+) \(")
_NODE = re.compile(r"\{\{node ([^}]+)\}\}")


def compare_with_xla(step, tolerances: dict, graph_comparison=None) -> Comparison:
    """``step.compare(tolerances, jit_compile=True)`` (``tolerances`` already merged).

    ``graph_comparison()`` gives the step's plain-graph comparison (run on demand): a
    value that differs from eager without XLA too is not XLA's doing, and gets the cause
    the graph comparison found (a frozen ``np.random.rand()`` is a python-value under XLA
    as well).
    """
    with replayed_state(step) as replay:
        variables = _variables(replay)
        xla = _run_xla(step, replay, variables)
    with replayed_state(step) as replay:
        layers = leaf_layers(replay.owner)
        with capturing_inputs(layers) as calls:
            eager = _run(replay.python_function(*replay.args, **replay.kwargs), variables)
        calls = list(calls)
    rows = _rows(eager, xla, variables, layers, tolerances)
    comparison = Comparison(rows, tolerances, mode="xla")
    if any(r.diverges for r in rows):
        with replayed_state(step) as replay:
            plain = _run_plain_graph(step, replay, variables)
        in_graph_too = _differ_as_a_graph(rows, eager, plain, tolerances)
        if calls and len(in_graph_too) < sum(r.diverges for r in rows):
            with replayed_state(step):
                narrowing = first_differing_layer(calls, tolerances)
            comparison.xla_layer = _xla_layer(narrowing, rows)
        _attribute(rows, comparison.xla_layer)
        if in_graph_too:
            _attribute_to_graph(rows, in_graph_too, graph_comparison)
    return comparison


def _run_plain_graph(step, replay, variables) -> _Run:
    """The step as the plain graph (no XLA): the one eager_lab traced for names."""
    import tensorflow as tf
    concrete = replay.traced() if replay.traced is not None else None
    try:
        if concrete is not None:
            output = concrete(*replay.args, **replay.kwargs)
        else:
            output = tf.function(replay.python_function, autograph=False)(
                *replay.args, **replay.kwargs)
    except Exception as err:  # noqa: BLE001 - not a graph at all: compare() says the same
        raise GraphRunError(step.index, err) from err
    return _run(output, variables)


def _differ_as_a_graph(rows, eager: _Run, plain: _Run, tolerances) -> set:
    """Indices of diverging rows whose plain-graph value differs from eager as well."""
    plain_values = [value for _, value, _ in plain.outputs] + [v for v, _ in plain.variables]
    eager_values = [(value, dtype) for _, value, dtype in eager.outputs] + list(eager.variables)
    found = set()
    for k, (r, (value, dtype), graph) in enumerate(zip(rows, eager_values, plain_values)):
        if r.diverges and diff(value, graph, dtype, tolerances)[2]:
            found.add(k)
    return found


def _attribute_to_graph(rows, indices: set, graph_comparison) -> None:
    """Rows that differ without XLA too: the cause the plain-graph comparison found."""
    graph = graph_comparison() if graph_comparison is not None else None
    first = graph.first_divergence if graph is not None else None
    for k in indices:
        r = rows[k]
        if first is not None:
            r.cause, r.noise = first.cause, False
            r.cause_text = (f"not XLA's doing: it differs as a plain graph too, from "
                            f"{first.name}: {first.cause_text}")
        else:
            r.cause, r.noise = "graph-optimization", True
            r.cause_text = ("not XLA's doing: it differs as a plain graph too, where every "
                            "difference is optimisation noise (compare() without "
                            "jit_compile lists them)")


# -- running the step ---------------------------------------------------------------------
@dataclass
class _Run:
    outputs: list          # [(name, numpy value, dtype name)]
    variables: list        # [(numpy value, dtype name)], as ``variables``


def _run_xla(step, replay, variables) -> _Run:
    """The step compiled with XLA. Raises GraphRunError when it cannot even be traced,
    XlaCompileError when XLA cannot compile (or run) what was traced."""
    import tensorflow as tf
    function = tf.function(replay.python_function, jit_compile=True, autograph=False)
    try:
        concrete = function.get_concrete_function(*replay.args, **replay.kwargs)
    except Exception as err:  # noqa: BLE001 - not even a graph: compare() says the same
        raise GraphRunError(step.index, err) from err
    try:
        output = function(*replay.args, **replay.kwargs)
    except Exception as err:  # noqa: BLE001 - XLA refused the graph: say why, briefly
        raise _compile_error(step.index, err, concrete.graph) from None
    return _run(output, variables)


def _run(output, variables) -> _Run:
    """What a run of the step exposes: its outputs, and the variables after it."""
    from .. import compat
    return _Run(_outputs(output),
                [numpy_value(compat.variable_copy(v)) for _, v, _ in variables])


def _outputs(output) -> list:
    import keras
    rows = []
    for path, leaf in keras.tree.flatten_with_path(output):
        if leaf is None or isinstance(leaf, (str, bytes)):
            continue
        name = "/".join(str(p) for p in path) or "output"
        rows.append((name, *numpy_value(leaf)))
    return rows


def _variables(replay) -> list:
    """``[(name, variable, storage id)]``: what the step may change, each once.

    The model's variables first (named by their Keras path), then any other the saved
    state holds (a step function's, named by path or name).
    """
    from .. import compat

    def storage(v):
        inner = compat.keras_variable_storage(v)
        return id(inner if inner is not None else v)

    owned = model_variables(replay.owner) if replay.owner is not None else []
    names = {storage(v): _name(v) for v in owned}
    out, seen = [], set()
    for v in [*owned, *replay.state.variables]:
        key = storage(v)
        if key in seen:
            continue
        seen.add(key)
        out.append((names.get(key) or _name(v), v, key))
    return out


def _name(variable) -> str:
    path = getattr(variable, "path", None)
    if path:
        return path
    name = getattr(variable, "name", None) or "variable"
    return name[:-2] if name.endswith(":0") else name


# -- rows -------------------------------------------------------------------------------
def _rows(eager: _Run, xla: _Run, variables, layers, tolerances) -> list[CompareRow]:
    from .. import compat
    owner_of = {}
    for layer, _ in layers:
        for w in layer.variables:
            inner = compat.keras_variable_storage(w)
            owner_of.setdefault(id(inner if inner is not None else w), layer_label(layer))
    rows = []
    xla_outputs = {name: (value, dtype) for name, value, dtype in xla.outputs}
    for name, value, dtype in eager.outputs:
        rows.append(_row(name, "output", value, dtype, xla_outputs.get(name), tolerances))
    for (name, _, key), (value, dtype), twin in zip(variables, eager.variables,
                                                      xla.variables):
        row = _row(name, "variable", value, dtype, twin, tolerances)
        row.layer = owner_of.get(key)
        rows.append(row)
    return rows


def _row(name, op_type, value, dtype, twin, tolerances) -> CompareRow:
    row = CompareRow(name, None, op_type, XlaEagerValue(name, op_type, value, dtype))
    if twin is None:
        row.why = "the XLA run did not produce this value"
        return row
    row.graph_value = twin[0]
    row.max_abs_diff, row.max_rel_diff, row.diverges = diff(value, twin[0], dtype, tolerances)
    return row


# -- narrowing ----------------------------------------------------------------------------
def _num(x) -> str:
    """3e-07 -> 3e-7."""
    return re.sub(r"e([+-])0*(\d)", lambda m: f"e{'-' if m[1] == '-' else ''}{m[2]}",
                  f"{x:.3g}")


def _xla_layer(narrowing, rows) -> XlaLayer:
    probed = [(p.path, p.max_abs_diff if p.error is None else None)
              for p in narrowing.probes]
    found = narrowing.found
    if found is not None:
        layer = found.layer
        size = found.what_diff
        text = (f"first layer whose XLA forward/backward differs: {layer_label(layer)}, "
                f"max |Δ| {_num(size) if size is not None else 'n/a (shapes differ)'} "
                f"in its {found.what}")
        if draws_random(layer):
            text += (" (it draws random numbers: XLA's random-number kernels draw other "
                     "numbers than TensorFlow's for the same seed)")
        return XlaLayer(found.path, type(layer).__name__, size, text,
                        name=layer.name, what=found.what, probed=probed)
    skipped = sum(1 for p in narrowing.probes if p.error is not None)
    n = len(narrowing.probes)
    count = f"{n} layer{'' if n == 1 else 's'} probed" + (
        f", {skipped} of them could not run alone" if skipped else "")
    if not any(r.diverges for r in rows if r.op_type == "output"):
        text = (f"no layer's XLA forward/backward differs from eager ({count}), and the "
                "step's outputs agree: the difference comes from the update (gradients "
                "or the optimizer's arithmetic, which XLA fuses, e.g. into fused "
                "multiply-adds)")
    else:
        text = (f"no single layer's XLA forward/backward differs from eager ({count}): "
                "the difference comes from XLA fusing across layers (or from code "
                "outside the layers, such as the loss)")
    return XlaLayer(None, None, None, text, probed=probed)


def _attribute(rows, xla_layer) -> None:
    if xla_layer is None:
        where = ("no Keras layers to narrow it down to (a step function, or a train_step "
                 "whose arithmetic is outside layers)")
    else:
        where = xla_layer.text
    for r in rows:
        if r.diverges:
            r.cause = "xla"
            r.cause_text = f"XLA computes this differently from eager; {where}"


# -- errors -------------------------------------------------------------------------------
def _compile_error(index, err, failed_graph) -> XlaCompileError:
    text = str(err)
    op = node = None
    match = _UNSUPPORTED.search(text)
    if match:
        op = match.group(1)
        nodes = _NODE.findall(text)
        node = nodes[0] if nodes else None
    source = _op_source(failed_graph, node) if node else None
    if source is None:
        source = _message_source(text)
    return XlaCompileError(index, err, op, node, source)


def _op_source(graph, node):
    """The line of user code that created ``node`` in ``graph`` (None when it is nested)."""
    if graph is None:
        return None
    from ..capturing.callsite import Frame, _is_user_file
    from ..record.records import source_of
    try:
        op = graph.get_operation_by_name(node)
    except (KeyError, ValueError):   # a node of a nested function graph
        return None
    for frame in reversed(list(op.traceback)):
        if _is_user_file(frame.filename.replace("\\", "/")):
            return source_of(Frame(frame.filename, frame.name, frame.lineno))
    return None


_CREATED_AT = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')


def _message_source(text):
    """The innermost user line of TensorFlow's "The op is created at:" list, if any."""
    import os

    from ..capturing.callsite import Frame, _is_user_file
    from ..record.records import source_of
    if "The op is created at:" not in text:
        return None
    found = None
    for filename, line, function in _CREATED_AT.findall(text.split("The op is created at:")[1]):
        if not os.path.isabs(filename) and os.path.isabs("/" + filename) \
                and os.path.exists("/" + filename):
            filename = "/" + filename    # TensorFlow strips the leading "/"
        if _is_user_file(filename.replace("\\", "/")):
            found = Frame(filename, function, int(line))
    return source_of(found)
