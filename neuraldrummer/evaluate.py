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


# --- comparing systems on songs with real drums (neuraldrummer evaluate) ------------------

SYSTEMS = ("neuraldrummer", "seed_design", "no_song_features", "rule_based", "human")


def load_eval_songs(paths: list[str | Path], steps_per_beat: int, split: str | None = None,
                    limit: int | None = None) -> tuple[list[dict], dict]:
    """Songs with pitched instruments *and* real drums, as arrays; skipped files counted by reason."""
    import hashlib
    from collections import Counter

    from .corpus import find_midi_files, read_gmd_info, split_for
    from .errors import NeuralDrummerError
    from .song import encode_song

    gmd = read_gmd_info(paths)
    songs, skipped = [], Counter()
    for path in find_midi_files(paths):
        try:
            song = encode_song(path, steps_per_beat)
        except NeuralDrummerError as exc:
            skipped[exc.reason] += 1
            continue
        if split is not None:
            labels = gmd.get(Path(path).resolve(), {})
            if (labels.get("split") or split_for(hashlib.md5(song.loaded.data).hexdigest())) != split:
                continue
        if not song.has_pitched:
            skipped["drum_only"] += 1
            continue
        if not song.has_drums:
            skipped["no_drums"] += 1
            continue
        d = song.drums
        songs.append({"path": str(path), "features": song.features,
                      "targets": np.concatenate([d.hits, d.velocity, d.offset], axis=1).astype(np.float32)})
        if limit and len(songs) >= limit:
            break
    return songs, dict(skipped)


def _scores(logits_list, songs, classes, cutoff=0.5):
    bits, steps, tp, fp, fn = 0.0, 0, 0, 0, 0
    for logits, s in zip(logits_list, songs):
        hits = s["targets"][:, :9]
        T = hits.shape[0]
        full = logits if logits.shape[1] == 9 else _expand(logits)
        bits += bits_per_step(hits, full, classes) * T
        steps += T
        pred = full >= np.log(cutoff / (1 - cutoff))
        a, b, c = f1_counts(hits[:, classes], pred[:, classes])
        tp, fp, fn = tp + a, fp + b, fn + c
    return bits / max(steps, 1), micro_f1(tp, fp, fn)


def _expand(seed_logits: np.ndarray) -> np.ndarray:
    from .baselines import SEED_CLASSES

    out = np.full((seed_logits.shape[0], 9), -30.0, np.float32)
    out[:, SEED_CLASSES] = seed_logits
    return out


def evaluate_songs(paths: list[str | Path], model_dir: str | Path, out_dir: str | Path,
                   baselines_dir: str | Path | None = None, split: str | None = None,
                   limit: int | None = None, progress: bool = True) -> dict:
    """Evaluate the model (and baselines) on songs with real drums; write report.json/.md and plots."""
    import time

    from .baselines import SEED_CLASSES, SeedRuntime, rule_based, seed_generate_batch
    from .generate import GenerationSettings, generate
    from .midi_io import atomic_write_text

    started = time.perf_counter()
    runtime = DrummerRuntime.load(model_dir)
    spb = runtime.config.steps_per_beat
    songs, skipped = load_eval_songs(paths, spb, split, limit)
    if not songs:
        from .errors import CorpusError

        raise CorpusError(f"no songs with pitched instruments and real drums (skipped {skipped})")
    shared = list(SEED_CLASSES)  # like-for-like classes (the seed design has six)

    def seed_class_stats(hits):
        masked = np.zeros_like(hits, dtype=bool)
        masked[:, shared] = hits[:, shared] > 0.5
        return masked

    generated: dict[str, list[np.ndarray]] = {}
    logits: dict[str, list[np.ndarray]] = {}
    iterator = songs
    if progress:
        from tqdm import tqdm

        iterator = tqdm(songs, desc="neuraldrummer", unit="song")
    systems = {"neuraldrummer": runtime}
    if baselines_dir is not None:
        nosong = Path(baselines_dir) / "no_song_features"
        if nosong.exists():
            systems["no_song_features"] = DrummerRuntime.load(nosong)
    for name, rt in systems.items():
        logits[name], generated[name] = [], []
        for k, s in enumerate(iterator if name == "neuraldrummer" else songs):
            logits[name].append(rt.teacher_forced(s["features"], s["targets"]).logits)
            generated[name].append(generate(rt, s["features"], GenerationSettings(seed=k)).hits)
    if baselines_dir is not None and (Path(baselines_dir) / "seed_design" / "weights.npz").exists():
        seed = SeedRuntime.load(Path(baselines_dir) / "seed_design" / "weights.npz")
        intensity = [s["features"][:, runtime.config.feature_names.index("intensity")] for s in songs]
        logits["seed_design"] = [seed.teacher_forced_logits(s["targets"][:, :9], x) for s, x in zip(songs, intensity)]
        generated["seed_design"] = [d.hits for d in seed_generate_batch(seed, intensity)]
    if baselines_dir is not None:
        generated["rule_based"] = [rule_based(s["features"], spb).hits for s in songs]
    generated["human"] = [s["targets"][:, :9] > 0.5 for s in songs]

    per_song = {name: [song_statistics(seed_class_stats(h), s["features"], spb) for h, s in zip(hits, songs)]
                for name, hits in generated.items()}
    full_per_song = {name: [song_statistics(h, s["features"], spb) for h, s in zip(hits, songs)]
                     for name, hits in generated.items()}
    report = {"songs": len(songs), "skipped": skipped, "split": split, "model": str(model_dir),
              "like_for_like_classes": [runtime.config.drum_classes[c] for c in shared], "systems": {}}
    for name in [s for s in SYSTEMS if s in generated]:
        row: dict = {"nll_bits_per_step": None, "next_step_f1": None}
        if name in logits:
            row["nll_bits_per_step"], row["next_step_f1"] = _scores(logits[name], songs, shared)
            if logits[name][0].shape[1] == 9:
                row["nll_bits_per_step_9_classes"], row["next_step_f1_9_classes"] = _scores(logits[name], songs, list(range(9)))
        row.update({k: v for k, v in mean_statistics(per_song[name]).items()})
        row["crash_on_section_start_9_classes"] = mean_statistics(full_per_song[name])["crash_on_section_start"]
        row["stats_distance"] = None if name == "human" else stats_distance(per_song[name], per_song["human"])
        report["systems"][name] = {k: _round(v) for k, v in row.items()}
    report["seconds"] = round(time.perf_counter() - started, 1)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "report.json", json.dumps(report, indent=2) + "\n")
    atomic_write_text(out_dir / "report.md", report_markdown(report))
    plot_report(report, out_dir / "report.png")
    return report


REPORT_COLUMNS = ("nll_bits_per_step", "next_step_f1", "stats_distance", "hits_per_bar", "cymbal_hits_per_bar",
                  "syncopation", "repetition", "backbeat", "crash_on_section_start", "density_intensity_corr",
                  "bars_with_drums")


def report_markdown(report: dict) -> str:
    lines = [f"# Evaluation on {report['songs']} songs" + (f" ({report['split']} split)" if report.get("split") else ""),
             "", f"Model: `{report['model']}`. Likelihood, F1 and statistics on the six classes all systems share "
             f"({', '.join(report['like_for_like_classes'])}); freely generated drums use default decoding.", "",
             "| system | " + " | ".join(REPORT_COLUMNS) + " |", "|---" * (len(REPORT_COLUMNS) + 1) + "|"]
    for name, row in report["systems"].items():
        cells = ["-" if row.get(c) is None else f"{row[c]:.3f}" for c in REPORT_COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", f"Skipped files: {report['skipped'] or 'none'}. Took {report['seconds']} s.", ""]
    return "\n".join(lines)


def plot_report(report: dict, path: Path) -> None:
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = ("nll_bits_per_step", "next_step_f1", "stats_distance", "hits_per_bar", "repetition", "backbeat")
    names = list(report["systems"])
    fig, axes = plt.subplots(1, len(cols), figsize=(3 * len(cols), 3.2))
    for ax, col in zip(axes, cols):
        vals = [report["systems"][n].get(col) for n in names]
        ax.bar(range(len(names)), [0 if v is None else v for v in vals],
               color=["tab:blue", "tab:red", "tab:orange", "tab:gray", "tab:green"][:len(names)])
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=60, ha="right", fontsize=7)
        ax.set_title(col, fontsize=9)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
