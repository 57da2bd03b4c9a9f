"""A song on its grid (grid + features + drums), and writing a drummed song back out."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

import mido
import numpy as np

from .drum_map import CLASS_NAMES
from .drum_map import PITCH_TO_CLASS
from .drums import DrumArrays, decode_drum_ticks, decode_drums, encode_drums
from ..errors import EmptySongError, NoPitchedNotesError
from .features import FEATURE_NAMES, analyse_song, pitched_note_arrays
from .beat import constant_tempo_beats, off_beat_grid_share, onset_weights, shifted_tempo_map_beats, track_beats
from .grid import (MISFIT_SHARE, Grid, build_grid, constant_tempo_grid, estimate_tempo, grid_from_beats,
                   off_grid_share)
from .meter import estimate_bars
from ..io.midi import LoadedMidi, load_midi, midi_to_bytes, require_notes, track_chunks, write_midi

logger = logging.getLogger(__name__)

DRUM_CHANNEL = 9  # General MIDI channel 10, counted from zero
DRUM_TRACK_NAME = "NeuralDrummer"


@dataclass
class EncodedSong:
    """A song as arrays on its own grid."""

    loaded: LoadedMidi
    grid: Grid
    features: np.ndarray  # (T, F) float32
    drums: DrumArrays
    feature_names: tuple[str, ...] = FEATURE_NAMES
    info: dict = field(default_factory=dict)
    #: ``(T,)`` int32: the step whose drums each step may repeat (see neuraldrummer.analysis.structure), -1 if none
    reference: np.ndarray | None = None
    #: bar-level sections and repeats of the pitched parts (see neuraldrummer.analysis.structure)
    form: object = None

    @property
    def path(self) -> Path | None:
        return self.loaded.path

    @property
    def has_pitched(self) -> bool:
        return bool(self.info.get("pitched_notes", 0))

    @property
    def has_drums(self) -> bool:
        return bool(self.drums.hits.any())


#: A re-estimated grid is used only if at most this share of onsets is off it ...
REGRID_ACCEPT_SHARE = 0.3
#: ... and it improves on the file's own tempo map by at least this much.
REGRID_MIN_GAIN = 0.2


def marker_times(loaded: LoadedMidi, grid: Grid) -> np.ndarray:
    """Seconds of the file's marker and cue-point meta events (section names in many files)."""
    ticks = [m.time for track in loaded.mido_file.tracks for m in track
             if m.is_meta and m.type in ("marker", "cue_marker")]
    return grid.tempo_map.tick_to_time(np.asarray(ticks, np.float64)) if ticks else np.zeros(0)


def _declares_short_bars(grid: Grid) -> bool:
    """Does the file declare bars of fewer than three quarter notes (1/4, 2/4) for most of the song?
    Songs played in by hand are saved so; a groove needs the music's own bar."""
    quarters = grid.meters[:, 0] * 4.0 / np.maximum(grid.meters[:, 1], 1)
    return bool(np.mean(quarters < 3) > 0.5)


def fit_grid(loaded: LoadedMidi, steps_per_beat: int, regrid: str = "auto",
             beats_per_bar: int | None = None) -> tuple[Grid, dict]:
    """The song's grid, and how it was found.

    The share of pitched onsets (drum onsets for drum-only files) off the 16th grid of the
    file's own tempo map measures the fit. Where the map fits and the file's meter has bars of
    three quarter notes or more, the file's grid is used (``info["grid"] = "file"``).
    Otherwise, with ``regrid="auto"``, the beats and bars come from the music:

    * beats (:func:`_beats_from_music`): the file's tempo map shifted to fit the onsets, one
      constant tempo, or the dynamic-programming beat tracker whose beats follow the tempo as it
      drifts, the simplest that fits (``info["beat_source"]``); a grid on them is used if at most
      :data:`REGRID_ACCEPT_SHARE` of the onsets are off it;
    * bars: ``beats_per_bar`` (default 4) by the Viterbi of :mod:`~neuraldrummer.analysis.meter`
      over the downbeat evidence of the bass, held notes and harmonic changes.

    ``info["grid"]`` is then ``"beats"`` (``"regridded"`` for one constant tempo). If no beats
    fit, the file's grid is kept (``"misfit"`` if it does not fit either). Drum-only files get one
    constant tempo. ``regrid="off"`` keeps the file's grid always.
    """
    pm = loaded.pm
    grid = build_grid(pm, steps_per_beat)
    notes = pitched_note_arrays(pm)
    onsets = notes["start"]
    if onsets.size == 0:
        onsets = np.asarray([n.start for i in pm.instruments for n in i.notes], np.float64)
    grid16 = grid if steps_per_beat == 4 else build_grid(pm, 4)
    share = off_grid_share(grid16, onsets)
    info = {"grid": "file", "off_grid_share": round(share, 4)}
    short_bars = _declares_short_bars(grid)
    fits = share <= MISFIT_SHARE
    if (fits and not short_bars and beats_per_bar is None) or regrid != "auto" or onsets.size < 16:
        if not fits:
            info["grid"] = "misfit"
        return grid, info
    end = pm.get_end_time()
    if notes["start"].size < 16:  # drum-only: one constant tempo, bars where the onsets fall most
        if fits:
            return grid, info
        qpm, phase = estimate_tempo(np.unique(np.round(onsets, 3)))
        new16 = constant_tempo_grid(grid.tempo_map, qpm, phase, end, 4, onsets, onsets)
        new_share = off_grid_share(new16, onsets)
        info.update(grid="misfit", estimated_qpm=round(qpm, 3), regridded_off_grid_share=round(new_share, 4))
        if new_share <= REGRID_ACCEPT_SHARE and new_share <= share - REGRID_MIN_GAIN:
            info["grid"] = "regridded"
            grid = new16 if steps_per_beat == 4 else constant_tempo_grid(grid.tempo_map, qpm, phase, end,
                                                                         steps_per_beat, onsets, onsets)
        return grid, info
    weights = onset_weights(notes["velocity"], notes["is_bass"])
    source, beats, beat_share, qpm = _beats_from_music(grid.tempo_map, onsets, weights, end)
    if beat_share <= REGRID_ACCEPT_SHARE and (fits or beat_share <= share - REGRID_MIN_GAIN):
        n = int(beats_per_bar or 4)
        positions = estimate_bars(beats, notes, n)
        new = grid_from_beats(grid.tempo_map, beats, positions, end, steps_per_beat)
        info.update(grid="regridded" if source == "constant" else "beats", beat_source=source,
                    beats_off_grid_share=round(beat_share, 4), estimated_qpm=round(qpm, 3), beats_per_bar=n,
                    beats_per_bar_forced=beats_per_bar is not None,
                    file_meters=sorted({f"{a}/{b}" for a, b in grid.meters.tolist()}))
        return new, info
    if not fits:
        info.update(grid="misfit", estimated_qpm=round(qpm, 3), regridded_off_grid_share=round(beat_share, 4))
    return grid, info


#: a beat source further down the list is taken only if its share of onsets off the grid is lower by this
SIMPLER_BEATS_MARGIN = 0.03


def _beats_from_music(tempo, onsets: np.ndarray, weights: np.ndarray, end: float) -> tuple[str, np.ndarray, float, float]:
    """The beats that fit the onsets, from the simplest source that fits: the file's tempo map
    shifted (taken whenever it fits), else the better of one constant tempo and the
    dynamic-programming tracker (the tracker only if clearly better). Returns (source, beats, share of
    onsets off their 16ths and triplets, see :func:`~neuraldrummer.analysis.beat.off_beat_grid_share`,
    median bpm)."""
    best = None
    for source in ("tempo_map", "constant", "tracked"):
        if source == "tempo_map":
            beats = shifted_tempo_map_beats(tempo, onsets, weights, end)
        elif source == "constant":
            qpm, phase = estimate_tempo(np.unique(np.round(onsets, 3)))
            beats = constant_tempo_beats(qpm, phase, onsets, weights, end)
            file_qpm = 60.0 / float(np.median(np.diff(best[1])))
            if abs(qpm / file_qpm - 1.0) < 0.01:
                # the steadiest tempo in the notes is the file's own: its map is right and the notes are
                # loose (rubato, 32nds); keep its beats, vouched for by how well that tempo fits
                best = ("tempo_map", best[1], min(best[2], off_beat_grid_share(beats, onsets)))
                break
        else:
            beats = track_beats(onsets, weights, end)
        share = off_beat_grid_share(beats, onsets)
        if best is None or share < best[2] - SIMPLER_BEATS_MARGIN:
            best = (source, beats, share)
        if best[2] <= (REGRID_ACCEPT_SHARE if source == "tempo_map" else 0.05):
            break  # the file's own tempo map, shifted, fits: it knows the tempo changes; or good enough
    source, beats, share = best
    return source, beats, share, 60.0 / float(np.median(np.diff(beats)))


def grid_reason(info: dict) -> str:
    """Why the file's own grid was not used, in words (``info`` from ``encode_song``)."""
    meters = ", ".join(info.get("file_meters", [])) or "none"
    if info.get("off_grid_share", 0.0) > 0.5:
        return (f"the tempo map does not fit the notes ({100 * info['off_grid_share']:.0f}% of onsets off its "
                f"16th grid) and its meter ({meters}) says nothing of the bar")
    if info.get("beats_per_bar_forced"):
        return f"the bar is set to {info['beats_per_bar']} beats"
    return f"the file's meter ({meters}) has bars shorter than the music's"


def describe_grid(info: dict) -> str:
    """Which grid a song is drummed on, and why, in one line."""
    share = 100 * info.get("off_grid_share", 0.0)
    if info.get("grid") == "beats":
        how = ("the file's tempo map, shifted to the notes" if info.get("beat_source") == "tempo_map"
               else "beats tracked in the notes (following the tempo as it drifts)")
        return (f"beats and {info['beats_per_bar']}-beat bars from the music ({how}, "
                f"{info['estimated_qpm']:.0f} bpm), because {grid_reason(info)}")
    if info.get("grid") == "regridded":
        return f"a constant {info['estimated_qpm']:.1f} bpm re-estimated from the notes ({share:.0f}% of onsets off the file's)"
    if info.get("grid") == "misfit":
        return f"the file's own, though {share:.0f}% of onsets are off it (no better grid found)"
    return f"the file's own tempo map and meter ({share:.0f}% of onsets off its 16th grid)"


def encode_song(
    source: str | Path | LoadedMidi,
    steps_per_beat: int = 2,
    feature_names: tuple[str, ...] = FEATURE_NAMES,
    require_pitched: bool = False,
    regrid: str = "auto",
    drop_instrument: int | None = None,
    beats_per_bar: int | None = None,
) -> EncodedSong:
    """Load a song (if given a path) and put it on its grid (see :func:`fit_grid`).

    Raises
    ------
    MidiLoadError, EmptySongError, NoPitchedNotesError, SongTooLongError
    """
    loaded = source if isinstance(source, LoadedMidi) else load_midi(source)
    require_notes(loaded)
    pm = loaded.pm
    pitched = sum(len(i.notes) for i in pm.instruments if not i.is_drum)
    if require_pitched and pitched == 0:
        raise NoPitchedNotesError("song has no pitched (non-drum) notes to drum along to", loaded.path)
    try:
        grid, fit = fit_grid(loaded, steps_per_beat, regrid, beats_per_bar)
    except EmptySongError as exc:
        raise EmptySongError(exc.message, loaded.path) from exc
    except Exception as exc:  # re-raise our own errors with the path attached
        from ..errors import NeuralDrummerError

        if isinstance(exc, NeuralDrummerError):
            raise type(exc)(exc.message, loaded.path) from exc
        raise
    markers = marker_times(loaded, grid)
    features, reference, form = analyse_song(pm, grid, feature_names, markers, drop_instrument)
    encoding = encode_drums(pm, grid)
    tempos = np.unique(np.round(grid.tempo_map.qpm, 2))
    info = {
        "pitched_notes": int(pitched),
        "drum_notes": encoding.num_notes,
        "unknown_drum_pitches": dict(sorted(encoding.unknown_pitches.items())),
        "merged_drum_notes": encoding.merged_notes,
        "tempos": [float(t) for t in tempos],
        "meters": sorted({f"{n}/{d}" for n, d in grid.meters.tolist()}),
        "bars": grid.num_bars,
        "steps": grid.num_steps,
        "seconds": float(grid.times[-1]),
        "instruments": len(pm.instruments),
        "drum_only": pitched == 0,
        **fit,
    }
    return EncodedSong(loaded, grid, features, encoding.drums, tuple(feature_names), info, reference, form)


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


def drum_track(drums: DrumArrays, grid: Grid, quantized: bool = False,
               name: str = DRUM_TRACK_NAME) -> mido.MidiTrack:
    """A mido track (delta ticks) on channel 10 holding the decoded drums."""
    events = decode_drums(drums, grid, quantized)
    length = max(1, int(round(events.step_ticks / 2)))
    out: list[tuple[int, int, mido.Message]] = [
        (0, 0, mido.MetaMessage("track_name", name=name, time=0)),
        (0, 1, mido.Message("program_change", channel=DRUM_CHANNEL, program=0, time=0)),
    ]
    out += _note_events(np.rint(events.ticks).astype(np.int64), events.pitches, events.velocities, length, 2)
    end = max([e[0] for e in out] + [0])
    out.append((end, len(out) + 2, mido.MetaMessage("end_of_track")))
    return _absolute_to_track(out)


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
        had_drums = any(_is_drum_channel_message(m) for m in track)
        events = [
            (int(m.time), i, m) for i, m in enumerate(track)
            if keep_drums or not _is_drum_channel_message(m)
        ]
        if had_drums and not keep_drums and all(
            m.is_meta and m.type in ("track_name", "instrument_name", "end_of_track") for _, _, m in events
        ):
            continue  # a drums-only track with nothing else left: drop it
        out.tracks.append(_absolute_to_track(events))
    out.tracks.append(drum_track(drums, grid, quantized, name))
    return out


def combine_bytes(loaded: LoadedMidi, drums: DrumArrays, grid: Grid, keep_drums: bool = False,
                  quantized: bool = False, name: str = DRUM_TRACK_NAME) -> bytes:
    """:func:`combine` as file bytes, copying every track without drum-channel notes byte for byte.

    Only the tracks that held drums (their drums are replaced) and the new drum track are encoded, so
    a song's controller sweeps, lyrics and other events cost a copy of their bytes, not a message
    object each. Falls back to encoding :func:`combine`'s file where the input's chunks are irregular.
    """
    import io

    src = loaded.mido_file
    chunks = track_chunks(loaded.data)
    if chunks is None or len(chunks) != len(src.tracks):
        return midi_to_bytes(combine(loaded, drums, grid, keep_drums, quantized, name))
    from mido.midifiles.midifiles import write_track

    def encoded(track: mido.MidiTrack) -> bytes:
        buffer = io.BytesIO()
        write_track(buffer, track)
        return buffer.getvalue()

    out = []
    for index, (raw, track) in enumerate(zip(chunks, src.tracks)):
        if keep_drums or not any(_is_drum_channel_message(m) for m in track):
            out.append(raw)
            continue
        full = loaded.full_track(index)
        events = [(int(m.time), i, m) for i, m in enumerate(full) if not _is_drum_channel_message(m)]
        if all(m.is_meta and m.type in ("track_name", "instrument_name", "end_of_track") for _, _, m in events):
            continue  # a drums-only track with nothing else left: drop it
        out.append(encoded(_absolute_to_track(events)))
    out.append(encoded(drum_track(drums, grid, quantized, name)))
    header = b"MThd" + (6).to_bytes(4, "big") + (1).to_bytes(2, "big") + len(out).to_bytes(2, "big") \
        + int(src.ticks_per_beat).to_bytes(2, "big")
    return header + b"".join(out)


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
    from mido.midifiles.midifiles import write_track

    out = []
    for k, events in enumerate(tracks):
        if events is None:
            out.append(chunks[k])
            continue
        buffer = io.BytesIO()
        write_track(buffer, _absolute_to_track(events))
        out.append(buffer.getvalue())
    header = b"MThd" + (6).to_bytes(4, "big") + int(kind).to_bytes(2, "big") + len(out).to_bytes(2, "big") \
        + int(src.ticks_per_beat).to_bytes(2, "big")
    return header + b"".join(out)


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


def describe_classes(drums: DrumArrays) -> dict[str, int]:
    """Hit counts per drum class name (classes with hits only)."""
    counts = drums.hits.sum(axis=0)
    return {name: int(c) for name, c in zip(CLASS_NAMES, counts) if c}
