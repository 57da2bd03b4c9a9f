"""Drum real songs the model has never seen, as a user would, and check the output.

For every song: strip its drums (if any) into a temporary copy, run `neuraldrummer drum` as
a separate process, and check: the output parses (mido and pretty_midi), exactly one drum
track, every pitched note kept (within 5 ms), share of the bars where the song plays that
have drums, whole-process seconds and peak memory.

    python benchmarks/check_songs.py ../shared/data/drumless [--test-split ../shared/data/songs] [--json OUT]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

import numpy as np
import pretty_midi

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, peak_rss_mb, write_result  # noqa: E402

from neuraldrummer.training.sources import find_midi_files, split_for  # noqa: E402
from neuraldrummer.io.midi import atomic_write_bytes, load_midi, midi_to_bytes  # noqa: E402
from neuraldrummer.analysis.song import encode_song  # noqa: E402
from neuraldrummer.analysis.writing import combine  # noqa: E402
from neuraldrummer.analysis.drums import DrumArrays  # noqa: E402


def strip_drums(src: Path, dst: Path) -> None:
    loaded = load_midi(src)
    song = encode_song(loaded)
    mid = combine(loaded, DrumArrays.empty(song.grid.num_steps), song.grid)
    mid.tracks = mid.tracks[:-1]  # no drum track at all
    atomic_write_bytes(dst, midi_to_bytes(mid))


def pitched(pm):
    return sorted((n.pitch, n.start, n.end) for i in pm.instruments if not i.is_drum for n in i.notes)


def bars_with_drums(pm: pretty_midi.PrettyMIDI) -> float:
    downbeats = np.append(pm.get_downbeats(), pm.get_end_time() + 1e-6)
    notes = [n for i in pm.instruments if not i.is_drum for n in i.notes]
    drums = [n.start for i in pm.instruments if i.is_drum for n in i.notes]
    active, with_drums = 0, 0
    for a, b in zip(downbeats[:-1], downbeats[1:]):
        if any(n.start < b - 1e-3 and n.end > a + 1e-3 for n in notes):
            active += 1
            with_drums += any(a - 0.02 <= t < b - 0.02 for t in drums)
    return with_drums / max(active, 1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*", default=[str(REPO.parent / "shared/data/drumless")])
    parser.add_argument("--test-split", nargs="*", default=[], help="folders whose test-split songs are added")
    parser.add_argument("--model", default=str(REPO / "saved" / "default"))
    parser.add_argument("--json")
    args = parser.parse_args()
    files = find_midi_files(args.paths)
    for f in find_midi_files(args.test_split):
        if split_for(hashlib.md5(f.read_bytes()).hexdigest()) == "test":
            files.append(f)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, src in enumerate(files):
            inp, out = Path(tmp) / f"in{k}.mid", Path(tmp) / f"in{k}_drums.mid"
            strip_drums(src, inp)
            wall, rss, data = peak_rss_mb([sys.executable, "-m", "neuraldrummer", "drum", str(inp), "--model", args.model])
            row = {"song": str(src), "rc": data["rc"], "seconds": round(wall, 3), "peak_mb": round(rss, 1)}
            if data["rc"] == 0:
                pm_in, pm_out = pretty_midi.PrettyMIDI(str(inp)), pretty_midi.PrettyMIDI(str(out))
                import mido

                mido.MidiFile(str(out))
                a, b = pitched(pm_in), pitched(pm_out)
                row["pitched_notes_kept"] = len(a) == len(b) and all(
                    x[0] == y[0] and abs(x[1] - y[1]) <= 0.005 and abs(x[2] - y[2]) <= 0.005 for x, y in zip(a, b))
                row["drum_tracks"] = sum(i.is_drum for i in pm_out.instruments)
                row["bars_with_drums"] = round(bars_with_drums(pm_out), 3)
            else:
                row["error"] = data["err"].strip()
            rows.append(row)
    ok = [r for r in rows if r["rc"] == 0]
    bars = [r["bars_with_drums"] for r in ok]
    write_result("check_songs", {
        "command": "python benchmarks/check_songs.py " + " ".join(args.paths) +
                   (" --test-split " + " ".join(args.test_split) if args.test_split else ""),
        "songs": len(rows), "succeeded": len(ok),
        "all_pitched_notes_kept": all(r["pitched_notes_kept"] for r in ok),
        "all_exactly_one_drum_track": all(r["drum_tracks"] == 1 for r in ok),
        "bars_with_drums_median": round(float(np.median(bars)), 3) if bars else None,
        "bars_with_drums_min": round(float(np.min(bars)), 3) if bars else None,
        "seconds_max": max(r["seconds"] for r in rows), "seconds_median": float(np.median([r["seconds"] for r in rows])),
        "peak_mb_max": max(r["peak_mb"] for r in rows),
        "failures": [r for r in rows if r["rc"] != 0],
    }, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
