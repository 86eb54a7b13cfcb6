"""Tables: a captured step as rows of name, op, tensor, summary and source.

One :class:`Table` renders as aligned text (``repr``, terminals, logs) and as an HTML
``<table>`` (notebooks); IPython picks whichever the frontend shows. Every string that
comes from the recording is HTML-escaped: tensor names, reasons and source lines are data,
and a notebook must never interpret them as markup.

Steps can hold thousands of tensors; a table shows at most ``max_rows`` of them and says
where the rest are (``eager_lab.last.steps[0].tensors``), rather than flooding the output.
"""
from __future__ import annotations

import html
import os
from dataclasses import dataclass
from typing import Iterable

from ..errors import first_line
from ..record.summary import summary_text, tensor_label

DEFAULT_MAX_ROWS = 200

# Column caps for the text form: wide enough for typical Keras names, narrow enough that
# one row fits a notebook's output area.
_TEXT_WIDTHS = {"name": 56, "op": 22, "tensor": 18, "summary": 50, "source": 28}

# Short forms of the reasons naming gives, for the name column; the full reason is in the
# legend under the text table and in the HTML cell's tooltip.
_SHORT_REASONS = (
    ("eager-only", "eager-only"),
    ("ambiguous", "ambiguous"),
    ("could not trace", "no graph"),
    ("the cell creates tf.Variables", "creates variables"),
    ("tracing the cell stopped", "trace stopped"),
    ("the op failed", "op failed"),
    ("not traced", "not traced"),
    ("eager_lab could not name", "naming failed"),
)


def short_reason(reason: str | None) -> str:
    if not reason:
        return "unknown"
    for prefix, short in _SHORT_REASONS:
        if reason.startswith(prefix):
            return short
    return " ".join(reason.split()[:3])


def _source_text(source) -> str:
    if source is None:
        return ""
    where = f"cell {source.cell}" if source.cell is not None else os.path.basename(source.file)
    return f"{where}:{source.line}"


@dataclass
class _Row:
    index: int
    name: str          # graph name, or "<unnamed: short reason>"
    named: bool
    reason: str | None
    op: str
    tensor: str
    summary: str
    source: str
    source_title: str  # full path, function and code line (HTML tooltip)
    nonfinite: bool
    error: str | None


def _row(rec) -> _Row:
    src = rec.source
    title = ""
    if src is not None:
        title = f"{src.file}:{src.line} in {src.function}"
        if src.code:
            title += f"\n{src.code}"
    return _Row(
        index=rec.index,
        name=rec.name if rec.name else f"<unnamed: {short_reason(rec.unnamed_reason)}>",
        named=rec.name is not None,
        reason=rec.unnamed_reason,
        op=rec.op_type or "?",
        tensor=tensor_label(rec),
        summary=summary_text(rec),
        source=_source_text(src),
        source_title=title,
        nonfinite=not rec.summary.finite,
        error=rec.error,
    )


@dataclass
class _Block:
    """One step, ready to render."""

    title: str
    header: str
    rows: list[_Row]
    more: str | None            # "… N more rows (expr)" when rows were cut
    reasons: list[tuple[str, str, int]]   # (short, full reason, count) of unnamed tensors
    footer: list[str]


def _block(step, *, title: str, expr: str, max_rows: int | None) -> _Block:
    tensors = step.tensors
    named = sum(t.name is not None for t in tensors)
    parts = [title, _plural(len(tensors), "tensor"), f"{named} named"]
    bad = step.first_nonfinite()
    if bad is not None:
        label = bad.name or f"<unnamed {bad.op_type}>"
        parts.append(f"first NaN/Inf: {label} (row {bad.index})")
    if step.error is not None:
        parts.append(f"raised {type(step.error).__name__}: {first_line(step.error, 100, sentence=False)}")
    shown = tensors if max_rows is None else tensors[:max_rows]
    more = None
    if len(tensors) > len(shown):
        more = f"… {len(tensors) - len(shown)} more rows ({expr}.tensors)"
    counts: dict[str, int] = {}
    for t in tensors:
        if t.name is None:
            counts[t.unnamed_reason or "unknown"] = counts.get(t.unnamed_reason or "unknown", 0) + 1
    reasons = [(short_reason(r), r, n) for r, n in counts.items()]
    footer = []
    if step.graph_only:
        footer.append(f"{len(step.graph_only)} graph tensor(s) had no eager twin "
                      f"({expr}.graph_only)")
    return _Block(title, " · ".join(parts), [_row(t) for t in shown], more, reasons, footer)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _cut(text: str, width: int, keep_end: bool = False) -> str:
    """Shorten to ``width`` with an ellipsis; names keep their end (the op, not the scope)."""
    if len(text) <= width:
        return text
    return "…" + text[-(width - 1):] if keep_end else text[: width - 1] + "…"


_COLUMNS = (("#", None), ("name", "name"), ("op", "op"), ("tensor", "tensor"),
            ("summary", "summary"), ("source", "source"))


def _text_block(block: _Block) -> str:
    cells = []
    for r in block.rows:
        mark = "!" if r.nonfinite else ("x" if r.error else " ")
        cells.append([f"{r.index}{mark}", _cut(r.name, _TEXT_WIDTHS["name"], keep_end=True),
                      _cut(r.op, _TEXT_WIDTHS["op"]), _cut(r.tensor, _TEXT_WIDTHS["tensor"]),
                      _cut(r.summary, _TEXT_WIDTHS["summary"]),
                      _cut(r.source, _TEXT_WIDTHS["source"], keep_end=True)])
    heads = [h for h, _ in _COLUMNS]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(heads)]
    lines = [block.header]
    if cells:
        fmt = lambda row: "  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip()  # noqa: E731
        lines.append(fmt(heads))
        lines.extend(fmt(c) for c in cells)
    else:
        lines.append("(no eager ops recorded)")
    if block.more:
        lines.append(block.more)
    for short, full, n in block.reasons:
        lines.append(_cut(f"unnamed ({short}, {n}): {full}", 240))
    lines.extend(block.footer)
    return "\n".join(lines)


_STYLE = ("<style>.eager-lab-table td,.eager-lab-table th{font-family:monospace;"
          "text-align:left;padding:1px 8px;white-space:nowrap}"
          ".eager-lab-table tr.nonfinite{background:#fdd}"
          ".eager-lab-table tr.failed{background:#fec}"
          ".eager-lab-table .unnamed{color:#888;font-style:italic}</style>")


def _e(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _html_block(block: _Block) -> str:
    out = [f'<div class="eager-lab-header"><b>{_e(block.header)}</b></div>',
           "<table><thead><tr>", *(f"<th>{_e(h)}</th>" for h, _ in _COLUMNS),
           "</tr></thead><tbody>"]
    for r in block.rows:
        cls = "nonfinite" if r.nonfinite else ("failed" if r.error else "")
        name_cell = (f"<td>{_e(r.name)}</td>" if r.named else
                     f'<td class="unnamed" title="{_e(r.reason)}">{_e(r.name)}</td>')
        summary_title = f' title="{_e(r.error)}"' if r.error else ""
        out.append(
            f'<tr class="{cls}"><td>{r.index}</td>{name_cell}<td>{_e(r.op)}</td>'
            f"<td>{_e(r.tensor)}</td><td{summary_title}>{_e(r.summary)}</td>"
            f'<td title="{_e(r.source_title)}">{_e(r.source)}</td></tr>')
    out.append("</tbody></table>")
    if not block.rows:
        out.append("<div>(no eager ops recorded)</div>")
    if block.more:
        out.append(f"<div>{_e(block.more)}</div>")
    if block.reasons:
        out.append("<details><summary>why some tensors have no name</summary><ul>")
        out.extend(f"<li><i>{_e(short)}</i> ({n}): {_e(full)}</li>"
                   for short, full, n in block.reasons)
        out.append("</ul></details>")
    out.extend(f"<div>{_e(line)}</div>" for line in block.footer)
    return "".join(out)


class Table:
    """Rendered steps; IPython shows ``_repr_html_`` in notebooks and the text elsewhere."""

    def __init__(self, blocks: list[_Block], notes: Iterable[str] = ()):
        self._blocks = blocks
        self.notes = list(notes)

    def text(self) -> str:
        parts = [_text_block(b) for b in self._blocks] or ["(no steps recorded)"]
        return "\n\n".join(self.notes + parts)

    def html(self) -> str:
        body = "".join(f"<div>{_e(n)}</div>" for n in self.notes)
        body += "<hr/>".join(_html_block(b) for b in self._blocks) or "<div>(no steps recorded)</div>"
        return f'<div class="eager-lab-table">{_STYLE}{body}</div>'

    def __repr__(self) -> str:
        return self.text()

    __str__ = text

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(self.text())

    def _repr_html_(self) -> str:
        return self.html()


def render(obj, *, steps: Iterable[int] | None = None, max_rows: int | None = DEFAULT_MAX_ROWS,
           expr: str | None = None, title: str | None = None,
           notes: Iterable[str] = ()) -> Table:
    """A :class:`Table` of a Step, or of some steps of a Recording.

    Args:
      obj: a ``Step`` or a ``Recording`` (anything with ``.steps``).
      steps: positions in ``recording.steps`` to show (default: the last one).
      max_rows: rows per step before "… N more rows"; None shows all.
      expr: how the user reaches ``obj`` (``eager_lab.last``), for the "more rows" hint
        (default ``recording`` or ``step``).
      title: the header's first word group (default ``step <index>``).
      notes: lines shown above the tables.
    """
    if max_rows is not None and max_rows < 0:
        raise ValueError(f"max_rows must be >= 0 or None; got {max_rows}")
    if hasattr(obj, "steps"):
        expr = expr or "recording"
        positions = list(steps) if steps is not None else ([len(obj.steps) - 1] if obj.steps else [])
        blocks = [_block(obj.steps[p], title=title or f"step {obj.steps[p].index}",
                         expr=f"{expr}.steps[{p}]", max_rows=max_rows) for p in positions]
    else:
        expr = expr or "step"
        blocks = [_block(obj, title=title or f"step {obj.index}", expr=expr, max_rows=max_rows)]
    return Table(blocks, notes)
