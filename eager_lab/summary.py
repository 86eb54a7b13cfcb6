"""Summaries: a few numbers that describe a tensor, kept even when its value is dropped.

The one-line form follows lovely-tensors: ``f32[64,10] x∈[-2.1, 2.6] μ=0.01 σ=1.0 NaN!``.
Statistics are computed with few passes over memory (the capture's cost is dominated by
them on large activations): the float64 sum doubles as the NaN/Inf test, and the
histogram is taken from a fixed stride sample of at most ``HIST_SAMPLE`` elements.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

HIST_BINS = 16
HIST_SAMPLE = 4096

_SHORT_DTYPES = {
    "float16": "f16", "bfloat16": "bf16", "float32": "f32", "float64": "f64",
    "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
    "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64",
    "bool": "bool", "complex64": "c64", "complex128": "c128", "string": "str",
    "resource": "resource", "variant": "variant",
}


def short_dtype(dtype_name: str) -> str:
    return _SHORT_DTYPES.get(dtype_name, dtype_name)


@dataclass(frozen=True)
class Summary:
    """Statistics of one tensor. Float statistics ignore NaN and Inf; None when not numeric."""

    dtype: str
    shape: tuple
    size: int
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    std: float | None = None
    nan: int = 0
    pos_inf: int = 0
    neg_inf: int = 0
    zeros: int = 0
    histogram: tuple = field(default=())       # counts per bin
    bin_edges: tuple = field(default=())       # HIST_BINS + 1 edges

    @property
    def inf(self) -> int:
        return self.pos_inf + self.neg_inf

    @property
    def finite(self) -> bool:
        return self.nan == 0 and self.inf == 0

    def line(self) -> str:
        """One line: ``f32[64,10] x∈[-2.1, 2.6] μ=0.01 σ=1.0 NaN!``."""
        parts = [f"{short_dtype(self.dtype)}[{','.join(str(d) for d in self.shape)}]"]
        if self.size == 0:
            parts.append("empty")
        elif self.min is not None:
            if self.zeros == self.size:
                parts.append("all_zeros")
            else:
                parts.append(f"x∈[{_num(self.min)}, {_num(self.max)}]")
                parts.append(f"μ={_num(self.mean)}")
                if self.size > 1:
                    parts.append(f"σ={_num(self.std)}")
        if self.pos_inf:
            parts.append("+Inf!")
        if self.neg_inf:
            parts.append("-Inf!")
        if self.nan:
            parts.append("NaN!")
        return " ".join(parts)

    def to_json(self) -> dict:
        return {
            "dtype": self.dtype, "shape": list(self.shape), "size": self.size,
            "min": self.min, "max": self.max, "mean": self.mean, "std": self.std,
            "nan": self.nan, "pos_inf": self.pos_inf, "neg_inf": self.neg_inf,
            "zeros": self.zeros, "histogram": list(self.histogram),
            "bin_edges": list(self.bin_edges),
        }


def _num(x: float | None) -> str:
    if x is None:
        return "?"
    if x == 0:
        return "0"
    if abs(x) >= 1e4 or abs(x) < 1e-3:
        return f"{x:.2e}"
    return f"{x:.3g}"


def _histogram(finite: np.ndarray, lo: float, hi: float):
    """Counts over HIST_BINS equal bins of a strided sample (exact for small tensors)."""
    step = max(1, finite.size // HIST_SAMPLE)
    sample = finite[::step].astype(np.float64, copy=False)
    try:
        return np.histogram(sample, bins=HIST_BINS, range=(lo, hi) if hi > lo else None)
    except ValueError:  # a range too narrow for HIST_BINS distinct float edges
        return np.array([sample.size]), np.array([lo, hi])


def summarize(array: np.ndarray | None, dtype: str, shape: tuple) -> Summary:
    """Summary of a numpy array (``None`` for tensors without numeric values)."""
    size = math.prod(shape) if shape is not None else 0
    if array is None or array.dtype.kind not in "biufc" or array.size == 0:
        return Summary(dtype=dtype, shape=shape, size=size)
    flat = array.reshape(-1)
    if flat.dtype.kind == "c":
        flat = np.abs(flat)
    if flat.dtype.kind == "b":
        flat = flat.view(np.uint8)
    nan = pos_inf = neg_inf = 0
    if flat.dtype.kind == "f":
        # A sum is NaN/Inf when an element is (or when float32 overflows): only then look
        # for the culprits element-wise. Pairwise float32 summation is accurate enough
        # for a mean and twice as fast as accumulating in float64.
        total = float(np.add.reduce(flat, dtype=np.float32 if flat.dtype.itemsize < 4 else None))
        if not math.isfinite(total):
            nan = int(np.count_nonzero(np.isnan(flat)))
            pos_inf = int(np.count_nonzero(flat == np.inf))
            neg_inf = int(np.count_nonzero(flat == -np.inf))
            finite = flat[np.isfinite(flat)]
        else:
            finite = flat
    else:
        finite = flat
        total = None
    if flat.dtype.kind == "f":
        zeros = int(np.count_nonzero(flat == 0))  # 5x faster than count_nonzero on floats
    else:
        zeros = int(flat.size - np.count_nonzero(flat))
    if finite.size == 0:
        return Summary(dtype=dtype, shape=shape, size=size, nan=nan, pos_inf=pos_inf,
                       neg_inf=neg_inf, zeros=zeros)
    if total is None or finite is not flat or not math.isfinite(total):
        total = float(np.add.reduce(finite, dtype=np.float64))
    lo, hi = float(finite.min()), float(finite.max())
    mean = total / finite.size
    if finite.dtype.kind == "f" and finite.dtype.itemsize >= 4:
        sq = float(np.dot(finite, finite))  # BLAS: one fast pass
    else:
        as64 = finite.astype(np.float64)
        sq = float(np.dot(as64, as64))
    var = max(sq / finite.size - mean * mean, 0.0)
    counts, edges = _histogram(finite, lo, hi)
    return Summary(
        dtype=dtype, shape=shape, size=size, min=lo, max=hi, mean=mean,
        std=math.sqrt(var), nan=nan, pos_inf=pos_inf, neg_inf=neg_inf, zeros=zeros,
        histogram=tuple(int(c) for c in counts), bin_edges=tuple(float(e) for e in edges),
    )
