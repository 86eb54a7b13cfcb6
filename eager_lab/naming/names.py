"""Naming: give each eager op the name its twin has in the traced graph, or none.

Both runs of a step — the eager one and the trace of the graph Keras would run — report
their ops with a call site (:mod:`eager_lab.callsite`). Ops are grouped by call site and
op type (the graph also holds constants and captures made at the same call site, which
eager execution never runs as ops); in each group the n-th eager op is the n-th graph op. That is only trusted when it is
certain, so a whole group stays unnamed, with the reason, when

* the call site made no op in the graph (TensorFlow took an eager-only code path),
* eager and graph made a different number of ops there (shape-dependent gradient
  branches) — except inside a ``while`` body, which the graph holds once and eager runs
  once per iteration, so k·n eager ops map onto n graph ops in order,
* any pair disagrees on op type, output count, dtype or (known) shape.

A wrong name is worse than no name: every check above removes names, none adds any.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from .. import compat
from ..capturing.callsite import canonical
from ..capturing.op_capture import EagerOp, GraphOp

# Ops that tests and recall figures leave out: they carry no computed value.
TRIVIAL_OPS = frozenset({"Const", "Placeholder", "Identity", "NoOp"})
# Ops that exist only as graph constructs: eager execution runs their bodies op by op.
CONTROL_FLOW_OPS = frozenset({
    "If", "StatelessIf", "While", "StatelessWhile", "PartitionedCall",
    "StatefulPartitionedCall", "Case", "StatelessCase",
})

# Unique ids in function graph names (cond_true_123, while_body_45_rewritten).
_GRAPH_ID = re.compile(r"_\d+(?=_|$)|_rewritten$")


def graph_name(name: str) -> str:
    """A function graph's name without its unique ids (``cond_true_123`` -> ``cond_true``)."""
    return _GRAPH_ID.sub("", name)


def graph_path(graph, top) -> tuple[str, ...]:
    """Names of the function graphs from ``top`` (exclusive) down to ``graph``.

    Unique ids are dropped (``cond_true_123`` -> ``cond_true``; while_v2 renames a body
    ``..._rewritten`` when its gradient is built) so the path is the same for every trace.
    """
    names = []
    while graph is not None and graph is not top:
        name = compat.graph_name(graph)
        names.append(graph_name(name if name is not None else "?"))
        graph = compat.outer_graph(graph)
    return tuple(reversed(names))


def _nested_in(graph, top) -> bool:
    while graph is not None:
        if graph is top:
            return True
        graph = compat.outer_graph(graph)
    return False


def _in_loop(path: tuple[str, ...]) -> bool:
    # Keras names loops after their scope: sequential_gru_while_body.
    return any("while_body" in name or "while_cond" in name for name in path)


@dataclass
class NamedOp:
    """One op of the traced graph, as naming needs it."""

    op_type: str
    op_name: str
    path: tuple[str, ...]
    dtypes: tuple
    shapes: tuple           # tf.TensorShape per output (may be partly unknown)
    call_site: tuple | None
    forward_site: object = None   # gradient ops: call site of their forward op
    # Per output: None (unknown rank) or a tuple of dims, None where unknown. Compared
    # with each eager output's shape tuple, per recorded op (TensorShape objects cost
    # ~10 µs a comparison, a tenth of a MobileNetV2 step over 8,000 ops).
    dims: tuple = ()

    def __post_init__(self):
        self.dims = tuple(None if s.rank is None else tuple(s.as_list()) for s in self.shapes)

    @property
    def in_loop(self) -> bool:
        return _in_loop(self.path)


@dataclass
class GraphIndex:
    """The traced graph of one input signature, grouped by call site."""

    ops: list[NamedOp]
    by_site: dict = field(default_factory=dict)

    @classmethod
    def build(cls, graph_ops: list[GraphOp], top_graph) -> "GraphIndex":
        # tf.function may trace twice (a variable-creation pass first): keep the final one.
        graph_ops = [g for g in graph_ops if _nested_in(g.graph, top_graph)]
        forward_sites = _graph_forward_sites(graph_ops)
        ops = []
        by_site = defaultdict(list)
        for g, forward_site in zip(graph_ops, forward_sites):
            site = canonical(g.stack)
            named = NamedOp(
                op_type=g.op_type,
                op_name=g.op_name,
                path=graph_path(g.graph, top_graph),
                dtypes=tuple(t.dtype for t in g.outputs),
                shapes=tuple(t.shape for t in g.outputs),
                call_site=site,
                forward_site=forward_site,
            )
            ops.append(named)
            if site is not None:
                by_site[(site, named.op_type)].append(named)
        return cls(ops, dict(by_site))


# Eager gradients of every op of one type come from the same lines of TensorFlow's gradient
# function. When eager and graph made a different number of them at one call site (the
# eager run also differentiated the ops of each loop iteration), the forward op's own call
# site tells them apart. It is found through the tensors the tape hands the gradient
# function: the forward op's outputs or, when the gradient needs none, its inputs.
_UNKNOWN = ("unknown forward op",)


def _graph_forward_sites(graph_ops: list[GraphOp]) -> list:
    by_name = {(id(g.graph), g.op_name): i for i, g in enumerate(graph_ops)}
    keys = [(id(g.forward[0]), g.forward[1]) if g.forward is not None else None
            for g in graph_ops]
    return [canonical(graph_ops[by_name[key]].stack)
            if key is not None and key in by_name else
            (_UNKNOWN if key is not None else None)
            for key in keys]


def _eager_forward_sites(eager_ops: list[EagerOp]) -> list:
    by_output, by_inputs = {}, {}
    for i, op in enumerate(eager_ops):
        for out in op.outputs or ():
            by_output[id(out)] = i
        key = (op.op_type, op.input_ids)
        by_inputs[key] = None if key in by_inputs else i   # two candidates: unknown
    sites = []
    for op in eager_ops:
        if op.forward is None:
            sites.append(None)
            continue
        fwd_type, fwd_inputs, fwd_output = op.forward
        j = by_output.get(fwd_output) if fwd_output is not None else \
            by_inputs.get((fwd_type, fwd_inputs))
        sites.append(canonical(eager_ops[j].stack) if j is not None else _UNKNOWN)
    return sites


@dataclass
class Match:
    """The outcome for one eager op: its graph twin, or why it has none."""

    graph_op: NamedOp | None
    reason: str | None


def _compatible(eager: EagerOp, graph: NamedOp) -> str | None:
    """Why the pair cannot be the same op, or None when it can."""
    if eager.op_type != graph.op_type:
        return f"op type differs (eager {eager.op_type}, graph {graph.op_type})"
    if eager.outputs is None:  # the op that raised: nothing more to compare
        return None
    if len(eager.outputs) != len(graph.dtypes):
        return "output count differs"
    for value, dtype, dims, shape in zip(eager.outputs, graph.dtypes, graph.dims,
                                         graph.shapes):
        value_dtype = getattr(value, "dtype", None)
        if value_dtype is not dtype and value_dtype != dtype:
            return "dtype differs"
        if dims is not None:
            got = compat.eager_shape(value)
            if len(got) != len(dims) or any(d is not None and d != g for d, g in zip(dims, got)):
                return f"shape differs (eager {value.shape}, graph {shape})"
    return None


def _pair(members: list[int], graph_ops: list[NamedOp]):
    """Positional pairs when the counts allow it, else None."""
    n_eager, n_graph = len(members), len(graph_ops)
    if n_eager == n_graph:
        return list(zip(members, graph_ops))
    if n_graph and all(g.in_loop for g in graph_ops) and n_eager % n_graph == 0:
        return [(i, graph_ops[k % n_graph]) for k, i in enumerate(members)]
    return None


def call_sites(eager_ops: list[EagerOp]) -> list:
    """Each op's canonical call site (what :func:`match` and :func:`eager_sites` group by):
    computed once per step and handed to both."""
    return [canonical(op.stack) for op in eager_ops]


def match(eager_ops: list[EagerOp], index: GraphIndex, sites: list | None = None) -> list[Match]:
    """One :class:`Match` per eager op, in order (``sites``: :func:`call_sites` of them)."""
    results: list[Match | None] = [None] * len(eager_ops)
    groups = defaultdict(list)
    if sites is None:
        sites = call_sites(eager_ops)
    for i, (op, site) in enumerate(zip(eager_ops, sites)):
        if site is None:
            results[i] = Match(None, "eager-only op (not made by a generated op wrapper)")
        else:
            groups[(site, op.op_type)].append(i)
    forward_sites = None
    for key, members in groups.items():
        graph_ops = index.by_site.get(key)
        if not graph_ops:
            for i in members:
                results[i] = Match(None, "eager-only op (no op at this call site in the graph)")
            continue
        pairs = _pair(members, graph_ops)
        reason = (f"ambiguous match: {len(members)} eager op(s) and {len(graph_ops)} graph "
                  "op(s) at this call site")
        if pairs is None:
            # Split the group by forward op (gradients); pair only the parts that agree.
            if forward_sites is None:
                forward_sites = _eager_forward_sites(eager_ops)
            pairs = []
            by_forward = defaultdict(list)
            for i in members:
                by_forward[forward_sites[i]].append(i)
            for forward, part in by_forward.items():
                graph_part = [g for g in graph_ops if g.forward_site == forward]
                sub = _pair(part, graph_part) if forward not in (None, _UNKNOWN) else None
                if sub is None:
                    for i in part:
                        results[i] = Match(None, reason)
                else:
                    pairs.extend(sub)
        problem = next(filter(None, (_compatible(eager_ops[i], g) for i, g in pairs)), None)
        for i, g in pairs:
            results[i] = Match(None, f"ambiguous match: {problem}") if problem else Match(g, None)
    return results  # type: ignore[return-value]


def eager_sites(eager_ops: list[EagerOp], sites: list | None = None) -> frozenset:
    """The (call site, op type) pairs a step ran eagerly: all :func:`graph_only` needs."""
    if sites is None:
        sites = call_sites(eager_ops)
    return frozenset(zip(sites, (op.op_type for op in eager_ops)))


def graph_only(index: GraphIndex, seen: frozenset) -> list[tuple[NamedOp, str]]:
    """Non-trivial graph ops whose call site never ran eagerly (``seen``: :func:`eager_sites`),
    each with the reason."""
    out = []
    for op in index.ops:
        if op.op_type in TRIVIAL_OPS or (op.call_site, op.op_type) in seen:
            continue
        if op.op_type in CONTROL_FLOW_OPS or op.op_type.startswith("TensorList") or \
                op.op_type == "EmptyTensorList":
            reason = "control-flow construct: eager execution runs its body op by op"
        elif any("grad" in name for name in op.path):
            reason = "gradient of control flow: built by the graph's gradient function"
        elif any(p in name for name in op.path for p in ("cond_true", "cond_false", "while_")):
            reason = "in a branch or loop body that did not run eagerly"
        elif op.call_site is None:
            reason = "made without a generated op wrapper"
        elif op.op_type == "ReadVariableOp" and len(op.call_site[0]) > 1:
            reason = ("variable read inside another op: eager execution reads it within "
                      "that op, with no op of its own")
        elif op.op_type == "IdentityN":
            reason = "graph-only grouping op (tf.identity_n)"
        elif op.op_name.startswith("gradient_tape/"):
            reason = ("shape arithmetic of a gradient function: it branches on eager vs "
                      "graph and on static shapes")
        else:
            reason = ("graph-only code path (TensorFlow branches on eager vs graph and on "
                      "static shapes)")
        out.append((op, reason))
    return out
