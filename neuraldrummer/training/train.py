"""Training: corpus -> a model directory that the numpy runtime can load.

``train(corpus_dir, out_dir, config)`` writes into ``out_dir``::

    config.json          the frozen config (grid, features, drum map, sizes)
    weights.npz          weights for the numpy runtime (from the best epoch)
    model.weights.h5     the same weights for Keras (fine-tuning)
    checkpoints/         the latest and the best epoch's weights and optimizer state, for resuming
    train_state.json     epoch, best validation loss, patience counter, the checkpoint files
    history.csv, loss.png  loss curves (train and validation)
    data.json            how many songs and steps trained and validated it

Checkpoints are written to a temporary file and renamed, and ``train_state.json`` (written
last) names the checkpoint of its epoch, so an interruption at any moment never leaves a
half-written checkpoint or a state that does not match its weights; running the same command
again resumes from the last completed epoch.
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

from ..config import Config
from .corpus import Corpus
from ..errors import ConfigError, CorpusError
from ..io.midi import atomic_write_text

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


def cluster_role(strategy: str) -> tuple[bool, int, int]:
    """``(is_chief, task_index, workers)`` of this process: from ``TF_CONFIG`` for multi-worker
    training (the ``chief`` task, or worker 0 when there is none), else a chief working alone."""
    if strategy != "multi-worker":
        return True, 0, 1
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise ConfigError("--strategy multi-worker needs TF_CONFIG (the cluster and this worker's task): "
                          "see README, 'Training on several machines'")
    try:
        tf_config = json.loads(raw)
        cluster, task = tf_config["cluster"], tf_config["task"]
        kind, index = task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"TF_CONFIG is not a valid cluster description: {exc}") from None
    workers = len(cluster.get("chief", [])) + len(cluster.get("worker", []))
    chief = kind == "chief" or (kind == "worker" and index == 0 and not cluster.get("chief"))
    return chief, index + (len(cluster.get("chief", [])) if kind == "worker" else 0), workers


def _sync_from_chief(strategy, model, state: dict, is_chief: bool, workers: int) -> None:
    """Give every worker the chief's weights, optimizer state and training state (one all-reduce:
    the chief adds its values, the others zeros). After a resume only the chief has read the files."""
    import tensorflow as tf

    variables = list(model.weights) + list(model.optimizer.variables)
    keys = ("epoch", "best_val_loss", "best_epoch", "wait")
    head = np.array([state[k] if np.isfinite(state[k]) else 1e30 for k in keys], np.float64)
    flat = np.concatenate([head] + [np.asarray(v.numpy(), np.float64).ravel() for v in variables])
    if not is_chief:
        flat = np.zeros_like(flat)

    def add(x):  # on each replica's own device, then summed over every replica of the cluster
        return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, tf.identity(x))

    @tf.function
    def all_reduce(x):
        return strategy.run(add, args=(x,))

    # each local replica (one per GPU, or one on a CPU) adds the same vector: count each worker once
    local = max(1, strategy.num_replicas_in_sync // max(workers, 1))
    result = all_reduce(tf.constant(flat / local))
    values = strategy.experimental_local_results(result)[0].numpy()
    for k, v in zip(keys, values[:len(keys)]):
        state[k] = float("inf") if v >= 1e29 else (int(round(v)) if k != "best_val_loss" else float(v))
    offset = len(keys)
    for var in variables:
        n = int(np.prod(var.shape)) if var.shape else 1
        var.assign(values[offset:offset + n].reshape(var.shape).astype(var.dtype))
        offset += n


def _keras_multi_worker_fixes(model) -> None:
    """Work around two faults of Keras 3.15's ``fit`` under ``MultiWorkerMirroredStrategy`` with
    more than one worker (both reproduced with two local workers; see tests/test_training_faults.py):

    * before fitting, Keras builds the model from one batch reduced with ``strategy.reduce``, which
      cannot reduce a dict of per-replica inputs ("unsupported type <class 'dict'> to a Tensor"):
      build from this worker's own part of the batch instead (only its shapes matter);
    * each step's logs (scalar loss and metrics) are reduced with ``strategy.reduce("MEAN", v,
      axis=0)``, which fails on a scalar: reduce them across replicas with ``axis=None``.
    """
    import types

    import tensorflow as tf
    from keras import tree
    from keras.src.backend.tensorflow import trainer as tf_trainer

    original = getattr(tf_trainer.reduce_per_replica, "__wrapped__", tf_trainer.reduce_per_replica)

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return tree.map_structure(
                lambda v: strategy.reduce("MEAN", v, axis=None) if isinstance(v, tf.distribute.DistributedValues)
                else v, values)
        return original(values, strategy, reduction)

    reduce_per_replica.__wrapped__ = original
    tf_trainer.reduce_per_replica = reduce_per_replica

    def build(self, iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, it in iterator:
                batch = next(it)
                data_batch = tree.map_structure(
                    lambda x: self.distribute_strategy.experimental_local_results(x)[0]
                    if isinstance(x, tf.distribute.DistributedValues) else x, batch)
                break
        with self.distribute_strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    model._maybe_symbolic_build = types.MethodType(build, model)


def weights_fingerprint(model) -> str:
    """A short hash of a model's weights (the same on every worker of one model)."""
    import hashlib

    h = hashlib.sha1()
    for w in model.get_weights():
        h.update(np.ascontiguousarray(w).tobytes())
    return h.hexdigest()[:16]


def _atomic_save_weights(model, path: Path) -> None:
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.weights.h5")
    model.save_weights(tmp)
    os.replace(tmp, path)


CHECKPOINTS = "checkpoints"


class _Checkpointer:
    """Keras callback factory (kept as a plain class so importing this module is cheap).

    After each epoch: the weights (with the optimizer state) go to a new file
    ``checkpoints/last-EEEE.weights.h5`` (the best epoch's also to ``best-EEEE.weights.h5``), the
    history gets its row, and then ``train_state.json`` is replaced atomically: it names the
    checkpoint files, so the state and the weights it names always belong to the same epoch,
    wherever a kill falls. Files no longer named are removed after that, and ``model.weights.h5``
    (the best epoch, for Keras) is refreshed.
    """

    @staticmethod
    def make(out_dir: Path, patience: int, state: dict):
        import keras

        class Checkpointer(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                logs = logs or {}
                val = float(logs.get("val_loss", np.inf))
                folder = out_dir / CHECKPOINTS
                folder.mkdir(exist_ok=True)
                last = f"last-{epoch + 1:04d}.weights.h5"
                _atomic_save_weights(self.model, folder / last)
                improved = val < state["best_val_loss"] - 1e-5
                if improved:
                    best = f"best-{epoch + 1:04d}.weights.h5"
                    _atomic_copy(folder / last, folder / best)
                    state.update(best_val_loss=val, best_epoch=epoch + 1, wait=0, best_checkpoint=best)
                else:
                    state["wait"] += 1
                state.update(epoch=epoch + 1, last_checkpoint=last)
                row = {"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}}
                _write_history(out_dir / "history.csv", row)
                atomic_write_text(out_dir / "train_state.json", json.dumps(state, indent=2) + "\n")  # commit
                for old in folder.glob("*.weights.h5"):
                    if old.name not in (last, state.get("best_checkpoint")):
                        old.unlink(missing_ok=True)
                if improved:
                    _atomic_copy(folder / state["best_checkpoint"], out_dir / "model.weights.h5")
                logger.info("epoch %d: loss %.4f val_loss %.4f%s", epoch + 1, logs.get("loss", np.nan), val,
                            " (best)" if improved else "")
                if state["wait"] >= patience:
                    self.model.stop_training = True

        return Checkpointer()


def _atomic_copy(src: Path, dst: Path) -> None:
    import shutil

    tmp = dst.with_name(f".{dst.stem}.{os.getpid()}.tmp.weights.h5")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


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

        from ..errors import TrainingBusyError

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
    :class:`~neuraldrummer.errors.TrainingBusyError` at once. With ``strategy="multi-worker"``
    (``TF_CONFIG``), the chief alone writes ``out_dir``; the other workers write their checkpoints
    into a temporary folder of their own, removed at the end (TensorFlow's multi-worker guide).
    """
    import shutil
    import tempfile

    Corpus(corpus_dir)  # a missing or broken corpus fails here, before the output folder is made
    is_chief, task, workers = cluster_role(strategy)
    out_dir = Path(out_dir)
    work_dir = out_dir if is_chief else Path(tempfile.mkdtemp(prefix=f"neuraldrummer-worker{task}-"))
    work_dir.mkdir(parents=True, exist_ok=True)
    try:
        with _DirectoryLock(work_dir):
            # temporary files of a run that was killed while writing (we hold the lock: it is dead)
            for stale in [*work_dir.glob(".*.tmp.weights.h5"), *work_dir.glob(".*.part"),
                          *work_dir.glob(".*.tmp.png")]:
                stale.unlink(missing_ok=True)
            if not is_chief and config is None and (out_dir / "config.json").exists():
                config = Config.load(out_dir / "config.json")
            summary = _train(corpus_dir, work_dir, config, strategy, verbose, init_weights, is_chief, task, workers)
            return {**summary, "chief": is_chief, "task": task, "workers": workers}
    finally:
        if not is_chief:
            shutil.rmtree(work_dir, ignore_errors=True)


def _train(corpus_dir: str | Path, out_dir: Path, config: Config | None, strategy: str, verbose: int,
           init_weights: str | Path | None, is_chief: bool = True, task: int = 0, workers: int = 1) -> dict:
    import keras

    from .dataset import WindowDataset, as_tf_dataset
    from .model import build_model, compile_model
    from .export import export_weights

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
    distribution = _strategy(strategy)
    with distribution.scope():
        model = compile_model(build_model(config, config.window_steps), config)
        model.optimizer.build(model.trainable_variables)  # so its state is restored on resume
        saved = json.loads(state_path.read_text()) if state_path.exists() else {}
        last = (out_dir / CHECKPOINTS / saved["last_checkpoint"] if "last_checkpoint" in saved
                else out_dir / "last.weights.h5")  # (a directory written before checkpoints/)
        if saved and last.exists():
            state.update(saved)
            model.load_weights(last)
            resumed = True
            logger.info("resuming %s at epoch %d", out_dir, state["epoch"])
        elif init_weights:
            model.load_weights(init_weights)
    if strategy == "multi-worker":
        _sync_from_chief(distribution, model, state, is_chief, workers)
        _keras_multi_worker_fixes(model)
        resumed = state["epoch"] > 0
    started = time.perf_counter()
    if state["epoch"] < config.epochs and state["wait"] < config.patience:
        # a tf.data pipeline that draws batch k of the run (epoch k // steps) the same way whether the
        # run was resumed or not (a PyDataset's epoch counter races with its prefetching), and that
        # tf.distribute can split among replicas; each worker of a cluster draws its own windows
        replicas = distribution.num_replicas_in_sync
        train_in = as_tf_dataset(train_ds, replicas, state["epoch"], worker=task)
        val_in = as_tf_dataset(val_ds, replicas, 0, worker=0)
        model.fit(train_in, validation_data=val_in, epochs=config.epochs, initial_epoch=state["epoch"],
                  steps_per_epoch=config.steps_per_epoch, validation_steps=config.validation_batches,
                  shuffle=False,  # the pipeline draws its own random windows
                  callbacks=[_Checkpointer.make(out_dir, config.patience, state)], verbose=verbose)
    seconds = time.perf_counter() - started
    best = (out_dir / CHECKPOINTS / state["best_checkpoint"] if "best_checkpoint" in state
            else out_dir / "model.weights.h5")
    if is_chief or best.exists():  # a resumed worker may not have the best epoch
        model.load_weights(best)
        if best.parent.name == CHECKPOINTS:
            _atomic_copy(best, out_dir / "model.weights.h5")
    fingerprint = weights_fingerprint(model)
    summary = {**state, "seconds": round(seconds, 1), "resumed": resumed, "weights_fingerprint": fingerprint,
               "windows_per_second": round(state["epoch"] * config.steps_per_epoch * config.batch_size
                                           / max(seconds, 1e-9), 1)}
    if not is_chief:
        return summary
    export_weights(model, out_dir / "weights.npz", config)
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
    return summary
