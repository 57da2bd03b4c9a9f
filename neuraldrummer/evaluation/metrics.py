"""Musical statistics of drum arrays on a song grid, and their distances.

All functions take ``hits`` ``(T, C)`` and the song's ``features`` ``(T, F)`` (the
``downbeat``, ``on_beat``, ``intensity`` and ``active`` columns give bars, beats and
what the song does), so they work on corpus arrays as well as on generated drums.

=========================  ======================================================
statistic                  definition
=========================  ======================================================
hits_per_bar               drum onsets per bar (all classes)
density[class]             onsets of one class per bar
bars_with_drums            share of bars where the song plays that have any hit
syncopation                share of onsets off the quarter-note beats
repetition                 mean Jaccard similarity of the hits of neighbouring
                           bars of equal length (1 = the same bar repeated)
backbeat                   share of snare onsets in 4/4 bars on beats 2 and 4
crash_on_section_start     share of section starts (see :func:`section_starts`)
                           with a crash on or next to the downbeat
density_intensity_corr     Pearson correlation of hits per bar and song intensity
                           per bar
=========================  ======================================================
"""

from __future__ import annotations

import numpy as np

from ..analysis.drum_map import (CLOSED_HAT, CRASH, NINE_CLASS_NAMES, OPEN_HAT, RIDE, SNARE, TIMEKEEPING_ONSETS,
                                 fold_to_nine)
from ..analysis.features import FEATURE_NAMES, bar_index


def bar_table(hits: np.ndarray, features: np.ndarray, names: tuple[str, ...] = FEATURE_NAMES) -> dict:
    """Per-bar aggregates used by the statistics."""
    bars = bar_index(features, names)
    n = int(bars[-1]) + 1
    count = np.zeros((n, hits.shape[1]))
    np.add.at(count, bars, hits.astype(np.float64))
    length = np.bincount(bars, minlength=n)
    active = np.bincount(bars, weights=features[:, names.index("active")], minlength=n) > 0
    intensity = np.bincount(bars, weights=features[:, names.index("intensity")], minlength=n) / np.maximum(length, 1)
    return {"bars": bars, "count": count, "length": length, "active": active, "intensity": intensity}


def section_starts(features: np.ndarray, names: tuple[str, ...] = FEATURE_NAMES, window: int = 4,
                   threshold: float = 0.12) -> np.ndarray:
    """Bars where a section plausibly starts: the first active bar, a bar after silence, or a
    jump in mean intensity/polyphony between the ``window`` bars before and after."""
    bars = bar_index(features, names)
    n = int(bars[-1]) + 1
    length = np.maximum(np.bincount(bars, minlength=n), 1)
    level = (np.bincount(bars, weights=features[:, names.index("intensity")], minlength=n)
             + np.bincount(bars, weights=features[:, names.index("polyphony")], minlength=n)) / length
    active = np.bincount(bars, weights=features[:, names.index("active")], minlength=n) > 0
    starts = []
    for b in range(n):
        if not active[b]:
            continue
        if b == 0 or not active[b - 1]:
            starts.append(b)
            continue
        if b >= window and b + window <= n:
            before, after = level[b - window:b].mean(), level[b:b + window].mean()
            if abs(after - before) > threshold and (not starts or b - starts[-1] >= window):
                starts.append(b)
    return np.array(starts, np.int64)


def song_statistics(hits: np.ndarray, features: np.ndarray, steps_per_beat: int,
                    names: tuple[str, ...] = FEATURE_NAMES) -> dict:
    """Musical statistics of one song's drums (see the module table). ``None`` where undefined.

    Full-kit hits are folded to the nine classes first (see :mod:`neuraldrummer.analysis.drum_map`)."""
    hits = fold_to_nine(np.asarray(hits) > 0.5)
    table = bar_table(hits, features, names)
    count, active, length = table["count"], table["active"], table["length"]
    per_bar = count.sum(axis=1)
    full = length == np.bincount(table["bars"]).max()  # bars of the song's usual length
    use = active & full if (active & full).any() else active
    stats: dict = {}
    stats["hits_per_bar"] = float(per_bar[use].mean()) if use.any() else None
    for k, name in enumerate(NINE_CLASS_NAMES):
        stats[f"density_{name}"] = float(count[use, k].mean()) if use.any() else None
    cymbals = [CLOSED_HAT, OPEN_HAT, CRASH, RIDE]
    stats["cymbal_hits_per_bar"] = float(count[use][:, cymbals].sum(axis=1).mean()) if use.any() else None
    stats["bars_with_drums"] = float((per_bar[active] > 0).mean()) if active.any() else None
    onsets = hits.sum(axis=1)
    on_beat = features[:, names.index("on_beat")] > 0.5
    total = onsets.sum()
    stats["syncopation"] = float(onsets[~on_beat].sum() / total) if total else None
    # repetition: Jaccard similarity of neighbouring bars of equal length
    bars = table["bars"]
    starts = np.concatenate([[0], np.nonzero(np.diff(bars))[0] + 1])
    ends = np.append(starts[1:], len(hits))
    sims = []
    for k in range(len(starts) - 1):
        x, y = hits[starts[k]:ends[k]], hits[starts[k + 1]:ends[k + 1]]
        if x.shape != y.shape:
            continue
        union = (x | y).sum()
        if union:
            sims.append((x & y).sum() / union)
    stats["repetition"] = float(np.mean(sims)) if sims else None
    # backbeat: snare on beats 2 and 4 of 4/4 bars
    bar_len = 4 * steps_per_beat
    in_bar = np.arange(len(hits)) - starts[bars]
    four_four = length[bars] == bar_len
    snare = hits[:, SNARE] & four_four
    back = np.isin(in_bar, (steps_per_beat, 3 * steps_per_beat))
    stats["backbeat"] = float((snare & back).sum() / snare.sum()) if snare.sum() else None
    sections = section_starts(features, names)
    if sections.size:
        hit_crash = []
        for s in sections:
            a = starts[s]
            hit_crash.append(bool(hits[max(a - 1, 0):a + 2, CRASH].any()))
        stats["crash_on_section_start"] = float(np.mean(hit_crash))
    else:
        stats["crash_on_section_start"] = None
    x, y = per_bar[active], table["intensity"][active]
    stats["density_intensity_corr"] = (float(np.corrcoef(x, y)[0, 1])
                                       if active.sum() > 2 and x.std() > 0 and y.std() > 0 else None)
    return stats


def mean_statistics(per_song: list[dict]) -> dict:
    """Mean of each statistic over songs (ignoring ``None``)."""
    keys = per_song[0].keys() if per_song else []
    out = {}
    for k in keys:
        vals = [s[k] for s in per_song if s.get(k) is not None]
        out[k] = float(np.mean(vals)) if vals else None
    return out


#: Statistics compared by :func:`stats_distance`.
DISTANCE_STATS = ("hits_per_bar", "cymbal_hits_per_bar", "syncopation", "repetition", "backbeat",
                  "density_kick", "density_snare", "bars_with_drums", "density_intensity_corr")


def overlap_distance(a: list[float], b: list[float], bins: int = 20) -> float | None:
    """One minus the overlapping area of two normalised histograms (Yang & Lerch 2018)."""
    a = np.asarray([x for x in a if x is not None], np.float64)
    b = np.asarray([x for x in b if x is not None], np.float64)
    if a.size == 0 or b.size == 0:
        return None
    lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
    if hi - lo < 1e-12:
        return 0.0
    edges = np.linspace(lo, hi, bins + 1)
    ha = np.histogram(a, edges)[0] / a.size
    hb = np.histogram(b, edges)[0] / b.size
    return float(1.0 - np.minimum(ha, hb).sum())


def stats_distance(system: list[dict], human: list[dict], keys: tuple[str, ...] = DISTANCE_STATS) -> float | None:
    """Mean overlap distance over statistics of per-song distributions (0 = identical)."""
    dists = [overlap_distance([s.get(k) for s in system], [h.get(k) for h in human]) for k in keys]
    dists = [d for d in dists if d is not None]
    return float(np.mean(dists)) if dists else None


def bits_per_step(hits: np.ndarray, logits: np.ndarray, classes: list[int] | None = None) -> float:
    """Mean over steps of the hit cross-entropy in bits, summed over classes."""
    classes = list(range(hits.shape[1])) if classes is None else list(classes)
    y, z = hits[:, classes].astype(np.float64), logits[:, classes].astype(np.float64)
    nats = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    return float(nats.sum(axis=1).mean() / np.log(2))


def f1_counts(hits: np.ndarray, predicted: np.ndarray) -> tuple[int, int, int]:
    """True positives, false positives, false negatives."""
    y, p = hits > 0.5, predicted > 0.5
    return int((y & p).sum()), int((~y & p).sum()), int((y & ~p).sum())


def micro_f1(tp: int, fp: int, fn: int) -> float:
    return float(2 * tp / max(2 * tp + fp + fn, 1))


# --- does the drummer follow the song? (issue 10's measures) -----------------------------

#: Measures of :func:`follow_measures`, in report order.
FOLLOW_MEASURES = ("crash_on_section_start", "fill_ratio", "repeat_similarity", "density_correlation",
                   "distinct_pitches", "odd_sixteenth_share", "off_grid_share", "hits_per_bar",
                   "timekeeping_share", "stray_hit_share", "velocity_levels", "velocity_sd")

#: a drum sound counts in the velocity measures where it has at least this many onsets
VELOCITY_MIN_ONSETS = 8


def follow_measures(grid16, form, times: np.ndarray, pitches: np.ndarray,
                    velocities: np.ndarray | None = None) -> dict:
    """How a drum part follows its song, measured on the song's 16th grid.

    Parameters
    ----------
    grid16
        The song's grid with ``steps_per_beat=4``.
    form
        :class:`~neuraldrummer.analysis.structure.SongForm` of the song's pitched parts on ``grid16``.
    times, pitches
        The drum onsets (seconds) and their General MIDI pitches.

    Returns a dict of :data:`FOLLOW_MEASURES` (``None`` where undefined):

    * ``crash_on_section_start``: share of section starts (after the first bar) with a crash,
      splash or China within one 16th of the downbeat;
    * ``fill_ratio``: mean drum change (1 - Jaccard of the (position, pitch) onsets of a bar
      and the bar before it) of the bars just before a section start, over that of the others;
    * ``repeat_similarity``: mean Jaccard of the drums of bars whose music repeats (a reference
      bar at least four bars earlier, see :mod:`neuraldrummer.analysis.structure`);
    * ``density_correlation``: Pearson correlation, across active bars, of drum onsets and
      pitched onsets;
    * ``distinct_pitches``: distinct drum pitches used;
    * ``odd_sixteenth_share``: share of onsets nearest an odd 16th (the "e" and "a" of a beat);
    * ``off_grid_share``: share of onsets further than 1/8 of a 16th from the grid;
    * ``hits_per_bar``: onsets per active bar;
    * ``timekeeping_share``: share of active bars with a time-keeping line: one hat, ride,
      tambourine or shaker pitch (:data:`~neuraldrummer.analysis.drum_map.TIMEKEEPING_CLASSES`) with at
      least :data:`TIMEKEEPING_ONSETS` onsets in the bar;
    * ``stray_hit_share``: share of onsets that are stray hits: the only onset of their pitch in
      their bar, that pitch absent from the bars before and after (crashes, splashes and Chinas
      excepted: they mark a bar on their own);
    * ``velocity_levels`` and ``velocity_sd`` (with ``velocities``, MIDI 1-127): the median over drum
      sounds with at least :data:`VELOCITY_MIN_ONSETS` onsets of their distinct velocities and of
      their velocities' standard deviation (a sequenced part has a few fixed levels, a played one a
      spread with accents and ghost notes).
    """
    from ..analysis.drum_map import CANONICAL_PITCHES, CRASH_CLASSES, PITCH_TO_CLASS
    from ..beats.grid import OFF_GRID_TOLERANCE, sixteenth_offsets

    times = np.asarray(times, np.float64)
    pitches = np.asarray(pitches, np.int64)
    B = grid16.num_bars
    out: dict = {k: None for k in FOLLOW_MEASURES}
    active = np.asarray(form.active, bool)
    if times.size == 0 or B == 0:
        out["hits_per_bar"] = 0.0 if active.any() else None
        out["distinct_pitches"] = 0
        return out
    step, _ = grid16.nearest_step(times)
    bar = grid16.bar[step]
    pos = grid16.step_in_bar[step].astype(np.int64)
    offsets = sixteenth_offsets(grid16, times)
    out["distinct_pitches"] = int(np.unique(pitches).size)
    out["odd_sixteenth_share"] = float(((grid16.step_in_bar[step] % 2) == 1).mean())
    out["off_grid_share"] = float((np.abs(offsets) > OFF_GRID_TOLERANCE).mean())
    per_bar = np.bincount(bar, minlength=B).astype(np.float64)
    out["hits_per_bar"] = float(per_bar[active].mean()) if active.any() else None
    out.update(_lines_and_strays(bar, pitches, active, B))
    if velocities is not None:
        out.update(_velocity_levels(pitches, np.asarray(velocities, np.int64)))
    if active.sum() > 2 and per_bar[active].std() > 0 and form.onsets[active].std() > 0:
        out["density_correlation"] = float(np.corrcoef(per_bar[active], form.onsets[active])[0, 1])
    klass = PITCH_TO_CLASS[np.clip(pitches, 0, 127)]
    crash_pitches = {CANONICAL_PITCHES[c] for c in CRASH_CLASSES} | {p for p in range(128)
                                                                      if PITCH_TO_CLASS[p] in CRASH_CLASSES}
    is_crash = np.isin(pitches, sorted(crash_pitches))
    # bar patterns as sets of (position, class) cells
    cells = [set() for _ in range(B)]
    for b, p, k in zip(bar.tolist(), pos.tolist(), klass.tolist()):
        cells[b].add((p, k))

    def jaccard(x: set, y: set) -> float | None:
        union = len(x | y)
        return None if union == 0 else len(x & y) / union

    starts = [b for b in np.nonzero(form.section_start)[0].tolist() if b > 0]
    if starts:
        hit = []
        for b in starts:
            a = int(grid16.bar_starts[b])
            near = np.abs(step - a) <= 1
            hit.append(bool((near & is_crash).any()))
        out["crash_on_section_start"] = float(np.mean(hit))
        change = np.full(B, np.nan)
        for b in range(1, B):
            if active[b] and active[b - 1]:
                j = jaccard(cells[b], cells[b - 1])
                change[b] = 0.0 if j is None else 1.0 - j
        before = [b - 1 for b in starts if b - 1 >= 1]
        mask = np.zeros(B, bool)
        mask[before] = True
        fill, other = change[mask], change[~mask]
        fill, other = fill[~np.isnan(fill)], other[~np.isnan(other)]
        if fill.size and other.size and other.mean() > 0:
            out["fill_ratio"] = float(fill.mean() / other.mean())
    sims = []
    for b in range(B):
        r = int(form.reference[b])
        if r >= 0:
            j = jaccard(cells[b], cells[r])
            if j is not None:
                sims.append(j)
    out["repeat_similarity"] = float(np.mean(sims)) if sims else None
    return out


def _lines_and_strays(bar: np.ndarray, pitches: np.ndarray, active: np.ndarray, B: int) -> dict:
    """``timekeeping_share`` and ``stray_hit_share`` of :func:`follow_measures`."""
    from ..analysis.drum_map import PITCH_TO_CLASS, TIMEKEEPING_CLASSES
    from ..analysis.drums import stray_onsets

    klass = PITCH_TO_CLASS[np.clip(pitches, 0, 127)]
    sounds, which = np.unique(pitches, return_inverse=True)
    count = np.zeros((B, sounds.size), np.int64)
    np.add.at(count, (bar, which), 1)
    keeps = np.isin(PITCH_TO_CLASS[np.clip(sounds, 0, 127)], TIMEKEEPING_CLASSES)
    line = (count[:, keeps] >= TIMEKEEPING_ONSETS).any(axis=1) if keeps.any() else np.zeros(B, bool)
    stray = stray_onsets(bar, pitches, klass, B)
    return {"timekeeping_share": float(line[active].mean()) if active.any() else None,
            "stray_hit_share": float(stray.mean()) if pitches.size else None}


def _velocity_levels(pitches: np.ndarray, velocities: np.ndarray) -> dict:
    """``velocity_levels`` and ``velocity_sd`` of :func:`follow_measures`."""
    levels, sds = [], []
    for p in np.unique(pitches):
        v = velocities[pitches == p]
        if v.size >= VELOCITY_MIN_ONSETS:
            levels.append(np.unique(v).size)
            sds.append(float(v.std()))
    return {"velocity_levels": float(np.median(levels)) if levels else None,
            "velocity_sd": float(np.median(sds)) if sds else None}


def median_ratio(system: list[float | None], human: list[float | None]) -> float | None:
    """Median over songs of system / human (songs where both are defined and human > 0)."""
    r = [s / h for s, h in zip(system, human) if s is not None and h not in (None, 0)]
    return float(np.median(r)) if r else None
