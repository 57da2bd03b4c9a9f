"""Training speed of the default model on a corpus: windows and target steps per second.

    python benchmarks/bench_train.py corpus/eighths [--batches 60] [--json OUT]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, write_result  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", nargs="?", default=str(REPO / "corpus" / "eighths"))
    parser.add_argument("--config", default=str(REPO / "configs" / "regularised.json"))
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--json")
    args = parser.parse_args()

    from neuraldrummer.config import Config
    from neuraldrummer.training.corpus import Corpus
    from neuraldrummer.training.dataset import WindowDataset
    from neuraldrummer.training.model import build_model, compile_model

    config = Config.load(args.config)
    corpus = Corpus(args.corpus)
    data = WindowDataset(corpus, corpus.select("train"), config, args.batches + 10, seed=0)
    model = compile_model(build_model(config, config.window_steps), config)
    for i in range(10):  # warm up (tracing)
        x, y, w = data[i]
        model.train_on_batch(x, y, sample_weight=w)
    t = time.perf_counter()
    for i in range(10, 10 + args.batches):
        x, y, w = data[i]
        model.train_on_batch(x, y, sample_weight=w)
    seconds = time.perf_counter() - t
    windows = args.batches * config.batch_size
    write_result("train", {
        "command": f"python benchmarks/bench_train.py {args.corpus} --batches {args.batches}",
        "batches": args.batches, "batch_size": config.batch_size, "window_steps": config.window_steps,
        "seconds": round(seconds, 2), "batches_per_second": round(args.batches / seconds, 2),
        "windows_per_second": round(windows / seconds, 1),
        "target_steps_per_second": round(windows * config.window_steps / seconds, 1),
        "corpus_bytes_per_step": corpus.summary["bytes_per_step"],
        "corpus_bytes_per_step_in_memory": sum(a.itemsize * a.shape[1] for a in
                                               (corpus.hits, corpus.velocity, corpus.offset, corpus.features)),
    }, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
