"""Call sites: where in Python an op was made, in a form eager and graph runs share.

An eager op and its graph twin are created by the same Python lines: the user's
``train_step``, Keras' layers, TensorFlow's gradient functions, down to the generated
``gen_*_ops`` wrapper that runs (eagerly) or creates (in a graph) the op. The frames
between the step's entry and that wrapper form the op's *call site*. Some frames exist in
one mode only (dispatch decorators, ``tf.cond``'s graph building, autograph); they are
dropped, so what is left is the same in both modes.

Per op, the capture callback only collects ``(code, lasti)`` pairs (cheap: no line
lookups, no source reads); :func:`canonical` resolves them once per distinct pair and
caches the result.
"""
from __future__ import annotations

import os
import sys
import sysconfig
from typing import NamedTuple

from .. import compat

_GEN_OPS = compat.GEN_OPS_FILE  # gen_math_ops.py, gen_stateless_random_ops_v2.py

# Frames that exist in one mode only, or whose line differs between modes; dropping them
# leaves the frames both modes share. Paths are matched as substrings with "/" separators.
# TensorFlow's and Keras' own are in compat (their source layout is private, and probed).
_MODE_DEPENDENT = compat.MODE_DEPENDENT_PATHS + (
    "/contextlib.py",
    "eager_lab/",
)

# Code that is not the user's: a tensor's `source` skips these frames.
_LIBRARY_PARTS = ("/tensorflow/", "/keras/", "/tf_keras/", "/eager_lab/", "/numpy/",
                  "/IPython/", "/ipykernel/", "/optree/", "/absl/")
_STDLIB = tuple(
    os.path.normpath(p) + os.sep
    for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}
)


class Frame(NamedTuple):
    """One shared frame of a call site: file, function, line."""

    filename: str
    function: str
    line: int


def _norm(filename: str) -> str:
    return filename.replace("\\", "/")


# Caches are keyed by id(code), with the code object kept in the value so the id stays
# unique: code objects compare equal across files (co_filename is not part of equality),
# so two cells with the same statements would otherwise share an entry.
# They are bounded: a kernel compiles new code objects for every cell it runs, and each
# entry keeps its code object alive. Past the limit the oldest entries are forgotten
# (looked up again when needed; an evicted code object may be freed and its id reused,
# but then no entry holds that id any more).
#: Entries per code-object cache (_kinds, _user), line cache and call-site cache.
MAX_CODES = 50_000
MAX_LINES = 200_000
MAX_CALL_SITES = 200_000
_kinds: dict[int, tuple] = {}
_user: dict[int, tuple] = {}


def _keep(cache: dict, key, value, limit: int):
    """``cache[key] = value``, first forgetting the oldest entries beyond ``limit``."""
    while len(cache) >= limit > 0:
        try:
            del cache[next(iter(cache))]
        except (StopIteration, KeyError, RuntimeError):  # another thread got there first
            break
    cache[key] = value
    return value


def _kind(code) -> str:
    """'gen' (a generated op wrapper), 'skip' (mode-dependent) or 'keep'."""
    hit = _kinds.get(id(code))
    if hit is None:
        hit = _keep(_kinds, id(code), (code, _classify(code)), MAX_CODES)
    return hit[1]


def _classify(code) -> str:
    filename = _norm(code.co_filename)
    if _GEN_OPS.search(filename) and "tensorflow/" in filename:
        return "gen"
    if any(part in filename for part in _MODE_DEPENDENT):
        return "skip"
    return "keep"


def is_user_code(code) -> bool:
    hit = _user.get(id(code))
    if hit is None:
        hit = _keep(_user, id(code), (code, _is_user_file(_norm(code.co_filename))), MAX_CODES)
    return hit[1]


def _is_user_file(filename: str) -> bool:
    if any(part in filename for part in _LIBRARY_PARTS):
        return False
    if filename.startswith("<frozen") or filename.startswith(_STDLIB):
        return False
    return not filename.startswith(tuple(_norm(p) for p in _STDLIB))


def line_of(code, lasti: int) -> int:
    """Line number of bytecode offset ``lasti`` in ``code`` (what ``frame.f_lineno`` gives)."""
    key = (id(code), lasti)
    hit = _lines.get(key)
    if hit is None:
        hit = _keep(_lines, key, (code, _line_of(code, lasti)), MAX_LINES)
    return hit[1]


_lines: dict[tuple, tuple] = {}


def _line_of(code, lasti: int) -> int:
    for start, end, line in code.co_lines():
        if start <= lasti < end:
            return line if line is not None else code.co_firstlineno
    return code.co_firstlineno


def raw_stack(frame, stop_code, watch_code=None):
    """``(code, lasti, code, lasti, ...)`` from ``frame`` outwards up to, not including,
    ``stop_code``: flat, one tuple per op (see :func:`frames_of`).

    Returns ``(stack, watched)``: ``watched`` is the innermost frame running
    ``watch_code`` (or None). ``stack`` is None when no frame runs ``stop_code``: the op
    was not made inside a step. This runs once per op, so it only follows ``f_back``.
    Flat, because a tuple per frame made ~25 long-lived objects per op: on MobileNetV2
    (8,000 ops a step) they set off a garbage collection every 700, 60 ms a step.
    """
    out = []
    append = out.append
    watched = None
    while frame is not None:
        code = frame.f_code
        if code is stop_code:
            return tuple(out), watched
        if code is watch_code and watched is None:
            watched = frame
        append(code)
        append(frame.f_lasti)
        frame = frame.f_back
    return None, None


def frames_of(raw: tuple):
    """``(code, lasti)`` pairs of a flat raw stack, innermost first."""
    return zip(raw[::2], raw[1::2])


_canonical_cache: dict = {}



def canonical(raw: tuple) -> tuple | None:
    """The mode-independent call site of a raw stack, or None without a generated-op frame.

    The result is ``(gen_function, Frame, Frame, ...)``, innermost frame first.
    """
    # Keyed by code ids and offsets (cheap to hash; code objects hash by content).
    key = (tuple(map(id, raw[::2])), raw[1::2])
    hit = _canonical_cache.get(key)
    if hit is not None:
        return hit[1]
    # Inner to outer. The generated-op frames name the op. More than one means the op was
    # made while converting an input of another op (a variable read inside ``bias_add``):
    # the frames between them are conversion machinery that differs by mode (eager
    # fallback vs op_def_library), so only the wrappers' names are kept from that stretch.
    result = None
    pairs = list(frames_of(raw))
    gen_at = [i for i, (code, _) in enumerate(pairs) if _kind(code) == "gen"]
    if gen_at:
        names = tuple(pairs[i][0].co_name for i in gen_at
                      if not pairs[i][0].co_name.endswith("_eager_fallback"))
        outer = []
        inside_converted = False
        for code, lasti in pairs[gen_at[-1] + 1:]:
            if _kind(code) != "keep":
                continue
            frame, converted = _frame(code, lasti)
            # Autograph runs a branch or loop body as a nested function of the converted
            # one; both map back to the same user function. Eagerly there is one frame:
            # keep the innermost line.
            if converted and inside_converted and outer and outer[-1][:2] == frame[:2]:
                continue
            outer.append(frame)
            inside_converted = converted
        result = (names, *outer)
    # raw keeps the code objects (and so their ids) alive
    _keep(_canonical_cache, key, (raw, result), MAX_CALL_SITES)
    return result


def _frame(code, lasti) -> tuple[Frame, bool]:
    """A shared frame, and whether autograph generated it (mapped back to the user's line)."""
    line = line_of(code, lasti)
    if compat.is_autograph_file(code.co_filename):
        origin = compat.autograph_origin(code.co_filename, line)
        if origin is not None:
            return Frame(*origin), True
    return Frame(code.co_filename, code.co_name, line), False


def user_frame(raw: tuple) -> Frame | None:
    """The innermost frame of user code (not TensorFlow, Keras, eager_lab or stdlib)."""
    for code, lasti in frames_of(raw):
        if is_user_code(code):
            return Frame(code.co_filename, code.co_name, line_of(code, lasti))
    return None


def caller_user_frame(frame) -> Frame | None:
    """The innermost user frame from ``frame`` outwards (once per step, not per op)."""
    while frame is not None:
        if is_user_code(frame.f_code):
            return Frame(frame.f_code.co_filename, frame.f_code.co_name, frame.f_lineno)
        frame = frame.f_back
    return None


def current_frame(depth: int = 0):
    return sys._getframe(depth + 1)
