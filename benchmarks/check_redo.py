"""`drum SONG_drums.mid --redo A-B` on real songs, as a user runs it: drum each song, then draw a
random range of 4 to 8 bars again, and check that every drum note outside the range (each note belongs to the grid
step nearest its note-on, wherever its micro-timing puts it) is identical
(time, pitch, velocity, channel), that the range changed, and that no bar of the range is left
without drums where the song plays.

    python benchmarks/check_redo.py [FOLDER] [--limit N] [--json OUT]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import mido

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, write_result  # noqa: E402

from neuraldrummer.analysis.song import encode_song  # noqa: E402


def drum_notes(path: Path, lo: float, hi: float, inside: bool) -> Counter:
    """Drum-channel note messages whose note-on tick is inside (or outside) [lo, hi)."""
    out: Counter = Counter()
    for track in mido.MidiFile(str(path)).tracks:
        tick, started = 0, {}
        for msg in track:
            tick += msg.time
            if msg.type not in ("note_on", "note_off") or msg.channel != 9:
                continue
            on = msg.type == "note_on" and msg.velocity > 0
            if on:
                started.setdefault(msg.note, []).append(tick)
                start = tick
            else:
                start = started[msg.note].pop(0) if started.get(msg.note) else tick
            if (lo <= start < hi) == inside:
                out[(tick, on, msg.note, msg.velocity if on else 0, msg.channel)] += 1
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?", default=str(REPO.parent / "shared/data/drumless"))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--json")
    args = parser.parse_args()
    songs = sorted(Path(args.folder).glob("*.mid"))[:args.limit]
    rng = random.Random(0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, src in enumerate(songs):
            drummed = Path(tmp) / f"{src.stem}_drums.mid"
            cmd = [sys.executable, "-m", "neuraldrummer", "drum", str(src), "-o", str(drummed)]
            if subprocess.run(cmd, capture_output=True).returncode != 0:
                rows.append({"song": src.name, "ok": False, "why": "drum failed"})
                continue
            song = encode_song(drummed, 4)
            grid = song.grid
            if grid.num_bars < 10:
                continue
            length = rng.randint(4, 8)
            first = rng.randint(1, grid.num_bars - length + 1)
            last = first + length - 1
            redone = Path(tmp) / f"{src.stem}_redo.mid"
            t = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "neuraldrummer", "drum", str(drummed), "--redo",
                                   f"{first}-{last}", "--seed", str(k + 1), "-o", str(redone)],
                                  capture_output=True, text=True)
            seconds = time.perf_counter() - t
            if proc.returncode != 0:
                rows.append({"song": src.name, "ok": False, "why": proc.stderr.strip()[-200:]})
                continue
            # a note belongs to the step nearest its note-on: the range runs from the midpoint before its first
            # step to the midpoint before the first step after it
            a = int(grid.bar_starts[first - 1])
            lo = (grid.ticks[a - 1] + grid.ticks[a]) / 2 if a > 0 else float("-inf")
            b = int(grid.bar_starts[last]) if last < grid.num_bars else None
            hi = (grid.ticks[b - 1] + grid.ticks[b]) / 2 if b is not None else float("inf")
            outside_same = drum_notes(redone, lo, hi, False) == drum_notes(drummed, lo, hi, False)
            inside_changed = drum_notes(redone, lo, hi, True) != drum_notes(drummed, lo, hi, True)
            again = encode_song(redone, 4)
            active = song.features[:, song.feature_names.index("active")] > 0.5
            empty = 0
            for b in range(first - 1, last):
                a, e = grid.bar_starts[b], (grid.bar_starts[b + 1] if b + 1 < grid.num_bars else grid.num_steps)
                if active[a:e].any() and not again.drums.hits[a:e].any():
                    empty += 1
            rows.append({"song": src.name, "bars": f"{first}-{last}", "ok": outside_same and inside_changed and not empty,
                         "outside_identical": outside_same, "range_changed": inside_changed,
                         "empty_bars_where_song_plays": empty, "seconds": round(seconds, 3)})
    done = [r for r in rows if "outside_identical" in r]
    write_result("check_redo", {
        "command": f"python benchmarks/check_redo.py {args.folder}" + (f" --limit {args.limit}" if args.limit else ""),
        "songs": len(rows), "all_ok": all(r["ok"] for r in rows),
        "outside_identical": sum(r["outside_identical"] for r in done),
        "range_changed": sum(r["range_changed"] for r in done),
        "songs_with_an_empty_bar": sum(r["empty_bars_where_song_plays"] > 0 for r in done),
        "redo_seconds_median": sorted(r["seconds"] for r in done)[len(done) // 2] if done else None,
        "redo_seconds_max": max((r["seconds"] for r in done), default=None),
        "failures": [r for r in rows if not r["ok"]],
    }, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
