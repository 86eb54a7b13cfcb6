"""The comm protocol's messages (docs/protocol.md): version, requests, replies, pushes.

Pure shapes: every function here turns recordings, steps and tensor records into the JSON
dicts of the protocol, or checks an incoming dict. Nothing here sends, looks up or
computes values; ``transport`` does the sending, ``buffers`` the values.

Digests are light on purpose: a row is a few short strings and numbers, a step is counts.
A step digest computes no tensor summary the training loop has not asked for, except
within the time budget its caller gives (see :func:`nonfinite`).
"""
from __future__ import annotations

import json
import re
import reprlib
import time
from dataclasses import dataclass

from ..record.batch_summary import summarize_many
from ..record.summary import summary_text   # the cell table's column too: one rule
# The eager-vs-graph replies (1.1, causes and XLA 1.4) are built in comparisons.py;
# named here too, with every other message of the protocol.
from .comparisons import comparison, comparison_row, xla_layer  # noqa: F401
from .jsonsafe import MAX_ERROR_TEXT, cut
from .jsonsafe import finite as _finite

PROTOCOL_VERSION = "1.4.0"
TARGET = "eager_lab"
#: (1.4) "xla": ``get_comparison.jit_compile`` (eager against the step compiled with XLA).
CAPABILITIES = ("state", "tensors", "tensor", "values", "comparison", "trends", "xla")
#: Rows per ``tensors`` message; a larger ``limit`` is clamped (IOPub rate limits).
MAX_ROWS = 5000
#: (1.3) Rows per ``tensors`` message in columns (``get_tensors.columns``): a row is a
#: few bytes of buffers and strings sent once per page, so 50,000 make ~5 MB.
MAX_COLUMN_ROWS = 50_000
#: Elements per ``values`` message; a larger ``count`` is clamped.
MAX_VALUES = 1_048_576
#: Tensors summarized at once while a step digest checks for NaN/Inf (~10 ms of them).
NONFINITE_BATCH = 1024

# Bounds on what a peer sends. A reply never grows with its request: an input value quoted
# in an error message is cut to MAX_ECHO characters, so a 10 MB field gets a short reply.
#: Largest integer a request may hold: JavaScript's Number.MAX_SAFE_INTEGER (the panel
#: cannot send or read a larger one exactly; every id, step and index is far below it).
MAX_INT = 2**53 - 1
#: Longest ``request_id``. A longer one cannot be echoed whole, and a cut echo could match
#: another pending request, so it is answered as having none (the panel sends ``r123``).
MAX_REQUEST_ID = 128
#: Entries of a ``get_values.prefix`` (numpy arrays have at most 64 dimensions).
MAX_PREFIX = 64
#: Characters of a peer's value quoted in an error message.
MAX_ECHO = 64
#: Length of a ``protocol_version`` string.
MAX_VERSION = 64


class ProtocolError(Exception):
    """A request that gets an ``error`` reply: ``code`` is one of docs/protocol.md's codes."""

    def __init__(self, code: str, message: str, request_id: str | None = None, **extra):
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id
        self.extra = extra

    def to_json(self) -> dict:
        return error(self.code, self.message, self.request_id, **self.extra)


_echo = reprlib.Repr()
_echo.maxstring = _echo.maxlong = _echo.maxother = MAX_ECHO
_echo.maxlist = _echo.maxtuple = 8
_echo.maxdict = 4
_echo.maxlevel = 2


def preview(value) -> str:
    """``repr(value)`` in at most MAX_ECHO characters, for error messages.

    ``reprlib`` never builds the whole repr, so quoting a 10 MB string or a list of a
    million items costs as little as quoting a short one.
    """
    try:
        text = _echo.repr(value)
    except Exception:  # noqa: BLE001 - e.g. an int too long for str() (4300 digits)
        text = f"<{type(value).__name__}>"
    return text if len(text) <= MAX_ECHO else text[:MAX_ECHO - 3] + "..."


# -- handshake ---------------------------------------------------------------------------
def _package_version() -> str:
    from .._version import __version__
    return __version__


def hello(side: str = "kernel") -> dict:
    return {"type": "hello", "protocol_version": PROTOCOL_VERSION, "side": side,
            "version": _package_version()}


def welcome() -> dict:
    return {"type": "welcome", "protocol_version": PROTOCOL_VERSION, "side": "kernel",
            "version": _package_version(), "capabilities": list(CAPABILITIES)}


def error(code: str, message: str, request_id: str | None = None, **extra) -> dict:
    """``request_id`` is always present: null when the error answers no request.

    The message is cut to MAX_ERROR_TEXT characters (a TensorFlow error can be pages long).
    """
    message = cut(message)
    return {"type": "error", "request_id": request_id, "code": code, "message": message,
            **extra}


# The frontend's grammar (src/protocol.ts parseVersion): MAJOR.MINOR.PATCH in ASCII digits,
# an optional suffix. re.ASCII: str.isdigit() takes '²', which int() then refuses.
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:[-+.][0-9A-Za-z.+-]*)?", re.ASCII)


def major(version) -> int | None:
    """The major number of ``"1.0.0"``, or None for anything that is not a version.

    At most MAX_VERSION characters: a 5,000-digit major would make int() raise.
    """
    if not isinstance(version, str) or len(version) > MAX_VERSION:
        return None
    match = _VERSION.fullmatch(version.strip())
    return int(match.group(1)) if match else None


def check_peer(data) -> dict:
    """Check a ``hello`` or ``welcome`` from the other side; returns it.

    Raises ProtocolError ``bad_request`` (not a handshake) or ``version_mismatch`` (another
    major version; the error carries our ``protocol_version`` so the panel can name both).
    """
    if not isinstance(data, dict) or data.get("type") not in ("hello", "welcome"):
        raise ProtocolError("bad_request", "expected a hello message")
    kind = data["type"]
    theirs = data.get("protocol_version")
    if major(theirs) is None:
        raise ProtocolError("bad_request", f"{kind} has no valid protocol_version (MAJOR.MINOR."
                            f"PATCH, at most {MAX_VERSION} characters): {preview(theirs)}")
    if major(theirs) != major(PROTOCOL_VERSION):
        side = data.get("side") if data.get("side") in ("frontend", "kernel") else "other side"
        raise ProtocolError(
            "version_mismatch",
            f"eager_lab protocol mismatch: the kernel speaks {PROTOCOL_VERSION}, the "
            f"{side} speaks {theirs.strip()} (major versions must match)",
            protocol_version=PROTOCOL_VERSION)
    return data


# -- requests ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """A parsed request; fields a type does not use keep their defaults."""

    type: str
    request_id: str
    recording_id: int | None = None
    step: int | None = None
    index: int | None = None
    offset: int = 0
    limit: int = MAX_ROWS
    prefix: tuple = ()
    count: int = MAX_VALUES
    # get_values: "eager" (a tensor row), "graph" (a comparison row), (1.4) "xla" and
    # "xla_eager" (the XLA and the eager value of a row of the XLA comparison)
    source: str = "eager"
    columns: bool = False       # (1.3) get_tensors: rows as columns (with buffers)
    jit_compile: bool = False   # (1.4) get_comparison: eager against XLA, not the graph


# type -> (required int fields, optional int fields with their clamp)
_FIELDS = {
    "request_state": ((), {}),
    # get_tensors' limit is clamped once `columns` is known (see parse_request).
    "get_tensors": (("recording_id", "step"), {"offset": None, "limit": None}),
    "get_tensor": (("recording_id", "step", "index"), {}),
    "get_values": (("recording_id", "step", "index"), {"offset": None, "count": MAX_VALUES}),
    # 1.1: eager vs graph (runs the step as a graph on first request) and trends.
    "get_comparison": (("recording_id", "step"), {"offset": None, "limit": MAX_ROWS}),
    "get_trends": (("recording_id",), {"offset": None, "limit": MAX_ROWS}),
}
REQUEST_TYPES = tuple(_FIELDS)
#: Whose value ``get_values`` pages: a tensor's, a graph comparison row's, (1.4) an XLA
#: comparison row's XLA or eager value (the eager side of those rows is a value of an
#: eager replay, not a tensor of the step).
VALUE_SOURCES = ("eager", "graph", "xla", "xla_eager")


def _is_int(value) -> bool:
    """A protocol integer: 0 to MAX_INT (ids, steps, indices, offsets are never negative;
    Python would read a negative index from the end: another row's data)."""
    return type(value) is int and 0 <= value <= MAX_INT   # bool is an int in Python only


def request_id(data) -> str | None:
    """The request's id if it is one that can be echoed, else None."""
    rid = data.get("request_id") if isinstance(data, dict) else None
    return rid if isinstance(rid, str) and 0 < len(rid) <= MAX_REQUEST_ID else None


def parse_request(data) -> Request:
    """Check an incoming request; raises ProtocolError ``bad_request`` with what is wrong.

    Fields a type does not define are ignored (a newer minor version may add some).
    """
    if not isinstance(data, dict):
        raise ProtocolError("bad_request", f"a message must be a JSON object, got "
                            f"{type(data).__name__}")
    rid = request_id(data)
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in _FIELDS:   # a list is not even hashable
        raise ProtocolError("bad_request", f"unknown request type {preview(kind)} "
                            f"(known: {', '.join(REQUEST_TYPES)})", rid)
    if rid is None:
        raise ProtocolError("bad_request", f"{kind} needs a request_id: a string of 1 to "
                            f"{MAX_REQUEST_ID} characters, got "
                            f"{preview(data.get('request_id'))}")
    required, optional = _FIELDS[kind]
    fields: dict = {}
    for name in required:
        if name not in data:
            raise ProtocolError("bad_request", f"{kind}.{name} is missing", rid)
        fields[name] = _integer(kind, name, data[name], rid)
    for name, clamp in optional.items():
        if name in data:
            value = _integer(kind, name, data[name], rid)
            fields[name] = min(value, clamp) if clamp is not None else value
    if kind == "get_values" and "prefix" in data:
        prefix = data["prefix"]
        if (not isinstance(prefix, list) or len(prefix) > MAX_PREFIX
                or not all(_is_int(p) for p in prefix)):
            raise ProtocolError("bad_request", f"get_values.prefix must be a list of at most "
                                f"{MAX_PREFIX} integers from 0 to {MAX_INT}, got "
                                f"{preview(prefix)}", rid)
        fields["prefix"] = tuple(prefix)
    if kind == "get_tensors":
        columns = data.get("columns", False)
        if not isinstance(columns, bool):
            raise ProtocolError("bad_request", f"get_tensors.columns must be true or false, "
                                f"got {preview(columns)}", rid)
        most = MAX_COLUMN_ROWS if columns else MAX_ROWS
        fields["columns"] = columns
        fields["limit"] = min(fields.get("limit", most), most)
    if kind == "get_values" and "source" in data:
        if data["source"] not in VALUE_SOURCES:
            raise ProtocolError("bad_request", f"get_values.source must be one of "
                                f"{', '.join(VALUE_SOURCES)}, got {preview(data['source'])}",
                                rid)
        fields["source"] = data["source"]
    if kind == "get_comparison" and "jit_compile" in data:
        if not isinstance(data["jit_compile"], bool):
            raise ProtocolError("bad_request", f"get_comparison.jit_compile must be true or "
                                f"false, got {preview(data['jit_compile'])}", rid)
        fields["jit_compile"] = data["jit_compile"]
    return Request(kind, rid, **fields)


def _integer(kind: str, name: str, value, rid: str) -> int:
    if not _is_int(value):
        raise ProtocolError("bad_request", f"{kind}.{name} must be an integer from 0 to "
                            f"{MAX_INT}, got {preview(value)}", rid)
    return value


# -- digests -----------------------------------------------------------------------------
def source_json(source) -> dict | None:
    if source is None:
        return None
    return {"file": source.file, "line": source.line, "function": source.function,
            "cell": source.cell, "cell_id": getattr(source, "cell_id", None)}


def row(rec) -> dict:
    """A tensor's row: computes its summary (on request only, never in a push)."""
    summary = rec.summary
    return {
        "i": rec.index, "name": rec.name, "reason": rec.unnamed_reason, "op": rec.op_type,
        "op_name": rec.op_name, "scope": rec.scope, "graph": rec.graph,
        "shape": list(rec.shape) if rec.shape is not None else None, "dtype": rec.dtype,
        "summary": summary_text(rec), "nan": summary.nan, "inf": summary.inf,
        "source": source_json(rec.source), "error": rec.error, "has_value": rec.has_value,
        "why_no_value": rec.why_no_value,
    }


def stats(summary) -> dict:
    return {"size": summary.size, "min": _finite(summary.min), "max": _finite(summary.max),
            "mean": _finite(summary.mean), "std": _finite(summary.std), "nan": summary.nan,
            "pos_inf": summary.pos_inf, "neg_inf": summary.neg_inf, "zeros": summary.zeros,
            "histogram": list(summary.histogram),
            "bin_edges": [_finite(e) for e in summary.bin_edges]}


def _summary_known(rec) -> bool:
    # TensorRecord computes summaries lazily (35 ms per step of the reference conv net,
    # half a step): a push must not force them, so it only reads the ones already there.
    return getattr(rec, "_summary", None) is not None


def step_error(step) -> dict | None:
    if step.error is None:
        return None
    failed = next((t.index for t in step.tensors if t.error), None)
    return {"type": type(step.error).__name__, "message": str(step.error)[:MAX_ERROR_TEXT],
            "tensor": failed}


def nonfinite(step, deadline: float | None = None) -> dict:
    """``first_nonfinite`` (row index or None) and whether that is known (``nonfinite_checked``).

    Summaries already computed are read for free. Missing ones are computed only until
    ``deadline`` (``time.monotonic()``; None: never, as in pushes while capturing), a
    batch of ``NONFINITE_BATCH`` tensors at a time (``batch_summary``: ~10 us a tiny
    tensor, where one ``summarize`` costs ~70 us). Scanning stops at the first NaN/Inf,
    which is authoritative even if later summaries are unknown; otherwise an unknown
    summary (not computed, or a value freed before anything summarized it) leaves the
    step unchecked.
    """
    tensors = step.tensors
    for start in range(0, len(tensors), NONFINITE_BATCH):
        batch = tensors[start:start + NONFINITE_BATCH]
        if (deadline is not None and time.monotonic() < deadline
                and not all(map(_summary_known, batch))):
            summarize_many(batch)
        for t in batch:
            if not _summary_known(t) or not getattr(t.summary, "known", True):
                return {"first_nonfinite": None, "nonfinite_checked": False}
            if not t.summary.finite:
                return {"first_nonfinite": t.index, "nonfinite_checked": True}
    return {"first_nonfinite": None, "nonfinite_checked": True}


def compare_state(step) -> str:
    """(1.1) ``"done"``: the step was compared (the panel opens its eager | graph view);
    ``"available"``: its starting state is kept, so ``get_comparison`` can run it;
    ``"unavailable"``: its starting state was not kept (``keep_state=False``, or dropped
    by the memory budget)."""
    if getattr(step, "comparison", None) is not None:
        return "done"
    replay = getattr(step, "_replay", None)
    return "available" if replay is not None and replay.state is not None else "unavailable"


def compare_why(step) -> str | None:
    """(1.2) Why an ``"unavailable"`` step cannot be compared, in words; None otherwise."""
    if compare_state(step) != "unavailable":
        return None
    replay = getattr(step, "_replay", None)
    why = getattr(replay, "why_not", None) if replay is not None else None
    return (why or "the state before this step was not kept (capture(..., keep_state=False))"
            )[:MAX_ERROR_TEXT]


def comparable(step) -> dict:
    """The step digest's ``compare`` and ``compare_why`` (they change after recording)."""
    return {"compare": compare_state(step), "compare_why": compare_why(step)}


def step_digest(step, deadline: float | None = None) -> dict:
    """A step's counts; see :func:`nonfinite` for ``deadline``."""
    return {"index": step.index, "n_tensors": len(step.tensors),
            "n_named": sum(t.name is not None for t in step.tensors),
            "error": step_error(step), **nonfinite(step, deadline), **comparable(step)}


def recording_digest(recording, steps: list[dict]) -> dict:
    return {"id": recording.id, "label": recording.label, "finished": bool(recording.finished),
            "kept": bool(getattr(recording, "kept", False)), "steps": steps}


def status(recording, capturing: bool | None = None) -> dict:
    """The ``status`` push for ``recording`` (None: nothing captured yet)."""
    if recording is None:
        return {"type": "status", "capturing": False, "target": None, "recording_id": None,
                "steps_recorded": 0}
    if capturing is None:
        capturing = not recording.finished
    return {"type": "status", "capturing": capturing, "target": recording.label,
            "recording_id": recording.id, "steps_recorded": len(recording.steps)}


def recording_push(digest: dict) -> dict:
    return {"type": "recording", "recording": digest}


def state(request_id: str, status_msg: dict, digests: list[dict]) -> dict:
    return {"type": "state", "request_id": request_id, "status": status_msg,
            "recordings": digests}


def tensors(req: Request, total: int, rows: list[dict]) -> dict:
    return {"type": "tensors", "request_id": req.request_id, "recording_id": req.recording_id,
            "step": req.step, "offset": min(req.offset, total), "total": total, "rows": rows}


def tensors_columns(req: Request, total: int, columns: dict) -> dict:
    """(1.3) The ``tensors`` reply in columns (``columns.tensor_columns``; its buffers go
    with it)."""
    return {"type": "tensors", "request_id": req.request_id, "recording_id": req.recording_id,
            "step": req.step, "offset": min(req.offset, total), "total": total,
            "columns": columns}


def fetch_code(recording, position: int, rec, step, *, latest: bool) -> str:
    """The expression that gives ``rec``'s value in the kernel (the panel's insert action).

    By name when the name finds this very tensor (a loop body's name repeats per
    iteration, and ``step[name]`` returns the first), else by position.
    """
    base = "eager_lab.last" if latest else f"eager_lab.recordings[{recording.id}]"
    base += f".steps[{position}]"
    if rec.name is not None and next((t for t in step.tensors if t.name == rec.name), None) is rec:
        return f"{base}[{json.dumps(rec.name)}].value"
    return f"{base}.tensors[{rec.index}].value"


def compare_progress(recording, step) -> dict:
    """(1.4) Pushed at each stage of a comparison; ``stage`` null once it is done."""
    progress = step.compare_progress or {}
    return {"type": "compare_progress", "recording_id": recording.id, "step": step.index,
            "mode": progress.get("mode", "graph"), "stage": progress.get("stage"),
            "elapsed": float(progress.get("elapsed", 0.0))}


def tensor(req: Request, rec, code: str | None, fetch: str, layer: str | None = None) -> dict:
    """The ``tensor`` reply; (1.4) ``layer``: the Keras layer that made it, or None."""
    return {"type": "tensor", "request_id": req.request_id, "recording_id": req.recording_id,
            "step": req.step, "index": req.index, "row": row(rec), "stats": stats(rec.summary),
            "code": code, "fetch_code": fetch, "inputs": list(rec.inputs), "layer": layer}


def values(req: Request, page) -> dict:
    """The ``values`` reply for a :class:`buffers.ValuePage` (its bytes go in buffers[0])."""
    return {"type": "values", "request_id": req.request_id, "recording_id": req.recording_id,
            "step": req.step, "index": req.index, "prefix": list(req.prefix),
            "shape": list(page.shape), "dtype": page.dtype, "offset": page.offset,
            "count": page.count, "total": page.total, "source": req.source}


# -- 1.1: trends (eager vs graph: comparisons.py) ---------------------------------------
def trends(req: Request, recording) -> dict:
    """Per named tensor, its statistics over the recorded steps (sparklines)."""
    steps = [s.index for s in recording.steps]
    names = list(dict.fromkeys(t.name for step in recording.steps for t in step.tensors
                               if t.name is not None))
    page = names[req.offset:req.offset + req.limit]
    series = {name: {"step": trend["step"],
                     "mean": [_finite(v) for v in trend["mean"]],
                     "std": [_finite(v) for v in trend["std"]],
                     "max_abs": [_finite(v) for v in trend["max_abs"]],
                     "nan": trend["nan"], "inf": trend["inf"]}
              for name, trend in recording.trends(page).items()}
    return {"type": "trends", "request_id": req.request_id, "recording_id": req.recording_id,
            "steps": steps, "offset": min(req.offset, len(names)), "total": len(names),
            "series": series}
