"""Naming precision and recall per model of the test zoo, against tfdbg2 (the oracle).

    python benchmarks/naming_zoo.py            # markdown table on stdout

Precision: named eager tensors whose name is a tensor of the graph run with the same op
type and value, whose graph op consumes what the eager op consumed. Recall: graph tensors
named rightly plus those listed graph-only by their name, over every tensor tfdbg2
recorded; "missed" counts the rest by op type (Const, Placeholder and function-boundary
Identity have no eager op). Graph-only tensors have no eager op at their call site; their
reasons are counted per model.
"""
from __future__ import annotations

import os
import sys
from collections import Counter

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

import naming_check  # noqa: E402
import zoo  # noqa: E402


def main() -> None:
    rows = []
    for name in zoo.ZOO:
        print(f"checking {name}…", file=sys.stderr, flush=True)
        step, graph, score, _ = naming_check.check(name)
        only = {(g.graph, g.name): g.reason for g in step.graph_only}
        reasons = Counter(only[k].split(":")[0].split(" (")[0]
                          for k in graph.nontrivial() if k in only)
        rows.append((name, score, len(step.tensors), reasons))
    print("| model | eager tensors | named | precision | recall (all) | missed "
          "| graph-only: reasons |")
    print("|---|---:|---:|---:|---:|---|---|")
    for name, s, n, reasons in rows:
        why = "; ".join(f"{c}× {r}" for r, c in reasons.most_common())
        missed = ", ".join(f"{c}× {t}" for t, c in Counter(s.missed.values()).most_common())
        print(f"| {name} | {n} | {s.named} | {s.precision:.3f} | {s.recall:.3f} "
              f"({s.named_ok}+{s.graph_only_ok}/{s.graph_total}) | {missed or '—'} "
              f"| {why or '—'} |")


if __name__ == "__main__":
    main()
