"""The drums' micro-timing fitted to the song's own feel."""

from __future__ import annotations

import numpy as np

from ..analysis.drums import DrumArrays


def fit_feel_to_song(drums: DrumArrays, features: np.ndarray, names: tuple[str, ...], steps_per_beat: int,
                     keep: int = 0, until: int | None = None) -> DrumArrays:
    """Scale the drums' micro-timing so that it is no looser than the song's pitched parts.

    ``song_timing`` is the mean distance of the song's onsets from the 16th grid; the drums'
    offsets (steps ``keep..until``, e.g. after a prompt) are scaled down so that their mean
    distance from the grid is at most the song's. A sequenced song gets drums on the grid,
    a song played by hand keeps a human spread.
    """
    if "song_timing" not in names or not features.shape[0]:
        return drums
    song = float(features[:, names.index("song_timing")].max()) / 4.0  # mean |offset| in 16ths
    per16 = 4.0 / steps_per_beat
    hits = drums.hits.copy()
    hits[:keep] = False
    if until is not None:
        hits[until:] = False
    dist = np.abs(drums.offset[hits]) * per16
    if dist.size == 0 or dist.mean() <= song:
        return drums
    scale = song / dist.mean()
    offset = drums.offset.copy()
    offset[hits] *= scale
    return DrumArrays(drums.hits, drums.velocity, offset.astype(np.float32))
