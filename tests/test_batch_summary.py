"""The batched summaries equal ``summarize``'s, on random and adversarial arrays.

min, max, counts, histograms and float means must be equal bit for bit (the panel prints
them with up to 17 digits, and a mean one ulp off a constant tensor's value prints more
digits); σ to float64 accuracy. Where the batch declines (None) ``summarize`` is used, so
the tests also check that it declines only what it should.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from eager_lab.record.batch_summary import summarize_arrays, summarize_many
from eager_lab.record.summary import HIST_SAMPLE, summarize

EXACT = ("dtype", "shape", "size", "min", "max", "nan", "pos_inf", "neg_inf", "zeros",
         "histogram", "bin_edges")


def same(batch, array, dtype=None):
    dtype = dtype or array.dtype.name
    ref = summarize(array, dtype, array.shape)
    for field in EXACT:
        assert getattr(batch, field) == getattr(ref, field), (field, array)
        assert type(getattr(batch, field)) is type(getattr(ref, field)), (field, array)
    assert batch.mean == ref.mean, (batch.mean, ref.mean, array)
    assert math.isclose(batch.std, ref.std, rel_tol=1e-14, abs_tol=1e-300), (
        batch.std, ref.std, array)
    assert batch.line() == ref.line()


def batch_of(arrays):
    return summarize_arrays(arrays, [a.dtype.name for a in arrays], [a.shape for a in arrays])


def random_arrays(rng, n):
    out = []
    for _ in range(n):
        shape = tuple(rng.integers(1, 9, size=rng.integers(0, 4)))
        size = math.prod(shape)
        kind = rng.integers(0, 9)
        if kind < 3:
            dtype = (np.float16, np.float32, np.float64)[kind]
            scale = 10.0 ** rng.integers(-30 if dtype != np.float16 else -3, 30 if dtype != np.float16 else 4)
            with np.errstate(over="ignore"):   # float16 overflows to Inf: declined, fine
                a = (rng.standard_normal(size) * scale
                     + rng.choice([0, scale * 100])).astype(dtype)
        elif kind < 7:
            dtype = (np.int8, np.int16, np.int32, np.int64)[kind - 3]
            info = np.iinfo(dtype)
            lo = rng.integers(info.min, info.max)
            a = np.clip(lo + rng.integers(0, 300, size), info.min, info.max).astype(dtype)
        elif kind == 7:
            dtype = (np.uint8, np.uint16, np.uint32)[rng.integers(0, 3)]
            a = rng.integers(0, np.iinfo(dtype).max, size, dtype=dtype, endpoint=True)
        else:
            a = rng.random(size) < rng.random()
        out.append(a.reshape(shape))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_random_arrays_equal_summarize(seed):
    rng = np.random.default_rng(seed)
    arrays = random_arrays(rng, 400)
    summaries = batch_of(arrays)
    handled = 0
    for array, s in zip(arrays, summaries):
        if s is not None:
            same(s, array)
            handled += 1
    assert handled >= 0.8 * len(arrays)   # the batch does the bulk, summarize the rest


def adversarial():
    f32 = np.finfo(np.float32)
    return [
        np.full(3, 0.1, np.float32), np.full(7, 0.1), np.full(1000, 1 / 3), np.full(5, 3e-8),
        np.array([0.0, -0.0, 0.0], np.float32), np.array(-0.0), np.zeros(17, np.float16),
        np.array([f32.max, -f32.max, f32.max], np.float32),
        np.array([f32.tiny, f32.smallest_subnormal, 0.0], np.float32),
        np.array([5e-324, 1e-320]), np.array([1e150, -1e150]), np.array([1.0, 1 + 2**-52]),
        np.array([3000.0, 3000.01], np.float32), np.array([1e16, 1e16 + 2]),
        np.arange(HIST_SAMPLE, dtype=np.float32) / 7, np.linspace(-1, 1, 33),
        np.array([np.float16(65504), np.float16(-65504)]), np.array(2.5, np.float16),
        np.array([-128, 127], np.int8), np.array([0, 255], np.uint8),
        np.array([-2**31, 2**31 - 1], np.int32), np.array([2**32 - 1, 0], np.uint32),
        np.array([2**23 - 1, 0], np.int32), np.array([2**23, 0], np.int32),
        np.array([-2**63, 2**63 - 1]), np.array([2**62, 2**62 + 3]), np.array([7] * 9),
        np.full(HIST_SAMPLE, -3, np.int16), np.array([True]), np.array([False] * 4),
        np.array([True, False, True]), np.arange(HIST_SAMPLE, dtype=np.int64) - 2000,
    ]


def test_adversarial_arrays_equal_summarize():
    arrays = adversarial()
    for array, s in zip(arrays, batch_of(arrays)):
        if s is not None:
            same(s, array)


@pytest.mark.parametrize("array", [
    np.array([1.0, np.nan]), np.array([np.inf, 1.0], np.float32), np.array([1e200, 1.0]),
    np.array([1 + 1j]), np.array([2**63], np.uint64), np.array([-2**63, 2**63 - 1]),
    np.array([0, 2**24], np.int32), np.zeros(0), np.zeros(HIST_SAMPLE + 1),
    np.array(["a"]), None,
], ids=repr)
def test_what_the_batch_declines(array):
    """NaN/Inf, float64 beyond 1e150, complex, uint64, integer spans summarize takes its
    float path for, empty and large arrays, non-numbers: left to summarize."""
    assert batch_of([array])[0] is None if array is not None else \
        summarize_arrays([None], ["?"], [()]) == [None]


def test_against_numpy_float64():
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(rng.integers(1, 500)).astype(np.float32) * 1e3 + 5e3
              for _ in range(200)]
    for array, s in zip(arrays, batch_of(arrays)):
        wide = array.astype(np.float64)
        assert (s.min, s.max) == (wide.min(), wide.max())
        assert math.isclose(s.mean, wide.mean(), rel_tol=1e-15)
        assert math.isclose(s.std, wide.std(), rel_tol=1e-12, abs_tol=1e-12)


def test_mixed_batches_keep_each_tensor_apart():
    """One batch of every kind, sizes 1 to HIST_SAMPLE, in one call: the same as alone."""
    rng = np.random.default_rng(3)
    arrays = random_arrays(rng, 50) + adversarial()
    rng.shuffle(arrays)
    together = batch_of(arrays)
    for array, s in zip(arrays, together):
        alone = batch_of([array])[0]
        assert (s is None) == (alone is None)
        if s is not None:
            same(s, array)


class Rec:
    """What summarize_many reads of a TensorRecord: value, dtype, shape, summary."""

    def __init__(self, value, dtype=None):
        self._value = value
        self.dtype = dtype or (value.dtype.name if value is not None else None)
        self.shape = value.shape if value is not None else None
        self._summary = None
        self.asked = 0

    @property
    def value(self):
        return self._value

    @property
    def summary(self):
        self.asked += 1
        if self._summary is None:
            self._summary = summarize(self._value, self.dtype or "?", self.shape or ())
        return self._summary


def test_summarize_many_fills_each_record_once():
    rng = np.random.default_rng(11)
    # summarize raises ZeroDivisionError on a constant float of magnitude >= 2**53 (its
    # histogram's x - 0.5 == x): left out here, reported; the batch declines them.
    arrays = [a for a in random_arrays(rng, 100)
              if a.dtype.kind != "f" or a.min() != a.max() or abs(float(a.flat[0])) < 2**52]
    arrays += [np.array([np.nan, 1.0]), np.zeros(HIST_SAMPLE * 2)]
    recs = [Rec(a) for a in arrays] + [Rec(None)]
    recs.append(Rec(np.arange(3, dtype=np.float32), dtype="bfloat16"))   # values as float32
    done = Rec(np.ones(2))
    done._summary = sentinel = summarize(np.zeros(1), "float64", (1,))
    summarize_many(recs + [done])
    assert done._summary is sentinel and done.asked == 0
    for rec in recs:
        assert rec._summary == summarize(rec._value, rec.dtype or "?", rec.shape or ()) or \
            math.isclose(rec._summary.std, summarize(rec._value, rec.dtype, rec.shape).std,
                         rel_tol=1e-14)
    # The batch's declines went through the record (whose summary may say why it is unknown).
    assert recs[-2].asked == 1 and recs[-3].asked == 1 and recs[-4].asked == 1
    assert recs[-1]._summary.dtype == "bfloat16"


def test_batch_summaries_are_plain_summaries():
    """Made by filling the instance (5x faster than the frozen dataclass's __init__):
    equal, field for field and in repr, to the same made by Summary(...), and frozen."""
    from eager_lab.record.summary import Summary
    made = batch_of([np.arange(5, dtype=np.float32), np.array([True, False]),
                     np.array([3, 4], np.int16), np.array(2.5)])
    assert all(s is not None for s in made)
    for s in made:
        again = Summary(**{f.name: getattr(s, f.name) for f in dataclasses.fields(Summary)})
        assert s == again and repr(s) == repr(again) and vars(s) == vars(again)
        with pytest.raises(dataclasses.FrozenInstanceError):
            s.min = 0
