"""Evaluation: teacher-forced likelihood, next-step F1 and musical statistics of freely
generated drums, for a model on the songs of a corpus split (or on MIDI files)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from ..training.corpus import Corpus
from .metrics import (bits_per_step, f1_counts, mean_statistics, micro_f1, song_statistics,
                      stats_distance)
from ..generation.runtime import DrummerRuntime

logger = logging.getLogger(__name__)


def teacher_forced_scores(runtime: DrummerRuntime, songs: list[dict], classes: list[int] | None = None,
                          cutoff: float = 0.5) -> dict:
    """``nll_bits_per_step`` and ``next_step_f1`` over songs (dicts with features and targets)."""
    bits, steps, tp, fp, fn = 0.0, 0, 0, 0, 0
    for s in songs:
        out = runtime.teacher_forced(s["features"], s["targets"], style=s.get("style", 0),
                                     reference=s.get("reference"))
        hits = s["targets"][:, :runtime.num_classes]
        logits = out.logits
        if runtime.nine:  # a nine-class model is scored on the nine classes
            from ..analysis.drum_map import fold_to_nine

            hits, logits = fold_to_nine(hits), _fold_logits(logits)
        T = hits.shape[0]
        bits += bits_per_step(hits, logits, classes) * T
        steps += T
        cls = slice(None) if classes is None else list(classes)
        pred = (1 / (1 + np.exp(-logits)) >= cutoff)
        a, b, c = f1_counts(hits[:, cls], pred[:, cls])
        tp, fp, fn = tp + a, fp + b, fn + c
    return {"nll_bits_per_step": bits / max(steps, 1), "next_step_f1": micro_f1(tp, fp, fn), "steps": steps}


def corpus_songs(corpus: Corpus, split: str, with_song_only: bool = True, limit: int | None = None,
                 names: tuple[str, ...] | None = None) -> list[dict]:
    """Songs of a split as dicts of features (columns ``names``), (T, 3C) targets and reference steps."""
    out = []
    cols = None if names is None else [corpus.feature_names.index(n) for n in names]
    for song, a in corpus.song_arrays(split, with_song_only):
        targets = np.concatenate([a["hits"], a["velocity"], a["offset"]], axis=1)
        feats = a["features"] if cols is None else a["features"][:, cols]
        out.append({"meta": song, "features": feats, "targets": targets, "reference": a["reference"]})
        if limit and len(out) >= limit:
            break
    return out


def validation_report(model_dir: str | Path, corpus_dir: str | Path, limit: int | None = None,
                      progress: bool = False) -> dict:
    """Metrics written beside a trained model: validation likelihood, F1 and musical numbers."""
    from tqdm import tqdm

    from ..generation.decoding import generate
    from ..generation.settings import GenerationSettings

    runtime = DrummerRuntime.load(model_dir)
    corpus = Corpus(corpus_dir)
    spb = runtime.config.steps_per_beat
    names = runtime.config.feature_names
    songs = corpus_songs(corpus, "validation", True, limit, names)
    drum_only = [s for s in corpus_songs(corpus, "validation", False, None, names)
                 if s["meta"]["drum_only"]][:limit or None]
    report = {"validation_songs_with_song": len(songs), "validation_drum_only": len(drum_only)}
    report["songs"] = teacher_forced_scores(runtime, songs)
    if drum_only:
        report["drum_only"] = teacher_forced_scores(runtime, drum_only)
    generated, human = [], []
    for s in tqdm(songs, desc="validate: drum songs", unit="song", disable=not progress, leave=False):
        drums = generate(runtime, s["features"], GenerationSettings(seed=len(generated)), reference=s["reference"])
        generated.append(song_statistics(drums.hits, s["features"], spb, names))
        human.append(song_statistics(s["targets"][:, :runtime.num_classes], s["features"], spb, names))
    report["generated"] = {k: _round(v) for k, v in mean_statistics(generated).items()}
    report["human"] = {k: _round(v) for k, v in mean_statistics(human).items()}
    report["stats_distance"] = _round(stats_distance(generated, human))
    report["generated_bars_with_drums_min"] = _round(min((g["bars_with_drums"] for g in generated
                                                          if g["bars_with_drums"] is not None), default=None))
    return report


def _round(v):
    return None if v is None else round(float(v), 4)


# --- comparing systems on songs with real drums (neuraldrummer evaluate) ------------------

SYSTEMS = ("neuraldrummer", "eighths", "no_song_features", "seed_design", "rule_based", "human")


def load_eval_songs(paths: list[str | Path], steps_per_beat: int | tuple[int, ...], split: str | None = None,
                    limit: int | None = None, progress: bool = False) -> tuple[list[dict], dict]:
    """Songs with pitched instruments *and* real drums, on each grid asked for; skipped files
    counted by reason.

    Each song is a dict with ``path`` and, per steps-per-beat ``spb``, ``grids[spb]`` = the
    :class:`~neuraldrummer.analysis.song.EncodedSong` on that grid (``features``, ``targets`` and
    ``reference`` of the first grid are also at the top level).
    """
    import hashlib
    from collections import Counter

    from ..training.sources import find_midi_files, read_gmd_info, split_for
    from ..errors import NeuralDrummerError
    from ..io.midi import load_midi
    from ..analysis.song import encode_song

    grids = (steps_per_beat,) if isinstance(steps_per_beat, int) else tuple(steps_per_beat)
    gmd = read_gmd_info(paths)
    songs, skipped = [], Counter()
    files = find_midi_files(paths)
    if progress:
        from tqdm import tqdm

        files = tqdm(files, desc="read songs", unit="file")
    for path in files:
        try:
            loaded = load_midi(path)
            if split is not None:
                labels = gmd.get(Path(path).resolve(), {})
                if (labels.get("split") or split_for(hashlib.md5(loaded.data).hexdigest())) != split:
                    continue
            encoded = {spb: encode_song(loaded, spb) for spb in grids}
        except NeuralDrummerError as exc:
            skipped[exc.reason] += 1
            continue
        song = encoded[grids[0]]
        if not song.has_pitched:
            skipped["drum_only"] += 1
            continue
        if not song.has_drums:
            skipped["no_drums"] += 1
            continue
        songs.append({"path": str(path), "features": song.features, "reference": song.reference,
                      "targets": song.drums.stacked(), "grids": encoded})
        if limit and len(songs) >= limit:
            break
    return songs, dict(skipped)


def _scores(logits_list, hits_list, classes, cutoff=0.5):
    """Bits per step and micro F1 over songs, on ``classes`` (of the full kit)."""
    bits, steps, tp, fp, fn = 0.0, 0, 0, 0, 0
    for logits, hits in zip(logits_list, hits_list):
        T = hits.shape[0]
        bits += bits_per_step(hits, logits, classes) * T
        steps += T
        pred = logits >= np.log(cutoff / (1 - cutoff))
        a, b, c = f1_counts(hits[:, classes], pred[:, classes])
        tp, fp, fn = tp + a, fp + b, fn + c
    return bits / max(steps, 1), micro_f1(tp, fp, fn)


def _expand(seed_logits: np.ndarray) -> np.ndarray:
    from .baselines import SEED_CLASSES
    from ..analysis.drum_map import NUM_CLASSES

    out = np.full((seed_logits.shape[0], NUM_CLASSES), -30.0, np.float32)
    out[:, SEED_CLASSES] = seed_logits
    return out


def _fold_logits(logits: np.ndarray) -> np.ndarray:
    """Full-kit logits -> nine-class logits of "any of the folded classes hits" (independent classes)."""
    from ..analysis.drum_map import FOLD_TO_NINE, NUM_NINE

    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    miss = np.ones((logits.shape[0], NUM_NINE))
    for k in range(logits.shape[1]):
        miss[:, FOLD_TO_NINE[k]] *= 1 - p[:, k]
    hit = np.clip(1 - miss, 1e-7, 1 - 1e-7)
    return np.log(hit / (1 - hit)).astype(np.float32)


def evaluate_songs(paths: list[str | Path], model_dir: str | Path, out_dir: str | Path,
                   baselines_dir: str | Path | None = None, split: str | None = None,
                   limit: int | None = None, progress: bool = True, eighths_dir: str | Path | None = None,
                   settings: dict | None = None) -> dict:
    """Evaluate the model (and baselines) on songs with real drums; write report.json/.md and plots.

    Systems: ``neuraldrummer`` (the model), and with baselines ``eighths`` (the first,
    eighth-note model), ``no_song_features`` (the model's no-song twin), ``seed_design``,
    ``rule_based``; ``human`` is the song's own drums. Two tables:

    * the first design's table, on the six classes every system has: likelihood (bits per
      step of the system's own grid, and per beat so grids compare), F1 and musical
      statistics (:func:`~neuraldrummer.evaluation.metrics.song_statistics`);
    * the follow table (:func:`~neuraldrummer.evaluation.metrics.follow_measures`), from the drum notes
      each system writes, on the song's 16th grid, over the songs whose tempo map fits their
      notes (the others' bars cannot be compared).
    """
    import time

    from .baselines import SEED_CLASSES, SeedRuntime, rule_based, seed_generate_batch
    from ..analysis.drum_map import fold_to_nine
    from ..analysis.drums import decode_drums, drum_notes
    from ..generation.decoding import generate
    from ..generation.settings import GenerationSettings
    from .discriminator import boosted_accuracy, discriminator_accuracy, segment_features
    from .metrics import FOLLOW_MEASURES, follow_measures, median_ratio
    from ..io.midi import atomic_write_text

    started = time.perf_counter()
    runtimes = {"neuraldrummer": DrummerRuntime.load(model_dir)}
    seed = None
    if baselines_dir is not None:
        eighths = Path(eighths_dir) if eighths_dir else Path(model_dir).resolve().parent / "eighths"
        if (eighths / "weights.npz").exists():
            runtimes["eighths"] = DrummerRuntime.load(eighths)
        nosong = Path(baselines_dir) / "no_song_features"
        if (nosong / "weights.npz").exists():
            runtimes["no_song_features"] = DrummerRuntime.load(nosong)
        if (Path(baselines_dir) / "seed_design" / "weights.npz").exists():
            seed = SeedRuntime.load(Path(baselines_dir) / "seed_design" / "weights.npz")
    spb_main = runtimes["neuraldrummer"].config.steps_per_beat
    grids = tuple(dict.fromkeys([spb_main, 4] + [rt.config.steps_per_beat for rt in runtimes.values()]
                                + ([2] if seed is not None else [])))
    songs, skipped = load_eval_songs(paths, grids, split, limit, progress)
    if not songs:
        from ..errors import CorpusError

        raise CorpusError(f"no songs with pitched instruments and real drums (skipped {skipped})")
    shared = list(SEED_CLASSES)  # like-for-like classes (the seed design has six)

    def six(hits):
        masked = np.zeros_like(hits, dtype=bool)
        masked[:, shared] = hits[:, shared] > 0.5
        return masked

    # what each system played: full-kit arrays on its own grid, and notes (seconds, pitches)
    played: dict[str, list[tuple]] = {}
    logits: dict[str, list[np.ndarray]] = {}
    hits_true: dict[str, list[np.ndarray]] = {}
    jobs = [(name, rt) for name, rt in runtimes.items()]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs) * len(songs) + (len(songs) if seed is not None else 0), desc="evaluate",
                   unit="song")
    for name, rt in jobs:
        spb = rt.config.steps_per_beat
        played[name], logits[name], hits_true[name] = [], [], []
        for k, s in enumerate(songs):
            enc = s["grids"][spb]
            targets = enc.drums.stacked()
            feats = enc.features[:, [enc.feature_names.index(n) for n in rt.config.feature_names]]
            logits[name].append(rt.teacher_forced(feats, targets, reference=enc.reference).logits)
            hits_true[name].append(targets[:, :rt.num_classes])
            extra = dict(settings or {}) if name == "neuraldrummer" else {}
            take = k + int(extra.pop("seed", 0))  # song k's take, or another take of every song
            drums = generate(rt, feats, GenerationSettings(seed=take, **extra), reference=enc.reference, push=enc.push)
            ev = decode_drums(drums, enc.grid)
            played[name].append((drums.hits, enc, ev.times, ev.pitches, ev.velocities))
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(name)
    if seed is not None:
        encs = [s["grids"][2] for s in songs]
        intensity = [e.features[:, e.feature_names.index("intensity")] for e in encs]
        logits["seed_design"] = [_expand(seed.teacher_forced_logits(e.drums.stacked()[:, :9], x))
                                 for e, x in zip(encs, intensity)]
        hits_true["seed_design"] = [e.drums.stacked()[:, :18] for e in encs]
        played["seed_design"] = []
        for e, d in zip(encs, seed_generate_batch(seed, intensity)):
            ev = decode_drums(d, e.grid)
            played["seed_design"].append((d.hits, e, ev.times, ev.pitches, ev.velocities))
        if bar is not None:
            bar.update(len(songs))
    if baselines_dir is not None:
        played["rule_based"] = []
        for s in songs:
            e = s["grids"][spb_main]
            d = rule_based(e.features, spb_main, e.feature_names)
            ev = decode_drums(d, e.grid)
            played["rule_based"].append((d.hits, e, ev.times, ev.pitches, ev.velocities))
    played["human"] = []
    for s in songs:
        e = s["grids"][spb_main]
        notes = drum_notes(e.loaded.pm)
        played["human"].append((e.drums.hits, e, np.array([n.start for n in notes]), np.array([n.pitch for n in notes]),
                                  np.array([n.velocity for n in notes])))
    if bar is not None:
        bar.close()

    # the first design's table (six classes, each system on its own grid)
    per_song = {name: [song_statistics(six(h), e.features, e.grid.steps_per_beat, e.feature_names)
                       for h, e, *_ in rows] for name, rows in played.items()}
    full_per_song = {name: [song_statistics(h, e.features, e.grid.steps_per_beat, e.feature_names)
                            for h, e, *_ in rows] for name, rows in played.items()}
    # the follow table: on each song's 16th grid, songs whose tempo map fits
    fits = [s["grids"][4].info.get("grid") == "file" for s in songs]
    forms = [s["grids"][4].form if ok else None for s, ok in zip(songs, fits)]
    follow = {name: [follow_measures(s["grids"][4].grid, f, t, p, v)
                     for s, f, (_, _, t, p, v) in zip(songs, forms, rows) if f is not None]
              for name, rows in played.items()}
    sequenced = [s["grids"][4].info.get("off_grid_share", 1) <= 0.05 for s, ok in zip(songs, fits) if ok]

    report = {"songs": len(songs), "songs_tempo_map_fits": int(sum(fits)), "skipped": skipped, "split": split,
              "model": str(model_dir), "settings": dict(settings or {}), "like_for_like_classes": [runtimes["neuraldrummer"].config.drum_classes[c]
                                                                  for c in shared],
              "systems": {}, "follow": {}}
    for name in [s for s in SYSTEMS if s in played]:
        row: dict = {"nll_bits_per_step": None, "next_step_f1": None}
        if name in logits:
            spb = runtimes[name].config.steps_per_beat if name in runtimes else 2
            row["steps_per_beat"] = spb
            row["nll_bits_per_step"], row["next_step_f1"] = _scores(logits[name], hits_true[name], shared)
            row["nll_bits_per_beat"] = row["nll_bits_per_step"] * spb
            if name in runtimes:
                folded = [_fold_logits(z) for z in logits[name]]
                truth = [fold_to_nine(h > 0.5).astype(np.float32) for h in hits_true[name]]
                row["nll_bits_per_step_9_classes"], row["next_step_f1_9_classes"] = _scores(
                    folded, truth, list(range(9)))
                if runtimes[name].num_classes == 18 and not runtimes[name].nine:
                    row["nll_bits_per_step_full_kit"], _ = _scores(logits[name], hits_true[name], list(range(18)))
        row.update({k: v for k, v in mean_statistics(per_song[name]).items()})
        row["crash_on_section_start_9_classes"] = mean_statistics(full_per_song[name])["crash_on_section_start"]
        row["stats_distance"] = None if name == "human" else stats_distance(per_song[name], per_song["human"])
        report["systems"][name] = {k: _round(v) for k, v in row.items()}
        f_rows = follow[name]
        frow = {k: _round(np.mean([r[k] for r in f_rows if r[k] is not None]))
                if any(r[k] is not None for r in f_rows) else None for k in FOLLOW_MEASURES}
        frow["hits_per_bar_ratio_median"] = _round(median_ratio([r["hits_per_bar"] for r in f_rows],
                                                                [r["hits_per_bar"] for r in follow["human"]]))
        for key in ("off_grid_share", "odd_sixteenth_share"):
            diffs = [abs(a[key] - b[key]) for a, b in zip(f_rows, follow["human"])
                     if a[key] is not None and b[key] is not None]
            frow[f"{key}_mean_abs_diff"] = _round(np.mean(diffs)) if diffs else None
        strays = [r["stray_hit_share"] for r in f_rows if r["stray_hit_share"] is not None]
        frow["stray_hit_share_median"] = _round(np.median(strays)) if strays else None
        seq = [r["off_grid_share"] for r, q in zip(f_rows, sequenced) if q and r["off_grid_share"] is not None]
        frow["off_grid_share_sequenced"] = _round(np.mean(seq)) if seq else None
        for key in ("velocity_levels", "velocity_sd"):
            for label, want in (("sequenced", True), ("played", False)):
                vals = [r[key] for r, q in zip(f_rows, sequenced) if q == want and r[key] is not None]
                frow[f"{key}_{label}_median"] = _round(np.median(vals)) if vals else None
        report["follow"][name] = frow
    report["sequenced_songs"] = int(sum(sequenced))
    segments = {name: [segment_features(s["grids"][4].grid, t, p, v) for s, (_, _, t, p, v) in zip(songs, rows)]
                for name, rows in played.items()}
    report["discriminator"] = {}
    for name in played:
        if name != "human":
            row = discriminator_accuracy(segments["human"], segments[name])
            boosted = boosted_accuracy(segments["human"], segments[name])
            row.update({"boosted_accuracy": boosted["accuracy"],
                        "boosted_strongest_features": boosted.get("strongest_features", [])})
            report["discriminator"][name] = {k: _round(v) if isinstance(v, float) else v for k, v in row.items()}
    report["seconds"] = round(time.perf_counter() - started, 1)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "report.json", json.dumps(report, indent=2) + "\n")
    atomic_write_text(out_dir / "report.md", report_markdown(report))
    plot_report(report, out_dir / "report.png")
    return report


REPORT_COLUMNS = ("nll_bits_per_step", "nll_bits_per_beat", "next_step_f1", "stats_distance", "hits_per_bar", "cymbal_hits_per_bar",
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
    follow_cols = ("timekeeping_share", "stray_hit_share_median", "crash_on_section_start", "fill_ratio",
                   "repeat_similarity", "density_correlation", "distinct_pitches", "odd_sixteenth_share",
                   "odd_sixteenth_share_mean_abs_diff", "off_grid_share", "hits_per_bar",
                   "hits_per_bar_ratio_median", "off_grid_share_sequenced", "velocity_levels_sequenced_median",
                   "velocity_sd_sequenced_median", "velocity_levels_played_median", "velocity_sd_played_median")
    if report.get("follow"):
        lines += ["", f"Following the song, on the {report['songs_tempo_map_fits']} songs whose tempo map fits "
                  f"({report.get('sequenced_songs', 0)} of them sequenced), on each song's 16th grid:", "",
                  "| system | " + " | ".join(follow_cols) + " |", "|---" * (len(follow_cols) + 1) + "|"]
        for name, row in report["follow"].items():
            cells = ["-" if row.get(c) is None else f"{row[c]:.3f}" for c in follow_cols]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if report.get("discriminator"):
        lines += ["", "Told from the human drummer by a classifier of 4-bar segments (two folds by song; "
                  "0.5: it cannot tell), linear and gradient-boosted trees:", ""]
        def acc(value):
            return "-" if value is None else f"{value:.3f}"
        for name, row in report["discriminator"].items():
            lines.append(f"- {name}: {acc(row.get('accuracy'))} of {row.get('segments', 0)} segments; strongest "
                         f"features {', '.join(row.get('strongest_features', [])) or '-'}")
            if "boosted_accuracy" in row:
                lines.append(f"  - boosted trees: {acc(row['boosted_accuracy'])}; strongest features "
                             f"{', '.join(row.get('boosted_strongest_features', [])) or '-'}")
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
