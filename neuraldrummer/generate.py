"""Drumming a song with the numpy runtime: start patterns, decoding, the whole job.

Decoding, per step and drum class, from the model's hit probability ``p``:

* **temperature sampling** (the default, ``temperature=1``): hit with probability
  ``sigmoid(logit / T)`` from a seeded generator (same seed, same drums). A ``cutoff``
  given with it is a floor: probabilities below it never sound. On the validation songs
  sampling at T=1 matched the human drums' statistics best (crashes, open hats and
  toms appear; see README "Decoding");
* **cut-off** (the original design, deterministic; ``temperature=None``): hit if
  ``p >= cutoff``. Safe and repetitive: rare sounds (crash, toms) seldom pass 0.5.

Start patterns prime the drummer before step 0: the pattern is fed through the LSTM
(teacher forced, over the song's first bars) so the drummer starts "in" that groove;
the pattern itself is not written. ``blank`` starts from silence.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import Config
from .drum_map import CLOSED_HAT, KICK, NUM_CLASSES, SNARE
from .drums import DrumArrays
from .errors import ConfigError, NoDrumsError
from .runtime import DrummerRuntime, StepOutput, sigmoid

logger = logging.getLogger(__name__)

START_PATTERNS = ("auto", "basic", "count-in", "blank", "random")
DEFAULT_CUTOFF = 0.5
DEFAULT_TEMPERATURE = 1.05


#: Two-bar priming grooves per style, on a 16th-note grid of one 4/4 bar: class -> 16
#: characters, digits 1-9 are velocity levels (9 = loudest). Written out here, not copied
#: from any data set. Styles without an entry use the basic rock beat.
STYLE_GROOVES: dict[str, dict[str, str]] = {
    "rock": {"kick": "9-------7-7-----", "snare": "----9-------9---", "closed_hat": "7-5-7-5-7-5-7-5-"},
    "jazz": {"ride": "8---6--48---6--4", "closed_hat": "----7-------7---", "kick": "3-------3-------",
             "snare": "-------------2--"},
    "funk": {"kick": "9-----7---7---5-", "snare": "----9--3-3--9--3", "closed_hat": "6464646464646464"},
    "hiphop": {"kick": "9------7--7-----", "snare": "----9-------9---", "closed_hat": "6-5-6-5-6-5-6-5-"},
    "latin": {"kick": "7--6----7--6----", "snare": "5--5--5---5--5--", "closed_hat": "5-5-5-5-5-5-5-5-"},
    "reggae": {"kick": "--------9-------", "snare": "--------9-------", "closed_hat": "--5---5---5---5-"},
    "punk": {"kick": "9-7-9-7-9-7-9-7-", "snare": "----9-------9---", "crash": "8-------8-------"},
    "soul": {"kick": "8-----6-8-------", "snare": "----8-------8--3", "closed_hat": "6-4-6-4-6-4-6-4-"},
}


def style_groove(style: str, steps_per_beat: int) -> DrumArrays | None:
    """The priming groove of a style (two bars), or ``None`` if the style has none."""
    from .drum_map import CLASS_NAMES

    spec = STYLE_GROOVES.get(style)
    if spec is None:
        return None
    bar = 4 * steps_per_beat
    d = DrumArrays.empty(2 * bar)
    for name, pattern in spec.items():
        c = CLASS_NAMES.index(name)
        for i, ch in enumerate(pattern):
            if ch == "-":
                continue
            step = i * steps_per_beat // 4
            if i * steps_per_beat % 4:  # a 16th position the grid cannot hold (eighth grid)
                continue
            for b in range(2):
                d.hits[b * bar + step, c] = True
                d.velocity[b * bar + step, c] = int(ch) / 9
    return d


def start_pattern(name: str | Path, steps_per_beat: int, seed: int = 0, style: str = "none") -> DrumArrays:
    """A priming pattern: ``basic`` rock beat (or the style's groove when a style is given),
    ``count-in``, ``blank``, ``random``, or a drum MIDI loop."""
    bar = 4 * steps_per_beat
    spb = steps_per_beat
    if str(name) == "basic" and style != "none":
        groove = style_groove(style, steps_per_beat)
        if groove is not None:
            return groove
    if str(name) == "blank":
        return DrumArrays.empty(0)
    if str(name) == "basic":
        d = DrumArrays.empty(2 * bar)
        eighth = max(1, spb // 2)
        d.hits[::eighth, CLOSED_HAT] = True
        d.hits[::2 * spb, KICK] = True
        d.hits[spb::2 * spb, SNARE] = True
        d.velocity[d.hits] = 0.7
        d.velocity[::bar][d.hits[::bar]] = 0.9
        return d
    if str(name) == "count-in":
        d = DrumArrays.empty(bar)
        d.hits[::spb, CLOSED_HAT] = True
        d.velocity[d.hits] = 0.6
        return d
    if str(name) == "random":
        rng = np.random.default_rng(seed)
        density = np.zeros(NUM_CLASSES)
        density[:9] = [0.25, 0.15, 0.5, 0.05, 0.03, 0.03, 0.03, 0.02, 0.05]
        d = DrumArrays.empty(2 * bar)
        d.hits[:] = rng.random((2 * bar, NUM_CLASSES)) < density
        d.velocity[d.hits] = rng.uniform(0.4, 0.9, size=int(d.hits.sum()))
        return d
    path = Path(name)
    if path.suffix.lower() not in (".mid", ".midi") and not path.exists():
        raise ConfigError(f"unknown start pattern {name!r}; use one of {START_PATTERNS} or a drum MIDI loop")
    from .song import encode_song

    loop = encode_song(path, steps_per_beat)
    if not loop.has_drums:
        raise NoDrumsError("start loop has no drum notes", path)
    # trim trailing empty bars
    last = int(np.nonzero(loop.drums.hits.any(axis=1))[0].max())
    end = int(loop.grid.bar_starts[loop.grid.bar[last]] + loop.grid.bar_length[last])
    return loop.drums[:end]


@dataclass
class GenerationSettings:
    """How to decode. ``temperature=None`` means deterministic cut-off decoding
    (at ``cutoff``, default 0.5); otherwise sampling, with ``cutoff`` as an optional floor."""

    cutoff: float | None = None
    temperature: float | None = DEFAULT_TEMPERATURE
    seed: int = 0
    #: "auto": "blank" for models that know the song's form (the drummer finds its own groove),
    #: "basic" for the first design's model
    start: str | Path = "auto"
    style: str = "none"
    quantized: bool = False
    #: how strongly a style pulls (0 = only the song decides)
    style_guidance: float = 2.0
    #: controls: "low" | "medium" | "high" | None (the model's own choice)
    density: str | None = None
    cymbals: str | None = None
    syncopation: str | None = None
    repetition: str | None = None
    #: extra delay of off-beat onsets in fractions of a step (None: the style's own swing,
    #: measured on GMD and saved with the model as style_feel.json; 0 for no style)
    swing: float | None = None
    #: with a drum loop as ``start``: how alike each bar stays to the loop (Jaccard target;
    #: None = only prime with the loop)
    loop_similarity: float | None = 0.7
    #: if a bar where the song plays comes out empty, draw up to this many more candidate bars
    #: and keep the first non-empty one (sampling can otherwise fall silent for good)
    refill_silent_bars: int = 8
    #: candidate bars per bar when steering, and how much closeness to the targets counts
    candidates: int = 16
    control_strength: float = 10.0
    #: how strongly each bar is chosen for following the song (density that follows the song's,
    #: fills into section starts), among ``follow_candidates`` sampled bars; 0 = off
    follow: float = 1.0
    follow_candidates: int = 8
    #: takes of a whole range drawn when re-rolling bars (the one leading best into the next bar is kept)
    redo_candidates: int = 8
    #: "song": the drums' micro-timing is no looser than the song's own pitched parts (on the
    #: grid under a sequenced song, human under one played by hand); "model": as the model plays
    feel: str = "song"

    def active_controls(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in CONTROL_TARGETS if getattr(self, name)}

    def validate(self, config: Config) -> None:
        if self.cutoff is not None and not 0.0 <= self.cutoff < 1.0:
            raise ConfigError(f"cutoff must be in [0, 1), got {self.cutoff}")
        if self.temperature is not None and self.temperature <= 0:
            raise ConfigError(f"temperature must be positive, got {self.temperature}")
        if self.style not in config.styles:
            raise ConfigError(f"unknown style {self.style!r}; known: {', '.join(config.styles)}")
        for name, level in self.active_controls().items():
            if level not in CONTROL_LEVELS:
                raise ConfigError(f"{name} must be one of {CONTROL_LEVELS}, got {level!r}")
        if self.candidates < 1:
            raise ConfigError("candidates must be at least 1")
        if self.feel not in FEELS:
            raise ConfigError(f"feel must be one of {FEELS}, got {self.feel!r}")


def _as_step_input(d: DrumArrays, t: int) -> np.ndarray:
    return np.concatenate([d.hits[t].astype(np.float32), d.velocity[t], d.offset[t]])


#: Control targets per quarter-note beat (density, cymbals) or as shares (syncopation,
#: repetition = Jaccard similarity with the previous bar), for low / medium / high.
CONTROL_TARGETS: dict[str, dict[str, float]] = {
    "density": {"low": 1.5, "medium": 2.75, "high": 4.25},
    "cymbals": {"low": 0.4, "medium": 1.25, "high": 2.25},
    "syncopation": {"low": 0.1, "medium": 0.35, "high": 0.55},
    "repetition": {"low": 0.25, "medium": 0.6, "high": 0.95},
}
CONTROL_LEVELS = ("low", "medium", "high")
FEELS = ("song", "model")


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
        from .dataset_features import blank_song_features

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
        """One candidate's state (conditions rows) -> k copies (conditions * k rows)."""
        h, c = state
        n = self.conditions
        return (np.repeat(h.reshape(n, 1, -1), k, axis=1).reshape(n * k, -1),
                np.repeat(c.reshape(n, 1, -1), k, axis=1).reshape(n * k, -1))

    def select(self, state, k: int, index: int):
        h, c = state
        n = self.conditions
        return (h.reshape(n, k, -1)[:, index], c.reshape(n, k, -1)[:, index])

    def step(self, t: int, prev: np.ndarray, state, reference: np.ndarray | None = None):
        """``prev`` (k, 3C) -> outputs (k, C) combined over conditions, and the new state.

        ``reference`` (k, C): the hits of step ``t``'s reference step, for the song condition
        (the drums-alone conditions have no song and so no reference)."""
        k = prev.shape[0]
        static = np.concatenate([np.repeat(s[t % self.num_steps][None, :], k, axis=0) for s in self.statics])
        ref = None
        if reference is not None:
            ref = np.concatenate([reference] + [np.zeros_like(reference)] * (self.conditions - 1))
        out, state = self.runtime.step(static, np.tile(prev, (self.conditions, 1)), state, ref)
        if self.conditions == 1:
            return out, state
        g = self.guidance
        parts = [(x[:k], x[k:2 * k], x[2 * k:]) for x in (out.logits, out.velocity, out.offset)]
        combined = [a + g * (b - c) for a, b, c in parts]
        return StepOutput(combined[0], np.clip(combined[1], 0.0, 1.0), np.clip(combined[2], -0.5, 0.5)), state


def score_candidates(hits: np.ndarray, loglik: np.ndarray, controls: dict[str, str],
                     previous_bar: np.ndarray | None, steps_per_beat: int, strength: float,
                     loop_bar: np.ndarray | None = None, loop_similarity: float | None = None) -> np.ndarray:
    """Score of each candidate bar ``hits`` (k, L, C): log-likelihood per step under the model,
    minus ``strength`` times the distance of each controlled measure to its target (in units
    of half the low-high range), minus the distance to the loop's bar when following a loop."""
    k, L, _ = hits.shape
    measures = bar_measures(hits, previous_bar, steps_per_beat, np.arange(L))
    score = loglik / max(L, 1)
    for name, level in controls.items():
        if name not in measures:
            continue
        targets = CONTROL_TARGETS[name]
        spread = (targets["high"] - targets["low"]) / 2
        score = score - strength * np.abs(measures[name] - targets[level]) / spread
    if loop_bar is not None and loop_similarity is not None and loop_bar.shape[0] == L:
        similarity = bar_measures(hits, loop_bar, steps_per_beat, np.arange(L))["repetition"]
        score = score - strength * np.abs(similarity - loop_similarity) / 0.35
    return score


def _loop_bars(pattern: DrumArrays, steps_per_beat: int) -> list[np.ndarray]:
    """A loop's hits cut into 4/4 bars (the loop files' usual meter)."""
    bar = 4 * steps_per_beat
    return [pattern.hits[i:i + bar] for i in range(0, pattern.num_steps - bar + 1, bar)]


def decode_step(logits: np.ndarray, settings: GenerationSettings, rng: np.random.Generator) -> np.ndarray:
    """Hits (bool) from logits ``(k, C)`` for one step of ``k`` candidates."""
    if settings.temperature is None:
        return sigmoid(logits) >= (DEFAULT_CUTOFF if settings.cutoff is None else settings.cutoff)
    p = sigmoid(logits / settings.temperature)
    hits = rng.random(p.shape) < p
    if settings.cutoff:
        hits &= sigmoid(logits) >= settings.cutoff
    return hits


def bar_measures(hits: np.ndarray, previous: np.ndarray | None, steps_per_beat: int,
                 step_in_bar: np.ndarray) -> dict[str, np.ndarray]:
    """Measures of candidate bars ``hits`` (k, L, C) used by the controls."""
    from .drum_map import CYMBAL_CLASSES

    k, L, _ = hits.shape
    beats = L / steps_per_beat
    onsets = hits.sum(axis=2)
    total = onsets.sum(axis=1)
    off_beat = (step_in_bar % steps_per_beat) != 0
    out = {
        "density": total / beats,
        "cymbals": hits[:, :, [c for c in CYMBAL_CLASSES if c < hits.shape[2]]].sum(axis=(1, 2)) / beats,
        "syncopation": np.where(total > 0, onsets[:, off_beat].sum(axis=1) / np.maximum(total, 1), 0.0),
    }
    if previous is not None and previous.shape[0] == L:
        out["repetition"] = _jaccard(hits, previous, empty=1.0)
    return out


def _sample_bar(stepper, state, prev, K, a, e, P, prompt, settings, rng, refs=None):
    """Sample ``K`` candidate bars for steps ``a..e`` from one state (prompt steps kept).

    ``refs`` ``(e - a, C)``: the reference hits of each step (already played), or ``None``."""
    C = stepper.runtime.num_classes
    L = e - a
    cand_state = stepper.expand(state, K) if K > 1 else state
    cand_prev = np.repeat(prev, K, axis=0)
    hits = np.zeros((K, L, C), bool)
    vel = np.zeros((K, L, C), np.float32)
    off = np.zeros((K, L, C), np.float32)
    loglik = np.zeros(K)
    expected = np.zeros(K)
    for j, t in enumerate(range(a, e)):
        ref = None if refs is None else np.repeat(refs[j][None], K, axis=0)
        step, cand_state = stepper.step(t, cand_prev, cand_state, ref)
        if t < P:
            h = np.repeat(prompt.hits[t][None], K, axis=0)
            v = np.repeat(prompt.velocity[t][None], K, axis=0)
            o = np.repeat(prompt.offset[t][None], K, axis=0)
        else:
            h = decode_step(step.logits, settings, rng)
            v = np.where(h, np.clip(step.velocity, 0.05, 1.0), 0.0)
            o = np.where(h, np.clip(step.offset, -0.45, 0.45), 0.0)
            z = step.logits
            loglik -= (np.maximum(z, 0) - z * h + np.log1p(np.exp(-np.abs(z)))).sum(axis=1)
            expected += sigmoid(z).sum(axis=1)
        hits[:, j], vel[:, j], off[:, j] = h, v, o
        cand_prev = np.concatenate([h.astype(np.float32), v, o], axis=1)
    return hits, vel, off, loglik, cand_state, cand_prev, expected


def follow_scores(hits: np.ndarray, expected: np.ndarray, relative_density: float, fill_bar: bool,
                  previous_bar: np.ndarray | None, reference_bar: np.ndarray | None = None,
                  density: bool = True, steadiness: bool = True) -> np.ndarray:
    """How well each candidate bar ``hits`` (k, L, C) follows the song (higher is better).

    * density: the bar's hits against the model's own expectation (mean over candidates of the
      expected hits, untempered) scaled by how busy the song is in this bar relative to the song's
      average bar (``relative_density ** 0.7``): drums get busier where the song does;
    * fills: in the bar before a section start (``fill_bar``), bars that change more from the
      previous bar (1 - Jaccard) score higher, as human drummers play fills there; elsewhere a
      small pull toward the previous bar keeps the groove steady between the fills (``steadiness``);
    * repeats: where the music repeats an earlier bar, similarity to the drums played there
      (``reference_bar``) scores higher (``steadiness``).

    A user's ``density``/``cymbals`` control replaces the density term, a ``repetition`` control
    or a loop to follow replaces the steadiness terms.
    """
    n = hits.sum(axis=(1, 2)).astype(np.float64)
    target = float(np.mean(expected)) * max(relative_density, 0.0) ** 0.7
    score = np.zeros(n.shape)
    if density:
        score = score - FOLLOW_DENSITY_WEIGHT * np.abs(np.log((n + 1.0) / (target + 1.0)))
    if previous_bar is not None and previous_bar.shape == hits.shape[1:]:
        change = 1.0 - _jaccard(hits, previous_bar, empty=1.0)
        if fill_bar:
            score = score + FOLLOW_FILL_WEIGHT * change
        elif steadiness:
            score = score - FOLLOW_KEEP_WEIGHT * change
    if (steadiness and reference_bar is not None and reference_bar.shape == hits.shape[1:] and reference_bar.any()
            and not fill_bar):
        score = score + FOLLOW_REPEAT_WEIGHT * _jaccard(hits, reference_bar, empty=0.0)
    return score


def _jaccard(bars: np.ndarray, other: np.ndarray, empty: float) -> np.ndarray:
    """Jaccard similarity of each of ``bars`` (k, L, C) with ``other`` (L, C); ``empty`` when both are silent."""
    inter = (bars & other[None]).sum(axis=(1, 2))
    union = (bars | other[None]).sum(axis=(1, 2))
    return np.where(union > 0, inter / np.maximum(union, 1), empty)


#: Weights of :func:`follow_scores` (per unit of log density ratio, per unit of change in a fill
#: bar, per unit of change elsewhere).
FOLLOW_DENSITY_WEIGHT = 2.0
FOLLOW_FILL_WEIGHT = 6.0
FOLLOW_KEEP_WEIGHT = 0.5
#: ... and per unit of similarity to the drums of the bar whose music this bar repeats
FOLLOW_REPEAT_WEIGHT = 2.0
#: strength of the steadiness pull where no song plays (continuing a groove alone); the take is
#: then drawn with probability softmax(score) rather than chosen
NO_SONG_STEADINESS = 10.0


def _reference_hits(out: DrumArrays, reference: np.ndarray | None, a: int, e: int) -> np.ndarray | None:
    """Hits already played at the reference steps of steps ``a..e`` (zeros where none)."""
    if reference is None:
        return None
    r = np.asarray(reference[a:e])
    valid = (r >= 0) & (r < a)
    refs = np.zeros((e - a, out.hits.shape[1]), np.float32)
    refs[valid] = out.hits[r[valid]]
    return refs


def fit_feel_to_song(drums: DrumArrays, features: np.ndarray, names: tuple[str, ...], steps_per_beat: int,
                     keep: int = 0, until: int | None = None) -> DrumArrays:
    """Scale the drums' micro-timing so that it is no looser than the song's pitched parts.

    ``song_timing`` is the mean distance of the song's onsets from the 16th grid; the drums'
    offsets (steps ``keep..until``, e.g. after a prompt) are scaled down so that their mean
    distance from the grid is at most the song's. A sequenced song gets drums on the grid,
    a song played by hand keeps a human spread.
    """
    if "song_timing" not in names or not features.shape[0]:
        return drums
    song = float(features[:, names.index("song_timing")].max()) / 4.0  # mean |offset| in 16ths
    per16 = 4.0 / steps_per_beat
    hits = drums.hits.copy()
    hits[:keep] = False
    if until is not None:
        hits[until:] = False
    dist = np.abs(drums.offset[hits]) * per16
    if dist.size == 0 or dist.mean() <= song:
        return drums
    scale = song / dist.mean()
    offset = drums.offset.copy()
    offset[hits] *= scale
    return DrumArrays(drums.hits, drums.velocity, offset.astype(np.float32))


def generate(runtime: DrummerRuntime, features: np.ndarray, settings: GenerationSettings,
             prompt: DrumArrays | None = None, grid_steps: np.ndarray | None = None,
             reference: np.ndarray | None = None, redo: tuple[int, int] | None = None) -> DrumArrays:
    """Drums for a whole song (``features`` is ``(T, F)``), optionally continuing ``prompt``.

    With a ``prompt`` of ``P`` steps, steps ``0..P-1`` are the prompt (kept exactly)
    and generation continues from step ``P``. With controls set, each bar is chosen among
    ``settings.candidates`` sampled bars by log-likelihood under the model minus the
    distance of its measures to the targets. ``reference`` ``(T,)`` gives each step's
    reference step (see :mod:`neuraldrummer.structure`): the drums already played there
    are fed to models that take them, so repeated music gets repeated drums.

    ``redo`` ``(r0, r1)``: steps of whole bars to draw again, ``prompt`` holding the song's
    drums for every step; everything outside the range is returned as it was in ``prompt``
    (see :func:`_redraw_range` for how a take is chosen).
    """
    from .metrics import bar_index

    config = runtime.config
    settings.validate(config)
    style = config.styles.index(settings.style)
    stepper = GuidedStepper(runtime, features, style, settings.style_guidance)
    T = features.shape[0]
    C = runtime.num_classes
    rng = np.random.default_rng(settings.seed)
    controls = settings.active_controls()
    start = settings.start
    if str(start) == "auto":
        # a form-aware model finds its own groove when sampling; the deterministic cut-off never
        # leaves silence on its own (nothing reaches 0.5 from a blank start), so it starts from a beat
        start = ("blank" if "bar_onsets" in config.feature_names and settings.style == "none"
                 and settings.temperature is not None else "basic")
    pattern = (start_pattern(start, config.steps_per_beat, settings.seed, settings.style)
               if prompt is None else DrumArrays.empty(0))
    loop_bars = _loop_bars(pattern, config.steps_per_beat) if (
        prompt is None and settings.loop_similarity is not None and str(start) not in START_PATTERNS) else []
    K = settings.candidates if (controls or loop_bars) else 1
    names = config.feature_names
    follow = (settings.follow > 0 and settings.temperature is not None
              and not config.blank_song_features  # a no-song ablation does not follow the song either
              and all(n in names for n in ("bar_onsets", "pre_section")))
    if follow:
        K = max(K, settings.follow_candidates)
    if controls and settings.temperature is None:
        raise ConfigError("controls need sampling: give a temperature (the default) rather than --cutoff alone")

    # prime with the start pattern (not written); a prompt replaces it
    state = stepper.initial_state(1)
    prev = np.zeros((1, 3 * C), np.float32)
    for t in range(pattern.num_steps):
        _, state = stepper.step(t, prev, state)
        prev = _as_step_input(pattern, t)[None, :]

    out = DrumArrays.empty(T, C)
    P = 0 if prompt is None else min(prompt.num_steps, T)
    bars = bar_index(features, config.feature_names)
    bar_starts = np.concatenate([[0], np.nonzero(np.diff(bars))[0] + 1, [T]])
    if redo is not None:
        if prompt is None or prompt.num_steps < T:
            raise ConfigError("re-rolling bars needs the song's drums for every step")
        r0, r1 = int(redo[0]), int(redo[1])
        if not (0 <= r0 < r1 <= T) or r0 not in bar_starts or r1 not in bar_starts:
            raise ConfigError(f"the steps to re-roll ({r0}-{r1}) are not whole bars of the song")
        P = r0  # the drums before the range are played in; the range is drawn again
    spb = config.steps_per_beat
    active = features[:, config.feature_names.index("active")] > 0.5
    if follow:
        bar_density = features[:, names.index("bar_onsets")]
        mean_density = float(bar_density[active].mean()) if active.any() else 0.0
        pre_section = features[:, names.index("pre_section")] > 0.5

    def play_bar(bar_number: int, a: int, e: int, state, prev, previous_bar):
        """Draw bar ``a..e`` (takes chosen as set out above) into ``out``; the state after it."""
        song_plays = bool(active[a:e].any())
        refs = _reference_hits(out, reference, a, e)
        for _ in range(1 + (settings.refill_silent_bars if settings.temperature is not None else 0)):
            hits, vel, off, loglik, cand_state, cand_prev, expected = _sample_bar(
                stepper, state, prev, K, a, e, P, prompt, settings, rng, refs)
            if not song_plays or hits.any() or e <= P:
                break
        best = 0
        if K > 1:
            loop_bar = loop_bars[bar_number % len(loop_bars)] if loop_bars else None
            if controls or loop_bar is not None:
                score = score_candidates(hits, loglik, controls, previous_bar, spb, settings.control_strength,
                                         loop_bar, settings.loop_similarity)
            else:  # candidates drawn only to follow the song: no pull toward the likeliest (plainest) bar
                score = np.zeros(K)
            if follow:  # without a song (a groove to continue) only the steadiness terms count
                rel = (float(bar_density[a]) + 0.05) / (mean_density + 0.05)
                weight = settings.follow * (1.0 if song_plays else NO_SONG_STEADINESS)
                score = score + weight * follow_scores(
                    hits, expected, rel, bool(pre_section[a]) and song_plays, previous_bar,
                    None if refs is None else refs > 0.5,
                    density=song_plays and "density" not in controls and "cymbals" not in controls,
                    steadiness="repetition" not in controls and loop_bar is None)
            if song_plays and e > P:  # never keep a silent take while the song plays
                score = np.where(hits.any(axis=(1, 2)), score, -np.inf)
            if follow and not song_plays and prompt is not None and not controls and loop_bar is None:
                # continuing a groove with no song: draw the take with probability softmax(score)
                p = np.exp(score - score.max())
                best = int(rng.choice(K, p=p / p.sum()))
            elif follow and not song_plays and not controls and loop_bar is None:
                best = 0  # a bar where the song is silent: any take (a pull would keep silence going)
            else:
                best = int(np.argmax(score))
            state = stepper.select(cand_state, K, best)
        else:
            state = cand_state
        out.hits[a:e], out.velocity[a:e], out.offset[a:e] = hits[best], vel[best], off[best]
        return state, cand_prev[best:best + 1], hits[best]

    previous_bar = None
    for bar_number, (a, e) in enumerate(zip(bar_starts[:-1], bar_starts[1:])):
        a, e = int(a), int(e)
        if e <= P:  # a prompt bar: teacher-force it
            for t in range(a, e):
                _, state = stepper.step(t, prev, state)
                out.hits[t], out.velocity[t], out.offset[t] = prompt.hits[t], prompt.velocity[t], prompt.offset[t]
                prev = _as_step_input(out, t)[None, :]
            previous_bar = out.hits[a:e].copy()
            continue
        if redo is not None:
            ranges = [(n, int(x), int(y)) for n, (x, y) in enumerate(zip(bar_starts[:-1], bar_starts[1:]))
                      if r0 <= x < r1]
            nxt = int(bar_starts[np.searchsorted(bar_starts, r1) + 1]) if r1 < T else r1
            _redraw_range(play_bar, ranges, (state, prev, previous_bar), out, prompt, stepper, reference,
                          r0, r1, nxt, settings.redo_candidates)
            out.hits[r1:], out.velocity[r1:], out.offset[r1:] = prompt.hits[r1:], prompt.velocity[r1:], \
                prompt.offset[r1:]
            break
        state, prev, previous_bar = play_bar(bar_number, a, e, state, prev, previous_bar)
    if settings.feel == "song" and settings.swing is None and not config.blank_song_features:
        out = fit_feel_to_song(out, features, config.feature_names, config.steps_per_beat, P,
                               None if redo is None else r1)
    swing = settings.swing if settings.swing is not None else runtime.style_swing(settings.style)
    if swing:
        off_beat = (features[:, config.feature_names.index("on_beat")] < 0.5)
        late = out.hits & off_beat[:, None]
        late[:P] = False
        if redo is not None:
            late[r1:] = False
        out.offset[late] = np.clip(out.offset[late] + swing, -0.45, 0.45)
    if settings.quantized:
        q = out.quantized()
        if redo is not None:  # only the drawn bars
            q.offset[:r0], q.offset[r1:] = out.offset[:r0], out.offset[r1:]
        out = q
    return out


def _redraw_range(play_bar, ranges, start, out: DrumArrays, kept: DrumArrays, stepper: "GuidedStepper",
                  reference, r0: int, r1: int, nxt: int, candidates: int) -> None:
    """Draw steps ``r0..r1`` ``candidates`` times from the state ``start`` and keep, in ``out``,
    the take under which the kept next bar (``r1..nxt`` of ``kept``) is likeliest: the new bars
    lead into the drums after them. A take identical to the kept bars counts only if all are."""
    best = None
    for _ in range(max(1, candidates)):
        state, prev, previous_bar = start
        for n, a, e in ranges:
            state, prev, previous_bar = play_bar(n, a, e, state, prev, previous_bar)
        fit = 0.0
        refs = _reference_hits(out, reference, r1, nxt)
        for j, t in enumerate(range(r1, nxt)):
            step, state = stepper.step(t, prev, state, None if refs is None else refs[j][None])
            z, h = step.logits[0], kept.hits[t]
            fit -= float((np.maximum(z, 0) - z * h + np.log1p(np.exp(-np.abs(z)))).sum())
            prev = _as_step_input(kept, t)[None, :]
        if np.array_equal(out.hits[r0:r1], kept.hits[r0:r1]):
            fit -= 1e9  # the same bars again: not a re-roll
        if best is None or fit > best[0]:
            best = (fit, out.hits[r0:r1].copy(), out.velocity[r0:r1].copy(), out.offset[r0:r1].copy())
    out.hits[r0:r1], out.velocity[r0:r1], out.offset[r0:r1] = best[1:]


@dataclass
class DrumResult:
    """What :func:`drum_song` did."""

    output: Path | None
    drums: DrumArrays
    song: object  # EncodedSong
    seconds: float
    info: dict = field(default_factory=dict)


def default_output_path(input_path: Path) -> Path:
    """``song.mid`` -> ``song_drums.mid`` beside it (never the input itself)."""
    return input_path.with_name(f"{input_path.stem}_drums.mid")


def drum_song(input_path: str | Path, output_path: str | Path | None, model: str | Path | DrummerRuntime,
              settings: GenerationSettings | None = None, keep_drums: bool = False) -> DrumResult:
    """The main job: read a song, drum it, write the combined MIDI (atomically)."""
    from .song import encode_song, write_drummed_song

    started = time.perf_counter()
    settings = settings or GenerationSettings()
    runtime = model if isinstance(model, DrummerRuntime) else DrummerRuntime.load(model)
    song = encode_song(input_path, runtime.config.steps_per_beat, runtime.config.feature_names, require_pitched=True)
    if song.info.get("grid") == "regridded":
        logger.warning("%s: the tempo map does not fit the notes (%.0f%% of onsets off its 16th grid); "
                       "drumming on a grid re-estimated from the notes (%.1f bpm)", input_path,
                       100 * song.info["off_grid_share"], song.info["estimated_qpm"])
    elif song.info.get("grid") == "misfit":
        logger.warning("%s: the tempo map does not fit the notes (%.0f%% of onsets off its 16th grid) "
                       "and no steady tempo was found; drumming on the file's own grid", input_path,
                       100 * song.info["off_grid_share"])
    drums = generate(runtime, song.features, settings, reference=song.reference)
    out = None
    if output_path is not None:
        out = write_drummed_song(song.loaded, drums, song.grid, output_path, keep_drums=keep_drums,
                                 quantized=settings.quantized)
    return DrumResult(out, drums, song, time.perf_counter() - started)


def parse_bar_range(text: str) -> tuple[int, int]:
    """``"17-24"`` -> ``(17, 24)``; ``"9"`` -> ``(9, 9)`` (bars counted from 1, both ends included)."""
    parts = str(text).replace("..", "-").split("-")
    try:
        first, last = (int(parts[0]), int(parts[-1])) if len(parts) in (1, 2) else (0, 0)
    except ValueError:
        first = last = 0
    if first < 1 or last < first:
        raise ConfigError(f"bars to redo must read like 17-24 (first and last bar, from 1), not '{text}'")
    return first, last


def redo_bars(input_path: str | Path, output_path: str | Path, model: str | Path | DrummerRuntime,
              bars: tuple[int, int], settings: GenerationSettings | None = None) -> DrumResult:
    """Draw bars ``bars[0]..bars[1]`` (from 1, inclusive) of a drummed song again; write the result.

    Every drum note outside the range is written exactly as it was (see
    :func:`neuraldrummer.song.splice_drums`); the new bars continue from the drums before them and
    are chosen among ``settings.redo_candidates`` takes for how well they lead into the next bar.
    """
    from .midi_io import write_midi
    from .song import encode_song, splice_drums

    started = time.perf_counter()
    settings = settings or GenerationSettings()
    runtime = model if isinstance(model, DrummerRuntime) else DrummerRuntime.load(model)
    song = encode_song(input_path, runtime.config.steps_per_beat, runtime.config.feature_names, require_pitched=True)
    if not song.has_drums:
        raise NoDrumsError("no drums to keep around the bars to redo (drum the song first)", input_path)
    grid = song.grid
    first, last = bars
    if last > grid.num_bars:
        raise ConfigError(f"bars {first}-{last} are not all in the song (bars 1-{grid.num_bars})", input_path)
    r0 = int(grid.bar_starts[first - 1])
    r1 = int(grid.bar_starts[last]) if last < grid.num_bars else grid.num_steps
    drums = generate(runtime, song.features, settings, prompt=song.drums, reference=song.reference, redo=(r0, r1))
    out = write_midi(splice_drums(song.loaded, drums, grid.ticks, r0, r1, settings.quantized), output_path,
                     input_path)
    return DrumResult(out, drums, song, time.perf_counter() - started)
