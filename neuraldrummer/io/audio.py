"""Render a (drummed) MIDI song to audio, with nothing but pip.

Two engines, the first that is there:

* **FluidSynth** (``fluidsynth`` on the PATH and a General MIDI soundfont in a usual system
  place), the reference synthesizer, when the user has installed it;
* **TinySoundFont** (the ``tinysoundfont`` wheel, no system library) with the small General MIDI
  soundfont that pretty_midi's wheel ships (``TimGM6mb.sf2``). It is the one that runs after
  README's set-up (``requirements-audio.txt``). symusic's synthesizer, used before, renders many
  notes out of tune (0.5.9: an A at 110 Hz sounded at 233 Hz with this soundfont, at 49 Hz with
  FluidR3; its issue #55), which mattered most where recordings rendered here were transcribed.

Audio is float32 ``(samples, 2)`` in [-1, 1]. Files are written atomically: 16-bit WAV with the
standard library, FLAC, Ogg Vorbis and MP3 with soundfile (libsndfile inside its wheel).
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from ..errors import AudioError

logger = logging.getLogger(__name__)

SOUNDFONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/soundfonts/FluidR3_GM.sf2",
              "/usr/share/sounds/sf2/default-GM.sf2", "/usr/share/soundfonts/default.sf2")
DEFAULT_SAMPLE_RATE = 44100
#: the General MIDI drum channel (10, counted from 0) and the soundfont bank of its kits
DRUM_CHANNEL = 9
DRUM_BANK = 128
#: rendered beyond the song's last note off, for the notes to die away
RELEASE_SECONDS = 0.5
#: file suffixes that :func:`write_audio` writes, and their soundfile format and subtype
AUDIO_FORMATS = {".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_16"), ".ogg": ("OGG", "VORBIS"),
                 ".mp3": ("MP3", "MPEG_LAYER_III")}
AUDIO_SUFFIXES = tuple(AUDIO_FORMATS)


def find_system_soundfont() -> Path | None:
    for p in SOUNDFONTS:
        if Path(p).is_file():
            return Path(p)
    return None


def bundled_soundfont() -> Path:
    """pretty_midi's General MIDI soundfont (part of its wheel)."""
    import pretty_midi

    return Path(pretty_midi.__file__).resolve().parent / "TimGM6mb.sf2"


def check_soundfont(path: str | Path) -> Path:
    """``path`` if it is a soundfont file (``.sf2``, ``.sf3``: a RIFF ``sfbk`` header), else :class:`AudioError`
    naming the file and the reason: checked before any work, so that nothing is written for a wrong file. Only
    the header is read: loading the soundfont here would load it twice (4.5 s for MuseScore_General_Full.sf3)."""
    sf = Path(path)
    if not sf.is_file():
        raise AudioError("no such soundfont", sf)
    with sf.open("rb") as f:
        head = f.read(12)
    if head[:4] != b"RIFF" or head[8:12] != b"sfbk":
        raise AudioError("not a soundfont (.sf2 or .sf3: no RIFF sfbk header)", sf)
    return sf


def engine() -> str:
    """``fluidsynth`` when it and a system soundfont are installed, else ``tinysoundfont``."""
    if shutil.which("fluidsynth") is not None and find_system_soundfont() is not None:
        return "fluidsynth"
    return "tinysoundfont"


def _midi_bytes(midi: str | Path | bytes) -> bytes:
    if isinstance(midi, (bytes, bytearray)):
        return bytes(midi)
    return Path(midi).read_bytes()


def _render_tinysoundfont(data: bytes, sample_rate: int, soundfont: Path | None = None) -> np.ndarray:
    try:
        import tinysoundfont
        from tinysoundfont.midi import load_memory
    except ImportError as exc:
        raise AudioError("rendering audio needs tinysoundfont: "
                         "pip install --no-deps -r requirements-audio.txt") from exc

    sf = soundfont or bundled_soundfont()
    if not sf.is_file():
        raise AudioError(f"no General MIDI soundfont at {sf}")
    synth = tinysoundfont.Synth(samplerate=int(sample_rate))
    sfid = synth.sfload(str(sf))
    for channel in range(16):  # piano everywhere and the drum kit on channel 10 until the song says otherwise
        synth.program_select(channel, sfid, DRUM_BANK if channel == DRUM_CHANNEL else 0, 0, channel == DRUM_CHANNEL)
    sender = tinysoundfont.Sequencer(synth)  # only to send each event to the synthesizer
    events = sorted(load_memory(data), key=lambda e: e.t)
    total = int(np.ceil(((events[-1].t if events else 0.0) + RELEASE_SECONDS) * sample_rate))
    buffer = memoryview(bytearray(total * 2 * 4))  # stereo float32
    done = 0
    # each event at its own sample, rendered up to it: TinySoundFont's Sequencer rounds every stretch between
    # two events up to a whole sample, so a song of thousands of notes came out tens of milliseconds late by its end
    for event in events:
        at = min(int(round(event.t * sample_rate)), total)
        if at > done:
            synth.generate_simple(at - done, buffer=buffer[done * 8:at * 8])
            done = at
        sender.send(event)
    if total > done:
        synth.generate_simple(total - done, buffer=buffer[done * 8:])
    audio = np.frombuffer(buffer, np.float32).reshape(-1, 2)
    return np.ascontiguousarray(audio)


def _render_fluidsynth(data: bytes, sample_rate: int, soundfont: Path | None = None) -> np.ndarray:
    sf = soundfont or find_system_soundfont()
    with tempfile.TemporaryDirectory(prefix="neuraldrummer-audio-") as tmp:
        mid, wav = Path(tmp) / "song.mid", Path(tmp) / "song.wav"
        mid.write_bytes(data)
        subprocess.run(["fluidsynth", "-ni", "-g", "0.8", "-F", str(wav), "-r", str(sample_rate), str(sf), str(mid)],
                       check=True, capture_output=True)
        return read_wav(wav)[0]


def render_audio(midi: str | Path | bytes, sample_rate: int = DEFAULT_SAMPLE_RATE,
                 use: str | None = None, soundfont: str | Path | None = None) -> np.ndarray:
    """The song as float32 stereo samples ``(n, 2)``, peak-limited to 0.99.

    ``use``: ``"fluidsynth"`` or ``"tinysoundfont"``; default :func:`engine`, or tinysoundfont where a
    ``soundfont`` (an ``.sf2`` file) is given.
    """
    data = _midi_bytes(midi)
    sf = None if soundfont is None else Path(soundfont)
    name = use or ("tinysoundfont" if sf is not None else engine())
    render = _render_fluidsynth if name == "fluidsynth" else _render_tinysoundfont
    try:
        audio = render(data, sample_rate, sf)
    except AudioError:
        raise
    except Exception as exc:  # the synthesizers raise their own types
        raise AudioError(f"could not render audio with {name}: {exc}") from exc
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak > 0.99:
        audio = audio * (0.99 / peak)
    return audio.astype(np.float32, copy=False)


def wav_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM WAV of float samples ``(n, channels)``."""
    pcm = np.clip(np.rint(np.asarray(audio, np.float64) * 32767.0), -32768, 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(pcm.shape[1] if pcm.ndim == 2 else 1)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def audio_bytes(audio: np.ndarray, sample_rate: int, suffix: str = ".wav") -> bytes:
    """``audio`` encoded as a file of type ``suffix`` (see :data:`AUDIO_FORMATS`)."""
    suffix = suffix.lower()
    if suffix == ".wav":
        return wav_bytes(audio, sample_rate)
    if suffix not in AUDIO_FORMATS:
        raise AudioError(f"audio files are written as {', '.join(AUDIO_SUFFIXES)}, not '{suffix}'")
    import soundfile

    fmt, subtype = AUDIO_FORMATS[suffix]
    buf = io.BytesIO()
    soundfile.write(buf, np.clip(audio, -1.0, 1.0), int(sample_rate), format=fmt, subtype=subtype)
    return buf.getvalue()


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """A 16-bit PCM WAV file as float32 ``(n, channels)`` and its sample rate."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise AudioError(f"{path}: only 16-bit WAV is read, not {8 * w.getsampwidth()}-bit")
        frames = w.readframes(w.getnframes())
        pcm = np.frombuffer(frames, "<i2").reshape(-1, w.getnchannels())
        return (pcm.astype(np.float32) / 32768.0), w.getframerate()


def write_audio(midi: str | Path | bytes, out_path: str | Path, sample_rate: int = DEFAULT_SAMPLE_RATE,
                soundfont: str | Path | None = None) -> Path:
    """Render ``midi`` and write it to ``out_path`` (``.wav``, ``.flac``, ``.ogg`` or ``.mp3``), atomically;
    ``soundfont``: an ``.sf2`` file to render with instead of the default (:func:`render_audio`)."""
    from .midi import atomic_write_bytes

    out_path = Path(out_path)
    if out_path.suffix.lower() not in AUDIO_SUFFIXES:
        raise AudioError(f"audio files are written as {', '.join(AUDIO_SUFFIXES)}, not '{out_path.suffix}'",
                         out_path)
    audio = render_audio(midi, sample_rate, soundfont=soundfont)
    atomic_write_bytes(out_path, audio_bytes(audio, sample_rate, out_path.suffix))
    logger.info("wrote %s (%.1f s of audio)", out_path, audio.shape[0] / sample_rate)
    return out_path


def mix_with_recording(recording: np.ndarray, rate: int, drums: np.ndarray, drums_rate: int,
                       drums_gain: float = 0.7) -> np.ndarray:
    """The recording (``(n, channels)`` at ``rate``) with rendered drums added, as stereo at ``rate``
    and exactly the recording's length; the drums are levelled to the recording's loudness (RMS),
    then scaled by ``drums_gain``, and the mix is peak-limited to 0.99."""
    from .transcribe import resample

    rec = np.asarray(recording, np.float32)
    rec = np.repeat(rec, 2, axis=1) if rec.shape[1] == 1 else rec[:, :2]
    d = resample(np.asarray(drums, np.float32), drums_rate, rate)[: rec.shape[0]]
    d = np.pad(d, ((0, rec.shape[0] - d.shape[0]), (0, 0)))
    rms_rec = float(np.sqrt(np.mean(rec ** 2)))
    rms_d = float(np.sqrt(np.mean(d ** 2)))
    if rms_d > 0:
        d = d * (drums_gain * rms_rec / rms_d)
    mix = rec + d
    peak = float(np.abs(mix).max())
    if peak > 0.99:
        mix = mix * (0.99 / peak)
    return mix.astype(np.float32)
