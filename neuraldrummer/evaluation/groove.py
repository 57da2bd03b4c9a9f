"""Is it a groove in time? Drums and tracked beats measured against annotated beats and downbeats.

The annotation format is the POP909 dataset's ``beat_midi.txt``: one line per beat,
``time_in_seconds  a  b`` with ``b`` 1 on every downbeat. :func:`groove_measures` scores a drum
part against it:

* ``on_grid``: share of drum onsets within a quarter of a 16th of the annotated 16th grid (each
  annotated beat cut into four); in time if at least 0.85;
* ``kick_on_downbeats``: share of annotated downbeats with a kick within that tolerance; at least 0.5;
* ``backbeat``: of the snare-like hits (snare, side-stick, clap) on an annotated beat, the share
  on beats 2 and 4 of the bar; at least 0.6;
* ``top_sound_share``: share of all hits played by the most used drum pitch; at most 0.7;
* ``hits_per_beat``: hits per annotated beat; at least 1;
* ``groove_in_time``: all five.

:func:`beat_scores` gives the beat and downbeat F-measure of tracked beats (``mir_eval``, 70 ms).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: snare-like General MIDI pitches: acoustic and electric snare, side-stick, clap
SNARE_LIKE = (37, 38, 39, 40)
KICKS = (35, 36)
THRESHOLDS = {"on_grid": 0.85, "kick_on_downbeats": 0.5, "backbeat": 0.6, "top_sound_share": 0.7,
              "hits_per_beat": 1.0}


def read_beat_annotation(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """``(beats, downbeats)`` in seconds from a ``beat_midi.txt`` file."""
    table = np.loadtxt(path, ndmin=2)
    return table[:, 0], table[table[:, 2] > 0, 0]


def _sixteenths(beats: np.ndarray) -> np.ndarray:
    return (beats[:-1, None] + np.diff(beats)[:, None] * np.arange(4)[None, :] / 4.0).ravel()


def _near(times: np.ndarray, targets: np.ndarray, tolerance: np.ndarray | float) -> np.ndarray:
    """For each of ``times``: is a target within ``tolerance`` (seconds)?"""
    if targets.size == 0 or times.size == 0:
        return np.zeros(times.size, bool)
    j = np.clip(np.searchsorted(targets, times), 1, targets.size - 1)
    dist = np.minimum(np.abs(times - targets[j - 1]), np.abs(targets[j] - times))
    return dist <= tolerance


def groove_measures(times: np.ndarray, pitches: np.ndarray, beats: np.ndarray, downbeats: np.ndarray) -> dict:
    """The measures of the module docstring for drum onsets ``times`` (s) with GM ``pitches``."""
    times, pitches = np.asarray(times, np.float64), np.asarray(pitches, np.int64)
    beats, downbeats = np.asarray(beats, np.float64), np.asarray(downbeats, np.float64)
    period = float(np.median(np.diff(beats))) if beats.size > 1 else 0.5
    tol = period / 16.0  # a quarter of a 16th
    inside = (times >= beats[0] - period / 2) & (times <= beats[-1] + period / 2)
    t, p = times[inside], pitches[inside]
    out: dict = {}
    out["on_grid"] = float(_near(t, _sixteenths(beats), tol).mean()) if t.size else 0.0
    kicks = t[np.isin(p, KICKS)]
    out["kick_on_downbeats"] = float(_near(downbeats, np.sort(kicks), tol).mean()) if downbeats.size else 0.0
    # position of each annotated beat in its bar
    position = np.zeros(beats.size, np.int64)
    is_down = _near(beats, downbeats, 1e-3)
    count = -1
    for i in range(beats.size):
        count = 0 if is_down[i] else count + 1
        position[i] = count
    snares = np.sort(t[np.isin(p, SNARE_LIKE)])
    if snares.size:
        j = np.clip(np.searchsorted(beats, snares), 1, beats.size - 1)
        nearest = np.where(np.abs(snares - beats[j - 1]) <= np.abs(beats[j] - snares), j - 1, j)
        on_beat = np.abs(snares - beats[nearest]) <= tol
        out["backbeat"] = (float((position[nearest[on_beat]] % 2 == 1).mean()) if on_beat.any() else 0.0)
    else:
        out["backbeat"] = 0.0
    out["top_sound_share"] = float(np.bincount(p).max() / p.size) if p.size else 1.0
    out["hits_per_beat"] = float(t.size / max(beats.size, 1))
    out["groove_in_time"] = bool(out["on_grid"] >= THRESHOLDS["on_grid"]
                                 and out["kick_on_downbeats"] >= THRESHOLDS["kick_on_downbeats"]
                                 and out["backbeat"] >= THRESHOLDS["backbeat"]
                                 and out["top_sound_share"] <= THRESHOLDS["top_sound_share"]
                                 and out["hits_per_beat"] >= THRESHOLDS["hits_per_beat"])
    return out


def beat_f(reference: np.ndarray, estimate: np.ndarray) -> float:
    """F-measure of ``estimate`` beat times against ``reference`` (``mir_eval.beat.f_measure``, 70 ms)."""
    import mir_eval

    return float(mir_eval.beat.f_measure(mir_eval.beat.trim_beats(np.asarray(reference, np.float64)),
                                         mir_eval.beat.trim_beats(np.asarray(estimate, np.float64))))


def beat_scores(beats: np.ndarray, downbeats: np.ndarray, ref_beats: np.ndarray, ref_downbeats: np.ndarray) -> dict:
    """Beat and downbeat F-measure (:func:`beat_f`) against the reference."""
    return {"beat_f": beat_f(ref_beats, beats), "downbeat_f": beat_f(ref_downbeats, downbeats)}


def groove_table(per_song: list[dict]) -> dict:
    """Over songs scored by :func:`groove_measures` and :func:`beat_scores`: the share of songs meeting
    each threshold of :data:`THRESHOLDS` (``*_ok``), the share with a groove in time, and the mean beat
    and downbeat F-measure."""
    n = max(len(per_song), 1)

    def ok(name: str, row: dict) -> bool:
        return row[name] <= THRESHOLDS[name] if name == "top_sound_share" else row[name] >= THRESHOLDS[name]

    names = {"on_grid": "on_grid_ok", "kick_on_downbeats": "kick_on_downbeats_ok", "backbeat": "backbeat_ok",
             "top_sound_share": "one_sound_ok", "hits_per_beat": "hit_per_beat_ok"}
    table = {"songs": len(per_song)}
    table.update({label: sum(ok(name, r) for r in per_song) / n for name, label in names.items()})
    table["groove_in_time"] = sum(r["groove_in_time"] for r in per_song) / n
    table["beat_f_mean"] = float(np.mean([r["beat_f"] for r in per_song]))
    table["downbeat_f_mean"] = float(np.mean([r["downbeat_f"] for r in per_song]))
    return table
