"""Audio in: read a recording and transcribe its pitched content to notes.

The notes come from Spotify's basic-pitch (ICASSP 2022), whose wheel ships its model as ONNX;
it runs here on onnxruntime on the CPU, without TensorFlow. These packages are optional
(``requirements-audio.txt``); the MIDI path never imports them, and audio given without them gets
a one-line :class:`~neuraldrummer.errors.AudioError` naming what to install.

The transcription is a :class:`pretty_midi.PrettyMIDI` at pretty_midi's default 120 bpm, with
times in seconds of the recording: the notes low enough to be a bass line on a bass track, the
rest on a piano track. Its beats and bars are then found in the music, as for a song played by hand.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path

import numpy as np

from ..errors import AudioError, RecordingError

logger = logging.getLogger(__name__)

#: recordings ``drum`` reads (libsndfile, inside soundfile's wheel, decodes them all)
AUDIO_INPUT_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff")
#: the longest recording read (a song-length limit: the grid and the model hold any song this long)
MAX_AUDIO_SECONDS = 15 * 60.0
#: a recording whose peak is below this (-60 dBFS) is silent
SILENCE_PEAK = 1e-3
#: transcribed notes below this pitch (C3) go on the bass track, as a MIDI file's notes are read as bass
#: (:data:`neuraldrummer.analysis.features.BASS_PITCH`) ...
BASS_PITCH = 48
#: ... except what basic-pitch makes up down there: a note heard an octave below a louder note that starts within
#: GHOST_WITHIN_SECONDS of it (the sub-octave of a left-hand note), or one quieter than BASS_FLOOR_SHARE times the
#: BASS_FLOOR_PERCENTILE-th percentile of the amplitudes (0-1) of the song's other notes down there (a faint note
#: never played). Of the 40 drumless songs rendered with pretty_midi's soundfont and with FluidR3 and transcribed,
#: about half the notes below C3 were such, doubling the bass onsets a drummer reads; real bass notes were
#: the louder of an octave pair in 90% of cases. The floor is the song's own because soundfonts differ most down
#: there: with MuseScore_General_Lite the low piano notes came out at a median amplitude of 0.52, and a fixed floor
#: of 0.6 (until 2026-12-06's seventh session) kept 42% of the MIDI's bass notes. Kept of the MIDI's bass notes
#: (a transcribed note at its pitch within 50 ms), TimGM6mb / FluidR3 / MuseScore: 88% / 86% / 74% with this
#: floor, 80% / 83% / 42% with 0.6; of the notes kept, that many are the MIDI's: 0.78 / 0.66 / 0.83 and 0.82 /
#: 0.70 / 0.88 (scratch counts). The renderer used before, symusic, played notes out of tune, and the bass rule
#: fitted to it (the lowest tenth of the notes) is gone
BASS_FLOOR_SHARE = 0.8
BASS_FLOOR_PERCENTILE = 75
GHOST_WITHIN_SECONDS = 0.05
INSTALL_HINT = "pip install --no-deps -r requirements-audio.txt"
#: windows of audio per call of the transcription model
BATCH_WINDOWS = 4


def is_audio_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in AUDIO_INPUT_SUFFIXES


@contextlib.contextmanager
def _without_optional_backends():
    """Import basic-pitch with TensorFlow, CoreML and TFLite hidden, so that it picks its ONNX model
    (and neither loads TensorFlow nor logs a warning for each absent backend)."""
    hidden = [m for m in ("tensorflow", "coremltools", "tflite_runtime") if m not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # "import name" now raises ImportError
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)
        for name in hidden:
            sys.modules.pop(name, None)


@contextlib.contextmanager
def _quiet_stderr():
    """Silence the C library's own writes to file descriptor 2 (not Python's logging) meanwhile."""
    import os

    try:
        saved = os.dup(2)
    except OSError:  # no stderr to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def transcriber_modules():
    """``(onnxruntime, basic_pitch, basic_pitch.note_creation, basic_pitch.constants)``, or
    :class:`AudioError` naming the packages to install."""
    try:
        import onnxruntime

        with _without_optional_backends():
            import basic_pitch
            import basic_pitch.constants as constants
            import basic_pitch.note_creation as note_creation
    except ImportError as exc:
        raise AudioError(f"reading audio needs the transcription packages ({exc.name or exc} is missing): "
                         f"{INSTALL_HINT}") from exc
    return onnxruntime, basic_pitch, note_creation, constants


def read_recording(path: str | Path, max_seconds: float = MAX_AUDIO_SECONDS) -> tuple[np.ndarray, int]:
    """The recording as float32 ``(samples, channels)`` and its sample rate; :class:`AudioError`
    if it is missing, unreadable, empty, silent or longer than ``max_seconds``."""
    import soundfile

    path = Path(path)
    if not path.exists():
        raise RecordingError("no such file", path)
    if path.is_dir():
        raise RecordingError("is a directory, not an audio file", path)
    try:
        with _quiet_stderr():  # libsndfile's MP3 decoder writes notes on stderr of its own
            info = soundfile.info(str(path))
        if info.frames <= 0 or info.samplerate <= 0:
            raise RecordingError("no audio in the file (0 samples)", path)
        seconds = info.frames / info.samplerate
        if seconds > max_seconds:
            raise RecordingError(f"recording is {seconds / 60:.1f} min long; the limit is {max_seconds / 60:g} min "
                             f"(--max-minutes)", path)
        with _quiet_stderr():
            audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except RecordingError:
        raise
    except Exception as exc:  # libsndfile's errors: not audio, truncated, unknown format
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0].split("': ", 1)[-1].rstrip(".")
        detail = "" if "does not exist" in reason else f": {reason[:100]}"  # libsndfile's word for "unknown"
        raise RecordingError(f"not a readable audio file (WAV, FLAC, Ogg, MP3 or AIFF){detail}", path) from exc
    if audio.shape[0] == 0:
        raise RecordingError("no audio in the file (0 samples)", path)
    if not np.isfinite(audio).all() or float(np.abs(audio).max()) < SILENCE_PEAK:
        raise RecordingError("the recording is silent", path)
    return audio, int(rate)


def resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    """``audio`` (samples, ...) from ``rate`` to ``target`` Hz (polyphase filter)."""
    if rate == target:
        return audio
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(int(rate), int(target))
    return resample_poly(audio, target // g, rate // g, axis=0).astype(np.float32)


def transcribe(audio: np.ndarray, rate: int, progress: bool = False, threads: int = 2):
    """Notes of a recording (``(samples, channels)`` at ``rate``) as a ``pretty_midi.PrettyMIDI``."""
    ort, basic_pitch, note_creation, k = transcriber_modules()
    mono = resample(audio.mean(axis=1), rate, k.AUDIO_SAMPLE_RATE)
    overlap_frames = 30  # as basic-pitch's own inference: windows overlap by 30 frames, half cut each side
    overlap = overlap_frames * k.FFT_HOP
    hop = k.AUDIO_N_SAMPLES - overlap
    padded = np.concatenate([np.zeros(overlap // 2, np.float32), mono.astype(np.float32)])
    starts = list(range(0, padded.shape[0], hop))
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, int(threads))
    options.inter_op_num_threads = 1
    model_path = Path(basic_pitch.__file__).parent / "saved_models" / "icassp_2022" / "nmp.onnx"
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    names = ["StatefulPartitionedCall:1", "StatefulPartitionedCall:2", "StatefulPartitionedCall:0"]
    outputs = {"note": [], "onset": [], "contour": []}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(starts), desc="transcribe", unit="window", leave=False)
    for i in range(0, len(starts), BATCH_WINDOWS):
        batch = np.zeros((len(starts[i:i + BATCH_WINDOWS]), k.AUDIO_N_SAMPLES, 1), np.float32)
        for j, s in enumerate(starts[i:i + BATCH_WINDOWS]):
            window = padded[s:s + k.AUDIO_N_SAMPLES]
            batch[j, :window.shape[0], 0] = window
        for key, value in zip(outputs, session.run(names, {"serving_default_input_2:0": batch})):
            outputs[key].append(value)
        if bar is not None:
            bar.update(batch.shape[0])
    if bar is not None:
        bar.close()
    frames = int(np.floor(mono.shape[0] * k.ANNOTATIONS_FPS / k.AUDIO_SAMPLE_RATE))
    half = overlap_frames // 2
    unwrapped = {}
    for key, parts in outputs.items():
        out = np.concatenate(parts)[:, half:-half, :]
        unwrapped[key] = out.reshape(-1, out.shape[-1])[:frames]
    min_note_frames = int(np.round(0.1277 * k.AUDIO_SAMPLE_RATE / k.FFT_HOP))  # basic-pitch's 127.7 ms
    with _without_optional_backends():
        _, events = note_creation.model_output_to_notes(unwrapped, onset_thresh=0.5, frame_thresh=0.3,
                                                        min_note_len=min_note_frames, melodia_trick=True)
    return notes_to_midi(events)


def spurious_bass(events) -> np.ndarray:
    """``(N,)`` bool: the notes below :data:`BASS_PITCH` with a louder note an octave above starting within
    :data:`GHOST_WITHIN_SECONDS`, or quieter than :data:`BASS_FLOOR_SHARE` times the
    :data:`BASS_FLOOR_PERCENTILE`-th percentile of the amplitudes of the other notes down there (events as
    :func:`notes_to_midi` takes them)."""
    if len(events) == 0:
        return np.zeros(0, bool)
    start = np.array([e[0] for e in events], np.float64)
    pitch = np.array([e[2] for e in events], np.int64)
    amplitude = np.array([e[3] for e in events], np.float64)
    low = pitch < BASS_PITCH
    spurious = np.zeros(start.size, bool)
    for i in np.flatnonzero(low):
        above = (pitch == pitch[i] + 12) & (np.abs(start - start[i]) < GHOST_WITHIN_SECONDS)
        spurious[i] = bool((amplitude[above] > amplitude[i]).any())
    played = low & ~spurious
    if played.any():
        floor = BASS_FLOOR_SHARE * float(np.percentile(amplitude[played], BASS_FLOOR_PERCENTILE))
        spurious |= played & (amplitude < floor)
    return spurious


def notes_to_midi(events):
    """basic-pitch note events ``(start, end, pitch, amplitude, bends)`` as a ``pretty_midi.PrettyMIDI``
    with a bass and a piano track, without the :func:`spurious_bass`."""
    import pretty_midi

    spurious = spurious_bass(events)
    pm = pretty_midi.PrettyMIDI()
    bass = pretty_midi.Instrument(program=33, name="bass (transcribed)")
    keys = pretty_midi.Instrument(program=0, name="piano (transcribed)")
    for i in sorted(range(len(events)), key=lambda i: (events[i][0], events[i][2])):
        if spurious[i]:
            continue
        start, end, pitch, amplitude, _ = events[i]
        velocity = int(np.clip(round(127 * float(amplitude)), 1, 127))
        note = pretty_midi.Note(velocity, int(pitch), float(start), float(max(end, start + 0.01)))
        (bass if pitch < BASS_PITCH else keys).notes.append(note)
    pm.instruments = [i for i in (keys, bass) if i.notes]
    return pm
