"""Run one graph op eagerly on given input values: is the graph's own computation eager's?

A graph tensor whose value differs from eager either computes differently (a graph
rewrite changed the op) or only carries its inputs' differences. Running the op's type
with the graph node's attributes through TensorFlow's eager executor
(:func:`eager_lab.compat.execute_op`) on the graph's input values tells which.
"""
from __future__ import annotations

import numpy as np

from .. import compat


def rerun(g, input_rows, feeds: dict, eager_inputs: "dict | None" = None):
    """The op's outputs computed eagerly on the graph's input values (or None: cannot).

    ``feeds``: the step's own arguments (graph inputs), the same eagerly and in the graph.
    """
    op = g.op
    if op is None or not compat.can_execute() or len(input_rows) != len(op.inputs):
        return None
    if op.op_def.is_stateful:   # a second run would consume state again
        return None
    values = []
    for k, r in enumerate(input_rows):
        if eager_inputs is not None and k in eager_inputs:
            values.append(eager_inputs[k])
        elif r is not None and r.graph_value is not None:
            values.append(r.graph_value)
        elif g.inputs[k] in feeds:
            values.append(feeds[g.inputs[k]])
        else:
            return None
    return rerun_on(g, values)


def rerun_on(g, values: list):
    """The op of ``g`` run eagerly on ``values`` (its output of ``g``'s slot), or None."""
    op = g.op
    attrs = eager_attrs(op)
    if attrs is None:
        return None
    try:
        outputs = compat.execute_op(op.type, values, attrs, len(op.outputs))
        slot = int(g.name.rpartition(":")[2])
        return outputs[slot].numpy()
    except Exception:  # noqa: BLE001 - an op that cannot run alone: no evidence either way
        return None


def eager_attrs(op) -> tuple | None:
    """A graph node's attributes as TFE_Py_Execute takes them (name, value, ...)."""
    out = []
    for name, value in op.node_def.attr.items():
        if name.startswith("_"):
            continue
        kind = value.WhichOneof("value")
        if kind == "list":
            lst = value.list
            if lst.func:
                return None
            field_name = next((f for f in ("type", "i", "f", "b", "s", "shape")
                               if len(getattr(lst, f))), None)
            if field_name == "shape":
                v = [dims(s) for s in lst.shape]
            else:
                v = list(getattr(lst, field_name)) if field_name else []
        elif kind == "shape":
            v = dims(value.shape)
        elif kind == "tensor":
            v = value.tensor
        elif kind in ("type", "i", "f", "b", "s"):
            v = getattr(value, kind)
        else:
            return None
        out += [name, v]
    return tuple(out)


def dims(shape):
    return None if shape.unknown_rank else [d.size for d in shape.dim]


def same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


