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
    # (graph path, op name) -> input tensor names of every op of the step's graphs, from
    # tfdbg2's op-creation records (graph_op_digests)
    inputs: dict = field(default_factory=dict)
    # (graph path, op name) -> op type of every op created in the step's graphs
    created: dict = field(default_factory=dict)

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
                if not in_family(digest.graph_id):
                    continue
                path = _graph_path(reader, digest.graph_id, root_parents)[1:]
                key = ("/".join(path) or None, digest.op_name)
                result.inputs[key] = tuple(digest.input_names or ())
                result.created[key] = digest.op_type
                if digest.op_type in _UNINSTRUMENTED:
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


def run_function(fn, *args, root: str | None = None) -> OracleStep:
    """A plain function traced afresh as a ``tf.function`` (autograph off, as eager_lab
    and Keras trace) and run once on ``args`` under tfdbg2."""
    graph_fn = tf.function(fn, autograph=False)
    return run_graph_step(None, lambda: graph_fn(*args), root_prefix=root or fn.__name__)


def trace_cell(source: str, namespace: dict | None = None) -> OracleStep:
    """A notebook cell's code (plain Python, no magics) as one graph function under tfdbg2.

    The cell runs in a copy of ``namespace`` (default: just ``tf``), so it binds nothing
    outside; its ops get the names a graph gives them, in the order the code makes them.
    """
    code = compile(source, "<oracle cell>", "exec")
    scratch = dict(namespace if namespace is not None else {"tf": tf})

    def oracle_cell():
        exec(code, scratch)  # noqa: S102 - the test's own cell

    return run_function(oracle_cell)


def close(a, b) -> bool:
    """Equal values: floats within rtol 1e-4 / atol 1e-5 (in float64), the rest exactly."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        return bool(np.allclose(a.astype(np.float64), b.astype(np.float64),
                                rtol=1e-4, atol=1e-5, equal_nan=True))
    return bool(np.array_equal(a, b))


# Graph tensors with no eager op of their own, whatever the model: constants (eager code
# holds them as EagerTensors, made without running an op), placeholders (the arguments of
# a function graph: branch and loop-body inputs, captured tensors) and the Identity ops
# tracing adds around function boundaries (eager code runs an Identity only for an
# explicit tf.identity, and those are named). The product leaves these out of graph_only
# (names.TRIVIAL_OPS): every other oracle tensor must be named or reported graph-only.
NO_EAGER_OP = frozenset({"Const", "Placeholder", "Identity"})


@dataclass
class Score:
    named: int                 # eager tensors with a name
    wrong: list                # (key, why) for every wrong name
    graph_total: int           # every tensor the oracle recorded in the step's graphs
    named_ok: int              # oracle tensors named by an eager tensor, rightly
    graph_only_ok: int         # oracle tensors the product lists as graph-only, by that name
    missed: dict               # oracle tensors neither named nor listed: key -> op type
    graph_only_wrong: list     # (key, why) for graph-only entries that are not what they say
    inputs_checked: int        # eager ops whose recorded inputs were compared with the graph's
    input_pairs: int           # (eager input, graph op) pairs compared

    @property
    def precision(self) -> float:
        return 1.0 if self.named == 0 else (self.named - len(self.wrong)) / self.named

    @property
    def recalled(self) -> int:
        return self.named_ok + self.graph_only_ok

    @property
    def recall(self) -> float:
        """(named rightly + listed graph-only by their name) over every oracle tensor."""
        return 1.0 if self.graph_total == 0 else self.recalled / self.graph_total


def graph_inputs(oracle: OracleStep, graph, op_name) -> set | None:
    """Names of the tensors a graph op consumes (control inputs left out), or None when
    the oracle has no op of that name."""
    direct = oracle.inputs.get((graph, op_name))
    if direct is None:
        return None
    return {n for n in direct if not n.startswith("^")}


def score(step, oracle: OracleStep) -> Score:
    """Compare a captured step's names, values and inputs with the graph run's."""
    wrong = []
    occurrences = defaultdict(int)
    named_keys = set()
    named = 0
    inputs_checked = input_pairs = 0
    checked_ops = set()
    occurrence = {}          # row -> iteration (occurrence of its name)
    for t in step.tensors:
        if t.name is None:
            continue
        named += 1
        key = (t.graph, t.name)
        k = occurrences[key]
        occurrences[key] += 1
        occurrence[t.index] = k
        named_keys.add(key)
        graph_values = oracle.lookup(key)
        if not graph_values:
            wrong.append((key, "name not in graph run"))
            continue
        if oracle.op_types[key] != t.op_type:
            wrong.append((key, f"op type {t.op_type} vs graph {oracle.op_types[key]}"))
            continue
        if t.value is not None and not close(t.value, graph_values[min(k, len(graph_values) - 1)]):
            wrong.append((key, "value differs"))
            continue
        # Equal values do not tell apart tensors of one op type that hold the same thing
        # (two reads of one variable, zeros, shapes): the ops they feed do. Every input an
        # eager op took from another named tensor of the same graph must be an input of
        # the graph op of that name.
        if t.op_index in checked_ops:
            continue
        checked_ops.add(t.op_index)
        op_name = t.name.rpartition(":")[0]
        expected = graph_inputs(oracle, t.graph, op_name)
        if expected is None:
            continue
        inputs_checked += 1
        loop_carried = any(oracle.created.get((t.graph, n.rpartition(":")[0])) == "Placeholder"
                           for n in expected) and "while_body" in (t.graph or "")
        for i in t.inputs:
            source = step.tensors[i]
            if source.name is None or source.graph != t.graph:
                continue  # unnamed, or captured from an outer graph (a placeholder here)
            if loop_carried and occurrence[i] == k - 1:
                # A loop variable: the graph body reads it from a placeholder, the eager
                # iteration from the previous iteration's output.
                continue
            input_pairs += 1
            if source.name not in expected:
                wrong.append((key, f"input {source.name} (row {i}) is not an input of graph "
                                   f"op {op_name}: {sorted(expected)}"))
    keys = set(oracle.op_types)
    only = {(g.graph, g.name): g for g in step.graph_only}
    graph_only_wrong = []
    for key, g in only.items():
        op_name = key[1].rpartition(":")[0]
        created = oracle.created.get((key[0], op_name))
        if created is None and g.op_type.startswith("Stateless"):
            # tfdbg2's debug ops are stateful: in the oracle's graph a StatelessIf is an
            # If, and one named after its type (gradient_tape/cond/StatelessIf) is
            # gradient_tape/cond/If there.
            stateful = g.op_type[len("Stateless"):]
            created = oracle.created.get((key[0], op_name.replace(g.op_type, stateful)))
        same_type = created is not None and \
            created.replace("Stateless", "") == g.op_type.replace("Stateless", "")
        if not same_type:
            graph_only_wrong.append((key, f"listed as {g.op_type}, the graph has {created}"))
        elif key in named_keys:
            graph_only_wrong.append((key, "listed graph-only but an eager tensor has the name"))
    # Recall counts a graph-only entry only when the oracle ran a tensor of that name and
    # type (If/While outputs and untaken branches are listed but never traced by tfdbg2).
    bad = {key for key, _ in wrong} | {key for key, _ in graph_only_wrong}
    named_ok = {key for key in keys & named_keys if key not in bad}
    graph_only_ok = {key for key in keys & set(only) if key not in bad and key not in named_ok
                     and only[key].op_type == oracle.op_types[key]}
    missed = {key: oracle.op_types[key] for key in keys - named_ok - graph_only_ok}
    return Score(named=named, wrong=wrong, graph_total=len(keys), named_ok=len(named_ok),
                 graph_only_ok=len(graph_only_ok), missed=missed,
                 graph_only_wrong=graph_only_wrong, inputs_checked=inputs_checked,
                 input_pairs=input_pairs)
