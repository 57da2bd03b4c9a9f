"""Check the choice of three or four beats a bar (``neuraldrummer/beats/meter.py``) on songs whose bars are known.

The songs are sequenced songs whose own grid fits their notes and whose meter is the same throughout:
3/4 and 6/8 (three quarter notes a bar) and 4/4 (one in ``--four-every`` of the fitting ones, as they
are many more). Each is read as it is and as played by hand (``neuraldrummer.training.augment.played_by_hand``),
its quarter-note beats and pitched notes give the downbeat log-odds, and
:func:`~neuraldrummer.beats.meter.bar_periodicity` of those chooses the bar
(:func:`~neuraldrummer.beats.meter.choose_beats_per_bar`, the file's meter not told). Reported per
split (the corpus's md5 split; test songs are left out), for both together, and per meter: songs, the share read right, and
percentiles of the periodicity and the share read right at other margins (:data:`MARGINS`), so that
the margin can be judged.

With ``--drummed FOLDER``, also the songs of that folder's validation split whose beats and bars
``encode_song`` finds in the music (their file's grid does not fit): the bar it chooses beside the
human drummer's, read from the drums on the same beats (:func:`drum_periodicity`: the kick against the
snare, its :func:`~neuraldrummer.beats.meter.bar_periodicity`; above 0.5 they are clearly in
three, below -0.5 clearly in four).

    python scripts/check_meter.py ../shared/data/songs ../shared/data/more_songs --limit 10000 \\
        --drummed ../shared/data/songs --json reports/check_meter.json
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_downbeat import songs  # noqa: E402
from report import write_report  # noqa: E402

from neuraldrummer.analysis.drum_map import KICK, SNARE  # noqa: E402
from neuraldrummer.analysis.features import pitched_note_arrays  # noqa: E402
from neuraldrummer.beats.grid import build_grid, off_grid_share  # noqa: E402
from neuraldrummer.beats.meter import (THREE_BEATS_MARGIN, bar_periodicity, beat_evidence,  # noqa: E402
                                          choose_beats_per_bar, downbeat_score)
from neuraldrummer.analysis.song import encode_song  # noqa: E402
from neuraldrummer.errors import NeuralDrummerError  # noqa: E402
from neuraldrummer.training.augment import played_by_hand, seed_of  # noqa: E402
from neuraldrummer.training.sources import split_for  # noqa: E402


def song_meter(loaded) -> tuple[int, np.ndarray, dict, object] | None:
    """(beats a bar, quarter-note beat times, pitched notes, grid) of a fitting song in one meter of three or
    four quarter notes, else None."""
    grid = build_grid(loaded.pm, 4)
    meters = set(map(tuple, grid.meters.tolist()))
    n = 3 if meters in ({(3, 4)}, {(6, 8)}) else 4 if meters == {(4, 4)} else None
    if n is None:
        return None
    notes = pitched_note_arrays(loaded.pm)
    if notes["start"].size < 64 or off_grid_share(grid, notes["start"]) > 0.1:
        return None
    first, last = notes["start"].min(), notes["start"].max()
    keep = (grid.step_in_bar % 4 == 0) & (grid.starts >= first - 0.05) & (grid.starts <= last + 0.05)
    return n, grid.starts[keep], notes, grid


#: the margins at which the share read right is also reported
MARGINS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)
#: the human drums are clearly in three above this periodicity, clearly in four below minus this
CLEAR = 0.5


def drum_periodicity(song) -> float:
    """:func:`bar_periodicity` of the song's own drums on its grid's beats: per beat, the kick onsets less
    the snare onsets in it."""
    g = song.grid
    spb = g.steps_per_beat
    hits = song.drums.hits
    beat_steps = np.flatnonzero(g.step_in_bar % spb == 0)
    per_beat = [float(hits[b:b + spb, KICK].sum()) - float(hits[b:b + spb, SNARE].sum()) for b in beat_steps]
    return bar_periodicity(np.asarray(per_beat))


def drummed_songs(folder: Path) -> dict:
    """For the validation songs of ``folder`` drummed on beats and bars from the music: per song, our bar
    and the periodicity of the notes and of the human drums; and the counts of agreement."""
    songs_read = {}
    for path in sorted(folder.rglob("*.mid")):
        data = path.read_bytes()
        if split_for(hashlib.md5(data).hexdigest()) != "validation":
            continue
        try:
            song = encode_song(path, 4)
        except NeuralDrummerError:
            continue
        if song.info.get("grid") not in ("beats", "regridded") or not song.has_drums:
            continue
        songs_read[path.name] = {"beats_per_bar": song.info["beats_per_bar"],
                                 "notes_periodicity": song.info["bar_periodicity"],
                                 "drums_periodicity": round(drum_periodicity(song), 2)}
    table: dict[str, int] = {}
    for r in songs_read.values():
        drummer = ("drummer in 3" if r["drums_periodicity"] > CLEAR else
                   "drummer in 4" if r["drums_periodicity"] < -CLEAR else "drummer unclear")
        key = f"{drummer}, read in {r['beats_per_bar']}"
        table[key] = table.get(key, 0) + 1
    return {"songs": len(songs_read), "clear_drummer_margin": CLEAR, "table": dict(sorted(table.items())),
            "per_song": songs_read}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--limit", type=int, default=8000, help="songs read at most (default 8000)")
    ap.add_argument("--four-every", type=int, default=6, help="use one in this many 4/4 songs (default 6)")
    ap.add_argument("--drummed", type=Path, help="a folder of songs with drums: check its validation songs' bars "
                    "found in the music against their drummers'")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    rows: dict[str, list[tuple[int, float]]] = {}
    fours = 0
    for name, loaded in songs(args.paths, args.limit):
        try:
            found = song_meter(loaded)
        except (ValueError, IndexError):
            continue
        if found is None:
            continue
        if found[0] == 4:
            fours += 1
            if fours % args.four_every:
                continue
        md5 = hashlib.md5(loaded.data).hexdigest()
        split = split_for(md5)
        if split == "test":
            continue
        n, beats, notes, grid = found
        rng = np.random.default_rng(seed_of(md5))
        for version, v in (("as it is", notes), ("played by hand", played_by_hand(notes, grid, rng))):
            ev = beat_evidence(beats, v["start"], v["end"], v["pitch"], v["velocity"], v["is_bass"])
            periodicity = bar_periodicity(downbeat_score(ev))
            rows.setdefault(f"{split}, {version}", []).append((n, periodicity))
            rows.setdefault(f"train and validation, {version}", []).append((n, periodicity))
    report: dict = {"margin": THREE_BEATS_MARGIN, "read": {}}
    for key, items in sorted(rows.items()):
        for n in (3, 4):
            p = np.array([x for m, x in items if m == n])
            if p.size == 0:
                continue
            right = np.mean([choose_beats_per_bar(x) == n for x in p])
            report["read"][f"{key}, in {n}"] = {
                "songs": int(p.size), "read_right": round(float(right), 3),
                "read_right_at_margin": {str(m): round(float(np.mean((p > m) == (n == 3))), 3) for m in MARGINS},
                "periodicity_percentiles_1_5_50_95_99": [round(float(v), 2) for v in
                                                         np.percentile(p, [1, 5, 50, 95, 99])]}
    if args.drummed:
        report["drummed_validation_songs"] = drummed_songs(args.drummed)
    write_report(report, args.json)


if __name__ == "__main__":
    main()
