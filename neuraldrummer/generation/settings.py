"""How to decode: :class:`GenerationSettings` and the targets of the user's controls."""

from __future__ import annotations

import ast
import dataclasses
import numbers
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..errors import ConfigError


DEFAULT_CUTOFF = 0.5
DEFAULT_TEMPERATURE = 1.05
#: temperature of the velocity bins' draw. Each hit's velocity is drawn given the velocities drawn
#: before it, so at temperature 1 a part's level wanders as it is drawn, and it wanders down: on the
#: validation songs the model, fed the human's own drums, expects the human's level (median 123 where
#: the human plays 127), but drawing its own it plays 16 MIDI units softer than the song's drummer
#: (mean over 16 songs, 76 against 92). At 0.6 it plays 87, the nearest per song (a scratch count
#: over temperatures 1, 0.6, 0.4, 0.25; the validation rows in README)
DEFAULT_VELOCITY_TEMPERATURE = 0.6
#: whole-song takes drawn for each song. Under the 40 drumless songs played by hand, recorded without a
#: click (benchmarks/check_handplayed.py --no-click), 4 drafts gave a groove in time in 0.825 / 0.825 of
#: the songs (seeds 0 / 1) against 0.775 / 0.725 for one; see README "Whole-song drafts"
DEFAULT_DRAFTS = 4
#: at most this many rounds of drafts: where none of a round's drafts keeps a groove
#: (:func:`neuraldrummer.generation.drafts.is_groove`), the drummer plays the song again, as many drafts
#: again, and the best of all is kept. A round that keeps a groove ends it, so a song whose first round
#: grooves gets the same drums as with one round. See README "Whole-song drafts"
DEFAULT_DRAFT_ROUNDS = 3
#: the start pattern of every second draft where the beats and bars were found in the music. Drafts drawn
#: from one start share its habits: under recordings of the 40 drumless songs (benchmarks/check_audio.py)
#: all four drafts of a song often lacked a back beat, and with every second draft primed with the basic
#: rock beat a groove in time went 0.675 -> 0.800. Under sequenced songs it made the drums plainer
#: (validation, a scratch run: fill ratio 3.2, human 1.8; 0.76 of the segments told apart, 0.60 without),
#: so not there
ALTERNATE_START = "basic"
#: the share of section starts whose take opens with a crash (:func:`~neuraldrummer.generation.takes.crashes_drawn`).
#: Drummers crash on 0.224 of the section starts of the training songs of ``songs/`` whose grid fits, 0.295 of the
#: validation songs', 0.263 of the first 90 training songs'; the model's own draw with fills and repeats crashed on
#: 0.317 of the validation starts and 0.40 / 0.37 of those 90 songs' (seeds 0-2, 0-1; benchmarks/check_seeds.py).
#: Drawn at 0.28, about 0.9 of the draws find a take with a crash where one is drawn: 0.257 and 0.264 / 0.230 (README
#: "Decoding: what each part adds")
DEFAULT_CRASH_SHARE = 0.28
#: where a crash is drawn on a section start of a song whose beats and bars were found in the music, the log-odds of
#: the crash cymbal on the bar's first step are raised by this when its takes are drawn: there the model seldom
#: crashes, and with no crash among the takes the draw came to nothing (crash on section start 0.084 of the 40
#: drumless songs' without the draw, 0.096 with it, 0.207 with it and this; benchmarks/check_handplayed.py). Not on the files' own grids, where the model crashes often enough: there it took the crashes from 0.28
#: to 0.36 of the validation songs' section starts (seeds 0 and 1)
CRASH_GUIDANCE = 3.0


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


def compound_meters(meters: list[str]) -> bool:
    """Are the meters (``"12/8"``, ...) of a song's grid compound: all in eighths (a pickup bar too), six, nine or
    twelve of them in some? A song in 4/4 with a bar of 6/8 is not: its bars of four keep their back beat."""
    return (bool(meters) and all(m.endswith("/8") for m in meters)
            and any(m.split("/")[0] in ("6", "9", "12") for m in meters))


@dataclass
class GenerationSettings:
    """How to decode. ``temperature=None`` means deterministic cut-off decoding
    (at ``cutoff``, default 0.5); otherwise sampling, with ``cutoff`` as an optional floor."""

    cutoff: float | None = None
    temperature: float | None = DEFAULT_TEMPERATURE
    #: temperature of the velocity bins (models with categorical velocity heads) under a sequenced song
    #: with feel "song"; see :data:`DEFAULT_VELOCITY_TEMPERATURE`. Under a song played by hand, and with
    #: feel "model", the bins are drawn at 1: there it cost grooves in time (check_handplayed, two seeds)
    velocity_temperature: float = DEFAULT_VELOCITY_TEMPERATURE
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
    #: whole-song takes drawn side by side, the one that keeps a groove best kept
    #: (:mod:`neuraldrummer.generation.drafts`); 1 = the first take. Only when sampling without a style
    #: (the cut-off draws the same take every time; a style's groove is the style's to decide)
    drafts: int = DEFAULT_DRAFTS
    #: rounds of ``drafts`` drafts at most, another only where no draft so far keeps a groove
    draft_rounds: int = DEFAULT_DRAFT_ROUNDS
    #: with the automatic start, every second draft is primed with this start pattern instead: "auto" is
    #: "basic" where the beats and bars were found in the music (songs played by hand, recordings) and
    #: "none" elsewhere (see :meth:`for_song`); "none": every draft starts as ``start`` says
    alternate_start: str = "auto"
    #: whether the takes also follow the song's form: fills into the sections found in it, the drums of
    #: the bar its music repeats. None: yes on the file's own grid, no where the beats and bars were
    #: found in the music (songs played by hand), where they broke the groove (see :meth:`for_song`)
    follow_form: bool | None = None
    #: whether the takes also follow the song's sixteenths: a take's share of onsets on the odd 16ths
    #: near the share the song's own 16ths ask for (:func:`~neuraldrummer.generation.takes.sixteenths_target`).
    #: None: yes on the file's own grid, no where the beats and bars were found in the music, whose
    #: loose onsets fall on the odd 16ths of any grid (there it cost backbeats: README "Sixteenths")
    follow_sixteenths: bool | None = None
    #: whether the takes also follow the song's density: a take's hits near the model's own expectation
    #: (which reads the song), scaled by the song's bar density to ``follow_density_exponent``
    follow_density: bool = True
    #: how closely: the density target is the model's own expectation times the bar's density relative
    #: to the song's average bar to this power (:data:`~neuraldrummer.generation.takes.FOLLOW_DENSITY_EXPONENT`)
    follow_density_exponent: float | None = None
    #: how strongly the takes of the bar before a section start are chosen for changing from the bar before
    #: it (a fill), and elsewhere for keeping to it (a steady groove); None: the weights of
    #: :data:`~neuraldrummer.generation.takes.FOLLOW_FILL_WEIGHT` and ``FOLLOW_KEEP_WEIGHT``
    follow_fill_weight: float | None = None
    follow_keep_weight: float | None = None
    #: the share of the section starts the takes play a fill before, drawn, more often before the bigger changes
    #: of the music (:func:`~neuraldrummer.generation.takes.fills_drawn`); None: before every one
    follow_fill_share: float | None = None
    #: the share of the section starts whose take opens with a crash, drawn, more often on the bigger changes
    #: (:func:`~neuraldrummer.generation.takes.crashes_drawn`); None: as the model plays (with fills it crashed on too
    #: many, under songs played by hand on too few)
    follow_crash_share: float | None = DEFAULT_CRASH_SHARE
    #: how much the crash cymbal's log-odds are raised on the first step of a section start where a crash is drawn;
    #: None: :data:`CRASH_GUIDANCE` where the beats and bars were found in the music, else 0 (see :meth:`for_song`)
    crash_guidance: float | None = None
    #: whether the takes also keep a groove outside the fills: a bar with a time-keeping line (a hat,
    #: ride, tambourine or shaker sound four times or more) scores higher, toms lower. Off: on the
    #: validation songs it put time-keeping lines in 0.90 of the bars (human 0.69) and crashes on 0.39 of
    #: the section starts (human 0.30), and it did not add grooves in time under songs played by hand
    follow_groove: bool = False
    #: whether the drummer plays some bars between the fills again as they were, at the rates drummers do
    #: (:data:`~neuraldrummer.generation.takes.REPLAY_SHARES`), rather than drawing every bar afresh
    replay_bars: bool = True
    #: whether a drawn hit that is its sound's only one in the bar, that sound silent in the bars either
    #: side, is taken out (crashes kept; not in the bars before a section start, where fills end), so
    #: that sounds come and go as parts (:mod:`neuraldrummer.generation.strays`)
    drop_strays: bool = True
    #: takes of a whole range drawn when re-rolling bars (the one leading best into the next bar is kept)
    redo_candidates: int = 8
    #: "song": the drums' micro-timing is no looser than the song's own pitched parts (on the
    #: grid under a sequenced song, human under one played by hand) and so are the velocities (a few
    #: fixed levels a sound under a sequenced song, feel.sequenced_levels), at the level the model expects
    #: rather than the one its own draws drift to (feel.raise_drawn_level); "model": as the model plays
    feel: str = "song"
    #: with feel "song": whether the song was played by hand, so that the drums get a drummer's timing
    #: (see :func:`neuraldrummer.generation.feel.fit_feel_to_song`). None: where its parts are off the
    #: grid; :meth:`for_song` also says yes where the beats were found in the music (no click)
    played_by_hand: bool | None = None
    #: the song's grid: "auto" finds the beats and bars in the music where the file's tempo map or
    #: meter does not fit it (songs played by hand); "off" keeps the file's grid (--keep-grid)
    regrid: str = "auto"
    #: beats per bar where the bars come from the music (None: 4; --meter N/4)
    beats_per_bar: int | None = None
    #: whether the song's bars are compound (6/8, 12/8: dotted-quarter beats, the back beat on the second and
    #: the fourth; see :mod:`neuraldrummer.generation.drafts`). None: as its grid's meters say (:meth:`for_song`)
    compound_meter: bool | None = None

    def for_song(self, info: dict) -> "GenerationSettings":
        """These settings for a song encoded with ``info`` (``EncodedSong.info``): ``follow_form``
        decided where it was left to the song. On the 40 drumless songs played by hand, takes chosen
        for fills and repeats gave a groove in time in 0.55 of the songs over four seeds, takes not
        chosen for them 0.65 (``benchmarks/check_handplayed.py``). ``played_by_hand`` is yes where the
        beats were found in the music (a song recorded without a click); on one constant tempo
        re-estimated from the notes ("regridded") it is left to the song's parts, which may be sequenced."""
        from_music = info.get("grid") in ("beats", "regridded")
        out = self
        if self.follow_form is None:
            out = dataclasses.replace(out, follow_form=not from_music)
        if self.follow_sixteenths is None:
            out = dataclasses.replace(out, follow_sixteenths=not from_music)
        if self.alternate_start == "auto":
            out = dataclasses.replace(out, alternate_start=ALTERNATE_START if from_music else "none")
        if self.crash_guidance is None:
            out = dataclasses.replace(out, crash_guidance=CRASH_GUIDANCE if from_music else 0.0)
        if self.played_by_hand is None and info.get("grid") == "beats":
            out = dataclasses.replace(out, played_by_hand=True)
        if self.compound_meter is None:
            out = dataclasses.replace(out, compound_meter=compound_meters(info.get("meters", [])))
        return out

    def active_controls(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in CONTROL_TARGETS if getattr(self, name)}

    def validate(self, config: Config) -> None:
        if self.cutoff is not None and not 0.0 <= self.cutoff < 1.0:
            raise ConfigError(f"cutoff must be in [0, 1), got {self.cutoff}")
        if self.temperature is not None and self.temperature <= 0:
            raise ConfigError(f"temperature must be positive, got {self.temperature}")
        if not self.velocity_temperature > 0:
            raise ConfigError(f"velocity temperature must be positive, got {self.velocity_temperature}")
        if self.style not in config.styles:
            raise ConfigError(f"unknown style {self.style!r}; known: {', '.join(config.styles)}")
        for name, level in self.active_controls().items():
            if level not in CONTROL_LEVELS:
                raise ConfigError(f"{name} must be one of {CONTROL_LEVELS}, got {level!r}")
        if not isinstance(self.seed, numbers.Integral) or self.seed < 0:
            raise ConfigError(f"seed must be a whole number, 0 or more, got {self.seed!r}")
        if self.swing is not None and not -0.45 <= self.swing <= 0.45:
            raise ConfigError(f"swing is a fraction of a step, -0.45 to 0.45, got {self.swing}")
        if self.drafts < 1:
            raise ConfigError(f"drafts must be at least 1, got {self.drafts}")
        if self.draft_rounds < 1:
            raise ConfigError(f"draft rounds must be at least 1, got {self.draft_rounds}")
        if self.candidates < 1:
            raise ConfigError("candidates must be at least 1")
        if self.regrid not in ("auto", "off"):
            raise ConfigError(f"regrid must be auto or off, got {self.regrid!r}")
        if self.beats_per_bar is not None and not 1 <= self.beats_per_bar <= 16:
            raise ConfigError(f"beats per bar must be 1-16, got {self.beats_per_bar}")
        if self.feel not in FEELS:
            raise ConfigError(f"feel must be one of {FEELS}, got {self.feel!r}")


def settings_overrides(items: list[str], prefix: str = "") -> dict:
    """``NAME=VALUE`` strings (``--set`` of ``evaluate`` and the benchmarks) as :class:`GenerationSettings`
    fields: values as Python literals (``none``, ``true``, ``false`` too), else as words. A
    :class:`ConfigError` names an item whose NAME is not a field."""
    names = {f.name for f in dataclasses.fields(GenerationSettings)}
    out = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or name not in names:
            raise ConfigError(f"{prefix}{item}: expected NAME=VALUE with NAME a generation setting "
                              f"({', '.join(sorted(names))})")
        literal = {"none": "None", "true": "True", "false": "False"}.get(text.lower(), text)
        try:
            out[name] = ast.literal_eval(literal)
        except (ValueError, SyntaxError):
            out[name] = text  # a word, e.g. a style name
    return out
