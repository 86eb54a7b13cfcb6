"""%eager_debug / %%eager_debug through a real IPython shell (no mocks).

Cells are run with ``shell.run_cell`` exactly as a notebook would run them; output is
collected with IPython's own ``capture_output`` (stdout, stderr and rich displays).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import tensorflow as tf  # noqa: E402

import eager_lab  # noqa: E402
import oracle  # noqa: E402
from eager_lab.notebook.cell import VARIABLES_REASON  # noqa: E402
from eager_lab.notebook.table import render  # noqa: E402

_MODEL_CELL = '''
import numpy as np
import keras

class Regressor(keras.Model):
    """A custom train_step, as users write them; `explode` adds a failing op."""
    explode = False

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(3)

    def call(self, x):
        return self.dense(x)

    def train_step(self, data):
        x, y = data[0], data[1]
        with tf.GradientTape() as tape:
            pred = self(x, training=True)
            loss = tf.reduce_mean(tf.square(pred - y))
        grads = tape.gradient(loss, self.trainable_variables)
        if self.explode:
            tf.matmul(x, tf.ones((7, 7)))          # shapes do not fit: InvalidArgumentError
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}

model = Regressor()
model.compile(optimizer="sgd")
x = np.random.default_rng(0).random((8, 2)).astype("float32")
y = np.random.default_rng(1).random((8, 3)).astype("float32")
model.train_on_batch(x, y)
'''


@dataclass
class Ran:
    """One cell run: its result, what it printed and what it displayed."""

    result: object
    stdout: str
    stderr: str
    displays: list            # data dicts of display() calls

    @property
    def texts(self) -> list[str]:
        return [d.get("text/plain", "") for d in self.displays]

    @property
    def htmls(self) -> list[str]:
        return [d.get("text/html", "") for d in self.displays]

    @property
    def everything(self) -> str:
        return "\n".join([self.stdout, self.stderr, *self.texts])


@pytest.fixture(scope="module")
def ip(tmp_path_factory):
    os.environ["IPYTHONDIR"] = str(tmp_path_factory.mktemp("ipython"))
    from traitlets.config import Config
    from IPython.core.interactiveshell import InteractiveShell

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    shell.colors = "nocolor"
    run(shell, "%load_ext eager_lab\nimport tensorflow as tf")
    yield shell
    shell.run_line_magic("unload_ext", "eager_lab")


@pytest.fixture(scope="module")
def model_ip(ip):
    ran = run(ip, _MODEL_CELL)
    assert ran.result.success, ran.everything
    return ip


def run(shell, source: str) -> Ran:
    from IPython.utils.capture import capture_output
    with capture_output() as captured:
        result = shell.run_cell(source, store_history=True)
    return Ran(result, captured.stdout, captured.stderr,
               [dict(o.data) for o in captured.outputs])


def usage_error(ran: Ran) -> str:
    """The one-line error of a failed magic call; fails when a traceback was shown."""
    from IPython.core.error import UsageError
    assert isinstance(ran.result.error_in_exec, UsageError), ran.everything
    assert "Traceback" not in ran.everything
    lines = [line for line in ran.stderr.splitlines() if line.startswith("UsageError")]
    assert len(lines) == 1, ran.everything
    return lines[0]


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def html_tags(html: str) -> list[str]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def assert_names_are_tfdbg2s(step, truth) -> None:
    """The magic's names are the graph's: every named tensor is the tensor of that name in
    ``truth`` (the cell's code traced as one graph function and run under tfdbg2; see
    oracle.trace_cell), with its op type and value, and its op consumes what the graph op
    of that name consumes. Every tensor of the graph with an eager op is named."""
    score = oracle.score(step, truth)
    assert score.named > 0, "no tensor named: nothing was checked"
    assert score.wrong == [], f"names tfdbg2 does not confirm: {score.wrong}"
    missed = {k: t for k, t in score.missed.items() if t not in oracle.NO_EAGER_OP}
    assert not missed, f"graph tensors the magic left unnamed: {missed}"


# -- %%eager_debug without a model ----------------------------------------------------
def test_seed_cell_names_the_product(ip):
    ran = run(ip, "%%eager_debug\nt = tf.constant(3)\nt * t")
    assert ran.result.success, ran.everything
    step = eager_lab.last.steps[-1]
    assert [t.name for t in step.tensors] == ["mul:0"]
    assert step.tensors[0].value == 9
    assert_names_are_tfdbg2s(step, oracle.trace_cell("t = tf.constant(3)\nt * t"))
    # The cell's result is displayed as usual, and the table follows it.
    assert "numpy=9" in ran.stdout
    (text,), (html,) = ran.texts, ran.htmls
    assert "mul:0" in text and "x∈[9, 9]" in text
    assert "mul:0" in html and "<table>" in html
    # The source column points at the line of the visible cell (line 1 is the magic).
    count = ran.result.execution_count
    assert step.tensors[0].source.cell == count and step.tensors[0].source.line == 3
    assert f"cell {count}:3" in text
    # Names the cell bound are the eager ones, not the trace's symbolic tensors.
    assert type(ip.user_ns["t"]).__name__ == "EagerTensor"


def test_second_multiply_is_mul_1(ip):
    ran = run(ip, "%%eager_debug\nt = tf.constant(3)\nu = t * t\nu * t")
    assert ran.result.success, ran.everything
    tensors = eager_lab.last.steps[-1].tensors
    assert [(t.name, int(t.value)) for t in tensors] == [("mul:0", 9), ("mul_1:0", 27)]
    assert "numpy=27" in ran.stdout
    assert_names_are_tfdbg2s(eager_lab.last.steps[-1],
                             oracle.trace_cell("t = tf.constant(3)\nu = t * t\nu * t"))


def test_equal_values_keep_their_own_names(ip):
    # Two multiplies at one call site with the same value: only the ops they feed (sub
    # takes the first, mul_2 the second) tell their names apart, and tfdbg2 checks those.
    body = "t = tf.constant(3.0)\nxs = [t * t for _ in range(2)]\nxs[0] - 2.0 * xs[1]"
    ran = run(ip, "%%eager_debug\n" + body)
    assert ran.result.success, ran.everything
    step = eager_lab.last.steps[-1]
    assert_names_are_tfdbg2s(step, oracle.trace_cell(body))
    assert [(t.name, float(t.value)) for t in step.tensors] == [
        ("mul:0", 9.0), ("mul_1:0", 9.0), ("mul_2:0", 18.0), ("sub:0", -9.0)]


def test_output_of_the_cell_appears_once(ip):
    ran = run(ip, "%%eager_debug\nprint('printed-once')\ndisplay('displayed-once')\n"
                  "t = tf.constant(2.0)\nt + t")
    assert ran.result.success, ran.everything
    assert ran.stdout.count("printed-once") == 1
    assert sum("displayed-once" in text for text in ran.texts) == 1
    assert [t.name for t in eager_lab.last.steps[-1].tensors] == ["add:0"]
    quiet = {"tf": tf, "print": lambda *a: None, "display": lambda *a: None}
    assert_names_are_tfdbg2s(eager_lab.last.steps[-1], oracle.trace_cell(
        "print('printed-once')\ndisplay('displayed-once')\nt = tf.constant(2.0)\nt + t", quiet))


def test_cell_creating_a_variable_is_not_traced_twice(ip):
    run(ip, "created = []")
    ran = run(ip, "%%eager_debug\nv = tf.Variable(2.0)\ncreated.append(v)\nw = v * 3.0")
    assert ran.result.success, ran.everything
    assert len(ip.user_ns["created"]) == 1
    assert float(ip.user_ns["w"]) == 6.0
    tensors = eager_lab.last.steps[-1].tensors
    assert tensors and all(t.name is None for t in tensors)
    assert {t.unnamed_reason for t in tensors} == {VARIABLES_REASON}
    assert any(t.op_type == "Mul" and float(t.value) == 6.0 for t in tensors)
    assert "creates variables" in ran.texts[0]


def test_trace_does_not_touch_the_notebook_namespace(ip):
    run(ip, "losses = []")
    ran = run(ip, "%%eager_debug\nloss = tf.constant(1.5) * 2.0\nlosses.append(loss)\nfresh = 1")
    assert ran.result.success, ran.everything
    losses = ip.user_ns["losses"]
    assert len(losses) == 1 and type(losses[0]).__name__ == "EagerTensor"
    assert eager_lab.last.steps[-1].tensors[0].name == "mul:0"
    assert_names_are_tfdbg2s(eager_lab.last.steps[-1], oracle.trace_cell(
        "loss = tf.constant(1.5) * 2.0\nlosses.append(loss)\nfresh = 1", {"tf": tf, "losses": []}))


def test_python_if_on_a_tensor_names_what_comes_before(ip):
    ran = run(ip, "%%eager_debug\nx = tf.constant([1.0, 2.0])\ny = x * 3.0\n"
                  "if y[0] > 1:\n    z = y + 1.0")
    assert ran.result.success, ran.everything
    tensors = eager_lab.last.steps[-1].tensors
    by_type = {t.op_type: t for t in tensors}
    assert by_type["Mul"].name == "mul:0"
    # A graph cannot run the `if`: tfdbg2 checks what comes before it, its test included.
    assert_names_are_tfdbg2s(eager_lab.last.steps[-1], oracle.trace_cell(
        "x = tf.constant([1.0, 2.0])\ny = x * 3.0\ny[0] > 1"))
    add = by_type["AddV2"]
    assert add.name is None
    assert add.unnamed_reason.startswith("tracing the cell stopped at line 4")
    assert "tf.cond" in add.unnamed_reason
    assert float(ip.user_ns["z"][0]) == 4.0


def test_no_trace_only_runs_the_cell(ip):
    ran = run(ip, "%%eager_debug --no-trace\nt = tf.constant(3)\nt * t")
    assert ran.result.success, ran.everything
    (rec,) = eager_lab.last.steps[-1].tensors
    assert rec.name is None and "--no-trace" in rec.unnamed_reason and rec.value == 9


def test_failing_cell_shows_error_and_table(ip):
    import sys
    ran = run(ip, "%%eager_debug\na = tf.ones((2, 3))\nb = tf.matmul(a, a)")
    # The notebook cell fails (Run All stops), with the user's traceback shown once.
    assert not ran.result.success
    assert ran.stdout.count("Traceback") == 1 and "b = tf.matmul(a, a)" in ran.stdout
    assert f"In[{ran.result.execution_count}], line 3" in ran.stdout
    assert "eager_debug: the cell raised InvalidArgumentError" in ran.stdout
    # %debug would open the cell's own error, not the magic's.
    assert sys.last_value is ran.result.error_in_exec.original
    step = eager_lab.last.steps[-1]
    assert type(step.error).__name__ == "InvalidArgumentError"
    last = step.tensors[-1]
    assert last.op_type == "MatMul" and last.error and last.value is None
    (text,) = ran.texts
    assert "raised InvalidArgumentError" in text


def test_nan_pointer_in_header(ip):
    ran = run(ip, "%%eager_debug\nx = tf.constant([1.0, 0.0])\ny = tf.math.log(x)\nz = y * 0.0")
    assert ran.result.success, ran.everything
    step = eager_lab.last.steps[-1]
    assert step.first_nonfinite().name == "Log:0"
    assert_names_are_tfdbg2s(step, oracle.trace_cell(
        "x = tf.constant([1.0, 0.0])\ny = tf.math.log(x)\nz = y * 0.0"))
    (text,), (html,) = ran.texts, ran.htmls
    assert "first NaN/Inf: Log:0 (row 0)" in text
    assert 'class="nonfinite"' in html


def test_row_cap(ip):
    body = "t = tf.constant(1.0)\n" + "".join("t = t * 2.0\n" for _ in range(5))
    ran = run(ip, "%%eager_debug --rows 3\n" + body)
    assert ran.result.success, ran.everything
    names = [t.name for t in eager_lab.last.steps[-1].tensors]
    assert names == ["mul:0", "mul_1:0", "mul_2:0", "mul_3:0", "mul_4:0"]
    assert_names_are_tfdbg2s(eager_lab.last.steps[-1], oracle.trace_cell(body))
    (text,) = ran.texts
    assert "mul_2:0" in text and "mul_3:0" not in text
    assert "… 2 more rows (eager_lab.last.steps[0].tensors)" in text


def test_long_loops_are_recorded_in_part(ip):
    from eager_lab.notebook.cell import run_cell
    body = "t = tf.constant(1.0)\nfor _ in range(5):\n    t = t * 2.0\n"
    result, recording = run_cell(ip, body, max_ops=3)
    assert result.success and float(ip.user_ns["t"]) == 32.0
    assert recording is eager_lab.last and recording.skipped_ops == 2
    tensors = recording.steps[0].tensors
    assert len(tensors) == 3 and all(t.name is None for t in tensors)
    assert "the cell ran more than 3 eager ops" in tensors[0].unnamed_reason


def test_cell_magic_with_a_tf_function(ip):
    run(ip, "@tf.function\ndef double(v):\n    return v * 2.0")
    ran = run(ip, "%%eager_debug double\ndouble(tf.constant(3.0))")
    assert ran.result.success, ran.everything
    (rec,) = eager_lab.last.steps[-1].tensors
    assert rec.name == "mul:0" and float(rec.value) == 6.0
    assert "mul:0" in ran.texts[0]
    double = ip.user_ns["double"].python_function
    assert_names_are_tfdbg2s(eager_lab.last.steps[-1],
                             oracle.run_function(double, tf.constant(3.0)))


# -- rendering --------------------------------------------------------------------------
def test_html_escapes_names_reasons_and_sources(ip):
    run(ip, "%%eager_debug\nt = tf.constant(3)\nu = t * t\nu * t")
    step = eager_lab.last.steps[-1]
    hostile = "<img src=x onerror=alert(1)>"
    step.tensors[0].name = hostile
    step.tensors[1].name = None
    step.tensors[1].unnamed_reason = '"><script>alert(2)</script>'
    html = render(step).html()
    assert html_tags(html).count("img") == 0 and "script" not in html_tags(html)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in html
    # The text form shows the name as it is.
    assert hostile in render(step).text()


def test_text_keeps_the_end_of_long_names(ip):
    run(ip, "%%eager_debug\nt = tf.constant(3)\nt * t")
    step = eager_lab.last.steps[-1]
    step.tensors[0].name = "outer/" * 30 + "dense/MatMul:0"
    row = render(step).text().splitlines()[2]
    assert "…" in row and "dense/MatMul:0" in row and len(row) < 200


# -- %%eager_debug model ------------------------------------------------------------------
def test_cell_magic_with_keras_model(model_ip):
    ip = model_ip
    model = ip.user_ns["model"]
    ran = run(ip, "%%eager_debug model\nmodel.train_on_batch(x, y)")
    assert ran.result.success, ran.everything
    recording = eager_lab.last
    assert recording.target is model and len(recording.steps) == 1
    tensors = recording.steps[0].tensors
    grads = [t for t in tensors if t.name and t.name.startswith("gradient_tape/")]
    assert grads and all(t.value is not None for t in grads)
    assert any(re.fullmatch(r"regressor(_\d+)*/dense(_\d+)*/MatMul:0", t.name or "")
               for t in tensors), [t.name for t in tensors]
    (text,), (html,) = ran.texts, ran.htmls
    assert "gradient_tape/" in text and "gradient_tape/" in html
    assert "step 0 · 2" in text       # header: step index and tensor count
    # The model runs as before: compiled again, train_step not patched.
    assert "train_step" not in vars(model) and not model.run_eagerly


def test_steps_option_and_step_selection(model_ip):
    ran = run(model_ip, "%%eager_debug model --steps 0,2 --step 2\n"
                        "model.fit(x, y, batch_size=2, epochs=1, verbose=0)")
    assert ran.result.success, ran.everything
    assert [s.index for s in eager_lab.last.steps] == [0, 2]
    (text,) = ran.texts
    assert text.startswith("step 2 ·")
    ran = run(model_ip, "%%eager_debug model --steps 0:4:2 --all --budget 0\n"
                        "model.fit(x, y, batch_size=2, epochs=1, verbose=0)")
    assert ran.result.success, ran.everything
    assert [s.index for s in eager_lab.last.steps] == [0, 2]
    assert all(t.value is None for s in eager_lab.last.steps for t in s.tensors)
    (text,) = ran.texts
    assert "step 0 ·" in text and "step 2 ·" in text


def test_summaries_option_keeps_every_steps_statistics(model_ip):
    fit = "model.fit(x, y, batch_size=2, epochs=1, verbose=0)"
    ran = run(model_ip, f"%%eager_debug model --budget 0.001\n{fit}")
    assert ran.result.success, ran.everything
    lazy = eager_lab.last
    assert lazy.summaries == "lazy" and len(lazy.steps) > 1
    # Older steps' small values were freed before anything read them: unknown, said so.
    unknown = [t for t in lazy.steps[0].tensors if not t.summary.known]
    assert unknown and all("freed before" in t.why_no_value for t in unknown)
    ran = run(model_ip, f"%%eager_debug model --budget 0.001 --summaries all\n{fit}")
    assert ran.result.success, ran.everything
    every = eager_lab.last
    assert every.summaries == "all"
    assert all(t.summary.known for s in every.steps for t in s.tensors)


def test_failing_train_step_keeps_partial_step(model_ip):
    ip = model_ip
    model = ip.user_ns["model"]
    run(ip, "model.explode = True")
    try:
        ran = run(ip, "%%eager_debug model\nmodel.train_on_batch(x, y)")
    finally:
        run(ip, "model.explode = False")
    assert not ran.result.success
    assert "InvalidArgumentError" in ran.stdout and "Traceback" in ran.stdout
    step = eager_lab.last.steps[-1]
    assert step.error is not None
    assert step.tensors[-1].op_type == "MatMul" and step.tensors[-1].error
    (text,) = ran.texts
    assert "raised InvalidArgumentError" in text
    assert "train_step" not in vars(model) and not model.run_eagerly


# -- errors: one line, no traceback, the cell does not run ----------------------------------
@pytest.mark.parametrize("line, expected", [
    ("%%eager_debug modle", "no variable named 'modle' in the notebook (did you mean model?)"),
    ("%%eager_debug x", "eager_lab.capture() takes a Keras 3 model"),
    ("%%eager_debug plain_fn", "is a plain Python function"),
    ("%%eager_debug model.nothing", "model has no attribute 'nothing'"),
    ("%%eager_debug model --budget lots", "argument --budget: invalid float value"),
    ("%%eager_debug model --steps 1,x", "--steps '1,x': expected 'all'"),
    ("%%eager_debug model --bogus", "unrecognized arguments: --bogus"),
    ("%%eager_debug model --summaries some", "argument --summaries: invalid choice"),
    ("%%eager_debug model --all --step 1", "--all and --step N exclude each other"),
    ("%%eager_debug --step 1", "need a model"),
    ("%%eager_debug model --no-trace", "--no-trace applies without a model"),
    ("%%eager_debug off", "'off' is for the line magic"),
])
def test_usage_errors(model_ip, line, expected):
    run(model_ip, "def plain_fn(a):\n    return a\nran_body = False")
    ran = run(model_ip, line + "\nran_body = True")
    assert expected in usage_error(ran)
    assert model_ip.user_ns["ran_body"] is False
    assert "train_step" not in vars(model_ip.user_ns["model"])


def test_step_not_recorded_is_an_error_line(model_ip):
    ran = run(model_ip, "%%eager_debug model --step 5\nmodel.train_on_batch(x, y)")
    assert ran.result.success
    assert "--step 5 was not recorded; recorded steps: 0" in ran.stderr
    assert "Traceback" not in ran.everything and not ran.displays


# -- %eager_debug model ... %eager_debug off ---------------------------------------------------
def test_line_magic_across_cells(model_ip):
    ip = model_ip
    model = ip.user_ns["model"]
    ran = run(ip, "%eager_debug model")
    assert "recording model" in ran.stdout
    try:
        ran = run(ip, "model.train_on_batch(x, y)\nmodel.train_on_batch(x, y)")
        assert ran.result.success, ran.everything
        (text,) = ran.texts
        assert "2 steps recorded in this cell" in text and "step 1 ·" in text
        assert "gradient_tape/" in text
        assert "2 step(s) so far" in run(ip, "%eager_debug").stdout
        # A failing step while on: the error shows, the step is kept, capture stays on.
        run(ip, "model.explode = True")
        ran = run(ip, "model.train_on_batch(x, y)")
        run(ip, "model.explode = False")
        assert not ran.result.success and "InvalidArgumentError" in ran.stdout
        (text,) = ran.texts
        assert "step 2 ·" in text and "raised InvalidArgumentError" in text
        # A plain %%eager_debug cell works while the capture is on.
        ran = run(ip, "%%eager_debug\nt = tf.constant(3)\nt * t")
        assert [t.name for t in eager_lab.last.steps[-1].tensors] == ["mul:0"], ran.texts
        # ... but a second capture of a model does not.
        ran = run(ip, "%%eager_debug model\nmodel.train_on_batch(x, y)")
        assert "already on (%eager_debug model)" in usage_error(ran)
    finally:
        ran = run(ip, "%eager_debug off")
    assert "model restored; 3 step(s) recorded" in ran.stdout
    recording = eager_lab.last
    assert recording.target is model and [s.index for s in recording.steps] == [0, 1, 2]
    assert "train_step" not in vars(model) and not model.run_eagerly
    # Off really is off: training again records nothing and shows nothing.
    ran = run(ip, "model.train_on_batch(x, y)")
    assert ran.result.success and not ran.displays and len(recording.steps) == 3
    assert "not recording" in run(ip, "%eager_debug off").stdout


def test_line_magic_all_shows_each_step(model_ip):
    run(model_ip, "%eager_debug model --all --rows 2")
    try:
        ran = run(model_ip, "model.train_on_batch(x, y)\nmodel.train_on_batch(x, y)")
    finally:
        run(model_ip, "%eager_debug off")
    (text,) = ran.texts
    assert text.startswith("step 0 ·") and "\n\nstep 1 ·" in text
    assert text.count(" more rows (eager_lab.last.steps[") == 2


def test_line_magic_status_and_usage(ip):
    ran = run(ip, "%eager_debug")
    assert "not recording" in ran.stdout and "%%eager_debug [model]" in ran.stdout


def test_unload_turns_capture_off(model_ip):
    ip = model_ip
    run(ip, "%eager_debug model")
    with pytest.warns(eager_lab.EagerLabWarning, match="recorded no step: no train step"):
        run(ip, "%unload_ext eager_lab")
    try:
        assert "train_step" not in vars(ip.user_ns["model"])
        assert "eager_debug" not in ip.magics_manager.magics["line"]
    finally:
        run(ip, "%load_ext eager_lab")
    assert "eager_debug" in ip.magics_manager.magics["cell"]


def test_compare_option_shows_eager_vs_graph(model_ip):
    ran = run(model_ip, "%%eager_debug model --compare\nmodel.train_on_batch(x, y)")
    assert ran.result.success, ran.everything
    comparison = eager_lab.last_comparison
    assert comparison.first_divergence is None
    assert any(r.only_in is None for r in comparison.rows)
    table_text, compare_text = ran.texts
    assert "eager and graph agree within tolerance" in compare_text
    assert "max |Δ|" in compare_text and "graph only" in compare_text
    assert "<table>" in ran.htmls[1]


def test_compare_needs_a_model(ip):
    assert "need a model" in usage_error(run(ip, "%%eager_debug --compare\n1 + 1"))
