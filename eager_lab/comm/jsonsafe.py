"""What a JSON reply can hold, shared by the protocol's message builders: finite numbers
only (the browser's ``JSON.parse`` refuses NaN and Infinity) and texts of bounded length
(a TensorFlow error, or a sentence that quotes a user's line, can be pages long)."""
from __future__ import annotations

import math

#: Length kept of a step's exception text in a digest, of an ``error`` reply's message and
#: of a kernel-made sentence (a comparison row's ``cause_text``).
MAX_ERROR_TEXT = 2000


def finite(x):
    """JSON has no NaN/Inf (the browser's JSON.parse rejects them): send null."""
    return x if x is None or math.isfinite(x) else None


def cut(text: str | None) -> str | None:
    """``text`` in at most MAX_ERROR_TEXT characters, ``...`` where it was cut."""
    if text is None or len(text) <= MAX_ERROR_TEXT:
        return text
    return text[:MAX_ERROR_TEXT - 3] + "..."
