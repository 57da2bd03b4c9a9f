"""Which beats a song is drummed on, where its file's grid will not do: the file's tempo map shifted onto the
notes, one steady tempo, or the beat tracker's (:func:`beats_from_music`, for
:func:`~neuraldrummer.analysis.song.fit_grid`), and at which level. The beats themselves come from
:mod:`.beat` and :mod:`.beat_level`; the bars on them from :mod:`.meter`."""

from __future__ import annotations

import numpy as np

from .beat import (bar_repetition, beat_drift, constant_tempo_beats, held_weights, mend_slips, off_beat_grid_share,
                   onset_envelope, shifted_tempo_map_beats, steady_with_tracked_ends, track_beats)
from .beat_level import LEVEL_COEFFICIENTS, LEVEL_COEFFICIENTS_TRANSCRIBED, at_level, choose_beat_level
from .grid import Grid
from .tempo import estimate_tempo

#: A re-estimated grid is used only if at most this share of onsets is off it ...
REGRID_ACCEPT_SHARE = 0.3
#: ... and it improves on the file's own tempo map by at least this much.
REGRID_MIN_GAIN = 0.2


def accidental_fit(grid: Grid, notes: dict, weights: np.ndarray, share: float,
                   end: float) -> tuple[bool, np.ndarray]:
    """Does a map of one constant tempo fit the notes only by accident: the tracked beats, at 3:2 or 4:3 to
    it, fit at least three times better (eighths at 80 bpm on the 16ths of 120)? Such a map says nothing of
    the beat, as if it were the default one (:func:`_default_tempo_map`).
    Returns the answer and the tracked beats (for :func:`beats_from_music`)."""
    onsets = notes["start"]
    tracked = track_beats(onsets, weights, end, beat_weights=held_weights(weights, onsets, notes["end"]))
    period = 60.0 / float(grid.tempo_map.qpm[0])
    accidental = (not _octave_related(period, float(np.median(np.diff(tracked))))
                  and off_beat_grid_share(tracked, onsets) < share / 3)
    return accidental, tracked


#: a beat source further down the list is taken only if its share of onsets off the grid is lower by this
SIMPLER_BEATS_MARGIN = 0.03


#: a file's constant tempo is the notes' own where the two are within this share (:func:`_steady_as_map`) ...
TEMPO_MATCH = 0.02
#: ... the map's own beats are the song's where the two are within this share (the song's own clock) ...
SAME_TEMPO = 0.001
#: ... and the tracker's beats follow music that drifts from it where their distance from the steady beats
#: (:func:`~neuraldrummer.beats.beat.beat_drift`) is over this many beats
DRIFT_BEATS = 1 / 32
#: ... and another beat level than the map's is taken only where it scores this much more (log-odds)
VOUCHED_LEVEL_MARGIN = 1.5
#: a file's one constant tempo set by hand (not the default) vouches for the level of beats tracked in a performance
#: that drifts from it (:func:`_at_map_level`) where their median tempo is within this share of it, or of twice or
#: half of it: the tempo typed in, or the mean of the playing
VOUCHED_TEMPO_MATCH = 0.06


#: the tempo a sequencer writes when nobody set one
DEFAULT_QPM = 120.0


def _default_tempo_map(tempo) -> bool:
    """Is the file's tempo map one constant 120 bpm, what a sequencer writes when nobody set a tempo?
    Such a map says nothing of the music's beat, even where the notes happen to fit it."""
    return bool(np.all(np.abs(np.asarray(tempo.qpm) - DEFAULT_QPM) < 0.5))


def one_constant_tempo(tempo) -> bool:
    """Does the file's tempo map keep one tempo throughout?"""
    return bool(np.ptp(np.asarray(tempo.qpm)) < 0.5)


def _octave_related(a: float, b: float, tolerance: float = 0.04) -> bool:
    """Are two beat periods equal, or one twice the other (within ``tolerance``)?"""
    return min(abs(np.log2(a / b) - k) for k in (-1, 0, 1)) < np.log2(1 + tolerance)


def beats_from_music(tempo, notes: dict, weights: np.ndarray, end: float, map_fits: bool,
                      tracked: np.ndarray | None = None, accidental: bool = False, transcribed: bool = False
                      ) -> tuple[str, np.ndarray, float, float, str]:
    """The beats that fit the onsets, from the simplest source that fits: the file's tempo map
    shifted (taken whenever it fits), else the better of one constant tempo and the
    dynamic-programming tracker (the tracker only if clearly better).

    A map that says nothing (:func:`_default_tempo_map`, or ``accidental``: one that fits the notes as they
    are only at 3:2 or 4:3 to their beat, see :func:`accidental_fit`; and not fitting the notes as they are:
    ``map_fits``) fits by accident if it is at 3:2 or 4:3 to the tracker's beat (onsets at 90 bpm sit
    on the triplets of 120): the tracker's beats are taken if they fit as well. The beat level of
    beats found in the music or on such a map is then chosen (:func:`choose_beat_level`): a tracker
    or a map can run at twice or half the beat. A map with the song's own tempo keeps its level.
    A map of one other constant tempo that does not fit the notes as they are is the song's tempo if the notes
    keep it (:func:`_steady_as_map`); shifted onto the notes it is taken only where it holds nearly all of them
    (5%; not as soon as 30%: a map at 5:4 to the music does that), and only if the tracker's beats, at 3:2 or
    4:3 to it, do not fit three times better. The tracker's beats at 3:2 or 2:3 to the notes' steady tempo give
    way to the tracker run at that tempo where its bars repeat more (:func:`_tracked_at_steady_tempo`), and to the
    notes' steady beats where they do not drift from them (:func:`_steady_unless_drift`: loose onsets to a click).
    Returns (source, beats, share of onsets off their 16ths and triplets, see
    :func:`~neuraldrummer.beats.beat.off_beat_grid_share`, median bpm, level: ``"as found"``,
    ``"double"`` or ``"half"``). ``tracked``: the tracker's beats if already
    run (the tracker runs at most once). ``transcribed``: the notes come from a recording (their level is read
    by :data:`~neuraldrummer.beats.beat_level.LEVEL_COEFFICIENTS_TRANSCRIBED`)."""
    coefficients = LEVEL_COEFFICIENTS_TRANSCRIBED if transcribed else LEVEL_COEFFICIENTS
    onsets = notes["start"]
    held = held_weights(weights, onsets, notes["end"])  # which 16th is the beat: held notes start on it
    trust_map = map_fits or not (_default_tempo_map(tempo) or accidental)
    one_tempo = not map_fits and one_constant_tempo(tempo)  # one constant tempo, not fitting the notes as they are
    qpm = None  # the notes' steadiest tempo, once estimated
    if trust_map and one_tempo:
        qpm, _ = estimate_tempo(np.unique(np.round(onsets, 3)))
        tracked = track_beats(onsets, weights, end, beat_weights=held) if tracked is None else tracked
        vouched = _steady_as_map(tempo, qpm, tracked, notes, weights, held, end, coefficients)
        if vouched is not None:
            return vouched
    best, steady, steady_share, confirmed = None, None, None, False
    for source in ("tempo_map", "constant", "tracked"):
        if source == "tempo_map":
            beats = shifted_tempo_map_beats(tempo, onsets, weights, end, beat_weights=held)
        elif source == "constant":
            if qpm is None:
                qpm, _ = estimate_tempo(np.unique(np.round(onsets, 3)))
            beats = steady = constant_tempo_beats(qpm, onsets, weights, end, beat_weights=held)
            file_qpm = 60.0 / float(np.median(np.diff(best[1])))
            steady_share = off_beat_grid_share(beats, onsets)
            if abs(qpm / file_qpm - 1.0) < 0.01 and steady_share <= REGRID_ACCEPT_SHARE:
                # the steadiest tempo in the notes is the file's own: its map is right and the notes are
                # loose (rubato, 32nds); keep its beats, vouched for by how well that tempo fits. Not where
                # that tempo holds the notes no better than the map (a performance that drifts around the
                # default 120 bpm, or half of it, matches it by chance): the tracker follows those
                best, confirmed = ("tempo_map", best[1], min(best[2], steady_share)), True
                break
        else:
            beats = tracked = track_beats(onsets, weights, end, beat_weights=held) if tracked is None else tracked
        share = steady_share if source == "constant" else off_beat_grid_share(beats, onsets)
        if best is None or share < best[2] - SIMPLER_BEATS_MARGIN:
            best = (source, beats, share)
        if best[2] <= (REGRID_ACCEPT_SHARE if source == "tempo_map" and map_fits else 0.05):
            # the file's own tempo map, shifted, fits: it knows the tempo changes; or good enough. A map that
            # does not fit as it is may fit shifted by accident (80 bpm eighths on the 16ths of 120, 80 bpm on
            # the 16ths and triplets of 100): unless it holds nearly every onset, the constant tempo and the
            # tracker are tried too
            break
    if best[0] in ("tempo_map", "constant") and tracked is None and (best[0] == "constant" or not trust_map
                                                                    or one_tempo):
        tracked = track_beats(onsets, weights, end, beat_weights=held)
    if best[0] == "tempo_map" and trust_map and one_tempo and not confirmed:
        share = off_beat_grid_share(tracked, onsets)
        if not _octave_related(float(np.median(np.diff(best[1]))), float(np.median(np.diff(tracked)))) and \
                share < best[2] / 3:  # at 3:2 or 4:3 to the notes' beat, shifted onto them by accident
            best, trust_map = ("tracked", tracked, share), False
    if best[0] == "tempo_map" and not trust_map:
        share = off_beat_grid_share(tracked, onsets)
        if (not _octave_related(float(np.median(np.diff(best[1]))), float(np.median(np.diff(tracked))))
                and share <= best[2] + SIMPLER_BEATS_MARGIN):
            best = ("tracked", tracked, share)
    if best[0] == "tracked" and steady is not None:  # the tracker's wobble about the song's steady beats
        best = _steady_unless_drift(best, steady, onsets, weights)
    if best[0] == "constant":
        best = _beat_level(best, tracked, onsets, weights, end)
    elif best[0] == "tracked" and steady is not None:
        best = _tracked_at_steady_tempo(best, qpm, onsets, weights, end, held)
    if best[0] == "tracked" and steady is not None and steady_share <= REGRID_ACCEPT_SHARE:
        # the tracker's short slips onto the off-beat, mended from the steady grid (where it has one that holds
        # the notes: under a performance that drifts from it, its beats agree with the tracker's by chance)
        mended = mend_slips(best[1], steady)
        best = ("tracked", mended, off_beat_grid_share(mended, onsets))
    if best[0] != "tempo_map" or not trust_map:
        if trust_map and one_tempo and best[0] == "tracked":
            vouched = _at_map_level(best, float(tempo.qpm[0]), onsets, weights)
            if vouched is not None:
                return _with_level(vouched, notes, weights, margin=VOUCHED_LEVEL_MARGIN, coefficients=coefficients)
        return _with_level(best, notes, weights, coefficients=coefficients)
    return (*best, 60.0 / float(np.median(np.diff(best[1]))), "as found")


def _steady_unless_drift(tracked: tuple, steady: np.ndarray, onsets: np.ndarray, weights: np.ndarray) -> tuple:
    """The ``tracked`` beats (source, beats, share), or the notes' ``steady`` (constant-tempo) beats at their level
    where the tracked beats do not drift from them (:func:`~neuraldrummer.beats.beat.beat_drift` at most
    :data:`DRIFT_BEATS`): music played to a click whose onsets are loose (a recording's transcribed notes: 5 ms
    off at the median, 13 ms or more for one in ten) pulls the tracker a little off the beat wherever the onsets
    are few, and its beats fit those onsets better than the steady grid does while the steady grid is the song's.
    As for a file's constant tempo (:func:`_steady_as_map`), the tracker's beats are taken where they drift from the
    steady ones."""
    period, steady_period = float(np.median(np.diff(tracked[1]))), float(np.median(np.diff(steady)))
    if not _octave_related(steady_period, period, 2 ** 0.06 - 1):
        return tracked
    octaves = round(np.log2(steady_period / period))
    level = at_level(steady, {0: "as found", -1: "half", 1: "double"}[octaves], onsets, weights)
    if beat_drift(tracked[1], level, onsets) > DRIFT_BEATS:
        return tracked
    level = steady_with_tracked_ends(tracked[1], level)
    # how well the beats fit, vouched for by the tracker's: loose onsets may leave more off the steady grid than
    # the song's own beats do (as the file's tempo confirmed by the notes' steadiest one, in beats_from_music)
    return "constant", level, min(off_beat_grid_share(level, onsets), tracked[2])


def _at_map_level(best: tuple, map_qpm: float, onsets: np.ndarray, weights: np.ndarray) -> tuple | None:
    """The tracked beats ``best`` (source, beats, share) at the level of a file's one constant tempo ``map_qpm``
    that does not fit the notes (a performance that drifts from the tempo typed in, or from its own mean): as
    they are, halved or doubled (:func:`~neuraldrummer.beats.beat_level.at_level`), whichever has a median
    tempo within :data:`VOUCHED_TEMPO_MATCH` of the map's. None where none does (the map's tempo is another)."""
    tracked_qpm = 60.0 / float(np.median(np.diff(best[1])))
    for name, factor in (("as found", 1.0), ("half", 0.5), ("double", 2.0)):
        if abs(np.log(tracked_qpm * factor / map_qpm)) < np.log1p(VOUCHED_TEMPO_MATCH):
            beats = at_level(best[1], name, onsets, weights)
            return best[0], beats, off_beat_grid_share(beats, onsets)
    return None


def _with_level(best: tuple, notes: dict, weights: np.ndarray, margin: float = 0.0,
                coefficients: tuple[float, ...] = LEVEL_COEFFICIENTS) -> tuple:
    """``best`` (source, beats, share) at the beat level of :func:`choose_beat_level` (another level only if
    it scores ``margin`` more and still holds the onsets on its 16ths), as :func:`beats_from_music` returns."""
    onsets = notes["start"]
    level, beats = choose_beat_level(best[1], notes, weights, margin=margin, coefficients=coefficients)
    if level != "as found":
        share = off_beat_grid_share(beats, onsets)
        if share <= best[2] + SIMPLER_BEATS_MARGIN:  # a slower level must still hold the onsets on its 16ths
            best = (best[0], beats, share)
        else:
            level = "as found"
    source, beats, share = best
    return source, beats, share, 60.0 / float(np.median(np.diff(beats))), level


def _steady_as_map(tempo, qpm: float, tracked: np.ndarray, notes: dict, weights: np.ndarray, held: np.ndarray,
                   end: float, coefficients: tuple[float, ...] = LEVEL_COEFFICIENTS) -> tuple | None:
    """The beats under a file's one constant tempo (not the default) that does not fit the notes as they are,
    where the notes keep that tempo most steadily (within :data:`TEMPO_MATCH`): the tempo was the song's,
    set by hand or the mean of a performance that drifts. The map's beats, a shade off the notes' own tempo,
    would drift through the song; the steady beats at the notes' tempo are taken instead, or the tracker's
    where they follow music that drifts from those (:func:`~neuraldrummer.beats.beat.beat_drift` over
    :data:`DRIFT_BEATS`, at the same tempo, fitting the onsets better). The map's tempo vouches for the level:
    another only where :func:`choose_beat_level` prefers it by :data:`VOUCHED_LEVEL_MARGIN`. None where the
    notes' tempo is another, or no such beats fit. ``held``: the weights that choose which 16th is the beat
    (:func:`~neuraldrummer.beats.beat.held_weights`). Returns what :func:`beats_from_music` does."""
    onsets = notes["start"]
    octaves = np.log2(qpm / float(tempo.qpm[0]))
    if abs(octaves - round(octaves)) >= np.log2(1 + TEMPO_MATCH) or abs(round(octaves)) > 1:
        return None
    qpm /= 2.0 ** round(octaves)  # at the map's level
    if abs(np.log2(qpm / float(tempo.qpm[0]))) < np.log2(1 + SAME_TEMPO):
        steady = shifted_tempo_map_beats(tempo, onsets, weights, end, beat_weights=held)
        best = ("tempo_map", steady, off_beat_grid_share(steady, onsets))
    else:
        steady = constant_tempo_beats(qpm, onsets, weights, end, beat_weights=held)
        best = ("constant", steady, off_beat_grid_share(steady, onsets))
    octaves = np.log2(qpm * float(np.median(np.diff(tracked))) / 60.0)  # of the tracker's beat over the map's
    if abs(round(octaves)) == 1:  # the tracker at twice or half the map's level: at the map's
        tracked = at_level(tracked, "half" if octaves < 0 else "double", onsets, weights)
        octaves = np.log2(qpm * float(np.median(np.diff(tracked))) / 60.0)
    if (abs(octaves) < np.log2(1 + TEMPO_MATCH)
            and off_beat_grid_share(tracked, onsets) < best[2] - SIMPLER_BEATS_MARGIN
            and beat_drift(tracked, steady, onsets) > DRIFT_BEATS):
        mended = mend_slips(tracked, steady) if best[2] <= REGRID_ACCEPT_SHARE else tracked
        best = ("tracked", mended, off_beat_grid_share(mended, onsets))
    if best[2] > REGRID_ACCEPT_SHARE:
        return None
    return _with_level(best, notes, weights, margin=VOUCHED_LEVEL_MARGIN, coefficients=coefficients)


def _three_to_two(period: float, other: float) -> bool:
    """Are two beat periods at 3:2 or 2:3 (within 0.05)?"""
    ratio = period / other
    return min(abs(ratio - 1.5), abs(ratio - 2 / 3)) < 0.05


def _bars_repeat_more(best: tuple, candidate: tuple[str, np.ndarray], onsets: np.ndarray, weights: np.ndarray,
                      end: float) -> tuple:
    """``best`` (source, beats, share), or the ``candidate`` (source, beats) at 3:2 to it where that fits the onsets
    as well and a bar of four of its beats repeats in the music more
    (:func:`~neuraldrummer.beats.beat.bar_repetition`): of two beats at 3:2, the one whose bars repeat is the
    song's."""
    share = off_beat_grid_share(candidate[1], onsets)
    if share <= best[2] + SIMPLER_BEATS_MARGIN:
        env = onset_envelope(onsets, weights, end)
        if bar_repetition(env, candidate[1]) > bar_repetition(env, best[1]):
            return (*candidate, share)
    return best


def _beat_level(constant: tuple, tracked: np.ndarray, onsets: np.ndarray, weights: np.ndarray,
                end: float) -> tuple:
    """The constant tempo's beats, unless the tracker's are at 3:2 (or 2:3) to them and their bars repeat more
    (:func:`_bars_repeat_more`). Either can take a dotted quarter for the beat: a steady tempo found on the 16th
    grid alone (onsets every 0.6 s are on the 16ths of 150 bpm as of 100), the tracker under a song whose rhythm
    groups its eighths in threes (3 + 3 + 2)."""
    if not _three_to_two(float(np.median(np.diff(constant[1]))), float(np.median(np.diff(tracked)))):
        return constant
    return _bars_repeat_more(constant, ("tracked", tracked), onsets, weights, end)


def _tracked_at_steady_tempo(tracked: tuple, qpm: float, onsets: np.ndarray, weights: np.ndarray,
                             end: float, beat_weights: np.ndarray | None = None) -> tuple:
    """The tracker's beats (source, beats, share), unless they are at 3:2 (or 2:3) to the notes' steady tempo
    ``qpm`` and the tracker run at that tempo does better by :func:`_bars_repeat_more`. The straight eighths of a
    song at 127 bpm sit on the triplets of 85 bpm, where the tracker's own period may lock; tracked at the steady
    tempo, the beats still follow the song's drift."""
    if not _three_to_two(60.0 / qpm, float(np.median(np.diff(tracked[1])))):
        return tracked
    other = track_beats(onsets, weights, end, qpm=qpm, beat_weights=beat_weights)
    return _bars_repeat_more(tracked, ("tracked", other), onsets, weights, end)
