"""The trained drummer as a small numpy program (no TensorFlow at run time).

:class:`DrummerRuntime` holds the weights exported by training (``weights.npz``) and
steps the LSTM one grid step at a time, carrying its state, for a batch of ``B``
candidate drummers at once. Everything that does not depend on the drums played so
far (look-ahead convolutions, song features, style) is projected through the LSTM's
input kernel for the whole song in one matrix product, so a step costs one small
matrix product for the previous drums and one for the recurrent state.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import CONFIG_FILE, CONFIG_KEY, STYLE_FEEL_FILE, WEIGHTS_FILE, Config
from ..analysis.drum_map import NUM_CLASSES, NUM_NINE, expand_from_nine, fold_steps_to_nine
from ..errors import ModelNotFoundError

LOOKAHEAD_KERNEL = 4
LOOKAHEAD_DILATIONS = (1, 4, 16)


@contextmanager
def one_blas_thread():
    """Run numpy's BLAS on one thread inside the block.

    The runtime's matrix products are small (a few hundred by a few hundred): more threads gain
    nothing, and on a machine busy with other work they wait on each other, which made drumming a
    song 10-20 times slower. Uses threadpoolctl, so it works after numpy is loaded (notebook, page,
    batch workers); the command line also sets ``OPENBLAS_NUM_THREADS=1`` before loading numpy."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # stable, no overflow warnings


def _all_bins(hidden: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``(n, C, bins)`` bin logits (without the bias) of every class for LSTM outputs ``hidden`` ``(n, U)``
    under a head ``kernel`` ``(U, C, bins)``: one matrix product (teacher forcing wants every class's)."""
    U, C, K = kernel.shape
    return (hidden @ kernel.reshape(U, C * K)).reshape(-1, C, K)


@dataclass
class StepOutput:
    """Per-class outputs for a batch: ``(B, C)`` arrays, and for a model with categorical velocity
    and timing heads their bin logits, ``(B, C, bins)`` (``None`` otherwise)."""

    logits: np.ndarray
    velocity: np.ndarray
    offset: np.ndarray
    velocity_logits: np.ndarray | None = None
    offset_logits: np.ndarray | None = None
    #: ``(B, U)`` LSTM output, from which :meth:`DrummerRuntime.bin_logits` computes the bin logits
    #: of just the hits played (the head is linear, so style guidance combines these too)
    hidden: np.ndarray | None = None


class DrummerRuntime:
    """Numpy inference for a model directory (``config.json`` + ``weights.npz``)."""

    def __init__(self, config: Config, weights: dict[str, np.ndarray]) -> None:
        self.config = config
        w = {k: np.asarray(v, np.float32) for k, v in weights.items() if k != CONFIG_KEY}
        self.conv = [(w[f"lookahead_{k}/kernel"], w[f"lookahead_{k}/bias"]) for k in range(len(LOOKAHEAD_DILATIONS))]
        self.style_table = w["style_embedding/embeddings"]
        kernel = w["decoder/lstm_cell/kernel"]
        C = config.num_classes
        C3 = 3 * C
        R = C if config.reference_input else 0
        self.kernel_drums = np.ascontiguousarray(kernel[:C3])
        self.kernel_reference = np.ascontiguousarray(kernel[C3:C3 + R]) if R else None
        self.kernel_static = np.ascontiguousarray(kernel[C3 + R:])
        #: a nine-class model (the first, eighth-note design) runs on full-kit arrays: its
        #: inputs are folded to nine classes and its outputs expanded (extra classes never play)
        self.nine = C == NUM_NINE
        self.recurrent = np.ascontiguousarray(w["decoder/lstm_cell/recurrent_kernel"])
        self.bias = w["decoder/lstm_cell/bias"]
        head_kernel, head_bias = w["drums/dense/kernel"], w["drums/dense/bias"]
        self.head_kernel = np.ascontiguousarray(head_kernel[:, :C3])
        self.head_bias = head_bias[:C3]
        self.units = self.recurrent.shape[0]
        kv, ko = config.velocity_bins, config.offset_bins
        #: the categorical heads' kernels ``(U, C, bins)`` and biases ``(C, bins)``
        self.velocity_head = (np.ascontiguousarray(head_kernel[:, C3:C3 + C * kv].reshape(-1, C, kv)),
                              head_bias[C3:C3 + C * kv].reshape(C, kv)) if kv else None
        self.offset_head = (np.ascontiguousarray(head_kernel[:, C3 + C * kv:].reshape(-1, C, ko)),
                            head_bias[C3 + C * kv:].reshape(C, ko)) if ko else None
        #: both heads' kernels a class, side by side ``(C, U, kv + ko)``, their biases ``(C, kv + ko)`` and
        #: ``kv``, for :meth:`bin_logits`
        heads = [h for h in (self.velocity_head, self.offset_head) if h is not None]
        self.bins_by_class = (np.ascontiguousarray(np.concatenate([h[0] for h in heads], axis=2).transpose(1, 0, 2)),
                              np.concatenate([h[1] for h in heads], axis=1), kv) if heads else None

    #: per-style feel measured on the training data (style_feel.json), if the model has one
    style_feel: dict = {}

    def style_swing(self, style: str) -> float:
        """Off-beat delay (fraction of a step) typical of ``style`` in the training data, 0 if unknown."""
        if style == "none":
            return 0.0
        return float(self.style_feel.get(style, {}).get("swing", 0.0))

    # --- loading ---------------------------------------------------------------------
    @classmethod
    def load(cls, model_dir: str | Path) -> "DrummerRuntime":
        model_dir = Path(model_dir)
        cfg_path, w_path = model_dir / CONFIG_FILE, model_dir / WEIGHTS_FILE
        if not model_dir.is_dir():
            raise ModelNotFoundError("model directory not found", model_dir)
        for p in (cfg_path, w_path):
            if not p.is_file():
                raise ModelNotFoundError(f"model directory has no {p.name} (train one with 'neuraldrummer train')", model_dir)
        try:
            with np.load(w_path) as data:
                weights = {k: data[k] for k in data.files}
        except (OSError, ValueError) as exc:
            raise ModelNotFoundError(f"cannot read {w_path.name}: {exc}", model_dir) from exc
        # the config saved inside the weights (a model being retrained may have a newer config.json)
        inner = weights.pop(CONFIG_KEY, None)
        config = Config.from_dict(json.loads(str(inner))) if inner is not None else Config.load(cfg_path)
        try:
            runtime = cls(config, weights)
        except KeyError as exc:
            raise ModelNotFoundError(f"{w_path.name} lacks weight {exc}", model_dir) from exc
        feel = model_dir / STYLE_FEEL_FILE
        if feel.is_file():
            runtime.style_feel = json.loads(feel.read_text())
        return runtime

    # --- song-level precomputation -----------------------------------------------------
    def prepare_features(self, features: np.ndarray) -> np.ndarray:
        """Apply the config's feature policy (the no-song ablation blanks song features)."""
        features = np.asarray(features, np.float32)
        if self.config.blank_song_features:
            from ..analysis.feature_policy import blank_song_features

            features = blank_song_features(features, self.config.feature_names)
        return features

    def lookahead(self, features: np.ndarray) -> np.ndarray:
        """``(T, F)`` features -> ``(T, 32)`` look-ahead summaries.

        The input is padded with as many zero steps as the look-ahead sees, exactly as a
        training window at the song's end is, and every layer runs over that length.
        """
        T = features.shape[0]
        reach = sum((kernel.shape[0] - 1) * d for (kernel, _), d in zip(self.conv, LOOKAHEAD_DILATIONS))
        h = np.concatenate([features, np.zeros((reach, features.shape[1]), np.float32)])
        for (kernel, bias), d in zip(self.conv, LOOKAHEAD_DILATIONS):
            n, k = h.shape[0], kernel.shape[0]
            padded = np.concatenate([h, np.zeros(((k - 1) * d, h.shape[1]), np.float32)])
            out = np.repeat(bias[None, :], n, axis=0)
            for j in range(k):
                shift = (k - 1 - j) * d
                out += padded[shift:shift + n] @ kernel[j]
            h = np.maximum(out, 0.0)
        return h[:T]

    def static_input(self, features: np.ndarray, style: int = 0) -> np.ndarray:
        """``(T, 4U)``: the part of the LSTM input projection that the drums do not change."""
        features = self.prepare_features(features)
        look = self.lookahead(features)
        style_vec = np.repeat(self.style_table[int(style)][None, :], features.shape[0], axis=0)
        x = np.concatenate([features, look, style_vec], axis=1)
        return x @ self.kernel_static + self.bias

    # --- stepping ------------------------------------------------------------------------
    def initial_state(self, batch: int = 1) -> tuple[np.ndarray, np.ndarray]:
        z = np.zeros((batch, self.units), np.float32)
        return z, z.copy()

    @property
    def num_classes(self) -> int:
        """Classes of the arrays the runtime reads and writes: always the full kit."""
        return NUM_CLASSES

    def fold_input(self, prev_drums: np.ndarray) -> np.ndarray:
        """Full-kit ``(B, 3 * 18)`` drums -> what the model reads (nine classes for a nine-class model)."""
        return fold_steps_to_nine(prev_drums) if self.nine else prev_drums

    def bin_logits(self, hidden: np.ndarray, classes: np.ndarray,
                   rows: np.ndarray | None = None) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Velocity and offset bin logits ``(n, bins)`` of ``n`` hits of full-kit ``classes`` ``(n,)``
        (``None`` for a model without that head), from the LSTM outputs ``hidden``: ``(n, U)``, one row a hit,
        or ``(B, U)`` with ``rows`` ``(n,)`` the row of each hit. One matrix product a class played: gathering
        each hit's ``(U, bins)`` slice of the kernels and contracting it with einsum took as long as the
        LSTM step (64 hits of five classes in 32 rows: 0.31 ms against 0.07 ms, a scratch timing)."""
        if self.bins_by_class is None:  # regression heads only: no bins to draw
            return None, None
        rows = np.arange(len(classes)) if rows is None else np.asarray(rows)
        classes = np.asarray(classes)
        kernel, bias, kv = self.bins_by_class
        both = np.empty((classes.size, kernel.shape[2]), np.float32)
        for c in np.unique(classes):
            hit = classes == c
            both[hit] = hidden[rows[hit]] @ kernel[c]
        both += bias[classes]
        return (both[:, :kv] if self.velocity_head is not None else None,
                both[:, kv:] if self.offset_head is not None else None)

    def step(self, static_t: np.ndarray, prev_drums: np.ndarray,
             state: tuple[np.ndarray, np.ndarray],
             reference: np.ndarray | None = None, bins: bool = False) -> tuple[StepOutput, tuple[np.ndarray, np.ndarray]]:
        """One step for a batch.

        Parameters
        ----------
        static_t
            ``(4U,)`` or ``(B, 4U)``: row ``t`` of :meth:`static_input`.
        prev_drums
            ``(B, 3C)``: hits, velocities, offsets of the previous step (full kit).
        state
            LSTM ``(h, c)``, each ``(B, U)``.
        reference
            ``(B, C)``: the hits of the reference step (the same position of the bar whose music
            this bar repeats), zeros if none. Ignored by models without a reference input.

        bins
            Also compute every class's bin logits (``velocity_logits``, ``offset_logits``); otherwise
            the output carries ``hidden``, for :meth:`bin_logits` of the hits played.

        Returns full-kit ``(B, 18)`` outputs.
        """
        h, c = state
        z = static_t + self.fold_input(prev_drums) @ self.kernel_drums + h @ self.recurrent
        if self.kernel_reference is not None and reference is not None:
            z = z + reference @ self.kernel_reference
        U = self.units
        gates = sigmoid(z)  # input, forget and output gates in one call (the cell's slice is unused)
        g = np.tanh(z[:, 2 * U:3 * U])
        c = gates[:, U:2 * U] * c + gates[:, :U] * g
        h = gates[:, 3 * U:] * np.tanh(c)
        y = h @ self.head_kernel + self.head_bias
        C = self.config.num_classes
        out = StepOutput(y[:, :C], sigmoid(y[:, C:2 * C]), 0.5 * np.tanh(y[:, 2 * C:3 * C]))
        if self.velocity_head is not None or self.offset_head is not None:
            out.hidden = h
            if bins:
                for name, head in (("velocity_logits", self.velocity_head), ("offset_logits", self.offset_head)):
                    if head is not None:
                        setattr(out, name, _all_bins(h, head[0]) + head[1])
        if self.nine:
            out = StepOutput(expand_from_nine(out.logits, -30.0), expand_from_nine(out.velocity),
                             expand_from_nine(out.offset))
        return out, (h, c)

    def teacher_forced(self, features: np.ndarray, drums: np.ndarray, style: int = 0,
                       reference: np.ndarray | None = None) -> StepOutput:
        """Outputs for every step given the real previous drums (and the real reference drums).

        ``drums`` is ``(T, 3 * 18)`` (hits, velocities, offsets); ``reference`` ``(T,)`` steps or
        ``None``; returns ``(T, 18)`` arrays.
        """
        static = self.static_input(features, style)
        T = static.shape[0]
        C = NUM_CLASSES
        prev = np.zeros((1, 3 * C), np.float32)
        state = self.initial_state(1)
        logits = np.zeros((T, C), np.float32)
        vel = np.zeros((T, C), np.float32)
        off = np.zeros((T, C), np.float32)
        refs = self.reference_drums(drums[:, :C], reference)
        kv, ko = self.config.velocity_bins, self.config.offset_bins
        vlog = np.zeros((T, C, kv), np.float32) if kv else None
        olog = np.zeros((T, C, ko), np.float32) if ko else None
        for t in range(T):
            out, state = self.step(static[t], prev, state, refs[t:t + 1], bins=True)
            logits[t], vel[t], off[t] = out.logits[0], out.velocity[0], out.offset[0]
            if kv:
                vlog[t] = out.velocity_logits[0]
            if ko:
                olog[t] = out.offset_logits[0]
            prev = drums[t][None, :].astype(np.float32)
        return StepOutput(logits, vel, off, vlog, olog)

    def reference_drums(self, hits: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
        """``(T, C)`` hits of each step's reference step (zeros where none, or when the song is blanked)."""
        hits = np.asarray(hits, np.float32)
        if reference is None or self.config.blank_song_features:
            return np.zeros_like(hits)
        ref = np.asarray(reference)
        return np.where((ref >= 0)[:, None], hits[np.maximum(ref, 0)], 0.0).astype(np.float32)
