"""Feature policies shared by training (Keras) and the numpy runtime (no Keras)."""

from __future__ import annotations

import numpy as np

#: Song-dependent features blanked for the "no song features" ablation (position stays).
SONG_FEATURES = ("intensity", "polyphony", "bass_onsets", "active", "song_present", "section_start",
                 "pre_section", "novelty", "bar_onsets", "ref_similarity", "song_offgrid", "song_timing",
                 "song_velocity", "song_velocity_sd")


def blank_song_features(features: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    out = np.array(features, np.float32, copy=True)
    for n in SONG_FEATURES:
        if n in names:
            out[:, names.index(n)] = 0.0
    return out
