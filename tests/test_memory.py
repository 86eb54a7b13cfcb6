"""The memory budget bounds memory: what it drops is freed, older recordings share it.

The RSS test runs ``benchmarks/memory.py`` in a fresh process (RSS in this one carries every
other test's allocations): the reference conv net, ~110 MiB of values per step, captured for
60 steps under a 256 MiB budget.
"""
import gc
import json
import os
import subprocess
import sys
import weakref

import keras
import numpy as np
import pytest
import tensorflow as tf

import eager_lab
from eager_lab.record.records import VALUE_GONE

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHMARK = os.path.join(HERE, "..", "benchmarks", "memory.py")
MiB = 2**20


def _model():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.layers.Input((16,)), keras.layers.Dense(32, activation="relu"),
                          keras.layers.Dense(4)])
    m.compile(optimizer="adam", loss="mse")
    return m


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(64, 16)).astype("float32"), rng.normal(size=(64, 4)).astype("float32")


def _weak_values(step):
    """Weak references to every eager value a step holds (EagerTensors accept them).

    Resource handles are left out: a variable owns its handle, whatever eager_lab drops.
    """
    return [weakref.ref(t._tensor) for t in step.tensors
            if t._tensor is not None and t.dtype not in ("resource", "variant")]


def _two_steps(**options):
    """A recording of two steps of the small model, every value kept (budget None)."""
    x, y = _data()
    m = _model()
    with eager_lab.capture(m, memory_budget=None, **options) as rec:
        m.train_on_batch(x, y)
        m.train_on_batch(x, y)
    return rec


def test_dropped_values_are_freed_not_just_forgotten():
    """Nothing of eager_lab (graph_only closures, caches, the recording) keeps them alive."""
    rec = _two_steps()
    first = rec.steps[0]
    refs = _weak_values(first)
    assert len(refs) > 20
    first.graph_only  # noqa: B018 - the lazy list must not need the values either
    rec._budget.limit = 0
    rec._budget._fit()   # what the budget does when it needs the room
    gc.collect()
    alive = [r for r in refs if r() is not None]
    assert alive == [], f"{len(alive)} of {len(refs)} dropped values are still referenced"
    assert all(t.value is None and t.why_no_value.startswith(VALUE_GONE["memory_budget"])
               for t in first.tensors if t.dtype not in ("resource", "variant"))
    # Nothing looked at them before the drop, and the drop computes nothing: unknown.
    assert all(not t.summary.known and "freed before anything summarized it" in t.summary.unknown
               for t in first.tensors if t.dtype not in ("resource", "variant"))
    # The newest step's values are untouched by the first step's release... until the
    # budget reaches it too: it was 0, so everything went.
    assert rec.steps[1].nbytes_held == 0
    assert len(first.graph_only) > 0


def test_budget_keeps_newest_steps_and_counts_saved_state():
    x, y = _data()
    m = _model()
    m.train_on_batch(x, y)
    with eager_lab.capture(m, memory_budget=None) as probe:
        m.train_on_batch(x, y)
    one_step = probe.steps[0].nbytes_held + probe.steps[0]._replay.nbytes
    budget = int(2.5 * one_step)
    with eager_lab.capture(m, memory_budget=budget) as rec:
        for _ in range(6):
            m.train_on_batch(x, y)
    held = [s.nbytes_held + (s._replay.nbytes if s._replay else 0) for s in rec.steps]
    assert sum(held) <= budget
    assert rec._budget.held == sum(held)            # the running total is exact
    assert held[-1] == one_step and held[-2] == one_step   # newest steps whole
    assert held[0] == held[1] == held[2] == 0
    # Dropped states say why a step cannot be compared.
    with pytest.raises(RuntimeError, match="memory budget"):
        rec.steps[0].compare()


def test_a_new_recording_releases_older_values_and_says_so():
    x, y = _data()
    m = _model()
    with eager_lab.capture(m) as first:
        m.train_on_batch(x, y)
    assert first.steps[0].nbytes_held > 0
    refs = _weak_values(first.steps[0])
    with eager_lab.capture(m) as second:
        m.train_on_batch(x, y)
    gc.collect()
    assert [r for r in refs if r() is not None] == []
    t = next(t for t in first.steps[0].tensors if t.name and t.dtype == "float32")
    assert t.value is None
    assert "newer recording" in t.why_no_value and "rec.keep()" in t.why_no_value
    assert first.steps[0]._replay.state is None
    assert second.steps[0].nbytes_held > 0


def test_kept_recording_keeps_values_and_counts_against_the_budget():
    x, y = _data()
    m = _model()
    with eager_lab.capture(m) as first:
        m.train_on_batch(x, y)
    first.keep()
    kept = first._budget.held
    assert kept > 0
    # A budget only a little larger than what is kept: the new recording holds the rest.
    with eager_lab.capture(m, memory_budget=kept + 1000) as second:
        m.train_on_batch(x, y)
    assert first._budget.held == kept and first.steps[0].nbytes_held > 0
    assert second._budget.held <= 1000
    t = next(t for t in second.steps[0].tensors if t.nbytes > 1000)
    assert t.value is None and "memory budget" in t.why_no_value
    first.release()
    assert first.steps[0].nbytes_held == 0
    assert first.steps[0].tensors[0].why_no_value.startswith(VALUE_GONE["released"])


def test_comparison_values_count_against_the_budget():
    x, y = _data()
    m = _model()
    m.train_on_batch(x, y)
    with eager_lab.capture(m, memory_budget=None) as rec:
        m.train_on_batch(x, y)
    before = rec._budget.held
    cmp = rec.steps[0].compare()
    assert cmp.nbytes > 0
    assert rec._budget.held == before + cmp.nbytes
    rec._budget.limit = 0
    rec._budget._fit()
    assert cmp.nbytes == 0 and rec._budget.held == 0
    assert all(r.only_in != "eager" or r.eager is not None for r in cmp.rows)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_rss_of_a_long_capture_stays_within_the_budget():
    """60 conv-net steps (~110 MiB of values each) at 256 MiB: RSS grows <= 1.1x + 200 MiB."""
    budget = 256
    out = subprocess.run([sys.executable, BENCHMARK, "--steps", "60", "--budget", str(budget),
                          "--json"], capture_output=True, text=True, timeout=900,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["values_per_step_mib"] > 100      # the model is as big as intended
    assert result["values_held_mib"] <= budget
    limit = 1.1 * budget + 200
    assert result["peak_growth_mib"] <= limit, result


def test_the_panel_is_told_why_a_step_cannot_be_compared():
    from eager_lab.comm import protocol
    x, y = _data()
    m = _model()
    m.train_on_batch(x, y)
    with eager_lab.capture(m, memory_budget=None) as rec:
        m.train_on_batch(x, y)
        m.train_on_batch(x, y)
    assert protocol.step_digest(rec.steps[0])["compare_why"] is None
    rec._budget.limit = rec._budget.held - 1     # the oldest state goes first
    rec._budget._fit()
    first, second = (protocol.step_digest(s) for s in rec.steps)
    assert first["compare"] == "unavailable"
    assert "dropped by the memory budget" in first["compare_why"]
    assert second["compare"] == "available" and second["compare_why"] is None


def _float_named(step):
    return [t for t in step.tensors if t.name and t.dtype == "float32" and t.nbytes]


def test_a_summary_read_before_the_drop_survives_it_and_the_rest_say_why_they_are_unknown():
    rec = _two_steps()
    first = rec.steps[0]
    looked, unread = _float_named(first)[:2]
    expected = np.asarray(looked.value, np.float64)
    before = looked.summary
    rec._budget.limit = 0
    rec._budget._fit()
    assert looked.value is None and unread.value is None
    assert looked.summary is before and looked.summary.known
    assert looked.why_no_value.endswith("the summary is kept")
    assert looked.summary.min == expected.min() and looked.summary.max == expected.max()
    assert np.isclose(looked.summary.mean, expected.mean(), rtol=1e-12, atol=1e-12)
    assert not unread.summary.known and unread.summary.mean is None
    assert "not summarized" in unread.summary.line()
    assert "freed before anything summarized it" in unread.why_no_value
    # first_nonfinite cannot vouch for tensors it could not check: it says so.
    with pytest.warns(eager_lab.EagerLabWarning, match="freed by the memory budget"):
        assert first.first_nonfinite() is None
    # trend(): a step whose value went unread has no point (both went: budget 0).
    assert rec.trend(unread.name)["step"] == []
    assert rec.trend(looked.name)["step"] == [0]


def test_summaries_all_computes_each_summary_before_its_value_goes():
    rec = _two_steps(summaries="all")
    first = rec.steps[0]
    values = {t.index: np.asarray(t.value, np.float64) for t in _float_named(first)}
    rec._budget.limit = 0
    rec._budget._fit()
    for t in _float_named(first):
        assert t.value is None and t.summary.known, t.name
        v = values[t.index]
        assert t.summary.min == v.min() and t.summary.max == v.max()
        assert np.isclose(t.summary.std, v.std(), rtol=1e-9, atol=1e-12)
    assert first.first_nonfinite() is None
    assert rec.trend(_float_named(first)[0].name)["step"] == [0, 1]
    with pytest.raises(ValueError, match="summaries must be"):
        eager_lab.capture(rec.target, summaries="some")


def test_a_tensor_larger_than_the_budget_keeps_its_summary_and_says_why():
    x, y = _data()
    m = _model()
    with eager_lab.capture(m, memory_budget=None) as probe:
        m.train_on_batch(x, y)
    sizes = sorted({t.nbytes for t in probe.steps[0].tensors if t.nbytes})
    budget = sizes[-1] - 1          # only the largest tensors do not fit
    with eager_lab.capture(m, memory_budget=budget, keep_state=False) as rec:
        m.train_on_batch(x, y)
    step = rec.steps[0]
    big = [t for t in step.tensors if t.nbytes > budget]
    assert big
    twin = {t.index: t for t in probe.steps[0].tensors}
    for t in big:
        assert t.value is None and t.summary.known
        assert "larger than the whole memory budget" in t.why_no_value
        assert t.summary.shape == twin[t.index].shape
    assert rec._budget.held <= budget
