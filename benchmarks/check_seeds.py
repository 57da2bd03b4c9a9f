"""Issue 16's follow measures and the classifier over several sampling seeds: the mean, the spread, the drummers'.

One run of ``neuraldrummer evaluate`` draws one take of every song; its crash on section start moves by
0.03-0.05 from one seed to the next and its fill ratio by more (docs/history.md, "Crashes on section starts"),
so one run cannot tell a change of decoding from the draw. This runs the evaluation once a seed (each song's
take ``k + seed``, as ``evaluate --seed`` does) with the same settings and reports each measure's mean, least
and most over the seeds beside the human drummers' value. Compare two settings by their ranges.

    python benchmarks/check_seeds.py ../shared/data/songs --split validation --seeds 0 1 2 \\
        [--set NAME=VALUE ...] [--limit N] [--json OUT]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result  # noqa: E402

from neuraldrummer.app.cli_drum import default_model_dir  # noqa: E402
from neuraldrummer.errors import ConfigError  # noqa: E402
from neuraldrummer.evaluation.evaluate import evaluate_songs  # noqa: E402
from neuraldrummer.generation.settings import settings_overrides  # noqa: E402

#: the rows of issue 16's table that the drums' draw moves, as ``metrics.follow_measures`` names them
MEASURES = ("timekeeping_share", "stray_hit_share_median", "crash_on_section_start", "fill_ratio",
            "repeat_similarity", "density_correlation", "distinct_pitches", "odd_sixteenth_share_mean_abs_diff")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", help="folders of songs with drums (e.g. ../shared/data/songs)")
    ap.add_argument("--split", default="validation")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--set", action="append", metavar="NAME=VALUE", help="a GenerationSettings field, as evaluate's")
    ap.add_argument("--model", default=None)
    ap.add_argument("--limit", type=int, default=None, help="the first N songs of the split")
    ap.add_argument("--json")
    args = ap.parse_args()
    try:
        settings = settings_overrides(args.set or [], "--set ")
    except ConfigError as exc:
        ap.error(str(exc))
    per_seed, human = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            report = evaluate_songs(args.paths, args.model or default_model_dir(), Path(tmp) / f"seed_{seed}",
                                    split=args.split, limit=args.limit, progress=False,
                                    settings={**settings, "seed": seed})
            ours = report["follow"]["neuraldrummer"]
            human = {k: report["follow"]["human"].get(k) for k in MEASURES}
            row = {"seed": seed, **{k: ours.get(k) for k in MEASURES},
                   "told_apart": report["discriminator"]["neuraldrummer"]["accuracy"],
                   "told_apart_boosted": report["discriminator"]["neuraldrummer"].get("boosted_accuracy")}
            per_seed.append(row)
            sys.stderr.write(f"seed {seed}: " + ", ".join(f"{k} {v:.3f}" for k, v in row.items()
                                                           if k != "seed" and v is not None) + "\n")
    table = {}
    for k in MEASURES + ("told_apart", "told_apart_boosted"):
        values = [r[k] for r in per_seed if r[k] is not None]
        table[k] = {"mean": round(sum(values) / len(values), 4) if values else None,
                    "least": round(min(values), 4) if values else None,
                    "most": round(max(values), 4) if values else None,
                    "human": None if k.startswith("told_apart") or k.endswith("mean_abs_diff") else human.get(k)}
    write_result("check_seeds", {"command": "python benchmarks/check_seeds.py " + " ".join(sys.argv[1:]),
                                 "split": args.split, "settings": settings, "seeds": args.seeds,
                                 "table": table, "per_seed": per_seed}, args.json)


if __name__ == "__main__":
    main()
