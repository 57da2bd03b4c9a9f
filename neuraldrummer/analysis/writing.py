"""Writing a drummed song: the new drum track, the song combined with it, re-rolled bars spliced in.

Every event of the input is kept: tracks without drum notes are copied byte for byte, the others
edited event by event (:func:`combine_bytes`, :func:`splice_drums_bytes`); ``combine`` and
``splice_drums`` give the same as mido files.
"""

from __future__ import annotations

import logging
from pathlib import Path

import mido
from mido.midifiles.meta import encode_variable_int
import numpy as np

from .drum_map import PITCH_TO_CLASS
from .drums import DrumArrays, decode_drum_ticks, decode_drums
from ..beats.grid import Grid
from ..io.midi import LoadedMidi, midi_file_bytes, midi_to_bytes, track_bytes, track_chunks, write_midi

logger = logging.getLogger(__name__)

DRUM_CHANNEL = 9  # General MIDI channel 10, counted from zero
DRUM_TRACK_NAME = "NeuralDrummer"


def _is_drum_channel_message(msg: mido.Message) -> bool:
    return not msg.is_meta and getattr(msg, "channel", None) == DRUM_CHANNEL


def _absolute_to_track(events: list[tuple[int, int, mido.Message]]) -> mido.MidiTrack:
    """(tick, order, message) -> a track with delta times."""
    track = mido.MidiTrack()
    last = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=int(tick - last)))
        last = tick
    return track


def _note_events(ticks: np.ndarray, pitches: np.ndarray, velocities: np.ndarray, length: int,
                 base: int) -> list[tuple[int, int, mido.Message]]:
    """``(tick, order, message)`` note-ons and note-offs on channel 10, ordered from ``base`` on so that
    at one tick a note-off sorts before a later hit's note-on (repeated hits never overlap)."""
    out = []
    for j, (tick, pitch, vel) in enumerate(zip(ticks.tolist(), pitches.tolist(), velocities.tolist())):
        off = mido.Message("note_off", channel=DRUM_CHANNEL, note=pitch, velocity=0)
        out.append((tick + length, base + 2 * j, off))
        out.append((tick, base + 2 * j + 1, mido.Message("note_on", channel=DRUM_CHANNEL, note=pitch, velocity=vel)))
    return out


def _drum_notes(drums: DrumArrays, grid: Grid, quantized: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The decoded drums' note-on ticks, pitches and velocities (int64), and a note's length in ticks (half a step)."""
    events = decode_drums(drums, grid, quantized)
    return (np.rint(events.ticks).astype(np.int64), np.asarray(events.pitches, np.int64),
            np.asarray(events.velocities, np.int64), max(1, int(round(events.step_ticks / 2))))


def drum_track(drums: DrumArrays, grid: Grid, quantized: bool = False,
               name: str = DRUM_TRACK_NAME) -> mido.MidiTrack:
    """A mido track (delta ticks) on channel 10 holding the decoded drums."""
    ticks, pitches, velocities, length = _drum_notes(drums, grid, quantized)
    out: list[tuple[int, int, mido.Message]] = [
        (0, 0, mido.MetaMessage("track_name", name=name, time=0)),
        (0, 1, mido.Message("program_change", channel=DRUM_CHANNEL, program=0, time=0)),
    ]
    out += _note_events(ticks, pitches, velocities, length, 2)
    end = max([e[0] for e in out] + [0])
    out.append((end, len(out) + 2, mido.MetaMessage("end_of_track")))
    return _absolute_to_track(out)


def drum_track_bytes(drums: DrumArrays, grid: Grid, quantized: bool = False, name: str = DRUM_TRACK_NAME) -> bytes:
    """:func:`drum_track` as an ``MTrk`` chunk, byte for byte what mido writes for it (running status
    included), encoded here: a song's thousands of hits cost no message object each."""
    on, pitches, velocities, length = _drum_notes(drums, grid, quantized)
    if on.size and (on.min() < 0 or not (0 <= pitches.min() and pitches.max() <= 127)
                    or not (0 <= velocities.min() and velocities.max() <= 127)):
        raise ValueError("drum notes out of the MIDI range")
    j = np.arange(on.size)
    ticks = np.concatenate([on + length, on])
    order = np.concatenate([2 + 2 * j, 3 + 2 * j])  # at one tick a note-off sorts before a later hit's note-on
    status = np.concatenate([np.full(on.size, 0x80 | DRUM_CHANNEL), np.full(on.size, 0x90 | DRUM_CHANNEL)])
    data1 = np.concatenate([pitches, pitches])
    data2 = np.concatenate([np.zeros_like(velocities), velocities])
    idx = np.lexsort((order, ticks))
    label = name.encode("latin1")
    out = bytearray(b"\x00\xff\x03" + bytes(encode_variable_int(len(label))) + label)
    out += bytes([0, 0xC0 | DRUM_CHANNEL, 0])  # program 0 at tick 0
    running, last = 0xC0 | DRUM_CHANNEL, 0
    for t, st, d1, d2 in zip(ticks[idx].tolist(), status[idx].tolist(), data1[idx].tolist(), data2[idx].tolist()):
        out += bytes(encode_variable_int(t - last))
        if st != running:
            out.append(st)
            running = st
        out += bytes((d1, d2))
        last = t
    end = int(ticks.max()) if ticks.size else 0
    out += bytes(encode_variable_int(end - last)) + b"\xff\x2f\x00"
    return b"MTrk" + len(out).to_bytes(4, "big") + bytes(out)


def combine(loaded: LoadedMidi, drums: DrumArrays, grid: Grid, keep_drums: bool = False,
            quantized: bool = False, name: str = DRUM_TRACK_NAME) -> mido.MidiFile:
    """The input song with its drums replaced (or kept) and a new drum track added.

    Every non-drum event of the input (notes, programs, controllers, tempo, meter, key,
    lyrics, track names) is copied unchanged. ``loaded.mido_file`` holds absolute
    ticks (see :mod:`neuraldrummer.io.midi`); it is not modified.
    """
    src = loaded.mido_file
    out = mido.MidiFile(type=1, ticks_per_beat=src.ticks_per_beat, charset=getattr(src, "charset", "latin1"))
    for index in range(len(src.tracks)):
        track = loaded.full_track(index)
        events = [(int(m.time), i, m) for i, m in enumerate(track)] if keep_drums else _without_drums(track)
        if events is not None:
            out.tracks.append(_absolute_to_track(events))
    out.tracks.append(drum_track(drums, grid, quantized, name))
    return out


def _without_drums(track: mido.MidiTrack) -> list[tuple[int, int, mido.Message]] | None:
    """A track's (tick, order, message) events without its drum-channel messages; ``None`` if it held
    drums and nothing but names is left (a drums-only track, dropped)."""
    events = [(int(m.time), i, m) for i, m in enumerate(track) if not _is_drum_channel_message(m)]
    if len(events) < len(track) and all(m.is_meta and m.type in ("track_name", "instrument_name", "end_of_track")
                                        for _, _, m in events):
        return None
    return events


def combine_bytes(loaded: LoadedMidi, drums: DrumArrays, grid: Grid, keep_drums: bool = False,
                  quantized: bool = False, name: str = DRUM_TRACK_NAME) -> bytes:
    """:func:`combine` as file bytes, copying every track without drum-channel notes byte for byte.

    Only the tracks that held drums (their drums are replaced) and the new drum track are encoded, so
    a song's controller sweeps, lyrics and other events cost a copy of their bytes, not a message
    object each. Falls back to encoding :func:`combine`'s file where the input's chunks are irregular.
    """
    src = loaded.mido_file
    chunks = track_chunks(loaded.data)
    if chunks is None or len(chunks) != len(src.tracks):
        return midi_to_bytes(combine(loaded, drums, grid, keep_drums, quantized, name))
    out = []
    for index, (raw, track) in enumerate(zip(chunks, src.tracks)):
        if keep_drums or not any(_is_drum_channel_message(m) for m in track):
            out.append(raw)
            continue
        events = _without_drums(loaded.full_track(index))
        if events is not None:
            out.append(track_bytes(_absolute_to_track(events)))
    out.append(drum_track_bytes(drums, grid, quantized, name))
    return midi_file_bytes(1, src.ticks_per_beat, out)


def write_drummed_song(loaded: LoadedMidi, drums: DrumArrays, grid: Grid, out_path: str | Path,
                       keep_drums: bool = False, quantized: bool = False) -> Path:
    """Write the combined song atomically; refuse to overwrite the input file."""
    out_path = write_midi(combine_bytes(loaded, drums, grid, keep_drums, quantized), out_path, loaded.path)
    logger.info("wrote %s", out_path)
    return out_path


def splice_drums(loaded: LoadedMidi, drums: DrumArrays, step_ticks: np.ndarray, lo: int, hi: int,
                 quantized: bool = False, keep_existing: bool = False) -> mido.MidiFile:
    """:func:`splice_drums_bytes` as a mido file (every track parsed in full)."""
    tracks, kind, src = _splice(loaded, drums, step_ticks, lo, hi, quantized, keep_existing, lazy=False)
    out = mido.MidiFile(type=kind, ticks_per_beat=src.ticks_per_beat, charset=getattr(src, "charset", "latin1"))
    out.tracks.extend(_absolute_to_track(events) for events in tracks)
    return out


def splice_drums_bytes(loaded: LoadedMidi, drums: DrumArrays, step_ticks: np.ndarray, lo: int, hi: int,
                       quantized: bool = False, keep_existing: bool = False) -> bytes:
    """The file with its drums in steps ``lo..hi`` replaced by ``drums`` there; nothing else touched.

    ``step_ticks`` ``(T + 1,)`` gives each step's tick in the file (it may run past the file's end,
    to continue it). A drum note belongs to the step nearest its note-on, as when it is encoded, so
    a note played just ahead of a bar line belongs to that bar whatever its micro-timing. Drum-channel
    notes of steps ``lo..hi`` are removed with their note-offs: those whose note-on lies between the
    midpoints before step ``lo`` and before step ``hi``. Every other event of every track is copied
    unchanged (a track without drum notes byte for byte), so every drum note outside the range keeps its
    pitch, velocity, timing and channel. The new notes go into the track that held most drum notes (a new "NeuralDrummer" track if none) and stay
    within the range's ticks. With ``keep_existing`` (continuing a groove) no note of the file is removed
    at all; a new hit is left out where a kept note of the same class belongs to its step (a note
    played ahead of the bar line where the new bars begin).
    """
    chunks = track_chunks(loaded.data)
    if chunks is None or len(chunks) != len(loaded.mido_file.tracks):
        return midi_to_bytes(splice_drums(loaded, drums, step_ticks, lo, hi, quantized, keep_existing))
    tracks, kind, src = _splice(loaded, drums, step_ticks, lo, hi, quantized, keep_existing, lazy=True)
    out = [chunks[k] if events is None else track_bytes(_absolute_to_track(events)) for k, events in enumerate(tracks)]
    return midi_file_bytes(kind, src.ticks_per_beat, out)


def _splice(loaded: LoadedMidi, drums: DrumArrays, step_ticks: np.ndarray, lo: int, hi: int, quantized: bool,
            keep_existing: bool, lazy: bool):
    """The tracks of :func:`splice_drums` as (tick, order, message) lists (``None`` for a track without
    drum notes when ``lazy``), the file type and the source file."""
    src = loaded.mido_file
    step_ticks = np.asarray(step_ticks, np.float64)
    last = len(step_ticks) - 1

    def boundary(k: int) -> float:
        """The tick from which notes belong to step ``k`` (the midpoint from step ``k - 1``)."""
        if k <= 0:
            return float("-inf")
        if k >= last:
            return float("inf")
        return 0.5 * float(step_ticks[k - 1] + step_ticks[k])

    t_lo = boundary(lo) if lo < last else float(step_ticks[lo])
    t_hi = boundary(hi)
    midpoints = 0.5 * (step_ticks[:-1] + step_ticks[1:])
    new = DrumArrays(drums.hits.copy(), drums.velocity, drums.offset)
    new.hits[:lo] = False
    new.hits[hi:] = False
    tracks: list[list[tuple[int, int, mido.Message]] | None] = []
    drum_counts = []
    for index in range(len(src.tracks)):
        if lazy and not any(_is_drum_channel_message(m) for m in src.tracks[index]):
            tracks.append(None)  # no drum notes: copied byte for byte by the caller
            drum_counts.append(0)
            continue
        track = loaded.full_track(index)
        open_notes: dict[tuple[int, int], list[bool]] = {}
        events, count = [], 0
        for i, m in enumerate(track):
            tick = int(m.time)
            if _is_drum_channel_message(m) and m.type in ("note_on", "note_off"):
                key = (m.channel, m.note)
                if m.type == "note_on" and m.velocity > 0:
                    inside = t_lo <= tick < t_hi
                    removed = inside and not keep_existing
                    open_notes.setdefault(key, []).append(removed)
                    if removed:
                        continue
                    count += 1
                    if inside:  # kept: the new drums do not play this class at the note's step again
                        step = int(np.searchsorted(midpoints, tick, side="right"))
                        klass = int(PITCH_TO_CLASS[m.note])
                        if klass >= 0 and step < new.hits.shape[0]:
                            new.hits[step, klass] = False
                elif open_notes.get(key):
                    if open_notes[key].pop(0):
                        continue
            events.append((tick, i, m))
        tracks.append(events)
        drum_counts.append(count)
    ticks, pitches, velocities = decode_drum_ticks(new, step_ticks, quantized)
    length = max(1, int(round(0.5 * float(np.median(np.diff(step_ticks))) if len(step_ticks) > 1 else 1)))
    base = 1 << 30  # new events sort after the old ones at the same tick
    # the new notes stay inside the range (in whole ticks: [ceil(t_lo), ceil(t_hi))), where a micro-timing
    # offset or the rounding of a fractional grid tick could otherwise move one just outside it
    first_tick = int(np.ceil(t_lo)) if np.isfinite(t_lo) else 0
    last_tick = int(np.ceil(t_hi)) - 1 if np.isfinite(t_hi) else np.iinfo(np.int64).max
    ticks = np.clip(np.rint(ticks).astype(np.int64), first_tick, last_tick)
    added = _note_events(ticks, pitches, velocities, length, base)
    if any(drum_counts) or not added:
        target = int(np.argmax(drum_counts)) if tracks else 0
    else:
        target = len(tracks)
        tracks.append([(0, 0, mido.MetaMessage("track_name", name=DRUM_TRACK_NAME)),
                       (0, 1, mido.Message("program_change", channel=DRUM_CHANNEL, program=0))])
    if tracks:
        if tracks[target] is None:
            tracks[target] = [(int(m.time), i, m) for i, m in enumerate(loaded.full_track(target))]
        merged = [e for e in tracks[target] if not (e[2].is_meta and e[2].type == "end_of_track")] + added
        end = max([e[0] for e in merged] + [0])
        merged.append((end, base * 4, mido.MetaMessage("end_of_track")))
        tracks[target] = merged
    kind = src.type if len(tracks) == len(src.tracks) else 1
    return tracks, kind, src


#: ticks per quarter note of the files written for a recording
ALIGNED_TPB = 480
#: a first step starting less than this share of a step after 0 s starts at 0 s instead
LEAD_FOLD = 0.1


def beat_aligned_midi(drums: DrumArrays, grid: Grid, quantized: bool = False,
                      transcription: "object | None" = None) -> mido.MidiFile:
    """The drums of a recording as a MIDI file whose tempo map follows the beats found in it.

    Every grid step gets ``ALIGNED_TPB / steps_per_beat`` ticks and the tempo changes with the
    steps' lengths, so the file's beats and bars are the recording's and each note sounds at the
    second it was drummed for: the file lines up with the audio when both start at zero. The time
    before the first step is a bar of its own, of whole steps. ``transcription`` (a
    ``pretty_midi.PrettyMIDI`` in the recording's seconds) adds its parts as tracks muted with
    channel volume 0, for reference.
    """
    import dataclasses

    from ..beats.grid import TempoMap

    spb = grid.steps_per_beat
    step_ticks = ALIGNED_TPB // spb
    times = np.asarray(grid.times, np.float64).copy()
    times[0] = max(times[0], 0.0)
    lead_steps = 0  # the time before the first step, as whole steps at about the song's tempo
    if times[0] < LEAD_FOLD * (times[1] - times[0]):
        times[0] = 0.0  # a few milliseconds: the first step starts the file (its drums that much early)
    else:
        lead_steps = max(1, int(round(times[0] / (times[1] - times[0]))))
    ticks = lead_steps * step_ticks + step_ticks * np.arange(times.size, dtype=np.float64)
    anchor_ticks = np.concatenate([[0.0], ticks[:-1]]) if lead_steps else ticks[:-1]
    anchor_times = np.concatenate([[0.0], times[:-1]]) if lead_steps else times[:-1]
    seconds = np.diff(np.append(anchor_times, times[-1]))
    span = np.diff(np.append(anchor_ticks, ticks[-1]))
    qpm = 60.0 * span / (np.maximum(seconds, 1e-6) * ALIGNED_TPB)
    # one tempo event per change of tempo (steps within a beat share theirs)
    keep = np.concatenate([[True], np.abs(np.diff(qpm)) > 1e-6 * qpm[1:]])
    tempo = TempoMap(ALIGNED_TPB, anchor_ticks[keep], anchor_times[keep], qpm[keep])
    aligned = dataclasses.replace(grid, ticks=ticks, tempo_map=tempo)

    meta: list[tuple[int, int, mido.Message]] = [(0, 0, mido.MetaMessage("track_name", name="tempo (follows the recording)"))]
    for k, (t, q) in enumerate(zip(tempo.anchor_ticks.tolist(), tempo.qpm.tolist())):
        meta.append((int(t), 10 + 2 * k, mido.MetaMessage("set_tempo", tempo=int(round(mido.bpm2tempo(q))))))
    def meter(steps: int) -> tuple[int, int]:
        return (steps // spb, 4) if steps % spb == 0 else (steps, 4 * spb)

    if lead_steps:
        num, den = meter(lead_steps)
        meta.append((0, 1, mido.MetaMessage("time_signature", numerator=num, denominator=den)))
    last = None
    for start in grid.bar_starts.tolist():
        num, den = meter(int(grid.bar_length[start]))
        if (num, den) != last:
            meta.append((int(ticks[start]), 11 + 2 * len(meta), mido.MetaMessage(
                "time_signature", numerator=num, denominator=den)))
            last = (num, den)
    end = int(ticks[-1])
    meta.append((end, 1 << 30, mido.MetaMessage("end_of_track")))
    out = mido.MidiFile(type=1, ticks_per_beat=ALIGNED_TPB)
    out.tracks.append(_absolute_to_track(meta))
    out.tracks.append(drum_track(drums, aligned, quantized))
    if transcription is not None:
        for channel, inst in enumerate(i for i in transcription.instruments if not i.is_drum and i.notes):
            if channel >= DRUM_CHANNEL:
                break
            on = tempo.time_to_tick(np.array([n.start for n in inst.notes]))
            off = np.maximum(tempo.time_to_tick(np.array([n.end for n in inst.notes])), on + 1)
            events = [(0, 0, mido.MetaMessage("track_name", name=f"{inst.name} (muted)")),
                      (0, 1, mido.Message("program_change", channel=channel, program=inst.program)),
                      (0, 2, mido.Message("control_change", channel=channel, control=7, value=0))]
            for j, (a, z, n) in enumerate(zip(np.rint(on).astype(int), np.rint(off).astype(int), inst.notes)):
                events.append((int(z), 3 + 2 * j, mido.Message("note_off", channel=channel, note=n.pitch, velocity=0)))
                events.append((int(a), 4 + 2 * j, mido.Message("note_on", channel=channel, note=n.pitch,
                                                               velocity=n.velocity)))
            events.append((max(e[0] for e in events), 1 << 30, mido.MetaMessage("end_of_track")))
            out.tracks.append(_absolute_to_track(events))
    return out
