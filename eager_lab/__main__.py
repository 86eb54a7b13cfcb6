"""``python -m eager_lab demo``: capture two steps of a small custom train_step and print them.

Progress goes to stderr, the recording to stdout.
"""
from __future__ import annotations

import argparse
import linecache
import os
import sys
from pathlib import Path

from ._version import __version__
from ._quiet_import import import_tensorflow


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _demo_module() -> dict:
    """Run ``_demo_model.py`` as user code (see its docstring) and return its namespace."""
    path = Path(__file__).with_name("_demo_model.py")
    source = path.read_text(encoding="utf-8")
    filename = "<demo>"
    # As IPython does for cells: linecache serves the source lines of the pseudo file.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": "eager_lab_demo"}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own file
    return namespace


def _source(t) -> str:
    src = t.source
    if src is None:
        return ""
    where = f"cell {src.cell}" if src.cell is not None else os.path.basename(src.file)
    return f"{where}:{src.line} {src.function}"


def demo(steps: int = 2, make_nan: bool = False, show_all: bool = False) -> int:
    _say("Loading TensorFlow…")
    import_tensorflow()
    import keras
    import numpy as np

    import eager_lab
    from eager_lab.notebook.table import render

    _say("Building the model…")
    keras.utils.set_random_seed(0)
    model = _demo_module()["build"](make_nan)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32 * steps, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32")).astype("float32")

    class Progress(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            extra = " and tracing the graph for names" if batch == 0 else ""
            _say(f"Recording step {batch + 1}/{steps}{extra}…")

    with eager_lab.capture(model) as rec:
        model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0, callbacks=[Progress()])

    print(f"eager_lab {__version__}: {len(rec.steps)} step(s) of DemoModel.train_step "
          "(Dense 4→16→1, Adam), recorded eagerly and named as in the graph Keras would run\n")
    shown, first_bad = len(rec.steps) - 1, None
    for position, step in enumerate(rec.steps):
        named = sum(t.name is not None for t in step.tensors)
        bad = step.first_nonfinite()
        if bad is not None and first_bad is None:
            shown, first_bad = position, bad
        found = (f"first NaN/Inf: {bad.name or '(unnamed)'} ({bad.op_type}) "
                 f"{bad.summary.line()} at {_source(bad)}" if bad is not None else "no NaN/Inf")
        print(f"rec.steps[{position}]: {len(step.tensors)} tensors, {named} named; {found}")

    step = rec.steps[shown]
    limit = None if show_all else 40
    if first_bad is not None and limit is not None:
        limit = max(limit, first_bad.index + 3)
    print(f"\nrec.steps[{shown}], in execution order"
          f"{'' if limit is None else f' (first {limit} rows; --all shows every one)'}:\n")
    print(render(step, max_rows=limit, expr=f"rec.steps[{shown}]").text())
    example = next((t.name for t in step.tensors if t.name and t.op_type == "Mean"),
                   next((t.name for t in step.tensors if t.name), None))
    # The name is this demo's (its train_step is hand-written); in another model the same
    # tensor has the name that model's graph gives it (Keras' default train_step calls
    # its loss compile_loss/mse/Mean:0), so the hint says where to look names up.
    here = f'   here: rec.steps[{shown}]["{example}"].value' if example else ""
    print("\nNext:" + ("" if make_nan else
                       " `python -m eager_lab demo --nan` finds where a NaN starts.") +
          " In your code:\n"
          "  with eager_lab.capture(model) as rec:\n"
          "      model.fit(x, y, epochs=1)\n"
          "  rec.steps[0].tensors               every tensor, with .name, .value, .summary\n"
          f'  rec.steps[0]["<name>"].value       by graph name;{here}\n'
          "  rec.steps[0].first_nonfinite()     the first NaN/Inf, in execution order\n"
          "In Jupyter: %load_ext eager_lab, then a %%eager_debug cell. See README.md.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eager_lab",
        description="Record every intermediate tensor of an eager Keras train step, "
                    "named by its graph tensor name.")
    parser.add_argument("--version", action="version", version=f"eager_lab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo_parser = commands.add_parser(
        "demo", help="train a small model for a step or two under capture and print the tensors")
    demo_parser.add_argument("--steps", type=int, default=2, choices=(1, 2, 3),
                             help="training steps to record (default 2)")
    demo_parser.add_argument("--nan", action="store_true",
                             help="add an op that produces NaN, to see it found")
    demo_parser.add_argument("--all", action="store_true", help="print every tensor")
    args = parser.parse_args(argv)
    return demo(steps=args.steps, make_nan=args.nan, show_all=args.all)


if __name__ == "__main__":
    sys.exit(main())
