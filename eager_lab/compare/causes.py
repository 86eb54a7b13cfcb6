"""Why a graph tensor differs from its eager twin: one cause per differing row.

Decided per op, in graph order (inputs before the ops that read them), from evidence:

* ``stateful``: a random op, or a variable read, gave another value (state consumed
  differently); ``control-flow``: a cond/loop op whose outputs differ (another branch or
  trip count ran);
* the op is run again **eagerly on the graph's own input values**
  (:func:`eager_lab.compat.execute_op`). If that differs from the graph's output, the graph
  computes this op differently: ``graph-optimization`` — narrowed to the Grappler pass
  whose switching-off makes it match (:mod:`.grappler`), or oneDNN;
* otherwise the op is right and its inputs differ. If re-running it on the *eager* values
  of the inputs that have an eager twin, with the graph's values for those that have none
  (constants), does not give the eager output, a value frozen when the step was traced
  differs: ``python-value`` (``np.random.rand()``, a Python counter, a flag);
* otherwise ``propagated``: it only carries an input's difference (``origin`` names the row
  the difference started at; ``noise`` when every such origin is an optimisation).

Rows that differ within tolerance get a cause too (a difference in the last bits can grow
beyond tolerance downstream), so propagation is traced through them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..naming.layers import LayerIndex
from .diff import diff
from .grappler import name_passes
from .op_rerun import rerun, same

STATEFUL_RANDOM = frozenset({
    "RandomUniform", "RandomUniformInt", "RandomStandardNormal", "TruncatedNormal",
    "Multinomial", "RandomShuffle", "RandomGamma", "RandomPoisson", "RandomPoissonV2",
    "StatefulUniform", "StatefulUniformInt", "StatefulUniformFullInt",
    "StatefulStandardNormalV2", "StatefulTruncatedNormal", "RngReadAndSkip", "RngSkip"})
VARIABLE_READS = frozenset({"ReadVariableOp", "ResourceGather", "ResourceGatherNd"})
CONTROL_FLOW = frozenset({"If", "StatelessIf", "While", "StatelessWhile", "Case",
                          "StatelessCase", "Switch", "Merge"})

PYTHON_VALUE_FIX = ("use keras.random with a SeedGenerator (or tf.random), or pass the value "
                    "in as a tensor, so the graph computes it each step")


def attribute(step, run, comparison, progress=None) -> None:
    """Set ``cause``, ``cause_text``, ``noise``, ``origin``, ``inputs`` and ``layer`` on rows.

    ``progress(stage)`` is told when the Grappler passes are tried (seconds).
    """
    rows = comparison.rows
    layers = step._layer_index if step._layer_index is not None else LayerIndex(None)
    at: dict = {}
    for i, r in enumerate(rows):
        if r.in_graph and r.name is not None:
            at.setdefault((r.graph, r.name), i)
        r.layer = layers.layer_of(r.name)
    optimised, sources = [], {}
    graph = run.concrete.graph if run.concrete is not None else None
    for i, g in enumerate(run.tensors):   # rows[:len(run.tensors)] are the graph tensors
        row = rows[i]
        row.inputs = g.inputs
        if not _differs(row):
            continue
        inputs = [at.get((row.graph, name)) for name in g.inputs]
        carried = _decide(row, g, [rows[j] if j is not None else None for j in inputs],
                          inputs, run.feeds, _Rows(at, rows, i, graph),
                          comparison.tolerances)
        if carried:
            sources[i] = carried
        if row.cause == "graph-optimization":
            optimised.append(i)
    if optimised:
        if progress is not None:
            progress(f"naming the graph rewrite behind {len(optimised)} differences")
        name_passes(run, rows, at, optimised)
    _propagate_noise(rows, run, sources)


@dataclass
class _Rows:
    """Where a row's inputs are: (graph path, name) -> row index, the rows, the row being
    decided (``here``) and the traced graph (its ops, for tensors that have no row)."""

    at: dict
    rows: list
    here: int
    graph: object


def _differs(row) -> bool:
    """Both sides have values and they are not identical (beyond or within tolerance)."""
    if row.eager is None or not row.in_graph or row.graph_value is None:
        return False
    if row.diverges:
        return True
    return row.max_abs_diff is not None and (row.max_abs_diff != 0 or
                                             np.isnan(row.max_abs_diff))


def _decide(row, g, input_rows, input_at, feeds, ctx: "_Rows", tolerances) -> list | None:
    """Set the row's cause; for a propagated row, return the differing rows it carries."""
    op_type, line = g.op_type, _line(row)
    if row.eager.op_type != op_type:
        row.cause = "python-value"
        row.cause_text = (f"eager ran {row.eager.op_type} here, the graph {op_type}: the step "
                          f"traced differently (a Python flag or value read at trace time){line}")
        return
    if op_type in STATEFUL_RANDOM:
        row.cause = "stateful"
        row.cause_text = (f"{op_type} drew other random numbers eagerly than in the graph{line}:"
                          " seed it (keras.random with a SeedGenerator, or tf.random.stateless_*)")
        return
    if op_type in VARIABLE_READS:
        written = _differing_write(g, ctx)
        if written is not None:
            row.cause = "propagated"
            row.origin = _origin(written, ctx.rows[written])
            row.cause_text = ("the variable read here was written earlier in the step with a "
                              "value that differs")
            return [written]
        row.cause = "stateful"
        row.cause_text = (f"the variable read here held another value in the graph run than "
                          f"eagerly{line}: the step updates or reads state in another order")
        return
    if op_type in CONTROL_FLOW:
        row.cause = "control-flow"
        row.cause_text = (f"{op_type}: the graph ran another branch or number of iterations "
                          f"than eager{line}")
        return
    differing = [j for j, r in zip(input_at, input_rows) if r is not None and _differs(r)]
    # A graph-only input (Identity, Cast, shape arithmetic) carries its own inputs'
    # differences: follow it up to rows with an eager twin. Only constants can be frozen.
    branches: list = []
    graph_only = [name for name, r in zip(g.inputs, input_rows) if r is None or r.eager is None]
    carried = _carried(graph_only, row.graph, ctx, branches) if graph_only else []
    differing += [k for k in carried if k not in differing]
    flipped = next((b for b in branches if _condition_differs(b, ctx)), None)
    if flipped is not None:
        row.cause = "control-flow"
        row.cause_text = (f"{op_type} reads the output of {flipped.name} ({flipped.type}), "
                          f"whose condition {flipped.inputs[0].name} differs: the graph ran "
                          f"another branch than eager{line}")
        return differing or None
    constants_only = not carried
    own = rerun(g, input_rows, feeds)
    if own is not None and not same(own, g.value):
        row.cause = "graph-optimization"
        row.cause_text = (f"{op_type} computes differently in the graph from the same inputs "
                          f"(re-run eagerly on the graph's inputs: max |Δ| "
                          f"{_max_abs(own, g.value):.3g}): a graph rewrite changed it")
        return
    frozen = (_frozen_input(g, row, input_rows, feeds, tolerances)
              if own is not None and constants_only else None)
    if frozen is None and not differing and any(r is not None and r.eager is None
                                                for r in input_rows):
        # No input with an eager twin differs and the op is right: a graph-only input does.
        frozen = row.diverges
    if frozen:
        row.cause = "python-value"
        row.cause_text = (f"{op_type} reads a value frozen when the step was traced (a "
                          f"Python/NumPy number, e.g. np.random.rand()); eager used a fresh "
                          f"one{line}. Fix: {PYTHON_VALUE_FIX}")
        return
    if frozen is False and not differing:
        row.cause = "graph-optimization:constants"
        row.cause_text = (f"{op_type} reads a constant the graph computed at trace time "
                          f"(shape arithmetic, folded constants) that differs from eager's "
                          f"in the last bits")
        return
    if differing:
        row.cause = "propagated"
        row.origin = _origin(differing[0], ctx.rows[differing[0]])
        row.cause_text = f"{op_type} computes the same from the same inputs; its inputs differ"
        return differing
    row.cause = "graph-optimization"
    row.cause_text = (f"{op_type} differs though its inputs and its own computation match "
                      f"eager: a graph rewrite around it")


def _carried(names: list, path, ctx: "_Rows", branches: list, depth: int = 8) -> list:
    """Rows with an eager twin that differ, above graph-only tensors ``names``.

    Walks up through tensors without an eager twin (Identity, Cast, shape arithmetic, a
    cond's outputs), by the graph's ops where it has them; control-flow ops met on the way
    go into ``branches``.
    """
    at, rows, graph = ctx.at, ctx.rows, ctx.graph
    found, frontier, seen = [], list(names), set(names)
    for _ in range(depth):
        nxt = []
        for name in frontier:
            m = at.get((path, name))
            if m is not None and rows[m].eager is not None:
                if _differs(rows[m]):
                    found.append(m)
                continue
            op = _op_named(graph, name) if graph is not None and path is None else None
            if op is not None:
                if op.type in CONTROL_FLOW and op not in branches:
                    branches.append(op)
                inputs = [t.name for t in op.inputs]
            else:
                inputs = rows[m].inputs if m is not None else ()
            for n in inputs:
                if n not in seen:
                    seen.add(n)
                    nxt.append(n)
        frontier = nxt
    return found


def _op_named(graph, tensor_name: str):
    try:
        return graph.get_operation_by_name(tensor_name.partition(":")[0])
    except (KeyError, ValueError):
        return None


def _condition_differs(op, ctx: "_Rows") -> bool:
    """Did a cond's condition (its first input) differ between eager and the graph?"""
    at, rows = ctx.at, ctx.rows
    if not op.inputs:
        return False
    j = at.get((None, op.inputs[0].name))
    if j is not None and rows[j].eager is not None:
        return _differs(rows[j])
    return bool(_carried([op.inputs[0].name], None, ctx, []))


def _differing_write(g, ctx: "_Rows") -> int | None:
    """Row of a value written to the read variable earlier in the step, if it differs."""
    at, rows, here = ctx.at, ctx.rows, ctx.here
    op = g.op
    if op is None or not op.inputs:
        return None
    for writer in op.inputs[0].consumers():
        if writer is op or not (writer.type.startswith(("Assign", "ResourceApply",
                                                          "ResourceScatter"))):
            continue
        for t in writer.inputs[1:]:
            j = at.get((None, t.name))
            if j is not None and j < here and _differs(rows[j]):
                return j
    return None


def _origin(j: int, input_row) -> int:
    return input_row.origin if input_row.cause == "propagated" and input_row.origin is not None \
        else j


def _propagate_noise(rows, run, sources: dict) -> None:
    """``noise``: optimisation origins, and rows that only carry their differences.

    A propagated row is noise when every row it carries is; its ``origin`` is the first
    real origin it carries when there is one (a planted bug among optimiser noise).
    """
    for i in range(len(run.tensors)):
        r = rows[i]
        if r.cause is None:
            continue
        if r.cause.startswith("graph-optimization"):
            r.noise = True
        elif r.cause == "propagated":
            carried = [rows[j] for j in sources.get(i, ()) if rows[j].cause is not None]
            r.noise = bool(carried) and all(c.noise for c in carried)
            real = next((j for j in sources.get(i, ()) if not rows[j].noise), None)
            if real is not None:
                r.origin = _origin(real, rows[real])
            origin = rows[r.origin] if r.origin is not None else None
            if origin is not None:
                r.cause_text = (f"{r.op_type} computes the same from the same inputs; the "
                                f"difference comes from {origin.name} ({origin.cause})")


def _frozen_input(g, row, input_rows, feeds, tolerances) -> bool | None:
    """Do the graph-only inputs (constants) differ from what eager used? None: can't tell.

    Re-run the op on the eager values of inputs that have an eager twin and the graph's
    values of those that have none: if that is not the eager output beyond tolerance, a
    graph-only input holds another value than eager had (True); within it, a constant
    differs in the last bits (False).
    """
    if not any(r is not None and r.eager is None for r in input_rows):
        return None   # every input has an eager twin or is the step's own argument
    eager_inputs = {}
    for k, r in enumerate(input_rows):
        if r is not None and r.eager is not None:
            value = r.eager.value
            if value is None:
                return None
            eager_inputs[k] = value
    again = rerun(g, input_rows, feeds, eager_inputs)
    eager = row.eager.value
    if again is None or eager is None:
        return None
    if same(again, eager):
        return None   # the constants agree: the difference is not theirs
    return diff(eager, again, row.eager.dtype, tolerances)[2]


def _max_abs(a, b) -> float:
    delta, _, _ = diff(a, b, str(np.asarray(b).dtype), {})
    return float("nan") if delta is None else delta


def _line(row) -> str:
    source = row.eager.source if row.eager is not None else None
    where = f" at {source}" if source else ""
    if source is not None and getattr(source, "code", None):
        where += f": {source.code.strip()}"
    return where + (f" [{row.layer}]" if row.layer else "")
