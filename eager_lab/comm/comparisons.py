"""The eager-vs-graph messages of the comm protocol (docs/protocol.md, ``get_comparison``):
a Comparison's rows, with (1.4) why each differs, and the whole comparison's first real
divergence, counts per cause and, against XLA, the layer it changes first.

Pure shapes, like :mod:`.protocol` (which names these builders too): no sending, no
lookups; ``transport`` finds the comparison and sends the reply.
"""
from __future__ import annotations

import numpy as np

from .jsonsafe import cut, finite


def comparison_row(k: int, r) -> dict:
    """Row ``k`` of a Comparison: the graph value's one-line summary, the differences,
    and (1.4) why it differs."""
    from ..record.summary import summarize
    graph_summary = None
    if r.graph_value is not None:
        g = r.graph_value
        graph_summary = summarize(g, g.dtype.name, tuple(g.shape)).line()
    eager_index = r.eager.index if r.eager is not None else None
    # An eager side that is no tensor of the step (XLA rows: a value of an eager replay):
    # the panel cannot look its summary up by index, so it comes with the row.
    eager_summary = None
    if r.eager is not None and eager_index is None and r.eager_value is not None:
        e = np.asarray(r.eager_value)
        eager_summary = summarize(e, e.dtype.name, tuple(e.shape)).line()
    return {"k": k, "name": r.name, "graph": r.graph, "op": r.op_type,
            "eager_index": eager_index, "eager_summary": eager_summary,
            "graph_summary": graph_summary, "max_abs_diff": finite(r.max_abs_diff),
            "max_rel_diff": finite(r.max_rel_diff), "diverges": bool(r.diverges),
            "only_in": r.only_in, "why": r.why,
            # 1.4: the cause of a difference (null on rows that agree)
            "cause": r.cause, "cause_text": cut(r.cause_text), "noise": bool(r.noise),
            "origin": int(r.origin) if r.origin is not None else None, "layer": r.layer}


def xla_layer(layer) -> dict | None:
    """(1.4) The first layer whose XLA forward/backward differs from eager, or None.

    ``path``, ``class_name`` and ``max_abs_diff`` are None when no single layer differs
    (``text`` then says where the difference comes from)."""
    if layer is None:
        return None
    size = layer.max_abs_diff
    return {"path": layer.path, "class_name": layer.class_name,
            "max_abs_diff": finite(float(size)) if size is not None else None,
            "text": cut(layer.text)}


def comparison(req, cmp) -> dict:
    """The ``comparison`` reply: a page of ``cmp``'s rows (``req.offset``, ``req.limit``
    of a parsed ``get_comparison``) and what the whole comparison says."""
    rows = cmp.rows[req.offset:req.offset + req.limit]
    # By identity: list.index() compares rows field by field, numpy values included
    # ("truth value of an array is ambiguous" for two rows of one loop-body name).
    position = {id(r): k for k, r in enumerate(cmp.rows)}
    first, raw_first = cmp.first_divergence, cmp.first_difference
    seconds = getattr(cmp, "seconds", None)
    return {"type": "comparison", "request_id": req.request_id,
            "recording_id": req.recording_id, "step": req.step,
            # 1.4: the first *real* divergence (not noise, not propagated); before, the
            # first row beyond tolerance, which is now first_difference.
            "first_divergence": position[id(first)] if first is not None else None,
            "first_difference": position[id(raw_first)] if raw_first is not None else None,
            "causes": {str(c): int(n) for c, n in cmp.cause_counts.items()},
            "noise": int(cmp.noise_count), "mode": cmp.mode,
            "xla_layer": xla_layer(getattr(cmp, "xla_layer", None)),
            "seconds": finite(float(seconds)) if seconds is not None else None,
            "offset": min(req.offset, len(cmp.rows)), "total": len(cmp.rows),
            "rows": [comparison_row(req.offset + i, r) for i, r in enumerate(rows)]}
