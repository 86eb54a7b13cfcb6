"""The naming oracle: tfdbg2 records every graph tensor of a graph-mode step by its real
name and value. Tests run the same step eagerly under eager_lab and in graph mode under
tfdbg2, from the same state, and compare."""
from __future__ import annotations

import re
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow.python.debug.lib import debug_events_reader

TRIVIAL_OPS = {"Const", "Placeholder", "Identity", "NoOp"}
# Written out here, not imported from eager_lab: the oracle stays independent of the code
# it checks. Function graphs carry unique ids (cond_true_123, while_body_45_rewritten): drop them.
_GRAPH_ID = re.compile(r"_\d+(?=_|$)|_rewritten$")
# Ops tfdbg2 does not instrument (op_callbacks_common.OP_CALLBACK_SKIP_OPS): their names are
# checked against tfdbg2's op-creation records and their values against their input's.
_UNINSTRUMENTED = {"Identity"}


def state_variables(model):
    """Every variable a train step can change: weights, optimizer, metrics, seeds."""
    seen, out = set(), []
    import keras
    groups = [model.variables, getattr(model.optimizer, "variables", []),
              getattr(model, "metrics_variables", [])]
    groups += [o.variables for o in vars(model).values() if isinstance(o, keras.optimizers.Optimizer)]
    for extra in getattr(model, "extra_state_variables", lambda: [])():
        groups.append([extra])
    for group in groups:
        for v in group:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
    return out


def snapshot(model):
    return [(v, np.array(v.numpy(), copy=True)) for v in state_variables(model)]


def restore(saved):
    for v, value in saved:
        v.assign(value)


@dataclass
class OracleStep:
    """Graph tensors of one step: (graph path, tensor name) -> values, in execution order."""

    values: dict = field(default_factory=lambda: defaultdict(list))
    op_types: dict = field(default_factory=dict)
    # (graph path, op name) -> input tensor names, for ops tfdbg2 does not instrument
    uninstrumented: dict = field(default_factory=dict)

    def lookup(self, key):
        """Values of a graph tensor; an uninstrumented Identity's are its input's."""
        if key in self.values:
            return self.values[key]
        graph, name = key
        op_name, _, slot = name.rpartition(":")
        inputs = self.uninstrumented.get((graph, op_name))
        if inputs and slot == "0":
            return self.lookup((graph, inputs[0]))
        return None

    def nontrivial(self):
        return {k for k, t in self.op_types.items() if t not in TRIVIAL_OPS}


def _graph_path(reader, graph_id, root_ids):
    names = []
    while graph_id is not None and graph_id not in root_ids:
        graph = reader.graph_by_id(graph_id)
        names.append(_GRAPH_ID.sub("", graph.name))
        graph_id = graph.outer_graph_id
    return tuple(reversed(names))


def run_graph_step(model, run, root_prefix="one_step_on_data", prepare=None):
    """Run ``run()`` (e.g. ``lambda: model.train_on_batch(x, y)``) in graph mode under tfdbg2.

    Only graphs of the step function (named ``root_prefix``) and graphs nested in it count.
    """
    dump = tempfile.mkdtemp(prefix="eager_lab_oracle_")
    try:
        tf.debugging.experimental.enable_dump_debug_info(
            dump, tensor_debug_mode="FULL_TENSOR", circular_buffer_size=-1)
        try:
            if model is not None:
                model.run_eagerly = False
                model.make_train_function(force=True)
            if prepare is not None:
                prepare()
            run()
        finally:
            tf.debugging.experimental.disable_dump_debug_info()
        result = OracleStep()
        with debug_events_reader.DebugDataReader(dump) as reader:
            reader.update()
            graphs = {g: reader.graph_by_id(g) for g in
                      {t.graph_id for t in reader.graph_execution_traces()}}
            roots = set()
            for gid in graphs:
                chain = gid
                while chain is not None:
                    g = reader.graph_by_id(chain)
                    if g.name and (g.name == root_prefix or g.name.startswith(root_prefix + "_")
                                   or g.name.startswith("__inference_" + root_prefix)):
                        roots.add(chain)
                        break
                    chain = g.outer_graph_id
            root_parents = {reader.graph_by_id(r).outer_graph_id for r in roots}
            def in_family(graph_id):
                while graph_id is not None:
                    if graph_id in roots:
                        return True
                    graph_id = reader.graph_by_id(graph_id).outer_graph_id
                return False

            for digest in reader.graph_op_digests():
                if digest.op_type in _UNINSTRUMENTED and in_family(digest.graph_id):
                    path = _graph_path(reader, digest.graph_id, root_parents)[1:]
                    key = ("/".join(path) or None, digest.op_name)
                    result.uninstrumented[key] = digest.input_names
                    result.op_types[(key[0], f"{digest.op_name}:0")] = digest.op_type
            for trace in reader.graph_execution_traces():
                chain, inside = trace.graph_id, False
                while chain is not None:
                    if chain in roots:
                        inside = True
                        break
                    chain = reader.graph_by_id(chain).outer_graph_id
                if not inside:
                    continue
                path = _graph_path(reader, trace.graph_id, root_parents)[1:]
                name = f"{trace.op_name}:{trace.output_slot}"
                key = ("/".join(path) or None, name)
                result.op_types[key] = trace.op_type
                result.values[key].append(reader.graph_execution_trace_to_tensor_value(trace))
        return result
    finally:
        shutil.rmtree(dump, ignore_errors=True)


def _close(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        return bool(np.allclose(a.astype(np.float64), b.astype(np.float64),
                                rtol=1e-4, atol=1e-5, equal_nan=True))
    return bool(np.array_equal(a, b))


@dataclass
class Score:
    named: int
    wrong: list
    twins: int
    recalled: int
    graph_total: int
    graph_only: int

    @property
    def precision(self) -> float:
        return 1.0 if self.named == 0 else (self.named - len(self.wrong)) / self.named

    @property
    def recall(self) -> float:
        """Named graph tensors over graph tensors that have an eager twin."""
        return 1.0 if self.twins == 0 else self.recalled / self.twins

    @property
    def recall_all(self) -> float:
        return 1.0 if self.graph_total == 0 else self.recalled / self.graph_total


def score(step, oracle: OracleStep) -> Score:
    """Compare a captured step's names and values with the graph run's."""
    wrong = []
    occurrences = defaultdict(int)
    named_keys = set()
    named = 0
    for t in step.tensors:
        if t.name is None:
            continue
        named += 1
        key = (t.graph, t.name)
        k = occurrences[key]
        occurrences[key] += 1
        named_keys.add(key)
        graph_values = oracle.lookup(key)
        if not graph_values:
            wrong.append((key, "name not in graph run"))
        elif oracle.op_types[key] != t.op_type:
            wrong.append((key, f"op type {t.op_type} vs graph {oracle.op_types[key]}"))
        elif t.value is not None and not _close(t.value, graph_values[min(k, len(graph_values) - 1)]):
            wrong.append((key, "value differs"))
    graph_keys = oracle.nontrivial()
    only = {(g.graph, g.name) for g in step.graph_only}
    twins = graph_keys - only
    recalled = len(graph_keys & named_keys)
    return Score(named=named, wrong=wrong, twins=len(twins), recalled=len(twins & named_keys),
                 graph_total=len(graph_keys), graph_only=len(graph_keys & only)) if True else recalled
