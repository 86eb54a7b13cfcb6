"""Import TensorFlow without its start-up chatter (for the demo and the benchmarks)."""
from __future__ import annotations

import os
import re
import sys
import tempfile

# Lines TensorFlow's C++ side prints while it is imported, before its logging is set up, so
# that TF_CPP_MIN_LOG_LEVEL cannot silence them.
_NOISE = re.compile(r"WARNING: All log messages before absl::InitializeLog|I0000 |"
                    r"To enable the following instructions:")


def import_tensorflow() -> None:
    """Import TensorFlow and Keras; stderr lines other than the usual chatter are passed on.

    Sets ``TF_CPP_MIN_LOG_LEVEL=2`` (warnings and errors only) unless it is already set.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            for line in caught.read().decode(errors="replace").splitlines(keepends=True):
                if not _NOISE.match(line):
                    sys.stderr.write(line)
