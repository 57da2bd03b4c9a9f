"""The drums' micro-timing fitted to the song's own feel."""

from __future__ import annotations

import numpy as np

from ..analysis.drums import DrumArrays
from ..analysis.features import step_in_bar

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
#: where a song's parts are off the grid a little (from :data:`PLAYED_BY_HAND_OFFGRID` to this share of its
#: onsets), its drummer is drawn: most drummers of such songs still play on the grid (a programmed part under
#: a keyboard played in), the others loose. Each entry: from this share of the song's onsets off the grid, the
#: share of the drummers on it (their onsets at most 0.02 off it), over the 10,088 training songs of the 16th
#: corpus (0.92 under sequenced songs, 0.55 from 0.15, 0.28 from 0.3; ``python scripts/fit_drummer_timing.py``,
#: report ``reports/fit_drummer_timing.json``). On the validation songs, seeds 0-2, the 4-bar segments told apart
#: by boosted trees 0.834 -> 0.808, by the linear model 0.636 -> 0.614 (lab notebook "A stronger classifier");
#: every drummer loose had put ours in a band of timing (a spread of 0.08 of a 16th) where no drummer's part is,
#: neither on the grid nor as loose as theirs
DRAWN_ON_GRID_SHARE = ((PLAYED_BY_HAND_OFFGRID, 0.66), (0.10, 0.60))
#: ... up to this share of the song's onsets off the grid; from it on, every drummer plays loose (issue 16
#: calls a song whose parts are 15-45% off the grid played by hand)
DRAWN_FEEL_UNTIL = 0.15
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
#: ... where those notes sit within this distance of the 16th (in 16ths): further off they play
#: another subdivision (triplets, a shuffle's late eighth), and a drum half way there is on neither
FOLLOW_NOTES_WITHIN_16THS = 0.25
#: a sequenced song's drums get a sequenced part's velocities: each sound plays one main level (the
#: median of its hits), and a position of the bar where the sound's hits are drawn at least this much
#: louder or softer (median, velocity / 127; 5 MIDI units) gets an accent or a ghost level ...
LEVEL_GAP = 0.04
#: ... where the sound has at least this many hits there. Human drummers of sequenced songs use a
#: median of 2.5 velocities a sound with a spread of 3 MIDI units; the drawn velocities 11 with a spread
#: of 20 (``neuraldrummer evaluate``, ``velocity_*_sequenced_median``)
LEVEL_MIN_HITS = 4
#: under a song played by hand each hit keeps this share of its drawn distance from its level: the
#: drawn velocities spread as much as a Groove MIDI drummer's (standard deviation 19 MIDI units a sound;
#: 18.5 over 115 GMD files, a scratch count), three times as much as the human drums of the validation
#: songs whose parts are off the grid (6.3, ``velocity_sd_played_median``); halfway keeps the accents
HAND_VELOCITY_SPREAD = 0.5
#: the drawn velocities are raised by this factor (at most 127) before the levels are set. Fed its drummer's
#: own drums, the model expects their level; drawing from its own history, each hit a little softer than the
#: drummer's, the level drifts down: on the 75 validation songs the drums came out at a mean velocity of 84.8
#: a song against their drummers' 92.8 (0.06 correlation across songs), and of all that tells the drums from
#: the drummer's by the classifier of ``neuraldrummer evaluate``, the level was among the strongest. Raised by
#: 1.1 (validation, seeds 0 / 1): 4-bar segments told apart 0.634 / 0.606 -> 0.608 / 0.545, the hits the same
#: (README "Velocities as a part has them")
DRAWN_LEVEL_GAIN = 1.1


def song_played_by_hand(features: np.ndarray, names: tuple[str, ...], played_by_hand: bool | None = None) -> bool:
    """Was the song played by hand: ``played_by_hand`` where given, else where its ``song_offgrid``
    feature is at least :data:`PLAYED_BY_HAND_OFFGRID`."""
    if played_by_hand is not None:
        return bool(played_by_hand)
    return ("song_offgrid" in names and features.shape[0] > 0
            and float(features[:, names.index("song_offgrid")].max()) >= PLAYED_BY_HAND_OFFGRID)


def drawn_on_grid(features: np.ndarray, names: tuple[str, ...], seed: int | None = None,
                  kept_offsets: np.ndarray | None = None) -> bool:
    """Does the drummer of this song, played by hand but only a little off the grid, play on the grid? Drawn
    (seeded by ``seed`` and the song's share off the grid) with the share of :data:`DRAWN_ON_GRID_SHARE`,
    below :data:`DRAWN_FEEL_UNTIL`; False from it on and where the song's share is unknown. Where drums are
    kept around the new ones (``kept_offsets``: a prompt, the bars around a re-drawn range), the drummer keeps
    their feel: on the grid where all of them are."""
    if "song_offgrid" not in names or not features.shape[0]:
        return False
    share = float(features[:, names.index("song_offgrid")].max())
    if not DRAWN_ON_GRID_SHARE[0][0] <= share < DRAWN_FEEL_UNTIL:
        return False
    if kept_offsets is not None and kept_offsets.size:
        return bool((kept_offsets == 0).all())
    on_grid = [p for start, p in DRAWN_ON_GRID_SHARE if share >= start][-1]
    rng = np.random.default_rng(None if seed is None else [seed, 17, int(share * 1e6)])
    return bool(rng.random() < on_grid)


def _new_hits(drums: DrumArrays, keep: int, until: int | None) -> np.ndarray:
    """``(T, C)`` bool: the hits at steps ``keep..until`` (after a prompt, inside a re-drawn range)."""
    new = drums.hits.copy()
    new[:keep] = False
    if until is not None:
        new[until:] = False
    return new


def raise_drawn_level(drums: DrumArrays, keep: int = 0, until: int | None = None,
                      gain: float = DRAWN_LEVEL_GAIN) -> DrumArrays:
    """The drums with the velocities of the hits at steps ``keep..until`` times ``gain``, at most 1
    (:data:`DRAWN_LEVEL_GAIN`); a prompt before ``keep`` and the drums after ``until`` as they were."""
    new = _new_hits(drums, keep, until)
    velocity = drums.velocity.copy()
    velocity[new] = np.minimum(velocity[new] * gain, 1.0)
    return DrumArrays(drums.hits, velocity, drums.offset)


def fit_feel_to_song(drums: DrumArrays, features: np.ndarray, names: tuple[str, ...], steps_per_beat: int,
                     keep: int = 0, until: int | None = None, push: np.ndarray | None = None,
                     seed: int | None = None, played_by_hand: bool | None = None) -> DrumArrays:
    """Fit the drums' micro-timing to the song's pitched parts.

    ``song_timing`` is the mean distance of the song's onsets from the 16th grid; the drums'
    offsets (steps ``keep..until``, e.g. after a prompt) are scaled down so that their mean
    distance from the grid is at most the song's (and :data:`MAX_MEAN_OFFSET_16THS`), and none is
    further than :data:`MAX_OFFSET_16THS`. A sequenced song gets drums on the grid, each sound on a
    few fixed velocities (:func:`sequenced_levels`; not where no song plays, e.g. a groove continued alone);
    one played by hand keeps half of each hit's drawn distance from those levels. The drums of a sequenced song
    (its ``song_offgrid`` under :data:`PLAYED_BY_HAND_OFFGRID`, or ``played_by_hand`` False) sit on the grid; under
    a song only a little off it the drummer is drawn (:func:`drawn_on_grid`), on the grid or loose.

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
    by_hand = song_played_by_hand(features, names, played_by_hand)
    per16 = 4.0 / steps_per_beat
    hits = _new_hits(drums, keep, until)
    if not hits.any():
        return drums
    song = min(song, MAX_MEAN_OFFSET_16THS)
    dist = np.abs(drums.offset[hits]) * per16
    offset = drums.offset.copy()
    if dist.mean() > song:
        offset[hits] *= song / dist.mean()
    limit = MAX_OFFSET_16THS / per16
    offset[hits] = np.clip(offset[hits], -limit, limit)
    velocity = drums.velocity
    kept = drums.hits & ~hits
    if by_hand and not (played_by_hand is None and drawn_on_grid(features, names, seed, drums.offset[kept])):
        offset = _played_by_hand(offset, hits, per16, push, seed)
    elif played_by_hand is not None or "song_offgrid" in names:  # a sequenced part: on the grid
        offset[hits] = 0.0
    if "song_present" not in names or float(features[:, names.index("song_present")].max()) > 0.5:
        if "downbeat" in names:
            position = step_in_bar(features, names)
        else:
            position = np.arange(features.shape[0]) % (4 * steps_per_beat)
        velocity = sequenced_levels(drums.velocity, drums.hits, hits, position,
                                    HAND_VELOCITY_SPREAD if by_hand else 0.0)
    return DrumArrays(drums.hits, velocity, offset.astype(np.float32))


def sequenced_levels(velocity: np.ndarray, hits: np.ndarray, new: np.ndarray, position: np.ndarray,
                     spread: float = 0.0) -> np.ndarray:
    """Velocities ``(T, C)`` with each sound's ``new`` hits on a few fixed levels, as a sequenced drum
    part has them. ``position`` ``(T,)``: each step's place in its bar. Per sound, over all its
    ``hits`` (``new`` and kept ones): the main level is their median; a position whose hits' median is
    :data:`LEVEL_GAP` or more above it (below it) plays the accent (ghost) level, the median of those
    positions' medians, where it holds at least :data:`LEVEL_MIN_HITS` hits. Levels are whole MIDI
    velocities. With ``spread`` > 0 each hit keeps that share of its distance from its level (a
    player's accents and ghost notes around a part's dynamics)."""
    out = velocity.copy()
    position = np.asarray(position, np.int64)
    for c in np.nonzero(new.any(axis=0))[0]:
        has = hits[:, c]
        v, pos = velocity[has, c], position[has]
        main = float(np.median(v))
        places = np.unique(pos)
        counts = np.array([(pos == q).sum() for q in places])
        medians = np.array([np.median(v[pos == q]) for q in places])
        level_of = np.full(places.size, main)
        for side in (medians >= main + LEVEL_GAP, medians <= main - LEVEL_GAP):
            side &= counts >= LEVEL_MIN_HITS
            if side.any():
                level_of[side] = np.median(medians[side])
        level_of = np.clip(np.rint(level_of * 127.0), 1, 127) / 127.0
        rows = np.nonzero(new[:, c])[0]
        lookup = np.full(int(position.max()) + 1, np.clip(np.rint(main * 127.0), 1, 127) / 127.0)
        lookup[places] = level_of
        out[rows, c] = lookup[position[rows]] + spread * (velocity[rows, c] - lookup[position[rows]])
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _played_by_hand(offset: np.ndarray, hits: np.ndarray, per16: float, push: np.ndarray | None,
                    seed: int | None) -> np.ndarray:
    """The offsets (steps) of ``hits`` moved toward the song's onsets and given a drummer's spread."""
    if push is not None and push.shape[0] == offset.shape[0]:
        near = np.abs(push) * per16 <= FOLLOW_NOTES_WITHIN_16THS  # False where no notes (NaN)
        with_notes = hits & near[:, None]
        offset[with_notes] = ((1 - FOLLOW_NOTES) * offset + FOLLOW_NOTES * np.nan_to_num(push)[:, None])[with_notes]
    sd = float(np.std(offset[hits] * per16)) if hits.sum() > 1 else 0.0
    extra = np.sqrt(max(HAND_TIMING_SD_16THS ** 2 - sd ** 2, 0.0)) / per16
    if extra > 0:
        rng = np.random.default_rng(None if seed is None else [seed, 16])
        offset[hits] += rng.normal(0.0, extra, int(hits.sum()))
    limit = HAND_MAX_OFFSET_16THS / per16
    offset[hits] = np.clip(offset[hits], -limit, limit)
    return offset
