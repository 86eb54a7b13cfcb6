"""Which TensorFlow versions eager_lab was checked on, and what it says about others.

Kept free of TensorFlow imports: :class:`UnsupportedTensorFlowError` is raised while
``eager_lab.compat`` is imported (its self-check), so the class must be importable without
it, for ``except eager_lab.UnsupportedTensorFlowError``.
"""
from __future__ import annotations

#: TensorFlow versions (major, minor) whose private APIs eager_lab was checked against.
#: Older ones are refused; newer ones are tried with an :class:`UntestedTensorFlowWarning`
#: and refused only when ``eager_lab.compat``'s self-check finds something moved.
SUPPORTED_TF = ((2, 16), (2, 21))


class UnsupportedTensorFlowError(RuntimeError):
    """This TensorFlow (or Keras, IPython) lacks a private API eager_lab relies on.

    The message names each private symbol that moved, what eager_lab needs it for, and
    the TensorFlow, Keras and IPython versions.
    """


class UntestedTensorFlowWarning(UserWarning):
    """TensorFlow is newer than eager_lab was checked on (its self-check passed), or a
    private API that only makes eager_lab faster has moved (it falls back)."""


def checked_range() -> str:
    """``"2.16–2.21"``."""
    low, high = SUPPORTED_TF
    return f"{low[0]}.{low[1]}–{high[0]}.{high[1]}"
