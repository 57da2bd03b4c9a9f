"""Controls, style and feel of the shipped model on real songs it has never seen.

For each control (density, cymbals, syncopation, repetition) at low/medium/high, an
independent measure of the output averaged over songs: hits per bar, cymbal hits per bar,
share of onsets off the quarter-note beats, Jaccard similarity of neighbouring bars. Also
the ride share of --style jazz vs --style rock, distinct velocities and off-grid onsets of the
default output, and that --quantized has none off the grid.

    python benchmarks/check_controls.py [SONG_DIR ...] [--limit 20] [--json OUT]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, write_result  # noqa: E402

from neuraldrummer.training.sources import find_midi_files  # noqa: E402
from neuraldrummer.analysis.drum_map import CYMBAL_CLASSES, RIDE  # noqa: E402
from neuraldrummer.generation.decoding import generate  # noqa: E402
from neuraldrummer.generation.settings import GenerationSettings
from neuraldrummer.generation.runtime import DrummerRuntime  # noqa: E402
from neuraldrummer.analysis.song import encode_song  # noqa: E402


def measures(hits: np.ndarray, grid) -> dict:
    bars = [hits[a:a + n] for a, n in zip(grid.bar_starts, grid.bar_length[grid.bar_starts])]
    on_beat = grid.on_beat
    onsets = hits.sum(axis=1)
    sims = []
    for x, y in zip(bars[:-1], bars[1:]):
        if x.shape == y.shape and (x | y).any():
            sims.append((x & y).sum() / (x | y).sum())
    return {"density": hits.sum() / len(bars), "cymbals": hits[:, list(CYMBAL_CLASSES)].sum() / len(bars),
            "syncopation": onsets[~on_beat].sum() / max(onsets.sum(), 1),
            "repetition": float(np.mean(sims)) if sims else 0.0}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*", default=[str(REPO.parent / "shared/data/drumless")])
    parser.add_argument("--model", default=str(REPO / "saved" / "default"))
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--json")
    args = parser.parse_args()
    runtime = DrummerRuntime.load(args.model)
    songs = [encode_song(f, runtime.config.steps_per_beat, runtime.config.feature_names, require_pitched=True)
             for f in find_midi_files(args.paths)[:args.limit]]
    result: dict = {"command": "python benchmarks/check_controls.py " + " ".join(args.paths) + f" --limit {args.limit}",
                    "songs": len(songs), "controls": {}}
    for control in ("density", "cymbals", "syncopation", "repetition"):
        levels = {}
        for level in ("low", "medium", "high"):
            vals = [measures(generate(runtime, s.features, GenerationSettings(seed=k, **{control: level}), reference=s.reference).hits,
                             s.grid)[control] for k, s in enumerate(songs)]
            levels[level] = round(float(np.mean(vals)), 4)
        levels["ordered"] = levels["low"] < levels["medium"] < levels["high"]
        result["controls"][control] = levels
    ride = {}
    for style in ("rock", "jazz"):
        shares = []
        for k, s in enumerate(songs):
            h = generate(runtime, s.features, GenerationSettings(seed=k, style=style), reference=s.reference).hits
            shares.append(h[:, RIDE].sum() / max(h.sum(), 1))
        ride[style] = round(float(np.mean(shares)), 4)
    result["ride_share"] = ride
    velocities, off_grid, total, q_off = set(), 0, 0, 0
    for k, s in enumerate(songs):
        d = generate(runtime, s.features, GenerationSettings(seed=k).for_song(s.info), reference=s.reference,
                     push=s.push)  # as drum plays it
        velocities |= set(np.rint(d.velocity[d.hits] * 127).astype(int).tolist())
        ticks = np.rint(d.offset[d.hits] * 480 / runtime.config.steps_per_beat)
        off_grid += int((ticks != 0).sum())
        total += int(d.hits.sum())
        q = generate(runtime, s.features, GenerationSettings(seed=k, quantized=True), reference=s.reference)
        q_off += int((q.offset[q.hits] != 0).sum())
    result["default_distinct_velocities"] = len(velocities)
    result["default_share_of_onsets_off_grid"] = round(off_grid / max(total, 1), 4)
    result["quantized_onsets_off_grid"] = q_off
    write_result("check_controls", result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
