"""Trust across TensorFlow versions (issue 9).

* Every private TensorFlow, Keras, IPython and comm access lives in ``eager_lab/compat.py``
  (read from the sources: imports and underscored attributes).
* compat checks itself at import: an older TensorFlow is refused, a newer one is tried with
  a warning and refused only when a private API moved, naming it and the versions.
* The call-site caches stay bounded however many code objects a kernel makes.
"""
from __future__ import annotations

import ast
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest
import tensorflow as tf

from eager_lab import compat
from eager_lab.capturing import callsite

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "eager_lab"
COMPAT = PACKAGE / "compat.py"

# Imports that reach into a library's internals. IPython documents these three for
# writing magics; comm's top-level module (create_comm, get_comm_manager) is public.
PRIVATE_MODULES = ("tensorflow.python", "keras.src", "IPython.core", "IPython.terminal",
                   "IPython.kernel", "ipykernel", "comm.", "tf_keras.src")
PUBLIC_IPYTHON = ("IPython.core.magic", "IPython.core.magic_arguments", "IPython.core.error")
# Private attributes of TensorFlow, Keras, IPython and comm objects eager_lab used (or may
# be tempted to): flagged on any object but self/cls, even where eager_lab has a field of
# the same name (``_value``).
KNOWN_PRIVATE = {
    "_run_eagerly", "_jit_compile", "_python_function", "_autograph", "_numpy", "_value",
    "_gradient_function", "_TRANSPILER", "_cache", "_filename_map", "_closed",
    "_keras_history", "_inbound_nodes", "_layers", "_trackable_children", "_variables",
    "_captured_inputs", "_function_captures", "_variable_creator_stack", "_outer_graph",
    "_functions", "_nodes_by_name", "_name_stack", "_names_in_use", "_context",
    "_thread_local_data", "_handle_data", "_graph_key", "_parent", "_kernel", "_session",
}
# Underscored names of the standard library eager_lab may use.
STDLIB_PRIVATE = {"_getframe"}
# Library files whose layout is private: named in compat only.
PRIVATE_PATHS = ("tensorflow/python", "keras/src")


def _sources() -> list[pathlib.Path]:
    return sorted(p for p in PACKAGE.rglob("*.py")
                  if "labextension" not in p.parts and p != COMPAT)


def _trees():
    return [(path, ast.parse(path.read_text(), str(path))) for path in _sources()]


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _own_names(trees) -> set[str]:
    """Underscored names eager_lab defines itself (its own private attributes)."""
    own = set()
    for _, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                own.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                own.add(node.attr)
            elif isinstance(node, ast.alias):
                own.add(node.asname or node.name.split(".")[0])
            elif isinstance(node, ast.arg):
                own.add(node.arg)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and node.value.isidentifier():
                own.add(node.value)   # __slots__, dataclass field names, dict keys
    return {n for n in own if _is_private(n)} - KNOWN_PRIVATE


def _docstrings(tree) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _violations() -> list[str]:
    trees = _trees()
    own = _own_names(trees)
    found = []
    for path, tree in trees:
        where = path.relative_to(ROOT)
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            line = getattr(node, "lineno", "?")
            modules = []
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for module in modules[:1] if isinstance(node, ast.ImportFrom) else modules:
                if module.startswith(PRIVATE_MODULES) and module not in PUBLIC_IPYTHON:
                    found.append(f"{where}:{line} imports {module}")
            if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found += [f"{where}:{line} imports {node.module}.{a.name}"
                          for a in node.names if _is_private(a.name)]
            attr = receiver = None
            if isinstance(node, ast.Attribute):
                attr, receiver = node.attr, node.value
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id in ("getattr", "hasattr", "setattr", "delattr")
                  and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                  and isinstance(node.args[1].value, str)):
                attr, receiver = node.args[1].value, node.args[0]
            if attr is not None and _is_private(attr):
                if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
                    continue
                if attr in STDLIB_PRIVATE or (attr in own and attr not in KNOWN_PRIVATE):
                    continue
                found.append(f"{where}:{line} reads .{attr} of a library object")
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docstrings
                    and any(p in node.value.replace("\\", "/") for p in PRIVATE_PATHS)):
                found.append(f"{where}:{line} names a private path: {node.value!r}")
    return found


def test_private_access_lives_in_compat_only():
    assert _violations() == []


def test_the_source_check_finds_private_access(tmp_path, monkeypatch):
    """The check above is not vacuous: each kind of private access is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text(textwrap.dedent('''
        from tensorflow.python.framework import op_callbacks
        import keras.src.backend
        from IPython.core.interactiveshell import InteractiveShell
        from IPython.core.magic import Magics
        def f(model, shell, variable, c):
            model._run_eagerly = True
            shell.compile._filename_map.get("x")
            getattr(variable, "_value", None)
            c._something_new
            PATHS = ("tensorflow/python/ops/cond.py",)
    '''))
    monkeypatch.setattr(sys.modules[__name__], "_sources", lambda: [bad])
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = "\n".join(_violations())
    for expected in ("imports tensorflow.python.framework", "imports keras.src.backend",
                     "imports IPython.core.interactiveshell", "._run_eagerly",
                     "._filename_map", "._value", "._something_new", "private path"):
        assert expected in found
    assert "IPython.core.magic" not in found


def test_the_self_check_passes_here():
    assert compat.self_check() == []


def test_the_docstring_lists_every_probed_access():
    doc = compat.__doc__
    for probe in compat.PROBES:
        for part in probe.what.replace("/", ".").replace("(", ".").replace(")", "").split("."):
            if part.startswith("_") and not part.startswith("__"):
                assert part in doc, f"{part} ({probe.what}) is not in compat's docstring"


def test_an_older_tensorflow_is_refused(monkeypatch):
    monkeypatch.setattr(tf, "__version__", "2.15.1")
    with pytest.raises(compat.UnsupportedTensorFlowError,
                       match=r"supports TensorFlow 2.16 to 2.21; this is TensorFlow 2.15.1, "
                             r"Keras \S+, IPython \S+"):
        compat._check()


def test_a_newer_tensorflow_is_tried_with_a_warning(monkeypatch):
    monkeypatch.setattr(tf, "__version__", "2.99.0")
    with pytest.warns(compat.UntestedTensorFlowWarning,
                      match="untested TensorFlow 2.99.0; eager_lab was checked on 2.16–2.21"):
        compat._check()


def _fails_naming(monkeypatch, what):
    with pytest.raises(compat.UnsupportedTensorFlowError) as err:
        compat._check()
    message = str(err.value)
    assert what in message
    assert f"TensorFlow {tf.__version__}, Keras " in message and "IPython " in message
    return message


def test_moved_gradient_arguments_are_refused_not_ignored(monkeypatch):
    from tensorflow.python.eager import backprop

    def _gradient_function(name, attr_tuple, num_inputs, inputs, outputs, out_grads):
        return None

    monkeypatch.setattr(backprop, "_gradient_function", _gradient_function)
    message = _fails_naming(monkeypatch, "tensorflow.python.eager.backprop._gradient_function")
    assert "(name, attr_tuple" in message and "naming gradient ops" in message


def test_a_moved_autograph_cache_is_refused_not_ignored(monkeypatch):
    from tensorflow.python.autograph.impl import api
    monkeypatch.setattr(api, "_TRANSPILER", object())
    _fails_naming(monkeypatch, "tensorflow.python.autograph.impl.api._TRANSPILER._cache._cache")


def test_keras_private_run_state_is_probed_on_the_model_class(monkeypatch):
    import keras
    from keras.src.trainers.trainer import Trainer
    assert "run_eagerly" not in vars(keras.Model)   # the probe reads the inherited property
    monkeypatch.setattr(Trainer, "run_eagerly", property(lambda self: self._eager_mode))
    message = _fails_naming(monkeypatch, "keras.Model._run_eagerly/_jit_compile")
    assert "Model.run_eagerly no longer reads _run_eagerly" in message


def test_a_moved_speed_only_access_warns(monkeypatch):
    from tensorflow.python.framework import ops
    monkeypatch.delattr(ops._EagerTensorBase, "_numpy")   # EagerTensor inherits it
    with pytest.warns(compat.UntestedTensorFlowWarning, match=r"EagerTensor\._numpy"):
        compat._check()


def _run(script: str, tmp_path) -> subprocess.CompletedProcess:
    """Run ``script`` in a fresh Python (a file: autograph reads the step's source)."""
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(script))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow",
               PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, str(path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


NEWER_TF = """
    import json, warnings
    import tensorflow as tf
    tf.__version__ = "2.99.0"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import eager_lab
        from eager_lab import capture
    {extra}
    print(json.dumps([[w.category.__name__, str(w.message)] for w in caught]))
"""


def test_in_a_fresh_process_a_newer_tensorflow_imports_with_a_warning_and_captures(tmp_path):
    done = _run(NEWER_TF.format(extra=textwrap.indent(textwrap.dedent("""
        @tf.function
        def step(x):
            return x * 2.0 + 1.0
        with capture(step) as rec:
            step(tf.ones((2,)))
        print(sorted(t.name for t in rec.steps[0].tensors if t.name))
    """), "    ")), tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    *_, names, caught = done.stdout.strip().splitlines()
    untested = [(c, m) for c, m in json.loads(caught) if "untested" in m]
    assert len(untested) == 1, caught
    category, message = untested[0]
    assert category == "UntestedTensorFlowWarning"
    assert message.startswith("untested TensorFlow 2.99.0; eager_lab was checked on 2.16–2.21")
    assert "add:0" in names and "mul:0" in names


def test_in_a_fresh_process_a_moved_internal_refuses_the_import_naming_it(tmp_path):
    done = _run("""
        import tensorflow as tf
        from tensorflow.python.framework import op_callbacks
        tf.__version__ = "2.99.0"

        def invoke_op_callbacks(op_type, inputs, attrs, outputs, name=None, graph=None):
            return outputs

        op_callbacks.invoke_op_callbacks = invoke_op_callbacks   # a renamed argument
        import eager_lab
        try:
            from eager_lab import capture
        except eager_lab.UnsupportedTensorFlowError as err:
            print("REFUSED", err)
        else:
            print("IMPORTED")
    """, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "REFUSED" in out, out
    assert "tensorflow.python.framework.op_callbacks.invoke_op_callbacks" in out
    assert "(op_type, inputs, attrs, outputs, name, graph)" in out
    assert "TensorFlow 2.99.0, Keras " in out and "IPython " in out
    assert "untested TensorFlow (eager_lab was checked on 2.16–2.21)" in out


# -- bounded caches --------------------------------------------------------------------

def _distinct_codes(n: int) -> list:
    """``n`` distinct function code objects, as notebook cells make them (one per cell)."""
    codes = []
    for i in range(n):
        module = compile(f"def cell_fn_{i}(x):\n    return x + {i}\n", f"<ipython-input-{i}>",
                         "exec")
        codes.append(next(c for c in module.co_consts if hasattr(c, "co_code")))
    return codes


def test_the_call_site_caches_stay_bounded(monkeypatch):
    for limit in (callsite.MAX_CODES, callsite.MAX_LINES, callsite.MAX_CALL_SITES,
                  compat.MAX_AUTOGRAPH_LINES):
        assert isinstance(limit, int) and 0 < limit <= 1_000_000
    monkeypatch.setattr(callsite, "MAX_CODES", 1_000)
    monkeypatch.setattr(callsite, "MAX_LINES", 1_000)
    monkeypatch.setattr(callsite, "MAX_CALL_SITES", 1_000)
    codes = _distinct_codes(5_000)
    for code in codes:
        assert callsite.is_user_code(code)
        assert callsite._kind(code) == "keep"
        assert callsite.line_of(code, 0) in (1, 2)
        callsite.canonical(((code, 0),))
    assert len(callsite._user) <= 1_000
    assert len(callsite._kinds) <= 1_000
    assert len(callsite._lines) <= 1_000
    assert len(callsite._canonical_cache) <= 1_000
    # Forgotten entries are worked out again, the same.
    assert callsite.is_user_code(codes[0]) and callsite._kind(codes[0]) == "keep"


def test_the_autograph_line_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(compat, "MAX_AUTOGRAPH_LINES", 100)
    monkeypatch.setattr(compat, "_origins", {})
    from tensorflow.python.autograph.impl import api
    mapped = sum(len(getattr(f, "source_map", None) or {})
                 for per_fn in list(api._TRANSPILER._cache._cache.values())
                 for f in list(per_fn.values()))
    for i in range(2_000):
        assert compat.autograph_origin(f"/tmp/__autograph_generated_file{i}.py", 1) is None
    assert len(compat._origins) <= 100 + mapped + 1
