"""eager_lab: every intermediate tensor of an eager Keras/TensorFlow train step, named by
the name it has in the compiled graph."""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import TYPE_CHECKING

from ._version import __version__
from .record import events as _events   # light: no TensorFlow

if TYPE_CHECKING:
    from .record.records import GraphRunError, Source, Step, TensorRecord
    from .capturing.session import CaptureError, EagerLabWarning, Recording, capture
    from .record.summary import Summary
    from .versions import UnsupportedTensorFlowError, UntestedTensorFlowWarning


__all__ = ["capture", "Recording", "Step", "TensorRecord", "Summary", "Source",
           "CaptureError", "EagerLabWarning", "GraphRunError", "last", "last_comparison", "recordings", "show", "__version__",
           "UnsupportedTensorFlowError", "UntestedTensorFlowWarning"]

# Importing TensorFlow takes seconds. The public names are loaded on first use, so that
# `python -m eager_lab --version` answers at once and the demo can say "Loading TensorFlow…"
# and quiet TensorFlow's logs before the import starts.
_LAZY = {"capture": "capturing.session", "Recording": "capturing.session",
         "CaptureError": "capturing.session", "EagerLabWarning": "capturing.session",
         "Step": "record.records", "TensorRecord": "record.records", "Source": "record.records",
         "GraphRunError": "record.records",
         "Summary": "record.summary", "recordings": "record.events", "show": "notebook.widget",
         # No TensorFlow: catchable while eager_lab.compat's import-time check raises it.
         "UnsupportedTensorFlowError": "versions", "UntestedTensorFlowWarning": "versions"}


def _listen_to_notebook_cells() -> None:
    """In IPython, note each cell's id from now on (sources point at cells by id)."""
    if "IPython" in sys.modules:
        from .capturing.cell_ids import install
        install()


_listen_to_notebook_cells()

_LIVE = ("last", "last_comparison")   # see _Package


def _prepare_recording() -> None:
    """Before each recording registers: in a kernel, start the comm that reaches an open
    panel (once; never raises; a no-op outside a kernel) and note cell ids from now on.
    Wired here, at the root, so that the record stage does not import the later ones."""
    from .comm.transport import ensure_transport
    from .capturing.cell_ids import install
    ensure_transport()
    install()


_events.before_register(_prepare_recording)


class _Package(types.ModuleType):
    """``eager_lab.last`` and ``eager_lab.last_comparison`` read and write
    ``record.events`` (a plain global here would go stale, or shadow it once assigned)."""

    last = property(lambda self: _events.last,
                    lambda self, value: setattr(_events, "last", value))
    last_comparison = property(lambda self: _events.last_comparison,
                               lambda self, value: setattr(_events, "last_comparison", value))


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    if importlib.util.find_spec(f"{__name__}.{name}") is not None:  # a submodule
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_LIVE))


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
