"""Tiny MIDI songs built in code for the tests (no data files)."""

from __future__ import annotations

from pathlib import Path

import mido

TPB = 480


def _track(events: list[tuple[int, mido.Message]]) -> mido.MidiTrack:
    track = mido.MidiTrack()
    last = 0
    for tick, msg in sorted(events, key=lambda e: (e[0], e[1].type == "note_on")):
        track.append(msg.copy(time=tick - last))
        last = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def conductor(tempos=((0, 120.0),), meters=((0, 4, 4),), key: str | None = "C") -> mido.MidiTrack:
    ev = [(t, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(b))) for t, b in tempos]
    ev += [(t, mido.MetaMessage("time_signature", numerator=n, denominator=d)) for t, n, d in meters]
    if key:
        ev.append((0, mido.MetaMessage("key_signature", key=key)))
    ev.append((0, mido.MetaMessage("track_name", name="conductor")))
    return _track(ev)


def notes_track(notes, channel=0, program=0, name="piano") -> mido.MidiTrack:
    """notes: iterable of (start_tick, duration_ticks, pitch, velocity)."""
    ev = [(0, mido.MetaMessage("track_name", name=name))]
    if channel != 9 or program:
        ev.append((0, mido.Message("program_change", channel=channel, program=program)))
    for start, dur, pitch, vel in notes:
        ev.append((start, mido.Message("note_on", channel=channel, note=pitch, velocity=vel)))
        ev.append((start + dur, mido.Message("note_off", channel=channel, note=pitch, velocity=0)))
    return _track(ev)


def rock_beat(bars: int, step: int = TPB // 2, steps_per_bar: int = 8, start_bar: int = 0):
    """Kick on 1 and 3, snare on 2 and 4, closed hats on eighths; accents on the downbeat."""
    out = []
    for b in range(start_bar, start_bar + bars):
        base = b * steps_per_bar * step
        for s in range(steps_per_bar):
            tick = base + s * step
            out.append((tick, step // 2, 42, 100 if s % 2 == 0 else 60))
            if s % 4 == 0:
                out.append((tick, step // 2, 36, 110 if s == 0 else 90))
            if s % 4 == 2:
                out.append((tick, step // 2, 38, 100))
    return out


def chords(bars: int, ticks_per_bar: int = 4 * TPB, pitches=(48, 60, 64, 67)):
    return [(b * ticks_per_bar + q * TPB, TPB, p, 80) for b in range(bars) for q in range(ticks_per_bar // TPB)
            for p in (pitches if q % 2 == 0 else pitches[1:])]


def song(bars: int = 4, tempos=((0, 120.0),), meters=((0, 4, 4),), drums=True, pitched=True,
         extra_tracks=(), type0=False) -> mido.MidiFile:
    tracks = [conductor(tempos, meters)]
    if pitched:
        tracks.append(notes_track(chords(bars), channel=0, program=0, name="piano"))
        tracks.append(notes_track([(b * 4 * TPB, 2 * TPB, 36, 90) for b in range(bars)], channel=1,
                                  program=33, name="bass"))
    if drums:
        tracks.append(notes_track(rock_beat(bars), channel=9, name="drums"))
    tracks.extend(extra_tracks)
    mid = mido.MidiFile(type=1, ticks_per_beat=TPB, tracks=tracks)
    if type0:
        merged = mido.merge_tracks(mid.tracks)
        mid = mido.MidiFile(type=0, ticks_per_beat=TPB, tracks=[merged])
    return mid


def save(mid: mido.MidiFile, path: Path) -> Path:
    mid.save(str(path))
    return Path(path)
