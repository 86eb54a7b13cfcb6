"""Which notebook cell ran as which execution count: sources point at cells by their id.

A tensor's source is a line of an IPython cell's pseudo-file, and IPython maps that file to
the cell's *execution count*. Counts are not identities: a notebook saved with outputs of
an earlier session holds the same counts again, and a re-run cell gets a new one. JupyterLab
sends the cell's id (``cell.model.id``) with every execution; ipykernel hands it to
``run_cell`` and IPython to ``pre_run_cell`` listeners as ``info.cell_id``. This module
keeps ``execution count -> cell id`` for the cells run since eager_lab was imported, so the
panel can open the very cell a tensor came from.
"""
from __future__ import annotations

import sys
import threading
from collections import OrderedDict

#: How many cells are remembered (a long-lived kernel runs many): oldest forgotten first.
MAX_CELLS = 20_000

_ids: "OrderedDict[int, str]" = OrderedDict()
_running: str | None = None   # the id of the cell running now (its count is known after it)
_depth = 0                    # cells running now (a %%eager_debug cell runs one inside)
_lock = threading.Lock()
_installed: set = set()   # id() of the shells whose events we listen to


def _remember(count, cell_id) -> None:
    if not isinstance(count, int) or not isinstance(cell_id, str) or not cell_id:
        return
    with _lock:
        _ids[count] = cell_id[:200]
        _ids.move_to_end(count)
        while len(_ids) > MAX_CELLS:
            _ids.popitem(last=False)


def cell_id(execution_count: int | None) -> str | None:
    """The id of the notebook cell that ran as ``execution_count``, when known."""
    if execution_count is None:
        return None
    with _lock:
        known = _ids.get(execution_count)
        running = _running
    if known is not None or running is None:
        return known
    # The running cell: IPython has compiled it under the newest count it knows.
    if execution_count == _newest_count():
        return running
    return None


def _newest_count() -> int | None:
    from .. import compat
    counts = [c for c in compat.ipython_cell_numbers(_shell()).values() if isinstance(c, int)]
    return max(counts) if counts else None


def _shell():
    if "IPython" not in sys.modules:
        return None
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return None
    return get_ipython()


def install() -> None:
    """Start listening (idempotent; nothing happens outside IPython). Never raises.

    The cell running now has already passed ``pre_run_cell``: its id is read from the
    request ipykernel is answering.
    """
    global _running, _depth
    shell = _shell()
    if shell is None or id(shell) in _installed:
        return
    try:
        shell.events.register("pre_run_cell", _on_pre_run_cell)
        shell.events.register("post_run_cell", _on_post_run_cell)
        _installed.add(id(shell))
        kernel = getattr(shell, "kernel", None)
        parent = kernel.get_parent() if kernel is not None else None
        running = ((parent or {}).get("metadata") or {}).get("cellId")
        in_cell = ((parent or {}).get("header") or {}).get("msg_type") == "execute_request"
        with _lock:
            _running = running if isinstance(running, str) and running else None
            if in_cell:   # imported by the running cell: its pre_run_cell has passed
                _depth = max(_depth, 1)
    except Exception:  # noqa: BLE001 - sources then fall back to execution counts
        pass


def cell_running() -> bool:
    """Whether the kernel's main shell is running a cell now.

    JupyterLab 4.6 sends comm messages on a kernel subshell (ipykernel 7), so the panel's
    requests are answered in another thread *while* a cell runs.
    """
    return _depth > 0


def _on_pre_run_cell(info) -> None:
    # Nested runs (%%eager_debug runs its cell again, without history) carry no cell id
    # and must not replace the outer cell's.
    global _running, _depth
    with _lock:
        _depth += 1
    if getattr(info, "store_history", False):
        cell = getattr(info, "cell_id", None)
        with _lock:
            _running = cell if isinstance(cell, str) and cell else None


def _on_post_run_cell(result) -> None:
    """The cell's count is certain now (IPython versions differ on when they count)."""
    global _running, _depth
    with _lock:
        _depth = max(0, _depth - 1)
    info = getattr(result, "info", None)
    if not getattr(info, "store_history", False):
        return
    _remember(getattr(result, "execution_count", None), getattr(info, "cell_id", None))
    with _lock:
        _running = None
