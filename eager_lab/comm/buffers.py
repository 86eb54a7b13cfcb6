"""Tensor values as message buffers: a page of a sub-array, as raw little-endian bytes.

Values never travel as JSON numbers (a 1M-element page would be ~20 MB of text and lose
float32 exactness); the JSON part of a ``values`` reply gives ``dtype`` and ``shape``, and
``buffers[0]`` holds ``count`` elements in C order. The frontend reads them with a typed
array of that dtype.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .protocol import MAX_VALUES, ProtocolError, preview

# Wire dtype per tensor dtype. bool -> uint8 (no JS typed array for bool); float16 has no
# typed array in all browsers yet, and bfloat16 values are float32 in the record already.
_WIRE = {"bool": "uint8", "float16": "float32", "bfloat16": "float32"}
_SENDABLE = {"float32", "float64", "int8", "int16", "int32", "int64",
             "uint8", "uint16", "uint32", "uint64"}


@dataclass(frozen=True)
class Held:
    """A value that is not a TensorRecord (a comparison's graph value), for :func:`page`."""

    value: np.ndarray
    index: int

    @property
    def shape(self):
        return self.value.shape

    @property
    def dtype(self):
        return self.value.dtype.name


@dataclass(frozen=True)
class ValuePage:
    """``count`` elements from ``offset`` of the selected sub-array (``shape``, ``total``)."""

    dtype: str
    shape: tuple
    offset: int
    count: int
    total: int
    buffer: memoryview


def wire_dtype(array: np.ndarray) -> str | None:
    """The dtype the values travel as, or None when they cannot be sent (strings, complex)."""
    name = _WIRE.get(array.dtype.name, array.dtype.name)
    return name if name in _SENDABLE else None


def page(rec, prefix: tuple = (), offset: int = 0, count: int = MAX_VALUES,
         request_id: str | None = None) -> ValuePage:
    """Select ``rec.value[prefix]``, flatten it in C order, take ``[offset:offset+count]``.

    ``offset`` beyond the end gives an empty page (count 0), so a client paging with a
    stale total gets an answer, not an error.

    Raises:
      ProtocolError: ``no_value`` (dropped by the memory budget, or not numeric), or
        ``bad_request`` (``prefix`` longer than the rank or outside the shape).
    """
    value = rec.value
    if value is None:
        why = ("its value was dropped by the memory budget (the summary remains)"
               if rec.shape is not None and rec.dtype not in ("resource", "variant", "string")
               else f"it has no numeric value (dtype {rec.dtype})")
        raise ProtocolError("no_value", f"tensor {rec.index}: {why}", request_id)
    wire = wire_dtype(value)
    if wire is None:
        raise ProtocolError("no_value", f"tensor {rec.index}: values of dtype {rec.dtype} "
                            "are not sent (only real numbers and bool)", request_id)
    shape = value.shape
    if len(prefix) > len(shape) or any(p >= d for p, d in zip(prefix, shape)):
        raise ProtocolError("bad_request", f"prefix {preview(list(prefix))} is outside shape "
                            f"{list(shape)}", request_id)
    sub = np.asarray(value[tuple(prefix)])        # a view; 0-d when prefix indexes every axis
    flat = np.ascontiguousarray(sub).reshape(-1)  # copies only a strided selection
    total = flat.size
    offset = min(offset, total)
    chunk = flat[offset:offset + count]
    # astype(copy=False) is a no-op for little-endian float32/int data, so a page of a
    # contiguous tensor is sent straight from the tensor's memory.
    out = np.ascontiguousarray(chunk.astype(np.dtype(wire).newbyteorder("<"), copy=False))
    return ValuePage(wire, sub.shape, offset, int(out.size), int(total),
                     memoryview(out).cast("B"))
