"""Capture: the op callback that sees every op of a step, eager or being traced.

One :class:`OpCapture` per thread is registered with TensorFlow while a capture is
active. Its per-op work is kept minimal (the field notes measured per-op Python work as
the main cost): for an eager op inside a recorded step it appends
``(op_type, outputs, raw call stack)``; for an op created while eager_lab traces the step
function it also keeps the op name and graph. Everything else (names, summaries) happens
once per step, after the step.
"""
from __future__ import annotations

import contextlib
import sys
from typing import NamedTuple

from .. import compat
from .callsite import raw_stack

_GRADIENT_CODE = compat.GRADIENT_FUNCTION_CODE


class EagerOp(NamedTuple):
    op_type: str
    outputs: tuple | None  # None for the op that raised
    stack: tuple           # raw (code, lasti, code, lasti, ...) up to the step entry
    input_ids: tuple = ()  # id() of the input tensors (to find a gradient's forward op)
    forward: tuple | None = None  # gradient ops: (forward op type, input ids, output id)


class GraphOp(NamedTuple):
    op_type: str
    op_name: str
    graph: object          # the FuncGraph the op lives in
    outputs: tuple         # symbolic tensors (shape, dtype)
    stack: tuple
    forward: tuple | None = None  # gradient ops: (graph, name) of the forward op


class OpCapture:
    """Collects ops created below ``entry_code`` (the function every step goes through)."""

    def __init__(self, entry_code):
        self.entry_code = entry_code
        self.recording = False     # eager ops are kept only while a step is recorded
        self.tracing = False       # graph ops are kept only while eager_lab traces
        self.eager_ops: list[EagerOp] = []
        self.graph_ops: list[GraphOp] = []
        self._registered = False

    def enable(self) -> None:
        if not self._registered:
            compat.add_op_callback(self.callback)
            self._registered = True

    def disable(self) -> None:
        if self._registered:
            compat.remove_op_callback(self.callback)
            self._registered = False

    @contextlib.contextmanager
    def paused(self):
        """Ops run inside are not recorded (eager_lab's own reads during a step)."""
        recording, self.recording = self.recording, False
        try:
            yield
        finally:
            self.recording = recording

    def take_eager_ops(self) -> list[EagerOp]:
        ops, self.eager_ops = self.eager_ops, []
        return ops

    def take_graph_ops(self) -> list[GraphOp]:
        ops, self.graph_ops = self.graph_ops, []
        return ops

    def callback(self, op_type, inputs, attrs, outputs, op_name=None, graph=None):
        # Always hand `outputs` on: TensorFlow passes each callback what the previous one
        # returned and treats a final None as "keep the originals", so returning None
        # would hide outputs from (or undo the instrumentation of) tfdbg2 and others.
        del attrs  # Unused: names and values come from the outputs.
        if graph is None:
            if not self.recording:
                return outputs
        elif not self.tracing:
            return outputs
        stack, grad_frame = raw_stack(sys._getframe(1), self.entry_code, _GRADIENT_CODE)
        if stack is None:  # not inside a step (e.g. Keras' symbolic build graphs)
            return outputs
        if isinstance(op_type, bytes):
            op_type = op_type.decode()
        if graph is None:
            forward = None
            if grad_frame is not None:
                args = grad_frame.f_locals
                out = next((o for o in args["outputs"] or () if o is not None), None)
                forward = (args["op_name"], tuple(map(id, args["inputs"] or ())),
                           id(out) if out is not None else None)
            self.eager_ops.append(EagerOp(op_type, tuple(outputs or ()), stack,
                                          tuple(map(id, inputs or ())), forward))
        else:
            forward = _graph_forward(grad_frame) if grad_frame is not None else None
            self.graph_ops.append(GraphOp(op_type, op_name, graph, tuple(outputs or ()),
                                          stack, forward))
        return outputs


def _graph_forward(grad_frame) -> tuple | None:
    """(graph, name) of the forward op whose gradient a graph op belongs to.

    Names are unique per graph only: a branch graph holds a placeholder named after
    each outer tensor it captures.
    """
    args = grad_frame.f_locals
    for t in args["outputs"] or ():
        if t is not None:
            return t.op.graph, t.op.name
    inputs = [t for t in args["inputs"] or ()]
    if inputs and inputs[0] is not None:
        for consumer in inputs[0].consumers():
            # `is`, never `==`: Tensor.__eq__ would add an Equal op to the graph.
            same = len(consumer.inputs) == len(inputs) and all(
                a is b for a, b in zip(consumer.inputs, inputs))
            if consumer.type == args["op_name"] and same:
                return consumer.graph, consumer.name
    return None
