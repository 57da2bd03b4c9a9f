"""Training windows from a corpus, as a ``keras.utils.PyDataset``.

Each window has ``W`` target steps and carries ``LOOKAHEAD_STEPS`` extra steps of
future song features (zeros past the song end, as in the runtime). Windows are drawn
from songs at random (seeded), drum-only songs (GMD) with probability
``1 - config.song_weight``; shorter songs are padded and the padding gets zero weight.
Each window is read straight from the memory-mapped corpus (nothing is cached), so a
corpus of any size trains in the same memory. With ``config.reference_input`` the window
also carries, per step, the human hits of its reference step (the same position of the bar
whose music it repeats); song dropout blanks those with the song.
"""

from __future__ import annotations

import numpy as np
import keras

from ..config import Config
from .corpus import Corpus
from ..analysis.feature_policy import blank_song_features
from ..analysis.drum_map import NUM_NINE, fold_steps_to_nine, fold_to_nine
from .augment import BY_HAND, drums_played_by_hand
from .model import LOOKAHEAD_STEPS


def drum_targets(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """(T, 3C) float32: hits, velocities, offsets."""
    return np.concatenate([arrays["hits"], arrays["velocity"], arrays["offset"]], axis=1).astype(np.float32)


def drop_history(prev: np.ndarray, ref: np.ndarray, steps: int, num_classes: int,
                 rng: np.random.Generator) -> None:
    """Remove some sounds from a window's drum history, in place: from a random step in the first
    half of the window's ``steps`` on, each class played in the window is dropped with probability
    one half (at least one is), from the previous drums (hits, velocities, offsets) and from the
    reference drums. The targets are left as they were."""
    C = num_classes
    played = np.nonzero(prev[:steps, :C].any(axis=0) | ref[:steps].any(axis=0))[0]
    if played.size == 0:
        return
    drop = played[rng.random(played.size) < 0.5]
    if drop.size == 0:
        drop = played[[int(rng.integers(played.size))]]
    t0 = int(rng.integers(0, max(steps // 2, 1)))
    for k in (0, 1, 2):
        prev[t0:steps, k * C + drop] = 0.0
    ref[t0:steps, drop] = 0.0


def previous_steps(targets: np.ndarray) -> np.ndarray:
    """Drums shifted one step later (step t sees step t-1; step 0 sees silence)."""
    prev = np.zeros_like(targets)
    prev[1:] = targets[:-1]
    return prev


class WindowDataset(keras.utils.PyDataset):
    """Random training windows (a new draw every epoch) or a fixed validation set."""

    def __init__(self, corpus: Corpus, songs: list[dict], config: Config, batches: int,
                 seed: int, fixed: bool = False, blank_features: bool = False, **kwargs):
        super().__init__(**kwargs)
        if not songs:
            from ..errors import CorpusError

            raise CorpusError("no songs for this split/source selection", corpus.path)
        self.corpus, self.config, self.batches = corpus, config, batches
        self.seed, self.fixed, self.blank_features = seed, fixed, blank_features
        self.songs = songs
        self.styles = np.array([config.styles.index(s["style"]) if s["style"] in config.styles else 0
                                for s in songs], np.int32)
        lengths = np.array([s["steps"] for s in songs], np.float64)
        drum_only = np.array([s["drum_only"] for s in songs])
        weight = np.sqrt(lengths)  # long songs count more, but not linearly
        with_song = weight * ~drum_only
        without = weight * drum_only
        p = np.zeros_like(weight)
        if with_song.sum() > 0 and without.sum() > 0:
            p = config.song_weight * with_song / with_song.sum() + (1 - config.song_weight) * without / without.sum()
        else:
            p = weight / weight.sum()
        self.p = p / p.sum()
        self.epoch = 0

    def __len__(self) -> int:
        return self.batches

    def on_epoch_end(self) -> None:
        self.epoch += 1

    def _columns(self) -> list[int]:
        names = self.corpus.feature_names
        return [names.index(n) for n in self.config.feature_names]

    def __getitem__(self, index: int):
        epoch = 0 if self.fixed else self.epoch
        rng = np.random.default_rng([self.seed, epoch, index])
        cfg = self.config
        W, L, B = cfg.window_steps, LOOKAHEAD_STEPS, cfg.batch_size
        C, F = cfg.num_classes, cfg.num_features
        C3 = 3 * C
        cols = self._columns()
        prev = np.zeros((B, W, C3), np.float32)
        feats = np.zeros((B, W + L, F), np.float32)
        target = np.zeros((B, W, C3), np.float32)
        ref = np.zeros((B, W, C), np.float32)
        weight = np.zeros((B, W), np.float32)
        style = np.zeros((B,), np.int32)
        picks = rng.choice(len(self.songs), size=B, p=self.p)
        names = self.corpus.feature_names
        timing_col = names.index("song_timing") if "song_timing" in names else None
        for b, i in enumerate(picks):
            song = self.songs[int(i)]
            T = song["steps"]
            start = int(rng.integers(0, max(T - W, 0) + 1))
            augmented = (not self.fixed and cfg.drop_instrument > 0 and not song["drum_only"]
                         and rng.random() < cfg.drop_instrument)
            lo = max(start - 1, 0)
            a = self.corpus.arrays(song, lo, start + W + L, augmented)
            y = drum_targets(a)
            if augmented and song.get("augmentation") in BY_HAND and timing_col is not None:
                y = drums_played_by_hand(y, float(a["features"][0, timing_col]), self.corpus.steps_per_beat, rng)
            if C == NUM_NINE:  # a nine-class model (the first design) trains on the folded kit
                y = fold_steps_to_nine(y)
            off = start - lo  # 1 if there is a step before the window
            n = min(W, T - start)
            target[b, :n] = y[off:off + n]
            if off:
                prev[b, 0] = y[0]
            prev[b, 1:n] = y[off:off + n - 1]
            m = min(W + L, T - start)
            f = a["features"][off:off + m][:, cols]
            blank = self.blank_features or (
                self.config.song_dropout and not self.fixed and rng.random() < self.config.song_dropout)
            if blank:
                f = blank_song_features(f, self.config.feature_names)
            feats[b, :m] = f
            if cfg.reference_input and not blank:
                r = a["reference"][off:off + n]
                valid = r >= 0
                if valid.any():
                    hits = self.corpus.hits[song["start"] + r[valid]].astype(np.float32)
                    ref[b, np.nonzero(valid)[0]] = fold_to_nine(hits) if C == NUM_NINE else hits
            if cfg.history_dropout and not self.fixed and rng.random() < cfg.history_dropout:
                drop_history(prev[b], ref[b], n, C, rng)
            weight[b, :n] = 1.0
            # style dropout: the neutral style must also work for every kind of groove
            style[b] = self.styles[i] if rng.random() > 0.2 else 0
        inputs = {"prev_drums": prev, "features": feats, "style": style}
        if cfg.reference_input:
            inputs["ref_drums"] = ref
        return inputs, target, weight



def as_tf_dataset(windows: WindowDataset, replicas: int = 1, first_epoch: int = 0, worker: int = 0):
    """The windows of ``windows`` as an endless ``tf.data`` pipeline for ``tf.distribute``.

    Each element is a global batch (``replicas`` times the config's batch size), which the strategy
    splits among its replicas. Batches are drawn as :class:`WindowDataset` draws them (epoch
    ``first_epoch`` on), seeded by ``worker`` too, so the workers of a cluster read different
    windows; auto-sharding is off (every worker's pipeline is its own).
    """
    import tensorflow as tf

    per = windows.config.batch_size
    source = WindowDataset(windows.corpus, windows.songs, windows.config, windows.batches,
                           seed=windows.seed + 1_000_003 * worker, fixed=windows.fixed,
                           blank_features=windows.blank_features)
    probe_x, probe_y, probe_w = windows[0]

    def spec(a):
        return tf.TensorSpec((per * replicas,) + a.shape[1:], tf.as_dtype(a.dtype))

    signature = ({k: spec(v) for k, v in probe_x.items()}, spec(probe_y), spec(probe_w))

    def batches():
        k = first_epoch * source.batches
        while True:
            parts = []
            for _ in range(replicas):
                source.epoch = 0 if source.fixed else k // source.batches
                parts.append(source[k % source.batches])
                k += 1
            x = {name: np.concatenate([p[0][name] for p in parts]) for name in parts[0][0]}
            yield x, np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts])

    ds = tf.data.Dataset.from_generator(batches, output_signature=signature)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    return ds.with_options(options).prefetch(2)
