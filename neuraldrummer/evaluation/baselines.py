"""Baselines: the original (seed) design retrained with our pipeline, and a rule-based drummer.

**seed_design** is the student system this project grew from: a window of 8 eighth-note
steps -> the next step only, three 512-unit LSTM layers, a dense 256/128 head with
dropout and batch normalisation, sigmoid outputs and binary cross-entropy, with the
per-step intensity as its only song feature and six drum classes (kick, snare, closed
hat, open hat, crash, ride). Its input at window position ``i`` is the drums of step
``t-8+i`` and the intensity of step ``t-7+i`` (so it hears the step it predicts).
:func:`seed_generate_with_predict` reproduces its generation loop (``model.predict`` on
a re-encoded window every step) for the speed comparison; :class:`SeedRuntime` is a
numpy version of the same network, and :func:`seed_generate_batch` generates with it for evaluation.

**rule_based**: a basic rock beat, with a crash on each section's first downbeat.
"""

from __future__ import annotations

import numpy as np

from ..analysis.drum_map import CLOSED_HAT, CRASH, KICK, SEED_DESIGN_CLASSES, SNARE
from ..analysis.drums import DrumArrays
from ..analysis.features import FEATURE_NAMES

SEED_WINDOW = 8
SEED_UNITS = 512
SEED_CLASSES = list(SEED_DESIGN_CLASSES)
SEED_INPUT = len(SEED_CLASSES) + 1  # drums + intensity


def build_seed_model(units: int = SEED_UNITS):
    """The original design's network (Keras)."""
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input((SEED_WINDOW, SEED_INPUT)),
        layers.LSTM(units, return_sequences=True, name="lstm_0"),
        layers.LSTM(units, return_sequences=True, name="lstm_1"),
        layers.LSTM(units, name="lstm_2"),
        layers.Dense(256, activation="relu", name="dense_0"),
        layers.BatchNormalization(name="bn_0"),
        layers.Dropout(0.3),
        layers.Dense(128, activation="relu", name="dense_1"),
        layers.BatchNormalization(name="bn_1"),
        layers.Dropout(0.3),
        layers.Dense(len(SEED_CLASSES), activation="sigmoid", name="out"),
    ], name="seed_design")
    return model


def seed_windows(hits: np.ndarray, intensity: np.ndarray) -> np.ndarray:
    """All ``(T, 8, 7)`` input windows of a song (zeros before the start)."""
    T = hits.shape[0]
    drums = np.concatenate([np.zeros((SEED_WINDOW, len(SEED_CLASSES)), np.float32),
                            hits[:, SEED_CLASSES].astype(np.float32)])
    inten = np.concatenate([np.zeros(SEED_WINDOW - 1, np.float32), intensity.astype(np.float32)])
    idx = np.arange(T)[:, None] + np.arange(SEED_WINDOW)[None, :]
    return np.concatenate([drums[idx], inten[idx][..., None]], axis=2)


def seed_generate_with_predict(model, intensity: np.ndarray, steps: int, cutoff: float = 0.5) -> np.ndarray:
    """The original generation loop: ``model.predict`` on a re-encoded window at every step."""
    hits = np.zeros((steps, len(SEED_CLASSES)), np.float32)
    for t in range(steps):
        window = np.zeros((SEED_WINDOW, SEED_INPUT), np.float32)
        for i in range(SEED_WINDOW):
            s = t - SEED_WINDOW + i
            if s >= 0:
                window[i, :-1] = hits[s]
            if 0 <= s + 1 < len(intensity):
                window[i, -1] = intensity[s + 1]
        p = model.predict(window[None], verbose=0)[0]
        hits[t] = p >= cutoff
    return hits


class SeedRuntime:
    """Numpy inference for the seed design (weights from :func:`export_seed_weights`)."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        # Keras prefixes a Sequential model's weight paths with the model's name
        w = {k.split("/", 1)[1] if k.startswith("seed_design/") else k: np.asarray(v, np.float32)
             for k, v in weights.items()}
        self.lstm = [(w[f"lstm_{k}/lstm_cell/kernel"], w[f"lstm_{k}/lstm_cell/recurrent_kernel"],
                      w[f"lstm_{k}/lstm_cell/bias"]) for k in range(3)]
        self.dense = []
        for name, bn in (("dense_0", "bn_0"), ("dense_1", "bn_1")):
            kernel, bias = w[f"{name}/kernel"], w[f"{name}/bias"]
            gamma, beta = w[f"{bn}/gamma"], w[f"{bn}/beta"]
            mean, var = w[f"{bn}/moving_mean"], w[f"{bn}/moving_variance"]
            scale = gamma / np.sqrt(var + 1e-3)
            self.dense.append((kernel, bias, scale, beta - mean * scale))
        self.out = (w["out/kernel"], w["out/bias"])

    @classmethod
    def load(cls, path) -> "SeedRuntime":
        with np.load(path) as data:
            return cls({k: data[k] for k in data.files})

    def logits(self, windows: np.ndarray) -> np.ndarray:
        """``(B, 8, 7)`` windows -> ``(B, 6)`` logits."""
        x = windows.astype(np.float32)
        B = x.shape[0]
        for kernel, rec, bias in self.lstm:
            U = rec.shape[0]
            h = np.zeros((B, U), np.float32)
            c = np.zeros((B, U), np.float32)
            proj = x @ kernel + bias
            outs = []
            for t in range(x.shape[1]):
                z = proj[:, t] + h @ rec
                i, f = _sig(z[:, :U]), _sig(z[:, U:2 * U])
                g, o = np.tanh(z[:, 2 * U:3 * U]), _sig(z[:, 3 * U:])
                c = f * c + i * g
                h = o * np.tanh(c)
                outs.append(h)
            x = np.stack(outs, axis=1)
        y = x[:, -1]
        for kernel, bias, scale, shift in self.dense:
            y = np.maximum(y @ kernel + bias, 0.0) * scale + shift
        p = y @ self.out[0] + self.out[1]
        return p  # pre-sigmoid

    def teacher_forced_logits(self, hits: np.ndarray, intensity: np.ndarray, batch: int = 512) -> np.ndarray:
        w = seed_windows(hits, intensity)
        return np.concatenate([self.logits(w[i:i + batch]) for i in range(0, len(w), batch)])


def seed_generate_batch(runtime: "SeedRuntime", intensities: list[np.ndarray], cutoff: float = 0.5,
                        start: DrumArrays | None = None) -> list[DrumArrays]:
    """Free generation for many songs in lockstep (one batched step for all unfinished songs).

    Like the original notebook, the window starts filled with a start pattern (by default the
    basic rock beat, eighth-note grid); pass ``DrumArrays.empty(0)`` to start from silence."""
    n = len(intensities)
    lengths = np.array([len(x) for x in intensities])
    C = len(SEED_CLASSES)
    hits = [np.zeros((T, C), np.float32) for T in lengths]
    history = np.zeros((n, SEED_WINDOW, C), np.float32)
    if start is None:
        from ..generation.patterns import start_pattern

        start = start_pattern("basic", 2)
    if start.num_steps >= SEED_WINDOW:
        history[:] = start.hits[-SEED_WINDOW:, SEED_CLASSES].astype(np.float32)
    padded = [np.concatenate([np.zeros(SEED_WINDOW, np.float32), x.astype(np.float32),
                              np.zeros(SEED_WINDOW, np.float32)]) for x in intensities]
    for t in range(int(lengths.max(initial=0))):
        live = np.nonzero(lengths > t)[0]
        inten = np.stack([padded[i][t + 1:t + 1 + SEED_WINDOW] for i in live])
        windows = np.concatenate([history[live], inten[..., None]], axis=2)
        step = _sig(runtime.logits(windows)) >= cutoff
        for k, i in enumerate(live):
            hits[i][t] = step[k]
        history[live] = np.concatenate([history[live][:, 1:], step[:, None, :].astype(np.float32)], axis=1)
    out = []
    for h in hits:
        d = DrumArrays.empty(h.shape[0])
        d.hits[:, SEED_CLASSES] = h > 0.5
        d.velocity[d.hits] = 1.0
        out.append(d)
    return out


def _sig(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def export_seed_weights(model, path, dtype=np.float16) -> None:
    import io

    from ..io.midi import atomic_write_bytes

    buffer = io.BytesIO()
    np.savez(buffer, **{v.path: np.asarray(v.numpy(), dtype) for v in model.weights})
    atomic_write_bytes(path, buffer.getvalue())


def rule_based(features: np.ndarray, steps_per_beat: int, names: tuple[str, ...] = FEATURE_NAMES) -> DrumArrays:
    """A basic rock beat in every bar where the song plays; a crash on each section start."""
    from .metrics import bar_index, section_starts

    T = features.shape[0]
    bars = bar_index(features, names)
    starts = np.concatenate([[0], np.nonzero(np.diff(bars))[0] + 1])
    in_bar = np.arange(T) - starts[bars]
    active_bar = np.bincount(bars, weights=features[:, names.index("active")]) > 0
    play = active_bar[bars]
    d = DrumArrays.empty(T)
    spb = steps_per_beat
    eighth = max(1, spb // 2)
    d.hits[:, CLOSED_HAT] = play & (in_bar % eighth == 0)
    d.hits[:, KICK] = play & (in_bar % (2 * spb) == 0)
    d.hits[:, SNARE] = play & (in_bar % (2 * spb) == spb)
    for s in section_starts(features, names):
        d.hits[starts[s], CRASH] = True
        d.hits[starts[s], CLOSED_HAT] = False
    d.velocity[d.hits] = 0.8
    return d
