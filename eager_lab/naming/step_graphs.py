"""Tracing a step function as the graph Keras (or ``tf.function``) would run, for names.

The trace never runs; it is cached per input signature. Every captured step, eager or
traced, enters through :func:`_step_body`, where call sites are cut.
"""
from __future__ import annotations

import contextlib
import functools
import io
from typing import Any, Callable

import numpy as np
import tensorflow as tf

from ..errors import describe
from .names import GraphIndex
from ..capturing.op_capture import OpCapture
from ..capturing.state import python_attributes, restore_python_attributes


def _step_body(step_fn, args, kwargs):
    """Every captured step, eager or traced, runs through this frame.

    Call sites are cut here, so an op's call site starts in the step function in both the
    eager run and the trace. Keep it a plain function that does nothing else.
    """
    return step_fn(*args, **kwargs)


_ENTRY_CODE = _step_body.__code__


def _spec_of(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tf.TypeSpec):
        return value
    if isinstance(value, tf.Tensor):
        return tf.TensorSpec(value.shape, value.dtype)
    if isinstance(value, np.ndarray):  # no conversion just to read shape and dtype
        return tf.TensorSpec(value.shape, tf.as_dtype(value.dtype))
    if hasattr(value, "__array__"):
        tensor = tf.convert_to_tensor(value)
        return tf.TensorSpec(tensor.shape, tensor.dtype)
    return tf.type_spec_from_value(value)


def _signature(args, kwargs, element_spec=None):
    """Input specs of a step (the iterator's element_spec for Keras' fit, as graph Keras sees it)."""
    if element_spec is not None:
        try:
            tf.nest.assert_same_structure(element_spec, args[0], check_types=False)
            return (element_spec,), {}
        except (TypeError, ValueError):
            pass
    return tf.nest.map_structure(_spec_of, (args, kwargs))


class _StepGraphs:
    """The traced graph of a step function, once per input signature, reused across captures."""

    def __init__(self, python_fn: Callable, capture: OpCapture, input_signature=None,
                 autograph: bool = False):
        # Autograph (a user's own tf.function) converts the user's code only; the step
        # entry must stay unconverted, or call sites would not be cut at it.
        traced_fn = tf.autograph.to_graph(python_fn) if autograph else python_fn

        @functools.wraps(python_fn)
        def one_step_on_data(*args, **kwargs):
            return _step_body(traced_fn, args, kwargs)

        self.capture = capture
        self.python_function = one_step_on_data   # what a fresh trace (compare) traces
        self.function = tf.function(one_step_on_data, autograph=False, reduce_retracing=True,
                                    input_signature=input_signature)
        self.indexes: dict[str, GraphIndex] = {}
        self.concrete: dict[str, Any] = {}
        self.errors: dict[str, str] = {}

    def index_for(self, key: str, specs, quiet_owner=None) -> tuple[GraphIndex | None, str | None]:
        """Trace (without running) for this signature; cached. Returns (index, error)."""
        if key in self.indexes or key in self.errors:
            return self.indexes.get(key), self.errors.get(key)
        args, kwargs = specs
        saved = python_attributes(quiet_owner)
        self.capture.take_graph_ops()
        self.capture.tracing = True
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                concrete = self.function.get_concrete_function(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - any trace failure leaves names unset
            self.errors[key] = _trace_error_message(err)
            return None, self.errors[key]
        finally:
            self.capture.tracing = False
            restore_python_attributes(quiet_owner, saved)
        ops = self.capture.take_graph_ops()
        graph_key = id(concrete.graph)
        # A relaxed signature can reuse a graph traced earlier: then no op was seen now.
        for other_key, other in self.concrete.items():
            if id(other.graph) == graph_key and not ops:
                self.indexes[key] = self.indexes[other_key]
                break
        else:
            self.indexes[key] = GraphIndex.build(ops, concrete.graph)
        self.concrete[key] = concrete
        return self.indexes[key], None


def _trace_error_message(err: BaseException) -> str:
    return f"could not trace the step as a graph: {describe(err, limit=300)}"
