"""The only module that touches private TensorFlow, Keras, IPython and ``comm`` APIs.

Longer than 500 lines because that is the rule: every private access, the probe that
checks it at import and the list below of why no public API does it, in one module.

No other module of eager_lab imports ``tensorflow.python``, ``keras.src`` or IPython's
internals, or reads an underscored attribute of their objects (``tests/test_compat.py``
walks the package to keep it so). Every private access, and why no public API does it:

TensorFlow
  * ``tensorflow.python.framework.op_callbacks``: ``add_op_callback``,
    ``remove_op_callback``; callbacks are called as ``invoke_op_callbacks`` calls them,
    ``(op_type, inputs, attrs, outputs, op_name=None, graph=None)``. The only hook that
    sees every eager op and every op created while a graph is traced (tfdbg2 and
    ``enable_check_numerics`` are built on it); nothing public exposes it.
  * ``tensorflow.python.eager.polymorphic_function.polymorphic_function.Function``: the
    class of ``tf.function`` objects, its ``_python_function`` (read, and swapped while a
    capture routes a tf.function's calls to the capturing thread) and ``_autograph``.
    The public ``python_function`` is read-only; the autograph flag is not exposed.
  * ``tensorflow.python.eager.backprop._gradient_function(op_name, attr_tuple,
    num_inputs, inputs, outputs, ...)``: the tape calls it per recorded op, eagerly and
    while tracing; its arguments, read from its frame, say which forward op a gradient op
    belongs to. No public API tells.
  * autograph's transpiler cache, ``tensorflow.python.autograph.impl.api._TRANSPILER.
    _cache._cache``, each converted function's ``source_map`` (kept by
    ``transpiler._PythonFnFactory``: ``origin_info.
    LineLocation(filename, lineno)`` -> ``OriginInfo(loc, function_name)``) and the
    ``__autograph_generated_file`` prefix of generated files: they map a line autograph
    generated back to the user's line. ``tf.autograph.to_code`` gives code, not the map.
  * ``FuncGraph.outer_graph`` and ``.name`` (``tensorflow.python.framework.func_graph``):
    the graph a cond branch or loop body is nested in. FuncGraph is only in
    ``tf.__internal__``.
  * TensorFlow's (and Keras') source layout: generated op wrappers live in
    ``tensorflow/python/ops/gen_*_ops.py`` (:data:`GEN_OPS_FILE`), and the frames of
    :data:`MODE_DEPENDENT_PATHS` exist in eager or graph mode only. Call sites are cut
    and filtered by file; no API describes which frames are mode-dependent.
  * tfdbg2's reader, ``tensorflow.python.debug.lib.debug_events_reader.DebugDataReader``
    (``update``, ``graph_execution_traces``, ``graph_execution_trace_to_tensor_value``,
    ``graph_by_id``; a trace's ``op_name``, ``output_slot``, ``op_type``, ``graph_id``; a
    graph's ``name``, ``outer_graph_id``, ``get_op_creation_digest(op).input_names``):
    reads back the graph run of ``compare()`` for steps with cond branches or loops. The
    writer is public (``tf.debugging.experimental.enable_dump_debug_info``), the reader
    is not (TensorBoard's Debugger V2 uses the same class).
  * A traced ``ConcreteFunction`` run with more outputs: ``atomic_function.
    from_func_graph`` makes a function of the same ``FuncGraph`` whose outputs are every
    tensor of the step, called with the flat inputs ``function_type.unpack_inputs(
    function_type_utils.canonicalize_function_inputs(...))`` and ``captured_inputs``.
    ``compare()`` reads the graph's tensors from the graph eager_lab already traced for
    names, in memory; ``tf.function`` returns only what the Python function returns.
    Falls back to tracing the step again under tfdbg2 (slower).
  * ``context.context()._optimizer_experimental_options`` (and the cached
    ``_thread_local_data.function_call_options``): put Grappler's options back exactly
    after ``compare()`` switched passes off one at a time; the public
    ``tf.config.optimizer.set_experimental_options`` can add keys, never remove them.
  * ``tensorflow.python.eager.execute.execute``: runs one op by type with a graph node's
    attributes on given inputs, eagerly (is a graph op's own computation the eager one?).
    ``tf.raw_ops`` needs per-op keyword names and infers the type attributes.
  * ``tensorflow.python.util._pywrap_util_port.IsMklEnabled``: whether oneDNN rewrites
    graphs in this build (named as a cause of eager/graph differences).
  * ``EagerTensor._numpy()``: a view of a tensor's buffer; the public ``numpy()`` copies
    (110 MiB per step of the reference conv net). Falls back to ``numpy()``.
  * ``EagerTensor._shape_tuple()``: an output's shape as ints, per recorded op (the public
    ``shape`` builds a TensorShape, ~25x slower). Falls back to ``shape``.
  * ``BaseResourceVariable._read_variable_op()``: reads a variable for the state saved
    before each step (the public ``numpy()``/``value()`` add Keras' conversion and an
    identity, 3-5x slower over MobileNetV2's 582 variables). Falls back to ``numpy()``.

Keras
  * ``Model._run_eagerly`` and ``Model._jit_compile``: set for a capture and restored
    exactly. The public ``jit_compile`` resolves ``"auto"`` when read (and keeps the
    result) and warns when set, so going through it would change the model.
  * ``keras.src.backend.common.global_state.get_global_attribute`` with
    ``keras.src.random.seed_generator.GLOBAL_SEED_GENERATOR``: Keras' global seed
    generator (dropout without a seed draws from it), whose state a replay must put back.
    Keras has no public accessor.
  * ``keras.Variable._value``: the tf.Variable behind a Keras variable (a step may use
    either; they share storage). The public ``value`` can be an autocast copy.
  * ``Layer._flatten_layers(include_self=False, recursive=False)``: a layer's direct
    sub-layers (the Keras layer that made a tensor, ``block_14_depthwise_BN
    (BatchNormalization)``). ``Model.layers`` is public but only for models; a custom
    layer's sub-layers have no public list. Without it only the model's own layers match.
  * The module names of Keras 2 classes (``tf_keras``, ``keras.engine``,
    ``tensorflow.python.keras``), to refuse its models with a clear message.

IPython and comm
  * ``IPython.core.compilerop.CachingCompiler._filename_map``: a cell's pseudo-file name
    -> its execution count (the ``cell N`` of a tensor's source). No public lookup.
  * ``CachingCompiler.cache(transformed_code, number, raw_code)``: wrapped while a
    ``%%eager_debug`` cell runs nested, so it keeps the outer cell's number (public name,
    but eager_lab depends on how ``run_cell`` calls it).
  * ``IPython.core.interactiveshell.InteractiveShell.run_code``'s code object: the frame
    that ``exec``\\ s each piece of a cell, where a cell's call stacks are cut.

Self-check
  Every access above is probed once, when this module is imported (:data:`PROBES`): the
  module imports, the attribute exists, the function takes the arguments eager_lab reads.
  A TensorFlow older than :data:`SUPPORTED_TF` is refused; a newer one is tried, with an
  :class:`UntestedTensorFlowWarning`. When a probe fails, importing raises
  :class:`UnsupportedTensorFlowError` naming what moved and the TensorFlow, Keras and
  IPython versions, instead of naming tensors wrongly or fewer of them without a word.
  Only the fallbacks that cost speed, never correctness (``_numpy``, ``_shape_tuple``,
  ``_read_variable_op``), warn instead.
"""
from __future__ import annotations

import contextlib
import glob
import inspect
import os
import re
import warnings
from typing import Callable, NamedTuple

import numpy as np
import tensorflow as tf

from .versions import (SUPPORTED_TF, UnsupportedTensorFlowError,  # noqa: F401 - re-exported
                       UntestedTensorFlowWarning, checked_range)

#: The arguments TensorFlow calls an op callback with.
OP_CALLBACK_ARGS = ("op_type", "inputs", "attrs", "outputs", "op_name", "graph")
#: The leading arguments of ``backprop._gradient_function`` read from its frame.
GRADIENT_FUNCTION_ARGS = ("op_name", "attr_tuple", "num_inputs", "inputs", "outputs")

#: A generated op wrapper's file (gen_math_ops.py, gen_stateless_random_ops_v2.py); it
#: must also lie under ``tensorflow/``.
GEN_OPS_FILE = re.compile(r"[\\/]gen_[a-z0-9_]+\.py$")

#: Frames that exist in one mode only, or whose line differs between modes, matched as
#: substrings of "/"-separated file names (prefixes of files or folders in the package).
MODE_DEPENDENT_PATHS = (
    "tensorflow/python/util/",            # dispatch, tf_decorator, traceback filtering
    "tensorflow/python/autograph/",       # converted_call and friends (graph only)
    "tensorflow/python/ops/cond.py",      # eager: calls the branch; graph: cond_v2
    "tensorflow/python/ops/cond_v2.py",
    "tensorflow/python/ops/control_flow_",
    "tensorflow/python/ops/while_loop.py",
    "tensorflow/python/ops/while_v2",
    "tensorflow/python/framework/func_graph.py",
    "tensorflow/python/framework/ops.py",
    "tensorflow/python/framework/op_def_library.py",
    "tensorflow/python/framework/op_callbacks.py",
    "tensorflow/python/framework/auto_control_deps",
    "tensorflow/python/eager/polymorphic_function/",
    "tensorflow/python/eager/execute.py",
    "tensorflow/python/eager/context.py",
    "tensorflow/python/distribute/",
    "keras/src/utils/traceback_utils.py",
)

#: Module prefixes of Keras 2 / tf_keras classes (refused by capture()).
KERAS2_MODULES = ("tf_keras", "keras.engine", "tensorflow.python.keras")

_AUTOGRAPH_FILE = "__autograph_generated_file"


def tf_version() -> tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+)", tf.__version__)
    if match is None:  # pragma: no cover - a TensorFlow without a version number
        return (0, 0)
    return int(match.group(1)), int(match.group(2))


def versions() -> str:
    """``"TensorFlow 2.21.0, Keras 3.15.1, IPython 9.18.1"``."""
    def version_of(name):
        try:
            return __import__(name).__version__
        except Exception:  # noqa: BLE001 - not installed, or no version
            return "not installed"
    return (f"TensorFlow {tf.__version__}, Keras {version_of('keras')}, "
            f"IPython {version_of('IPython')}")


# -- the self-check ----------------------------------------------------------------------

class Probe(NamedTuple):
    """One private API eager_lab relies on."""

    what: str                            # the private symbol, as a dotted path
    needed_for: str                      # what eager_lab does with it
    check: Callable[[], "str | None"]    # what changed, or None when it is as expected
    required: bool = True                # False: a fallback exists (slower), warn only


def _names_in(fn) -> tuple:
    """Attribute and global names a function's code uses."""
    fn = inspect.unwrap(getattr(fn, "fget", fn))
    return fn.__code__.co_names


def _args(fn) -> tuple:
    return tuple(inspect.signature(fn).parameters)


def _probe_op_callback_registry():
    from tensorflow.python.framework import op_callbacks
    gone = [n for n in ("add_op_callback", "remove_op_callback")
            if not callable(getattr(op_callbacks, n, None))]
    return f"{' and '.join(gone)} not found" if gone else None


def _probe_op_callback_args():
    from tensorflow.python.framework import op_callbacks
    args = _args(op_callbacks.invoke_op_callbacks)
    if args[:len(OP_CALLBACK_ARGS)] != OP_CALLBACK_ARGS:
        return (f"callbacks are called with ({', '.join(args)}), eager_lab's take "
                f"({', '.join(OP_CALLBACK_ARGS)})")
    return None


def _probe_tf_function_class():
    from tensorflow.python.eager.polymorphic_function import polymorphic_function
    if not isinstance(tf.function(_probe_step), polymorphic_function.Function):
        return "tf.function no longer makes instances of this class"
    return None


def _probe_python_function():
    fn = tf.function(_probe_step)
    if getattr(fn, "_python_function", None) is not _probe_step:
        return "a tf.function no longer keeps its Python function there"
    return None


def _probe_autograph_flag():
    if getattr(tf.function(_probe_step, autograph=False), "_autograph", None) is not False:
        return "a tf.function no longer keeps its autograph flag there"
    return None


def _probe_gradient_function():
    from tensorflow.python.eager import backprop
    fn = getattr(backprop, "_gradient_function", None)
    if fn is None:
        return "not found"
    args = fn.__code__.co_varnames[:len(GRADIENT_FUNCTION_ARGS)]
    if args != GRADIENT_FUNCTION_ARGS:
        return f"its arguments are ({', '.join(args)}), eager_lab reads " \
               f"({', '.join(GRADIENT_FUNCTION_ARGS)})"
    return None


def _probe_autograph_cache():
    from tensorflow.python.autograph.impl import api
    cache = api._TRANSPILER._cache._cache
    if not callable(getattr(cache, "values", None)):
        return f"the cache is a {type(cache).__name__}, not a mapping"
    return None


def _probe_autograph_source_map():
    from tensorflow.python.autograph.pyct import origin_info, transpiler
    problems = []
    if "source_map" not in _names_in(transpiler._PythonFnFactory.__init__):
        problems.append("_PythonFnFactory keeps no source_map")
    if not {"filename", "lineno"} <= set(origin_info.LineLocation._fields):
        problems.append(f"LineLocation has {origin_info.LineLocation._fields}")
    if not {"loc", "function_name"} <= set(origin_info.OriginInfo._fields):
        problems.append(f"OriginInfo has {origin_info.OriginInfo._fields}")
    return "; ".join(problems) or None


def _probe_autograph_file():
    from tensorflow.python.autograph.pyct import loader
    if _AUTOGRAPH_FILE not in loader.load_source.__code__.co_consts:
        return f"generated files are no longer named {_AUTOGRAPH_FILE}*"
    return None


def _probe_func_graph():
    from tensorflow.python.framework import func_graph
    graph = func_graph.FuncGraph("eager_lab_probe")
    missing = [a for a in ("outer_graph", "name") if not hasattr(graph, a)]
    if missing:
        return f"a FuncGraph has no {', '.join(missing)}"
    if graph.name != "eager_lab_probe":
        return "FuncGraph.name is not the name it was made with"
    return None


def _package_root(top: str) -> str:
    module = __import__(top)
    return os.path.dirname(os.path.dirname(os.path.abspath(module.__file__)))


def _probe_source_layout():
    missing = []
    for path in MODE_DEPENDENT_PATHS:
        root = _package_root(path.split("/")[0])
        if not glob.glob(os.path.join(root, *path.split("/")) + "*"):
            missing.append(path)
    if missing:
        return f"no {', '.join(missing)} (those frames would no longer be recognised)"
    return None


def _probe_gen_ops_file():
    from tensorflow.python.ops import gen_math_ops
    filename = gen_math_ops.add_v2.__code__.co_filename.replace("\\", "/")
    if not GEN_OPS_FILE.search(filename) or "tensorflow/" not in filename:
        return f"tf.raw_ops.AddV2's wrapper lives in {filename}, not a gen_*_ops.py"
    return None


def _probe_debug_reader():
    from tensorflow.python.debug.lib import debug_events_reader as r
    missing = [f"{cls.__name__}.{a}" for cls, attrs in (
        (r.DebugDataReader, ("update", "graph_execution_traces", "graph_by_id",
                             "graph_execution_trace_to_tensor_value", "__enter__")),
        (r.GraphExecutionTrace, ("op_name", "output_slot", "op_type", "graph_id")),
        (r.DebuggedGraph, ("name", "outer_graph_id")),
    ) for a in attrs if not hasattr(cls, a)]
    return f"no {', '.join(missing)}" if missing else None


def _probe_numpy_view():
    from tensorflow.python.framework import ops
    return None if hasattr(ops.EagerTensor, "_numpy") else "EagerTensor has no _numpy"


def _probe_read_variable_op():
    from tensorflow.python.ops import resource_variable_ops
    return (None if hasattr(resource_variable_ops.BaseResourceVariable, "_read_variable_op")
            else "BaseResourceVariable has no _read_variable_op")


def _probe_shape_tuple():
    from tensorflow.python.framework import ops
    if not hasattr(ops.EagerTensor, "_shape_tuple"):
        return "EagerTensor has no _shape_tuple"
    shape = tf.zeros((2, 3))._shape_tuple()
    return None if shape == (2, 3) else f"_shape_tuple() gave {shape!r} for shape (2, 3)"


def _probe_fetch_function():
    from tensorflow.python.eager.polymorphic_function import (atomic_function,
                                                               function_type_utils)
    missing = [name for module, name in (
        (atomic_function, "from_func_graph"),
        (function_type_utils, "canonicalize_function_inputs"))
        if not hasattr(module, name)]
    if missing:
        return "missing: " + ", ".join(missing)
    concrete = tf.function(lambda x: x * 2.0).get_concrete_function(tf.TensorSpec((), tf.float32))
    if not hasattr(concrete, "captured_inputs") or not hasattr(concrete.function_type,
                                                                  "unpack_inputs"):
        return "ConcreteFunction has no captured_inputs or function_type.unpack_inputs"
    return None


def _probe_optimizer_options():
    from tensorflow.python.eager import context
    ctx = context.context()
    if not isinstance(getattr(ctx, "_optimizer_experimental_options", None), dict):
        return "context has no _optimizer_experimental_options dict"
    if not hasattr(ctx._thread_local_data, "function_call_options"):
        return "context._thread_local_data has no function_call_options"
    return None


def _probe_execute():
    from tensorflow.python.eager import execute
    if "attrs" not in _args(execute.execute):
        return "execute.execute takes no attrs"
    from tensorflow.python.eager import context
    out = execute.execute("AddV2", 1, [tf.constant(1.0), tf.constant(2.0)], ("T", 1),
                          context.context())
    return None if float(out[0]) == 3.0 else f"AddV2(1, 2) gave {out!r}"


def _probe_keras_run_state():
    import keras
    problems = [f"Model.{public} no longer reads {private}"
                for public, private in (("run_eagerly", "_run_eagerly"),
                                        ("jit_compile", "_jit_compile"))
                if private not in _names_in(getattr(keras.Model, public))]
    return "; ".join(problems) or None


def _probe_keras_seed_generator():
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    if not callable(getattr(global_state, "get_global_attribute", None)):
        return "global_state.get_global_attribute not found"
    if not isinstance(getattr(seed_generator, "GLOBAL_SEED_GENERATOR", None), str):
        return "seed_generator.GLOBAL_SEED_GENERATOR not found"
    return None


def _probe_keras_variable_storage():
    import keras
    if "_value" not in _names_in(keras.Variable.value):
        return "keras.Variable.value no longer reads _value"
    return None


def _probe_ipython_filename_map():
    from IPython.core.compilerop import CachingCompiler
    if not isinstance(getattr(CachingCompiler(), "_filename_map", None), dict):
        return "CachingCompiler has no _filename_map dict"
    return None


def _probe_ipython_cache():
    from IPython.core.compilerop import CachingCompiler
    args = _args(CachingCompiler.cache)
    if args[:4] != ("self", "transformed_code", "number", "raw_code"):
        return f"it takes ({', '.join(args)}), not (self, transformed_code, number, raw_code)"
    return None


def _probe_ipython_run_code():
    from IPython.core.interactiveshell import InteractiveShell
    code = getattr(InteractiveShell.run_code, "__code__", None)
    if code is None or "exec" not in code.co_names:
        return "run_code no longer execs each piece of a cell itself"
    return None


def _probe_step():  # the function the tf.function probes wrap (never traced or called)
    return None


PROBES: tuple[Probe, ...] = (
    Probe("tensorflow.python.framework.op_callbacks.add_op_callback/remove_op_callback",
          "seeing every op of a step", _probe_op_callback_registry),
    Probe("tensorflow.python.framework.op_callbacks.invoke_op_callbacks",
          "seeing every op of a step: the arguments its callback gets",
          _probe_op_callback_args),
    Probe("tensorflow.python.eager.polymorphic_function.polymorphic_function.Function",
          "recognising a tf.function", _probe_tf_function_class),
    Probe("tensorflow.python.eager.polymorphic_function.polymorphic_function."
          "Function._python_function", "capturing a tf.function", _probe_python_function),
    Probe("tensorflow.python.eager.polymorphic_function.polymorphic_function."
          "Function._autograph", "naming a tf.function traced with autograph",
          _probe_autograph_flag),
    Probe("tensorflow.python.eager.backprop._gradient_function",
          "naming gradient ops by their forward op", _probe_gradient_function),
    Probe("tensorflow.python.autograph.impl.api._TRANSPILER._cache._cache",
          "naming ops of code autograph converted", _probe_autograph_cache),
    Probe("tensorflow.python.autograph.pyct.transpiler._PythonFnFactory.source_map",
          "naming ops of code autograph converted", _probe_autograph_source_map),
    Probe("tensorflow.python.autograph.pyct.loader.load_source",
          "naming ops of code autograph converted", _probe_autograph_file),
    Probe("tensorflow.python.framework.func_graph.FuncGraph.outer_graph/name",
          "naming ops inside tf.cond branches and loop bodies", _probe_func_graph),
    Probe("TensorFlow's source layout (compat.MODE_DEPENDENT_PATHS)",
          "call sites (naming)", _probe_source_layout),
    Probe("tensorflow/python/ops/gen_*_ops.py (compat.GEN_OPS_FILE)",
          "call sites (naming)", _probe_gen_ops_file),
    Probe("tensorflow.python.debug.lib.debug_events_reader.DebugDataReader",
          "Step.compare() (reading tfdbg2's dump)", _probe_debug_reader),
    Probe("tensorflow.python.framework.ops.EagerTensor._numpy",
          "reading values without copying them (falls back to numpy(): slower)",
          _probe_numpy_view, required=False),
    Probe("tensorflow.python.ops.resource_variable_ops.BaseResourceVariable._read_variable_op",
          "saving variables before each step fast (falls back to numpy(): 5x slower)",
          _probe_read_variable_op, required=False),
    Probe("tensorflow.python.framework.ops.EagerTensor._shape_tuple",
          "recording outputs' shapes fast (falls back to TensorShape: slower)",
          _probe_shape_tuple, required=False),
    Probe("tensorflow.python.eager.polymorphic_function.atomic_function.from_func_graph",
          "Step.compare() reading the traced graph in memory (falls back to tfdbg2: slower)",
          _probe_fetch_function, required=False),
    Probe("tensorflow.python.eager.context.context()._optimizer_experimental_options",
          "Step.compare() naming the Grappler pass behind a difference",
          _probe_optimizer_options, required=False),
    Probe("tensorflow.python.eager.execute.execute",
          "Step.compare() telling a graph op's own difference from its inputs'",
          _probe_execute, required=False),
    Probe("keras.Model._run_eagerly/_jit_compile",
          "capturing a Keras model (and restoring it exactly)", _probe_keras_run_state),
    Probe("keras.src.backend.common.global_state.get_global_attribute"
          "(keras.src.random.seed_generator.GLOBAL_SEED_GENERATOR)",
          "replaying a step with the same random draws", _probe_keras_seed_generator),
    Probe("keras.Variable._value",
          "knowing which variables a saved state holds", _probe_keras_variable_storage),
    Probe("IPython.core.compilerop.CachingCompiler._filename_map",
          "the cell number of a tensor's source", _probe_ipython_filename_map),
    Probe("IPython.core.compilerop.CachingCompiler.cache",
          "cell numbers of %%eager_debug cells", _probe_ipython_cache),
    Probe("IPython.core.interactiveshell.InteractiveShell.run_code",
          "naming the ops of a %%eager_debug cell", _probe_ipython_run_code),
)


def self_check(probes=None) -> list[tuple[Probe, str]]:
    """``(probe, what changed)`` for each probe that fails on this installation."""
    failed = []
    for probe in PROBES if probes is None else probes:
        try:
            problem = probe.check()
        except Exception as err:  # noqa: BLE001 - an import or attribute that moved
            problem = f"{type(err).__name__}: {err}"
        if problem:
            failed.append((probe, problem))
    return failed


#: What the optional probes found moved (their features fall back or switch off).
_MISSING: set = set()


def _available(what: str) -> bool:
    return not any(what in missing for missing in _MISSING)


def _check() -> None:
    """Refuse an older TensorFlow; try a newer one with a warning; probe every private API."""
    low, high = SUPPORTED_TF
    version = tf_version()
    checked = checked_range()
    if version < low:
        raise UnsupportedTensorFlowError(
            f"eager_lab supports TensorFlow {low[0]}.{low[1]} to {high[0]}.{high[1]}; this "
            f"is {versions()}, older than any it was checked on. Install a supported "
            "version (pip install 'tensorflow-cpu==2.21.0').")
    untested = version > high
    failed = self_check()
    _MISSING.update(p.what for p, _ in failed)
    required = [(p, why) for p, why in failed if p.required]
    if required:
        lines = "\n".join(f"  - {p.what}: {why}; needed for {p.needed_for}"
                          for p, why in required)
        where = (f"an untested TensorFlow (eager_lab was checked on {checked})" if untested
                 else f"TensorFlow {checked}, which eager_lab supports")
        raise UnsupportedTensorFlowError(
            f"eager_lab cannot run on {versions()}: private APIs it relies on have moved "
            f"or changed:\n{lines}\nThis is {where}. Install TensorFlow {checked} with a "
            "matching Keras and IPython (pip install 'tensorflow-cpu==2.21.0'), or an "
            "eager_lab that supports this one. Every private access is listed in "
            "eager_lab/compat.py.")
    for probe, why in failed:
        warnings.warn(f"eager_lab on {versions()}: {probe.what} has moved ({why}); "
                      f"{probe.needed_for}.", UntestedTensorFlowWarning, stacklevel=2)
    if untested:
        warnings.warn(f"untested TensorFlow {tf.__version__}; eager_lab was checked on "
                      f"{checked}. Its self-check found every private API it uses in place "
                      f"({versions()}); if names look wrong, report it with these versions.",
                      UntestedTensorFlowWarning, stacklevel=2)


_check()

# Imported only after the check said they are what eager_lab expects.
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402
from keras.src.backend.common import global_state as _keras_global_state  # noqa: E402
from keras.src.random import seed_generator as _keras_seed_generator  # noqa: E402
from tensorflow.python.debug.lib import debug_events_reader as _debug_events_reader  # noqa: E402
from tensorflow.python.eager import backprop as _backprop  # noqa: E402
from tensorflow.python.eager.polymorphic_function import polymorphic_function  # noqa: E402
from tensorflow.python.framework import op_callbacks  # noqa: E402


# -- op callbacks and tf.function ------------------------------------------------------

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


# -- graphs ----------------------------------------------------------------------------

def graph_name(graph) -> str | None:
    """Name of a FuncGraph (``cond_true_123``), or None for other graphs."""
    return getattr(graph, "name", None)


def outer_graph(graph):
    """The graph a FuncGraph (a cond branch, a loop body) is nested in; None at the top."""
    return getattr(graph, "outer_graph", None)


# -- gradients -------------------------------------------------------------------------

#: Code of TensorFlow's per-op gradient dispatcher, called by the tape in both modes. Its
#: ``op_name``, ``inputs`` and ``outputs`` arguments tell which forward op a gradient op
#: belongs to (probed above: the arguments are :data:`GRADIENT_FUNCTION_ARGS`).
GRADIENT_FUNCTION_CODE = _backprop._gradient_function.__code__


# -- autograph -------------------------------------------------------------------------

#: Entries kept by :func:`autograph_origin` before it starts afresh (a long-lived kernel
#: converts many functions; autograph's own cache forgets those that are gone).
MAX_AUTOGRAPH_LINES = 100_000
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
        if len(_origins) >= MAX_AUTOGRAPH_LINES:
            _origins.clear()
        from tensorflow.python.autograph.impl import api
        for per_fn in list(api._TRANSPILER._cache._cache.values()):
            for factory in list(per_fn.values()):
                source_map = getattr(factory, "source_map", None) or {}
                for loc, origin in source_map.items():
                    _origins[(loc.filename, loc.lineno)] = (
                        origin.loc.filename, origin.function_name, origin.loc.lineno)
        _origins.setdefault(key, None)
    return _origins[key]


# -- values ----------------------------------------------------------------------------

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


# -- tfdbg2 ----------------------------------------------------------------------------

def debug_data_reader(dump_dir: str):
    """tfdbg2's reader of a dump written by ``enable_dump_debug_info`` (a context manager)."""
    return _debug_events_reader.DebugDataReader(dump_dir)


# -- Keras -----------------------------------------------------------------------------

def is_keras2_class(cls) -> bool:
    """Whether ``cls`` (or a base) is a Keras 2 / tf_keras class."""
    return any(c.__module__.startswith(KERAS2_MODULES) for c in cls.__mro__)


def keras_run_state(model) -> tuple:
    """``(run_eagerly, jit_compile)`` as the model holds them (``jit_compile`` unresolved)."""
    return model._run_eagerly, model._jit_compile


def set_keras_run_state(model, run_eagerly, jit_compile) -> None:
    """Set what :func:`keras_run_state` reads, without Keras resolving or warning."""
    model._run_eagerly = run_eagerly
    model._jit_compile = jit_compile


def keras_global_seed_generator():
    """Keras' global SeedGenerator (unseeded dropout draws from it), or None before use."""
    return _keras_global_state.get_global_attribute(
        _keras_seed_generator.GLOBAL_SEED_GENERATOR)


def keras_variable_storage(variable):
    """The tf.Variable behind a Keras variable, or None for other variables."""
    return getattr(variable, "_value", None)


def keras_sublayers(layer) -> list:
    """A Keras layer's (or model's) direct sub-layers; [] for anything else."""
    flatten = getattr(layer, "_flatten_layers", None)
    if flatten is not None:
        try:
            return list(flatten(include_self=False, recursive=False))
        except TypeError:
            pass
    return list(getattr(layer, "layers", None) or [])


def eager_shape(tensor) -> tuple:
    """An eager tensor's shape as a tuple of ints, without building a TensorShape.

    ``tuple(tensor.shape)`` makes a TensorShape and a Dimension per axis (~8 µs); the
    private ``_shape_tuple()`` is what TensorShape is made from (~0.3 µs), once per
    recorded output.
    """
    get = getattr(tensor, "_shape_tuple", None)
    shape = get() if get is not None else None
    return shape if shape is not None else tuple(tensor.shape)


def variable_copy(variable):
    """A numpy copy of a (Keras or tf) variable's value now.

    ``numpy()`` goes through Keras' conversion and TensorFlow's read_value wrapper
    (~190 µs a variable); the resource read op alone is ~40 µs, which matters at every
    recorded step of a model with hundreds of variables (MobileNetV2: 582).
    """
    storage = keras_variable_storage(variable)
    tf_variable = storage if storage is not None else variable
    read = getattr(tf_variable, "_read_variable_op", None)
    if read is not None:
        return np.array(read(), copy=True)
    return np.array(variable.numpy(), copy=True)


def fetch_function(concrete, tensors):
    """``call(args, kwargs) -> [EagerTensor]``: run ``concrete``'s graph, return ``tensors``.

    ``tensors`` are symbolic tensors of ``concrete.graph`` (its top level). The new
    function is registered once, under its own name; the traced graph is left as it was.
    """
    from tensorflow.python.eager.polymorphic_function import (atomic_function,
                                                               function_type_utils)
    graph = concrete.graph
    outputs, structured, name = list(graph.outputs), graph.structured_outputs, graph.name
    graph.outputs = list(tensors)
    graph.structured_outputs = list(tensors)
    graph.name = f"{name}_eager_lab_fetch_{id(tensors)}"
    try:
        fetching = atomic_function.from_func_graph(graph.name, graph, {}, None)
    finally:
        graph.outputs, graph.structured_outputs, graph.name = outputs, structured, name
    function_type, captured = concrete.function_type, list(concrete.captured_inputs)

    def call(args, kwargs):
        bound = function_type_utils.canonicalize_function_inputs(args, kwargs, function_type)
        return fetching.call_flat(*function_type.unpack_inputs(bound), *captured)
    return call


def can_fetch() -> bool:
    return _available("atomic_function.from_func_graph")


def can_toggle_grappler() -> bool:
    return _available("_optimizer_experimental_options")


def can_execute() -> bool:
    return _available("eager.execute.execute")


@contextlib.contextmanager
def grappler_options(options: dict):
    """Grappler's options updated with ``options`` inside, exactly as before afterwards."""
    from tensorflow.python.eager import context
    ctx = context.context()
    saved = dict(ctx._optimizer_experimental_options)
    ctx.set_optimizer_experimental_options(options)
    try:
        yield
    finally:
        ctx._optimizer_experimental_options = saved
        ctx._thread_local_data.function_call_options = None


def execute_op(op_type: str, inputs: list, attrs: tuple, num_outputs: int) -> list:
    """Run one op eagerly with ``attrs`` (name, value, ...) as TFE_Py_Execute takes them."""
    from tensorflow.python.eager import context, execute
    tensors = [v if isinstance(v, tf.Tensor) else tf.constant(np.asarray(v)) for v in inputs]
    return execute.execute(op_type, num_outputs, tensors, attrs, context.context())


def onednn_enabled() -> bool:
    """Whether this TensorFlow rewrites graphs for oneDNN (and TF_ENABLE_ONEDNN_OPTS allows)."""
    try:
        from tensorflow.python.util import _pywrap_util_port
        built = bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        return False
    return built and os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1").lower() not in ("0", "false")


# -- IPython and comm ------------------------------------------------------------------

#: IPython's run_code execs each piece of a cell: the frame right above the cell's code.
#: The base class's: a shell subclass that overrides run_code still ends up calling it.
IPYTHON_RUN_CODE = InteractiveShell.run_code.__code__


def ipython_cell_numbers(shell) -> dict:
    """``{cell pseudo-file name: execution count}`` of an IPython shell ({} without one)."""
    return getattr(getattr(shell, "compile", None), "_filename_map", None) or {}
