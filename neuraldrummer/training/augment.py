"""The same drums under another performance of the music: augmentations of a song's pitched notes.

The drummer must play a groove on songs played in by hand on a keyboard (no click, onsets 15-45%
off the 16th grid, velocities spread wide, often one piano part), yet nearly all songs with drums
to learn from are sequenced. So the corpus keeps, beside each song's features, the features of
the song read one other way (``features_aug.npy``), chosen per song from its md5
(:func:`augment_notes`), with the song's own grid and drums unchanged:

``drop_instrument``
    one pitched instrument left out (the drums follow what is there, not one part);
``played_by_hand``
    every onset moved as a player's would be: a chord's notes together by a common amount
    (normal, standard deviation 0.005-0.05 of a beat, chosen per song), each note a little on its
    own, and a slow push and pull over a few bars; durations kept. Velocities redrawn around a
    level and spread of the player's (keeping which notes were louder), so the song's feel
    features read like those of a song played by hand;
``piano_by_hand``
    all pitched parts merged into one piano part (bass by register alone), then played by hand.

Songs with one pitched instrument get one of the last two. Where a training window reads a song
played by hand, its drums are played by hand too (:func:`drums_played_by_hand`): each hit moved as
loosely as the song's parts now are and its velocity varied, so the drummer learns to breathe with
a song played by hand and to stay on the grid under a sequenced one. The grid is the song's own: the beat
and bar tracking of :mod:`neuraldrummer.beats.beat` and :mod:`neuraldrummer.beats.meter`
gives songs played by hand the grid their beats make, and the drums are learned on it.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ..analysis.features import BASS_PITCH
from ..beats.grid import Grid

RECIPES = ("drop_instrument", "played_by_hand", "piano_by_hand")
#: the recipes whose songs are played by hand (their training windows get drums played by hand too)
BY_HAND = ("played_by_hand", "piano_by_hand")
#: spread of a hand-played drum part's velocity: per hit, and of its level per window (velocity 0-1)
DRUM_VELOCITY_NOISE = 0.05
DRUM_VELOCITY_LEVEL = 0.04
#: recorded in a corpus's journal header and summary: a corpus built with other recipes is rebuilt
AUGMENT_VERSION = 2
#: range of the per-song standard deviation of a chord's onset shift, in beats
TIMING_SD_BEATS = (0.005, 0.05)
#: ranges of the player's mean velocity, velocity spread and per-note velocity noise (MIDI units)
VELOCITY_LEVEL = (45.0, 112.0)
VELOCITY_SPREAD = (5.0, 22.0)
VELOCITY_NOISE = (3.0, 10.0)


def _take(notes: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[keep] for k, v in notes.items()}


def drop_instrument(notes: dict[str, np.ndarray], instrument: int) -> dict[str, np.ndarray]:
    """The notes without those of pitched instrument number ``instrument``."""
    return _take(notes, notes["instrument"] != instrument)


def piano_reduction(notes: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """All pitched notes as one part (instrument 0), bass by register alone."""
    out = dict(notes)
    out["instrument"] = np.zeros_like(notes["instrument"])
    out["is_bass"] = notes["pitch"] < BASS_PITCH
    return out


def played_by_hand(notes: dict[str, np.ndarray], grid: Grid, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The notes as if played in by hand (see the module docstring); sorted as given."""
    out = dict(notes)
    start = notes["start"].astype(np.float64)
    if start.size == 0:
        return out
    steps, _ = grid.nearest_step(start)
    beat_seconds = 60.0 / np.maximum(grid.qpm[steps].astype(np.float64), 1.0)
    sd = rng.uniform(*TIMING_SD_BEATS)
    chord, group = np.unique(np.round(start, 3), return_inverse=True)
    shift = rng.normal(0.0, sd, chord.size)[group] + rng.normal(0.0, sd / 4, start.size)
    period = rng.uniform(8.0, 32.0)  # beats
    beat_position = steps / grid.steps_per_beat
    shift += 0.5 * sd * np.sin(2 * np.pi * beat_position / period + rng.uniform(0, 2 * np.pi))
    moved = np.maximum(start + shift * beat_seconds, 0.0)
    out["start"] = moved
    out["end"] = np.maximum(notes["end"] + (moved - start), moved + 0.01)
    v = notes["velocity"].astype(np.float64)
    z = (v - v.mean()) / v.std() if v.std() > 0 else np.zeros_like(v)
    velocity = (rng.uniform(*VELOCITY_LEVEL) + rng.uniform(*VELOCITY_SPREAD) * z
                + rng.normal(0.0, rng.uniform(*VELOCITY_NOISE), v.size))
    out["velocity"] = np.clip(np.rint(velocity), 1, 127).astype(np.float32)
    return out


def seed_of(md5: str) -> int:
    """A song's augmentation seed, from its md5 (the same song is always augmented the same way)."""
    return int(hashlib.sha256(f"augment:{md5}".encode()).hexdigest()[:15], 16)


def augment_notes(notes: dict[str, np.ndarray], grid: Grid, md5: str) -> tuple[dict[str, np.ndarray], str]:
    """One augmentation of a song's pitched ``notes`` and the name of its recipe (:data:`RECIPES`)."""
    rng = np.random.default_rng(seed_of(md5))
    instruments = int(np.unique(notes["instrument"]).size)
    recipe = RECIPES[int(rng.integers(0, 3))] if instruments >= 2 else RECIPES[int(rng.integers(1, 3))]
    if recipe == "drop_instrument":
        return drop_instrument(notes, int(rng.integers(0, instruments))), recipe
    if recipe == "piano_by_hand":
        notes = piano_reduction(notes)
    return played_by_hand(notes, grid, rng), recipe


def drums_played_by_hand(targets: np.ndarray, song_timing: float, steps_per_beat: int,
                         rng: np.random.Generator) -> np.ndarray:
    """``(T, 3C)`` drum targets (hits, velocities, offsets) played by hand: each hit's offset moved
    by a normal amount as loose as the song's parts (``song_timing``, the feature: 4 x their mean
    distance from the 16th grid, in 16ths), its velocity varied per hit and per window."""
    C = targets.shape[1] // 3
    out = targets.copy()
    hits = out[:, :C] > 0.5
    n = int(hits.sum())
    if n == 0:
        return out
    sd_steps = 1.25 * (song_timing / 4.0) * steps_per_beat / 4.0  # mean |x| -> sd, 16ths -> steps
    off = out[:, 2 * C:]
    off[hits] = np.clip(off[hits] + rng.normal(0.0, sd_steps, n), -0.5, 0.5)
    vel = out[:, C:2 * C]
    level = rng.normal(0.0, DRUM_VELOCITY_LEVEL)
    vel[hits] = np.clip(vel[hits] + level + rng.normal(0.0, DRUM_VELOCITY_NOISE, n), 1 / 127, 1.0)
    return out
