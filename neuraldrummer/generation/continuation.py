"""Continue a groove: keep the given bars exactly and play on, as a drummer would."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..analysis.drums import DrumArrays
from ..errors import ConfigError, NoDrumsError
from ..analysis.features import compute_features
from .decoding import generate
from .settings import GenerationSettings
from ..analysis.roll_midi import conductor_grid, drum_midi
from ..io.midi import LoadedMidi
from .runtime import DrummerRuntime

#: the most bars ``continue`` adds: 1,000 bars is half an hour at 120 bpm in 4/4 (100,000 bars ran for a minute
#: and wrote a file with ticks no MIDI reader takes)
MAX_NEW_BARS = 1000


@dataclass
class Groove:
    """A drum prompt: drums, bar lengths (steps), meters and tempo."""

    drums: DrumArrays
    bar_lengths: list[int]
    meters: list[tuple[int, int] | None]
    tempo: float
    #: the MIDI file the groove came from (``None`` for a text roll), written back verbatim
    source: LoadedMidi | None = None
    #: ``(steps + 1,)`` tick of each step start in ``source`` (the groove's bars)
    step_ticks: np.ndarray | None = None
    #: steps of the given groove (the rest, if any, was played on)
    prompt_steps: int | None = None


def read_groove(path: str | Path, steps_per_beat: int, tempo: float | None = None) -> Groove:
    """A groove from a drum MIDI file or a text drum-roll (``.txt``); trailing empty bars dropped."""
    path = Path(path)
    if path.suffix.lower() == ".txt":
        from ..analysis.text_roll import read_text_roll

        roll = read_text_roll(path)
        if roll.steps_per_beat != steps_per_beat:
            raise ConfigError(f"the roll has {roll.steps_per_beat} steps per beat, the model {steps_per_beat}", path)
        groove = Groove(roll.drums, roll.bar_lengths, roll.meters, tempo or 120.0)
    else:
        from ..analysis.song import encode_song

        if tempo is not None:
            raise ConfigError("--tempo is for text rolls: a MIDI groove keeps its own tempo map", path)
        song = encode_song(path, steps_per_beat)
        if not song.has_drums:
            raise NoDrumsError("no drum notes to continue", path)
        grid = song.grid
        groove = Groove(song.drums, grid.bar_lengths, [tuple(m) for m in grid.meters.tolist()],
                        float(grid.qpm[0]), song.loaded, grid.ticks)
    # drop trailing empty bars
    starts = np.concatenate([[0], np.cumsum(groove.bar_lengths)])
    keep = len(groove.bar_lengths)
    while keep > 0 and not groove.drums.hits[starts[keep - 1]:starts[keep]].any():
        keep -= 1
    if keep == 0:
        raise NoDrumsError("no drum notes to continue", path)
    steps = int(starts[keep])
    return Groove(groove.drums[:steps], groove.bar_lengths[:keep], groove.meters[:keep], groove.tempo,
                  groove.source, None if groove.step_ticks is None else groove.step_ticks[:steps + 1], steps)


def continue_groove(groove: Groove, bars: int, runtime: DrummerRuntime,
                    settings: GenerationSettings | None = None) -> Groove:
    """The groove followed by ``bars`` new bars in the meter of its last bar."""
    if not 1 <= bars <= MAX_NEW_BARS:
        raise ConfigError(f"--bars must be 1-{MAX_NEW_BARS}, got {bars}")
    settings = settings or GenerationSettings()
    lengths = groove.bar_lengths + [groove.bar_lengths[-1]] * bars
    meters = list(groove.meters) + [groove.meters[-1]] * bars
    _, grid, pm = conductor_grid(lengths, runtime.config.steps_per_beat, groove.tempo, meters)
    features = compute_features(pm, grid, runtime.config.feature_names)
    drums = generate(runtime, features, settings, prompt=groove.drums)
    ticks = None
    if groove.step_ticks is not None:  # the new steps go on at the pace of the groove's last step
        P = groove.drums.num_steps
        step = float(groove.step_ticks[-1] - groove.step_ticks[-2]) if P else 1.0
        ticks = np.concatenate([groove.step_ticks,
                                groove.step_ticks[-1] + step * np.arange(1, drums.num_steps - P + 1)])
    return Groove(drums, lengths, meters, groove.tempo, groove.source, ticks, groove.drums.num_steps)


def groove_midi_bytes(groove: Groove, steps_per_beat: int, quantized: bool = False) -> bytes:
    """The continued groove as MIDI. From a MIDI file: that file with every event as it was (the
    groove's notes keep pitch, velocity, timing and channel) and the new bars added after it."""
    from ..io.midi import midi_to_bytes

    if groove.source is not None and groove.step_ticks is not None:
        from ..analysis.writing import splice_drums_bytes

        return splice_drums_bytes(groove.source, groove.drums, groove.step_ticks,
                                  int(groove.prompt_steps or 0), groove.drums.num_steps, quantized,
                                  keep_existing=True)
    return midi_to_bytes(drum_midi(groove.drums, groove.bar_lengths, steps_per_beat, groove.tempo,
                                   groove.meters, quantized))
