"""A page of tensor rows as columns (protocol 1.3): few Python steps per row, numbers in
binary buffers, repeated strings sent once.

A row built as a dict (``protocol.row``) cost ~90 us: its summary (``summarize``, a dozen
numpy calls), its one-line text, its source (a walk of the op's stack and a look-up of
the notebook cell) and a dict of 16 keys, all per row, 9 s for a 100,000-tensor step.
Here a page's attributes are read in one pass, missing summaries are computed for the
whole page at once (``batch_summary``), sources are found once per distinct call site,
and the summary line is left to the panel, which formats it from the numbers exactly as
``Summary.line()`` does (``src/protocol/summaryText.ts``); rows whose line it cannot make
from numbers (a failed op, statistics unknown, integers beyond 2**53) carry the text.

Layout (docs/protocol.md, "Columns"): the JSON part holds ``count``, ``strings`` (every
op type, scope, graph, reason, dtype, error, why-no-value and summary text of the page,
once), ``sources``, the per-row ``name`` and ``op_name``, and the names of the columns in
the buffers: ``buffers[0]`` int32 (``INT32`` columns, column after column),
``buffers[1]`` float64 (``FLOAT64``), ``buffers[2]`` float64, the dimensions of every
row's shape one after the other.
"""
from __future__ import annotations

from operator import attrgetter

import numpy as np

from ..capturing import gc_freeze
from ..record.batch_summary import batch_stats
from ..record.summary import HIST_SAMPLE, summary_text

INT32 = ("op", "scope", "graph", "reason", "dtype", "error", "why_no_value", "source",
         "summary", "rank", "flags")
FLOAT64 = ("size", "min", "max", "mean", "std", "nan", "pos_inf", "neg_inf", "zeros")
#: ``flags`` bits: the value is held; min and max are integers (integer and bool
#: tensors); min, max, mean and σ are known (numeric, with a finite element).
HAS_VALUE, INTEGER, STATS = 1, 2, 4
#: Integers beyond this do not travel exactly as float64: their line is sent as text.
EXACT_INT = 2**53

_ATTRS = attrgetter("name", "unnamed_reason", "op_type", "op_name", "graph", "shape",
                    "dtype", "error")
_NUMBERS = attrgetter("size", "min", "max", "mean", "std", "nan", "pos_inf", "neg_inf",
                      "zeros")
_MISS = object()

#: Seconds of summaries one page may cost, as estimated by :func:`affordable`: a page of
#: 50,000 large tensors would take minutes, and the panel gives up on a reply after 10 s.
PAGE_SECONDS = 2.0
# Estimated costs: a row whose summary is known or batched; a tensor summarize does alone
# (its fixed cost, then per byte of value read).
_ROW_SECONDS = 5e-6
_ALONE_SECONDS = 60e-6
_BYTE_SECONDS = 0.5e-9
_SMALL_BYTES = HIST_SAMPLE * 8


def affordable(records, seconds: float | None = None) -> int:
    """How many of ``records``, from the first (at least one), a page can hold within
    ``seconds`` of estimated work: tensors larger than the batch summarizes cost one
    ``summarize`` each, in proportion to their bytes. The reply says how many it holds,
    and the panel asks for the rest."""
    seconds = PAGE_SECONDS if seconds is None else seconds
    spent = 0.0
    for k, rec in enumerate(records):
        spent += _ROW_SECONDS
        if rec.nbytes > _SMALL_BYTES and getattr(rec, "_summary", None) is None:
            spent += _ALONE_SECONDS + rec.nbytes * _BYTE_SECONDS
        if spent > seconds and k > 0:
            return k
    return len(records)


def tensor_columns(records) -> tuple[dict, list]:
    """``(columns, buffers)`` of ``records`` (a page of one step's tensors, in order).

    The cyclic garbage collector is paused while a page is built: its 100,000s of new
    tuples and lists set off full collections, which walk every object of the kernel
    (TensorFlow's millions): 0.5 s of a 0.6 s page, measured. Refcounting still frees.
    """
    with gc_freeze.collection_paused():
        return _tensor_columns(records)


def _tensor_columns(records) -> tuple[dict, list]:
    n = len(records)
    strings: dict = {None: -1}

    def index(values) -> list:
        # Distinct values first (dict.fromkeys runs in C), then one look-up per row.
        for v in dict.fromkeys(values):
            if v not in strings:
                strings[v] = len(strings) - 1
        return list(map(strings.__getitem__, values))

    attrs = list(zip(*map(_ATTRS, records))) if n else [()] * 8
    names, reasons, ops, op_names, graphs, shapes, dtypes, errors = attrs
    scopes = [None if o is None else o.rpartition("/")[0] for o in op_names]
    numbers, integer, known, text = _summaries(records)
    flags = (np.fromiter((r.has_value for r in records), np.int32, n) * HAS_VALUE
             + integer * INTEGER + known * STATS)
    ranks = [-1 if s is None else len(s) for s in shapes]
    dims = [-1 if d is None else d for s in shapes if s is not None for d in s]
    source_ids, sources = _sources(records)
    ints = np.array([index(ops), index(scopes), index(graphs), index(reasons),
                     index(dtypes), index(errors),
                     index([r.why_no_value for r in records]), source_ids, index(text),
                     ranks], dtype=np.int32).reshape(len(INT32) - 1, n)
    ints = np.concatenate([ints, flags.reshape(1, n)])
    columns = {"count": n, "strings": list(strings)[1:], "sources": sources,
               "name": list(names), "op_name": list(op_names), "int32": list(INT32),
               "float64": list(FLOAT64)}
    buffers = [_le(ints, "<i4"), _le(numbers, "<f8"), _le(np.array(dims, np.float64), "<f8")]
    return columns, buffers


def _le(array: np.ndarray, dtype: str) -> memoryview:
    return memoryview(np.ascontiguousarray(array, dtype=dtype).reshape(-1)).cast("B")


def _summaries(records):
    """Per row: the FLOAT64 numbers (column after column), whether min/max are integers,
    whether they are known, and the line as text where the panel cannot make it."""
    n = len(records)
    summaries = [r._summary for r in records]
    numbers = np.full((len(FLOAT64), n), np.nan)
    integer = np.zeros(n, np.int32)
    known = np.zeros(n, np.int32)
    missing = [k for k, s in enumerate(summaries) if s is None]
    if missing:
        # The page's missing summaries at once; not kept in the records (making 100,000
        # Summary objects costs more than computing their numbers): ``rec.summary``
        # computes the same numbers on demand.
        stats = batch_stats([records[k].value for k in missing])
        done = np.flatnonzero(stats.done)
        at = np.asarray(missing, dtype=np.intp)[done]
        for row, column in enumerate((stats.size, stats.lo, stats.hi, stats.mean,
                                      stats.std)):
            numbers[row, at] = column[done]
        numbers[5:8, at] = 0                          # batched tensors are all finite
        numbers[8, at] = stats.zeros[done]
        kinds = [stats.kind[j] for j in done.tolist()]
        integer[at] = [kind != "f" for kind in kinds]
        known[at] = 1
        for j, k in enumerate(missing):
            if not stats.kind[j]:
                summaries[k] = records[k].summary     # summarize, or why it is unknown
    objects = [k for k, s in enumerate(summaries) if s is not None]
    text: list = [None] * n
    if objects:
        picked = [summaries[k] for k in objects]
        values = list(map(_NUMBERS, picked))
        at = np.asarray(objects, dtype=np.intp)
        numbers[:, at] = np.array(values, dtype=np.float64).T   # None: NaN
        for k, s, (_, lo, hi, *_) in zip(objects, picked, values):
            integer[k] = type(lo) is int
            known[k] = lo is not None
            if getattr(s, "unknown", None) is not None or (
                    type(lo) is int and max(-lo, hi) >= EXACT_INT):
                text[k] = summary_text(records[k])
    for k, rec in enumerate(records):
        if rec.shape is None or rec.dtype is None:
            text[k] = summary_text(rec)               # "raised ...", or no tensor at all
    return numbers, integer, known, text


def _sources(records) -> tuple[list, list]:
    """Each row's index in the page's list of sources (-1: none), and that list.

    ``rec.source`` walks the op's stack to its innermost frame of user code and looks
    the notebook cell up: 20 us a row. Here the source of each distinct frame is made
    once, and a row whose stack equals the previous row's (a loop, a layer's ops) takes
    its source without a walk: stacks are tuples of code objects and offsets, which
    compare in C, code objects by identity first.
    """
    # Imported here: the panel's handshake must not wait for TensorFlow (records -> compat).
    from ..capturing.callsite import user_frame
    from ..record.records import source_of
    by_frame: dict = {}      # Frame -> Source
    at_key: dict = {}        # source fields -> index in `out`
    out: list = []
    ids: list = []
    last_key, last_id = _MISS, -1
    for rec in records:
        source = getattr(rec, "_source", False)
        if source is False:
            key = (rec._stack, rec._fallback_source)
            if key == last_key:
                ids.append(last_id)
                continue
            frame = (user_frame(rec._stack) if rec._stack else None) or rec._fallback_source
            source = by_frame.get(frame, _MISS)
            if source is _MISS:
                source = by_frame[frame] = source_of(frame)
            last_key = key
        else:
            last_key = _MISS
        if source is None:
            last_id = -1
            ids.append(-1)
            continue
        fields = (source.file, source.line, source.function, source.cell,
                  getattr(source, "cell_id", None))
        at = at_key.get(fields)
        if at is None:
            at = at_key[fields] = len(out)
            out.append(dict(zip(("file", "line", "function", "cell", "cell_id"), fields)))
        ids.append(at)
        last_id = at
    return ids, out
