"""Beats and bars found in the music of sequenced songs, scored against the songs' own drummers.

The 40 annotated songs are few; sequenced songs with drums are many, and their drummer says where the beat
and the bar are. For every song of a folder in one split (by md5, as the corpus splits them) whose own grid
fits its notes, in 4/4 throughout, and whose drummer plays the backbeat on that grid (at least
:data:`BACKBEAT_SHARE` of the snare-like hits on a beat on beats 2 and 4): the song is re-saved without its
click (:func:`common.without_click`: the notes at their seconds, one constant tempo, 2/4, as a song played in
by hand would be), its beats and bars are found in the pitched notes as ``drum`` finds them
(:func:`~neuraldrummer.analysis.song.encode_song`; the drums play no part), and the human drums are read on
that grid:

* ``on_16ths``: share of the drum onsets within a quarter of a 16th of the grid's 16ths;
* ``backbeat``: of the snare-like hits on a beat of the grid, the share on its beats 2 and 4;
* ``kick_on_downbeats``: share of the grid's bar lines with a kick within a quarter of a 16th;
* ``groove``: all three at least 0.85, 0.6 and 0.5.

These are :func:`~neuraldrummer.evaluation.groove.groove_measures` with the grid's beats and bar lines in
place of an annotation, as the annotated songs are measured.

The file's own grid gives the reference (all three near 1 by the choice of songs).

    python benchmarks/check_drummed_beats.py ../shared/data/songs [--split validation] [--no-click 120]
        [--json reports/check_drummed_beats.json]
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import without_click, write_result  # noqa: E402
from neuraldrummer.analysis.drums import drum_notes  # noqa: E402
from neuraldrummer.analysis.features import pitched_note_arrays  # noqa: E402
from neuraldrummer.beats.grid import build_grid, off_grid_share  # noqa: E402
from neuraldrummer.analysis.song import encode_song  # noqa: E402
from neuraldrummer.errors import NeuralDrummerError  # noqa: E402
from neuraldrummer.evaluation.groove import THRESHOLDS as GROOVE, groove_measures  # noqa: E402
from neuraldrummer.io.midi import load_midi  # noqa: E402
from neuraldrummer.training.sources import split_for  # noqa: E402

#: the drummer confirms the file's grid with at least this share of the snare hits on a beat on beats 2 and 4
BACKBEAT_SHARE = 0.7
#: a groove in time, as for the annotated songs
THRESHOLDS = {"on_16ths": GROOVE["on_grid"], "backbeat": GROOVE["backbeat"],
              "kick_on_downbeats": GROOVE["kick_on_downbeats"]}


def drums_on_grid(grid, times: np.ndarray, pitches: np.ndarray) -> dict:
    """The measures of the module docstring for drum onsets ``times`` with GM ``pitches`` on ``grid``: those of
    :func:`~neuraldrummer.evaluation.groove.groove_measures` with the grid's beats and bar lines for the annotation."""
    beats = grid.starts[grid.step_in_bar % grid.steps_per_beat == 0]
    g = groove_measures(times, pitches, beats, grid.starts[grid.bar_starts])
    out = {"on_16ths": g["on_grid"], "backbeat": g["backbeat"], "kick_on_downbeats": g["kick_on_downbeats"]}
    out["groove"] = all(out[name] >= value for name, value in THRESHOLDS.items())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("songs", type=Path)
    ap.add_argument("--split", default="validation", choices=("train", "validation", "test"))
    ap.add_argument("--no-click", type=float, default=120.0, metavar="BPM",
                    help="the constant tempo the songs are re-saved at (default 120)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    rows, skipped = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(args.songs.rglob("*.mid")):
            try:
                loaded = load_midi(path)
            except NeuralDrummerError:
                skipped["unreadable"] = skipped.get("unreadable", 0) + 1
                continue
            if split_for(hashlib.md5(loaded.data).hexdigest()) != args.split:
                continue
            drums = drum_notes(loaded.pm)
            times = np.array([n.start for n in drums], np.float64)
            pitches = np.array([n.pitch for n in drums], np.int64)
            notes = pitched_note_arrays(loaded.pm)
            grid = build_grid(loaded.pm, 4)
            if (times.size < 64 or notes["start"].size < 64 or set(map(tuple, grid.meters.tolist())) != {(4, 4)}
                    or off_grid_share(grid, notes["start"]) > 0.1):
                skipped["no fitting 4/4 grid with drums"] = skipped.get("no fitting 4/4 grid with drums", 0) + 1
                continue
            reference = drums_on_grid(grid, times, pitches)
            if reference["backbeat"] < BACKBEAT_SHARE:
                skipped["no backbeat on the file's grid"] = skipped.get("no backbeat on the file's grid", 0) + 1
                continue
            resaved = Path(tmp) / f"{len(rows)}.mid"
            without_click(path, resaved, bpm=args.no_click, meter=(2, 4))
            try:
                song = encode_song(resaved, 4)
            except NeuralDrummerError as err:
                skipped[type(err).__name__] = skipped.get(type(err).__name__, 0) + 1
                continue
            found = drums_on_grid(song.grid, times, pitches)
            row = {"song": path.name, "grid": song.info.get("grid"), "source": song.info.get("beat_source"),
                   "level": song.info.get("beat_level"), "reference": reference, "found": found}
            rows.append(row)
            print(f"{path.name[:40]}: {row['grid']} {row['source']} {row['level']} | on 16ths "
                  f"{found['on_16ths']:.2f}, backbeat {found['backbeat']:.2f}, kick on downbeats "
                  f"{found['kick_on_downbeats']:.2f} -> {'groove' if found['groove'] else 'no'}", flush=True)
    table = {"songs": len(rows), "skipped": skipped}
    for which in ("reference", "found"):
        for name in (*THRESHOLDS, "groove"):
            values = [r[which][name] for r in rows]
            table[f"{which}_{name}_mean"] = round(float(np.mean(values)), 3) if values else None
    print(" | ".join(f"{k} {v}" for k, v in table.items()))
    write_result("check_drummed_beats", {"table": table, "songs": rows}, str(args.json) if args.json else None)


if __name__ == "__main__":
    main()
