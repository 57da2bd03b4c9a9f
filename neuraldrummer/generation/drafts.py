"""Whole-song drafts: the drummer plays the song several times and the take that keeps a groove is kept.

A drummer's part is drawn bar by bar from the model's own history, and now and then a draw
wanders into a part no drummer would hold for a song: toms and shakers in sixteenths, a snare on
every beat, no kick on the bar. Once there, the model follows its own history and stays. Like a
producer choosing among a drummer's takes, :func:`groove_score` scores a drawn part on the song's
grid by what makes it a groove: the kick on the bar's first beat, the snare-like hits on the
back beats, a time-keeping line, toms kept for the fills, no one sound playing everything.
"""

from __future__ import annotations

import numpy as np

from ..analysis.drum_map import CLASS_NAMES, KICK, TIMEKEEPING_CLASSES, TIMEKEEPING_ONSETS, TOMS
from ..analysis.drums import DrumArrays
from ..analysis.features import bar_index, step_in_bar

#: the snare-like classes whose hits make the back beat
BACKBEAT_CLASSES: tuple[int, ...] = tuple(CLASS_NAMES.index(n) for n in ("snare", "side_stick", "clap"))
#: a part in which one sound plays more than this share of the hits is not a groove
TOP_SOUND_LIMIT = 0.7
#: ... and from this share on a part starts to lose for it
TOP_SOUND_EASY = 0.62
#: a drawn part keeps a groove (:func:`is_groove`) with a kick on at least this share of the bars' first
#: beats ...
GROOVE_KICK = 0.5
#: ... and at least this share of its snare-like hits on a beat on the back beats (with no one sound over
#: :data:`TOP_SOUND_LIMIT`): the thresholds of ``neuraldrummer.evaluation.groove`` for a groove in time
GROOVE_BACKBEAT = 0.6
#: ... played in at least this share of the bars outside the fills. A back beat of three snares in a song
#: is none: without this, a draft whose only snares were a few on back beats had a back beat of 1.0 and won
#: (song 024 of the drumless songs without the click, seed 0: three snares in 60 bars). Less counts
#: proportionally less in :func:`groove_score` (a verse on kick and hats, the back beat in the chorus)
GROOVE_BACKBEAT_BARS = 0.5


def groove_measures(drums: DrumArrays, features: np.ndarray, names: tuple[str, ...], keep: int = 0,
                    compound: bool = False) -> dict:
    """Measures of a drawn part on the song's grid, over the bars where the song plays (from step
    ``keep`` on): ``kick_on_downbeats`` (share of bars with a kick on the first step),
    ``backbeat`` (of the snare-like hits on a beat in bars of an even number of beats, the share on
    the back beats; 0 if there is none, 1 if no such bar plays), ``backbeat_bars`` (of those bars
    outside the fills, the share with a snare-like hit on a back beat; 1 if none plays), ``line`` (share
    of bars outside the fills with a time-keeping line), ``toms`` (share of the hits outside the fills on toms) and
    ``top_sound`` (share of all hits on the most used class). ``compound``: the bars are in 6/8 or 12/8, whose beats
    are dotted quarters (three eighths of the grid), the back beat on the second and the fourth."""
    hits = drums.hits[keep:]
    f = features[keep:]
    if len(f) == 0:
        return {"kick_on_downbeats": 0.0, "backbeat": 0.0, "line": 0.0, "toms": 0.0, "top_sound": 1.0}
    bar = bar_index(f, names)
    down = np.concatenate([[True], np.diff(bar) > 0])
    on_beat = f[:, names.index("on_beat")] > 0.5
    if compound and on_beat.sum() > 1:
        quarter = int(round(float(np.median(np.diff(np.flatnonzero(on_beat))))))
        on_beat = step_in_bar(f, names) % max(3 * quarter // 2, 1) == 0
    active = f[:, names.index("active")] > 0.5
    fill = f[:, names.index("pre_section")] > 0.5 if "pre_section" in names else np.zeros(len(f), bool)
    beats = np.cumsum(on_beat & ~down)  # the beat of the bar each step falls in: beats since its downbeat
    beat_in_bar = beats - beats[np.flatnonzero(down)[bar]]
    n_bars = int(bar[-1]) + 1
    beats_per_bar = np.zeros(max(n_bars, 1), np.int64)
    np.maximum.at(beats_per_bar, bar, beat_in_bar + 1)
    playing = np.zeros(max(n_bars, 1), bool)
    playing[bar[active]] = True
    fill_bar = np.zeros(max(n_bars, 1), bool)
    fill_bar[bar[fill]] = True

    first = down & playing[bar]
    kick_on_downbeats = float(hits[first, KICK].mean()) if first.any() else 1.0
    snare = hits[:, list(BACKBEAT_CLASSES)].any(axis=1) & on_beat & playing[bar]
    even_meter = beats_per_bar[bar] % 2 == 0
    counted = snare & even_meter
    groove_bars = playing & ~fill_bar
    if counted.any():
        backbeat = float((beat_in_bar[counted] % 2 == 1).mean())
    else:  # no snare-like hit on a beat: no back beat where the bars have one (even meters), else no matter
        backbeat = 0.0 if (even_meter & playing[bar]).any() else 1.0
    on_back = np.zeros(max(n_bars, 1), bool)
    on_back[bar[counted & (beat_in_bar % 2 == 1)]] = True
    even_bars = groove_bars & (beats_per_bar % 2 == 0)
    backbeat_bars = float(on_back[even_bars].mean()) if even_bars.any() else 1.0
    per_bar_line = np.zeros((max(n_bars, 1), len(TIMEKEEPING_CLASSES)), np.int64)
    np.add.at(per_bar_line, bar, hits[:, list(TIMEKEEPING_CLASSES)].astype(np.int64))
    has_line = (per_bar_line >= TIMEKEEPING_ONSETS).any(axis=1)
    line = float(has_line[groove_bars].mean()) if groove_bars.any() else 1.0
    outside = groove_bars[bar]
    n_out = hits[outside].sum()
    toms = float(hits[outside][:, list(TOMS)].sum() / n_out) if n_out else 0.0
    per_class = hits.sum(axis=0)
    top_sound = float(per_class.max() / per_class.sum()) if per_class.sum() else 1.0
    return {"kick_on_downbeats": kick_on_downbeats, "backbeat": backbeat, "backbeat_bars": backbeat_bars,
            "line": line, "toms": toms, "top_sound": top_sound}


def groove_score(drums: DrumArrays, features: np.ndarray, names: tuple[str, ...], keep: int = 0,
                 compound: bool = False) -> float:
    """How much a drawn part is a groove (higher is better): the shares of :func:`groove_measures`
    that a groove has high, less those it has low, and less up to one as the share of the most used
    sound rises from :data:`TOP_SOUND_EASY` to :data:`TOP_SOUND_LIMIT` (a hat line of eighths with a
    kick and a snare on two beats each is already 0.67). The back beat counts in proportion to the bars
    that play it, up to :data:`GROOVE_BACKBEAT_BARS`."""
    m = groove_measures(drums, features, names, keep, compound)
    crowded = min(max((m["top_sound"] - TOP_SOUND_EASY) / (TOP_SOUND_LIMIT - TOP_SOUND_EASY), 0.0), 1.0)
    backbeat = m["backbeat"] * min(m["backbeat_bars"] / GROOVE_BACKBEAT_BARS, 1.0)
    return m["kick_on_downbeats"] + backbeat + m["line"] - m["toms"] - crowded


def is_groove(drums: DrumArrays, features: np.ndarray, names: tuple[str, ...], keep: int = 0,
              compound: bool = False) -> bool:
    """Whether a drawn part keeps a groove: kick on the bar (:data:`GROOVE_KICK`), a back beat
    (:data:`GROOVE_BACKBEAT`, :data:`GROOVE_BACKBEAT_BARS`), no one sound playing everything
    (:data:`TOP_SOUND_LIMIT`)."""
    m = groove_measures(drums, features, names, keep, compound)
    return (m["kick_on_downbeats"] >= GROOVE_KICK and m["backbeat"] >= GROOVE_BACKBEAT
            and m["backbeat_bars"] >= GROOVE_BACKBEAT_BARS and m["top_sound"] <= TOP_SOUND_LIMIT)


def keep_best(parts: list[DrumArrays], features: np.ndarray, names: tuple[str, ...], keep: int = 0,
              compound: bool = False) -> DrumArrays:
    """The part of ``parts`` with the highest :func:`groove_score` (the first of equals). Give the parts as they
    will be written, without their stray hits: scored before, a draft whose only snares were two stray hits on
    back beats had a back beat of 1.0 and won over a draft with a real one, and was written with no snare at
    all (song 018 of the drumless songs as a recording, FluidR3, seed 0)."""
    if len(parts) == 1:
        return parts[0]
    return max(parts, key=lambda p: groove_score(p, features, names, keep, compound))
