"""The ``%eager_debug`` / ``%%eager_debug`` IPython magic.

* ``%%eager_debug model`` records the cell's train steps of ``model`` (a Keras 3 model or
  a ``tf.function``) and shows the last one as a table;
* ``%%eager_debug`` alone records the cell's own eager ops (see :mod:`eager_lab.cell`);
* ``%eager_debug model`` keeps a capture open across cells and shows each cell's new
  steps after the cell; ``%eager_debug off`` ends it and restores the model.

Every mistake a user can make (a misspelt name, an object that cannot be captured, a bad
option) is raised as IPython's ``UsageError``, which IPython shows as one line, never as a
traceback into eager_lab. Errors from the user's own cell are shown by IPython as usual.
"""
from __future__ import annotations

import difflib
import sys

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from ..errors import first_line
from ..record import events
from .table import DEFAULT_MAX_ROWS, render

USAGE = """\
%%eager_debug [model] [options]   record this cell: the train steps of `model` (a Keras 3
                                  model or a tf.function) or, without a model, the eager
                                  ops of the cell itself, and show them as a table
%eager_debug model [options]      record `model`'s train steps in every following cell
%eager_debug off                  stop recording and restore the model
%eager_debug                      this help and what is being recorded
Options: --steps SPEC, --budget MiB, --summaries all, --step N, --all, --rows N, --no-trace
(details: %eager_debug?)"""


def parse_steps(spec: str):
    """``all`` | ``N`` | ``0,5,10`` | ``start:stop[:step]`` -> what capture(steps=) takes."""
    text = spec.strip()
    try:
        if text == "all":
            return "all"
        if ":" in text:
            parts = [int(p) if p.strip() else None for p in text.split(":")]
            if len(parts) > 3:
                raise ValueError
            start, stop, step = (parts + [None, None])[:3]
            if stop is None:
                raise UsageError(f"--steps {spec}: a range needs an end (e.g. 0:1000:50)")
            return range(start or 0, stop, step or 1)
        values = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise UsageError(f"--steps {spec!r}: expected 'all', a step number, a list such as "
                         "0,5,10 or a range such as 0:1000:50") from None
    if not values or any(v < 0 for v in values):
        raise UsageError(f"--steps {spec!r}: step numbers start at 0")
    return values[0] if len(values) == 1 else values


def _budget_bytes(mib: float | None):
    from ..capturing.session import DEFAULT_MEMORY_BUDGET
    if mib is None:
        return DEFAULT_MEMORY_BUDGET
    if mib < 0:
        raise UsageError(f"--budget {mib:g}: the value budget is in MiB and must be >= 0")
    return int(mib * 2**20)


def _max_rows(rows: int | None):
    if rows is None:
        return DEFAULT_MAX_ROWS
    if rows < 0:
        raise UsageError(f"--rows {rows}: must be >= 0 (0 shows every row)")
    return rows or None


def _error_line(message: str) -> None:
    """An error that comes after the cell ran: shown as a line, the cell's output stays."""
    print(f"eager_debug: {message}", file=sys.stderr)


def _is_model_or_function(obj) -> bool:
    from .. import compat
    if compat.is_tf_function(obj):
        return True
    try:
        import keras
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, keras.Model)


class CellRaised(Exception):
    """The cell run by ``%%eager_debug`` raised; IPython already showed its traceback.

    Raised again by the magic so that the notebook cell counts as failed ("Run All",
    nbconvert and papermill stop there), shown as one line instead of a second
    traceback. ``original`` is the cell's exception; ``%debug`` opens that one.
    """

    def __init__(self, original: BaseException):
        super().__init__(f"the cell raised {type(original).__name__}: "
                         f"{first_line(original, 250, sentence=False)}")
        self.original = original

    def _render_traceback_(self) -> list[str]:
        return [f"eager_debug: the cell raised {type(self.original).__name__} (its traceback "
                "and the recorded tensors are above; %debug opens it)"]


def _raise_if_failed(result) -> None:
    error = result.error_before_exec or result.error_in_exec
    if error is not None:
        raise CellRaised(error)


class _Live:
    """``%eager_debug model``: one capture held open across cells."""

    def __init__(self, shell, expr: str, recording, show_all: bool, max_rows):
        self.shell = shell
        self.expr = expr
        self.recording = recording
        self.show_all = show_all
        self.max_rows = max_rows
        self.shown = 0          # steps already displayed
        self.paused = False     # inside a nested cell run by %%eager_debug

    def start(self) -> None:
        self.recording.__enter__()
        events.last = self.recording        # inspectable while it runs
        self.shell.events.register("post_run_cell", self.post_run_cell)

    def stop(self) -> None:
        """Restore the model, whatever state the last cells left it in."""
        try:
            self.recording.__exit__(None, None, None)
        finally:
            try:
                self.shell.events.unregister("post_run_cell", self.post_run_cell)
            except ValueError:
                pass
        self.show_new()

    def post_run_cell(self, result=None) -> None:
        if self.paused:
            return
        try:
            self.show_new()
        except Exception as err:  # noqa: BLE001 - a display bug must not flood every cell
            _error_line(f"could not show the recorded steps: {type(err).__name__}: {err}")

    def show_new(self) -> None:
        steps = self.recording.steps
        if len(steps) <= self.shown:
            return
        new = range(self.shown, len(steps))
        self.shown = len(steps)
        positions = list(new) if self.show_all else [new[-1]]
        notes = []
        if len(new) > 1 and not self.show_all:
            notes.append(f"{len(new)} steps recorded in this cell (steps "
                         f"{steps[new[0]].index}–{steps[new[-1]].index}); showing the last "
                         "(--all shows each one)")
        display(render(self.recording, steps=positions, max_rows=self.max_rows,
                       expr="eager_lab.last", notes=notes))

    def status(self) -> str:
        n = len(self.recording.steps)
        return (f"eager_debug: recording {self.expr} ({type(self.recording.target).__name__}) "
                f"in every cell: {n} step(s) so far (eager_lab.last); %eager_debug off stops")


@magics_class
class EagerDebugMagics(Magics):
    def __init__(self, shell):
        super().__init__(shell)
        self.live: _Live | None = None
        shell.events.register("post_run_cell", self._point_debugger_at_cell_error)

    def _point_debugger_at_cell_error(self, result=None) -> None:
        """After a CellRaised, make ``sys.last_*`` (what %debug reads) the cell's error."""
        error = getattr(result, "error_in_exec", None)
        if isinstance(error, CellRaised):
            original = error.original
            sys.last_type, sys.last_value = type(original), original
            sys.last_traceback = original.__traceback__
            if hasattr(sys, "last_exc"):
                sys.last_exc = original

    @magic_arguments()
    @argument("target", nargs="?", default=None,
              help="a Keras 3 model or a tf.function in the notebook namespace (a name or "
                   "dotted path); 'off' ends a capture started by the line magic; omitted "
                   "in the cell magic, the cell's own eager ops are recorded")
    @argument("--steps", metavar="SPEC", default=None,
              help="which train steps to record: all (default), N, 0,5,10 or "
                   "start:stop:step; the other steps run as the compiled graph")
    @argument("--budget", metavar="MiB", type=float, default=None,
              help="MiB of tensor values to keep, newest steps first (default 512); "
                   "summaries read before a value is freed are kept")
    @argument("--summaries", choices=("lazy", "all"), default="lazy",
              help="lazy (default): summaries are computed when first shown; all: each "
                   "one before its value is freed (trends and NaN/Inf checks over every "
                   "step, at a cost per freed step)")
    @argument("--step", metavar="N", type=int, default=None,
              help="show recorded step N (negative: from the end) instead of the last")
    @argument("--all", action="store_true", help="show every recorded step")
    @argument("--rows", metavar="N", type=int, default=None,
              help=f"rows per table (default {DEFAULT_MAX_ROWS}; 0 shows all)")
    @argument("--compare", action="store_true",
              help="with a model: also run the shown step as the graph from the same state "
                   "and compare every tensor (eager_lab.last_comparison)")
    @argument("--no-trace", action="store_true",
              help="without a model: only run the cell eagerly; do not trace it to name "
                   "its tensors (for cells whose code must not run twice)")
    @line_cell_magic
    def eager_debug(self, line: str, cell: str | None = None):
        """Record eager TensorFlow/Keras steps tensor by tensor, named as in the graph.

        %%eager_debug model      record the train steps `model` runs in this cell
        %%eager_debug            record this cell's own eager TensorFlow ops
        %eager_debug model       record `model` in every following cell
        %eager_debug off         stop that and restore the model
        The recording is `eager_lab.last`; see docs/magic.md.
        """
        args = parse_argstring(self.eager_debug, line)
        if args.all and args.step is not None:
            raise UsageError("eager_debug: --all and --step N exclude each other")
        if cell is None:
            return self._line(args)
        return self._cell(args, cell, line)

    # -- line magic --------------------------------------------------------------------
    def _line(self, args) -> None:
        if args.target is None:
            print(self.live.status() if self.live else "eager_debug: not recording")
            print(USAGE)
            return
        if args.no_trace or args.step is not None:
            raise UsageError("eager_debug: --no-trace and --step apply to the cell magic "
                             "(%%eager_debug) only")
        if args.target == "off":
            self._off()
            return
        steps = parse_steps(args.steps) if args.steps is not None else "all"
        recording = self._recording_for(args.target, steps, _budget_bytes(args.budget),
                                        args.summaries)
        if self.live is not None:
            self._off()
        live = _Live(self.shell, args.target, recording, args.all, _max_rows(args.rows))
        self._enter(live.start, args.target)
        self.live = live
        print(live.status())

    def _off(self) -> None:
        live, self.live = self.live, None
        if live is None:
            print("eager_debug: not recording (nothing to turn off)")
            return
        live.stop()
        print(f"eager_debug: off; {live.expr} restored; {len(live.recording.steps)} step(s) "
              "recorded (eager_lab.last)")

    # -- cell magic --------------------------------------------------------------------
    def _cell(self, args, cell: str, line: str) -> None:
        if args.target == "off":
            raise UsageError("eager_debug: 'off' is for the line magic: %eager_debug off")
        source = _keep_line_numbers(line, cell)
        max_rows = _max_rows(args.rows)
        budget = _budget_bytes(args.budget)
        if args.target is None:
            if args.steps is not None or args.step is not None or args.all or args.compare:
                raise UsageError("eager_debug: --steps/--step/--all/--compare need a model; "
                                 "without one, the cell is recorded as one step")
            return self._plain_cell(source, not args.no_trace, budget, max_rows)
        if args.no_trace:
            raise UsageError("eager_debug: --no-trace applies without a model only; a "
                             "model's step is always traced once to name its tensors")
        if args.compare and args.all:
            raise UsageError("eager_debug: --compare compares one step: use --step N")
        steps = parse_steps(args.steps) if args.steps is not None else "all"
        recording = self._recording_for(args.target, steps, budget, args.summaries)
        self._enter(recording.__enter__, args.target)
        try:
            result = self._run_nested(source)
        finally:
            recording.__exit__(None, None, None)
        shown = self._show(recording, args, max_rows)
        if args.compare and shown is not None and result.error_in_exec is None:
            self._compare(shown, max_rows)
        _raise_if_failed(result)

    def _compare(self, step, max_rows) -> None:
        from .compare_table import ComparisonTable
        try:
            comparison = step.compare()
        except RuntimeError as err:
            _error_line(str(err))
            return
        events.last_comparison = comparison
        display(ComparisonTable(comparison, max_rows=max_rows or None))

    def _plain_cell(self, source: str, trace: bool, budget, max_rows) -> None:
        from .cell import MAX_CELL_OPS, run_cell
        count = self.shell.execution_count - 1
        label = f"cell {count}"
        self._pause_live(True)
        try:
            result, recording = run_cell(self.shell, source, trace=trace,
                                         memory_budget=budget, label=label)
        finally:
            self._pause_live(False)
        notes = []
        if recording.skipped_ops:
            notes.append(f"only the first {MAX_CELL_OPS} eager ops were recorded; "
                         f"{recording.skipped_ops} more ran")
        display(render(recording, max_rows=max_rows, expr="eager_lab.last", title=label,
                       notes=notes))
        _raise_if_failed(result)

    def _run_nested(self, source: str):
        from .cell import run_nested
        self._pause_live(True)
        try:
            return run_nested(self.shell, source)
        finally:
            self._pause_live(False)

    def _pause_live(self, paused: bool) -> None:
        if self.live is not None:
            self.live.paused = paused

    def _show(self, recording, args, max_rows) -> None:
        steps = recording.steps
        if not steps:
            _error_line("no train step was recorded in this cell (run model.fit, "
                        "model.train_on_batch or the tf.function in the cell; --steps "
                        "may have skipped them)")
            return
        if args.all:
            positions = range(len(steps))
        elif args.step is None:
            positions = [len(steps) - 1]
        elif args.step < 0:
            if -args.step > len(steps):
                _error_line(f"--step {args.step}: only {len(steps)} step(s) were recorded")
                return
            positions = [len(steps) + args.step]
        else:
            positions = [p for p, s in enumerate(steps) if s.index == args.step]
            if not positions:
                recorded = ", ".join(str(s.index) for s in steps[:20])
                _error_line(f"--step {args.step} was not recorded; recorded steps: {recorded}"
                            + ("…" if len(steps) > 20 else ""))
                return
        display(render(recording, steps=positions, max_rows=max_rows, expr="eager_lab.last"))
        return steps[positions[-1]]

    # -- shared ------------------------------------------------------------------------
    def _lookup(self, expr: str):
        parts = expr.split(".")
        if not all(p.isidentifier() for p in parts):
            raise UsageError(f"eager_debug: {expr!r} is not a variable name (give the name "
                             "of a model or tf.function, e.g. %%eager_debug model)")
        namespace = self.shell.user_ns
        if parts[0] not in namespace:
            visible = [n for n in namespace if not n.startswith("_")]
            close = difflib.get_close_matches(parts[0], visible, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise UsageError(f"eager_debug: no variable named {parts[0]!r} in the notebook{hint}")
        obj = namespace[parts[0]]
        for i, part in enumerate(parts[1:], start=1):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise UsageError(f"eager_debug: {'.'.join(parts[:i])} has no attribute "
                                 f"{part!r}") from None
        return obj

    def _recording_for(self, expr: str, steps, budget, summaries: str = "lazy"):
        from ..capturing.session import CaptureError, capture
        target = self._lookup(expr)
        try:
            recording = capture(target, steps=steps, memory_budget=budget,
                                summaries=summaries)
        except CaptureError as err:
            raise UsageError(f"eager_debug: {expr}: {err}") from None
        except ValueError as err:
            raise UsageError(f"eager_debug: {err}") from None
        if not _is_model_or_function(target):
            recording._used = True   # refused on purpose: no "never started" warning later
            raise UsageError(
                f"eager_debug: {expr} is a plain Python {type(target).__name__}; the magic "
                "records a Keras 3 model's train steps or the calls of a tf.function. "
                "Decorate the step with @tf.function, or use "
                "`with eager_lab.capture(fn) as rec: rec(...)`; %%eager_debug without a "
                "model records the cell's own ops.")
        return recording

    def _enter(self, start, expr: str) -> None:
        """Start a capture; any failure becomes a one-line UsageError."""
        try:
            start()
        except RuntimeError as err:
            if "already active" in str(err):
                raise UsageError("eager_debug: a capture is already on (%eager_debug "
                                 f"{self.live.expr if self.live else '...'}); turn it off "
                                 "with %eager_debug off first") from None
            raise UsageError(f"eager_debug: could not start capturing {expr}: {err}") from None
        except Exception as err:  # noqa: BLE001 - shown as one line, as promised
            raise UsageError(f"eager_debug: could not start capturing {expr}: "
                             f"{type(err).__name__}: {err}") from None

    def close(self) -> None:
        try:
            self.shell.events.unregister("post_run_cell", self._point_debugger_at_cell_error)
        except ValueError:
            pass
        if self.live is not None:
            live, self.live = self.live, None
            live.stop()


def _keep_line_numbers(line: str, cell: str) -> str:
    """Prefix the body with the magic line, commented, so line N of what runs is line N
    of the cell the user sees (tracebacks, the table's source column).

    A body that starts with another cell magic must stay first; it is left as is.
    """
    if cell.lstrip().startswith("%%"):
        return cell
    return f"# %%eager_debug {line}".rstrip() + "\n" + cell


def register(ipython) -> None:
    ipython.register_magics(EagerDebugMagics)


def unregister(ipython) -> None:
    """Turn off a live capture and remove the magic (``%unload_ext eager_lab``)."""
    manager = ipython.magics_manager
    for instance in list(manager.registry.values()):
        if isinstance(instance, EagerDebugMagics):
            instance.close()
    manager.registry.pop("EagerDebugMagics", None)
    for kind in ("line", "cell"):
        manager.magics[kind].pop("eager_debug", None)
