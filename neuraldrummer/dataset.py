"""Training windows from a corpus, as a ``keras.utils.PyDataset``.

Each window has ``W`` target steps and carries ``LOOKAHEAD_STEPS`` extra steps of
future song features (zeros past the song end, as in the runtime). Windows are drawn
from songs at random (seeded), drum-only songs (GMD) with probability
``1 - config.song_weight``; shorter songs are padded and the padding gets zero weight.
"""

from __future__ import annotations

import numpy as np
import keras

from .config import Config
from .corpus import Corpus
from .dataset_features import blank_song_features
from .model import LOOKAHEAD_STEPS


def drum_targets(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """(T, 3C) float32: hits, velocities, offsets."""
    return np.concatenate([arrays["hits"], arrays["velocity"], arrays["offset"]], axis=1).astype(np.float32)


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
            from .errors import CorpusError

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
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.epoch = 0

    def __len__(self) -> int:
        return self.batches

    def on_epoch_end(self) -> None:
        self.epoch += 1

    def _song(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        if i not in self._cache:
            arrays = self.corpus.arrays(self.songs[i])
            names = self.corpus.feature_names
            idx = [names.index(n) for n in self.config.feature_names]
            feats = arrays["features"][:, idx]
            if self.blank_features:
                feats = blank_song_features(feats, self.config.feature_names)
            self._cache[i] = (feats, drum_targets(arrays))
        return self._cache[i]

    def __getitem__(self, index: int):
        epoch = 0 if self.fixed else self.epoch
        rng = np.random.default_rng([self.seed, epoch, index])
        cfg = self.config
        W, L, B = cfg.window_steps, LOOKAHEAD_STEPS, cfg.batch_size
        C3, F = 3 * cfg.num_classes, cfg.num_features
        prev = np.zeros((B, W, C3), np.float32)
        feats = np.zeros((B, W + L, F), np.float32)
        target = np.zeros((B, W, C3), np.float32)
        weight = np.zeros((B, W), np.float32)
        style = np.zeros((B,), np.int32)
        picks = rng.choice(len(self.songs), size=B, p=self.p)
        for b, i in enumerate(picks):
            f, y = self._song(int(i))
            T = y.shape[0]
            start = int(rng.integers(0, max(T - W, 0) + 1))
            n = min(W, T - start)
            target[b, :n] = y[start:start + n]
            if start > 0:
                prev[b, 0] = y[start - 1]
            prev[b, 1:n] = y[start:start + n - 1]
            m = min(W + L, T - start)
            feats[b, :m] = f[start:start + m]
            if self.config.song_dropout and not self.fixed and rng.random() < self.config.song_dropout:
                feats[b] = blank_song_features(feats[b], self.config.feature_names)
            weight[b, :n] = 1.0
            # style dropout: the neutral style must also work for every kind of groove
            style[b] = self.styles[i] if rng.random() > 0.2 else 0
        return {"prev_drums": prev, "features": feats, "style": style}, target, weight
