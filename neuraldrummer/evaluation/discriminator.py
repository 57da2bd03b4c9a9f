"""Can a classifier tell our drums from a human drummer's? A two-fold test by song.

Each drum part is cut into 4-bar segments on its song's 16th grid, and each segment described
by what a listener (or a classifier) hears first: how busy it is, which sounds it uses, how its
velocities spread within a sound and across the segment, how far its onsets sit from the grid,
how often it plays the odd 16ths, how much its bars repeat. A logistic regression on those
descriptions is trained on the segments of half the songs (human and ours from the same bars)
and tested on the other half, then the other way round; the accuracy of the held-out halves is
the share of segments it tells apart (0.5: it cannot).

This is the project's own stand-in for the classifier of issue 16 (on 4-bar segments of unseen
songs). The linear model is a lower bound on what a stronger one finds; :func:`boosted_accuracy` is
one: gradient-boosted trees (scikit-learn) on the same features and folds, which also see what lies in
a band (drums neither on the grid nor as loose as a drummer's, where the human parts are one or the
other).
"""

from __future__ import annotations

import numpy as np

from ..analysis.drum_map import CLASS_NAMES, PITCH_TO_CLASS

#: bars in a segment
SEGMENT_BARS = 4
#: offsets (16ths) are rounded to this many decimals: a human part read from MIDI ticks sits 1e-14 off its
#: grid where a drawn one sits at 0, a difference no listener hears that a tree would split on
OFFSET_DECIMALS = 4
#: gradient-boosted trees of :func:`boosted_accuracy`: rounds and learning rate
BOOSTED_ITERATIONS = 300
BOOSTED_LEARNING_RATE = 0.05
#: groups of drum classes whose share of a segment's onsets is a feature
GROUPS = {
    "kick": ("kick",), "snare": ("snare", "rimshot", "side_stick", "clap"),
    "hats": ("closed_hat", "open_hat", "pedal_hat"), "ride": ("ride", "ride_bell"),
    "toms": ("low_tom", "mid_tom", "high_tom"), "crash": ("crash", "splash", "china"),
}
FEATURES = ("log_onsets_per_bar", "distinct_sounds", "velocity_mean", "velocity_sd", "velocity_sd_within_sound",
            "velocity_levels_per_sound", "velocity_range", "offset_mean_abs", "offset_sd", "off_grid_share",
            "odd_sixteenth_share", "bar_repeat", "stacked_share") + tuple(f"share_{g}" for g in GROUPS) + \
           ("share_other",)


def _group_of_class() -> np.ndarray:
    out = np.full(len(CLASS_NAMES), len(GROUPS), np.int64)
    for g, names in enumerate(GROUPS.values()):
        for n in names:
            if n in CLASS_NAMES:
                out[CLASS_NAMES.index(n)] = g
    return out


def segment_features(grid16, times: np.ndarray, pitches: np.ndarray, velocities: np.ndarray) -> np.ndarray:
    """``(segments, len(FEATURES))``: one row per :data:`SEGMENT_BARS` bars with at least 8 onsets."""
    from ..beats.grid import OFF_GRID_TOLERANCE, sixteenth_offsets

    times, pitches = np.asarray(times, np.float64), np.asarray(pitches, np.int64)
    velocities = np.asarray(velocities, np.float64)
    if times.size == 0 or grid16.num_bars < SEGMENT_BARS:
        return np.zeros((0, len(FEATURES)))
    step, _ = grid16.nearest_step(times)
    bar = grid16.bar[step]
    offsets = np.round(sixteenth_offsets(grid16, times).astype(np.float64), OFFSET_DECIMALS)
    group = _group_of_class()[PITCH_TO_CLASS[np.clip(pitches, 0, 127)]]
    rows = []
    for b0 in range(0, grid16.num_bars - SEGMENT_BARS + 1, SEGMENT_BARS):
        sel = (bar >= b0) & (bar < b0 + SEGMENT_BARS)
        n = int(sel.sum())
        if n < 8:
            continue
        p, v, o, s, g = pitches[sel], velocities[sel], offsets[sel], step[sel], group[sel]
        within, levels = [], []
        for q in np.unique(p):
            vq = v[p == q]
            if vq.size >= 2:
                within.append(vq.std())
                levels.append(np.unique(vq).size)
        cells = [set(zip((s[bar[sel] == b] - grid16.bar_starts[b]).tolist(), p[bar[sel] == b].tolist()))
                 for b in range(b0, b0 + SEGMENT_BARS)]
        jac = [len(x & y) / len(x | y) for x, y in zip(cells[:-1], cells[1:]) if x | y]
        _, per_step = np.unique(s, return_counts=True)
        rows.append([np.log1p(n / SEGMENT_BARS), np.unique(p).size, v.mean(), v.std(),
                     np.mean(within) if within else 0.0, np.mean(levels) if levels else 1.0, np.ptp(v),
                     np.abs(o).mean(), o.std(), (np.abs(o) > OFF_GRID_TOLERANCE).mean(),
                     (grid16.step_in_bar[s] % 2 == 1).mean(), np.mean(jac) if jac else 0.0,
                     (per_step > 1).mean()] + (np.bincount(g, minlength=len(GROUPS) + 1) / n).tolist())
    return np.asarray(rows, np.float64).reshape(-1, len(FEATURES))


def _fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, iterations: int = 500) -> tuple:
    """Standardised L2 logistic regression by gradient descent: (mean, scale, weights, bias)."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / scale
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= 0.5 * (z.T @ (p - y) / y.size + l2 * w)
        b -= 0.5 * float((p - y).mean())
    return mean, scale, w, b


def _folds(human: list[np.ndarray], ours: list[np.ndarray]):
    """The two folds by song (even and odd songs): ``(x_train, y_train, x_test, y_test)`` each, 1 for ours;
    a fold without both kinds to train on or nothing to test is left out."""
    def stack(which):
        xs = [human[i] for i in which] + [ours[i] for i in which]
        ys = [np.zeros(len(human[i])) for i in which] + [np.ones(len(ours[i])) for i in which]
        return (np.concatenate(xs) if xs else np.zeros((0, len(FEATURES))),
                np.concatenate(ys) if ys else np.zeros(0))
    for k in (0, 1):
        test = np.arange(len(human)) % 2 == k
        x_tr, y_tr = stack(np.nonzero(~test)[0])
        x_te, y_te = stack(np.nonzero(test)[0])
        if y_tr.size < 10 or y_te.size == 0 or y_tr.min() == y_tr.max():
            continue
        yield x_tr, y_tr, x_te, y_te


def discriminator_accuracy(human: list[np.ndarray], ours: list[np.ndarray]) -> dict:
    """Held-out accuracy of telling ``ours`` from ``human`` (per song: :func:`segment_features` rows),
    two folds by song (even and odd songs); with the features that weigh most in the model."""
    correct, total = 0, 0
    weights = np.zeros(len(FEATURES))
    for x_tr, y_tr, x_te, y_te in _folds(human, ours):
        mean, scale, w, b = _fit_logistic(x_tr, y_tr)
        pred = ((x_te - mean) / scale) @ w + b > 0
        correct += int((pred == (y_te > 0.5)).sum())
        total += int(y_te.size)
        weights += np.abs(w)
    if not total:
        return {"accuracy": None, "segments": 0}
    top = [FEATURES[i] for i in np.argsort(-weights)[:5]]
    return {"accuracy": correct / total, "segments": total, "strongest_features": top}


def boosted_accuracy(human: list[np.ndarray], ours: list[np.ndarray], seed: int = 0) -> dict:
    """As :func:`discriminator_accuracy` with gradient-boosted trees (scikit-learn's
    ``HistGradientBoostingClassifier``, :data:`BOOSTED_ITERATIONS` rounds); the strongest features are
    those whose shuffling on the held-out half costs the most accuracy (permutation importance)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.inspection import permutation_importance

    correct, total = 0, 0
    importance = np.zeros(len(FEATURES))
    for x_tr, y_tr, x_te, y_te in _folds(human, ours):
        model = HistGradientBoostingClassifier(max_iter=BOOSTED_ITERATIONS, learning_rate=BOOSTED_LEARNING_RATE,
                                               early_stopping=False, random_state=seed).fit(x_tr, y_tr)
        correct += int((model.predict(x_te) == y_te).sum())
        total += int(y_te.size)
        importance += permutation_importance(model, x_te, y_te, n_repeats=3,
                                             random_state=seed).importances_mean * y_te.size
    if not total:
        return {"accuracy": None, "segments": 0}
    top = [FEATURES[i] for i in np.argsort(-importance)[:5]]
    return {"accuracy": correct / total, "segments": total, "strongest_features": top}
