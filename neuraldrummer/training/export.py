"""A trained Keras model's weights as one ``weights.npz`` that the numpy runtime reads."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from ..config import CONFIG_KEY, Config
from ..io.midi import atomic_write_bytes


def export_weights(model, path: str | Path, config: Config | None = None) -> None:
    """Write every weight of a built Keras model to ``.npz``, keyed by variable path."""
    weights = {var.path: np.asarray(var.numpy(), np.float32) for var in model.weights}
    if config is not None:  # the config inside the weights file: one atomic file holds a whole model
        weights[CONFIG_KEY] = np.array(json.dumps(config.to_dict(), sort_keys=True))
    buffer = io.BytesIO()
    np.savez(buffer, **weights)
    atomic_write_bytes(path, buffer.getvalue())
