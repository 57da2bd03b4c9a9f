"""Choosing among sampled takes of a bar: the user's controls and following the song.

:func:`score_candidates` scores takes by likelihood and closeness to the control targets;
:func:`follow_scores` by how they follow the song's density, fills, repeats and sixteenths
(:func:`sixteenths_target`).
"""

from __future__ import annotations

import numpy as np

from ..analysis.drum_map import CRASH_CLASSES, TIMEKEEPING_CLASSES, TIMEKEEPING_ONSETS, TOMS
from ..analysis.features import step_in_bar
from .settings import CONTROL_TARGETS


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


def bar_measures(hits: np.ndarray, previous: np.ndarray | None, steps_per_beat: int,
                 step_in_bar: np.ndarray) -> dict[str, np.ndarray]:
    """Measures of candidate bars ``hits`` (k, L, C) used by the controls."""
    from ..analysis.drum_map import CYMBAL_CLASSES

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


def follow_scores(hits: np.ndarray, expected: np.ndarray, relative_density: float, fill_bar: bool,
                  previous_bar: np.ndarray | None, reference_bar: np.ndarray | None = None,
                  density: bool = True, steadiness: bool = True, groove: bool = True,
                  density_exponent: float | None = None, odd_target: float | None = None,
                  fill_weight: float | None = None, keep_weight: float | None = None,
                  crash: bool | None = None) -> np.ndarray:
    """How well each candidate bar ``hits`` (k, L, C) follows the song (higher is better).

    * density: the bar's hits against the model's own expectation (mean over candidates of the
      expected hits, untempered) scaled by how busy the song is in this bar relative to the song's
      average bar (``relative_density ** density_exponent``, :data:`FOLLOW_DENSITY_EXPONENT` unless
      given; by default 0: the model's own expectation, which reads the song's density already);
    * fills: in the bar before a section start (``fill_bar``), bars that change more from the
      previous bar (1 - Jaccard) score higher, as human drummers play fills there (``fill_weight``,
      :data:`FOLLOW_FILL_WEIGHT` unless given); elsewhere a pull toward the previous bar keeps the groove
      steady between the fills (``steadiness``, ``keep_weight``, :data:`FOLLOW_KEEP_WEIGHT` unless given);
    * repeats: where the music repeats an earlier bar, similarity to the drums played there
      (``reference_bar``) scores higher (``steadiness``);
    * groove: outside the fill bars, a bar with a time-keeping line (one of
      :data:`~neuraldrummer.analysis.drum_map.TIMEKEEPING_CLASSES` at least
      :data:`TIMEKEEPING_ONSETS` times) scores higher and the share of its hits on toms lower: toms
      belong in fills (``groove``);
    * sixteenths: with an ``odd_target`` (:func:`sixteenths_target`), a bar whose share of onsets on
      the odd 16ths is further from it than :data:`ODD_TOLERANCE` scores lower;
    * crash: in a bar that starts a section, ``crash`` True or False (:func:`crashes_drawn`): a bar with a
      crash, splash or China on its first two steps or without one scores lower by :data:`FOLLOW_CRASH_WEIGHT`
      when it is not what was drawn (None: either).

    A user's ``density``/``cymbals`` control replaces the density term, a ``repetition`` control
    or a loop to follow replaces the steadiness terms.
    """
    n = hits.sum(axis=(1, 2)).astype(np.float64)
    exponent = FOLLOW_DENSITY_EXPONENT if density_exponent is None else density_exponent
    target = float(np.mean(expected)) * max(relative_density, 0.0) ** exponent
    score = np.zeros(n.shape)
    if density:
        score = score - FOLLOW_DENSITY_WEIGHT * np.abs(np.log((n + 1.0) / (target + 1.0)))
    if previous_bar is not None and previous_bar.shape == hits.shape[1:]:
        change = 1.0 - _jaccard(hits, previous_bar, empty=1.0)
        if fill_bar:
            score = score + (FOLLOW_FILL_WEIGHT if fill_weight is None else fill_weight) * change
        elif steadiness:
            score = score - (FOLLOW_KEEP_WEIGHT if keep_weight is None else keep_weight) * change
    if groove and not fill_bar:
        line = (hits[:, :, list(TIMEKEEPING_CLASSES)].sum(axis=1) >= TIMEKEEPING_ONSETS).any(axis=1)
        toms = hits[:, :, list(TOMS)].sum(axis=(1, 2)) / np.maximum(n, 1.0)
        score = score + FOLLOW_LINE_WEIGHT * line - FOLLOW_TOM_WEIGHT * toms
    if odd_target is not None:
        odd = hits[:, 1::2].sum(axis=(1, 2))  # the odd steps of a 16th grid: bars start on a beat
        miss = np.abs(odd / np.maximum(n, 1.0) - odd_target)
        score = score - FOLLOW_ODD_WEIGHT * np.maximum(miss - ODD_TOLERANCE, 0.0)
    if crash is not None:
        has = hits[:, :2][:, :, [c for c in CRASH_CLASSES if c < hits.shape[2]]].any(axis=(1, 2))
        score = score - FOLLOW_CRASH_WEIGHT * (has != bool(crash))
    if (steadiness and reference_bar is not None and reference_bar.shape == hits.shape[1:] and reference_bar.any()
            and not fill_bar):
        score = score + FOLLOW_REPEAT_WEIGHT * _jaccard(hits, reference_bar, empty=0.0)
    return score


def fills_drawn(pre_section: np.ndarray, novelty: np.ndarray, bar_starts: np.ndarray, share: float,
                seed: int) -> np.ndarray:
    """``(T,)`` bool: of the steps of the bars before a section start (``pre_section``), those of the bars that
    get a fill when a drummer fills before about ``share`` of the section starts: each drawn with probability
    ``share`` x (0.8 + 0.4 x the rank of its section start's ``novelty`` among the song's, 0 to 1), as the
    drummers of the 16th corpus fill more before the bigger changes (a change of more than 0.3 from the bar
    before: 0.37 of the lowest quarter of a song's section starts, 0.48 of the highest; docs/history.md "Fills,
    steadiness and crashes"). ``bar_starts`` are the bars' first steps and the song's length."""
    out = np.asarray(pre_section, bool).copy()
    bars = [(int(a), int(e)) for a, e in zip(bar_starts[:-1], bar_starts[1:]) if out[a]]
    if not bars:
        return out
    strength = np.array([novelty[min(e, len(novelty) - 1)] for _, e in bars])
    drawn = _drawn_by_novelty(strength, share, np.random.default_rng(seed))
    for (a, e), fill in zip(bars, drawn):
        out[a:e] = fill
    return out


def crashes_drawn(section_start: np.ndarray, novelty: np.ndarray, bar_starts: np.ndarray, share: float,
                  seed: int) -> dict[int, bool]:
    """Of the bars that start a section (``section_start``, ``(T,)``; not the song's first bar), whether each
    opens with a crash, keyed by its first step: drawn with probability ``share`` x (0.8 + 0.4 x the rank of
    its ``novelty`` among the song's section starts, 0 to 1), as drummers crash more on the bigger changes.
    ``bar_starts`` are the bars' first steps and the song's length. The draw is the seed's own, apart from
    :func:`fills_drawn`'s."""
    firsts = [int(a) for a in bar_starts[1:-1] if section_start[int(a)]]
    if not firsts:
        return {}
    drawn = _drawn_by_novelty(np.array([novelty[a] for a in firsts]), share, np.random.default_rng([seed, 1]))
    return dict(zip(firsts, drawn.tolist()))


def _drawn_by_novelty(strength: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """``(n,)`` bool: each of ``n`` section starts drawn with probability ``share`` x (0.8 + 0.4 x the rank of its
    ``strength`` among them, 0 to 1), so that about ``share`` of them are, more of the bigger changes."""
    rank = strength.argsort().argsort() / max(len(strength) - 1, 1)
    return rng.random(len(strength)) < np.clip(share * (0.8 + 0.4 * rank), 0.0, 1.0)


def odd_steps(features: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """``(T,)`` bool: the steps an odd number of steps into their bar (on a 16th grid the odd 16ths,
    as :func:`follow_scores` and the evaluation count them)."""
    return step_in_bar(features, names) % 2 == 1


def song_odd_sixteenths(features: np.ndarray, names: tuple[str, ...], steps_per_beat: int) -> float | None:
    """Share of the steps where the song's pitched parts play that are odd 16ths (the "e" and "a" of a
    beat). None but on a 16th grid (:func:`follow_scores` counts the odd steps of a bar), or where the
    song plays nowhere."""
    if steps_per_beat != 4 or "downbeat" not in names or not features.shape[0]:
        return None
    odd = odd_steps(features, names)
    plays = features[:, names.index("intensity")] > 0
    return float((plays & odd).sum() / plays.sum()) if plays.any() else None


def sixteenths_target(features: np.ndarray, names: tuple[str, ...], steps_per_beat: int) -> float | None:
    """The share of the drums' onsets on the odd 16ths that the song asks for: :data:`ODD_SIXTEENTHS_INTERCEPT`
    plus :data:`ODD_SIXTEENTHS_SLOPE` times :func:`song_odd_sixteenths` (None where that is None)."""
    share = song_odd_sixteenths(features, names, steps_per_beat)
    return None if share is None else ODD_SIXTEENTHS_INTERCEPT + ODD_SIXTEENTHS_SLOPE * share


def _jaccard(bars: np.ndarray, other: np.ndarray, empty: float) -> np.ndarray:
    """Jaccard similarity of each of ``bars`` (k, L, C) with ``other`` (L, C); ``empty`` when both are silent."""
    inter = (bars & other[None]).sum(axis=(1, 2))
    union = (bars | other[None]).sum(axis=(1, 2))
    return np.where(union > 0, inter / np.maximum(union, 1), empty)


#: Weights of :func:`follow_scores` (per unit of log density ratio, per unit of change in a fill
#: bar, per unit of change elsewhere).
FOLLOW_DENSITY_WEIGHT = 2.0
#: how closely the density target follows the song's: the exponent of the bar's density relative to
#: the song's average bar (0: the model's own expectation in every bar, which reads the song already).
#: At 0.7 (until 2026-12-06) a busy stretch ratcheted: each bar kept the take busier than the model
#: expected, the model then expected more, and a song's drums grew to 60-70 hits a bar of toms and
#: shakers; on the validation songs the drums' density followed the song's at a correlation of 0.67
#: (human 0.36). At 0 with the whole-song drafts: 0.38 (README "Whole-song drafts")
FOLLOW_DENSITY_EXPONENT = 0.0
FOLLOW_FILL_WEIGHT = 6.0
FOLLOW_KEEP_WEIGHT = 0.5
#: ... and per unit of similarity to the drums of the bar whose music this bar repeats
FOLLOW_REPEAT_WEIGHT = 2.0
#: ... per bar with a time-keeping line, and per unit of the share of a bar's hits on toms (outside fills)
FOLLOW_LINE_WEIGHT = 1.0
FOLLOW_TOM_WEIGHT = 1.0
#: ... per unit of distance of a bar's share of onsets on the odd 16ths from the song's target. The
#: drawn drums alone put 16ths in other songs than the human drummers did (per song 0.12 from theirs
#: on the validation songs, about as far as their own mean share for every song, 0.13); README "Sixteenths"
FOLLOW_ODD_WEIGHT = 2.0
#: the human drums' share of onsets on the odd 16ths against the song's (of the steps where its pitched
#: parts play): share = INTERCEPT + SLOPE x song's, the least-squares line over the 10,129 training songs of
#: the 16th corpus (correlation 0.68; on the corpus's validation songs 0.087 from the drums' share, a constant
#: 0.133), ``python scripts/fit_sixteenths.py`` (report: ``reports/fit_sixteenths.json``)
ODD_SIXTEENTHS_SLOPE = 0.605
ODD_SIXTEENTHS_INTERCEPT = 0.019
#: a take's share within this of the target is not held against it: with none, under a song all in eighths
#: (target 0.019) a take's one ghost note on an odd 16th counted against it, and the demo song's bars with a
#: back beat fell from 0.76 to 0.56 (10 seeds, a scratch count); with 0.05, 0.75
ODD_TOLERANCE = 0.05
#: ... when a section start's take has a crash on its downbeat where none was drawn, or none where one was
FOLLOW_CRASH_WEIGHT = 2.0
#: strength of the steadiness pull where no song plays (continuing a groove alone); the take is
#: then drawn with probability softmax(score) rather than chosen
NO_SONG_STEADINESS = 10.0
#: the shares of the bars that a drummer plays exactly as the bar before (first) or as the bar two before (second,
#: where not as the bar before), by where the bar is: between the fills ("groove"), just before a section start, or
#: starting one. Over the training songs of the 16th corpus, bars with drums in them and in the bar before: 0.333
#: and 0.200 of 734,280 groove bars, 0.269 and 0.149 before a section start, 0.230 and 0.133 on one (``python
#: scripts/fit_replays.py CORPUS``, report ``reports/fit_replays.json``). The drawn drums alone played 0.097 and
#: 0.048 of the validation songs' groove bars again, none of the others (a scratch count)
REPLAY_SHARES = {"groove": (0.333, 0.200), "before_section": (0.269, 0.149), "section_start": (0.230, 0.133)}
#: ... and after a bar that opens with a crash, splash or China (on its first two steps), wherever the bar is: 0.149
#: and 0.177 of 178,155 such bars (same script). The same shares as elsewhere had the drums crash on 0.54 of the
#: downbeats after a crash between the fills (the drummers 0.44; a scratch count on the validation songs)
REPLAY_SHARES_AFTER_CRASH = (0.149, 0.177)
#: a bar played again whose drums are less alike than this (Jaccard) to the drums of the bar whose music the bar
#: repeats (:mod:`neuraldrummer.analysis.structure`) plays that bar's drums instead
REPLAY_KEEPS_REFERENCE = 0.5
