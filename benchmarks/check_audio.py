"""Recordings: render annotated songs to audio, drum each recording from the audio alone, and score it.

For every song of a folder with beat annotations (``SONGS/annotations/NNN_beat_midi.txt``):
render the MIDI to a WAV with the General MIDI soundfont that ``neuraldrummer`` renders with
(rendered audio keeps the MIDI's times), drum the WAV as ``neuraldrummer drum SONG.wav`` does
(transcription, beats and bars from the music, drums, MIDI and mix written), read the drum
notes back from the written MIDI (its tempo map follows the recording) and score them against
the annotated beats and downbeats like ``check_handplayed.py``; also the F-measure of the
beats and downbeats the drummer used. Reports the time per minute of audio of the whole job.

    python benchmarks/check_audio.py ../shared/data/drumless [--json reports/audio.json] [--only 001 017]
        [--seed N] [--follow-density on|off] [--soundfont FluidR3_GM.sf2] [--drift DEPTH] [--set NAME=VALUE ...]

The hidden check renders with another soundfont than ours: ``--soundfont`` renders with a given one.
``--drift DEPTH`` renders each song as played again with a wandering tempo (``check_handplayed.py --drift``,
:func:`common.with_drift`), its annotation moved the same way: most songs played in by hand drift.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pretty_midi

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import add_drift_arguments, annotated_songs, drifted, write_result  # noqa: E402

from neuraldrummer import DrummerRuntime, GenerationSettings  # noqa: E402
from neuraldrummer.app.cli_drum import default_model_dir  # noqa: E402
from neuraldrummer.evaluation.groove import beat_scores, groove_measures, groove_table  # noqa: E402
from neuraldrummer.generation.drumming import drum_recording  # noqa: E402
from neuraldrummer.generation.settings import settings_overrides  # noqa: E402
from neuraldrummer.errors import AudioError  # noqa: E402
from neuraldrummer.io.audio import check_soundfont, write_audio  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("songs", type=Path)
    ap.add_argument("--annotations", type=Path, help="default: SONGS/annotations")
    ap.add_argument("--model", default=None)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--follow-density", choices=("on", "off"), default=None,
                    help="choose takes for following the song's density: on, off; default as drum does")
    ap.add_argument("--soundfont", type=Path, default=None,
                    help="a General MIDI .sf2 to render the songs with (default: the one neuraldrummer renders with)")
    ap.add_argument("--only", nargs="*", help="song names (e.g. 001 017) to check; default all")
    add_drift_arguments(ap)
    ap.add_argument("--set", action="append", metavar="NAME=VALUE",
                    help="any other generation setting, as for evaluate --set (repeatable)")
    args = ap.parse_args()
    if args.soundfont is not None:
        try:
            check_soundfont(args.soundfont)
        except AudioError as exc:  # before forty songs are loaded: one line, as drum gives it
            ap.error(str(exc))
    runtime = DrummerRuntime.load(args.model or default_model_dir())
    per_song = []
    extra = {} if args.follow_density is None else {"follow_density": args.follow_density == "on"}
    extra.update(settings_overrides(args.set or [], "--set "))
    seconds_audio = seconds_job = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for path, ref_beats, ref_down in annotated_songs(args.songs, args.annotations, args.only):
            wav = Path(tmp) / f"{path.stem}.wav"
            if args.drift:
                path, ref_beats, ref_down = drifted(path, Path(tmp), ref_beats, ref_down, args)
            write_audio(path, wav, soundfont=args.soundfont)
            started = time.perf_counter()
            result = drum_recording(wav, Path(tmp) / f"{path.stem}_drums.mid", runtime,
                                    GenerationSettings(seed=args.seed, **extra), mix_path=Path(tmp) / f"{path.stem}_mix.wav")
            seconds_job += time.perf_counter() - started
            seconds_audio += result.info["recording_seconds"]
            pm = pretty_midi.PrettyMIDI(str(result.output))
            drums = [n for i in pm.instruments if i.is_drum for n in i.notes]
            g = groove_measures(np.array([n.start for n in drums]), np.array([n.pitch for n in drums]),
                                ref_beats, ref_down)
            grid = result.song.grid
            on_beat = grid.step_in_bar % grid.steps_per_beat == 0
            s = beat_scores(grid.starts[on_beat], grid.starts[grid.step_in_bar == 0], ref_beats, ref_down)
            row = {"song": path.name, "grid": result.song.info.get("grid"),
                   "transcribed_notes": result.info["transcribed_notes"],
                   "seconds": round(time.perf_counter() - started, 2), **g, **s}
            per_song.append(row)
            print(f"{path.name}: {row['transcribed_notes']} notes, beat F {s['beat_f']:.2f}, downbeat F "
                  f"{s['downbeat_f']:.2f} | on grid {g['on_grid']:.2f}, kick on downbeats {g['kick_on_downbeats']:.2f}, "
                  f"backbeat {g['backbeat']:.2f}, top sound {g['top_sound_share']:.2f}, hits/beat "
                  f"{g['hits_per_beat']:.2f} -> {'groove' if g['groove_in_time'] else 'no'} ({row['seconds']:.1f} s)",
                  flush=True)
    n = len(per_song)
    if n == 0:
        raise SystemExit(f"no annotated songs in {args.songs}")
    table = {
        **groove_table(per_song),
        "seconds_per_audio_minute": 60.0 * seconds_job / max(seconds_audio, 1e-9),
    }
    print(" | ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in table.items()))
    if args.json:
        write_result("check_audio", {"table": table, "songs": per_song}, str(args.json))


if __name__ == "__main__":
    main()
