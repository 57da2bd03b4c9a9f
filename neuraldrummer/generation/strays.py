"""Sounds that come and go as parts: the stray hits of a drawn part taken out.

A bar is drawn from one step's probabilities at a time, so now and then a sound that plays nowhere
near gets one hit: a lone cowbell, splash or ride bell in a bar, gone in the next. A drummer does not
play those; sounds enter and leave as parts (a tambourine for a chorus, the ride for a bridge).
"""

from __future__ import annotations

import numpy as np

from ..analysis.drum_map import KICK
from ..analysis.drums import DrumArrays, stray_onsets


def stray_hits(hits: np.ndarray, bar_starts: np.ndarray) -> np.ndarray:
    """``(T, C)`` bool: the stray ones of ``hits`` (:func:`neuraldrummer.analysis.drums.stray_onsets`, the
    evaluation's rule). ``bar_starts``: the first step of each bar and the number of steps at the end."""
    bar_of_step = np.repeat(np.arange(len(bar_starts) - 1), np.diff(bar_starts))
    steps, classes = np.nonzero(hits)
    lone = stray_onsets(bar_of_step[steps], classes, classes, len(bar_starts) - 1)
    stray = np.zeros(hits.shape, bool)
    stray[steps[lone], classes[lone]] = True
    return stray


def drop_strays(drums: DrumArrays, bar_starts: np.ndarray, spare: np.ndarray | None = None,
                keep: int = 0, until: int | None = None) -> DrumArrays:
    """``drums`` without their stray hits (:func:`stray_hits`) in steps ``keep..until`` (the drawn
    ones), except in bars whose first step ``spare`` marks (e.g. the bars before a section start,
    where a fill may end on one hit of a sound), except the kick (a lone kick marks a downbeat with the
    band in a sparse part: taking it out cost one of the 40 drumless songs its kicks on half of the
    downbeats, ``benchmarks/check_handplayed.py``), and except where a bar would be left without drums."""
    stray = stray_hits(drums.hits, bar_starts)
    stray[:, KICK] = False
    stray[:keep] = False
    if until is not None:
        stray[until:] = False
    for a, e in zip(bar_starts[:-1], bar_starts[1:]):
        if (spare is not None and spare[a]) or (stray[a:e].sum() == drums.hits[a:e].sum()):
            stray[a:e] = False
    if not stray.any():
        return drums
    return DrumArrays(drums.hits & ~stray, np.where(stray, 0, drums.velocity).astype(np.float32),
                      np.where(stray, 0, drums.offset).astype(np.float32))
