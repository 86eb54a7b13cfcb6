"""Summaries: a few numbers that describe a tensor, kept even when its value is dropped.

The one-line form follows lovely-tensors: ``f32[64,10] x∈[-2.1, 2.6] μ=0.012 σ=1 NaN!``.

Statistics are exact or float64-accurate whatever the values' magnitude (issue 8): the mean
and σ come from float64 sums, σ from squared deviations (never ``E[x²] - μ²``, which cancels
catastrophically when σ ≪ |μ|), and integers are shifted by their minimum in uint64
arithmetic so that int64/uint64 near their limits keep every bit. A float tensor is read
from memory once, in chunks of ``CHUNK`` elements, each copied to a float64 buffer that
stays in cache for the passes over it (sum, min, max, zeros, squared deviations): no
float64 copy of a large tensor is made. The histogram is taken from a fixed stride sample
of at most ``HIST_SAMPLE`` elements. ``benchmarks/summary_speed.py`` times it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

HIST_BINS = 16
HIST_SAMPLE = 4096
# Elements per chunk: its float64 copy (1 MiB) stays in cache between the passes over it.
CHUNK = 1 << 17
DOT_SLICE = 8192

_SHORT_DTYPES = {
    "float16": "f16", "bfloat16": "bf16", "float32": "f32", "float64": "f64",
    "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
    "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64",
    "bool": "bool", "complex64": "c64", "complex128": "c128", "string": "str",
    "resource": "resource", "variant": "variant",
}

# The most significant digits a line may use to tell min, max and μ apart: enough to
# tell any two distinct values of the dtype apart (float16: 5, float32: 9, 64-bit integers:
# all 20 digits, printed exactly); float64 stops at 12 (spreads below 1e-12 relative are
# rounding noise, and σ still shows them). Lines without spread to show use 3.
_MAX_DIGITS = {
    "float16": 5, "half": 5, "bfloat16": 4, "float32": 9, "float": 9, "float64": 12,
    "double": 12, "complex64": 9, "complex128": 12, "bool": 3,
    "int8": 3, "uint8": 3, "int16": 5, "uint16": 5, "int32": 10, "uint32": 10,
    "int64": 20, "uint64": 20,
}
_MIN_DIGITS = 3


def short_dtype(dtype_name: str) -> str:
    return _SHORT_DTYPES.get(dtype_name, dtype_name)


@dataclass(frozen=True)
class Summary:
    """Statistics of one tensor; None when it has no numeric value or no finite element.

    * ``min``/``max``: exact. Python ``int`` for integer and bool tensors (int64/uint64 keep
      every bit, e.g. ``2**64 - 1``), ``float`` otherwise.
    * ``mean``/``std``: float64-accurate floats; ``std`` is the population σ (ddof=0),
      computed from squared deviations, so a constant tensor has σ = 0 exactly.
    * Float statistics ignore NaN and ±Inf, which are counted in ``nan``/``pos_inf``/
      ``neg_inf``; an all-NaN tensor has counts and no statistics.
    * Complex tensors are summarised by their modulus: ``min``/``max``/``mean``/``std``/
      ``zeros``/``histogram`` are those of ``|z|``, and the line says so by writing
      ``|z|∈[lo, hi]`` where other tensors write ``x∈[lo, hi]`` (μ and σ after it are of
      ``|z|`` too). An element with an infinite part counts as +Inf, one with a NaN part
      (and no infinite part) as NaN.
    * bfloat16 and other ml_dtypes floats are summarised as float32 (their exact values).
    """

    dtype: str
    shape: tuple
    size: int
    min: float | int | None = None
    max: float | int | None = None
    mean: float | None = None
    std: float | None = None
    nan: int = 0
    pos_inf: int = 0
    neg_inf: int = 0
    zeros: int = 0
    histogram: tuple = field(default=())       # counts per bin
    bin_edges: tuple = field(default=())       # HIST_BINS + 1 edges
    #: Why the statistics are unknown (the value was freed before anything asked for
    #: them; summaries are computed on first look, never while training runs), else None.
    unknown: str | None = None

    @property
    def known(self) -> bool:
        """The statistics were computed (or the tensor has none to compute)."""
        return self.unknown is None

    @property
    def inf(self) -> int:
        return self.pos_inf + self.neg_inf

    @property
    def finite(self) -> bool:
        return self.nan == 0 and self.inf == 0

    def line(self) -> str:
        """One line: ``f32[64,10] x∈[-2.1, 2.6] μ=0.012 σ=1 NaN!``.

        min, max and μ share one number of significant digits, the fewest (at least 3)
        that print distinct values differently: 3000 + U(0, 0.01) reads
        ``x∈[3000, 3000.01] μ=3000.005 σ=0.00289``, not ``x∈[3e+03, 3e+03]``. σ has 3.
        """
        parts = [f"{short_dtype(self.dtype)}[{','.join(str(d) for d in self.shape)}]"]
        if self.unknown is not None:
            parts.append("not summarized (value freed unread)")
        elif self.size == 0:
            parts.append("empty")
        elif self.min is not None:
            if self.zeros == self.size:
                parts.append("all_zeros")
            else:
                # μ (a float) counts as distinct only from a min/max it differs from as a
                # float: the mean of uint64 values near 2**64 may round to float(max).
                distinct = [self.min, self.max]
                if self.mean not in (float(self.min), float(self.max)):
                    distinct.append(self.mean)
                digits = _digits(distinct, _MAX_DIGITS.get(self.dtype, 9))
                lo, hi, mean = (_num(v, digits) for v in (self.min, self.max, self.mean))
                var = "|z|" if self.dtype.startswith("complex") else "x"
                parts.append(f"{var}∈[{lo}, {hi}]")
                parts.append(f"μ={mean}")
                if self.size - self.nan - self.inf > 1:
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
            "bin_edges": list(self.bin_edges), "unknown": self.unknown,
        }


# -- formatting ----------------------------------------------------------------------

def _num(x: float | int | None, digits: int = _MIN_DIGITS) -> str:
    """``x`` with ``digits`` significant digits, compact: ``0.012``, ``2.5``, ``1.23e+04``.

    Positional between 1e-3 and 10**max(4, digits), exponent outside; trailing zeros after
    the point dropped. Python ints (exact min/max of integer tensors) print in full below
    10**max(6, digits), and are rounded exactly (not through a float) above; a float
    never shows more than the 17 digits it holds.
    """
    if x is None:
        return "?"
    if x == 0:
        return "0"
    if isinstance(x, int):
        # In full when small, or when telling values apart needs nearly every digit anyway
        # (2**62 + 1 and 2**62 + 3): an exponent form would round both.
        if abs(x) < 10 ** max(6, digits) or digits >= len(str(abs(x))) - 3:
            return str(x)
        return _exp(format(Decimal(x), f".{digits - 1}e"))
    if not math.isfinite(x):
        return str(x)
    digits = min(digits, 17)
    a = abs(x)
    if 1e-3 <= a < 10 ** max(4, digits):
        decimals = max(digits - 1 - math.floor(math.log10(a)), 0)
        text = f"{x:.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return _exp(f"{x:.{digits - 1}e}")


def _exp(text: str) -> str:
    """``1.500e-5`` → ``1.5e-05``: mantissa without trailing zeros, two-digit exponent."""
    mantissa, _, exponent = text.lower().partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    e = int(exponent)
    return f"{mantissa}e{'-' if e < 0 else '+'}{abs(e):02d}"


def _digits(values: list, most: int) -> int:
    """The fewest significant digits (3 to ``most``) that print distinct values differently."""
    for digits in range(_MIN_DIGITS, max(most, _MIN_DIGITS) + 1):
        seen: dict[str, float | int] = {}
        for v in values:
            if v is None:
                continue
            text = _num(v, digits)
            if seen.setdefault(text, v) != v:
                break
        else:
            return digits
    return max(most, _MIN_DIGITS)


# -- statistics ----------------------------------------------------------------------

def summarize(array: np.ndarray | None, dtype: str, shape: tuple) -> Summary:
    """Summary of a numpy array (``None`` for tensors without numeric values)."""
    size = math.prod(shape) if shape is not None else 0
    if array is None or array.size == 0:
        return Summary(dtype=dtype, shape=shape, size=size)
    flat = array.reshape(-1)
    kind = flat.dtype.kind
    if kind in "biu":
        stats = _integer_stats(flat)
    elif kind in "fcV":
        convert = _converter(flat)
        if convert is False:
            return Summary(dtype=dtype, shape=shape, size=size)
        # float64 overflows only for float64 values beyond ~1e150: then scale by 2**-560
        # (exact; values below ~1e-140 lose bits, negligible beside the huge ones).
        with np.errstate(over="ignore", invalid="ignore"):  # Inf - Inf, float64 overflow
            stats = _float_stats(flat, convert) or _float_stats(flat, convert, 2.0 ** -560)
    else:
        return Summary(dtype=dtype, shape=shape, size=size)
    return Summary(dtype=dtype, shape=shape, size=size, **stats)


def _converter(flat: np.ndarray):
    """Per-chunk conversion to a real numpy float: |z| for complex, float32 for ml_dtypes
    (bfloat16, float8...); None when none is needed, False when there is no number."""
    kind = flat.dtype.kind
    if kind == "f":
        return None
    if kind == "c":
        return np.abs
    try:  # kind "V": ml_dtypes register casts to float32; plain void bytes have none
        flat[:1].astype(np.float32)
    except (TypeError, ValueError):
        return False
    return lambda chunk: chunk.astype(np.float32)


def _float_stats(flat: np.ndarray, convert, scale: float | None = None) -> dict | None:
    """Chunked one-pass float statistics; None when float64 overflowed (caller rescales)."""
    n = flat.size
    buf = np.empty(min(n, CHUNK), np.float64)
    count = zeros = nan = pos_inf = neg_inf = 0
    total = mean = m2 = 0.0
    lo, hi = math.inf, -math.inf
    for start in range(0, n, CHUNK):
        chunk = flat[start:start + CHUNK]
        if convert is not None:
            chunk = convert(chunk)
        k = chunk.size
        x = buf[:k]
        np.copyto(x, chunk)
        if scale is not None:
            x *= scale
        s = float(np.add.reduce(x))  # pairwise; NaN/Inf when an element is (or on overflow)
        if not math.isfinite(s):
            good = np.isfinite(chunk)
            k_good = int(np.count_nonzero(good))
            if k_good == k:
                return None
            nan_here = int(np.count_nonzero(np.isnan(chunk)))
            plus = int(np.count_nonzero(chunk == np.inf))
            nan, pos_inf = nan + nan_here, pos_inf + plus
            neg_inf += k - k_good - nan_here - plus
            if k_good == 0:
                continue
            chunk, x, k = chunk[good], x[good], k_good
            s = float(np.add.reduce(x))
            if not math.isfinite(s):
                return None
        # min, max and zeros of float16 read faster from the float64 copy (no SIMD for
        # half); a float64 chunk may be scaled in its copy, so read from the chunk.
        values = x if chunk.dtype.itemsize < 4 and scale is None else chunk
        c_lo, c_hi = float(values.min()), float(values.max())
        lo, hi = min(lo, c_lo), max(hi, c_hi)
        if c_lo <= 0.0 <= c_hi:  # 5x faster than count_nonzero on floats
            zeros += int(np.count_nonzero(values == 0))
        # Two passes over the cached chunk: its mean, then its squared deviations; chunks
        # combine by Chan et al.'s update of the sum of squared deviations.
        m = s / k
        x -= m
        mean, m2 = _combine(count, mean, m2, k, m, _sum_squares(x))
        count += k
        total += s
    stats = dict(nan=nan, pos_inf=pos_inf, neg_inf=neg_inf, zeros=zeros)
    if count == 0:
        return stats
    if not (math.isfinite(m2) and math.isfinite(total)):
        return None
    unscale = 1.0 if scale is None else 1.0 / scale
    sample = _sample(flat)
    if convert is not None:
        sample = convert(sample)
    if nan or pos_inf or neg_inf:
        sample = sample[np.isfinite(sample)]
    counts, edges = _histogram(sample.astype(np.float64, copy=False), lo, hi)
    return dict(stats, min=lo, max=hi, mean=total / count * unscale,
                std=math.sqrt(m2 / count) * unscale, **_hist(counts, edges))


def _integer_stats(flat: np.ndarray) -> dict:
    """Exact min/max (Python ints) and mean/σ from values shifted by the minimum."""
    n = flat.size
    if flat.dtype.kind == "b":  # 0/1: everything follows from the count of ones
        ones = int(np.count_nonzero(flat))
        counts, edges = _histogram(_sample(flat).astype(np.float64), 0.0, 1.0)
        return dict(min=int(ones == n), max=int(ones > 0), mean=ones / n,
                    std=math.sqrt(ones * (n - ones) / (n * n)), zeros=n - ones,
                    **_hist(counts, edges))
    lo, hi = int(flat.min()), int(flat.max())
    zeros = n - int(np.count_nonzero(flat))
    span = hi - lo
    if flat.dtype.itemsize == 8:  # x - lo in uint64: exact, as 0 <= x - lo < 2**64
        native = np.dtype(np.uint64 if flat.dtype.kind == "u" else np.int64)
        base = np.uint64(lo % 2 ** 64)

        def shifted(c):
            return c.astype(native, copy=False).view(np.uint64) - base
    else:
        def shifted(c):
            return c.astype(np.int64) - lo
    # Sums of (x - lo) and (x - lo)**2 per chunk are exact in 64-bit integers up to these
    # spans (int8/16, most int32): then mean and variance are exact fractions, rounded once.
    exact_sum = CHUNK * span < 2 ** 63
    exact_squares = CHUNK * span * span < 2 ** 63
    s1 = s2 = count = 0
    mean_u = m2 = 0.0
    buf = None if exact_squares else np.empty(min(n, CHUNK), np.float64)
    signed_view = flat.dtype.itemsize == 8 and span < 2 ** 63
    for start in range(0, n, CHUNK) if span else ():
        u = shifted(flat[start:start + CHUNK])
        k = u.size
        if exact_sum:
            s = int(np.add.reduce(u))
        else:  # 32-bit halves: each half's sum fits in 64 bits
            s = (int(np.add.reduce(u >> 32)) << 32) + int(np.add.reduce(u & 0xFFFFFFFF))
        s1 += s
        if exact_squares:
            s2 += int(np.dot(u, u))
            continue
        m = s / k  # float64 deviations from the chunk's mean, combined as for floats
        if signed_view:  # int64 converts to float64 faster than uint64
            u = u.view(np.int64)
        q = _sum_squares(np.subtract(u, m, out=buf[:k], dtype=np.float64))
        mean_u, m2 = _combine(count, mean_u, m2, k, m, q)
        count += k
    var = (n * s2 - s1 * s1) / (n * n) if exact_squares else m2 / n
    sample = shifted(_sample(flat)).astype(np.float64)
    counts, edges = _histogram(sample, 0.0, float(span))
    return dict(min=lo, max=hi, mean=(lo * n + s1) / n, std=math.sqrt(var), zeros=zeros,
                **_hist(counts, edges, float(lo)))


def _combine(count: int, mean: float, m2: float, k: int, m: float, q: float):
    """Mean and sum of squared deviations of ``count`` values (``mean``, ``m2``) joined
    with a chunk of ``k`` values (``m``, ``q``): Chan, Golub and LeVeque's pairwise update."""
    if count == 0:
        return m, q
    both = count + k
    delta = m - mean
    return mean + delta * (k / both), m2 + q + delta * delta * (count * (k / both))


def _sum_squares(x: np.ndarray) -> float:
    """Σ x² of a float64 array, by BLAS dot on slices of DOT_SLICE elements.

    OpenBLAS threads a dot above 10^4 elements, which costs 30x more when the cores are
    busy (as they are under a training step); below that it is one fast thread.
    """
    if x.size <= DOT_SLICE:
        return float(np.dot(x, x))
    return math.fsum(float(np.dot(x[i:i + DOT_SLICE], x[i:i + DOT_SLICE]))
                     for i in range(0, x.size, DOT_SLICE))


def _sample(flat: np.ndarray) -> np.ndarray:
    """A fixed stride sample of at most ~HIST_SAMPLE elements (all of a small tensor)."""
    return flat[::max(1, flat.size // HIST_SAMPLE)]


def _histogram(sample: np.ndarray, lo: float, hi: float):
    """Counts over HIST_BINS equal bins of [lo, hi] of ``sample`` (float64, no NaN/Inf).

    The bin of x is ``floor((x - lo) * HIST_BINS / (hi - lo))`` (hi in the last bin), as
    np.histogram computes it before re-checking values within a rounding error of an edge
    against its edge array; five times faster than np.histogram, whose fixed cost was a
    third of the time of summarizing 10^5 elements. A constant tensor gets np.histogram's
    bins of [x - 0.5, x + 0.5], a range too narrow for distinct edges a single bin.
    """
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    if not hi > lo:   # a constant beyond 2**53: x ± 0.5 rounds back to x
        return [sample.size], [lo, hi]
    width = (hi - lo) / HIST_BINS
    edges = [lo + k * width for k in range(HIST_BINS)] + [hi]
    scale = HIST_BINS / (hi - lo)
    if not (math.isfinite(scale) and all(a < b for a, b in zip(edges, edges[1:]))):
        return [sample.size], [lo, hi]
    bins = np.multiply(np.subtract(sample, lo), scale).astype(np.intp)
    np.clip(bins, 0, HIST_BINS - 1, out=bins)
    return np.bincount(bins, minlength=HIST_BINS), edges


def _hist(counts, edges, shift: float = 0.0) -> dict:
    return dict(histogram=tuple(int(c) for c in counts),
                bin_edges=tuple(float(e) + shift for e in edges))


def tensor_label(rec) -> str:
    """``f32[64,10]`` (the tensor's dtype and shape), ``?`` for an op that produced nothing."""
    if rec.shape is None or rec.dtype is None:
        return "?"
    return f"{short_dtype(rec.dtype)}[{','.join(str(d) for d in rec.shape)}]"


def summary_text(rec) -> str:
    """A tensor record's value in one line, as the cell table and the panel show it:
    Summary.line() without its leading dtype[shape], which has its own column."""
    if rec.error and rec.shape is None:
        return "raised " + rec.error.split(":", 1)[0]
    line = rec.summary.line()
    head, _, rest = line.partition(" ")
    return rest if head == tensor_label(rec) else line
