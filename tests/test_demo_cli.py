"""``python -m eager_lab demo``, as a new user runs it from the README."""
import re
import subprocess
import sys

import pytest


def _demo(*args):
    out = subprocess.run([sys.executable, "-m", "eager_lab", "demo", *args],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr
    return out.stdout


@pytest.mark.parametrize("args", [(), ("--nan",)])
def test_demo_prints_named_tensors_and_a_true_hint(args):
    text = _demo(*args)
    assert re.search(r"rec\.steps\[0\]: \d+ tensors, \d+ named", text)
    # The hint's example name is one the table above it shows, for the step it names.
    hint = re.search(r'here: rec\.steps\[(\d+)\]\["([^"]+)"\]\.value', text)
    assert hint, text[-1500:]
    table = text[:hint.start()]
    assert re.search(rf"^\s*\d+\s+{re.escape(hint.group(2))}\s", table, re.M) or \
        hint.group(2) in table
    if args:
        assert re.search(r"first NaN/Inf: \S+ \(Sqrt\)", text)
