"""One frozen, validated configuration, saved as JSON next to what it produced.

A saved model always knows its grid (``steps_per_beat``), its drum map, its feature
set and its styles, so the runtime never has to guess.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .analysis.drum_map import CLASS_NAMES, NINE_CLASS_NAMES
from .errors import ConfigError

#: the files of a model directory
WEIGHTS_FILE = "weights.npz"
CONFIG_FILE = "config.json"
#: key of the config (JSON) inside weights.npz
CONFIG_KEY = "__config__"
STYLE_FEEL_FILE = "style_feel.json"

SUPPORTED_STEPS_PER_BEAT = (2, 4, 8)

#: Styles of the Groove MIDI Dataset (top-level genre of its ``style`` column), plus
#: "none" for songs without a style label. Index 0 is the neutral style.
STYLES: tuple[str, ...] = (
    "none", "afrobeat", "afrocuban", "blues", "country", "dance", "funk", "gospel",
    "highlife", "hiphop", "jazz", "latin", "middleeastern", "neworleans", "pop", "punk",
    "reggae", "rock", "soul",
)


@dataclass(frozen=True)
class Config:
    """Everything that defines a corpus and a model.

    Attributes are grouped: grid and data, model size, training. Units: steps are grid
    steps of ``1 / steps_per_beat`` quarter notes.
    """

    # --- grid and data ---------------------------------------------------------------
    steps_per_beat: int = 2
    drum_classes: tuple[str, ...] = CLASS_NAMES
    feature_names: tuple[str, ...] = ()  # filled from features.FEATURE_NAMES by default
    styles: tuple[str, ...] = STYLES
    # --- model -----------------------------------------------------------------------
    encoder_units: int = 48
    decoder_units: int = 160
    dropout: float = 0.1
    #: Dropout on the decoder's input (previous drums and song alike): forces the drummer
    #: to listen to the song instead of copying its own history.
    input_dropout: float = 0.0
    #: Share of song windows whose song features are blanked in training, so the drummer
    #: can fall back on its own groove when a song's drums do not follow the song.
    song_dropout: float = 0.0
    #: Ablation: train and run with the song-dependent features zeroed (position kept).
    blank_song_features: bool = False
    #: Give the drummer the drums of the bar its music repeats (see neuraldrummer.analysis.structure).
    reference_input: bool = False
    #: Share of song windows trained on the song's augmented features (``features_aug``: one
    #: pitched instrument dropped, or the song played by hand; see neuraldrummer.training.augment).
    drop_instrument: float = 0.0
    #: Share of training windows whose drum history (previous drums and reference drums) loses some
    #: of its sounds from a random step on, while the targets keep them: the drummer learns to bring
    #: back a groove its own history has lost (a sound dropped, or everything), instead of
    #: continuing whatever it played last (hats alone, or ever sparser bars).
    history_dropout: float = 0.0
    # --- training --------------------------------------------------------------------
    window_steps: int = 64
    batch_size: int = 64
    epochs: int = 30
    steps_per_epoch: int = 200
    validation_batches: int = 40
    learning_rate: float = 2e-3
    patience: int = 5
    seed: int = 1234
    #: Weight of the song corpora vs drum-only corpora when sampling training windows.
    song_weight: float = 0.7
    #: Corpus sources to train on (substrings of the source path); empty = all.
    sources: tuple[str, ...] = ()
    #: Loss weights of the velocity and micro-timing heads.
    velocity_loss_weight: float = 0.5
    offset_loss_weight: float = 0.5
    #: Categorical velocity and micro-timing heads: bins over velocity 0-1 and over the offset's
    #: -0.5..0.5 of a step (0: none; the regression heads' means alone, as the first models). With
    #: bins, each hit's velocity and timing are drawn from the head's distribution, not its mean.
    velocity_bins: int = 0
    offset_bins: int = 0
    #: Loss weight of the categorical heads' cross-entropy (per hit, nats).
    bins_loss_weight: float = 0.25

    def __post_init__(self) -> None:
        if not self.feature_names:
            from .analysis.features import FEATURE_NAMES

            object.__setattr__(self, "feature_names", FEATURE_NAMES)
        for name in ("drum_classes", "feature_names", "styles", "sources"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` if a value is out of range."""
        if self.steps_per_beat not in SUPPORTED_STEPS_PER_BEAT:
            raise ConfigError(
                f"steps_per_beat must be one of {SUPPORTED_STEPS_PER_BEAT}, got {self.steps_per_beat}"
            )
        if tuple(self.drum_classes) not in (CLASS_NAMES, NINE_CLASS_NAMES):
            raise ConfigError(f"drum_classes must be the full kit {CLASS_NAMES} or the nine {NINE_CLASS_NAMES}")
        from .analysis.features import FEATURE_NAMES

        unknown = [f for f in self.feature_names if f not in FEATURE_NAMES]
        if unknown:
            raise ConfigError(f"unknown features {unknown}; known: {FEATURE_NAMES}")
        positive = ("encoder_units", "decoder_units", "window_steps", "batch_size", "epochs",
                    "steps_per_epoch", "validation_batches", "patience")
        for name in positive:
            if int(getattr(self, name)) <= 0:
                raise ConfigError(f"{name} must be positive, got {getattr(self, name)}")
        if not 0.0 <= self.dropout < 1.0 or not 0.0 <= self.input_dropout < 1.0:
            raise ConfigError(f"dropout and input_dropout must be in [0, 1), got {self.dropout}, {self.input_dropout}")
        if not 0.0 <= self.song_dropout <= 1.0:
            raise ConfigError(f"song_dropout must be in [0, 1], got {self.song_dropout}")
        if not 0.0 <= self.drop_instrument <= 1.0:
            raise ConfigError(f"drop_instrument must be in [0, 1], got {self.drop_instrument}")
        if not 0.0 <= self.history_dropout <= 1.0:
            raise ConfigError(f"history_dropout must be in [0, 1], got {self.history_dropout}")
        if not 0.0 <= self.song_weight <= 1.0:
            raise ConfigError(f"song_weight must be in [0, 1], got {self.song_weight}")
        if self.velocity_bins < 0 or self.offset_bins < 0 or (self.offset_bins and self.offset_bins % 2 == 0):
            raise ConfigError(f"velocity_bins and offset_bins must be 0 or positive, offset_bins odd (a bin "
                              f"centred on the grid), got {self.velocity_bins}, {self.offset_bins}")
        if self.learning_rate <= 0:
            raise ConfigError(f"learning_rate must be positive, got {self.learning_rate}")

    @property
    def num_classes(self) -> int:
        return len(self.drum_classes)

    @property
    def num_features(self) -> int:
        return len(self.feature_names)

    @property
    def head_width(self) -> int:
        """Outputs per step: hit logits, velocity and offset means (3C), then the bin logits."""
        return self.num_classes * (3 + self.velocity_bins + self.offset_bins)

    def replace(self, **changes: Any) -> "Config":
        """Return a copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()}

    def save(self, path: str | Path) -> None:
        """Write the config as JSON (atomically)."""
        from .io.midi import atomic_write_text

        atomic_write_text(Path(path), json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown config keys {unknown}")
        try:
            return cls(**data)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"invalid config: {exc}") from exc

    @classmethod
    def load(cls, path: str | Path) -> "Config":
        """Read a config written by :meth:`save` (or a hand-written subset of keys)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError as exc:
            raise ConfigError("config file not found", path) from exc
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read config: {exc}", path) from exc
        if not isinstance(data, dict):
            raise ConfigError("config must be a JSON object", path)
        try:
            return cls.from_dict(data)
        except ConfigError as exc:
            raise ConfigError(exc.message, path) from exc


__all__ = ["Config", "STYLES", "SUPPORTED_STEPS_PER_BEAT"]
