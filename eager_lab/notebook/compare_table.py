"""A Comparison as a table: graph name, op, max |Δ|, max rel Δ, where it exists; text + HTML."""
from __future__ import annotations

import html

DEFAULT_MAX_ROWS = 60


def _num(x) -> str:
    if x is None:
        return "—"
    return f"{x:.3g}"


def _rows(cmp, max_rows):
    first = cmp.first_divergence
    rows = cmp.rows
    if max_rows and len(rows) > max_rows:
        # Keep the first divergence visible: start the window a few rows before it.
        start = max(0, rows.index(first) - 5) if first is not None else 0
        rows = rows[start:start + max_rows]
    return rows


def _cells(r):
    where = {"graph": "graph only", "eager": "eager only"}.get(r.only_in, "both")
    source = getattr(r.eager, "source", None) if r.eager is not None else None
    mark = "DIVERGES" if r.diverges and not r.noise else "noise" if r.diverges else (r.why or "")
    return [r.name or "<unnamed>", r.op_type, _num(r.max_abs_diff), _num(r.max_rel_diff),
            where, mark, (r.cause or "") if r.diverges else "",
            f"{source.function}:{source.line}" if source else "", r.layer or ""]


_HEAD = ["graph name", "op", "max |Δ|", "max rel Δ", "in", "", "cause", "source", "layer"]


def _header(cmp) -> str:
    first = cmp.first_divergence
    versus = "XLA" if cmp.mode == "xla" else "graph"
    head = (f"{len(cmp.rows)} tensors: {len(cmp.rows) - len(cmp.only_in_graph) - len(cmp.only_in_eager)} "
            f"in both, {len(cmp.only_in_graph)} {versus}-only, {len(cmp.only_in_eager)} eager-only")
    counts = cmp.cause_counts
    if counts:
        head += " · differences: " + ", ".join(f"{n} {cause}" for cause, n in counts.items())
    if first is None:
        if cmp.first_difference is not None:
            return head + " · no real divergence: every difference is optimisation noise"
        return head + f" · eager and {versus} agree within tolerance"
    return head + f" · first divergence ({first.cause}): {first.name} — {first.cause_text}"


class ComparisonTable:
    def __init__(self, cmp, max_rows: int | None = DEFAULT_MAX_ROWS):
        self.cmp, self.max_rows = cmp, max_rows

    def text(self) -> str:
        rows = [_cells(r) for r in _rows(self.cmp, self.max_rows)]
        widths = [max(len(h), *(len(c[i]) for c in rows)) if rows else len(h)
                  for i, h in enumerate(_HEAD)]
        fmt = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
        lines = [_header(self.cmp), fmt(_HEAD), *(fmt(c) for c in rows)]
        hidden = len(self.cmp.rows) - len(rows)
        if hidden:
            lines.append(f"… {hidden} more rows (eager_lab.last_comparison.rows)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        e = lambda s: html.escape(str(s), quote=True)  # noqa: E731
        out = [f"<div><b>{e(_header(self.cmp))}</b></div><table><thead><tr>",
               *(f"<th>{e(h)}</th>" for h in _HEAD), "</tr></thead><tbody>"]
        for r in _rows(self.cmp, self.max_rows):
            style = ' style="background:#fdd"' if r.diverges else ""
            out.append(f"<tr{style}>" + "".join(f"<td>{e(c)}</td>" for c in _cells(r)) + "</tr>")
        out.append("</tbody></table>")
        return "".join(out)

    def __repr__(self) -> str:
        return self.text()

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(self.text())
