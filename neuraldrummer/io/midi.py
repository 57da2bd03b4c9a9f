"""Reading MIDI files safely and writing files atomically.

A song is read once into bytes, parsed by mido, and handed to pretty_midi as a mido
object. pretty_midi turns the mido tracks' delta times into absolute ticks in place;
we keep that mido object so that writing a drummed song edits the original events
(every tempo, meter, key, lyric, program and controller survives untouched).

A large file whose bulk is controller, pitch-bend and aftertouch messages (sweeps of a mod wheel or a
filter) is parsed *lean*: those messages, which nothing before the writer looks at, are left out of the
parse (:func:`lean_midi_bytes`), and the writer copies the tracks that it does not change byte for
byte from ``data`` and parses in full only the tracks it edits (:meth:`LoadedMidi.full_track`).
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
    #: ``mido_file`` was parsed without the controller, pitch-bend and aftertouch messages
    lean: bool = False

    def full_track(self, index: int) -> mido.MidiTrack:
        """Track ``index`` with every message, in absolute ticks (``mido_file``'s own unless lean)."""
        if not self.lean:
            return self.mido_file.tracks[index]
        chunk = track_chunks(self.data)[index]
        one = midi_file_bytes(0, self.data[12:14], [chunk])
        track = mido.MidiFile(file=io.BytesIO(one), clip=True).tracks[0]
        tick = 0
        for msg in track:
            tick += msg.time
            msg.time = tick
        return track


#: Status nibbles of the messages a lean parse leaves out: poly aftertouch, control change, channel
#: aftertouch, pitch bend.
LEAN_DROPPED = (0xA0, 0xB0, 0xD0, 0xE0)
#: Files smaller than this are always parsed in full.
LEAN_MIN_BYTES = 256 * 1024


def track_chunks(data: bytes) -> list[bytes] | None:
    """The file's ``MTrk`` chunks as raw bytes (header and length included), in order; ``None`` if its
    chunks do not line up exactly."""
    if data[:4] != b"MThd" or len(data) < 14:
        return None
    pos = 8 + int.from_bytes(data[4:8], "big")
    chunks = []
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos + 4:pos + 8], "big")
        if pos + 8 + size > len(data):
            return None
        if data[pos:pos + 4] == b"MTrk":
            chunks.append(data[pos:pos + 8 + size])
        pos += 8 + size
    return chunks if pos == len(data) else None


def _vlq(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _read_vlq(data: bytes, pos: int) -> tuple[int | None, int]:
    """The variable-length quantity at ``pos`` and the position after it; ``None`` if it runs past the
    end or over four bytes."""
    value = 0
    for k in range(4):
        if pos + k >= len(data):
            return None, pos
        b = data[pos + k]
        value = (value << 7) | (b & 0x7F)
        if b < 0x80:
            return value, pos + k + 1
    return None, pos


def track_bytes(track: mido.MidiTrack) -> bytes:
    """One track (delta times) as an ``MTrk`` chunk."""
    from mido.midifiles.midifiles import write_track

    buffer = io.BytesIO()
    write_track(buffer, track)
    return buffer.getvalue()


def midi_file_bytes(kind: int, ticks_per_beat: int | bytes, chunks: list[bytes]) -> bytes:
    """A MIDI file from its type, its division (ticks per beat, or the header's two raw bytes) and its
    ``MTrk`` chunks."""
    division = ticks_per_beat if isinstance(ticks_per_beat, bytes) else int(ticks_per_beat).to_bytes(2, "big")
    return (b"MThd" + (6).to_bytes(4, "big") + int(kind).to_bytes(2, "big") + len(chunks).to_bytes(2, "big")
            + division + b"".join(chunks))


def lean_midi_bytes(data: bytes) -> bytes | None:
    """``data`` without its controller, pitch-bend and aftertouch messages (their delta times carried to
    the next event kept; every other event as it was), or ``None`` if nothing would be left out or the
    file is irregular in any way (then it is parsed in full, and mido says what is wrong)."""
    chunks = track_chunks(data)
    if not chunks or data[8:10] == b"\x00\x02":
        return None
    dropped = 0
    tracks = []
    for chunk in chunks:
        body, n, pos = chunk[8:], len(chunk) - 8, 0
        out = bytearray()
        running = None
        carry = 0
        while pos < n:
            delta, pos = _read_vlq(body, pos)
            if delta is None or pos >= n:
                return None
            status = body[pos]
            if status >= 0x80:
                pos += 1
            elif running is None or running >= 0xF0:
                return None
            else:
                status = running
            start = pos
            if status == 0xFF or status in (0xF0, 0xF7):
                if status == 0xFF:
                    pos += 1  # meta type
                length, pos = _read_vlq(body, pos)
                if length is None:
                    return None
                pos += length
                if status != 0xFF:
                    running = status  # as mido reads it: sysex sets the running status, meta does not
            elif 0x80 <= status < 0xF0:
                pos += 1 if status & 0xF0 in (0xC0, 0xD0) else 2
                if pos > n or any(x >= 0x80 for x in body[start:pos]):
                    return None
                running = status
                if status & 0xF0 in LEAN_DROPPED:
                    carry += delta
                    dropped += 1
                    continue
            else:
                return None
            if pos > n:
                return None
            out += _vlq(delta + carry) + bytes([status]) + body[start:pos]
            carry = 0
        tracks.append(b"MTrk" + len(out).to_bytes(4, "big") + bytes(out))
    if not dropped:
        return None
    return data[:8 + int.from_bytes(data[4:8], "big")] + b"".join(tracks)


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
            lean = lean_midi_bytes(data) if len(data) >= LEAN_MIN_BYTES else None
            mid = mido.MidiFile(file=io.BytesIO(lean or data), clip=True)
            pm = pretty_midi.PrettyMIDI(mido_object=mid)
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError, ZeroDivisionError,
            AttributeError) as exc:
        reason = str(exc).strip() or type(exc).__name__
        raise MidiLoadError(f"corrupt MIDI file ({reason[:120]})", where) from exc
    for w in caught:
        logger.debug("%s: %s", where, w.message)
    if mid.ticks_per_beat <= 0:
        raise MidiLoadError("corrupt MIDI file (ticks per beat is not positive)", where)
    return LoadedMidi(where, pm, mid, data, lean=lean is not None)


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


def refuse_overwriting(out_path: str | Path, source: str | Path | None) -> None:
    """A :class:`~neuraldrummer.errors.NeuralDrummerError` if writing ``out_path`` would overwrite ``source``."""
    from ..errors import NeuralDrummerError

    out_path = Path(out_path)
    if source is not None and out_path.exists() and out_path.resolve() == Path(source).resolve():
        raise NeuralDrummerError("refusing to overwrite the input file", out_path)


def write_midi(mid: mido.MidiFile | bytes, out_path: str | Path, source: str | Path | None = None) -> Path:
    """Write a MIDI file (or its bytes) atomically to ``out_path``; refuse to overwrite ``source``."""
    refuse_overwriting(out_path, source)
    out_path = Path(out_path)
    atomic_write_bytes(out_path, mid if isinstance(mid, bytes) else midi_to_bytes(mid))
    return out_path


def midi_to_bytes(mid: mido.MidiFile) -> bytes:
    """Serialise a mido file (delta times) to bytes."""
    buffer = io.BytesIO()
    mid.save(file=buffer)
    return buffer.getvalue()
