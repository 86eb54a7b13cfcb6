"""Which Keras layer made a tensor: its graph name's scopes, matched to the model's layers.

Keras 3 opens a name scope per layer call (``net/block_14_depthwise_BN/batchnorm/mul``;
gradients repeat it under ``gradient_tape/``), and TensorFlow makes a scope unique by
appending ``_1``, ``_2`` when a name is entered again. The deepest scope that is a layer's
name (or one with such a suffix) is the layer that made the op. Worked out from names
after the step, so it costs nothing per op.
"""
from __future__ import annotations

import re

from .. import compat

_UNIQUIFIED = re.compile(r"^(.*)_\d+$")


class LayerIndex:
    """``layer_of(graph name) -> "path/to/layer (Class)"`` for one model."""

    def __init__(self, model):
        self._layers: dict[str, str] = {}
        self._cache: dict[str, str | None] = {}
        if model is None:
            return
        self._add(model, "")

    def _add(self, layer, parent: str) -> None:
        name = getattr(layer, "name", None)
        if not isinstance(name, str):
            return
        path = f"{parent}/{name}" if parent else name
        self._layers.setdefault(name, f"{path} ({type(layer).__name__})")
        for child in compat.keras_sublayers(layer):
            self._add(child, path)

    def __bool__(self) -> bool:
        return bool(self._layers)

    def layer_of(self, name: str | None) -> str | None:
        if name is None or not self._layers:
            return None
        scope = name.rpartition("/")[0]
        if scope not in self._cache:
            self._cache[scope] = self._match(scope)
        return self._cache[scope]

    def _match(self, scope: str) -> str | None:
        found = None
        for part in scope.split("/"):
            layer = self._layers.get(part)
            if layer is None:
                bare = _UNIQUIFIED.match(part)
                layer = self._layers.get(bare.group(1)) if bare else None
            if layer is not None:
                found = layer
        return found
