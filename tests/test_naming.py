"""Names against the oracle: every zoo model's step, eager under eager_lab vs graph under
tfdbg2, from the same state. A name is right when the graph run has a tensor of that name
(in the same function graph) with the same value."""
import re

import pytest

import naming_check
import zoo

RECALL_TARGET = 0.95


@pytest.mark.parametrize("name", sorted(zoo.ZOO))
def test_names_match_tfdbg2(name):
    step, graph, score, _ = naming_check.check(name)
    assert graph.nontrivial(), "the oracle recorded no graph tensors: the check would be vacuous"
    assert score.named > 0
    assert score.wrong == [], f"wrong names: {score.wrong[:10]}"
    assert score.precision == 1.0
    assert score.recall >= RECALL_TARGET, (
        f"recall {score.recall:.3f} of graph tensors with an eager twin "
        f"({score.recalled}/{score.twins})")
    # Every unnamed tensor says why, and graph-only tensors carry a reason too.
    assert all(t.unnamed_reason for t in step.tensors if t.name is None)
    assert all(g.reason for g in step.graph_only)


def test_gradient_and_optimizer_names_present():
    step, _, _, _ = naming_check.check("custom_arithmetic")
    names = [t.name for t in step.tensors if t.name]
    assert any(n.startswith("gradient_tape/") for n in names)
    is_opt = re.compile(r"^adam(_\d+)?/").match  # Keras numbers optimizers: adam, adam_1
    assert any(is_opt(n) for n in names)
    # Forward tensors come first, then gradients, then the optimizer (execution order).
    first_grad = next(i for i, n in enumerate(names) if n.startswith("gradient_tape/"))
    first_opt = next(i for i, n in enumerate(names) if is_opt(n))
    assert first_grad < first_opt


def test_loop_body_tensors_named_per_iteration():
    step, graph, _, _ = naming_check.check("cond_while")
    body = [t for t in step.tensors if t.graph == "while_body" and t.name]
    assert body, "no tensor named inside the while body"
    first = body[0].name
    repeats = step.find(first)
    assert len(repeats) == 3  # the loop runs three times
    assert len(graph.values[("while_body", first)]) == 3
    assert any(t.graph == "cond_true" for t in step.tensors if t.name)
