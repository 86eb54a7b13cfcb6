"""``eager_lab.show()``: the ipywidgets view of a real recording, without a frontend."""
from __future__ import annotations

import re

import ipywidgets as widgets  # a test dependency (pyproject's [test] extra)
import pytest
import tensorflow as tf

import eager_lab
from eager_lab.notebook.widget import RecordingView

HOSTILE = "<img src=x onerror=alert(1)>"


def nan_step(x):
    h = x * 2.0 + 1.0
    s = tf.reduce_sum(h * h)
    return tf.math.log(s - 1e6)      # NaN


@pytest.fixture
def recording():
    rec = eager_lab.capture(tf.function(nan_step))
    with rec:
        rec.target(tf.range(6, dtype=tf.float32))
        rec.target(tf.range(6, dtype=tf.float32) + 1.0)
    assert len(rec.steps) == 2
    return rec


def table_rows(view) -> list[str]:
    """The ``#`` column of the table's rows."""
    return re.findall(r'<tr class="[^"]*"><td>(\d+)</td>', view.table.value)


def test_show_builds_the_view(recording):
    view = eager_lab.show(recording)
    assert isinstance(view, RecordingView) and isinstance(view, widgets.VBox)
    header, controls, table, row, detail = view.children
    assert controls.children == (view.step, view.filter, view.nonfinite_only)
    n = len(recording.steps[1].tensors)
    assert view.step.options == ((f"step 0 · {n} tensors", 0), (f"step 1 · {n} tensors", 1))
    assert view.step.value == 1                                 # the latest step
    assert "step 1" in table.value and "mul_1:0" in table.value
    assert len(table_rows(view)) == n
    # The detail starts at the step's first NaN/Inf.
    bad = recording.steps[1].first_nonfinite()
    assert row.value == bad.index and "NaN!" in detail.value and bad.name in detail.value
    assert "eager_lab.last.steps[1][&quot;Log:0&quot;].value" in detail.value


def test_default_is_the_latest_recording_and_ids_work(recording):
    assert eager_lab.show().recording is eager_lab.last is recording
    assert eager_lab.show(recording.id).recording is recording
    with pytest.raises(ValueError, match="not kept"):
        eager_lab.show(987654)


def test_filter_and_nonfinite_only_change_the_table(recording):
    view = eager_lab.show(recording)
    everything = table_rows(view)
    view.filter.value = "MUL"                       # op type, case-insensitive
    muls = [str(t.index) for t in recording.steps[1].tensors if t.op_type == "Mul"]
    assert table_rows(view) == muls and len(muls) < len(everything)
    assert f"showing {len(muls)} of {len(everything)} tensors" in view.table.value
    view.filter.value = "no such tensor"
    assert table_rows(view) == []
    view.filter.value = ""
    view.nonfinite_only.value = True
    assert table_rows(view) == [str(recording.steps[1].first_nonfinite().index)]
    view.nonfinite_only.value = False
    assert table_rows(view) == everything


def test_switching_step_and_row(recording):
    view = eager_lab.show(recording)
    view.step.value = 0
    assert "step 0" in view.table.value
    assert view.row.value == recording.steps[0].first_nonfinite().index
    view.row.value = 0
    first = recording.steps[0].tensors[0]
    assert f"#0 <b>{first.name}</b>" in view.detail.value
    assert "eager_lab.last.steps[0]" in view.detail.value
    assert "<pre>" in view.detail.value and "█" in view.detail.value   # the histogram


def test_recorded_strings_are_escaped(recording):
    step = recording.steps[1]
    step.tensors[0].name = HOSTILE
    step.tensors[1].name = None
    step.tensors[1].unnamed_reason = HOSTILE
    view = eager_lab.show(recording)
    html = view.table.value
    assert HOSTILE not in html and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    view.filter.value = "onerror"                    # the filter finds it by the raw name
    assert table_rows(view) == ["0", "1"]
    for index in (0, 1):
        view.row.value = index
        assert "<img" not in view.detail.value
        assert "&lt;img src=x onerror=alert(1)&gt;" in view.detail.value
