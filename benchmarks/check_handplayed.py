"""Songs played by hand: does the drummer find the beat and the bar, and play a groove in time?

For every song of a folder with beat annotations (POP909's ``NNN_beat_midi.txt`` in
``SONGS/annotations/``): drum it with defaults (in a temporary folder, as ``drum`` would),
read the drum notes back from the written file and score them against the annotated beats and
downbeats (``neuraldrummer.evaluation.groove``). Also scores the grid the drummer used (its
beats and bar lines) and the dynamic-programming tracker alone (beats from the notes only, the
file's tempo map ignored) with ``mir_eval``'s F-measure, and the drums' crashes on the section starts of
the song's form on that grid (issue 16's ``crash_on_section_start``).

    python benchmarks/check_handplayed.py ../shared/data/drumless [--json reports/handplayed.json]
        [--seed N] [--follow-form auto|on|off] [--follow-density on|off] [--follow-groove on|off]
        [--start basic] [--temperature T] [--no-click | --drift DEPTH [--drift-map mean]] [--set NAME=VALUE ...]

``--no-click`` first rewrites each song with its tempo map replaced by a constant 120 bpm (the notes keep
their seconds, :func:`common.without_click`): the case of songs recorded without a click, whose tempo
map does not fit, so that the grid comes from the beat tracker. ``--no-click TEMPO`` takes another constant
tempo: a bpm, or ``meanxF``, the song's mean tempo times F (as in ``check_beats.py``).

``--drift DEPTH`` goes further: each song is played again by a player without a click whose tempo wanders
(:func:`common.with_drift`: a smooth random tempo curve, log standard deviation DEPTH, e.g. 0.04, a curve of
its own for each song), saved under a constant 120 bpm map, and its annotated beats are moved the same way:
songs that drift and breathe, as most songs played in by hand do. ``--drift-map mean`` saves it under the mean
tempo of the playing instead (a program that writes the tempo it measured, or one typed in), not 120 bpm.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pretty_midi

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_beats import file_tempo  # noqa: E402
from common import add_drift_arguments, annotated_songs, drifted, without_click, write_result  # noqa: E402

from neuraldrummer import DrummerRuntime, GenerationSettings, drum_song  # noqa: E402
from neuraldrummer.beats.beat import onset_weights, track_beats  # noqa: E402
from neuraldrummer.analysis.features import pitched_note_arrays  # noqa: E402
from neuraldrummer.app.cli_drum import default_model_dir  # noqa: E402
from neuraldrummer.generation.settings import settings_overrides  # noqa: E402
from neuraldrummer.evaluation.groove import beat_f, beat_scores, groove_measures, groove_table  # noqa: E402
from neuraldrummer.evaluation.metrics import follow_measures  # noqa: E402


def off_annotated_grid(times: np.ndarray, beats: np.ndarray) -> float:
    """Share of onsets further than 1/8 of a 16th from the annotated 16th grid (the drums' feel)."""
    six = (beats[:-1, None] + np.diff(beats)[:, None] * np.arange(4)[None, :] / 4.0).ravel()
    inside = times[(times >= six[0]) & (times <= six[-1])]
    if inside.size == 0:
        return 0.0
    j = np.clip(np.searchsorted(six, inside), 1, six.size - 1)
    dist = np.minimum(np.abs(inside - six[j - 1]), np.abs(six[j] - inside))
    width = np.diff(six)[np.clip(j - 1, 0, six.size - 2)]
    return float((dist > width / 8).mean())


ROWS = ("on_grid", "kick_on_downbeats", "backbeat", "top_sound_share", "hits_per_beat")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("songs", type=Path)
    ap.add_argument("--annotations", type=Path, help="default: SONGS/annotations")
    ap.add_argument("--model", default=None)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--start", default="auto", help="start pattern (drum --start); default auto")
    ap.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    ap.add_argument("--temperature", type=float, default=None, help="sampling temperature (default: drum's)")
    ap.add_argument("--follow-form", choices=("auto", "on", "off"), default="auto",
                    help="choose takes for fills and repeats: auto (drum's default: off on grids found in the "
                         "music), on or off")
    ap.add_argument("--follow-density", choices=("on", "off"), default="on",
                    help="choose takes for following the song's density (default on, as drum does)")
    ap.add_argument("--follow-groove", choices=("on", "off"), default="off",
                    help="choose takes for keeping a groove outside fills (default off, as drum does)")
    tempo = ap.add_mutually_exclusive_group()
    tempo.add_argument("--no-click", nargs="?", const="120", default=None, metavar="TEMPO",
                       help="replace each song's tempo map by a constant tempo first (notes keep their seconds): "
                            "120 bpm, or TEMPO: a bpm, or meanxF for the song's mean tempo times F (check_beats.py)")
    add_drift_arguments(ap, tempo)
    ap.add_argument("--only", nargs="*", help="song names (e.g. 001 017) to check; default all")
    ap.add_argument("--set", action="append", metavar="NAME=VALUE",
                    help="any other generation setting, as for evaluate --set (repeatable)")
    args = ap.parse_args()
    runtime = DrummerRuntime.load(args.model or default_model_dir())
    per_song = []
    with tempfile.TemporaryDirectory() as tmp:
        for path, ref_beats, ref_down in annotated_songs(args.songs, args.annotations, args.only):
            out = Path(tmp) / f"{path.stem}_drums.mid"
            if args.no_click:
                without_click(path, Path(tmp) / path.name, bpm=file_tempo(args.no_click, ref_beats))
                path = Path(tmp) / path.name
            elif args.drift:
                path, ref_beats, ref_down = drifted(path, Path(tmp), ref_beats, ref_down, args)
            form = {"auto": None, "on": True, "off": False}[args.follow_form]
            extra = {} if args.temperature is None else {"temperature": args.temperature}
            extra.update(settings_overrides(args.set or [], "--set "))
            settings = GenerationSettings(start=args.start, seed=args.seed, follow_form=form,
                                          follow_density=args.follow_density == "on",
                                          follow_groove=args.follow_groove == "on", **extra)
            result = drum_song(path, out, runtime, settings)
            pm = pretty_midi.PrettyMIDI(str(out))
            drums = [n for i in pm.instruments if i.is_drum for n in i.notes]
            g = groove_measures(np.array([n.start for n in drums]), np.array([n.pitch for n in drums]),
                                ref_beats, ref_down)
            g["off_grid_share"] = off_annotated_grid(np.array([n.start for n in drums]), ref_beats)
            g["distinct_velocities"] = len({n.velocity for n in drums})
            # crashes on the section starts of the song's form, on the grid the drummer used (issue 16's measure)
            follow = follow_measures(result.song.grid, result.song.form, np.array([n.start for n in drums]),
                                     np.array([n.pitch for n in drums])) if result.song.grid.steps_per_beat == 4 else {}
            g["crash_on_section_start"] = follow.get("crash_on_section_start")
            grid = result.song.grid
            on_beat = grid.step_in_bar % grid.steps_per_beat == 0
            beats = grid.starts[on_beat]
            down = grid.starts[grid.step_in_bar == 0]
            s = beat_scores(beats, down, ref_beats, ref_down)
            notes = pitched_note_arrays(result.song.loaded.pm)
            tracked = track_beats(notes["start"], onset_weights(notes["velocity"], notes["is_bass"]),
                                  result.song.loaded.pm.get_end_time())
            s["tracker_alone_beat_f"] = beat_f(ref_beats, tracked)
            row = {"song": path.name, "grid": result.song.info.get("grid"), **g, **s}
            per_song.append(row)
            print(f"{path.name}: grid {row['grid']}, beat F {s['beat_f']:.2f}, downbeat F {s['downbeat_f']:.2f}, "
                  f"tracker alone {s['tracker_alone_beat_f']:.2f} | on grid {g['on_grid']:.2f}, kick on downbeats "
                  f"{g['kick_on_downbeats']:.2f}, backbeat {g['backbeat']:.2f}, top sound {g['top_sound_share']:.2f}, "
                  f"hits/beat {g['hits_per_beat']:.2f}, off grid {g['off_grid_share']:.2f}, {g['distinct_velocities']} velocities "
                  f"-> {'groove' if g['groove_in_time'] else 'no'}", flush=True)
    crashes = [r["crash_on_section_start"] for r in per_song if r["crash_on_section_start"] is not None]
    table = {
        **groove_table(per_song),
        "tracker_alone_beat_f_mean": float(np.mean([r["tracker_alone_beat_f"] for r in per_song])),
        "drums_off_grid_share_median": float(np.median([r["off_grid_share"] for r in per_song])),
        "distinct_velocities_median": float(np.median([r["distinct_velocities"] for r in per_song])),
        "crash_on_section_start_mean": float(np.mean(crashes)) if crashes else None,
    }
    print(" | ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in table.items()))
    if args.json:
        write_result("check_handplayed", {"table": table, "songs": per_song}, str(args.json))


if __name__ == "__main__":
    main()
