"""Summaries of many small tensors at once: the same numbers as ``summarize``, batched.

``summarize`` costs 20-70 us per tensor whatever its size (a dozen numpy calls, each with
its fixed cost), so the panel's rows of a 100,000-tensor step took seconds of summaries.
Here the values of many small tensors are concatenated into one float64 (or int64) array
and every statistic is one numpy call over all of them: ``np.minimum.reduceat`` for the
minima, ``np.bincount`` over (tensor, bin) pairs for the 16-bin histograms, and so on.
The statistics come out as columns (:class:`Stats`), which the panel's rows read
directly; :meth:`Stats.summary` makes the ``Summary`` of one tensor from them.

The results equal ``summarize``'s: min, max, counts and histograms exactly (the same
float64 operations, element by element), integer and bool means and σ exactly (the same
integer sums, divided by Python), float means bit for bit (each tensor of 3 or more
elements is summed by ``np.add.reduce`` on its own slice: ``reduceat`` sums in another
order), float σ to float64 accuracy (squared deviations summed in another order than
BLAS ``dot``). Anything else is left to ``summarize`` (``Stats.done`` is False): tensors
larger than ``HIST_SAMPLE`` elements (their histogram is of a strided sample), empty
ones, complex, ml_dtypes, uint64, NaN/Inf (counted, then statistics of the finite rest),
floats whose squares could overflow float64, integers whose spread makes ``summarize``
take its float path, and histograms whose bin edges do not increase.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from .summary import HIST_BINS, HIST_SAMPLE, Summary

#: Elements concatenated at once: 8 MiB of float64, so a page of large tensors never
#: makes a big temporary array.
BATCH_ELEMENTS = 1 << 20
# summarize's integer sums are exact (and its σ a ratio of integers) while
# CHUNK * span**2 < 2**63, CHUNK being its chunk size 2**17: the same condition here.
_EXACT_SPAN = math.isqrt((2**63 - 1) // (1 << 17))
# Float values up to this magnitude square and sum without overflow in float64.
_FLOAT_LIMIT = 1e150


@dataclass
class Stats:
    """Statistics of n arrays, in columns; row k holds numbers only where ``done[k]``.

    ``kind[k]`` is ``"f"`` (min/max are floats), ``"i"`` or ``"b"`` (min/max are
    integers, exact in ``lo_int``/``hi_int``), ``""`` where the batch declined.
    """

    kind: list
    size: np.ndarray        # elements per array (0 where declined)
    lo: np.ndarray          # float64
    hi: np.ndarray
    lo_int: np.ndarray      # int64, for integer and bool arrays
    hi_int: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    zeros: np.ndarray       # int64
    histogram: np.ndarray   # (n, HIST_BINS) int64
    bin_edges: np.ndarray   # (n, HIST_BINS + 1) float64

    @property
    def done(self) -> np.ndarray:
        return self.size > 0

    def summaries(self, dtypes, shapes, rows=None) -> dict:
        """``{k: Summary}`` for each array k (of ``rows``, all by default) not declined."""
        rows = range(len(self.kind)) if rows is None else rows
        rows = [k for k in rows if self.kind[k]]
        out: dict = {}
        if not rows:
            return out
        take = np.asarray(rows, dtype=np.intp)
        columns = zip(rows, self.lo[take].tolist(), self.hi[take].tolist(),
                      self.lo_int[take].tolist(), self.hi_int[take].tolist(),
                      self.mean[take].tolist(), self.std[take].tolist(),
                      self.zeros[take].tolist(), self.histogram[take].tolist(),
                      self.bin_edges[take].tolist())
        for k, lo, hi, lo_i, hi_i, mean, std, zeros, counts, edges in columns:
            exact = self.kind[k] != "f"
            out[k] = _summary(dtype=dtypes[k], shape=shapes[k], size=math.prod(shapes[k]),
                              min=lo_i if exact else lo, max=hi_i if exact else hi,
                              mean=mean, std=std, zeros=zeros, histogram=tuple(counts),
                              bin_edges=tuple(edges))
        return out


# A frozen dataclass sets each of its 14 fields through object.__setattr__: 5 us per
# Summary, half a second for a 100,000-tensor step. Made here by filling the instance's
# dict instead (defaults first), which is what __init__ ends with, when Summary is a
# plain frozen dataclass: no __post_init__, no __slots__, and every field but the ones
# given here has a default. tests/test_batch_summary.py compares both ways.
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Summary)
             if f.default is not dataclasses.MISSING}
_GIVEN = {"dtype", "shape", "size", "min", "max", "mean", "std", "zeros", "histogram",
          "bin_edges"}
_FAST = (not hasattr(Summary, "__post_init__") and "__slots__" not in vars(Summary)
         and {f.name for f in dataclasses.fields(Summary)} <= set(_DEFAULTS) | _GIVEN)


def _summary(**fields) -> Summary:
    if not _FAST:
        return Summary(**fields)
    made = object.__new__(Summary)
    state = made.__dict__
    state.update(_DEFAULTS)
    state.update(fields)
    return made


def summarize_many(records) -> Stats | None:
    """Fill ``_summary`` of every record that holds a value and has no summary yet.

    Records the batch does not handle get ``rec.summary`` (``summarize``), as do records
    without a value (the record says why its statistics are unknown). Returns the
    statistics of ``records`` as columns (None when every summary was known already).
    """
    todo = [r for r in records if r._summary is None]
    if not todo:
        return None
    stats = batch_stats([r.value for r in todo])
    made = stats.summaries([r.dtype or "?" for r in todo], [r.shape or () for r in todo])
    for k, rec in enumerate(todo):
        summary = made.get(k)
        if summary is None:
            rec.summary  # noqa: B018 - computed (and kept) by the record itself
        elif rec._summary is None:   # another thread may have been first: the same numbers
            rec._summary = summary
    return stats


def summarize_arrays(arrays, dtypes, shapes) -> list:
    """``summarize(array, dtype, shape)`` for each, or None where the batch declines."""
    made = batch_stats(arrays).summaries(dtypes, shapes)
    return [made.get(k) for k in range(len(arrays))]


def batch_stats(arrays) -> Stats:
    """The statistics of ``arrays`` (numpy arrays or None) as columns."""
    n = len(arrays)
    stats = Stats(kind=[""] * n, size=np.zeros(n, np.int64), lo=np.zeros(n),
                  hi=np.zeros(n), lo_int=np.zeros(n, np.int64),
                  hi_int=np.zeros(n, np.int64), mean=np.zeros(n), std=np.zeros(n),
                  zeros=np.zeros(n, np.int64), histogram=np.zeros((n, HIST_BINS), np.int64),
                  bin_edges=np.zeros((n, HIST_BINS + 1)))
    # Arrays by kind, scalars apart: numpy makes one array of many scalars in one call,
    # while concatenating needs a reshaped view of each (1.5 us apiece).
    groups: dict = {}
    kinds: dict = {}          # dtype -> "f", "i", "b" or "" (left to summarize)
    scalar_kinds: dict = {}   # numpy scalar type (np.float32...) -> the same
    for k, array in enumerate(arrays):
        if array is None:
            continue
        kind = scalar_kinds.get(type(array))   # a 0-d tensor's value: a numpy scalar
        if kind is not None:
            if kind:
                groups.setdefault((kind, True), []).append(k)
            continue
        if isinstance(array, np.generic):
            scalar_kinds[type(array)] = kind = _kind(array.dtype)
            if kind:
                groups.setdefault((kind, True), []).append(k)
            continue
        size = array.size
        if not 0 < size <= HIST_SAMPLE:
            continue
        dtype = array.dtype
        kind = kinds.get(dtype)
        if kind is None:
            kind = kinds[dtype] = _kind(dtype)
        if kind:
            groups.setdefault((kind, array.ndim == 0), []).append(k)
    batches = {"f": (_floats, np.float64), "i": (_integers, np.int64), "b": (_bools, np.float64)}
    for (kind, scalars), indices in groups.items():
        batch, dtype = batches[kind]
        if scalars:
            for start in range(0, len(indices), BATCH_ELEMENTS):
                part = indices[start:start + BATCH_ELEMENTS]
                flat = np.array([arrays[k] for k in part], dtype=dtype)
                batch(flat, np.ones(len(part), np.int64), np.asarray(part, np.intp), stats)
            continue
        for part in _parts(indices, arrays):
            flat = np.concatenate([arrays[k].reshape(-1) for k in part], dtype=dtype)
            sizes = np.fromiter((arrays[k].size for k in part), np.int64, len(part))
            batch(flat, sizes, np.asarray(part, dtype=np.intp), stats)
    return stats


def _kind(dtype: np.dtype) -> str:
    """The batch for arrays of ``dtype``: "f" float, "i" integer (uint64 excluded: its
    values do not fit int64), "b" bool; "" for summarize (complex, ml_dtypes...)."""
    if dtype.kind == "f":
        return "f"
    if dtype.kind == "i" or (dtype.kind == "u" and dtype.itemsize < 8):
        return "i"
    return "b" if dtype.kind == "b" else ""


def _parts(indices: list, arrays):
    """``indices`` in runs of at most BATCH_ELEMENTS elements."""
    part: list = []
    elements = 0
    for k in indices:
        size = arrays[k].size
        if part and elements + size > BATCH_ELEMENTS:
            yield part
            part, elements = [], 0
        part.append(k)
        elements += size
    if part:
        yield part


def _segments(sizes: np.ndarray):
    starts = np.cumsum(sizes) - sizes
    return starts, np.repeat(np.arange(sizes.size), sizes)


def _keep(stats: Stats, at: np.ndarray, ok: np.ndarray, kind: str, sizes, **columns):
    """Write the rows ``at[ok]`` of ``stats``."""
    at, pick = at[ok], ok
    for name, values in columns.items():
        getattr(stats, name)[at] = values[pick]
    stats.size[at] = sizes[pick]
    for k in at.tolist():
        stats.kind[k] = kind


def _floats(x: np.ndarray, sizes: np.ndarray, at: np.ndarray, stats: Stats) -> None:
    """Float statistics as ``summary._float_stats`` computes them for one chunk."""
    starts, owner = _segments(sizes)
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.minimum.reduceat(np.isfinite(x) & (np.abs(x) <= _FLOAT_LIMIT), starts)
        # summarize sums with np.add.reduce, pairwise and unrolled: reduceat sums in order,
        # which agrees for 1 and 2 elements only.
        total = np.add.reduceat(x, starts)
        for t in np.flatnonzero(sizes > 2).tolist():
            total[t] = np.add.reduce(x[starts[t]:starts[t] + sizes[t]])
        mean = total / sizes
        lo = np.minimum.reduceat(x, starts)
        hi = np.maximum.reduceat(x, starts)
        dev = x - mean[owner]
        std = np.sqrt(np.add.reduceat(dev * dev, starts) / sizes)
        zeros = np.add.reduceat(x == 0, starts, dtype=np.int64)
        counts, edges, good = _histograms(x, owner, lo, hi)
    ok &= good & np.isfinite(std)
    _keep(stats, at, ok, "f", sizes, lo=lo, hi=hi, mean=mean, std=std, zeros=zeros,
          histogram=counts, bin_edges=edges)


def _integers(x: np.ndarray, sizes: np.ndarray, at: np.ndarray, stats: Stats) -> None:
    """Integer statistics as ``summary._integer_stats`` computes them, exactly."""
    starts, owner = _segments(sizes)
    lo = np.minimum.reduceat(x, starts)
    hi = np.maximum.reduceat(x, starts)
    span = hi - lo                       # wraps negative when it does not fit: declined
    ok = (span >= 0) & (span <= _EXACT_SPAN)
    u = x - lo[owner]                    # 0 <= u < 2**23 where ok
    s1 = np.add.reduceat(u, starts)
    s2 = np.add.reduceat(u * u, starts)
    zeros = sizes - np.add.reduceat(x != 0, starts, dtype=np.int64)
    counts, edges, good = _histograms(u.astype(np.float64), owner, np.zeros(sizes.size),
                                      span.astype(np.float64))
    edges += lo.astype(np.float64)[:, None]   # summary._hist's shift by float(lo)
    ok &= good
    # Python ints, as summarize: mean and variance are exact fractions, rounded once.
    rows = list(zip(sizes.tolist(), lo.tolist(), s1.tolist(), s2.tolist()))
    mean = np.array([(a * n + p) / n for n, a, p, _ in rows])
    std = np.array([math.sqrt((n * q - p * p) / (n * n)) if fine else 0.0
                    for (n, _, p, q), fine in zip(rows, ok.tolist())])
    _keep(stats, at, ok, "i", sizes, lo=lo.astype(np.float64), hi=hi.astype(np.float64),
          lo_int=lo, hi_int=hi, mean=mean, std=std, zeros=zeros, histogram=counts,
          bin_edges=edges)


_BOOL_EDGES = np.array([float(k) / HIST_BINS for k in range(HIST_BINS)] + [1.0])


def _bools(x: np.ndarray, sizes: np.ndarray, at: np.ndarray, stats: Stats) -> None:
    """0/1 tensors: everything follows from the count of ones, as in summarize."""
    starts, _ = _segments(sizes)
    ones = np.add.reduceat(x != 0, starts, dtype=np.int64)
    pairs = list(zip(sizes.tolist(), ones.tolist()))
    mean = np.array([k / n for n, k in pairs])
    std = np.array([math.sqrt(k * (n - k) / (n * n)) for n, k in pairs])
    counts = np.zeros((sizes.size, HIST_BINS), np.int64)
    counts[:, 0], counts[:, -1] = sizes - ones, ones
    lo, hi = (ones == sizes).astype(np.int64), (ones > 0).astype(np.int64)
    _keep(stats, at, np.ones(sizes.size, bool), "b", sizes, lo=lo.astype(np.float64),
          hi=hi.astype(np.float64), lo_int=lo, hi_int=hi, mean=mean, std=std,
          zeros=sizes - ones, histogram=counts,
          bin_edges=np.broadcast_to(_BOOL_EDGES, (sizes.size, HIST_BINS + 1)))


def _histograms(x: np.ndarray, owner: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """``summary._histogram`` of every segment of ``x`` over its [lo, hi]: (counts (n, 16),
    edges (n, 17), whether the edges increase as summarize needs)."""
    flat = hi == lo
    lo = np.where(flat, lo - 0.5, lo)
    hi = np.where(flat, hi + 0.5, hi)
    width = (hi - lo) / HIST_BINS
    edges = np.empty((lo.size, HIST_BINS + 1))
    edges[:, :HIST_BINS] = lo[:, None] + np.arange(HIST_BINS, dtype=np.float64) * width[:, None]
    edges[:, HIST_BINS] = hi
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # declined below
        scale = HIST_BINS / (hi - lo)
        good = np.isfinite(scale) & np.all(np.diff(edges, axis=1) > 0, axis=1)
        bins = np.multiply(x - lo[owner], scale[owner]).astype(np.intp)
    np.clip(bins, 0, HIST_BINS - 1, out=bins)
    counts = np.bincount(owner * HIST_BINS + bins, minlength=lo.size * HIST_BINS)
    return counts.reshape(lo.size, HIST_BINS), edges, good
