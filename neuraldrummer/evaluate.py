"""Evaluation: teacher-forced likelihood, next-step F1 and musical statistics of freely
generated drums, for a model on the songs of a corpus split (or on MIDI files)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from .corpus import Corpus
from .metrics import (bits_per_step, f1_counts, mean_statistics, micro_f1, song_statistics,
                      stats_distance)
from .runtime import DrummerRuntime

logger = logging.getLogger(__name__)


def teacher_forced_scores(runtime: DrummerRuntime, songs: list[dict], classes: list[int] | None = None,
                          cutoff: float = 0.5) -> dict:
    """``nll_bits_per_step`` and ``next_step_f1`` over songs (dicts with features and targets)."""
    bits, steps, tp, fp, fn = 0.0, 0, 0, 0, 0
    for s in songs:
        out = runtime.teacher_forced(s["features"], s["targets"], style=s.get("style", 0))
        hits = s["targets"][:, :runtime.config.num_classes]
        T = hits.shape[0]
        bits += bits_per_step(hits, out.logits, classes) * T
        steps += T
        cls = slice(None) if classes is None else list(classes)
        pred = (1 / (1 + np.exp(-out.logits)) >= cutoff)
        a, b, c = f1_counts(hits[:, cls], pred[:, cls])
        tp, fp, fn = tp + a, fp + b, fn + c
    return {"nll_bits_per_step": bits / max(steps, 1), "next_step_f1": micro_f1(tp, fp, fn), "steps": steps}


def corpus_songs(corpus: Corpus, split: str, with_song_only: bool = True, limit: int | None = None) -> list[dict]:
    """Songs of a split as dicts of features and (T, 3C) targets."""
    from .dataset_features import blank_song_features  # noqa: F401  (kept for callers)

    out = []
    for song in corpus.select(split):
        if with_song_only and song["drum_only"]:
            continue
        a = corpus.arrays(song)
        targets = np.concatenate([a["hits"], a["velocity"], a["offset"]], axis=1)
        out.append({"meta": song, "features": a["features"], "targets": targets})
        if limit and len(out) >= limit:
            break
    return out


def validation_report(model_dir: str | Path, corpus_dir: str | Path, limit: int | None = None) -> dict:
    """Metrics written beside a trained model: validation likelihood, F1 and musical numbers."""
    from .generate import GenerationSettings, generate

    runtime = DrummerRuntime.load(model_dir)
    corpus = Corpus(corpus_dir)
    spb = runtime.config.steps_per_beat
    songs = corpus_songs(corpus, "validation", True, limit)
    drum_only = [s for s in corpus_songs(corpus, "validation", False, None) if s["meta"]["drum_only"]][:limit or None]
    report = {"validation_songs_with_song": len(songs), "validation_drum_only": len(drum_only)}
    report["songs"] = teacher_forced_scores(runtime, songs)
    if drum_only:
        report["drum_only"] = teacher_forced_scores(runtime, drum_only)
    generated, human = [], []
    for s in songs:
        drums = generate(runtime, s["features"], GenerationSettings(seed=len(generated)))
        generated.append(song_statistics(drums.hits, s["features"], spb))
        human.append(song_statistics(s["targets"][:, :runtime.config.num_classes], s["features"], spb))
    report["generated"] = {k: _round(v) for k, v in mean_statistics(generated).items()}
    report["human"] = {k: _round(v) for k, v in mean_statistics(human).items()}
    report["stats_distance"] = _round(stats_distance(generated, human))
    report["generated_bars_with_drums_min"] = _round(min((g["bars_with_drums"] for g in generated
                                                          if g["bars_with_drums"] is not None), default=None))
    return report


def _round(v):
    return None if v is None else round(float(v), 4)
