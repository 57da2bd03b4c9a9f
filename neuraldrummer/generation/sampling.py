"""Stepping candidate drummers through a bar and sampling their hits.

Per step and drum class, from the model's hit probability ``p``:

* **temperature sampling** (the default): hit with probability ``sigmoid(logit / T)`` from a
  seeded generator (same seed, same drums). A ``cutoff`` given with it is a floor: probabilities
  below it never sound;
* **cut-off** (the original design, deterministic; ``temperature=None``): hit if
  ``p >= cutoff``. Safe and repetitive: rare sounds (crash, toms) seldom pass 0.5.

:class:`GuidedStepper` runs ``K`` candidates side by side, with style guidance;
:func:`sample_bar` draws ``K`` takes of one bar from one state.
"""

from __future__ import annotations

import numpy as np

from ..analysis.drums import DrumArrays
from .runtime import DrummerRuntime, StepOutput, sigmoid
from .settings import DEFAULT_CUTOFF, GenerationSettings


def step_input(d: DrumArrays, t: int) -> np.ndarray:
    return np.concatenate([d.hits[t].astype(np.float32), d.velocity[t], d.offset[t]])


class GuidedStepper:
    """Steps ``K`` candidate drummers at once, with optional style guidance.

    Without a style, one condition: the song. With a style ``s`` (and ``guidance > 0``)
    three conditions run side by side, sharing the drums played so far: the song (A),
    the drums alone in style ``s`` (B) and the drums alone with no style (C). Outputs
    combine as ``A + guidance * (B - C)``: the song decides where and how much, the style
    what a drummer of that style would play (the styles are learned from GMD, whose
    performances have no song around them).
    """

    def __init__(self, runtime: DrummerRuntime, features: np.ndarray, style: int, guidance: float = 1.0) -> None:
        from ..analysis.feature_policy import blank_song_features

        self.runtime = runtime
        self.guidance = guidance if style else 0.0
        statics = [runtime.static_input(features, 0 if self.guidance else style)]
        if self.guidance:
            alone = blank_song_features(features, runtime.config.feature_names)
            statics += [runtime.static_input(alone, style), runtime.static_input(alone, 0)]
        self.statics = statics
        self.conditions = len(statics)
        self.num_steps = features.shape[0]

    def initial_state(self, k: int = 1):
        return self.runtime.initial_state(self.conditions * k)

    def expand(self, state, k: int):
        """The states of ``R`` candidates (conditions * R rows) -> k copies of each (conditions * R * k
        rows, each candidate's copies side by side)."""
        h, c = state
        n = self.conditions
        r = h.shape[0] // n
        return (np.repeat(h.reshape(n, r, 1, -1), k, axis=2).reshape(n * r * k, -1),
                np.repeat(c.reshape(n, r, 1, -1), k, axis=2).reshape(n * r * k, -1))

    def join(self, states: list):
        """The states of several groups of candidates (each conditions * m rows) as one batch."""
        n = self.conditions
        return tuple(np.concatenate([s[i].reshape(n, -1, s[i].shape[-1]) for s in states], axis=1)
                     .reshape(-1, states[0][i].shape[-1]) for i in range(2))

    def split(self, state, parts: int) -> list:
        """The inverse of :meth:`join` for ``parts`` groups of equal size."""
        n = self.conditions
        h, c = (x.reshape(n, parts, -1, x.shape[-1]) for x in state)
        return [(h[:, p].reshape(-1, h.shape[-1]), c[:, p].reshape(-1, c.shape[-1])) for p in range(parts)]

    def select(self, state, k: int, index: int):
        h, c = state
        n = self.conditions
        return (h.reshape(n, k, -1)[:, index], c.reshape(n, k, -1)[:, index])

    def step(self, t: int, prev: np.ndarray, state, reference: np.ndarray | None = None):
        """``prev`` (k, 3C) -> outputs (k, C) combined over conditions, and the new state.

        ``reference`` (k, C): the hits of step ``t``'s reference step, for the song condition
        (the drums-alone conditions have no song and so no reference)."""
        k = prev.shape[0]
        if self.conditions == 1:  # the song alone: its row is broadcast over the candidates
            return self.runtime.step(self.statics[0][t % self.num_steps][None, :], prev, state, reference)
        static = np.concatenate([np.repeat(s[t % self.num_steps][None, :], k, axis=0) for s in self.statics])
        ref = None
        if reference is not None:
            ref = np.concatenate([reference] + [np.zeros_like(reference)] * (self.conditions - 1))
        out, state = self.runtime.step(static, np.tile(prev, (self.conditions, 1)), state, ref)
        g = self.guidance

        def combine(x):
            return None if x is None else x[:k] + g * (x[k:2 * k] - x[2 * k:])

        return StepOutput(combine(out.logits), np.clip(combine(out.velocity), 0.0, 1.0),
                          np.clip(combine(out.offset), -0.5, 0.5), combine(out.velocity_logits),
                          combine(out.offset_logits), combine(out.hidden)), state


def draw_bins(logits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One bin per row of ``logits`` ``(n, bins)``, drawn from its softmax (Gumbel-max)."""
    u = rng.random(logits.shape)
    return np.argmax(logits - np.log(-np.log(np.maximum(u, 1e-12))), axis=-1)


def draw_feel(step: StepOutput, hits: np.ndarray, rng: np.random.Generator,
              runtime: DrummerRuntime | None = None,
              velocity_temperature: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Velocities and offsets ``(k, C)`` of the ``hits``: drawn from the categorical heads where the
    model has them (the bin's centre; the middle offset bin is exactly on the grid; the velocity
    bins at ``velocity_temperature``), else the regression heads' means; zero where there is no hit.
    Bin logits come with ``step`` or are computed for the hits alone by ``runtime`` from
    ``step.hidden``."""
    vel = np.where(hits, np.clip(step.velocity, 0.05, 1.0), 0.0).astype(np.float32)
    off = np.where(hits, np.clip(step.offset, -0.45, 0.45), 0.0).astype(np.float32)
    where = np.nonzero(hits)
    if not where[0].size:
        return vel, off
    vlog = None if step.velocity_logits is None else step.velocity_logits[where]
    olog = None if step.offset_logits is None else step.offset_logits[where]
    if vlog is None and olog is None and step.hidden is not None and runtime is not None:
        vlog, olog = runtime.bin_logits(step.hidden, where[1], rows=where[0])
    if vlog is not None:
        vel[where] = np.clip((draw_bins(vlog / velocity_temperature, rng) + 0.5) / vlog.shape[-1], 0.05, 1.0)
    if olog is not None:
        off[where] = np.clip((draw_bins(olog, rng) + 0.5) / olog.shape[-1] - 0.5, -0.45, 0.45)
    return vel, off


def decode_step(logits: np.ndarray, settings: GenerationSettings, rng: np.random.Generator) -> np.ndarray:
    """Hits (bool) from logits ``(k, C)`` for one step of ``k`` candidates."""
    if settings.temperature is None:
        return sigmoid(logits) >= (DEFAULT_CUTOFF if settings.cutoff is None else settings.cutoff)
    p = sigmoid(logits / settings.temperature)
    hits = rng.random(p.shape) < p
    if settings.cutoff:
        hits &= sigmoid(logits) >= settings.cutoff
    return hits


def sample_bar(stepper, state, prev, K, a, e, P, prompt, settings, rng, refs=None, first_bias=None, replay=None):
    """Sample ``K`` candidate bars for steps ``a..e`` from each of ``R`` states (prompt steps kept):
    ``state`` holds ``R`` candidates (one, or several whole-song drafts), ``prev`` is ``(R, 3C)``, and
    the ``R * K`` takes come out with each state's ``K`` side by side.

    ``replay`` ``(R, e - a, C)`` bool, or ``None``: where a state's row has hits, its last take plays them
    rather than drawing its own (a bar played again); its velocities and timing are drawn for those hits, and
    its likelihood is the model's for them.

    ``refs`` ``(e - a, C)`` or ``(R, e - a, C)``: the reference hits of each step (already played), or ``None``.
    ``first_bias`` ``(C,)``: added to the logits of the bar's first step when drawing it (the likelihood and
    expectation of the takes stay the model's own), or ``None``."""
    C = stepper.runtime.num_classes
    L = e - a
    R = prev.shape[0]
    cand_state = stepper.expand(state, K) if K > 1 else state
    cand_prev = np.repeat(prev, K, axis=0)
    if refs is not None:
        refs = np.repeat(np.asarray(refs).reshape(R, L, C), K, axis=0)
    Kr = K
    K = R * K
    replay = None if replay is None else np.asarray(replay, bool).reshape(R, L, C)
    replay_rows = np.zeros(0, np.int64) if replay is None else np.nonzero(replay.any(axis=(1, 2)))[0] * Kr + Kr - 1
    hits = np.zeros((K, L, C), bool)
    vel = np.zeros((K, L, C), np.float32)
    off = np.zeros((K, L, C), np.float32)
    loglik = np.zeros(K)
    expected = np.zeros(K)
    for j, t in enumerate(range(a, e)):
        ref = None if refs is None else refs[:, j]
        step, cand_state = stepper.step(t, cand_prev, cand_state, ref)
        if t < P:
            h = np.repeat(prompt.hits[t][None], K, axis=0)
            v = np.repeat(prompt.velocity[t][None], K, axis=0)
            o = np.repeat(prompt.offset[t][None], K, axis=0)
        else:
            h = decode_step(step.logits if first_bias is None or j else step.logits + first_bias, settings, rng)
            if replay_rows.size:
                h[replay_rows] = replay[replay_rows // Kr, j]
            v, o = draw_feel(step, h, rng, stepper.runtime, settings.velocity_temperature)
            z = step.logits
            loglik -= (np.maximum(z, 0) - z * h + np.log1p(np.exp(-np.abs(z)))).sum(axis=1)
            expected += sigmoid(z).sum(axis=1)
        hits[:, j], vel[:, j], off[:, j] = h, v, o
        cand_prev = np.concatenate([h.astype(np.float32), v, o], axis=1)
    return hits, vel, off, loglik, cand_state, cand_prev, expected
