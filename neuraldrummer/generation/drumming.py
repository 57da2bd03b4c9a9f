"""The jobs a user runs: drum a song file, re-roll bars of a drummed song."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis.drums import DrumArrays
from ..errors import ConfigError, NoDrumsError
from ..analysis.song import bar_words, grid_reason
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


def write_song_files(data: bytes, output_path: str | Path, source: str | Path, audio_path: str | Path | None = None,
                     soundfont: str | Path | None = None) -> Path:
    """Write a drummed song's MIDI ``data`` to ``output_path`` (atomically, never over ``source``) and, with
    ``audio_path``, its audio rendered with ``soundfont``. The audio is rendered and written first, so a
    soundfont that fails to render leaves neither file."""
    from ..io.midi import refuse_overwriting, write_midi

    refuse_overwriting(output_path, source)  # before the audio is written, not after
    if audio_path is not None:
        from ..io.audio import write_audio

        write_audio(data, audio_path, soundfont=soundfont)
    out = write_midi(data, output_path, source)
    logger.info("wrote %s", out)
    return out


def drum_song(input_path: str | Path, output_path: str | Path | None, model: str | Path | DrummerRuntime,
              settings: GenerationSettings | None = None, keep_drums: bool = False,
              audio_path: str | Path | None = None, soundfont: str | Path | None = None) -> DrumResult:
    """The main job: read a song, drum it, write the combined MIDI (atomically); with ``audio_path``, its
    audio too (:func:`write_song_files`)."""
    from ..analysis.song import encode_song
    from ..analysis.writing import combine_bytes

    started = time.perf_counter()
    settings = settings or GenerationSettings()
    runtime = model if isinstance(model, DrummerRuntime) else DrummerRuntime.load(model)
    song = encode_song(input_path, runtime.config.steps_per_beat, runtime.config.feature_names, require_pitched=True,
                       regrid=settings.regrid, beats_per_bar=settings.beats_per_bar)
    if song.info.get("grid") == "beats":
        logger.warning("%s: %s; drumming on the beats and %s found in the music (%.1f bpm; "
                       "--keep-grid keeps the file's grid, --meter N/4 sets the bar)", input_path,
                       grid_reason(song.info), bar_words(song.info), song.info["estimated_qpm"])
    elif song.info.get("grid") == "regridded":
        logger.warning("%s: the tempo map does not fit the notes (%.0f%% of onsets off its 16th grid); "
                       "drumming on a grid re-estimated from the notes (%.1f bpm)", input_path,
                       100 * song.info["off_grid_share"], song.info["estimated_qpm"])
    elif song.info.get("grid") == "misfit":
        logger.warning("%s: the tempo map does not fit the notes (%.0f%% of onsets off its 16th grid) "
                       "and no steady tempo was found; drumming on the file's own grid", input_path,
                       100 * song.info["off_grid_share"])
    drums = generate(runtime, song.features, settings.for_song(song.info), reference=song.reference, push=song.push)
    out = None
    if output_path is not None:
        data = combine_bytes(song.loaded, drums, song.grid, keep_drums, settings.quantized)
        out = write_song_files(data, output_path, input_path, audio_path, soundfont)
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
              bars: tuple[int, int], settings: GenerationSettings | None = None,
              audio_path: str | Path | None = None, soundfont: str | Path | None = None) -> DrumResult:
    """Draw bars ``bars[0]..bars[1]`` (from 1, inclusive) of a drummed song again; write the result (with
    ``audio_path``, its audio too: :func:`write_song_files`).

    Every drum note outside the range is written exactly as it was (see
    :func:`neuraldrummer.analysis.writing.splice_drums_bytes`); the new bars continue from the drums before them and
    are chosen among ``settings.redo_candidates`` takes for how well they lead into the next bar.
    """
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
                     redo=(r0, r1), push=song.push)
    out = write_song_files(splice_drums_bytes(song.loaded, drums, grid.ticks, r0, r1, settings.quantized),
                           output_path, input_path, audio_path, soundfont)
    return DrumResult(out, drums, song, time.perf_counter() - started)


def default_mix_path(input_path: Path) -> Path:
    """``demo.wav`` -> ``demo_drums.wav`` beside it (the recording mixed with its drums)."""
    return input_path.with_name(f"{input_path.stem}_drums.wav")


@dataclass
class Recording:
    """A recording read and put on the beats and bars found in it (see :func:`read_recording_song`)."""

    audio: object  # (samples, channels) float32
    rate: int
    notes: object  # pretty_midi.PrettyMIDI: the transcription
    song: object  # EncodedSong of the transcription, on the recording's beats


def read_recording_song(input_path: str | Path, runtime: DrummerRuntime, beats_per_bar: int | None = None,
                        max_seconds: float | None = None, progress: bool = False) -> Recording:
    """Read a recording, transcribe it and find its beats and bars (the transcription's file grid
    means nothing: ``regrid="music"``)."""
    import io

    from ..analysis.song import encode_song
    from ..errors import RecordingError
    from ..io.midi import read_midi_bytes
    from ..io.transcribe import MAX_AUDIO_SECONDS, read_recording, transcribe, transcriber_modules

    input_path = Path(input_path)
    transcriber_modules()  # the one-line message naming what to install, before any work
    audio, rate = read_recording(input_path, MAX_AUDIO_SECONDS if max_seconds is None else max_seconds)
    notes = transcribe(audio, rate, progress=progress)
    pitched = sum(len(i.notes) for i in notes.instruments)
    if pitched < 16:
        raise RecordingError(f"too little pitched music to drum along to ({pitched} notes transcribed)", input_path)
    buf = io.BytesIO()
    notes.write(buf)
    song = encode_song(read_midi_bytes(buf.getvalue(), input_path), runtime.config.steps_per_beat,
                       runtime.config.feature_names, require_pitched=True, regrid="music",
                       beats_per_bar=beats_per_bar)
    logger.info("%s: %d notes transcribed; %s", input_path, pitched, grid_reason(song.info))
    return Recording(audio, rate, notes, song)


def recording_mix(recording: Recording, drums: DrumArrays, quantized: bool = False, sample_rate: int | None = None,
                  soundfont: str | Path | None = None):
    """The recording mixed with its rendered drums (with ``soundfont``, default the renderer's own): float32
    ``(samples, 2)`` at ``sample_rate`` (default the recording's own)."""
    from ..analysis.writing import beat_aligned_midi
    from ..io.audio import DEFAULT_SAMPLE_RATE, mix_with_recording, render_audio
    from ..io.midi import midi_to_bytes
    from ..io.transcribe import resample

    rendered = render_audio(midi_to_bytes(beat_aligned_midi(drums, recording.song.grid, quantized)),
                            soundfont=soundfont)
    mix = mix_with_recording(recording.audio, recording.rate, rendered, DEFAULT_SAMPLE_RATE)
    return mix if sample_rate is None else resample(mix, recording.rate, sample_rate)


def drum_recording(input_path: str | Path, output_path: str | Path | None, model: str | Path | DrummerRuntime,
                   settings: GenerationSettings | None = None, mix_path: str | Path | None = None,
                   with_transcription: bool = False, max_seconds: float | None = None,
                   progress: bool = False, soundfont: str | Path | None = None) -> DrumResult:
    """Drum a recording: transcribe it, find its beats and bars, drum it, write the drums as MIDI with a
    tempo map that follows the recording (:func:`~neuraldrummer.analysis.writing.beat_aligned_midi`) and,
    with ``mix_path``, the recording mixed with the drums rendered with ``soundfont`` (default the renderer's
    own). Nothing is written on failure."""
    from ..analysis.writing import beat_aligned_midi
    from ..io.audio import audio_bytes
    from ..io.midi import atomic_write_bytes, write_midi

    started = time.perf_counter()
    settings = settings or GenerationSettings()
    input_path = Path(input_path)
    if mix_path is not None and Path(mix_path).resolve() == input_path.resolve():
        raise ConfigError("the mix would overwrite the recording itself; give another --audio name", mix_path)
    runtime = model if isinstance(model, DrummerRuntime) else DrummerRuntime.load(model)
    rec = read_recording_song(input_path, runtime, settings.beats_per_bar, max_seconds, progress)
    song = rec.song
    drums = generate(runtime, song.features, settings.for_song(song.info), reference=song.reference, push=song.push)
    midi = beat_aligned_midi(drums, song.grid, settings.quantized, rec.notes if with_transcription else None)
    mix = None
    if mix_path is not None:
        mix = audio_bytes(recording_mix(rec, drums, settings.quantized, soundfont=soundfont), rec.rate,
                          Path(mix_path).suffix)
    out = write_midi(midi, output_path, input_path) if output_path is not None else None
    if mix is not None:
        atomic_write_bytes(mix_path, mix)
    info = {"transcribed_notes": sum(len(i.notes) for i in rec.notes.instruments),
            "recording_seconds": rec.audio.shape[0] / rec.rate, "mix": None if mix_path is None else str(mix_path)}
    return DrumResult(out, drums, song, time.perf_counter() - started, info)


def drummed_midi_bytes(song, drums: DrumArrays, recording: Recording | None = None, quantized: bool = False) -> bytes:
    """The drummed song as MIDI bytes: the input with its new drum track, or for a recording the drums
    on a tempo map that follows it."""
    from ..io.midi import midi_to_bytes

    if recording is not None:
        from ..analysis.writing import beat_aligned_midi

        return midi_to_bytes(beat_aligned_midi(drums, recording.song.grid, quantized))
    from ..analysis.writing import combine_bytes

    return combine_bytes(song.loaded, drums, song.grid, quantized=quantized)


def preview_mp3(song, drums: DrumArrays, recording: Recording | None = None, quantized: bool = False,
                sample_rate: int = 22050) -> bytes:
    """MP3 bytes to hear in a page: the drummed song rendered, or the recording mixed with its drums."""
    from ..io.audio import audio_bytes, render_audio

    if recording is not None:
        return audio_bytes(recording_mix(recording, drums, quantized, sample_rate), sample_rate, ".mp3")
    return audio_bytes(render_audio(drummed_midi_bytes(song, drums, None, quantized), sample_rate), sample_rate,
                       ".mp3")
