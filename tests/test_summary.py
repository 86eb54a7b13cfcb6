"""One-line summaries: exact strings for each edge case (as lovely-tensors tests them)."""
import numpy as np

from eager_lab.summary import summarize


def line(a, dtype=None):
    a = np.asarray(a, dtype=dtype)
    return summarize(a, a.dtype.name, a.shape).line()


def test_float_stats():
    assert line([[1.0, 2.0], [3.0, 4.0]], "float32") == "f32[2,2] x∈[1, 4] μ=2.5 σ=1.12"


def test_nan_and_inf_flags_and_stats_over_finite_values():
    s = summarize(np.array([1.0, np.nan, np.inf, -np.inf, 3.0], "float32"), "float32", (5,))
    assert s.nan == 1 and s.pos_inf == 1 and s.neg_inf == 1
    assert (s.min, s.max, s.mean) == (1.0, 3.0, 2.0)
    assert s.line() == "f32[5] x∈[1, 3] μ=2 σ=1 +Inf! -Inf! NaN!"
    assert not s.finite


def test_all_nan():
    assert line([np.nan, np.nan], "float32") == "f32[2] NaN!"


def test_all_zeros_and_empty_and_scalar():
    assert line(np.zeros((3, 4), "float32")) == "f32[3,4] all_zeros"
    assert line(np.zeros((0, 4), "float32")) == "f32[0,4] empty"
    assert line(np.float32(9)) == "f32[] x∈[9, 9] μ=9"


def test_ints_and_bools():
    assert line([1, 2, 3], "int32") == "i32[3] x∈[1, 3] μ=2 σ=0.816"
    assert line([True, False, True, True]) == "bool[4] x∈[0, 1] μ=0.75 σ=0.433"


def test_large_and_small_magnitudes_use_exponent():
    assert line([1e-5, 2e-5], "float64") == "f64[2] x∈[1.00e-05, 2.00e-05] μ=1.50e-05 σ=5.00e-06"
    assert line([12345.0, 54321.0], "float32") == "f32[2] x∈[1.23e+04, 5.43e+04] μ=3.33e+04 σ=2.10e+04"


def test_non_numeric_has_no_stats():
    s = summarize(None, "resource", ())
    assert s.line() == "resource[]"


def test_histogram_counts_every_element_of_small_tensors():
    a = np.arange(100, dtype="float32")
    s = summarize(a, "float32", a.shape)
    assert sum(s.histogram) == 100
    assert len(s.bin_edges) == len(s.histogram) + 1
    assert s.bin_edges[0] == 0 and s.bin_edges[-1] == 99


def test_nearly_constant_tensor_does_not_break_the_histogram():
    a = np.full(10, 1e-3, dtype="float32")
    a[0] = np.nextafter(np.float32(1e-3), np.float32(1))
    s = summarize(a, "float32", a.shape)
    assert sum(s.histogram) == 10


def test_std_is_accurate_on_large_tensors():
    rng = np.random.default_rng(0)
    a = rng.normal(3.0, 2.0, size=(256, 1024)).astype("float32")
    s = summarize(a, "float32", a.shape)
    assert abs(s.mean - float(a.mean(dtype=np.float64))) < 1e-4
    assert abs(s.std - float(a.std(dtype=np.float64))) < 1e-3
    assert sum(s.histogram) <= a.size
