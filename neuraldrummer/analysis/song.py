"""A song on its grid: which grid (the file's, or beats and bars found in the music), its features and
its drums (:func:`encode_song`). Writing a drummed song back out is :mod:`.writing`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .drum_map import CLASS_NAMES
from .drums import DrumArrays, encode_drums
from ..errors import EmptySongError, NoPitchedNotesError
from .features import FEATURE_NAMES, analyse_song, onset_push, pitched_note_arrays
from ..beats.beat import onset_weights
from ..beats.beat_source import REGRID_ACCEPT_SHARE, REGRID_MIN_GAIN, accidental_fit, beats_from_music, one_constant_tempo
from ..beats.compound import COMPOUND_METER, DOTTED_PER_BAR, compound_beats, divides_in_three
from ..beats.grid import (MISFIT_SHARE, Grid, build_grid, constant_tempo_grid, grid_from_beats,
                   off_grid_share)
from ..beats.meter import estimate_bars
from ..beats.tempo import estimate_tempo
from ..io.midi import LoadedMidi, load_midi, require_notes

logger = logging.getLogger(__name__)


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
    #: the pitched instrument left out of the features (training augmentation), None for none
    drop_instrument: int | None = None

    @cached_property
    def push(self) -> np.ndarray:
        """``(T,)``: where the song's onsets fall against each step (see
        neuraldrummer.analysis.features.onset_push); computed when generation first asks for it."""
        return onset_push(self.grid, pitched_note_arrays(self.loaded.pm, self.drop_instrument)["start"])

    @property
    def path(self) -> Path | None:
        return self.loaded.path

    @property
    def has_pitched(self) -> bool:
        return bool(self.info.get("pitched_notes", 0))

    @property
    def has_drums(self) -> bool:
        return bool(self.drums.hits.any())


def marker_times(loaded: LoadedMidi, grid: Grid) -> np.ndarray:
    """Seconds of the file's marker and cue-point meta events (section names in many files)."""
    ticks = [m.time for track in loaded.mido_file.tracks for m in track
             if m.is_meta and m.type in ("marker", "cue_marker")]
    return grid.tempo_map.tick_to_time(np.asarray(ticks, np.float64)) if ticks else np.zeros(0)


def _bar_quarters(grid: Grid) -> np.ndarray:
    """The quarter notes in a bar of each of the file's meters."""
    return grid.meters[:, 0] * 4.0 / np.maximum(grid.meters[:, 1], 1)


def _declares_short_bars(grid: Grid) -> bool:
    """Does the file declare bars of fewer than three quarter notes (1/4, 2/4) for most of the song?
    Songs played in by hand are saved so; a groove needs the music's own bar."""
    return bool(np.mean(_bar_quarters(grid) < 3) > 0.5)


def _declares_three(grid: Grid) -> bool:
    """Does the file declare bars of three quarter notes (3/4, 6/8) for most of the song?"""
    return bool(np.mean(_bar_quarters(grid) == 3) > 0.5)


def fit_grid(loaded: LoadedMidi, steps_per_beat: int, regrid: str = "auto",
             beats_per_bar: int | None = None) -> tuple[Grid, dict]:
    """The song's grid, and how it was found.

    The share of pitched onsets (drum onsets for drum-only files) off the 16th grid of the
    file's own tempo map measures the fit. Where the map fits and the file's meter has bars of
    three quarter notes or more, the file's grid is used (``info["grid"] = "file"``).
    Otherwise, with ``regrid="auto"``, the beats and bars come from the music:

    * beats (:func:`~.beat_source.beats_from_music`): the file's tempo map shifted to fit the onsets, one
      constant tempo, or the dynamic-programming beat tracker whose beats follow the tempo as it
      drifts, the simplest that fits (``info["beat_source"]``); a grid on them is used if at most
      :data:`REGRID_ACCEPT_SHARE` of the onsets are off it;
    * bars: ``beats_per_bar`` (None: three or four, as the downbeat evidence repeats) by the Viterbi of
      :mod:`~neuraldrummer.beats.meter` over the downbeat evidence of the bass, held notes and harmonic
      changes.

    ``info["grid"]`` is then ``"beats"`` (``"regridded"`` for one constant tempo). If no beats
    fit, the file's grid is kept (``"misfit"`` if it does not fit either). Drum-only files get one
    constant tempo. ``regrid="off"`` keeps the file's grid always; ``regrid="music"`` always takes the
    beats and bars from the music (notes transcribed from a recording, whose file grid means nothing).
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
    fits = share <= MISFIT_SHARE and regrid != "music"
    judged = share  # how well the file's grid fits, as the beats found in the music must improve on it
    weights = onset_weights(notes["velocity"], notes["is_bass"])
    tracked = None  # the tracker's beats, once run
    accidental = False
    if fits and share > 0.05 and notes["start"].size >= 16 and one_constant_tempo(grid.tempo_map):
        accidental, tracked = accidental_fit(grid, notes, weights, share, pm.get_end_time())
        fits = not accidental
        judged = share if fits else 1.0
    if regrid == "off" or onsets.size < 16 or (fits and not short_bars and beats_per_bar is None):
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
    source, beats, beat_share, qpm, level = beats_from_music(grid.tempo_map, notes, weights, end, fits,
                                                              tracked=tracked, accidental=accidental,
                                                              transcribed=regrid == "music")
    accept = beat_share <= REGRID_ACCEPT_SHARE and (fits or beat_share <= judged - REGRID_MIN_GAIN)
    if accept or regrid == "music":
        compound = beats_per_bar is None and divides_in_three(beats, onsets)
        n, positions, periodicity = estimate_bars(beats, notes, DOTTED_PER_BAR if compound else beats_per_bar,
                                                  transcribed=regrid == "music", declared_three=_declares_three(grid))
        unit = 4
        if compound:  # the beat found is a dotted quarter: the grid of a file in 12/8
            beats, positions = compound_beats(beats, positions)
            n, qpm, unit = 3 * n // 2, 1.5 * qpm, COMPOUND_METER[1]
            info["meter"] = "/".join(map(str, COMPOUND_METER))
        new = grid_from_beats(grid.tempo_map, beats, positions, end, steps_per_beat, unit=unit)
        info.update(grid="regridded" if source == "constant" else "beats", beat_source=source, beat_level=level,
                    beats_off_grid_share=round(beat_share, 4), estimated_qpm=round(qpm, 3), beats_per_bar=n,
                    beats_per_bar_forced=beats_per_bar is not None, bar_periodicity=round(periodicity, 2),
                    file_meters=sorted({f"{a}/{b}" for a, b in grid.meters.tolist()}))
        return new, info
    if not fits:
        info.update(grid="misfit", estimated_qpm=round(qpm, 3), regridded_off_grid_share=round(beat_share, 4))
    return grid, info


def grid_reason(info: dict) -> str:
    """Why the file's own grid was not used, in words (``info`` from ``encode_song``)."""
    meters = ", ".join(info.get("file_meters", [])) or "none"
    if info.get("off_grid_share", 0.0) > 0.5:
        return (f"the tempo map does not fit the notes ({100 * info['off_grid_share']:.0f}% of onsets off its "
                f"16th grid) and its meter ({meters}) says nothing of the bar")
    if info.get("beats_per_bar_forced"):
        return f"the bar is set to {info['beats_per_bar']} beats"
    return f"the file's meter ({meters}) has bars shorter than the music's"


def bar_words(info: dict) -> str:
    """The bars found in the music, in words: ``"4-beat bars"``, or ``"12/8 bars"`` where the beat found divides in
    three (:mod:`~neuraldrummer.beats.compound`)."""
    if info.get("meter"):
        return f"{info['meter']} bars (the beat found divides in three: {info['beats_per_bar']} beats of two eighths)"
    return f"{info['beats_per_bar']}-beat bars"


def _three(info: dict) -> str:
    """The words for :func:`describe_grid` where the music's bars were found to have three beats, else ''."""
    if info.get("beats_per_bar") != 3 or info.get("beats_per_bar_forced"):
        return ""
    return f", in bars of three: the music repeats every 3 beats more than every 4 ({info['bar_periodicity']:+.1f})"


def describe_grid(info: dict) -> str:
    """Which grid a song is drummed on, and why, in one line."""
    share = 100 * info.get("off_grid_share", 0.0)
    level = {"half": ", every other beat of those: the pulse a listener taps",
             "double": ", with a beat between each two: the pulse a listener taps"}.get(info.get("beat_level"), "")
    if info.get("grid") == "beats":
        how = ("the file's tempo map, shifted to the notes" if info.get("beat_source") == "tempo_map"
               else "beats tracked in the notes (following the tempo as it drifts)") + level
        return (f"beats and {bar_words(info)} from the music ({how}, "
                f"{info['estimated_qpm']:.0f} bpm{_three(info)}), because {grid_reason(info)}")
    if info.get("grid") == "regridded":
        bars = f", {bar_words(info)} from the music" if "beats_per_bar" in info else ""
        return (f"a constant {info['estimated_qpm']:.1f} bpm re-estimated from the notes{level}{bars}{_three(info)} "
                f"({share:.0f}% of onsets off the file's)")
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
    return EncodedSong(loaded, grid, features, encoding.drums, tuple(feature_names), info, reference, form,
                       drop_instrument)


def describe_classes(drums: DrumArrays) -> dict[str, int]:
    """Hit counts per drum class name (classes with hits only)."""
    counts = drums.hits.sum(axis=0)
    return {name: int(c) for name, c in zip(CLASS_NAMES, counts) if c}
