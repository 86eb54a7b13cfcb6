"""eager_lab: every intermediate tensor of an eager Keras/TensorFlow train step, named by
the name it has in the compiled graph."""
from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .record.records import GraphRunError, Source, Step, TensorRecord
    from .capturing.session import CaptureError, EagerLabWarning, Recording, capture
    from .record.summary import Summary

#: The most recent recording (set when a ``capture()`` block or ``%%eager_debug`` ends).
last: "Recording | None" = None

__all__ = ["capture", "Recording", "Step", "TensorRecord", "Summary", "Source",
           "CaptureError", "EagerLabWarning", "GraphRunError", "last", "recordings", "show", "__version__"]

# Importing TensorFlow takes seconds. The public names are loaded on first use, so that
# `python -m eager_lab --version` answers at once and the demo can say "Loading TensorFlow…"
# and quiet TensorFlow's logs before the import starts.
_LAZY = {"capture": "capturing.session", "Recording": "capturing.session",
         "CaptureError": "capturing.session", "EagerLabWarning": "capturing.session",
         "Step": "record.records", "TensorRecord": "record.records", "Source": "record.records",
         "GraphRunError": "record.records",
         "Summary": "record.summary", "recordings": "record.events", "show": "notebook.widget"}


def _listen_to_notebook_cells() -> None:
    """In IPython, note each cell's id from now on (sources point at cells by id)."""
    import sys
    if "IPython" in sys.modules:
        from .notebook.cell_ids import install
        install()


_listen_to_notebook_cells()


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    if importlib.util.find_spec(f"{__name__}.{name}") is not None:  # a submodule
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


def load_ipython_extension(ipython):
    """``%load_ext eager_lab``: registers the ``%eager_debug`` magic."""
    from .notebook.magic import register
    register(ipython)
    from .comm.transport import ensure_transport; ensure_transport()  # noqa: E702 - the panel's comm


def unload_ipython_extension(ipython):
    from .notebook.magic import unregister
    unregister(ipython)


def _jupyter_labextension_paths():
    """Where JupyterLab finds the "Eager tensors" panel (the built labextension)."""
    return [{"src": "labextension", "dest": "eager-lab"}]
