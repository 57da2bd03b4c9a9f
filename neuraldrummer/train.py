"""Training: corpus -> a model directory that the numpy runtime can load.

``train(corpus_dir, out_dir, config)`` writes into ``out_dir``::

    config.json          the frozen config (grid, features, drum map, sizes)
    weights.npz          weights for the numpy runtime (from the best epoch)
    model.weights.h5     the same weights for Keras (fine-tuning)
    last.weights.h5      the latest epoch, for resuming an interrupted run
    train_state.json     epoch, best validation loss, patience counter
    history.csv, loss.png  loss curves (train and validation)
    data.json            how many songs and steps trained and validated it

Checkpoints are written to a temporary file and renamed, so an interruption never
leaves a half-written checkpoint; running the same command again resumes.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
import logging
import os
import time
from pathlib import Path

import numpy as np

from .config import Config
from .corpus import Corpus
from .errors import ConfigError, CorpusError
from .midi_io import atomic_write_text

logger = logging.getLogger(__name__)

STRATEGIES = ("default", "mirrored", "multi-worker")


def _strategy(name: str):
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ConfigError(f"unknown strategy {name!r}; choose from {STRATEGIES}")


def _atomic_save_weights(model, path: Path) -> None:
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.weights.h5")
    model.save_weights(tmp)
    os.replace(tmp, path)


class _Checkpointer:
    """Keras callback factory (kept as a plain class so importing this module is cheap)."""

    @staticmethod
    def make(out_dir: Path, patience: int, state: dict):
        import keras

        class Checkpointer(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                logs = logs or {}
                val = float(logs.get("val_loss", np.inf))
                _atomic_save_weights(self.model, out_dir / "last.weights.h5")
                improved = val < state["best_val_loss"] - 1e-5
                if improved:
                    state.update(best_val_loss=val, best_epoch=epoch + 1, wait=0)
                    _atomic_save_weights(self.model, out_dir / "model.weights.h5")
                else:
                    state["wait"] += 1
                state["epoch"] = epoch + 1
                row = {"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}}
                _write_history(out_dir / "history.csv", row)
                atomic_write_text(out_dir / "train_state.json", json.dumps(state, indent=2) + "\n")
                logger.info("epoch %d: loss %.4f val_loss %.4f%s", epoch + 1, logs.get("loss", np.nan), val,
                            " (best)" if improved else "")
                if state["wait"] >= patience:
                    self.model.stop_training = True

        return Checkpointer()


def _write_history(history: Path, row: dict) -> None:
    """Add one epoch's row, dropping rows of this or later epochs (left by a run that was killed
    after logging an epoch but before its checkpoint), and replace the file atomically."""
    import io

    rows = list(csv.DictReader(history.open())) if history.exists() else []
    rows = [r for r in rows if int(r["epoch"]) < row["epoch"]] + [row]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(row), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(history, buffer.getvalue())


def plot_history(history_csv: Path, out_png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(csv.DictReader(history_csv.open()))
    if not rows:
        return
    epochs = [int(r["epoch"]) for r in rows]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for key, label in (("loss", "train"), ("val_loss", "validation")):
        if key in rows[0]:
            ax.plot(epochs, [float(r[key]) for r in rows], marker="o", ms=3, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss per step (BCE nats + velocity/timing MSE)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    tmp = out_png.with_name(f".{out_png.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, out_png)


def style_feel(corpus: Corpus, split: str = "train") -> dict:
    """Per style: swing (mean off-beat minus mean on-beat micro-timing, fraction of a step),
    mean velocity and hits per step, from the drum-only performances of one split."""
    names = corpus.feature_names
    by_style: dict[str, list] = {}
    for song in corpus.select(split):
        if song["style"] == "none":
            continue
        a = corpus.arrays(song)
        hits = a["hits"] > 0
        on_beat = a["features"][:, names.index("on_beat")] > 0.5
        by_style.setdefault(song["style"], []).append(
            (a["offset"][~on_beat][hits[~on_beat]], a["offset"][on_beat][hits[on_beat]], a["velocity"][hits],
             hits.sum(), hits.shape[0]))
    out = {}
    for style, parts in sorted(by_style.items()):
        off = np.concatenate([p[0] for p in parts])
        on = np.concatenate([p[1] for p in parts])
        vel = np.concatenate([p[2] for p in parts])
        swing = float(off.mean() - on.mean()) if off.size and on.size else 0.0
        out[style] = {"swing": round(max(swing, 0.0), 4), "mean_velocity": round(float(vel.mean()), 4),
                      "hits_per_step": round(float(sum(p[3] for p in parts) / sum(p[4] for p in parts)), 4),
                      "performances": len(parts)}
    return out


LOCK_FILE = ".train.lock"


class _DirectoryLock:
    """An exclusive, non-blocking lock on a model directory (``fcntl.flock``; released by the OS
    when the process dies, even by ``kill -9``)."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / LOCK_FILE
        self.handle = None

    def __enter__(self) -> "_DirectoryLock":
        import fcntl

        from .errors import TrainingBusyError

        self.handle = open(self.path, "a+")
        try:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.close()
            raise TrainingBusyError("another 'neuraldrummer train' is writing this model directory; "
                                    "wait for it or choose another --out", self.path.parent) from None
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(f"{os.getpid()}\n")
        self.handle.flush()
        return self

    def __exit__(self, *exc) -> None:
        import fcntl

        if self.handle is not None:
            self.path.unlink(missing_ok=True)
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
            self.handle.close()


def train(corpus_dir: str | Path, out_dir: str | Path, config: Config | None = None,
          strategy: str = "default", verbose: int = 2, init_weights: str | Path | None = None) -> dict:
    """Train (or resume training) a drummer; return a summary dict.

    Only one process at a time may train into ``out_dir``: a second one raises
    :class:`~neuraldrummer.errors.TrainingBusyError` at once.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _DirectoryLock(out_dir):
        # temporary files of a run that was killed while writing (we hold the lock: it is dead)
        for stale in [*out_dir.glob(".*.tmp.weights.h5"), *out_dir.glob(".*.part"), *out_dir.glob(".*.tmp.png")]:
            stale.unlink(missing_ok=True)
        return _train(corpus_dir, out_dir, config, strategy, verbose, init_weights)


def _train(corpus_dir: str | Path, out_dir: Path, config: Config | None, strategy: str, verbose: int,
           init_weights: str | Path | None) -> dict:
    import keras

    from .dataset import WindowDataset
    from .model import build_model, compile_model
    from .runtime import export_weights

    corpus = Corpus(corpus_dir)
    state_path = out_dir / "train_state.json"
    if config is None:
        config = Config.load(out_dir / "config.json") if (out_dir / "config.json").exists() else Config()
    if corpus.steps_per_beat != config.steps_per_beat:
        config = config.replace(steps_per_beat=corpus.steps_per_beat)
    missing = [f for f in config.feature_names if f not in corpus.feature_names]
    if missing:
        raise CorpusError(f"corpus lacks features {missing}", corpus.path)
    config.save(out_dir / "config.json")

    keras.utils.set_random_seed(config.seed)
    train_songs = corpus.select("train", config.sources)
    val_songs = corpus.select("validation", config.sources)
    train_ds = WindowDataset(corpus, train_songs, config, config.steps_per_epoch, seed=config.seed,
                             blank_features=config.blank_song_features)
    val_ds = WindowDataset(corpus, val_songs, config, config.validation_batches, seed=config.seed + 1,
                           fixed=True, blank_features=config.blank_song_features)

    state = {"epoch": 0, "best_val_loss": float("inf"), "best_epoch": 0, "wait": 0}
    resumed = False
    with _strategy(strategy).scope():
        model = compile_model(build_model(config, config.window_steps), config)
        model.optimizer.build(model.trainable_variables)  # so its state is restored on resume
        if state_path.exists() and (out_dir / "last.weights.h5").exists():
            state.update(json.loads(state_path.read_text()))
            model.load_weights(out_dir / "last.weights.h5")
            resumed = True
            logger.info("resuming %s at epoch %d", out_dir, state["epoch"])
        elif init_weights:
            model.load_weights(init_weights)
    train_ds.epoch = state["epoch"]
    started = time.perf_counter()
    if state["epoch"] < config.epochs and state["wait"] < config.patience:
        model.fit(train_ds, validation_data=val_ds, epochs=config.epochs, initial_epoch=state["epoch"],
                  callbacks=[_Checkpointer.make(out_dir, config.patience, state)], verbose=verbose)
    seconds = time.perf_counter() - started
    model.load_weights(out_dir / "model.weights.h5")
    export_weights(model, out_dir / "weights.npz")
    atomic_write_text(out_dir / "style_feel.json", json.dumps(style_feel(corpus), indent=2) + "\n")
    plot_history(out_dir / "history.csv", out_dir / "loss.png")
    data = {
        "corpus": str(corpus.path),
        "corpus_summary": {k: corpus.summary[k] for k in ("songs", "steps", "files", "skipped", "splits", "inputs",
                                                          "regridded") if k in corpus.summary},
        "train_songs_by_source": dict(sorted(Counter(s["source"] for s in train_songs).items())),
        "validation_songs_by_source": dict(sorted(Counter(s["source"] for s in val_songs).items())),
        "train_songs": len(train_songs), "validation_songs": len(val_songs),
        "train_steps": int(sum(s["steps"] for s in train_songs)),
        "validation_steps": int(sum(s["steps"] for s in val_songs)),
        "train_drum_only_songs": int(sum(s["drum_only"] for s in train_songs)),
        "sources": sorted({s["source"].split("/")[-1] if "/" in s["source"] else s["source"] for s in train_songs}),
    }
    atomic_write_text(out_dir / "data.json", json.dumps(data, indent=2) + "\n")
    summary = {**state, "seconds": round(seconds, 1), "resumed": resumed,
               "windows_per_second": round(state["epoch"] * config.steps_per_epoch * config.batch_size / max(seconds, 1e-9), 1)}
    return summary
