"""The beat level: of the beats as found, doubled or halved, the pulse a listener taps.

A beat tracker, or a tempo map that happens to fit, can run at twice or half the beat the music is felt in
(a ballad at 60 bpm whose 16ths read as eighths of 120; a fast song halved). :func:`choose_beat_level` scores
each level (:func:`level_score`: a parabola in each of :func:`level_features`, the tempo, the bass, and how the
notes fall on the beats, read with :func:`~neuraldrummer.beats.meter.beat_evidence`); :func:`half_beats`
halves beats along the song's strong beats.
"""

from __future__ import annotations

import numpy as np

from .meter import beat_evidence

#: the beat level (:func:`level_score`): the names of its inputs (:func:`level_features`) ...
LEVEL_FEATURES = ("tempo", "bass", "onsets", "on_beat", "alternation", "held", "change")
#: ... and the weights of each input and its square (a parabola per input, in the order of
#: :data:`LEVEL_FEATURES`, then their squares), fitted by ``python scripts/fit_beat_level.py`` on the annotated
#: songs played by hand and on sequenced songs whose drummer's backbeat confirms the quarter note (report:
#: ``reports/fit_beat_level.json``)
LEVEL_COEFFICIENTS = (0.858, 0.433, -0.848, -1.579, -0.453, 1.786, -0.984,  # the inputs
                      -3.059, -0.697, -0.061, -3.074, -0.004, -0.115, -1.245)  # their squares
#: the same for notes transcribed from a recording: the tempo and the bass alone (the model before
#: :data:`LEVEL_COEFFICIENTS`, fitted on the annotated songs only). basic-pitch's notes start and last otherwise
#: than a keyboard's: read by :data:`LEVEL_COEFFICIENTS`, slow ballads doubled (``benchmarks/check_audio.py``, 4
#: more songs at twice their annotated tempo)
LEVEL_COEFFICIENTS_TRANSCRIBED = (-0.05, 0.04, 0.0, 0.0, 0.0, 0.0, 0.0,
                                  -1.84, -0.81, 0.0, 0.0, 0.0, 0.0, 0.0)


#: the cost of a change of phase when halving the beats (:func:`half_beats`), in standard deviations of
#: the onset weight on a beat: several beats of onsets on the other phase pay for it. Of 2, 4, 6 and 10
#: (the beats alone, scratch runs on the 40 drumless songs without the click and from their recordings),
#: 10 kept the most beats right: beat F 0.924 -> 0.928 without the click (012: 0.72 -> 0.90), 0.883 ->
#: 0.887 from the recordings (005: 0.69 -> 0.93; 040: 0.76 -> 0.70)
HALF_SWITCH_COST = 10.0


def beat_strength(beats: np.ndarray, onsets: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(B,)`` onset weight within an eighth of a beat of each beat, and ``(N,)`` whether each onset is so near."""
    period = float(np.median(np.diff(beats)))
    idx = np.clip(np.searchsorted(beats, onsets), 0, beats.size - 1)
    prev = np.clip(idx - 1, 0, beats.size - 1)
    nearest = np.where(np.abs(beats[idx] - onsets) < np.abs(beats[prev] - onsets), idx, prev)
    near = np.abs(beats[nearest] - onsets) < period / 8
    return np.bincount(nearest[near], weights=np.asarray(weights, np.float64)[near], minlength=beats.size), near


def level_features(beats: np.ndarray, notes: dict, weights: np.ndarray) -> np.ndarray:
    """``(7,)`` inputs of :func:`level_score` (:data:`LEVEL_FEATURES`) for ``beats`` under the pitched ``notes``
    (``start``, ``end``, ``pitch``, ``velocity``, ``is_bass``) with onset ``weights``: log2 of the tempo over
    80 bpm, of the bass onsets per beat over 0.4 and of all onsets per beat; the share of the onset weight within
    an eighth of a beat; how much every other beat carries more of it than the beats between (the strong and
    weak beats of a level twice too fast); log2 of how long the notes starting on a beat last, in beats; the
    share of beats whose chroma changes from the beat before (:func:`~neuraldrummer.beats.meter.beat_evidence`)."""
    beats = np.asarray(beats, np.float64)
    onsets, weights = np.asarray(notes["start"], np.float64), np.asarray(weights, np.float64)
    inside = (onsets >= beats[0]) & (onsets < beats[-1])
    count = max(beats.size - 1, 1)
    bass = np.unique(np.round(onsets[inside & np.asarray(notes["is_bass"], bool)], 2)).size / count
    every = np.unique(np.round(onsets[inside], 2)).size / count
    bpm = 60.0 / float(np.median(np.diff(beats)))
    strength, near = beat_strength(beats, onsets[inside], weights[inside])
    on_beat = float(weights[inside][near].sum() / max(weights[inside].sum(), 1e-9))
    alternation = abs(strength[0::2].mean() - strength[1::2].mean()) / max(float(strength.mean()), 1e-9)
    evidence = beat_evidence(beats, notes["start"], notes["end"], notes["pitch"], notes["velocity"], notes["is_bass"])
    return np.array([np.log2(bpm / 80.0), np.log2(max(bass, 0.02) / 0.4), np.log2(max(every, 0.05)), on_beat,
                     alternation, np.log2(max(float(np.mean(evidence["length"])), 0.05)),
                     float(np.mean(evidence["change"] > 0.5))])


def level_score(beats: np.ndarray, notes: dict, weights: np.ndarray,
                coefficients: tuple[float, ...] = LEVEL_COEFFICIENTS) -> float:
    """How much ``beats`` look like the level a listener taps (higher is better; differences between
    levels of one song are log-odds): a parabola in each of :func:`level_features`."""
    x = level_features(beats, notes, weights)
    return float(np.concatenate([x, x ** 2]) @ np.asarray(coefficients))


def beat_levels(beats: np.ndarray, onsets: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """``beats`` as found, doubled and halved (:func:`at_level`)."""
    return {name: at_level(beats, name, onsets, weights) for name in ("as found", "double", "half")}


def at_level(beats: np.ndarray, level: str, onsets: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``beats`` at one ``level``: ``"as found"``, ``"double"`` (a beat between each two) or ``"half"`` (every
    other beat, of the two phases the one whose beats carry more onset weight within an eighth of a beat)."""
    beats = np.asarray(beats, np.float64)
    if level == "double":
        return np.sort(np.concatenate([beats, 0.5 * (beats[1:] + beats[:-1])]))
    if level == "half":
        strength, _ = beat_strength(beats, np.asarray(onsets, np.float64), weights)
        return half_beats(beats, strength)
    return beats


def half_beats(beats: np.ndarray, strength: np.ndarray, switch_cost: float = HALF_SWITCH_COST) -> np.ndarray:
    """Every other beat of ``beats``, on the ones that carry more onset weight (``strength`` ``(B,)``),
    the two phases chosen by dynamic programming along the song: the chosen beats are two apart, or one or
    three where the phase changes, at ``switch_cost`` (in standard deviations of ``strength``). A tracker
    running at twice the beat slips now and then by one of its beats; halved on one phase for the whole
    song, the beats after such a slip would sit on the off-beats until the next."""
    B = beats.size
    if B < 4:
        return beats[::2]
    e = (strength - strength.mean()) / max(float(strength.std()), 1e-9)
    score = np.full(B, -np.inf)
    back = np.full(B, -1, np.int64)
    score[:2] = e[:2]
    for i in range(2, B):
        options = [(score[i - 2], i - 2), (score[i - 1] - switch_cost, i - 1)]
        if i >= 3:
            options.append((score[i - 3] - switch_cost, i - 3))
        best, j = max(options)
        score[i], back[i] = e[i] + best, j
    i = B - 1 if score[B - 1] >= score[B - 2] else B - 2
    chosen = []
    while i >= 0:
        chosen.append(i)
        i = int(back[i])
    return beats[np.asarray(chosen[::-1])]


def choose_beat_level(beats: np.ndarray, notes: dict, weights: np.ndarray, margin: float = 0.0,
                      coefficients: tuple[float, ...] = LEVEL_COEFFICIENTS) -> tuple[str, np.ndarray]:
    """The level of :func:`beat_levels` with the best :func:`level_score` (under ``coefficients``) for the pitched
    ``notes`` with onset ``weights``; another level than the one found only if it scores ``margin`` more.
    Returns (``"as found"``, ``"double"`` or ``"half"``, beats)."""
    levels = beat_levels(beats, notes["start"], weights)
    scores = {name: level_score(b, notes, weights, coefficients) for name, b in levels.items() if b.size >= 8}
    best = max(scores, key=scores.get)
    if scores[best] < scores["as found"] + margin:
        best = "as found"
    return best, levels[best]
