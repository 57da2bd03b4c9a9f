"""Reading MIDI files safely and writing files atomically.

A song is read once into bytes, parsed by mido, and handed to pretty_midi as a mido
object. pretty_midi turns the mido tracks' delta times into absolute ticks in place;
we keep that mido object so that writing a drummed song edits the original events
(every tempo, meter, key, lyric, program and controller survives untouched).
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import mido
import pretty_midi

from ..errors import EmptySongError, MidiLoadError

logger = logging.getLogger(__name__)

#: File names read as MIDI songs (folders are searched for these).
MIDI_SUFFIXES = (".mid", ".midi", ".kar", ".smf")
#: Refuse files larger than this before parsing (a MIDI song is rarely over 1 MB).
MAX_FILE_BYTES = 32 * 1024 * 1024


@dataclass
class LoadedMidi:
    """A parsed MIDI file.

    Attributes
    ----------
    path
        Where it came from (``None`` for in-memory data).
    pm
        The pretty_midi view (notes in seconds).
    mido_file
        The mido view, with **absolute** tick times in every track.
    data
        The raw bytes, so callers can hash them without reading the file again.
    """

    path: Path | None
    pm: pretty_midi.PrettyMIDI
    mido_file: mido.MidiFile
    data: bytes


def read_midi_bytes(data: bytes, path: str | Path | None = None) -> LoadedMidi:
    """Parse MIDI bytes; raise :class:`MidiLoadError` with a readable reason."""
    where = None if path is None else Path(path)
    if len(data) == 0:
        raise MidiLoadError("empty file (0 bytes)", where)
    if data[:4] != b"MThd":
        raise MidiLoadError("not a MIDI file (no MThd header)", where)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mid = mido.MidiFile(file=io.BytesIO(data), clip=True)
            pm = pretty_midi.PrettyMIDI(mido_object=mid)
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError, ZeroDivisionError,
            AttributeError) as exc:
        reason = str(exc).strip() or type(exc).__name__
        raise MidiLoadError(f"corrupt MIDI file ({reason[:120]})", where) from exc
    for w in caught:
        logger.debug("%s: %s", where, w.message)
    if mid.ticks_per_beat <= 0:
        raise MidiLoadError("corrupt MIDI file (ticks per beat is not positive)", where)
    return LoadedMidi(where, pm, mid, data)


def load_midi(path: str | Path) -> LoadedMidi:
    """Read and parse a MIDI file; raise :class:`MidiLoadError` for any problem."""
    path = Path(path)
    if not path.exists():
        raise MidiLoadError("no such file", path)
    if path.is_dir():
        raise MidiLoadError("is a directory, not a MIDI file", path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise MidiLoadError(f"file too large for a MIDI song ({size} bytes)", path)
        data = path.read_bytes()
    except PermissionError as exc:
        raise MidiLoadError("permission denied", path) from exc
    except OSError as exc:
        raise MidiLoadError(f"cannot read file ({exc.strerror or exc})", path) from exc
    return read_midi_bytes(data, path)


def require_notes(loaded: LoadedMidi) -> None:
    """Raise :class:`EmptySongError` if the file holds no notes."""
    if not any(inst.notes for inst in loaded.pm.instruments):
        raise EmptySongError("MIDI file has no notes", loaded.path)


def _atomic_write(path: Path, write) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    _atomic_write(Path(path), lambda h: h.write(data))


def atomic_write_text(path: str | Path, text: str) -> None:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def write_midi(mid: mido.MidiFile | bytes, out_path: str | Path, source: str | Path | None = None) -> Path:
    """Write a MIDI file (or its bytes) atomically to ``out_path``; refuse to overwrite ``source``."""
    from ..errors import NeuralDrummerError

    out_path = Path(out_path)
    if source is not None and out_path.exists() and out_path.resolve() == Path(source).resolve():
        raise NeuralDrummerError("refusing to overwrite the input file", out_path)
    atomic_write_bytes(out_path, mid if isinstance(mid, bytes) else midi_to_bytes(mid))
    return out_path


def midi_to_bytes(mid: mido.MidiFile) -> bytes:
    """Serialise a mido file (delta times) to bytes."""
    buffer = io.BytesIO()
    mid.save(file=buffer)
    return buffer.getvalue()
