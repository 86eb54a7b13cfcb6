"""``eager_lab.show()``: a recording as an ipywidgets view, for frontends without the panel.

Notebook 7, VS Code, Colab and JupyterLab without the eager_lab extension all render
ipywidgets; this view needs nothing else. It is built from the same pieces as the rest:
the table is :func:`eager_lab.table.render` of the filtered rows (so it looks like the
``%%eager_debug`` output), the detail uses ``protocol.fetch_code`` for the "how do I get
this value" line. Every recorded string is HTML-escaped: names and source lines are data.
"""
from __future__ import annotations

import html

try:
    import ipywidgets as widgets
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError("eager_lab.show() needs ipywidgets: pip install ipywidgets") from err

from ..record import events

from ..comm import protocol
from ..record.records import Step
from ..record.summary import short_dtype
from .table import DEFAULT_MAX_ROWS, render

_BAR = 30   # characters of the longest histogram bar


def _e(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def matches(rec, text: str) -> bool:
    """Case-insensitive substring of the name, op type, graph op name or unnamed reason."""
    text = text.strip().lower()
    if not text:
        return True
    fields = (rec.name, rec.op_type, rec.op_name, rec.unnamed_reason)
    return any(text in f.lower() for f in fields if f)


def _histogram(summary) -> str:
    counts, edges = summary.histogram, summary.bin_edges
    if not counts or len(edges) != len(counts) + 1:
        return ""
    top = max(counts) or 1
    lines = [f"{edges[k]:>11.4g} … {edges[k + 1]:<11.4g} {'█' * round(c / top * _BAR):<{_BAR}} {c}"
             for k, c in enumerate(counts)]
    return "\n".join(lines)


def detail_html(recording, position: int, rec) -> str:
    """One tensor: names, summary, statistics, histogram, source and how to fetch it."""
    step = recording.steps[position]
    s = rec.summary
    title = (f"<b>{_e(rec.name)}</b>" if rec.name else
             f"<i>unnamed</i>: {_e(rec.unnamed_reason or 'unknown reason')}")
    tensor = ("?" if rec.shape is None else
              f"{short_dtype(rec.dtype)}[{','.join(str(d) for d in rec.shape)}]")
    src = rec.source
    fields = [("op", rec.op_type), ("graph op", rec.op_name), ("scope", rec.scope),
              ("function graph", rec.graph), ("tensor", tensor),
              ("summary", protocol.summary_text(rec)),
              ("source", f"{src.file}:{src.line} in {src.function}" if src else None),
              ("code", src.code if src else None), ("error", rec.error),
              ("value", "held" if rec.why_no_value is None else f"none: {rec.why_no_value}"),
              ("fetch", protocol.fetch_code(recording, position, rec, step,
                                            latest=events.last is recording))]
    if s.size:
        num = lambda v: "?" if v is None else f"{v:.6g}"  # noqa: E731
        fields.append(("stats", f"size={s.size} min={num(s.min)} max={num(s.max)} "
                                f"mean={num(s.mean)} std={num(s.std)} zeros={s.zeros} "
                                f"nan={s.nan} +inf={s.pos_inf} -inf={s.neg_inf}"))
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>"
                   for k, v in fields if v not in (None, ""))
    hist = _histogram(s)
    hist_html = f"<pre>{_e(hist)}</pre>" if hist else ""
    return (f'<div class="eager-lab-detail"><div>#{rec.index} {title}</div>'
            f'<table class="eager-lab-table">{rows}</table>{hist_html}</div>')


class RecordingView(widgets.VBox):
    """Step dropdown, filter box, table of matching rows and a detail for one row."""

    def __init__(self, recording, *, max_rows: int | None = DEFAULT_MAX_ROWS):
        self.recording = recording
        self.max_rows = max_rows
        steps = recording.steps
        state = "finished" if recording.finished else "capturing"
        self.header = widgets.HTML(
            f"<b>{_e(recording.label)}</b> · recording {_e(recording.id)} · "
            f"{len(steps)} step(s) · {state}")
        self.step = widgets.Dropdown(
            description="step",
            options=[(f"step {s.index} · {len(s.tensors)} tensors", p) for p, s in enumerate(steps)],
            value=len(steps) - 1 if steps else None)
        self.filter = widgets.Text(description="filter",
                                   placeholder="name, op or reason (case-insensitive)")
        self.nonfinite_only = widgets.Checkbox(description="only NaN/Inf", indent=False)
        self.row = widgets.BoundedIntText(description="row #", min=0, max=0, value=0)
        self.table = widgets.HTML()
        self.detail = widgets.HTML()
        for control in (self.step, self.filter, self.nonfinite_only):
            control.observe(self._refresh_table, names="value")
        self.step.observe(self._pick_row, names="value")
        self.row.observe(self._refresh_detail, names="value")
        controls = widgets.HBox([self.step, self.filter, self.nonfinite_only])
        super().__init__([self.header, controls, self.table, self.row, self.detail])
        self._refresh_table()
        self._pick_row()

    @property
    def _current(self) -> Step | None:
        return None if self.step.value is None else self.recording.steps[self.step.value]

    def visible(self) -> list:
        """The current step's tensors that pass the filter and the NaN/Inf box."""
        step = self._current
        if step is None:
            return []
        return [t for t in step.tensors if matches(t, self.filter.value)
                and (not self.nonfinite_only.value or not t.summary.finite)]

    def _refresh_table(self, change=None) -> None:
        step = self._current
        if step is None:
            self.table.value = "<div>(no steps recorded)</div>"
            return
        shown = self.visible()
        notes = []
        if len(shown) != len(step.tensors):
            notes.append(f"showing {len(shown)} of {len(step.tensors)} tensors "
                         f"(filter {self.filter.value!r}"
                         f"{', NaN/Inf only' if self.nonfinite_only.value else ''})")
        # A real Step of the matching records: the table's header, marks and escaping
        # stay exactly those of %%eager_debug's output.
        view = Step(step.index, tensors=shown, error=step.error)
        expr = f"eager_lab.recordings[{self.recording.id}].steps[{self.step.value}]"
        self.table.value = render(view, max_rows=self.max_rows, expr=expr, notes=notes).html()

    def _pick_row(self, change=None) -> None:
        """A new step: the row range follows, starting at its first NaN/Inf if any."""
        step = self._current
        n = len(step.tensors) if step is not None else 0
        self.row.disabled = n == 0
        self.row.max = max(n - 1, 0)
        bad = step.first_nonfinite() if step is not None else None
        start = bad.index if bad is not None else 0
        if self.row.value == start:
            self._refresh_detail()
        else:
            self.row.value = start

    def _refresh_detail(self, change=None) -> None:
        step = self._current
        if step is None or not step.tensors:
            self.detail.value = "<div>(no tensors)</div>"
            return
        index = min(max(self.row.value, 0), len(step.tensors) - 1)
        self.detail.value = detail_html(self.recording, self.step.value, step.tensors[index])


def show(rec=None, *, max_rows: int | None = DEFAULT_MAX_ROWS) -> RecordingView:
    """A widget view of a recording: the latest (``eager_lab.last``) by default.

    Args:
      rec: a Recording, a recording id (a key of ``eager_lab.recordings``) or None.
      max_rows: table rows shown before "… N more rows"; None shows all.

    Returns the view (an ``ipywidgets.VBox``): make it a cell's last expression, or
    ``display()`` it.

    Raises:
      ValueError: nothing was recorded yet, or no recording has that id.
    """
    if rec is None:
        rec = events.last
        if rec is None:
            raise ValueError("nothing recorded yet: run a `with eager_lab.capture(model):` "
                             "block or a %%eager_debug cell first")
    elif isinstance(rec, int):
        if rec not in events.recordings:
            kept = ", ".join(str(k) for k in events.recordings) or "none"
            raise ValueError(f"recording {rec} is not kept (kept: {kept})")
        rec = events.recordings[rec]
    return RecordingView(rec, max_rows=max_rows)
