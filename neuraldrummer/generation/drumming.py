"""The jobs a user runs: drum a song file, re-roll bars of a drummed song."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis.drums import DrumArrays
from ..errors import ConfigError, NoDrumsError
from ..analysis.song import grid_reason
from .decoding import generate
from .runtime import DrummerRuntime
from .settings import GenerationSettings

logger = logging.getLogger(__name__)


@dataclass
class DrumResult:
    """What :func:`drum_song` did."""

    output: Path | None
    drums: DrumArrays
    song: object  # EncodedSong
    seconds: float
    info: dict = field(default_factory=dict)


def default_output_path(input_path: Path) -> Path:
    """``song.mid`` -> ``song_drums.mid`` beside it (never the input itself)."""
    return input_path.with_name(f"{input_path.stem}_drums.mid")


def drum_song(input_path: str | Path, output_path: str | Path | None, model: str | Path | DrummerRuntime,
              settings: GenerationSettings | None = None, keep_drums: bool = False) -> DrumResult:
    """The main job: read a song, drum it, write the combined MIDI (atomically)."""
    from ..analysis.song import encode_song
    from ..analysis.writing import write_drummed_song

    started = time.perf_counter()
    settings = settings or GenerationSettings()
    runtime = model if isinstance(model, DrummerRuntime) else DrummerRuntime.load(model)
    song = encode_song(input_path, runtime.config.steps_per_beat, runtime.config.feature_names, require_pitched=True,
                       regrid=settings.regrid, beats_per_bar=settings.beats_per_bar)
    if song.info.get("grid") == "beats":
        logger.warning("%s: %s; drumming on the beats and %d-beat bars found in the music (%.1f bpm; "
                       "--keep-grid keeps the file's grid, --meter N/4 sets the bar)", input_path,
                       grid_reason(song.info), song.info["beats_per_bar"], song.info["estimated_qpm"])
    elif song.info.get("grid") == "regridded":
        logger.warning("%s: the tempo map does not fit the notes (%.0f%% of onsets off its 16th grid); "
                       "drumming on a grid re-estimated from the notes (%.1f bpm)", input_path,
                       100 * song.info["off_grid_share"], song.info["estimated_qpm"])
    elif song.info.get("grid") == "misfit":
        logger.warning("%s: the tempo map does not fit the notes (%.0f%% of onsets off its 16th grid) "
                       "and no steady tempo was found; drumming on the file's own grid", input_path,
                       100 * song.info["off_grid_share"])
    drums = generate(runtime, song.features, settings.for_song(song.info), reference=song.reference)
    out = None
    if output_path is not None:
        out = write_drummed_song(song.loaded, drums, song.grid, output_path, keep_drums=keep_drums,
                                 quantized=settings.quantized)
    return DrumResult(out, drums, song, time.perf_counter() - started)


def parse_bar_range(text: str) -> tuple[int, int]:
    """``"17-24"`` -> ``(17, 24)``; ``"9"`` -> ``(9, 9)`` (bars counted from 1, both ends included)."""
    parts = str(text).replace("..", "-").split("-")
    try:
        first, last = (int(parts[0]), int(parts[-1])) if len(parts) in (1, 2) else (0, 0)
    except ValueError:
        first = last = 0
    if first < 1 or last < first:
        raise ConfigError(f"bars to redo must read like 17-24 (first and last bar, from 1), not '{text}'")
    return first, last


def redo_bars(input_path: str | Path, output_path: str | Path, model: str | Path | DrummerRuntime,
              bars: tuple[int, int], settings: GenerationSettings | None = None) -> DrumResult:
    """Draw bars ``bars[0]..bars[1]`` (from 1, inclusive) of a drummed song again; write the result.

    Every drum note outside the range is written exactly as it was (see
    :func:`neuraldrummer.analysis.writing.splice_drums_bytes`); the new bars continue from the drums before them and
    are chosen among ``settings.redo_candidates`` takes for how well they lead into the next bar.
    """
    from ..io.midi import write_midi
    from ..analysis.song import encode_song
    from ..analysis.writing import splice_drums_bytes

    started = time.perf_counter()
    settings = settings or GenerationSettings()
    runtime = model if isinstance(model, DrummerRuntime) else DrummerRuntime.load(model)
    song = encode_song(input_path, runtime.config.steps_per_beat, runtime.config.feature_names, require_pitched=True,
                       regrid=settings.regrid, beats_per_bar=settings.beats_per_bar)
    if not song.has_drums:
        raise NoDrumsError("no drums to keep around the bars to redo (drum the song first)", input_path)
    grid = song.grid
    first, last = bars
    if last > grid.num_bars:
        raise ConfigError(f"bars {first}-{last} are not all in the song (bars 1-{grid.num_bars})", input_path)
    r0 = int(grid.bar_starts[first - 1])
    r1 = int(grid.bar_starts[last]) if last < grid.num_bars else grid.num_steps
    drums = generate(runtime, song.features, settings.for_song(song.info), prompt=song.drums, reference=song.reference,
                     redo=(r0, r1))
    out = write_midi(splice_drums_bytes(song.loaded, drums, grid.ticks, r0, r1, settings.quantized), output_path,
                     input_path)
    return DrumResult(out, drums, song, time.perf_counter() - started)
