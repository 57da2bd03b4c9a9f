"""Drum arrays: hits, velocities and micro-timing per grid step and drum class.

Encode (MIDI drum notes -> arrays) and decode (arrays -> drum notes at the song's own
step times) live side by side; ``tests/test_drums.py`` checks the round trip.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pretty_midi

from .drum_map import CANONICAL_PITCHES, CRASH_CLASSES, NUM_CLASSES, PITCH_TO_CLASS
from ..beats.grid import Grid


@dataclass
class DrumArrays:
    """Drums on a grid of ``T`` steps and ``C`` classes.

    Attributes
    ----------
    hits
        ``(T, C)`` bool.
    velocity
        ``(T, C)`` float32 in [0, 1] (MIDI velocity / 127); 0 where there is no hit.
    offset
        ``(T, C)`` float32 micro-timing in fractions of a step, within [-0.5, 0.5];
        0 where there is no hit.
    """

    hits: np.ndarray
    velocity: np.ndarray
    offset: np.ndarray

    @classmethod
    def empty(cls, num_steps: int, num_classes: int = NUM_CLASSES) -> "DrumArrays":
        return cls(
            np.zeros((num_steps, num_classes), bool),
            np.zeros((num_steps, num_classes), np.float32),
            np.zeros((num_steps, num_classes), np.float32),
        )

    @classmethod
    def from_hits(cls, hits: np.ndarray, velocity: float = 0.8) -> "DrumArrays":
        """Hits only, at one velocity, on the grid."""
        hits = np.asarray(hits, bool)
        return cls(hits, np.where(hits, np.float32(velocity), np.float32(0)), np.zeros(hits.shape, np.float32))

    @property
    def num_steps(self) -> int:
        return int(self.hits.shape[0])

    def __getitem__(self, index: slice) -> "DrumArrays":
        return DrumArrays(self.hits[index], self.velocity[index], self.offset[index])

    def stacked(self) -> np.ndarray:
        """``(T, 3C)`` float32: hits (0/1), velocities and offsets side by side, as the model reads them."""
        return np.concatenate([self.hits, self.velocity, self.offset], axis=1).astype(np.float32)

    def quantized(self) -> "DrumArrays":
        """The same hits and velocities with every onset on the grid."""
        return DrumArrays(self.hits.copy(), self.velocity.copy(), np.zeros_like(self.offset))

    @staticmethod
    def concatenate(parts: list["DrumArrays"]) -> "DrumArrays":
        return DrumArrays(
            np.concatenate([p.hits for p in parts]),
            np.concatenate([p.velocity for p in parts]),
            np.concatenate([p.offset for p in parts]),
        )


@dataclass
class DrumEncoding:
    """Result of :func:`encode_drums`: the arrays and what could not be placed."""

    drums: DrumArrays
    num_notes: int = 0
    unknown_pitches: Counter = field(default_factory=Counter)
    #: notes that fell on an already-hit (step, class); the loudest is kept
    merged_notes: int = 0


def drum_notes(pm: pretty_midi.PrettyMIDI) -> list[pretty_midi.Note]:
    """Every note of every drum instrument (several drum tracks merge into one)."""
    return [note for inst in pm.instruments if inst.is_drum for note in inst.notes]


def encode_drums(pm: pretty_midi.PrettyMIDI, grid: Grid) -> DrumEncoding:
    """Drum notes of a song on its grid.

    Each note goes to its nearest step; when several notes of one class land on the
    same step the loudest one is kept (its velocity and offset).
    """
    notes = drum_notes(pm)
    drums = DrumArrays.empty(grid.num_steps)
    if not notes:
        return DrumEncoding(drums)
    pitch = np.fromiter((n.pitch for n in notes), np.int64, len(notes))
    start = np.fromiter((n.start for n in notes), np.float64, len(notes))
    velocity = np.fromiter((n.velocity for n in notes), np.float32, len(notes)) / 127.0
    klass = PITCH_TO_CLASS[np.clip(pitch, 0, 127)].astype(np.int64)
    unknown = Counter(int(p) for p in pitch[klass < 0])
    known = klass >= 0
    pitch, start, velocity, klass = pitch[known], start[known], velocity[known], klass[known]
    steps, offsets = grid.nearest_step(start)
    offsets = np.clip(offsets, -0.5, 0.5)
    # Place quietest first so the loudest note of a (step, class) cell wins.
    order = np.argsort(velocity, kind="stable")
    steps, klass, velocity, offsets = steps[order], klass[order], velocity[order], offsets[order]
    drums.hits[steps, klass] = True
    drums.velocity[steps, klass] = velocity
    drums.offset[steps, klass] = offsets
    cells = np.unique(steps * NUM_CLASSES + klass).size
    return DrumEncoding(drums, int(known.sum()), unknown, int(known.sum()) - cells)


@dataclass
class DrumEvents:
    """Decoded drum notes: parallel arrays sorted by time."""

    ticks: np.ndarray  # float64 tick positions
    times: np.ndarray  # float64 seconds
    pitches: np.ndarray  # int
    velocities: np.ndarray  # int 1..127
    step_ticks: float


def decode_drum_ticks(drums: DrumArrays, step_ticks: np.ndarray,
                      quantized: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ticks (float), GM pitches and MIDI velocities of the hits, sorted by time.

    ``step_ticks`` ``(T + 1,)``: the tick of each step start and the end of the last step."""
    steps, classes = np.nonzero(drums.hits)
    offset = np.zeros(steps.size) if quantized else drums.offset[steps, classes].astype(np.float64)
    step_len = np.diff(np.asarray(step_ticks, np.float64))[steps]
    ticks = np.maximum(np.asarray(step_ticks, np.float64)[steps] + offset * step_len, 0.0)
    velocity = np.clip(np.rint(drums.velocity[steps, classes] * 127.0), 1, 127).astype(np.int64)
    pitches = np.asarray(CANONICAL_PITCHES, np.int64)[classes]
    order = np.lexsort((pitches, ticks))
    return ticks[order], pitches[order], velocity[order]


def decode_drums(drums: DrumArrays, grid: Grid, quantized: bool = False) -> DrumEvents:
    """Drum arrays to note events at the song's own step positions (ticks and seconds)."""
    ticks, pitches, velocity = decode_drum_ticks(drums, grid.ticks, quantized)
    return DrumEvents(
        ticks=ticks,
        times=grid.tempo_map.tick_to_time(ticks),
        pitches=pitches,
        velocities=velocity,
        step_ticks=float(grid.tempo_map.resolution / grid.steps_per_beat),
    )


def drums_to_instrument(
    drums: DrumArrays, grid: Grid, name: str = "NeuralDrummer", quantized: bool = False
) -> pretty_midi.Instrument:
    """A pretty_midi drum instrument (seconds) for plotting or in-memory use."""
    events = decode_drums(drums, grid, quantized)
    inst = pretty_midi.Instrument(program=0, is_drum=True, name=name)
    step_seconds = np.interp(events.times, grid.starts, grid.durations) if events.times.size else []
    for t, p, v, d in zip(events.times, events.pitches, events.velocities, step_seconds):
        inst.notes.append(pretty_midi.Note(int(v), int(p), float(t), float(t + 0.5 * d)))
    return inst


def stray_onsets(bar: np.ndarray, sound: np.ndarray, klass: np.ndarray, num_bars: int) -> np.ndarray:
    """``(n,)`` bool for onsets in bars ``bar`` of sounds ``sound`` (pitches or classes) of drum
    classes ``klass``: stray hits, the only onset of their sound in their bar while that sound plays in
    neither the bar before nor the bar after (crashes, splashes and Chinas excepted: they mark a bar
    on their own). The rule of the evaluation's ``stray_hit_share`` and of the decoding's clean-up."""
    bar = np.asarray(bar, np.int64)
    sounds, which = np.unique(np.asarray(sound), return_inverse=True)
    count = np.zeros((num_bars + 2, sounds.size), np.int64)  # a silent bar either side of the song
    np.add.at(count, (bar + 1, which), 1)
    alone = count[bar + 1, which] == 1
    around = (count[bar, which] > 0) | (count[bar + 2, which] > 0)
    return alone & ~around & ~np.isin(klass, CRASH_CLASSES)
