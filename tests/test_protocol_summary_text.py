"""The fixture that checks the panel's summary lines against Python's (protocol 1.3).

A page of columns sends a summary's numbers, and the panel writes the line
(src/protocol/summaryText.ts). src/__tests__/summaryText.spec.ts reads
src/__tests__/fixtures/summary-lines.json — thousands of Summaries, from real arrays and
from adversarial numbers (ties such as 0.125 and 2.5, values next to powers of ten, 17
digits, integers up to 2**53, every dtype) — and compares its line with ``expected``,
written here by ``Summary.line()``. This test fails when the fixture is not what
``Summary.line()`` writes now; regenerate it with

    .venv/bin/python tests/test_protocol_summary_text.py
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from eager_lab.comm.columns import EXACT_INT
from eager_lab.record.summary import Summary, summarize

FIXTURE = Path(__file__).resolve().parents[1] / "src" / "__tests__" / "fixtures" / \
    "summary-lines.json"
FIELDS = ("dtype", "size", "min", "max", "mean", "std", "nan", "pos_inf", "neg_inf", "zeros")


def case(s: Summary) -> dict | None:
    """The numbers a page sends for ``s`` and Python's line; None when sent as text."""
    if s.unknown is not None or (type(s.min) is int and max(-s.min, s.max) >= EXACT_INT):
        return None
    if any(isinstance(getattr(s, f), float) and not math.isfinite(getattr(s, f))
           for f in FIELDS):
        return None     # made up out of range here (a Summary's statistics are finite)
    head, _, rest = s.line().partition(" ")
    out = {f: getattr(s, f) for f in FIELDS}
    out["integer"] = type(s.min) is int
    out["expected"] = rest
    return out


def real_arrays(rng):
    for _ in range(900):
        kind = rng.integers(0, 6)
        size = int(rng.choice([1, 2, 3, 7, 100, 1000]))
        scale = 10.0 ** int(rng.integers(-12, 12))
        if kind == 0:
            yield rng.standard_normal(size).astype(np.float32) * np.float32(scale)
        elif kind == 1:
            yield rng.standard_normal(size) * scale + rng.choice([0.0, 3000.0, -1e6])
        elif kind == 2:
            yield (rng.standard_normal(size) * 10).astype(np.float16)
        elif kind == 3:
            dtype = rng.choice([np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint32])
            info = np.iinfo(dtype)
            yield rng.integers(info.min, info.max, size, dtype=dtype, endpoint=True)
        elif kind == 4:
            yield rng.random(size) < 0.3
        else:
            yield (rng.standard_normal(size) + 1j * rng.standard_normal(size)) * scale


def adversarial():
    """Numbers at the edges of the formatting rules, as Summaries of every dtype."""
    ties = [0.125, 2.5, 0.5, 1.5, 1234.5, 0.0625, 1e-3, 0.001953125, 10.5, 99.5, 999.5,
            9999.5, 0.0095, 0.3, 1 / 3, 2 / 3, 0.1 + 0.2]
    near = []
    for k in range(-6, 21):
        p = 10.0 ** k
        near += [p, float(np.nextafter(p, 0)), float(np.nextafter(p, math.inf)), p * 0.9995]
    values = ties + near + [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
                            3.4028234663852886e38, 1e-45, 65504.0, 123456789.123456789,
                            0.1234567890123456789, 9.999999999999999e22]
    dtypes = ["float32", "float64", "float16", "complex64"]
    for v in values:
        for sign in (1, -1):
            for dtype in dtypes:
                x = sign * v
                yield Summary(dtype=dtype, shape=(3,), size=3, min=x, max=x, mean=x, std=0.0)
                yield Summary(dtype=dtype, shape=(2,), size=2, min=x, max=abs(x) * 1.0000001,
                              mean=(x + abs(x)) / 2, std=abs(x) / 3, nan=1)
                yield Summary(dtype=dtype, shape=(5,), size=5, min=x, max=x, mean=x + 1e-12 * x,
                              std=v, pos_inf=1, neg_inf=2)
    for v in [0, 1, 9, 10, 99_999, 999_999, 1_000_000, 123_456_789, 2**31 - 1, 2**53 - 1,
              10**15, 10**15 + 5, 125, 1250, 12_345_000, 2**52 + 1]:
        for dtype in ["int8", "uint8", "int16", "int32", "uint32", "int64", "uint64", "bool"]:
            yield Summary(dtype=dtype, shape=(4,), size=4, min=-v, max=v, mean=0.5,
                          std=float(v))
            yield Summary(dtype=dtype, shape=(4,), size=4, min=v, max=v + 2, mean=v + 1.0,
                          std=1.0, zeros=0)
            yield Summary(dtype=dtype, shape=(1,), size=1, min=v, max=v, mean=float(v), std=0.0)
    yield Summary(dtype="float32", shape=(0,), size=0)
    yield Summary(dtype="float32", shape=(3,), size=3, min=0.0, max=0.0, mean=0.0, std=0.0,
                  zeros=3)
    yield Summary(dtype="float32", shape=(3,), size=3, nan=3)
    yield Summary(dtype="string", shape=(2,), size=2)
    yield Summary(dtype="resource", shape=(), size=1)


def cases() -> list[dict]:
    rng = np.random.default_rng(20261202)
    summaries = [summarize(a, a.dtype.name, a.shape) for a in real_arrays(rng)]
    summaries += list(adversarial())
    made = [case(s) for s in summaries]
    return [c for c in made if c is not None]


def test_the_fixture_is_what_python_writes():
    assert FIXTURE.exists(), "run: .venv/bin/python tests/test_protocol_summary_text.py"
    assert json.loads(FIXTURE.read_text()) == json.loads(json.dumps(cases())), (
        "Summary.line() changed: regenerate the fixture "
        "(.venv/bin/python tests/test_protocol_summary_text.py)")


def test_the_fixture_covers_the_rules():
    made = cases()
    lines = " ".join(c["expected"] for c in made)
    assert len(made) > 2000
    for part in ("empty", "all_zeros", "|z|∈", "e+", "e-", "σ=", "NaN!", "+Inf!", "-Inf!"):
        assert part in lines, part
    assert any(c["integer"] and abs(c["max"]) > 10**15 for c in made)


if __name__ == "__main__":
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(cases(), ensure_ascii=False, allow_nan=False) + "\n")
    print(f"wrote {len(cases())} cases to {FIXTURE}")
