"""Compare decoding settings on the validation songs of a corpus: statistics of freely
generated drums against the songs' real drums (mean one-minus-overlap distance, 0 = identical),
and the least share of active bars with drums on any song.

    python benchmarks/compare_decoding.py corpus/eighths [--limit 40] [--json OUT]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, write_result  # noqa: E402

from neuraldrummer.training.corpus import Corpus  # noqa: E402
from neuraldrummer.evaluation.evaluate import corpus_songs  # noqa: E402
from neuraldrummer.generation.decoding import generate  # noqa: E402
from neuraldrummer.generation.settings import GenerationSettings
from neuraldrummer.evaluation.metrics import mean_statistics, song_statistics, stats_distance  # noqa: E402
from neuraldrummer.generation.runtime import DrummerRuntime  # noqa: E402

SETTINGS = {  # name: (cutoff, temperature)
    "cutoff 0.5 (original design)": (0.5, None),
    "cutoff 0.35": (0.35, None),
    "sampling T=0.8 with floor 0.2": (0.2, 0.8),
    "sampling T=1 with floor 0.2": (0.2, 1.0),
    "sampling T=1 (default)": (None, 1.0),
    "sampling T=1.2": (None, 1.2),
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", nargs="?", default=str(REPO / "corpus" / "sixteenths"))
    parser.add_argument("--model", default=str(REPO / "saved" / "default"))
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--json")
    args = parser.parse_args()
    runtime = DrummerRuntime.load(args.model)
    spb = runtime.config.steps_per_beat
    names = runtime.config.feature_names
    songs = corpus_songs(Corpus(args.corpus), "validation", True, args.limit, names)
    human = [song_statistics(s["targets"][:, :18], s["features"], spb, names) for s in songs]
    rows = {}
    for name, (cutoff, temperature) in SETTINGS.items():
        gen = [song_statistics(generate(runtime, s["features"], GenerationSettings(cutoff=cutoff, temperature=temperature,
                                                                                  seed=k), reference=s["reference"]).hits,
                               s["features"], spb, names)
               for k, s in enumerate(songs)]
        means = mean_statistics(gen)
        bars = [g["bars_with_drums"] for g in gen if g["bars_with_drums"] is not None]
        rows[name] = {"stats_distance": round(stats_distance(gen, human), 4), "bars_with_drums_min": round(min(bars), 3),
                      **{k: round(means[k], 3) for k in ("hits_per_bar", "density_crash", "density_open_hat",
                                                         "repetition", "backbeat")}}
    hm = mean_statistics(human)
    rows["human"] = {k: round(hm[k], 3) for k in ("hits_per_bar", "density_crash", "density_open_hat", "repetition", "backbeat")}
    write_result("compare_decoding", {"command": f"python benchmarks/compare_decoding.py {args.corpus} --limit {args.limit}",
                                      "songs": len(songs), "settings": rows}, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
