"""The drums' micro-timing fitted to the song's own feel."""

from __future__ import annotations

import numpy as np

from ..analysis.drums import DrumArrays

#: no hit moves further than this from its 16th (in 16ths; 18 ms at 127 bpm, 32 ms at 70): a listener
#: still hears it on the grid, with room for the grid's own error against the music (a quarter of a
#: 16th is where a hit starts to sound like another subdivision); a drummer's push and pull stay inside
MAX_OFFSET_16THS = 0.15
#: ... and their mean distance from it at most this, however loose the song: a spread, not every hit
#: pushed to the limit
MAX_MEAN_OFFSET_16THS = MAX_OFFSET_16THS / 2


def fit_feel_to_song(drums: DrumArrays, features: np.ndarray, names: tuple[str, ...], steps_per_beat: int,
                     keep: int = 0, until: int | None = None) -> DrumArrays:
    """Scale the drums' micro-timing so that it is no looser than the song's pitched parts.

    ``song_timing`` is the mean distance of the song's onsets from the 16th grid; the drums'
    offsets (steps ``keep..until``, e.g. after a prompt) are scaled down so that their mean
    distance from the grid is at most the song's (and :data:`MAX_MEAN_OFFSET_16THS`), and none is
    further than :data:`MAX_OFFSET_16THS`. A sequenced song gets drums on the grid, a song played by
    hand keeps a human spread.
    """
    if "song_timing" not in names or not features.shape[0]:
        return drums
    song = float(features[:, names.index("song_timing")].max()) / 4.0  # mean |offset| in 16ths
    song = min(song, MAX_MEAN_OFFSET_16THS)
    per16 = 4.0 / steps_per_beat
    hits = drums.hits.copy()
    hits[:keep] = False
    if until is not None:
        hits[until:] = False
    dist = np.abs(drums.offset[hits]) * per16
    if dist.size == 0:
        return drums
    offset = drums.offset.copy()
    if dist.mean() > song:
        offset[hits] *= song / dist.mean()
    limit = MAX_OFFSET_16THS / per16
    offset[hits] = np.clip(offset[hits], -limit, limit)
    return DrumArrays(drums.hits, drums.velocity, offset.astype(np.float32))
