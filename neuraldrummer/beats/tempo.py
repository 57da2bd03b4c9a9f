"""The steady tempo of a song's onsets: the 16th-note period and phase that line them up best.

Used for music played to a click whose file says another tempo (:func:`estimate_tempo`), and by
:mod:`.beat` for the phase of onsets on a known period (:func:`modal_phase`).
"""

from __future__ import annotations

import numpy as np


def circular_fit(times: np.ndarray, weights: np.ndarray, periods: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Resultant length (0-1) and phase (in the units of ``times``, in ``[0, period)``) of ``times`` on each period."""
    out_r = np.zeros(periods.size)
    out_phase = np.zeros(periods.size)
    total = weights.sum()
    for a in range(0, periods.size, 256):  # chunks keep memory small
        p = periods[a:a + 256]
        angle = 2 * np.pi * times[None, :] / p[:, None]
        z = (weights[None, :] * np.exp(1j * angle)).sum(axis=1) / max(total, 1e-9)
        out_r[a:a + 256] = np.abs(z)
        out_phase[a:a + 256] = (np.angle(z) / (2 * np.pi)) % 1.0 * p
    return out_r, out_phase


#: :func:`modal_phase`: the onsets' concentration around each candidate phase (von Mises, about 0.04 of a
#: period wide) ...
MODE_KAPPA = 20.0
#: ... and the share of a period around the mode whose onsets' mean gives the phase
MODE_WITHIN = 0.12


def modal_phase(times: np.ndarray, weights: np.ndarray, period: float, candidates: int = 64) -> float:
    """The phase (in ``[0, period)``) of a grid of ``period`` on which most of the onsets' weight sits: the
    densest phase, then the weighted mean offset of the onsets within :data:`MODE_WITHIN` of it.
    :func:`circular_fit`'s phase is the mean of every onset's, so a song whose notes also fall on another
    subdivision (triplets, a shuffle's late eighths, a third of a 16th either side) pulls it off the notes
    that sit on the grid."""
    times, weights = np.asarray(times, np.float64), np.asarray(weights, np.float64)
    if times.size == 0:
        return 0.0
    frac = (times / period) % 1.0
    grid = np.arange(candidates) / candidates
    density = np.zeros(candidates)
    for a in range(0, frac.size, 4096):  # chunks keep memory small
        f, w = frac[a:a + 4096], weights[a:a + 4096]
        near = np.exp(MODE_KAPPA * (np.cos(2 * np.pi * (f[None, :] - grid[:, None])) - 1))
        density += (w[None, :] * near).sum(1)
    mode = float(grid[int(np.argmax(density))])
    off = frac - mode
    off -= np.round(off)
    near = np.abs(off) <= MODE_WITHIN
    if near.any() and weights[near].sum() > 0:
        mode += float(np.average(off[near], weights=weights[near]))
    return (mode % 1.0) * period


#: seconds of music in each window of the coarse tempo search (:func:`estimate_tempo`) ...
TEMPO_WINDOW = 40.0
#: ... and at most this many windows, spread over the song
TEMPO_WINDOWS = 6


def _peaks(r: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` highest local maxima of ``r``."""
    inner = np.nonzero((r[1:-1] >= r[:-2]) & (r[1:-1] >= r[2:]))[0] + 1
    inner = np.concatenate([inner, [int(np.argmax(r))]])
    return np.unique(inner[np.argsort(r[inner])[::-1][:count]])


def estimate_tempo(onsets: np.ndarray, weights: np.ndarray | None = None,
                   qpm_range: tuple[float, float] = (78.0, 162.0)) -> tuple[float, float]:
    """Estimate a constant tempo and 16th-note phase from onset times (seconds).

    The 16th-note period that lines the onsets up best (largest circular resultant) is searched
    coarsely, one tempo octave wide (so 8th-note and 16th-note music are not confused with double
    time), in up to :data:`TEMPO_WINDOWS` windows of :data:`TEMPO_WINDOW` seconds spread over the
    song (a free intro or a bridge in another feel does not decide it alone). The best peaks of each
    window are refined on every onset, and the one that lines up all of the song's onsets best wins.

    Returns
    -------
    (qpm, phase)
        Quarter notes per minute, and the time (s) of one 16th-note grid line.
    """
    onsets = np.asarray(onsets, np.float64)
    weights = np.ones_like(onsets) if weights is None else np.asarray(weights, np.float64)
    if onsets.size < 8:
        return 120.0, 0.0
    lo, hi = qpm_range
    coarse = np.exp(np.arange(np.log(lo), np.log(hi), 0.002))
    first, last = float(onsets.min()), float(onsets.max())
    count = int(np.clip(np.ceil((last - first) / TEMPO_WINDOW), 1, TEMPO_WINDOWS))
    seeds = []
    for start in np.linspace(first, max(first, last - TEMPO_WINDOW), count):
        inside = (onsets >= start) & (onsets < start + TEMPO_WINDOW)
        if inside.sum() < 8:
            continue
        r, _ = circular_fit(onsets[inside], weights[inside], 15.0 / coarse)
        seeds.extend(coarse[_peaks(r, 2)].tolist())
    seeds = np.unique(np.round(seeds, 3)) if seeds else np.array([120.0])
    # one round on every onset for each seed, then the best few refined further
    results = []
    for seed in seeds:
        fine = seed * np.exp(np.linspace(-0.004, 0.004, 81))
        r, phase = circular_fit(onsets, weights, 15.0 / fine)
        k = int(np.argmax(r))
        results.append((float(r[k]), float(fine[k]), float(phase[k])))
    best_r, best, best_phase = max(results)
    for _, seed, _ in sorted(results, reverse=True)[:3]:
        span, qpm = 0.0002, seed
        for _ in range(2):  # narrowing around the seed's best tempo
            fine = qpm * np.exp(np.linspace(-span, span, 41))
            r, phase = circular_fit(onsets, weights, 15.0 / fine)
            k = int(np.argmax(r))
            if r[k] > best_r:
                best_r, best, best_phase = float(r[k]), float(fine[k]), float(phase[k])
            qpm = float(fine[k])
            span /= 10
    return best, best_phase
