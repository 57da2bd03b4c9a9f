"""Compound meters found in the music: a beat that divides in three.

A song in 12/8 or 6/8, or with a triplet feel, played by hand is often found at its dotted-quarter pulse, the
beat a listener taps. Its eighths then fall on the thirds of that beat, where a grid of 16ths has no step: drums
written there land between the music's notes. Such a song gets the grid a file in 12/8 has: the beat found cut in
three eighths, two eighths a grid beat (a quarter note), four of the beats found a bar (twelve eighths, six grid
beats; a song in 6/8 gets two of its bars in one, with the same groove). In a scratch count on the compound songs
of the validation and test splits re-saved without their click, the two found at their dotted quarter had their
drummer's onsets on 0.52 and 0.61 of the 16ths of that grid; on this one, see README ("Songs in 12/8 and 6/8").
"""

from __future__ import annotations

import numpy as np

from .beat import position_in_beat

#: an onset is on a third of the beat, or on a quarter of it, within this share of the beat
THIRD_WINDOW = 1 / 24
#: the beat divides in three where at least this share of the onsets are on its thirds ...
MIN_THIRDS_SHARE = 0.15
#: ... at least this share on each of the two (triplets; a swing puts its off-beats on the second third and
#: seldom a note on the first: a song in 6/8 whose 16ths swing had 0.28 and 0.05 of its onsets there) ...
MIN_EACH_THIRD = 0.1
#: ... and those on its quarters (1/4, 1/2, 3/4) at most this many times as many
MAX_QUARTERS_RATIO = 0.25
#: the beats found (dotted quarters) in a bar of 12/8
DOTTED_PER_BAR = 4
#: the time signature written for such a bar
COMPOUND_METER = (12, 8)


def divides_in_three(beats: np.ndarray, onsets: np.ndarray) -> bool:
    """Do the ``onsets`` divide the ``beats`` (seconds) in three: many on the beats' thirds (both of them), few on
    their quarters? The eighths of 12/8 or 6/8 found at the dotted quarter, or a triplet feel."""
    beats, onsets = np.asarray(beats, np.float64), np.asarray(onsets, np.float64)
    inside = onsets[(onsets >= beats[0]) & (onsets < beats[-1])] if beats.size >= 2 else onsets[:0]
    if inside.size == 0:
        return False
    frac = position_in_beat(beats, inside)

    def share(*points: float) -> float:
        return float(np.mean(np.min(np.abs(frac[:, None] - np.array(points)[None, :]), axis=1) < THIRD_WINDOW))

    first, second = share(1 / 3), share(2 / 3)
    thirds = first + second
    return (thirds >= MIN_THIRDS_SHARE and min(first, second) >= MIN_EACH_THIRD
            and share(0.25, 0.5, 0.75) <= MAX_QUARTERS_RATIO * thirds)


def compound_beats(beats: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The grid beats (quarter notes) and their positions in the bar, from dotted-quarter ``beats`` (seconds) and
    their ``positions`` in bars of :data:`DOTTED_PER_BAR`: each beat cut in three eighths, and of the eighths of a
    bar, counted from its downbeat, every other one a grid beat. A bar cut short (an odd number of eighths) ends on
    a grid beat one eighth long."""
    beats, positions = np.asarray(beats, np.float64), np.asarray(positions, np.int64)
    if beats.size < 2:
        return beats, positions
    eighths = (beats[:-1, None] + np.diff(beats)[:, None] * (np.arange(3) / 3.0)[None, :]).ravel()
    eighths = np.append(eighths, beats[-1])
    in_bar = np.append((3 * positions[:-1, None] + np.arange(3)[None, :]).ravel(), 3 * positions[-1])
    keep = in_bar % 2 == 0
    return eighths[keep], in_bar[keep] // 2
