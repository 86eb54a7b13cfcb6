"""eager_lab: every intermediate tensor of an eager Keras/TensorFlow train step, named by
the name it has in the compiled graph."""
from __future__ import annotations

__version__ = "0.1.0"

from .records import Source, Step, TensorRecord  # noqa: E402
from .session import CaptureError, Recording, capture  # noqa: E402
from .summary import Summary  # noqa: E402

#: The most recent recording (set when a ``capture()`` block or ``%%eager_debug`` ends).
last: "Recording | None" = None

__all__ = ["capture", "Recording", "Step", "TensorRecord", "Summary", "Source",
           "CaptureError", "last", "__version__"]


def load_ipython_extension(ipython):
    """``%load_ext eager_lab``: registers the ``%eager_debug`` magic."""
    from .magic import register
    register(ipython)


def unload_ipython_extension(ipython):
    from .magic import unregister
    unregister(ipython)
