"""TensorFlow's errors, said in one line.

TensorFlow's messages run to paragraphs of generic advice after the sentence that says
what went wrong; a table cell, a panel row or a one-line error has room for that sentence
only. A Python ``if``/``while`` on a tensor is the most common reason a step that runs
eagerly cannot be traced as a graph, so it gets a hint that says what to write instead.
"""
from __future__ import annotations

class EagerLabWarning(UserWarning):
    """eager_lab noticed something that makes a recording not what you meant."""


GRAPH_CONTROL_FLOW_HINT = (
    " (a Python `if`/`for`/`while` on a tensor works eagerly but not in a graph traced "
    "without autograph, as Keras traces train_step; use tf.cond / tf.while_loop)")


def first_line(error, limit: int = 160, sentence: bool = True) -> str:
    """The first line of ``error`` (an exception or text), cut to its first sentence
    (``sentence``) and to ``limit`` characters (with "…"); "" when it has no text."""
    text = str(error).strip()
    line = text.splitlines()[0] if text else ""
    if sentence:
        line = line.split(". ")[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def control_flow_hint(error: BaseException) -> str:
    """The if/while hint when ``error`` is Python control flow on a symbolic tensor."""
    if ("OperatorNotAllowedInGraph" in type(error).__name__
            or "not allowed" in first_line(error, limit=10_000)):
        return GRAPH_CONTROL_FLOW_HINT
    return ""


def describe(error: BaseException, limit: int = 160) -> str:
    """``TypeName: first sentence (hint)``: an error in one line."""
    text = first_line(error, limit)
    name = type(error).__name__
    return f"{name}: {text}{control_flow_hint(error)}" if text else f"{name}{control_flow_hint(error)}"
