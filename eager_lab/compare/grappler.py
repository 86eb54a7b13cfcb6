"""Which graph rewrite makes an op compute differently: Grappler passes switched off one by one.

Re-running the whole step per pass costs a full graph optimisation each (~10 s on
MobileNetV2). The rewrites that change values are local, so the ops that compute
differently are cut out with their nearest ancestors (:data:`DEPTH` levels) into one small
function, fed with the graph run's own values at its boundary. It is run with Grappler as
configured: an op whose value comes out as in the step's graph is reproduced, and is then
run again with one pass off at a time; the first pass whose absence gives the eager
kernel's value is the cause (``graph-optimization:arithmetic``). Still different with all
of Grappler off: oneDNN's graph rewrite when this TensorFlow uses it. Not reproduced in
isolation: ``graph-optimization`` without a pass.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from .. import compat
from .op_rerun import rerun, rerun_on, same

#: Grappler options (tf.config.optimizer) tried one at a time, most frequent culprit first.
PASSES = ("arithmetic_optimization", "remapping", "constant_folding", "layout_optimizer",
          "dependency_optimization", "loop_optimization", "shape_optimization",
          "function_optimization")
DEPTH = 3
_NOT_VALUES = (tf.resource, tf.variant)


def pass_label(option: str) -> str:
    """``arithmetic_optimization`` -> ``arithmetic``, ``layout_optimizer`` -> ``layout``."""
    for suffix in ("_optimization", "_optimizer"):
        if option.endswith(suffix):
            return option[: -len(suffix)]
    return option


def name_passes(run, rows, at: dict, optimised: list) -> None:
    """Narrow each ``graph-optimization`` row in ``optimised`` to a pass where it can.

    ``at``: (graph path, name) -> index of the first row with that name.
    """
    if run.concrete is None or not compat.can_toggle_grappler():
        return
    targets = {}
    for i in optimised:
        g = run.tensors[i]
        inputs = [rows[at[(rows[i].graph, n)]] if (rows[i].graph, n) in at else None
                  for n in g.inputs]
        eager_kernel = rerun(g, inputs, run.feeds)
        if g.op is not None and eager_kernel is not None:
            targets[g.name] = (i, eager_kernel)
    if not targets:
        return
    try:
        sub = _Subgraph(run, rows, at, [run.tensors[i].op for i, _ in targets.values()])
        as_configured = sub.run({})
    except Exception:  # noqa: BLE001 - cannot run in isolation: leave the plain cause
        return
    pending = {name: hit for name, hit in targets.items()
               if name in as_configured and _same(as_configured[name], run.tensors[hit[0]].value)}
    index = {name: i for name, (i, _) in targets.items()}
    for option in PASSES:
        if not pending:
            break
        try:
            values = sub.run({option: False})
        except Exception:  # noqa: BLE001 - that configuration failed: try the next
            continue
        for name in [n for n, (i, _) in pending.items() if _as_eager(run, index, n, values)]:
            i, _ = pending.pop(name)
            _label(rows[i], f"graph-optimization:{pass_label(option)}",
                   f"Grappler's {option} rewrites it: with that pass off the graph gives the "
                   f"eager value")
    if pending:
        try:
            values = sub.run({"disable_meta_optimizer": True})
        except Exception:  # noqa: BLE001
            values = {}
        for name, (i, _) in pending.items():
            if _as_eager(run, index, name, values):
                _label(rows[i], "graph-optimization:grappler",
                       "Grappler's passes together rewrite it (no single pass alone)")
            elif compat.onednn_enabled():
                _label(rows[i], "graph-optimization:onednn",
                       "oneDNN's graph rewrite (TF_ENABLE_ONEDNN_OPTS=0 switches it off)")


def _as_eager(run, index: dict, name: str, values: dict) -> bool:
    """Does the op give, in this run, what the eager kernel gives on this run's inputs?"""
    g = run.tensors[index[name]]
    inputs = [values.get(n) for n in g.inputs]
    if any(v is None for v in inputs) or name not in values:
        return False
    return _same(rerun_on(g, inputs), values[name])


def _label(row, cause: str, why: str) -> None:
    row.cause = cause
    row.cause_text = f"{row.cause_text}. {why}" if row.cause_text else why


def _same(a, b) -> bool:
    return a is not None and b is not None and same(a, b)


class _Subgraph:
    """The ops to test and their ancestors, as one function fed with the graph's values."""

    def __init__(self, run, rows, at, ops):
        graph = run.concrete.graph
        keep: dict = {}
        frontier = list(ops)
        for _ in range(DEPTH + 1):
            nxt = []
            for op in frontier:
                if op.name in keep or not _portable(op):
                    continue
                keep[op.name] = op
                nxt.extend(t.op for t in op.inputs)
            frontier = nxt
        self.feeds, self.values, nodes = {}, [], []
        for op in keep.values():
            node = type(op.node_def)()
            node.CopyFrom(op.node_def)
            del node.input[:]
            for t in op.inputs:
                if t.op.name in keep:
                    node.input.append(t.name if t.value_index else t.op.name)
                    continue
                if t.name not in self.feeds:
                    row = rows[at[(None, t.name)]] if (None, t.name) in at else None
                    value = row.graph_value if row is not None else run.feeds.get(t.name)
                    if value is None:
                        raise ValueError(f"the graph run kept no value of {t.name}")
                    self.feeds[t.name] = f"eager_lab_feed_{len(self.feeds)}"
                    self.values.append(np.asarray(value))
                node.input.append(self.feeds[t.name])
            for attr in [a for a in node.attr if a.startswith("_")]:
                del node.attr[attr]
            nodes.append(node)
        self.fetch = [t.name for op in keep.values() for t in op.outputs
                      if t.dtype not in _NOT_VALUES]
        graph_def = tf.compat.v1.GraphDef()
        graph_def.versions.CopyFrom(graph.graph_def_versions)
        for name, value in zip(self.feeds.values(), self.values):
            placeholder = graph_def.node.add(name=name, op="Placeholder")
            placeholder.attr["dtype"].type = tf.as_dtype(value.dtype).as_datatype_enum
        graph_def.node.extend(nodes)
        self.graph_def = graph_def
        specs = [tf.TensorSpec(v.shape, v.dtype) for v in self.values]
        feed_names = list(self.feeds.values())

        def isolated(*args):
            return tf.graph_util.import_graph_def(
                graph_def, input_map={f"{n}:0": a for n, a in zip(feed_names, args)},
                return_elements=self.fetch, name="")

        self.function = tf.function(isolated, autograph=False).get_concrete_function(*specs)

    def run(self, options: dict) -> dict:
        with compat.grappler_options(options):
            out = self.function(*self.values)
        return {name: t.numpy() for name, t in zip(self.fetch, out)}


def _portable(op) -> bool:
    """An op that can be cut out and run alone: no state, no functions, no handles."""
    if op.type == "Placeholder" or op.op_def.is_stateful:
        return False
    if any(t.dtype in _NOT_VALUES for t in list(op.inputs) + list(op.outputs)):
        return False
    return not any(v.WhichOneof("value") == "func" or
                   (v.WhichOneof("value") == "list" and len(v.list.func))
                   for v in op.node_def.attr.values())
