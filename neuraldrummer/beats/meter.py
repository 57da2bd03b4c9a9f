"""Bars from the music: where bar 1 starts and where each bar line falls, given the beats.

Every beat gets *downbeat evidence* from what the pitched parts do there (:func:`beat_evidence`):

* bass: the weight of low notes starting on it;
* length: how long the notes starting on it last, in beats (chords held over the bar);
* harmonic change: the chroma of the notes on this beat against the previous beat's;
* bass change: the same for the bass notes alone;
* onsets: the weight of all notes starting on it;
* low: how low the lowest note starting on it is;
* half-bar change: the chroma of the notes starting on it and the next beat against the two beats before;
* rest: how long it has been, in beats, since the last onset before it (a phrase starting);
* held: how many notes sound through it (started before it, still held after it).

Each is standardised over the song; with its contrasts against the beats around it
(:func:`beat_features`) a logistic regression fitted on songs whose bars are known, read as they
are and as if played by hand (``scripts/fit_downbeat.py``), gives each beat's log-odds of being a
downbeat (:func:`downbeat_score`). A Viterbi path over
the position of each beat in its bar (0 = downbeat) then takes the evidence on the downbeats,
moves one position a beat, and may end a bar early (a 2- or 3-beat bar, as in songs played by
hand) at a cost of :data:`SHORT_BAR_COST`. So the bar phase can change inside a song, as the
songs' own annotations do, but only where the music makes it worth it.

How many beats a bar has, three or four, is read from the same log-odds (:func:`bar_periodicity`):
in a song in four they repeat every four and eight beats, in a song in three every three and six.
"""

from __future__ import annotations

import numpy as np

#: the kinds of downbeat evidence of :func:`beat_evidence`, in the column order of :func:`beat_features`
EVIDENCE_NAMES = ("bass", "length", "bass_change", "change", "onsets", "low", "half_change", "rest", "held")
#: the downbeat model: a logistic regression over :func:`beat_features`, fitted by
#: ``python scripts/fit_downbeat.py`` (see there; its report is ``reports/fit_downbeat.json``)
DOWNBEAT_COEFFICIENTS = (-0.001, -0.7499, -0.1206, -0.0606, 0.1262,  # bass, length, bass_change, change, onsets
                         0.0183, -0.264, 0.108, 0.02,  # low, half_change, rest, held
                         0.0472, 0.081,  # bass: against the beats two away, either side
                         0.4132, 1.1927,  # length: against the beats two away, either side
                         0.1564, 0.2724,  # bass_change: against the beats two away, either side
                         -0.0245, 0.3774,  # change: against the beats two away, either side
                         0.0616, -0.378,  # onsets: against the beats two away, either side
                         0.0448, 0.1862,  # low: against the beats two away, either side
                         0.2825, 0.1683,  # half_change: against the beats two away, either side
                         0.1689, -0.1525,  # rest: against the beats two away, either side
                         -0.2269, -0.0638)  # held: against the beats two away, either side
DOWNBEAT_INTERCEPT = -1.6622
#: the same model for notes transcribed from a recording (held lengths and bass come out differently),
#: fitted on the annotated songs rendered to audio and transcribed by
#: ``python scripts/fit_downbeat_transcribed.py`` (report: ``reports/fit_downbeat_transcribed.json``), on the
#: first five kinds of evidence only: refitted with all nine it put more bar lines on the annotated
#: downbeats at the annotated beats (leave one song out: 0.788 against 0.770) but on the beats tracked
#: in the recordings cost two grooves in time (``benchmarks/check_audio.py``: 0.750 against 0.800).
#: Refitted the same way on recordings rendered in tune and on time (TinySoundFont) with their bass as
#: :func:`neuraldrummer.io.transcribe.notes_to_midi` now reads it: leave one song out 0.729 (the model of
#: sequenced songs on the same five kinds of evidence 0.709)
DOWNBEAT_COEFFICIENTS_TRANSCRIBED = (-0.004, -0.153, -0.548, -0.274, 0.131,  # bass, length, bass change, change, onsets
                                     0.0, 0.0, 0.0, 0.0,  # low, half-bar change, rest, held: not used
                                     -0.268, 0.182, -0.117, 0.537, 0.502,  # contrasts of the first five
                                     0.522, 0.322, 0.642, 0.265, -0.324,
                                     0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)  # ... and of the other four
DOWNBEAT_INTERCEPT_TRANSCRIBED = -1.67
#: cost of a bar that ends before its full length (in log-odds)
SHORT_BAR_COST = 5.0
#: bars of three beats where :func:`bar_periodicity` is above this ...
THREE_BEATS_MARGIN = 0.5
#: ... or above this where the file's own meter has bars of three beats (3/4, 6/8): it is trusted
#: where the music does not speak against it
THREE_BEATS_MARGIN_DECLARED = 0.0
#: fewer beats than this are too few to tell three from four (the bar is four)
METER_MIN_BEATS = 32


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
    lowest = np.full(B, np.inf)
    np.minimum.at(lowest, idx[near], np.asarray(pitch, np.float64)[near])
    played = np.isfinite(lowest)
    out["low"] = -np.where(played, lowest, lowest[played].mean() if played.any() else 0.0)
    weight = np.zeros((B, 12))
    np.add.at(weight, (idx[near], pc[near]), vel[near] * np.minimum((end - start)[near] / period[idx[near]], 4.0))
    pair = weight + np.vstack([weight[1:], np.zeros((1, 12))])  # this beat and the next
    before = np.vstack([np.zeros((2, 12)), pair[:-2]])  # the two beats before
    norms = np.linalg.norm(pair, axis=1), np.linalg.norm(before, axis=1)
    cosine = (pair * before).sum(axis=1) / np.maximum(norms[0] * norms[1], 1e-9)
    out["half_change"] = (1.0 - cosine) * (norms[1] > 0)
    onsets_sorted = np.sort(start)
    last = np.searchsorted(onsets_sorted, beats - period / 8) - 1
    since = np.where(last >= 0, (beats - onsets_sorted[np.maximum(last, 0)]) / period, 2.0)
    out["rest"] = np.minimum(since, 2.0) * (np.bincount(idx[near], minlength=B) > 0)
    # notes held through a beat: from the first beat after they start to the last before they end
    first = np.searchsorted(beats - period / 8, start, side="right")
    through = np.searchsorted(beats + period / 8, end, side="left")  # beats b with b + p/8 < end
    count = np.zeros(B + 1)
    ok = first < through
    np.add.at(count, first[ok], 1.0)
    np.add.at(count, through[ok], -1.0)
    out["held"] = np.cumsum(count)[:B]
    return out


def beat_features(evidence: dict[str, np.ndarray]) -> np.ndarray:
    """``(B, 3 * E)`` per-beat inputs of the downbeat model: each evidence of
    :data:`EVIDENCE_NAMES` standardised over the song, its contrast with the beats two before
    and after (the other half of a bar of four) and with the beats either side."""
    columns, contrasts = [], []
    for name in EVIDENCE_NAMES:
        x = np.asarray(evidence[name], np.float64)
        z = (x - x.mean()) / max(float(x.std()), 1e-9)
        pad = np.pad(z, 2, mode="edge")
        columns.append(z)
        contrasts.append(z - 0.5 * (pad[:-4] + pad[4:]))
        contrasts.append(z - 0.5 * (pad[1:-3] + pad[3:-1]))
    return np.stack(columns + contrasts, axis=1)


def downbeat_score(evidence: dict[str, np.ndarray], transcribed: bool = False) -> np.ndarray:
    """``(B,)`` log-odds that each beat is a downbeat: the logistic model of
    :data:`DOWNBEAT_COEFFICIENTS` over :func:`beat_features` (for ``transcribed`` notes,
    :data:`DOWNBEAT_COEFFICIENTS_TRANSCRIBED`)."""
    if transcribed:
        coefficients, intercept = DOWNBEAT_COEFFICIENTS_TRANSCRIBED, DOWNBEAT_INTERCEPT_TRANSCRIBED
    else:
        coefficients, intercept = DOWNBEAT_COEFFICIENTS, DOWNBEAT_INTERCEPT
    return beat_features(evidence) @ np.asarray(coefficients, np.float64) + intercept


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


def bar_periodicity(score: np.ndarray) -> float:
    """How much more the downbeat log-odds ``score`` ``(B,)`` repeat every three beats than every four:
    the autocorrelation of the standardised score at lags 3 and 6, less that at lags 4 and 8. On the
    annotated beats of the 40 drumless songs in four -0.85 to -2.5 (their transcriptions -0.5 to -1.6),
    the one in three (bars of six) 2.6 (1.1), in a scratch count; on sequenced songs read as they are and
    as played by hand see ``scripts/check_meter.py``. 0 for fewer than :data:`METER_MIN_BEATS` beats."""
    s = np.asarray(score, np.float64)
    if s.size < METER_MIN_BEATS:
        return 0.0
    s = (s - s.mean()) / max(float(s.std()), 1e-9)

    def lag(k: int) -> float:
        return float(np.mean(s[:-k] * s[k:]))

    return lag(3) + lag(6) - lag(4) - lag(8)


def choose_beats_per_bar(periodicity: float, declared_three: bool = False) -> int:
    """3 where ``periodicity`` (:func:`bar_periodicity`) is above :data:`THREE_BEATS_MARGIN` (above
    :data:`THREE_BEATS_MARGIN_DECLARED` where the file says three, ``declared_three``), else 4."""
    return 3 if periodicity > (THREE_BEATS_MARGIN_DECLARED if declared_three else THREE_BEATS_MARGIN) else 4


def estimate_bars(beats: np.ndarray, notes: dict[str, np.ndarray], beats_per_bar: int | None = None,
                  transcribed: bool = False, declared_three: bool = False) -> tuple[int, np.ndarray, float]:
    """Beats per bar, the ``(B,)`` position in the bar of each beat, and :func:`bar_periodicity`, from the
    pitched ``notes`` (as :func:`neuraldrummer.analysis.features.pitched_note_arrays` gives them;
    ``transcribed`` from a recording). ``beats_per_bar`` None: three or four, as the music says
    (:func:`choose_beats_per_bar`; ``declared_three``: the file's meter has bars of three beats)."""
    evidence = beat_evidence(beats, notes["start"], notes["end"], notes["pitch"], notes["velocity"],
                             notes["is_bass"])
    score = downbeat_score(evidence, transcribed)
    periodicity = bar_periodicity(score)
    n = int(beats_per_bar) if beats_per_bar is not None else choose_beats_per_bar(periodicity, declared_three)
    return n, bar_positions(score, n), periodicity
