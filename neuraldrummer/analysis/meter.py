"""Bars from the music: where bar 1 starts and where each bar line falls, given the beats.

Every beat gets *downbeat evidence* from what the pitched parts do there (:func:`beat_evidence`):

* bass: the weight of low notes starting on it;
* length: how long the notes starting on it last, in beats (chords held over the bar);
* harmonic change: the chroma of the notes on this beat against the previous beat's;
* bass change: the same for the bass notes alone;
* onsets: the weight of all notes starting on it.

Each is standardised over the song and summed with :data:`EVIDENCE_WEIGHTS`. A Viterbi path over
the position of each beat in its bar (0 = downbeat) then takes the evidence on the downbeats,
moves one position a beat, and may end a bar early (a 2- or 3-beat bar, as in songs played by
hand) at a cost of :data:`SHORT_BAR_COST`. So the bar phase can change inside a song, as the
songs' own annotations do, but only where the music makes it worth it.
"""

from __future__ import annotations

import numpy as np

#: weights of the standardised evidence for a downbeat
EVIDENCE_WEIGHTS = {"bass": 1.0, "length": 1.0, "bass_change": 1.0, "change": 0.5, "onsets": 0.5}
#: cost of a bar that ends before its full length (in units of standardised evidence)
SHORT_BAR_COST = 5.0


def beat_evidence(beats: np.ndarray, start: np.ndarray, end: np.ndarray, pitch: np.ndarray,
                  velocity: np.ndarray, is_bass: np.ndarray) -> dict[str, np.ndarray]:
    """Per-beat downbeat evidence (see the module docstring), each ``(B,)`` float64.

    A note belongs to a beat if it starts within an eighth of a beat of it."""
    beats = np.asarray(beats, np.float64)
    B = beats.size
    period = np.diff(beats)
    period = np.append(period, period[-1] if period.size else 0.5)
    idx = np.clip(np.searchsorted(beats - period / 8, start) - 1, 0, B - 1)
    near = np.abs(start - beats[idx]) < period[idx] / 8
    vel = np.asarray(velocity, np.float64) / 127.0
    bass = np.asarray(is_bass, bool)
    pc = np.asarray(pitch, np.int64) % 12
    out = {
        "onsets": np.bincount(idx[near], weights=vel[near], minlength=B),
        "bass": np.bincount(idx[near & bass], weights=vel[near & bass], minlength=B),
        "length": np.bincount(idx[near], weights=np.minimum((end - start)[near] / period[idx[near]], 4.0),
                              minlength=B),
    }
    for name, mask in (("change", np.ones_like(bass)), ("bass_change", bass)):
        chroma = np.zeros((B, 12))
        np.add.at(chroma, (idx[mask], pc[mask]), vel[mask])
        norm = np.linalg.norm(chroma, axis=1)
        unit = chroma / np.maximum(norm, 1e-9)[:, None]
        change = np.zeros(B)
        change[1:] = (1.0 - (unit[1:] * unit[:-1]).sum(axis=1)) * (norm[1:] > 0)
        out[name] = change
    return out


def downbeat_score(evidence: dict[str, np.ndarray]) -> np.ndarray:
    """``(B,)`` weighted sum of the standardised evidence."""
    total = 0.0
    for name, weight in EVIDENCE_WEIGHTS.items():
        x = evidence[name]
        total = total + weight * (x - x.mean()) / max(float(x.std()), 1e-9)
    return np.asarray(total, np.float64)


def bar_positions(score: np.ndarray, beats_per_bar: int = 4, short_bar_cost: float = SHORT_BAR_COST) -> np.ndarray:
    """``(B,)`` position of each beat in its bar (0 = downbeat), by Viterbi over ``score``.

    Positions advance by one a beat and wrap after ``beats_per_bar``; a bar may end early at
    ``short_bar_cost``. The evidence counts on the downbeats."""
    score = np.asarray(score, np.float64)
    B, N = score.size, int(beats_per_bar)
    if B == 0:
        return np.zeros(0, np.int64)
    back = np.zeros((B, N), np.int64)
    total = np.where(np.arange(N) == 0, score[0], 0.0)
    for b in range(1, B):
        new = np.empty(N)
        new[1:] = total[:-1]
        back[b, 1:] = np.arange(N - 1)
        into_bar = total - short_bar_cost
        into_bar[N - 1] = total[N - 1]
        p = int(np.argmax(into_bar))
        new[0] = into_bar[p] + score[b]
        back[b, 0] = p
        total = new
    path = np.zeros(B, np.int64)
    path[-1] = int(np.argmax(total))
    for b in range(B - 1, 0, -1):
        path[b - 1] = back[b, path[b]]
    return path


def estimate_bars(beats: np.ndarray, notes: dict[str, np.ndarray], beats_per_bar: int = 4) -> np.ndarray:
    """``(B,)`` position in the bar of each beat, from the pitched ``notes`` (as
    :func:`neuraldrummer.analysis.features.pitched_note_arrays` gives them)."""
    evidence = beat_evidence(beats, notes["start"], notes["end"], notes["pitch"], notes["velocity"],
                             notes["is_bass"])
    return bar_positions(downbeat_score(evidence), beats_per_bar)
