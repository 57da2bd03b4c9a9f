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
#: a song is played by hand when at least this share of its pitched onsets is off its grid (the
#: ``song_offgrid`` feature; evaluation calls a song sequenced at 0.05 or less)
PLAYED_BY_HAND_OFFGRID = 0.05
#: under a song played by hand the drums' timing has at least this spread (standard deviation, in 16ths;
#: 12 ms at 100 bpm): half of a Groove MIDI drummer's against the click (0.167 of a 16th, the median
#: of 457 performances with swing taken out: ``scripts/measure_gmd_timing.py``), so that a hit is off
#: its 16th by more than an eighth of a 16th about one time in eight and by a quarter of one almost
#: never (the grid's own error against the music comes on top: on the 40 drumless songs without click,
#: 0.09 put two more songs under 85% of hits within a quarter of a 16th of the annotated grid; 0.08
#: keeps the same 38 of 40 there as the drums on the grid did, ``benchmarks/check_handplayed.py``)
HAND_TIMING_SD_16THS = 0.08
#: ... and no hit further than this from its 16th
HAND_MAX_OFFSET_16THS = 0.2
#: how far a drum hit follows the pitched onsets on its own step (the band playing together): the
#: drum lands this share of the way from the grid to the notes' median onset
FOLLOW_NOTES = 0.5


def fit_feel_to_song(drums: DrumArrays, features: np.ndarray, names: tuple[str, ...], steps_per_beat: int,
                     keep: int = 0, until: int | None = None, push: np.ndarray | None = None,
                     seed: int | None = None, played_by_hand: bool | None = None) -> DrumArrays:
    """Fit the drums' micro-timing to the song's pitched parts.

    ``song_timing`` is the mean distance of the song's onsets from the 16th grid; the drums'
    offsets (steps ``keep..until``, e.g. after a prompt) are scaled down so that their mean
    distance from the grid is at most the song's (and :data:`MAX_MEAN_OFFSET_16THS`), and none is
    further than :data:`MAX_OFFSET_16THS`. A sequenced song gets drums on the grid.

    A song played by hand (``played_by_hand``; None: where ``song_offgrid`` is at least
    :data:`PLAYED_BY_HAND_OFFGRID`) gets a
    drummer's timing instead: each hit on a step where the song has onsets moves toward them
    (``push``, ``(T,)``: the median signed offset of the song's onsets at each step, in steps, NaN
    where it has none; :func:`neuraldrummer.analysis.features.onset_push`), and the drummer's own
    spread is drawn (seeded by ``seed``) so that the offsets' spread is at least
    :data:`HAND_TIMING_SD_16THS`, none further than :data:`HAND_MAX_OFFSET_16THS`.
    """
    if "song_timing" not in names or not features.shape[0]:
        return drums
    song = float(features[:, names.index("song_timing")].max()) / 4.0  # mean |offset| in 16ths
    by_hand = played_by_hand
    if by_hand is None:
        by_hand = "song_offgrid" in names and float(features[:, names.index("song_offgrid")].max()) >= \
            PLAYED_BY_HAND_OFFGRID
    per16 = 4.0 / steps_per_beat
    hits = drums.hits.copy()
    hits[:keep] = False
    if until is not None:
        hits[until:] = False
    if not hits.any():
        return drums
    song = min(song, MAX_MEAN_OFFSET_16THS)
    dist = np.abs(drums.offset[hits]) * per16
    offset = drums.offset.copy()
    if dist.mean() > song:
        offset[hits] *= song / dist.mean()
    limit = MAX_OFFSET_16THS / per16
    offset[hits] = np.clip(offset[hits], -limit, limit)
    if by_hand:
        offset = _played_by_hand(offset, hits, per16, push, seed)
    return DrumArrays(drums.hits, drums.velocity, offset.astype(np.float32))


def _played_by_hand(offset: np.ndarray, hits: np.ndarray, per16: float, push: np.ndarray | None,
                    seed: int | None) -> np.ndarray:
    """The offsets (steps) of ``hits`` moved toward the song's onsets and given a drummer's spread."""
    if push is not None and push.shape[0] == offset.shape[0]:
        with_notes = hits & np.isfinite(push)[:, None]
        offset[with_notes] = ((1 - FOLLOW_NOTES) * offset + FOLLOW_NOTES * np.nan_to_num(push)[:, None])[with_notes]
    sd = float(np.std(offset[hits] * per16)) if hits.sum() > 1 else 0.0
    extra = np.sqrt(max(HAND_TIMING_SD_16THS ** 2 - sd ** 2, 0.0)) / per16
    if extra > 0:
        rng = np.random.default_rng(None if seed is None else [seed, 16])
        offset[hits] += rng.normal(0.0, extra, int(hits.sum()))
    limit = HAND_MAX_OFFSET_16THS / per16
    offset[hits] = np.clip(offset[hits], -limit, limit)
    return offset
