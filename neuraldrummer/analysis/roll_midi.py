"""Drum-only MIDI files from drum arrays (text rolls, loops, generated grooves)."""

from __future__ import annotations

import mido
import numpy as np

from .drums import DrumArrays
from ..beats.grid import TempoMap, build_grid
from ..io.midi import midi_to_bytes, read_midi_bytes
from .writing import drum_track
from .text_roll import TextRoll

RESOLUTION = 480


def conductor_grid(bar_lengths: list[int], steps_per_beat: int, tempo: float = 120.0,
                   meters: list[tuple[int, int] | None] | None = None):
    """A conductor track (tempo, meters) for bars of the given lengths, and its grid and
    drum-only song (for song features). Returns ``(track, grid, pretty_midi)``."""
    steps_per_beat = int(steps_per_beat)
    step_ticks = RESOLUTION // steps_per_beat
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo), time=0))
    last_tick, last_meter, tick = 0, None, 0
    for b, length in enumerate(bar_lengths):
        meter = (meters[b] if meters and meters[b] else None) or _meter_for(length, steps_per_beat)
        if meter != last_meter:
            conductor.append(mido.MetaMessage("time_signature", numerator=meter[0], denominator=meter[1],
                                              time=tick - last_tick))
            last_tick, last_meter = tick, meter
        tick += length * step_ticks
    conductor.append(mido.MetaMessage("end_of_track", time=tick - last_tick))
    # The grid of the conductor track alone, ending with the last bar.
    probe = read_midi_bytes(midi_to_bytes(mido.MidiFile(type=1, ticks_per_beat=RESOLUTION, tracks=[conductor])))
    end_time = float(TempoMap.from_pretty_midi(probe.pm).tick_to_time(tick))
    grid = build_grid(probe.pm, steps_per_beat, end_time=end_time - 1e-6)
    return conductor, grid, probe.pm


def drum_midi(drums: DrumArrays, bar_lengths: list[int], steps_per_beat: int, tempo: float = 120.0,
              meters: list[tuple[int, int] | None] | None = None, quantized: bool = False) -> mido.MidiFile:
    """A type-1 MIDI file: a conductor track (tempo, meters) and one drum track."""
    conductor, grid, _ = conductor_grid(bar_lengths, steps_per_beat, tempo, meters)
    mid = mido.MidiFile(type=1, ticks_per_beat=RESOLUTION)
    mid.tracks.append(conductor)
    if grid.num_steps < drums.num_steps:
        raise ValueError("grid shorter than the drums")
    padded = DrumArrays.concatenate([drums, DrumArrays.empty(grid.num_steps - drums.num_steps, drums.hits.shape[1])])
    mid.tracks.append(drum_track(padded, grid, quantized))
    return mid


def _meter_for(length: int, steps_per_beat: int) -> tuple[int, int]:
    """A plausible time signature for a bar of ``length`` steps."""
    quarters = length / steps_per_beat
    if float(quarters).is_integer():
        return int(quarters), 4
    eighths = length * 2 / steps_per_beat
    if float(eighths).is_integer():
        return int(eighths), 8
    return int(np.ceil(quarters)), 4


def roll_to_midi_bytes(roll: TextRoll, tempo: float = 120.0) -> bytes:
    return midi_to_bytes(drum_midi(roll.drums, roll.bar_lengths, roll.steps_per_beat, tempo, roll.meters))
