"""Training the seed-design baseline with our pipeline (Keras).

Same corpus, same split by song, same seed; its budget is wall-clock time (the original
network sees one target per window, so equal epochs would not be a like-for-like budget).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np

from .baselines import SEED_CLASSES, SEED_INPUT, SEED_WINDOW, build_seed_model, export_seed_weights
from ..training.corpus import Corpus
from ..io.midi import atomic_write_text

logger = logging.getLogger(__name__)


def _song_arrays(corpus: Corpus, songs: list[dict]) -> list[tuple[np.ndarray, np.ndarray]]:
    names = corpus.feature_names
    out = []
    for s in songs:
        a = corpus.arrays(s)
        out.append((a["hits"][:, SEED_CLASSES], a["features"][:, names.index("intensity")]))
    return out


def _batch(data, rng, batch: int, p) -> tuple[np.ndarray, np.ndarray]:
    x = np.zeros((batch, SEED_WINDOW, SEED_INPUT), np.float32)
    y = np.zeros((batch, len(SEED_CLASSES)), np.float32)
    for b, i in enumerate(rng.choice(len(data), size=batch, p=p)):
        hits, inten = data[i]
        t = int(rng.integers(0, hits.shape[0]))
        for k in range(SEED_WINDOW):
            s = t - SEED_WINDOW + k
            if s >= 0:
                x[b, k, :-1] = hits[s]
            if s + 1 >= 0:
                x[b, k, -1] = inten[s + 1]
        y[b] = hits[t]
    return x, y


def train_seed_design(corpus_dir: str | Path, out_dir: str | Path, minutes: float, batch_size: int = 64,
                      seed: int = 1234, song_weight: float = 0.7) -> dict:
    import keras

    corpus = Corpus(corpus_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(seed)
    train_songs, val_songs = corpus.select("train"), corpus.select("validation")
    train, val = _song_arrays(corpus, train_songs), _song_arrays(corpus, val_songs)
    drum_only = np.array([s["drum_only"] for s in train_songs])
    w = np.sqrt([s["steps"] for s in train_songs])
    p = np.where(drum_only, (1 - song_weight) * w / w[drum_only].sum(), song_weight * w / w[~drum_only].sum())
    p = p / p.sum()
    pv = np.sqrt([s["steps"] for s in val_songs])
    pv = pv / pv.sum()
    rng = np.random.default_rng(seed)
    vx, vy = zip(*[_batch(val, np.random.default_rng([seed, k]), batch_size, pv) for k in range(40)])
    vx, vy = np.concatenate(vx), np.concatenate(vy)
    model = build_seed_model()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    started = time.perf_counter()
    best, history, batches = np.inf, [], 0
    while time.perf_counter() - started < minutes * 60:
        for _ in range(100):
            x, y = _batch(train, rng, batch_size, p)
            loss = float(model.train_on_batch(x, y))
            batches += 1
        val_loss = float(model.evaluate(vx, vy, verbose=0, batch_size=512))
        history.append({"batches": batches, "loss": loss, "val_loss": val_loss,
                        "seconds": round(time.perf_counter() - started, 1)})
        logger.info("seed design: %d batches, loss %.4f, val %.4f", batches, loss, val_loss)
        if val_loss < best:
            best = val_loss
            export_seed_weights(model, out_dir / "weights.npz")
    summary = {"system": "seed_design", "minutes_budget": minutes, "batches": batches, "batch_size": batch_size,
               "best_val_bce_per_class": best, "history": history, "train_songs": len(train_songs),
               "validation_songs": len(val_songs)}
    atomic_write_text(out_dir / "train_summary.json", json.dumps(summary, indent=2) + "\n")
    return summary
