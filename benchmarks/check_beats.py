"""Songs played by hand, saved under tempo maps that mean little: are their beats and bars found?

For every song of a folder with beat annotations (POP909's ``NNN_beat_midi.txt`` in ``SONGS/annotations/``),
the grid ``encode_song`` finds (no drumming: quick) is scored against the annotated beats and downbeats
(``mir_eval``'s F-measure, 70 ms), the song read as saved and re-saved as a keyboard recorded without a click
would be (:func:`common.without_click`: the notes keep their seconds) under one constant tempo per setting:

* a number: that tempo in bpm (120 is what a sequencer writes when nobody sets one);
* ``meanXF``: the song's own mean tempo (annotated beats over their span) times F, as where the song's
  tempo was typed in or is the mean of a performance that drifts (``mean`` = ``meanx1``).

Re-saved songs declare ``--meter`` (2/4: the meaningless meter of these files). Per setting: mean beat and
downbeat F and the songs under 0.8 beat F with where their beats came from (``beat_source/beat_level``).

    python benchmarks/check_beats.py ../shared/data/drumless [--tempos saved,120,100,mean,meanx1.005]
        [--json reports/check_beats.json]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import annotated_songs, without_click, write_result  # noqa: E402

from neuraldrummer.analysis.song import encode_song  # noqa: E402
from neuraldrummer.evaluation.groove import beat_scores  # noqa: E402

TEMPOS = "saved,120,60,90,100,130,mean,meanx1.005,meanx0.99,meanx1.02"


def file_tempo(setting: str, ref_beats: np.ndarray) -> float | None:
    """The constant tempo a setting saves the song under (None: as saved)."""
    if setting == "saved":
        return None
    if setting.startswith("mean"):
        factor = float(setting[5:]) if setting.startswith("meanx") else 1.0
        return factor * 60.0 * (ref_beats.size - 1) / float(ref_beats[-1] - ref_beats[0])
    return float(setting)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("songs", type=Path)
    ap.add_argument("--annotations", type=Path, help="default: SONGS/annotations")
    ap.add_argument("--tempos", default=TEMPOS, help=f"comma-separated settings (default {TEMPOS})")
    ap.add_argument("--meter", default="2/4", help="time signature of the re-saved songs (default 2/4)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # the regrid warnings of every song
    meter = tuple(int(x) for x in args.meter.split("/"))
    songs = annotated_songs(args.songs, args.annotations)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for setting in args.tempos.split(","):
            beat_fs, down_fs, low = [], [], []
            for path, ref_beats, ref_down in songs:
                bpm = file_tempo(setting, ref_beats)
                song_path = path
                if bpm is not None:
                    song_path = Path(tmp) / path.name
                    without_click(path, song_path, bpm=bpm, meter=meter)
                song = encode_song(song_path, 4)
                g = song.grid
                s = beat_scores(g.starts[g.step_in_bar % g.steps_per_beat == 0], g.starts[g.step_in_bar == 0],
                                ref_beats, ref_down)
                beat_fs.append(s["beat_f"])
                down_fs.append(s["downbeat_f"])
                if s["beat_f"] < 0.8:
                    low.append(f"{path.stem} {s['beat_f']:.2f} {song.info.get('beat_source', song.info['grid'])}"
                               f"/{song.info.get('beat_level', '-')}")
            row = {"tempo": setting, "songs": len(songs), "beat_f_mean": round(float(np.mean(beat_fs)), 3),
                   "downbeat_f_mean": round(float(np.mean(down_fs)), 3), "beat_f_under_0_8": len(low), "under": low}
            rows.append(row)
            print(f"{setting}: beat F {row['beat_f_mean']:.3f}, downbeat F {row['downbeat_f_mean']:.3f}, "
                  f"{len(low)} under 0.8: {', '.join(low)}", flush=True)
    if args.json:
        write_result("check_beats", {"rows": rows}, str(args.json))


if __name__ == "__main__":
    main()
