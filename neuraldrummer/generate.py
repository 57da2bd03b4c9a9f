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
from .runtime import DrummerRuntime, sigmoid

logger = logging.getLogger(__name__)

START_PATTERNS = ("basic", "count-in", "blank", "random")
DEFAULT_CUTOFF = 0.5
DEFAULT_TEMPERATURE = 1.0


def start_pattern(name: str | Path, steps_per_beat: int, seed: int = 0) -> DrumArrays:
    """A priming pattern: ``basic`` rock beat, ``count-in``, ``blank``, ``random``, or a drum MIDI loop."""
    bar = 4 * steps_per_beat
    spb = steps_per_beat
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
        density = np.array([0.25, 0.15, 0.5, 0.05, 0.03, 0.03, 0.03, 0.02, 0.05])
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
    start: str | Path = "basic"
    style: str = "none"
    quantized: bool = False

    def validate(self, config: Config) -> None:
        if self.cutoff is not None and not 0.0 <= self.cutoff < 1.0:
            raise ConfigError(f"cutoff must be in [0, 1), got {self.cutoff}")
        if self.temperature is not None and self.temperature <= 0:
            raise ConfigError(f"temperature must be positive, got {self.temperature}")
        if self.style not in config.styles:
            raise ConfigError(f"unknown style {self.style!r}; known: {', '.join(config.styles)}")


def _as_step_input(d: DrumArrays, t: int) -> np.ndarray:
    return np.concatenate([d.hits[t].astype(np.float32), d.velocity[t], d.offset[t]])


def prime(runtime: DrummerRuntime, static: np.ndarray, pattern: DrumArrays, batch: int = 1):
    """Run the start pattern through the LSTM; return (state, last drums input)."""
    state = runtime.initial_state(batch)
    prev = np.zeros((batch, 3 * runtime.config.num_classes), np.float32)
    T = static.shape[0]
    for t in range(pattern.num_steps):
        _, state = runtime.step(static[t % T], prev, state)
        prev = np.repeat(_as_step_input(pattern, t)[None, :], batch, axis=0)
    return state, prev


def decode_step(logits: np.ndarray, settings: GenerationSettings, rng: np.random.Generator) -> np.ndarray:
    """Hits (bool) from logits for one step of a batch."""
    if settings.temperature is None:
        return sigmoid(logits) >= (DEFAULT_CUTOFF if settings.cutoff is None else settings.cutoff)
    p = sigmoid(logits / settings.temperature)
    hits = rng.random(p.shape) < p
    if settings.cutoff:
        hits &= sigmoid(logits) >= settings.cutoff
    return hits


def generate(runtime: DrummerRuntime, features: np.ndarray, settings: GenerationSettings,
             prompt: DrumArrays | None = None) -> DrumArrays:
    """Drums for a whole song (``features`` is ``(T, F)``), optionally continuing ``prompt``.

    With a ``prompt`` of ``P`` steps, steps ``0..P-1`` are the prompt (kept exactly)
    and generation continues from step ``P``.
    """
    config = runtime.config
    settings.validate(config)
    style = config.styles.index(settings.style)
    static = runtime.static_input(features, style)
    T = static.shape[0]
    rng = np.random.default_rng(settings.seed)
    pattern = start_pattern(settings.start, config.steps_per_beat, settings.seed) if prompt is None else DrumArrays.empty(0)
    state, prev = prime(runtime, static, pattern)
    if prompt is not None:
        state = runtime.initial_state(1)
        prev = np.zeros((1, 3 * config.num_classes), np.float32)
    out = DrumArrays.empty(T, config.num_classes)
    P = 0 if prompt is None else min(prompt.num_steps, T)
    for t in range(T):
        step, state = runtime.step(static[t], prev, state)
        if t < P:
            out.hits[t], out.velocity[t], out.offset[t] = prompt.hits[t], prompt.velocity[t], prompt.offset[t]
        else:
            hits = decode_step(step.logits, settings, rng)[0]
            out.hits[t] = hits
            out.velocity[t] = np.where(hits, np.clip(step.velocity[0], 0.05, 1.0), 0.0)
            out.offset[t] = np.where(hits, np.clip(step.offset[0], -0.45, 0.45), 0.0)
        prev = _as_step_input(out, t)[None, :]
    if settings.quantized:
        out = out.quantized()
    return out


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
    drums = generate(runtime, song.features, settings)
    out = None
    if output_path is not None:
        out = write_drummed_song(song.loaded, drums, song.grid, output_path, keep_drums=keep_drums,
                                 quantized=settings.quantized)
    return DrumResult(out, drums, song, time.perf_counter() - started)
