"""Run one step in graph mode and read every graph tensor by its real name.

In memory when it can: the graph eager_lab traced for names (the graph Keras runs for
this signature) is run once as a function whose outputs are all its top-level tensors
(:func:`eager_lab.compat.fetch_function`): no second trace, nothing written to disk.
Graph order is the order the step built its ops, a topological order of the graph.

Otherwise (the step has cond branches or loop bodies, whose tensors a function cannot
return, or the private API moved) through TensorFlow's debugger: ``enable_dump_debug_info``
with ``FULL_TENSOR`` instruments the graphs built while it is on and writes each executed
tensor by op name and output slot. The step function is traced afresh while it is on
(same code, same input signature, so the same names), run once, and the dump is read back
with ``DebugDataReader``, in execution order.
"""
from __future__ import annotations

import logging
import weakref
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from .. import compat
from ..naming.names import graph_name




#: Ops that run nested function graphs: their tensors are not top-level outputs.
NESTED_GRAPH_OPS = frozenset({"If", "StatelessIf", "While", "StatelessWhile", "Case",
                              "StatelessCase", "PartitionedCall", "StatefulPartitionedCall"})
_NOT_VALUES = (tf.resource, tf.variant)


@dataclass
class GraphTensor:
    """One executed graph tensor (a loop body's tensor occurs once per iteration)."""

    name: str
    graph: str | None
    op_type: str
    value: np.ndarray
    occurrence: int
    inputs: tuple = ()     # names of the op's input tensors (same graph), when known
    op: object = None      # the graph Operation (top level of a traced graph), when known


@dataclass
class GraphRun:
    tensors: list[GraphTensor] = field(default_factory=list)   # graph order
    output: object = None
    concrete: object = None   # the ConcreteFunction that ran (its graph's ops)
    in_memory: bool = False   # read in memory (else through tfdbg2's dump)
    feeds: dict = field(default_factory=dict)   # top-level input tensor name -> value


def run_step_in_graph(replay) -> GraphRun:
    """The step of ``replay`` as a graph, every tensor read; the variables must be set.

    Raises :class:`StepFailedAsGraph` when the step itself cannot be traced or run.
    """
    concrete = replay.traced() if replay.traced is not None else None
    if concrete is not None and compat.can_fetch() and _top_level_only(concrete.graph):
        return _run_in_memory(concrete, replay.args, replay.kwargs)
    return run_under_debugger(replay.python_function, replay.specs, replay.args,
                              replay.kwargs)


def _top_level_only(graph) -> bool:
    return not any(op.type in NESTED_GRAPH_OPS for op in graph.get_operations())


#: ConcreteFunction -> (fetched tensors, call): TensorFlow optimises a function once per
#: instantiation (seconds on a real model), so comparing more steps of the same signature
#: reuses it.
_FETCHERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _fetcher(concrete):
    cached = _FETCHERS.get(concrete)
    if cached is None:
        every_op = concrete.graph.get_operations()
        # The inputs too (not rows: they are the step's arguments): a re-run needs them.
        # Not constants: their values are in the graph (a third of MobileNetV2's tensors,
        # and every output costs time when TensorFlow instantiates the function).
        fetched = [t for op in every_op if op.type != "Const"
                   for t in op.outputs if t.dtype not in _NOT_VALUES]
        cached = _FETCHERS[concrete] = (fetched, compat.fetch_function(concrete, fetched))
    return cached


def _run_in_memory(concrete, args, kwargs) -> GraphRun:
    every_op = concrete.graph.get_operations()
    graph_ops = [op for op in every_op if op.type != "Placeholder"]
    fetched, call = _fetcher(concrete)
    try:
        values = call(args, kwargs)
    except Exception as err:  # noqa: BLE001 - the user's step failed as a graph
        raise StepFailedAsGraph(err) from err
    run = GraphRun(concrete=concrete, in_memory=True)
    by_tensor = dict(zip(map(id, fetched), values))
    for op in every_op:
        if op.type == "Placeholder" and id(op.outputs[0]) in by_tensor:
            run.feeds[op.outputs[0].name] = by_tensor[id(op.outputs[0])].numpy()
    for op in graph_ops:
        inputs = tuple(t.name for t in op.inputs)
        if op.type == "Const":
            if op.outputs[0].dtype not in _NOT_VALUES:
                run.tensors.append(GraphTensor(op.outputs[0].name, None, op.type,
                                               tf.make_ndarray(op.get_attr("value")), 0,
                                               inputs, op))
            continue
        for t in op.outputs:
            value = by_tensor.get(id(t))
            if value is not None:
                run.tensors.append(GraphTensor(t.name, None, op.type, value.numpy(), 0,
                                               inputs, op))
    return run


class StepFailedAsGraph(Exception):
    """Tracing or running the user's step as a graph raised ``__cause__``.

    Only that part is wrapped: a failure reading the debugger's dump back is eager_lab's
    problem, not a difference between the step's eager and graph modes.
    """


def run_under_debugger(python_fn, specs, args, kwargs) -> GraphRun:
    """Trace ``python_fn`` (autograph off, as Keras) under tfdbg2, run it on ``args``.

    Raises :class:`StepFailedAsGraph` when the step itself cannot be traced or run.
    """
    dump = tempfile.mkdtemp(prefix="eager_lab_graph_")
    # tfdbg2 logs INFO lines and a warning per notebook cell whose source file it cannot
    # read; they would land in the user's cell output, and say nothing about their model.
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        tf.debugging.experimental.enable_dump_debug_info(
            dump, tensor_debug_mode="FULL_TENSOR", circular_buffer_size=-1)
        try:
            function = tf.function(python_fn, autograph=False, reduce_retracing=True)
            concrete = function.get_concrete_function(*specs[0], **specs[1])
            output = concrete(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - the user's step failed as a graph
            raise StepFailedAsGraph(err) from err
        finally:
            tf.debugging.experimental.disable_dump_debug_info()
        run = GraphRun(output=output, concrete=concrete)
        with compat.debug_data_reader(dump) as reader:
            reader.update()
            root = _root_graph_id(reader, concrete.graph.name)
            counts: dict = defaultdict(int)
            for trace in reader.graph_execution_traces():
                inside, path = _path_below(reader, trace.graph_id, root)
                if not inside:
                    continue
                name = f"{trace.op_name}:{trace.output_slot}"
                key = (path, name)
                op = _top_level_op(concrete.graph, trace.op_name) if path is None else None
                inputs = (tuple(t.name for t in op.inputs) if op is not None
                          else _digest_inputs(reader, trace))
                run.tensors.append(GraphTensor(
                    name, path, trace.op_type,
                    np.asarray(reader.graph_execution_trace_to_tensor_value(trace)),
                    counts[key], inputs, op))
                counts[key] += 1
        return run
    finally:
        logger.setLevel(level)
        shutil.rmtree(dump, ignore_errors=True)


def _top_level_op(graph, name):
    try:
        return graph.get_operation_by_name(name)
    except (KeyError, ValueError):
        return None


def _digest_inputs(reader, trace) -> tuple:
    """The op's input tensor names as tfdbg2 recorded them when the op was created."""
    try:
        digest = reader.graph_by_id(trace.graph_id).get_op_creation_digest(trace.op_name)
        return tuple(digest.input_names or ())
    except Exception:  # noqa: BLE001 - inputs are a refinement; the value is what counts
        return ()


def _root_graph_id(reader, root_name):
    for gid in {t.graph_id for t in reader.graph_execution_traces()}:
        chain = gid
        while chain is not None:
            graph = reader.graph_by_id(chain)
            if graph.name == root_name:
                return chain
            chain = graph.outer_graph_id
    return None


def _path_below(reader, graph_id, root) -> tuple[bool, str | None]:
    """(inside the step's graphs, 'cond_true/...' path below the root or None for the root)."""
    names = []
    while graph_id is not None:
        if graph_id == root:
            return True, "/".join(reversed(names)) or None
        graph = reader.graph_by_id(graph_id)
        names.append(graph_name(graph.name))  # the rule names use: rows pair by path
        graph_id = graph.outer_graph_id
    return False, None
