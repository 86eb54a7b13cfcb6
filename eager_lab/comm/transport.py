"""The kernel side of the comm to the JupyterLab panel: handshake, requests, pushes.

``ensure_transport()`` starts it once per kernel (``%load_ext eager_lab``, or the first
capture in a kernel): it registers the comm target ``eager_lab`` and opens a comm with a
``hello``, so a panel that is already open notices. Requests are answered by a
``type -> handler`` table; every failure becomes an ``error`` reply, never an exception
in the kernel.

Threads: JupyterLab 4.6 sends comm messages on a kernel subshell, which ipykernel 7 runs
in its own thread, so requests are answered while cells run. Reads are safe then; running
a comparison is not (it would put old variables back under a training loop), so it waits
until no cell and no capture runs (:func:`_why_busy`). Pushes come from the thread that records the
steps, through ``events``; they are a few hundred bytes (counts, no tensor data), sent at
most every ``PUSH_INTERVAL`` seconds while capturing, and not built at all when no panel
has completed the handshake. A throttled push is sent by a timer thread when the interval
ends, so the panel never stays behind a burst of fast steps.

Comms: a frontend that goes away without closing its comm (a page reload) leaves it open
here, and each push is sent on every open comm. So at most ``MAX_COMMS`` are kept; a new
one closes the comm heard from least recently (one that never completed the handshake
first), with close data ``{"reason": "evicted"}`` so a panel that is still there can
open a new one. Closed comms are forgotten, whichever side closed them.
"""
from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
import weakref
from collections import OrderedDict

from . import buffers, protocol
from . import columns as _columns

from ..record import events
from .protocol import ProtocolError

PUSH_INTERVAL = 0.2   # seconds: at most 5 pushes per second while capturing
# Seconds spent computing missing summaries for `first_nonfinite`, newest steps first:
# when a recording ends (in the training thread, so kept short), and per `state` reply.
FINISH_CHECK_SECONDS = 0.25
STATE_CHECK_SECONDS = 1.0
# Open comms kept at once: one per frontend (a JupyterLab window or tab) on this kernel.
# Unbounded, 2,000 comms of reloaded pages made a 20-step capture take 33 s instead of 4 s
# (benchmarks/stale_comms.py): every push is one message per open comm.
MAX_COMMS = 8

_log = logging.getLogger("eager_lab")


class Transport:
    """Comms to frontends, the request handlers and the throttled pushes."""

    def __init__(self, manager):
        self._manager = manager
        self._lock = threading.RLock()
        # comm_id -> comm, every open comm of ours, least recently heard from first
        self._comms: OrderedDict = OrderedDict()
        self._live: dict = {}      # comm_id -> comm that completed the handshake
        self._mismatch: set = set()  # comm ids whose hello had another major version
        self._handlers: dict = {}
        # Step digests per recording and step position: a finished step does not change,
        # so a push costs the new steps only (a fit can record thousands).
        self._digests: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
        self._last_push = 0.0
        self._pending = None       # the recording whose push the throttle held back
        self._timer: threading.Timer | None = None
        for kind in protocol.REQUEST_TYPES:   # _on_request_state, _on_get_tensors, ...
            self.register_handler(kind, getattr(self, f"_on_{kind}"))

    def register_handler(self, kind: str, handler) -> None:
        """``handler(request) -> reply`` or ``(reply, buffers)``; one per type."""
        if kind in self._handlers:
            raise ValueError(f"a handler for {kind!r} is already registered")
        self._handlers[kind] = handler

    # -- comms ---------------------------------------------------------------------------
    def start(self) -> None:
        self._manager.register_target(protocol.TARGET, self._on_open)
        events.add_listener(self._on_event)
        import comm
        # A panel that is already open has registered the target: it answers `welcome`.
        # Without one, JupyterLab closes the comm and it is forgotten.
        self._track(comm.create_comm(target_name=protocol.TARGET, data=protocol.hello(),
                                     metadata={"protocol_version": protocol.PROTOCOL_VERSION}))

    def close(self) -> None:
        """Unregister the target, stop listening and close every comm (tests, unload)."""
        events.remove_listener(self._on_event)
        with contextlib.suppress(KeyError):
            self._manager.unregister_target(protocol.TARGET, self._on_open)
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            comms = list(self._comms.values())
        for c in comms:
            with contextlib.suppress(Exception):   # the kernel may be shutting down
                c.close()
            self._forget(c)

    def _track(self, c) -> None:
        """Keep ``c`` (heard from just now), closing the comm beyond MAX_COMMS."""
        with self._lock:
            self._comms[c.comm_id] = c
            self._comms.move_to_end(c.comm_id)
            evicted = []
            while len(self._comms) > MAX_COMMS:
                evicted.append(self._evictee(c))
                self._forget(evicted[-1])
        c.on_msg(lambda msg, c=c: self._on_msg(c, msg))
        c.on_close(lambda msg, c=c: self._forget(c))
        for old in evicted:   # the close data tells a panel still there to open a new comm
            with contextlib.suppress(Exception):   # already gone: nothing to tell
                old.close(data={"reason": "evicted", "message": (
                    f"eager_lab: more than {MAX_COMMS} comms were open on this kernel; this "
                    "one was heard from least recently (open a new one to go on)")})

    def _evictee(self, newest):
        """The comm to close: the least recently heard one that is not past the handshake
        (a version_mismatch, the kernel's hello nobody answered), else the least recently
        heard; never ``newest``. Called with the lock held."""
        others = [c for c in self._comms.values() if c is not newest]
        return next((c for c in others if c.comm_id not in self._live), others[0])

    def _heard(self, c) -> None:
        with self._lock:
            if c.comm_id in self._comms:
                self._comms.move_to_end(c.comm_id)

    def _forget(self, c) -> None:
        with self._lock:
            self._comms.pop(c.comm_id, None)
            self._live.pop(c.comm_id, None)
            self._mismatch.discard(c.comm_id)

    def _on_open(self, c, msg) -> None:
        """The frontend opened a comm; its open data is a ``hello``.

        A comm opened with anything else (or a hello without a valid version) can never
        complete its handshake: it is answered ``bad_request`` and closed, never tracked,
        so it does not push a live comm out. A ``version_mismatch`` one stays, inert.
        """
        data = (msg.get("content") or {}).get("data")
        try:
            if not isinstance(data, dict) or data.get("type") != "hello":
                raise ProtocolError("bad_request", "the comm-open data must be a hello, got "
                                    f"{protocol.preview(data)}")
            protocol.check_peer(data)
        except ProtocolError as err:
            if err.code != "version_mismatch":
                self._send(c, err.to_json())
                with contextlib.suppress(Exception):
                    c.close()
                return
        self._track(c)
        self._on_msg(c, msg)

    def _send(self, c, data, buffers=None) -> None:
        # A closed comm is no longer in its manager's `comms` (whichever side closed it):
        # forgotten instead of sent to. (Public, and no TensorFlow: the handshake must not
        # wait for `import tensorflow`.)
        if self._manager.comms.get(c.comm_id) is not c:
            self._forget(c)
            return
        try:
            c.send(data, buffers=buffers)
        except Exception:  # noqa: BLE001 - a dead comm must not break the caller
            _log.debug("eager_lab: could not send on comm %s", c.comm_id, exc_info=True)
            self._forget(c)

    def _on_msg(self, c, msg) -> None:
        """Every message from a frontend; never raises."""
        try:
            self._heard(c)
            data = (msg.get("content") or {}).get("data")
            kind = data.get("type") if isinstance(data, dict) else None
            if kind in ("hello", "welcome"):
                self._handshake(c, data, reply=kind == "hello")
            elif kind == "error":   # the frontend refused our hello: nothing more to say
                _log.info("eager_lab: the frontend refused the comm: %s", data.get("message"))
                c.close()
                self._forget(c)
            else:
                self._send(c, *self.answer(data, c.comm_id))
        except Exception:  # noqa: BLE001
            _log.exception("eager_lab: could not handle a comm message")

    def _handshake(self, c, data, *, reply: bool) -> None:
        try:
            protocol.check_peer(data)
        except ProtocolError as err:
            if err.code == "version_mismatch":
                with self._lock:
                    self._mismatch.add(c.comm_id)
                    self._live.pop(c.comm_id, None)
            self._send(c, err.to_json())
            return
        with self._lock:
            self._mismatch.discard(c.comm_id)
            self._live[c.comm_id] = c
        if reply:
            self._send(c, protocol.welcome())

    def answer(self, data, comm_id: str | None = None) -> tuple[dict, list | None]:
        """The reply (and its buffers) to one request; an ``error`` reply for any failure."""
        rid = protocol.request_id(data)   # None when it cannot be echoed
        try:
            if comm_id in self._mismatch:
                raise ProtocolError("version_mismatch", "this comm's hello had an incompatible "
                                    "protocol version; no requests are answered on it",
                                    protocol_version=protocol.PROTOCOL_VERSION)
            request = protocol.parse_request(data)
            result = self._handlers[request.type](request)
        except ProtocolError as err:
            err.request_id = err.request_id or rid
            return err.to_json(), None
        except Exception as err:  # noqa: BLE001 - a bug here must not reach the kernel
            _log.exception("eager_lab: request failed")
            kind = data.get("type") if isinstance(data, dict) else None
            kind = kind if kind in protocol.REQUEST_TYPES else protocol.preview(kind)
            return protocol.error("internal", f"{kind} failed: {type(err).__name__}: {err}",
                                  rid), None
        return result if isinstance(result, tuple) else (result, None)

    # -- pushes --------------------------------------------------------------------------
    def _on_event(self, event: str, recording, step) -> None:
        if not self._live:   # nobody listening: no work in the training loop at all
            return
        if event == "compare_progress":
            message = protocol.compare_progress(recording, step)
            with self._lock:
                for c in list(self._live.values()):
                    self._send(c, message)
            return
        with self._lock:
            now = time.monotonic()
            wait = self._last_push + PUSH_INTERVAL - now
            if event == "step" and wait > 0:
                self._pending = recording
                if self._timer is None:
                    self._timer = threading.Timer(wait, self._flush)
                    self._timer.daemon = True
                    self._timer.start()
                return
            self._push(recording, final=event == "finished")

    def _flush(self) -> None:
        try:
            with self._lock:
                self._timer = None
                if self._pending is not None:
                    self._push(self._pending, final=False)
        except Exception:  # noqa: BLE001
            _log.exception("eager_lab: delayed push failed")

    def _push(self, recording, *, final: bool) -> None:
        """status + recording to every live comm; called with the lock held."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending = None
        self._last_push = time.monotonic()
        deadline = time.monotonic() + FINISH_CHECK_SECONDS if final else None
        messages = [protocol.status(recording),
                    protocol.recording_push(self._recording_digest(recording, deadline))]
        for c in list(self._live.values()):
            for message in messages:
                self._send(c, message)

    def _recording_digest(self, recording, deadline: float | None = None) -> dict:
        """The recording's digest; unchecked steps are checked newest first until deadline."""
        cache = self._digests.setdefault(recording, {})
        steps = list(recording.steps)
        digests: list = [None] * len(steps)
        for position in reversed(range(len(steps))):
            step = steps[position]
            cached = cache.get(position)
            if cached is None or cached[0] is not step:
                cached = cache[position] = (step, protocol.step_digest(step, deadline))
            elif not cached[1]["nonfinite_checked"]:
                cached[1].update(protocol.nonfinite(step, deadline))
            # Not cached: a step becomes "done" when compared after it was recorded.
            digests[position] = {**cached[1], **protocol.comparable(step)}
        return protocol.recording_digest(recording, digests)

    # -- requests ------------------------------------------------------------------------
    @staticmethod
    def _find(request):
        """(recording, step position, step) of a request, or ProtocolError not_found."""
        recording = events.recordings.get(request.recording_id)
        if recording is None:
            kept = ", ".join(str(k) for k in events.recordings) or "none"
            raise ProtocolError("not_found", f"recording {request.recording_id} is not kept "
                                f"(kept: {kept})")
        for position, step in enumerate(recording.steps):
            if step.index == request.step:
                return recording, position, step
        raise ProtocolError("not_found", f"step {request.step} is not in recording "
                            f"{recording.id} ({len(recording.steps)} steps recorded)")

    @staticmethod
    def _tensor(step, request):
        if not 0 <= request.index < len(step.tensors):
            raise ProtocolError("not_found", f"tensor {request.index} is not in step "
                                f"{step.index} ({len(step.tensors)} tensors)")
        return step.tensors[request.index]

    def _on_request_state(self, request) -> dict:
        kept = list(events.recordings.values())
        current = next((r for r in reversed(kept) if not r.finished), kept[-1] if kept else None)
        deadline = time.monotonic() + STATE_CHECK_SECONDS
        digests = [self._recording_digest(r, deadline) for r in reversed(kept)][::-1]
        return protocol.state(request.request_id, protocol.status(current), digests)

    def _on_get_tensors(self, request):
        _, _, step = self._find(request)
        chunk = step.tensors[request.offset:request.offset + request.limit]
        if request.columns:
            columns, bufs = _columns.tensor_columns(chunk[:_columns.affordable(chunk)])
            return protocol.tensors_columns(request, len(step.tensors), columns), bufs
        return protocol.tensors(request, len(step.tensors), [protocol.row(t) for t in chunk])

    def _on_get_tensor(self, request) -> dict:
        recording, position, step = self._find(request)
        rec = self._tensor(step, request)
        code = rec.source.code if rec.source is not None else None
        fetch = protocol.fetch_code(recording, position, rec, step,
                                    latest=events.last is recording)
        return protocol.tensor(request, rec, code, fetch, step.layer_of(rec))

    def _on_get_values(self, request):
        _, _, step = self._find(request)
        if request.source != "eager":
            jit = request.source.startswith("xla")
            rows = self._comparison(step, request, jit_compile=jit).rows
            # parse_request refuses negative indices; checked again here because
            # rows[-1] would be another row's value, sent without a word.
            if not 0 <= request.index < len(rows):
                raise ProtocolError("not_found", f"comparison row {request.index} is not in "
                                    f"step {step.index}'s comparison ({len(rows)} rows)",
                                    request.request_id)
            row = rows[request.index]
            # "xla_eager": the eager side of an XLA row, a value of the eager replay.
            side = "eager" if request.source == "xla_eager" else ("XLA" if jit else "graph")
            value = row.eager_value if side == "eager" else row.graph_value
            if value is None:
                raise ProtocolError("not_found", f"comparison row {request.index} has no "
                                    f"{side} value", request.request_id)
            rec = buffers.Held(value, request.index)
        else:
            rec = self._tensor(step, request)
        page = buffers.page(rec, request.prefix, request.offset, request.count)
        return protocol.values(request, page), [page.buffer]

    def _comparison(self, step, request, *, jit_compile: bool = False):
        """The step's comparison with the graph (or, ``jit_compile``, with XLA), run on
        first request (seconds: a trace and a graph run, or an XLA compile)."""
        attr = "xla_comparison" if jit_compile else "comparison"
        cmp = getattr(step, attr, None)
        if cmp is None:
            busy = _why_busy()
            if busy is not None:
                raise ProtocolError("no_value", f"cannot compare step {step.index} now: {busy}",
                                    request.request_id)
            try:
                cmp = step.compare(jit_compile=True) if jit_compile else step.compare()
            except RuntimeError as err:  # no saved state, not runnable as a graph: say why
                raise ProtocolError("no_value", str(err), request.request_id) from None
            except Exception as err:  # noqa: BLE001
                if not jit_compile or not _is_tf_error(err):
                    raise
                # XLA refusing the step (an op it cannot compile) is an answer, not a bug.
                raise ProtocolError("no_value", f"cannot compare step {step.index} with XLA: "
                                    f"{type(err).__name__}: {err}",
                                    request.request_id) from None
        return cmp

    def _on_get_comparison(self, request) -> dict:
        _, _, step = self._find(request)
        return protocol.comparison(request, self._comparison(step, request,
                                                             jit_compile=request.jit_compile))

    def _on_get_trends(self, request) -> dict:
        recording = events.recordings.get(request.recording_id)
        if recording is None:
            raise ProtocolError("not_found", f"recording {request.recording_id} is not kept "
                                f"(kept: {', '.join(map(str, events.recordings)) or 'none'})",
                                request.request_id)
        return protocol.trends(request, recording)


def _is_tf_error(err: Exception) -> bool:
    """A TensorFlow runtime error (``tf.errors.OpError``), e.g. XLA's "unsupported op"."""
    tf = sys.modules.get("tensorflow")   # imported by then: the comparison ran it
    return tf is not None and isinstance(err, tf.errors.OpError)


def _why_busy() -> str | None:
    """Why running a comparison now could change training, or None when it cannot.

    A comparison puts a step's saved variables back, runs it as a graph, then restores the
    current ones. Requests arrive on a kernel subshell while cells run (JupyterLab 4.6,
    ipykernel 7): doing that under a running training loop would change its variables.
    """
    from ..capturing.cell_ids import cell_running
    if any(not r.finished for r in list(events.recordings.values())):
        return "a capture is running (comparing would change the variables it trains)"
    if cell_running():
        return ("the kernel is running a cell, which may be training this model; compare "
                "once it is done (or run step.compare() in a cell)")
    return None


_transport: Transport | None = None
_failed = False
_start_lock = threading.Lock()


def ensure_transport() -> Transport | None:
    """Start the transport once, inside an ipykernel; None elsewhere. Never raises."""
    global _transport, _failed
    if _transport is not None or _failed or "ipykernel" not in sys.modules:
        return _transport
    try:
        from IPython import get_ipython
        if getattr(get_ipython(), "kernel", None) is None:   # a terminal IPython, a script
            return None
        import comm
        with _start_lock:
            if _transport is None:
                transport = Transport(comm.get_comm_manager())
                transport.start()
                _transport = transport
    except Exception:  # noqa: BLE001 - the panel is optional; training is not
        _failed = True
        _log.exception("eager_lab: could not start the comm to the JupyterLab panel")
    return _transport


def close_transport() -> None:
    """Stop the transport (a later ``ensure_transport()`` starts a new one)."""
    global _transport
    with _start_lock:
        transport, _transport = _transport, None
    if transport is not None:
        transport.close()
