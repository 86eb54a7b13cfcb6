"""Stage 1, capture: intercept the ops of one training step.

``session`` (``capture()`` and :class:`Recording`) runs a step eagerly under the op
callback of ``op_capture``, with the hooks of ``hooks`` on a Keras model or a
``tf.function``; ``callsite`` reads each op's Python stack; ``state`` saves the variables a
step may change; ``guard`` stops at the first NaN/Inf; ``cell_ids`` notes which notebook
cell is running (a tensor's source points at it).

``session`` and ``hooks`` put a recording together, so they alone reach the later stages:
they name the ops (naming), keep them (record) and hand each step the compare service.
"""
