"""Names against the oracle: every zoo model's step, eager under eager_lab vs graph under
tfdbg2, from the same state. A name is right when the graph run has a tensor of that name
(in the same function graph) with the same op type and value, whose graph op consumes the
tensors the eager op consumed."""
import re

import pytest

import naming_check
import oracle
import zoo

# Recall: (oracle tensors named rightly + those the product lists as graph-only, by that
# name) over EVERY tensor tfdbg2 recorded in the step's graphs. Measured on TF 2.21 /
# Keras 3.15 (CPU): every tensor left out is a Const, a Placeholder or a function-boundary
# Identity (oracle.NO_EAGER_OP: no eager op exists for them), so each floor below is the
# measured share of the other tensors, rounded down to 0.01; its complement is those
# constants, placeholders and identities. Measured (named + graph-only / all):
RECALL_FLOOR = {
    "autograph_if_for": 0.42,          # (49 + 27) / 178: 46 Const, 25 Placeholder, 31 Identity
    "cond_while": 0.38,                # (34 + 20) / 142: 35 Const, 22 Placeholder, 31 Identity
    "conv_batchnorm": 0.70,            # (272 + 21) / 416: 115 Const, 8 Identity
    "custom_arithmetic": 0.74,         # (153 + 10) / 219: 51 Const, 5 Identity
    "default_train_step": 0.66,        # (69 + 14) / 124: 35 Const, 6 Identity
    "dropout": 0.68,                   # (169 + 14) / 267: 79 Const, 5 Identity
    "embedding_gather": 0.55,          # (95 + 11) / 190: 67 Const, 4 Placeholder, 13 Identity
    "fit_dataset": 0.72,               # (153 + 32) / 256: 66 Const, 5 Identity
    "functional_two_outputs": 0.68,    # (312 + 19) / 481: 141 Const, 9 Identity
    "gru": 0.54,                       # (236 + 69) / 560: 190 Const, 22 Placeholder, 43 Identity
    "name_scopes": 0.71,               # (90 + 5) / 132: 34 Const, 3 Identity
    "sample_weights": 0.68,            # (108 + 9) / 172: 51 Const, 4 Identity
    "tf_function_step": 0.67,          # (22 + 5) / 40: 10 Const, 3 Identity
    "two_tapes_two_optimizers": 0.78,  # (217 + 23) / 307: 57 Const, 10 Identity
}


def test_every_zoo_model_has_a_recall_floor():
    assert set(RECALL_FLOOR) == set(zoo.ZOO)


@pytest.mark.parametrize("name", sorted(zoo.ZOO))
def test_names_match_tfdbg2(name):
    step, graph, score, states = naming_check.check(name)
    assert graph.nontrivial(), "the oracle recorded no graph tensors: the check would be vacuous"
    assert score.named > 0
    assert score.wrong == [], f"wrong names: {score.wrong[:10]}"
    assert score.precision == 1.0
    # The input check ran: equal values alone cannot tell same-type tensors apart.
    assert score.inputs_checked > 0 and score.input_pairs > 0
    assert score.graph_only_wrong == [], f"wrong graph-only entries: {score.graph_only_wrong[:10]}"
    missed = {k: t for k, t in score.missed.items() if t not in oracle.NO_EAGER_OP}
    assert not missed, (f"graph tensors neither named nor listed graph-only: "
                        f"{sorted(missed, key=str)[:10]}")
    assert score.recall >= RECALL_FLOOR[name], (
        f"recall {score.recall:.3f} ({score.named_ok} named + {score.graph_only_ok} graph-only "
        f"of {score.graph_total} oracle tensors) below {RECALL_FLOOR[name]}")
    # Both steps started from the same state: they end in the same one.
    naming_check.assert_same_states(states)
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
