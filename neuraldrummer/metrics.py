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

from .drum_map import CLASS_NAMES, CRASH, CYMBAL_CLASSES, SNARE
from .features import FEATURE_NAMES


def bar_index(features: np.ndarray, names: tuple[str, ...] = FEATURE_NAMES) -> np.ndarray:
    """``(T,)`` bar number of each step, from the downbeat column."""
    down = features[:, names.index("downbeat")] > 0.5
    down[0] = True
    return np.cumsum(down) - 1


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
    """Musical statistics of one song's drums (see the module table). ``None`` where undefined."""
    hits = np.asarray(hits) > 0.5
    table = bar_table(hits, features, names)
    count, active, length = table["count"], table["active"], table["length"]
    per_bar = count.sum(axis=1)
    full = length == np.bincount(table["bars"]).max()  # bars of the song's usual length
    use = active & full if (active & full).any() else active
    stats: dict = {}
    stats["hits_per_bar"] = float(per_bar[use].mean()) if use.any() else None
    for k, name in enumerate(CLASS_NAMES):
        stats[f"density_{name}"] = float(count[use, k].mean()) if use.any() else None
    stats["cymbal_hits_per_bar"] = float(count[use][:, list(CYMBAL_CLASSES)].sum(axis=1).mean()) if use.any() else None
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
