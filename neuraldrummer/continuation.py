"""Continue a groove: keep the given bars exactly and play on, as a drummer would."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .drums import DrumArrays
from .errors import ConfigError, NoDrumsError
from .features import compute_features
from .generate import GenerationSettings, generate
from .roll_midi import conductor_grid, drum_midi
from .runtime import DrummerRuntime


@dataclass
class Groove:
    """A drum prompt: drums, bar lengths (steps), meters and tempo."""

    drums: DrumArrays
    bar_lengths: list[int]
    meters: list[tuple[int, int] | None]
    tempo: float


def read_groove(path: str | Path, steps_per_beat: int, tempo: float | None = None) -> Groove:
    """A groove from a drum MIDI file or a text drum-roll (``.txt``); trailing empty bars dropped."""
    path = Path(path)
    if path.suffix.lower() == ".txt":
        from .text_roll import read_text_roll

        roll = read_text_roll(path)
        if roll.steps_per_beat != steps_per_beat:
            raise ConfigError(f"the roll has {roll.steps_per_beat} steps per beat, the model {steps_per_beat}", path)
        groove = Groove(roll.drums, roll.bar_lengths, roll.meters, tempo or 120.0)
    else:
        from .song import encode_song

        song = encode_song(path, steps_per_beat)
        if not song.has_drums:
            raise NoDrumsError("no drum notes to continue", path)
        grid = song.grid
        groove = Groove(song.drums, grid.bar_lengths, [tuple(m) for m in grid.meters.tolist()],
                        tempo or float(grid.qpm[0]))
    # drop trailing empty bars
    starts = np.concatenate([[0], np.cumsum(groove.bar_lengths)])
    keep = len(groove.bar_lengths)
    while keep > 0 and not groove.drums.hits[starts[keep - 1]:starts[keep]].any():
        keep -= 1
    if keep == 0:
        raise NoDrumsError("no drum notes to continue", path)
    return Groove(groove.drums[:int(starts[keep])], groove.bar_lengths[:keep], groove.meters[:keep], groove.tempo)


def continue_groove(groove: Groove, bars: int, runtime: DrummerRuntime,
                    settings: GenerationSettings | None = None) -> Groove:
    """The groove followed by ``bars`` new bars in the meter of its last bar."""
    if bars < 1:
        raise ConfigError(f"--bars must be at least 1, got {bars}")
    settings = settings or GenerationSettings()
    lengths = groove.bar_lengths + [groove.bar_lengths[-1]] * bars
    meters = list(groove.meters) + [groove.meters[-1]] * bars
    _, grid, pm = conductor_grid(lengths, runtime.config.steps_per_beat, groove.tempo, meters)
    features = compute_features(pm, grid, runtime.config.feature_names)
    drums = generate(runtime, features, settings, prompt=groove.drums)
    return Groove(drums, lengths, meters, groove.tempo)


def groove_midi_bytes(groove: Groove, steps_per_beat: int, quantized: bool = False) -> bytes:
    from .midi_io import midi_to_bytes

    return midi_to_bytes(drum_midi(groove.drums, groove.bar_lengths, steps_per_beat, groove.tempo,
                                   groove.meters, quantized))
