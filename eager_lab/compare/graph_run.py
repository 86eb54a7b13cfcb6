"""Run one step in graph mode and read every graph tensor by its real name (tfdbg2).

TensorFlow's debugger (``enable_dump_debug_info`` with ``FULL_TENSOR``) instruments the
graphs built while it is on and writes each executed tensor, by op name and output slot.
The step function is traced afresh while it is on (a new ``tf.function`` of the same
Python function: same code, same input signature, so the same names as eager_lab's naming
trace), run once, and the dump is read back with ``DebugDataReader``.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from .. import compat
from ..naming.names import graph_name




@dataclass
class GraphTensor:
    """One executed graph tensor (a loop body's tensor occurs once per iteration)."""

    name: str
    graph: str | None
    op_type: str
    value: np.ndarray
    occurrence: int


@dataclass
class GraphRun:
    tensors: list[GraphTensor] = field(default_factory=list)   # execution order
    output: object = None


class StepFailedAsGraph(Exception):
    """Tracing or running the user's step as a graph raised ``__cause__``.

    Only that part is wrapped: a failure reading the debugger's dump back is eager_lab's
    problem, not a difference between the step's eager and graph modes.
    """


def run_step_in_graph(python_fn, specs, args, kwargs) -> GraphRun:
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
        run = GraphRun(output=output)
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
                run.tensors.append(GraphTensor(
                    name, path, trace.op_type,
                    np.asarray(reader.graph_execution_trace_to_tensor_value(trace)),
                    counts[key]))
                counts[key] += 1
        return run
    finally:
        logger.setLevel(level)
        shutil.rmtree(dump, ignore_errors=True)


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
