"""Whole-process speed and memory of `neuraldrummer drum`, side by side with the original
design's generation loop (model.predict on a re-encoded 8-step window at every step).

    python benchmarks/bench_drum.py [--model saved/default] [--seed-steps 60] [--json OUT]

The 5-minute song (120 bpm, 4/4, 1,200 eighth-note steps) is made in code.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, long_song, peak_rss_mb, write_result  # noqa: E402


def seed_design_steps_per_second(steps: int) -> float:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np

    from neuraldrummer.evaluation.baselines import build_seed_model, seed_generate_with_predict

    model = build_seed_model()
    intensity = np.random.default_rng(0).random(steps + 10).astype(np.float32)
    seed_generate_with_predict(model, intensity, 3)  # warm up (graph tracing)
    t = time.perf_counter()
    seed_generate_with_predict(model, intensity, steps)
    return steps / (time.perf_counter() - t)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(REPO / "saved" / "default"))
    parser.add_argument("--seed-steps", type=int, default=60, help="steps to time the original loop over")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        song = Path(tmp) / "five_minutes.mid"
        long_song(5.0, 120.0).save(str(song))
        runs = []
        for r in range(args.repeats):
            wall, rss, data = peak_rss_mb([sys.executable, "-m", "neuraldrummer", "drum", str(song), "-o",
                                           str(Path(tmp) / f"out{r}.mid"), "--model", args.model])
            if data["rc"] != 0:
                raise SystemExit(data["err"])
            runs.append((wall, rss))
        # generation alone, in process
        from neuraldrummer.generation.decoding import generate
        from neuraldrummer.generation.settings import GenerationSettings
        from neuraldrummer.generation.runtime import DrummerRuntime
        from neuraldrummer.analysis.song import encode_song

        runtime = DrummerRuntime.load(args.model)
        encoded = encode_song(song, runtime.config.steps_per_beat, runtime.config.feature_names)
        t = time.perf_counter()
        generate(runtime, encoded.features, GenerationSettings(), reference=encoded.reference)
        gen_seconds = time.perf_counter() - t
    steps = encoded.grid.num_steps
    wall = min(r[0] for r in runs)
    ours = steps / wall
    seed = seed_design_steps_per_second(args.seed_steps)
    write_result("drum", {
        "command": "neuraldrummer drum five_minutes.mid -o OUT.mid --model " + args.model,
        "song_steps": steps,
        "whole_process_seconds_best_of": round(wall, 3),
        "whole_process_seconds_all": [round(r[0], 3) for r in runs],
        "peak_rss_mb": round(max(r[1] for r in runs), 1),
        "whole_process_steps_per_second": round(ours, 1),
        "generation_only_seconds": round(gen_seconds, 4),
        "generation_only_steps_per_second": round(steps / gen_seconds, 1),
        "seed_design_loop_steps_per_second": round(seed, 2),
        "speedup_whole_process_vs_seed_loop": round(ours / seed, 1),
    }, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
