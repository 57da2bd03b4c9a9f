"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path

import mido
import numpy as np

REPO = Path(__file__).resolve().parent.parent


def machine() -> dict:
    import os

    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}


def peak_rss_mb(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall time and peak RSS of one child process, measured by a fresh wrapper process."""
    code = ("import resource, subprocess, sys, time, json; t = time.perf_counter(); "
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "w = time.perf_counter() - t; "
            "print(json.dumps({'wall': w, 'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "
            "'rc': p.returncode, 'err': p.stderr[-500:], 'out': p.stdout[-500:]}))")
    proc = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True)
    data = json.loads(proc.stdout)
    return data["wall"], data["rss"], data


def long_song(minutes: float = 5.0, bpm: float = 120.0) -> mido.MidiFile:
    """A drumless song of the given length (piano chords and bass), for timing."""
    tpb = 480
    bars = int(minutes * bpm / 4)
    conductor = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0),
                                mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0)])
    piano, bass = mido.MidiTrack(), mido.MidiTrack()
    piano.append(mido.Message("program_change", channel=0, program=0, time=0))
    bass.append(mido.Message("program_change", channel=1, program=33, time=0))
    roots = [48, 45, 41, 43]
    for b in range(bars):
        root = roots[(b // 1) % 4]
        for q in range(4):
            for k, p in enumerate((root + 12, root + 16, root + 19)):
                piano.append(mido.Message("note_on", channel=0, note=p, velocity=70 + 10 * (q == 0), time=0))
            for k, p in enumerate((root + 12, root + 16, root + 19)):
                piano.append(mido.Message("note_off", channel=0, note=p, velocity=0, time=tpb if k == 0 else 0))
        for h in range(2):
            bass.append(mido.Message("note_on", channel=1, note=root - 12, velocity=90, time=0))
            bass.append(mido.Message("note_off", channel=1, note=root - 12, velocity=0, time=2 * tpb))
    return mido.MidiFile(type=1, ticks_per_beat=tpb, tracks=[conductor, piano, bass])


def sweep_song(minutes: float = 4.0, every: int = 5) -> mido.MidiFile:
    """:func:`long_song` plus a track of controller sweeps (mod wheel, expression, filter, pitch bend every
    ``every`` ticks): about 190,000 MIDI messages for 4 minutes, most of them not notes."""
    mid = long_song(minutes)
    total = sum(m.time for m in mid.tracks[1])
    sweep = mido.MidiTrack()
    for k, tick in enumerate(range(0, total, every)):
        for j, cc in enumerate((1, 11, 74)):
            sweep.append(mido.Message("control_change", channel=0, control=cc, value=(tick // every) % 128,
                                      time=every if (k and j == 0) else 0))
        sweep.append(mido.Message("pitchwheel", channel=0, pitch=((tick // every) % 200) * 40 - 4000, time=0))
    mid.tracks.append(sweep)
    return mid


def without_click(src: Path, dst: Path, bpm: float = 120.0, meter: tuple[int, int] | None = None) -> None:
    """Write ``src`` as a keyboard recorded without a click would be saved: every note, controller and
    program at the same second, under one constant ``bpm`` tempo map that has nothing to do with the
    music, with the file's first time signature (1/4 or 2/4 in these songs; ``meter`` if given) at the start."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(str(src))
    out = pretty_midi.PrettyMIDI(resolution=pm.resolution, initial_tempo=bpm)
    out.instruments = pm.instruments
    first = [(t.numerator, t.denominator) for t in pm.time_signature_changes[:1]] if meter is None else [meter]
    out.time_signature_changes = [pretty_midi.TimeSignature(a, b, 0.0) for a, b in first]
    out.write(str(dst))


def drift_warp(seed: int, depth: float, end: float, beat: float = 0.6, every: float = 8.0):
    """A performance's drifting tempo without a click, as a map of seconds: ``warp(t)`` is the time at which
    a player whose tempo wanders from the recorded one plays what was recorded at ``t``. The tempo factor is
    a smooth random curve (a new value every ``every`` beats of ``beat`` seconds, joined by cubic
    interpolation) whose log has standard deviation ``depth`` (0.04: a few bpm either way, as players
    without a click breathe); the same ``seed`` gives the same curve."""
    rng = np.random.default_rng(seed)
    knots = np.arange(0.0, end + 2 * beat * every, beat * every)
    log_rate = rng.normal(0.0, depth, knots.size)
    fine = np.linspace(0.0, knots[-1], max(int(knots[-1] / 0.01), 2))
    from scipy.interpolate import CubicSpline

    rate = np.exp(CubicSpline(knots, log_rate)(fine))
    warped = np.concatenate([[0.0], np.cumsum(np.diff(fine) / rate[1:])])  # slower where rate < 1

    def warp(t):
        return np.interp(np.asarray(t, np.float64), fine, warped)

    return warp


def with_drift(src: Path, dst: Path, seed: int, depth: float = 0.04, bpm: float | None = 120.0,
               beats: np.ndarray | None = None):
    """Write ``src`` as played without a click by a player whose tempo drifts (:func:`drift_warp`): every
    note, controller and pitch bend moved in time, under one constant ``bpm`` tempo map and the file's first
    time signature; ``bpm`` None: the mean tempo of the song's annotated ``beats`` as played (the tempo a
    program writes that takes the mean of the playing). Returns the warp, to move the annotated beats the same
    way."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(str(src))
    warp = drift_warp(seed, depth, pm.get_end_time())
    if bpm is None:
        played = warp(beats)
        bpm = 60.0 * (played.size - 1) / float(played[-1] - played[0])
    out = pretty_midi.PrettyMIDI(resolution=pm.resolution, initial_tempo=bpm)
    for inst in pm.instruments:
        for n in inst.notes:
            n.start, n.end = float(warp(n.start)), float(warp(n.end))
        for e in list(inst.control_changes) + list(inst.pitch_bends):
            e.time = float(warp(e.time))
    out.instruments = pm.instruments
    out.time_signature_changes = [pretty_midi.TimeSignature(t.numerator, t.denominator, 0.0)
                                  for t in pm.time_signature_changes[:1]]
    out.write(str(dst))
    return warp


def add_drift_arguments(parser, group=None) -> None:
    """``--drift DEPTH`` and ``--drift-map TEMPO`` (:func:`drifted`) on ``parser`` (``--drift`` in ``group`` if
    given, e.g. one it excludes another option with)."""
    (group or parser).add_argument(
        "--drift", type=float, default=None, metavar="DEPTH",
        help="play each song again with a drifting tempo (log sd DEPTH, e.g. 0.04), its annotation moved the same way")
    parser.add_argument("--drift-map", default="120", metavar="TEMPO",
                        help="with --drift: the tempo map the drifting song is saved under: a bpm (default 120) or "
                             "mean, the mean tempo of the playing")


def drifted(path: Path, folder: Path, beats: np.ndarray, downbeats: np.ndarray, args) -> tuple:
    """``(path, beats, downbeats)`` of the song at ``path`` played again with the drift of ``args`` (from
    :func:`add_drift_arguments`; the song's number seeds it) into ``folder``, its annotation moved the same way."""
    dst = Path(folder) / Path(path).name
    warp = with_drift(path, dst, seed=int(Path(path).stem) if Path(path).stem.isdigit() else 0, depth=args.drift,
                      bpm=None if args.drift_map == "mean" else float(args.drift_map), beats=beats)
    return dst, warp(beats), warp(downbeats)


def annotated_songs(songs: Path, annotations: Path | None = None,
                    only: list[str] | None = None) -> list[tuple[Path, np.ndarray, np.ndarray]]:
    """``(path, beats, downbeats)`` of every MIDI file in ``songs`` that has a beat annotation (POP909's
    ``NNN_beat_midi.txt``, in ``annotations``, default ``SONGS/annotations``), by name; only the songs named in
    ``only`` (e.g. ``["001", "017"]``) if given."""
    from neuraldrummer.evaluation.groove import read_beat_annotation

    folder = annotations or songs / "annotations"
    out = []
    for path in sorted(songs.glob("*.mid")):
        ann = folder / f"{path.stem}_beat_midi.txt"
        if ann.exists() and (not only or path.stem in only):
            out.append((path, *read_beat_annotation(ann)))
    return out


def write_result(name: str, result: dict, out: str | None) -> None:
    text = json.dumps({"benchmark": name, "machine": machine(), **result}, indent=2)
    sys.stdout.write(text + "\n")
    if out:
        Path(out).write_text(text + "\n")
