"""Song features per grid step, from the **pitched instruments only**.

The original design counted drum notes into its "intensity", which leaks the answer
into the input; here drum tracks are never read. :data:`FEATURE_NAMES` is the one
place that defines the feature set, in column order; a saved model's config records
the names it was trained with.

=================  ==============================================================
name               meaning (per step)
=================  ==============================================================
intensity          velocity-weighted pitched onsets, capped at the song's 95th
                   percentile of non-zero steps and scaled to [0, 1] (per song)
polyphony          pitched notes sounding during the step, ``log1p(n)/log1p(16)``
bass_onsets        1 if a low-register onset (pitch < 48 or a bass program) starts
active             1 if any pitched note sounds during the step
downbeat           1 on the first step of a bar
on_beat            1 on quarter-note positions
bar_phase_sin/cos  position in the bar as an angle (works for any meter)
beat_phase_sin/cos position inside the quarter note (sixteenth/32nd resolution)
tempo              quarter notes per minute / 200
song_present       1 for songs, 0 for drum-only files (GMD, metal tracks)
section_start      1 in a bar that starts a section (see neuraldrummer.analysis.structure)
pre_section        1 in the bar before a section start (where fills go)
novelty            bar-level novelty of the song's self-similarity (0-1)
bar_onsets         pitched onsets of the step's bar, capped at the song's 95th
                   percentile of bars and scaled to [0, 1]
ref_similarity     similarity of the bar to the earlier bar it repeats (0: none);
                   the drums of that bar come as a separate input
song_offgrid       share of the song's pitched onsets off the 16th grid (feel)
song_timing        mean distance of pitched onsets from the 16th grid, in 16ths x 4
song_velocity      mean velocity of the pitched notes / 127
song_velocity_sd   their standard deviation / 64
=================  ==============================================================

The last nine are whole-song or whole-bar facts; the drummer also gets them a few bars
ahead through its look-ahead. Training data augmentation (:mod:`neuraldrummer.training.augment`)
reads each song a second way: one pitched instrument dropped, or the song as if played in by hand
(onsets jittered, velocities spread), on its own or reduced to one piano part.
"""

from __future__ import annotations

import numpy as np
import pretty_midi

from ..beats.grid import OFF_GRID_TOLERANCE, Grid, sixteenth_offsets
from .structure import SongForm, analyse_form

FEATURE_NAMES: tuple[str, ...] = (
    "intensity", "polyphony", "bass_onsets", "active", "downbeat", "on_beat",
    "bar_phase_sin", "bar_phase_cos", "beat_phase_sin", "beat_phase_cos", "tempo",
    "song_present", "section_start", "pre_section", "novelty", "bar_onsets", "ref_similarity",
    "song_offgrid", "song_timing", "song_velocity", "song_velocity_sd",
)
#: The features of the first (eighth-note) model, in its column order.
BASIC_FEATURE_NAMES: tuple[str, ...] = FEATURE_NAMES[:12]

#: Notes below this pitch count as bass-register onsets.
BASS_PITCH = 48
#: General MIDI programs 32-39 are basses.
BASS_PROGRAMS = range(32, 40)


def pitched_note_arrays(pm: pretty_midi.PrettyMIDI, drop_instrument: int | None = None) -> dict[str, np.ndarray]:
    """All non-drum notes as parallel arrays: start, end (s), pitch, velocity, is_bass, instrument.

    ``instrument`` numbers the pitched instruments with notes from 0; ``drop_instrument``
    leaves that one out (training augmentation).
    """
    starts, ends, pitches, velocities, bass, which = [], [], [], [], [], []
    number = -1
    for inst in pm.instruments:
        if inst.is_drum or not inst.notes:
            continue
        number += 1
        if number == drop_instrument:
            continue
        s = np.fromiter((n.start for n in inst.notes), np.float64, len(inst.notes))
        e = np.fromiter((n.end for n in inst.notes), np.float64, len(inst.notes))
        p = np.fromiter((n.pitch for n in inst.notes), np.int16, len(inst.notes))
        v = np.fromiter((n.velocity for n in inst.notes), np.float32, len(inst.notes))
        starts.append(s)
        ends.append(e)
        pitches.append(p)
        velocities.append(v)
        is_bass_program = inst.program in BASS_PROGRAMS
        bass.append((p < BASS_PITCH) | is_bass_program)
        which.append(np.full(p.size, len(which), np.int64))
    if not starts:
        empty = np.zeros(0)
        return {"start": empty, "end": empty, "pitch": empty.astype(np.int16),
                "velocity": empty.astype(np.float32), "is_bass": empty.astype(bool),
                "instrument": empty.astype(np.int64)}
    return {
        "start": np.concatenate(starts), "end": np.concatenate(ends),
        "pitch": np.concatenate(pitches), "velocity": np.concatenate(velocities),
        "is_bass": np.concatenate(bass), "instrument": np.concatenate(which),
    }


def pitched_instrument_count(pm: pretty_midi.PrettyMIDI) -> int:
    """Number of pitched instruments with notes."""
    return sum(1 for inst in pm.instruments if not inst.is_drum and inst.notes)


def song_feel(notes: dict[str, np.ndarray], grid: Grid) -> dict[str, float]:
    """Timing and dynamics of the pitched parts: off-grid share, mean distance from the 16th
    grid (in 16ths), mean and spread of velocity (MIDI units)."""
    if notes["start"].size == 0:
        return {"offgrid": 0.0, "timing": 0.0, "velocity": 0.0, "velocity_sd": 0.0}
    off = np.abs(sixteenth_offsets(grid, notes["start"]))
    return {"offgrid": float((off > OFF_GRID_TOLERANCE).mean()), "timing": float(off.mean()),
            "velocity": float(notes["velocity"].mean()), "velocity_sd": float(notes["velocity"].std())}


def _tame(x: np.ndarray) -> np.ndarray:
    nonzero = x[x > 0]
    if nonzero.size == 0:
        return np.zeros_like(x)
    cap = float(np.percentile(nonzero, 95))
    return np.minimum(x / max(cap, 1e-6), 1.0)


def compute_features(
    pm: pretty_midi.PrettyMIDI, grid: Grid, names: tuple[str, ...] = FEATURE_NAMES,
    marker_times: np.ndarray | None = None, drop_instrument: int | None = None,
) -> np.ndarray:
    """Song features on the grid (see :func:`analyse_song`)."""
    return analyse_song(pm, grid, names, marker_times, drop_instrument)[0]


def analyse_song(
    pm: pretty_midi.PrettyMIDI, grid: Grid, names: tuple[str, ...] = FEATURE_NAMES,
    marker_times: np.ndarray | None = None, drop_instrument: int | None = None,
    notes: dict[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, SongForm]:
    """Song features, reference steps and form.

    ``notes`` (as :func:`pitched_note_arrays` gives them) replaces the pitched notes of ``pm``:
    training reads the same song played another way (:mod:`neuraldrummer.training.augment`).

    Returns
    -------
    features
        ``(T, len(names))`` float32, columns in the order of ``names``.
    reference_steps
        ``(T,)`` int32: the step whose drums this step may repeat, -1 if none.
    form
        The bar-level :class:`~neuraldrummer.analysis.structure.SongForm`.
    """
    T = grid.num_steps
    if notes is None:
        notes = pitched_note_arrays(pm, drop_instrument)
    starts = grid.starts
    step_ends = grid.times[1:]
    columns: dict[str, np.ndarray] = {}
    has_song = notes["start"].size > 0
    if has_song:
        onset_step, _ = grid.nearest_step(notes["start"])
        weights = notes["velocity"] / 127.0
        columns["intensity"] = _tame(np.bincount(onset_step, weights, minlength=T)[:T])
        sorted_starts = np.sort(notes["start"])
        sorted_ends = np.sort(notes["end"])
        # notes overlapping [step start, step end): started before the end, not ended by the start
        sounding = np.searchsorted(sorted_starts, step_ends - 1e-6, side="left") - np.searchsorted(
            sorted_ends, starts + 1e-6, side="right"
        )
        sounding = np.maximum(sounding, 0)
        columns["polyphony"] = np.minimum(np.log1p(sounding) / np.log1p(16.0), 1.0)
        bass_steps = onset_step[notes["is_bass"]]
        columns["bass_onsets"] = (np.bincount(bass_steps, minlength=T)[:T] > 0).astype(np.float32)
        columns["active"] = (sounding > 0).astype(np.float32)
    else:
        for name in ("intensity", "polyphony", "bass_onsets", "active"):
            columns[name] = np.zeros(T, np.float32)
    columns["downbeat"] = grid.downbeat.astype(np.float32)
    columns["on_beat"] = grid.on_beat.astype(np.float32)
    bar_phase = 2 * np.pi * grid.step_in_bar / np.maximum(grid.bar_length, 1)
    columns["bar_phase_sin"] = np.sin(bar_phase)
    columns["bar_phase_cos"] = np.cos(bar_phase)
    beat_phase = 2 * np.pi * (grid.step_in_bar % grid.steps_per_beat) / grid.steps_per_beat
    columns["beat_phase_sin"] = np.sin(beat_phase)
    columns["beat_phase_cos"] = np.cos(beat_phase)
    columns["tempo"] = grid.qpm / 200.0
    columns["song_present"] = np.full(T, 1.0 if has_song else 0.0)
    form = analyse_form(notes, grid, marker_times)
    bar = grid.bar
    starts_b = form.section_start.astype(np.float32)
    columns["section_start"] = starts_b[bar]
    pre = np.zeros_like(starts_b)
    pre[:-1] = starts_b[1:]
    columns["pre_section"] = pre[bar]
    columns["novelty"] = form.novelty[bar]
    columns["bar_onsets"] = _tame(form.onsets.astype(np.float64))[bar] if form.onsets.size else np.zeros(T)
    columns["ref_similarity"] = form.similarity[bar]
    feel = song_feel(notes, grid)
    columns["song_offgrid"] = np.full(T, feel["offgrid"])
    columns["song_timing"] = np.full(T, min(4 * feel["timing"], 1.0))
    columns["song_velocity"] = np.full(T, feel["velocity"] / 127.0)
    columns["song_velocity_sd"] = np.full(T, min(feel["velocity_sd"] / 64.0, 1.0))
    features = np.stack([np.asarray(columns[n], np.float32) for n in names], axis=1)
    return features, form.reference_steps(grid), form


def feature_index(name: str, names: tuple[str, ...] = FEATURE_NAMES) -> int:
    """Column of a feature."""
    return names.index(name)


def bar_index(features: np.ndarray, names: tuple[str, ...] = FEATURE_NAMES) -> np.ndarray:
    """``(T,)`` bar number of each step, from the downbeat column."""
    down = features[:, names.index("downbeat")] > 0.5
    down[0] = True
    return np.cumsum(down) - 1


def step_in_bar(features: np.ndarray, names: tuple[str, ...] = FEATURE_NAMES) -> np.ndarray:
    """``(T,)`` position of each step in its bar (0 on the downbeat), from the downbeat column."""
    bars = bar_index(features, names)
    return np.arange(features.shape[0]) - np.searchsorted(bars, bars)


def onset_push(grid: Grid, times: np.ndarray) -> np.ndarray:
    """``(T,)`` float32: the median signed offset (in steps) of the onsets ``times`` (seconds) that
    fall nearest each step, NaN at steps with none: where the song's players push or lay back."""
    push = np.full(grid.num_steps, np.nan, np.float32)
    times = np.asarray(times, np.float64)
    if times.size == 0:
        return push
    steps, offsets = grid.nearest_step(times)
    inside = np.abs(offsets) <= 0.5
    steps, offsets = steps[inside], offsets[inside]
    if steps.size == 0:
        return push
    order = np.lexsort((offsets, steps))  # by step, then offset: each step's onsets in order
    steps, offsets = steps[order], offsets[order]
    first = np.flatnonzero(np.r_[True, np.diff(steps) > 0])
    count = np.diff(np.r_[first, steps.size])
    push[steps[first]] = 0.5 * (offsets[first + (count - 1) // 2] + offsets[first + count // 2])  # the median
    return push
