"""The only module that touches private TensorFlow APIs.

eager_lab needs two things TensorFlow does not export publicly:

* op callbacks (``tensorflow.python.framework.op_callbacks``): the hook tfdbg2 and
  ``enable_check_numerics`` are built on; called for every eager op and every op
  created while a graph is built;
* the Python function behind a ``tf.function`` object, to run it eagerly while capturing.

Both are checked once against the TensorFlow version; a mismatch raises
:class:`UnsupportedTensorFlowError` with a message that says what is supported.
"""
from __future__ import annotations

import inspect

import tensorflow as tf

#: TensorFlow versions whose private APIs eager_lab was checked against (major, minor).
SUPPORTED_TF = ((2, 16), (2, 21))


class UnsupportedTensorFlowError(RuntimeError):
    """TensorFlow's private op-callback API is not what eager_lab was written for."""


def tf_version() -> tuple[int, int]:
    major, minor = tf.__version__.split(".")[:2]
    return int(major), int(minor)


def _check() -> None:
    low, high = SUPPORTED_TF
    version = tf_version()
    supported = f"TensorFlow {low[0]}.{low[1]} to {high[0]}.{high[1]}"
    if not low <= version <= high:
        raise UnsupportedTensorFlowError(
            f"eager_lab supports {supported}; this is TensorFlow {tf.__version__}. "
            "Its private op-callback API may have changed: install a supported "
            "version (pip install 'tensorflow-cpu==2.21.0')."
        )
    try:
        from tensorflow.python.framework import op_callbacks  # noqa: F401
    except ImportError as err:  # pragma: no cover - only on an unsupported TF
        raise UnsupportedTensorFlowError(
            f"TensorFlow {tf.__version__} has no op_callbacks module; eager_lab "
            f"supports {supported}."
        ) from err
    params = list(inspect.signature(op_callbacks.invoke_op_callbacks).parameters)
    if params[:4] != ["op_type", "inputs", "attrs", "outputs"]:
        raise UnsupportedTensorFlowError(
            f"TensorFlow {tf.__version__} changed the op-callback signature "
            f"({params}); eager_lab supports {supported}."
        )


_check()

from tensorflow.python.eager.polymorphic_function import polymorphic_function  # noqa: E402
from tensorflow.python.framework import op_callbacks  # noqa: E402


def add_op_callback(callback) -> None:
    """Register ``callback(op_type, inputs, attrs, outputs, op_name=None, graph=None)``."""
    op_callbacks.add_op_callback(callback)


def remove_op_callback(callback) -> None:
    op_callbacks.remove_op_callback(callback)


def is_tf_function(obj) -> bool:
    """True for objects made by ``tf.function`` (a polymorphic function)."""
    return isinstance(obj, polymorphic_function.Function)


def get_python_function(fn):
    """The Python function a ``tf.function`` object calls when run eagerly."""
    return fn._python_function


def set_python_function(fn, python_function) -> None:
    """Swap the function ``fn`` calls when functions run eagerly (restored by the caller)."""
    fn._python_function = python_function


def tf_function_autograph(fn) -> bool:
    return bool(getattr(fn, "_autograph", True))


def graph_name(graph) -> str | None:
    """Name of a FuncGraph (``cond_true_123``), or None for other graphs."""
    return getattr(graph, "name", None)


def outer_graph(graph):
    return getattr(graph, "outer_graph", None)


def _gradient_function_code():
    """Code of TensorFlow's per-op gradient dispatcher, called by the tape in both modes.

    Its ``op_name``, ``inputs`` and ``outputs`` arguments tell which forward op a
    gradient op belongs to.
    """
    from tensorflow.python.eager import backprop
    fn = getattr(backprop, "_gradient_function", None)
    code = getattr(fn, "__code__", None)
    if code is None or code.co_varnames[:5] != ("op_name", "attr_tuple", "num_inputs",
                                                "inputs", "outputs"):
        return None  # naming of gradients falls back to call sites alone
    return code


GRADIENT_FUNCTION_CODE = _gradient_function_code()


_AUTOGRAPH_FILE = "__autograph_generated_file"
_origins: dict = {}


def is_autograph_file(filename: str) -> bool:
    return _AUTOGRAPH_FILE in filename


def autograph_origin(filename: str, line: int):
    """(file, function, line) of user code that autograph converted into ``filename:line``.

    Autograph keeps a source map per converted function; they are read from its cache the
    first time a generated file is seen. Returns None when no map knows the line.
    """
    key = (filename, line)
    if key not in _origins:
        try:
            from tensorflow.python.autograph.impl import api
            for per_fn in list(api._TRANSPILER._cache._cache.values()):
                for factory in list(per_fn.values()):
                    source_map = getattr(factory, "source_map", None) or {}
                    for loc, origin in source_map.items():
                        _origins[(loc.filename, loc.lineno)] = (
                            origin.loc.filename, origin.function_name, origin.loc.lineno)
        except (ImportError, AttributeError):  # a TF without this cache: frames stay as-is
            pass
        _origins.setdefault(key, None)
    return _origins[key]


def host_view(tensor):
    """A read-only numpy view of an eager CPU tensor's buffer, without copying.

    ``EagerTensor.numpy()`` copies (110 MiB per step of the reference conv net); the
    private ``_numpy()`` shares memory. eager_lab holds the tensor, so the buffer stays
    valid and unchanged; the view is made read-only so nobody writes into it.
    """
    get = getattr(tensor, "_numpy", None)
    array = get() if get is not None else tensor.numpy()
    if getattr(array, "flags", None) is not None and array.flags.writeable:
        array = array.view()
        array.flags.writeable = False
    return array
