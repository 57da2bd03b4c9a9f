"""The Keras model: a look-ahead song encoder and an LSTM drummer.

Per step ``t`` the drummer sees

* the previous step's drums (hits, velocities and micro-timing of step ``t-1``),
* the song features of step ``t``,
* a *look-ahead* summary of the song features of steps ``t .. t+63``: three dilated
  1-D convolutions (kernel 4, dilations 1, 4, 16) run backwards in time, so the
  drummer can set up fills and crashes before a section change,
* a style embedding (GMD genre, or "none"),

and its LSTM predicts, for each drum class, a hit logit, a velocity (0-1) and a
micro-timing offset (-0.5..0.5 of a step). Training is teacher forced on windows with
every step a target. The look-ahead is computed identically in training (windows carry
63 extra steps of future features) and in the numpy runtime (zeros past the song end).
"""

from __future__ import annotations

import keras
from keras import layers, ops

from ..config import Config

LOOKAHEAD_KERNEL = 4
LOOKAHEAD_DILATIONS = (1, 4, 16)
LOOKAHEAD_UNITS = 32
STYLE_DIM = 8
#: Future steps the look-ahead can see beyond the current one.
LOOKAHEAD_STEPS = (LOOKAHEAD_KERNEL - 1) * sum(LOOKAHEAD_DILATIONS)


@keras.saving.register_keras_serializable(package="neuraldrummer")
class ReverseTime(layers.Layer):
    """Flip the time axis (axis 1)."""

    def call(self, x):
        return ops.flip(x, axis=1)


@keras.saving.register_keras_serializable(package="neuraldrummer")
class TakeFirst(layers.Layer):
    """Keep the first ``steps`` time steps."""

    def __init__(self, steps: int, **kwargs):
        super().__init__(**kwargs)
        self.steps = int(steps)

    def call(self, x):
        return x[:, : self.steps]

    def get_config(self):
        return {**super().get_config(), "steps": self.steps}


@keras.saving.register_keras_serializable(package="neuraldrummer")
class RepeatStyle(layers.Layer):
    """(batch, dim) -> (batch, steps, dim), ``steps`` taken from a reference tensor."""

    def call(self, style, reference):
        steps = ops.shape(reference)[1]
        return ops.repeat(ops.expand_dims(style, 1), steps, axis=1)


@keras.saving.register_keras_serializable(package="neuraldrummer")
class DrumHead(layers.Layer):
    """Dense -> [hit logits, sigmoid velocity, 0.5 * tanh offset] (3C), then, with bins, the
    velocity bin logits (C x velocity_bins, class-major) and the offset bin logits (C x offset_bins)."""

    def __init__(self, num_classes: int, velocity_bins: int = 0, offset_bins: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)
        self.velocity_bins = int(velocity_bins)
        self.offset_bins = int(offset_bins)
        width = self.num_classes * (3 + self.velocity_bins + self.offset_bins)
        self.dense = layers.Dense(width, name="dense")

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, x):
        y = self.dense(x)
        c = self.num_classes
        parts = [y[..., :c], ops.sigmoid(y[..., c:2 * c]), 0.5 * ops.tanh(y[..., 2 * c:3 * c])]
        if self.velocity_bins or self.offset_bins:
            parts.append(y[..., 3 * c:])
        return ops.concatenate(parts, axis=-1)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "velocity_bins": self.velocity_bins,
                "offset_bins": self.offset_bins}


def build_model(config: Config, window_steps: int | None = None) -> keras.Model:
    """Build (not compile) the drummer for windows of ``window_steps`` steps.

    Inputs: ``prev_drums`` (W, 3C), ``features`` (W + LOOKAHEAD_STEPS, F), ``style`` () and, with
    ``config.reference_input``, ``ref_drums`` (W, C): the hits of each step's reference step.
    Output: ``drums`` (W, 3C) = hit logits, velocities, offsets.
    """
    W = window_steps
    C, F = config.num_classes, config.num_features
    prev = keras.Input((W, 3 * C), name="prev_drums")
    feats = keras.Input((None if W is None else W + LOOKAHEAD_STEPS, F), name="features")
    style = keras.Input((), dtype="int32", name="style")
    inputs = {"prev_drums": prev, "features": feats, "style": style}
    drums_in = [prev]
    if config.reference_input:
        ref = keras.Input((W, C), name="ref_drums")
        inputs["ref_drums"] = ref
        drums_in.append(ref)

    h = ReverseTime(name="reverse_in")(feats)
    for k, d in enumerate(LOOKAHEAD_DILATIONS):
        h = layers.Conv1D(LOOKAHEAD_UNITS, LOOKAHEAD_KERNEL, dilation_rate=d, padding="causal",
                          activation="relu", name=f"lookahead_{k}")(h)
    h = ReverseTime(name="reverse_out")(h)
    steps = W if W is not None else None
    look = TakeFirst(steps, name="lookahead") if steps is not None else layers.Identity(name="lookahead")
    here = TakeFirst(steps, name="features_now") if steps is not None else layers.Identity(name="features_now")
    s = layers.Embedding(len(config.styles), STYLE_DIM, name="style_embedding")(style)
    s = RepeatStyle(name="style_repeat")(s, prev)
    x = layers.Concatenate(name="decoder_input")([*drums_in, here(feats), look(h), s])
    if config.input_dropout:
        x = layers.Dropout(config.input_dropout, name="input_dropout")(x)
    y = layers.LSTM(config.decoder_units, return_sequences=True, name="decoder")(x)
    y = layers.Dropout(config.dropout, name="dropout")(y)
    out = DrumHead(C, config.velocity_bins, config.offset_bins, name="drums")(y)
    return keras.Model(inputs, out, name="neuraldrummer")


def velocity_bin(velocity, bins: int):
    """Bin of velocities in 0-1 (``bins`` equal bins); works on numpy arrays and Keras tensors."""
    return ops.clip(ops.floor(velocity * bins), 0, bins - 1)


def offset_bin(offset, bins: int):
    """Bin of offsets in -0.5..0.5 of a step (``bins`` equal bins, the middle one centred on 0)."""
    return ops.clip(ops.floor((offset + 0.5) * bins), 0, bins - 1)


def _bin_nats(hits, logits, target_bin, num_classes: int, bins: int):
    """Per-step cross-entropy of the true bins of the steps' hits (summed over classes with a hit)."""
    shape = (*ops.shape(logits)[:-1], num_classes, bins)
    logits = ops.reshape(logits, shape)
    log_p = logits - ops.logsumexp(logits, axis=-1, keepdims=True)
    onehot = ops.one_hot(ops.cast(target_bin, "int32"), bins)
    return -ops.sum(hits * ops.sum(onehot * log_p, axis=-1), axis=-1)


def make_loss(num_classes: int, velocity_weight: float, offset_weight: float, velocity_bins: int = 0,
              offset_bins: int = 0, bins_weight: float = 0.25):
    """Per-step loss: BCE over classes (summed) + masked velocity and offset MSE, and with bins the
    masked cross-entropy of the velocity and offset bins of the hits."""
    C = num_classes

    def drum_loss(y_true, y_pred):
        hits = y_true[..., :C]
        bce = ops.sum(ops.binary_crossentropy(hits, y_pred[..., :C], from_logits=True), axis=-1)
        vel = ops.sum(hits * ops.square(y_true[..., C:2 * C] - y_pred[..., C:2 * C]), axis=-1)
        off = ops.sum(hits * ops.square(y_true[..., 2 * C:3 * C] - y_pred[..., 2 * C:3 * C]), axis=-1)
        loss = bce + velocity_weight * vel + offset_weight * off
        a = 3 * C
        if velocity_bins:
            b = a + C * velocity_bins
            loss = loss + bins_weight * _bin_nats(hits, y_pred[..., a:b], velocity_bin(y_true[..., C:2 * C],
                                                                                       velocity_bins),
                                                  C, velocity_bins)
            a = b
        if offset_bins:
            loss = loss + bins_weight * _bin_nats(hits, y_pred[..., a:a + C * offset_bins],
                                                  offset_bin(y_true[..., 2 * C:3 * C], offset_bins), C, offset_bins)
        return loss

    return drum_loss


def hit_bce(num_classes: int):
    """Metric: hit cross-entropy in nats per step (summed over classes)."""
    C = num_classes

    def hit_nats(y_true, y_pred):
        return ops.mean(ops.sum(ops.binary_crossentropy(y_true[..., :C], y_pred[..., :C], from_logits=True), axis=-1))

    return hit_nats


def compile_model(model: keras.Model, config: Config) -> keras.Model:
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=1.0),
        loss=make_loss(config.num_classes, config.velocity_loss_weight, config.offset_loss_weight,
                       config.velocity_bins, config.offset_bins, config.bins_loss_weight),
        metrics=[hit_bce(config.num_classes)],
    )
    return model
