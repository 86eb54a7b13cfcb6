"""Compare a recorded eager step with the same step run as a graph, tensor by tensor.

The graph run starts from the variable state saved before the eager step (weights,
optimizer and metric state, seed generators), reads every graph tensor by its real name
through tfdbg2 (:mod:`eager_lab.graph_run`), and then puts the state back as it was, so
comparing never changes training.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# (rtol, atol) per dtype kind/size: eager and graph kernels may differ in the last bits
# (grappler and oneDNN fuse ops in graphs). Integers and booleans must match exactly.
DEFAULT_TOLERANCES = {
    "float16": (1e-2, 1e-3), "bfloat16": (1e-2, 1e-2), "float32": (1e-4, 1e-6),
    "float64": (1e-9, 1e-12), "complex64": (1e-4, 1e-6), "complex128": (1e-9, 1e-12),
}


@dataclass
class CompareRow:
    """One graph tensor (or one eager tensor without a graph twin)."""

    name: str | None
    graph: str | None           # function graph path (``while_body``) or None
    op_type: str
    eager: object = None         # TensorRecord, or None (graph-only)
    graph_value: np.ndarray | None = None
    max_abs_diff: float | None = None
    max_rel_diff: float | None = None
    diverges: bool = False
    why: str | None = None       # why values could not be compared
    in_graph: bool = True        # False: an eager tensor the graph run did not execute
    # Why a diverging row differs (``causes.CAUSES``): "python-value", "stateful",
    # "control-flow", "graph-optimization:<pass>", "xla" or "propagated"; None otherwise.
    cause: str | None = None
    cause_text: str | None = None   # one line: what happened, where, and the fix
    noise: bool = False             # the difference is explained by optimisation alone
    origin: int | None = None       # propagated: index (in rows) of the row it came from
    inputs: tuple = ()              # graph input tensor names (graph order), for causes
    layer: str | None = None        # "block_14_depthwise_BN (BatchNormalization)"

    @property
    def eager_value(self):
        return self.eager.value if self.eager is not None else None

    @property
    def only_in(self) -> str | None:
        if self.eager is None:
            return "graph"
        if not self.in_graph:
            return "eager"
        return None

    def __repr__(self) -> str:
        where = f" [{self.only_in} only]" if self.only_in else ""
        diff = f" max|Δ|={self.max_abs_diff:.3g}" if self.max_abs_diff is not None else ""
        mark = f" DIVERGES ({self.cause or '?'})" if self.diverges else ""
        return f"CompareRow({self.name or '<unnamed>'} {self.op_type}{diff}{where}{mark})"


@dataclass
class Comparison:
    """``rows`` in graph execution order, then eager-only tensors."""

    rows: list[CompareRow] = field(default_factory=list)
    tolerances: dict = field(default_factory=dict)
    mode: str = "graph"             # "graph" (tf.function) or "xla" (jit_compile=True)
    xla_layer: object = None        # mode "xla": causes.XlaLayer, the first layer XLA changes
    seconds: float | None = None    # how long compare() took

    @property
    def nbytes(self) -> int:
        """Bytes of graph values held (they count against the recording's memory budget)."""
        return sum(r.graph_value.nbytes for r in self.rows if r.graph_value is not None)

    def drop_values(self) -> int:
        """Free the graph values (differences stay); returns the bytes freed."""
        freed = self.nbytes
        for r in self.rows:
            if r.graph_value is not None:
                r.graph_value = None
                r.why = r.why or "graph value dropped by the memory budget (differences kept)"
        return freed

    @property
    def first_divergence(self) -> CompareRow | None:
        """The first *real* divergence (graph order): not optimisation noise, not propagated."""
        return next((r for r in self.rows if r.diverges and not r.noise
                     and r.cause != "propagated"), None)

    @property
    def first_difference(self) -> CompareRow | None:
        """The first row beyond tolerance, whatever its cause."""
        return next((r for r in self.rows if r.diverges), None)

    @property
    def cause_counts(self) -> dict:
        """Diverging rows per cause (``propagated`` included), most frequent first."""
        counts: dict = {}
        for r in self.rows:
            if r.diverges:
                counts[r.cause or "unknown"] = counts.get(r.cause or "unknown", 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))

    @property
    def noise_count(self) -> int:
        """Diverging rows explained by optimisation alone (hidden by the noise toggle)."""
        return sum(1 for r in self.rows if r.diverges and r.noise)

    @property
    def only_in_graph(self) -> list[CompareRow]:
        return [r for r in self.rows if r.only_in == "graph"]

    @property
    def only_in_eager(self) -> list[CompareRow]:
        return [r for r in self.rows if r.only_in == "eager"]

    def __repr__(self) -> str:
        first = self.first_divergence
        return (f"Comparison({self.mode}: {len(self.rows)} rows, {len(self.only_in_graph)} "
                f"graph-only, {len(self.only_in_eager)} eager-only, first divergence: "
                f"{first.name if first else None}"
                f"{f' ({first.cause})' if first is not None else ''}, {self.noise_count} noise)")


def diff(eager: np.ndarray, graph: np.ndarray, dtype: str, tolerances: dict):
    """(max |Δ|, max relative Δ, diverges) of two values of one tensor."""
    eager, graph = np.asarray(eager), np.asarray(graph)
    if eager.shape != graph.shape:
        return None, None, True
    if eager.size == 0:
        return 0.0, 0.0, False
    if eager.dtype.kind not in "fc":
        same = bool(np.array_equal(eager, graph))
        delta = 0.0 if same else float(np.max(np.abs(eager.astype(np.float64) -
                                                      graph.astype(np.float64))))
        return delta, (0.0 if same else None), not same
    a, b = eager.astype(np.complex128 if eager.dtype.kind == "c" else np.float64), \
        graph.astype(np.complex128 if graph.dtype.kind == "c" else np.float64)
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if np.any(nan_a != nan_b):
        return float("nan"), float("nan"), True
    both = ~nan_a
    delta = np.abs(a[both] - b[both])
    with np.errstate(invalid="ignore"):          # inf - inf
        delta = np.where(np.isnan(delta), np.where(a[both] == b[both], 0.0, np.inf), delta)
    if delta.size == 0:
        return 0.0, 0.0, False
    scale = np.maximum(np.abs(a[both]), np.abs(b[both]))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(scale > 0, delta / scale, 0.0)
    rtol, atol = tolerances.get(dtype, (0.0, 0.0))
    diverges = bool(np.any(delta > atol + rtol * np.abs(b[both])))
    return float(delta.max()), float(np.nanmax(rel)), diverges


def build(step, graph_run, tolerances: dict) -> Comparison:
    """Pair the graph run's tensors with the step's eager tensors by (graph path, name)."""
    eager_by_key: dict = {}
    for t in step.tensors:
        if t.name is not None:
            eager_by_key.setdefault((t.graph, t.name), []).append(t)
    rows, used = [], set()
    for g in graph_run.tensors:
        twins = eager_by_key.get((g.graph, g.name), [])
        twin = twins[g.occurrence] if g.occurrence < len(twins) else None
        row = CompareRow(g.name, g.graph, g.op_type, twin, g.value)
        if twin is not None:
            used.add(id(twin))
            if twin.value is None:
                row.why = f"eager value not compared: {twin.why_no_value}"
            else:
                row.max_abs_diff, row.max_rel_diff, row.diverges = diff(
                    twin.value, g.value, twin.dtype, tolerances)
        rows.append(row)
    for t in step.tensors:
        if id(t) not in used and t.error is None:
            rows.append(CompareRow(t.name, t.graph, t.op_type, t, in_graph=False,
                                   why=t.unnamed_reason or "not executed in the graph run"))
    return Comparison(rows, tolerances)
