"""Plots for notebooks and reports (the only module that imports matplotlib)."""

from __future__ import annotations

import numpy as np

from ..analysis.drum_map import CLASS_NAMES
from ..analysis.drums import DrumArrays
from ..analysis.features import FEATURE_NAMES


def plot_drum_roll(grid, features: np.ndarray, drums: DrumArrays, title: str = "", max_bars: int | None = None,
                   feature_names: tuple[str, ...] = FEATURE_NAMES, first_bar: int = 0,
                   highlight: tuple[int, int] | None = None, width: float = 12.0):
    """The drum roll under the song's intensity curve, with bar lines and the section starts
    found in the song (red, dashed) (time in seconds).

    Shows bars ``first_bar..first_bar + max_bars`` (from 0); ``highlight`` shades steps ``(a, b)``
    (e.g. bars drawn again); ``width`` is the figure's width in inches. Returns the matplotlib figure.
    """
    import matplotlib.pyplot as plt

    first_bar = int(min(max(first_bar, 0), grid.num_bars - 1))
    S = int(grid.bar_starts[first_bar])
    T = grid.num_steps
    if max_bars is not None and first_bar + max_bars < grid.num_bars:
        T = int(grid.bar_starts[first_bar + max_bars])
    features, drums = features[S:T], drums[S:T]
    T -= S
    t = grid.starts[S:S + T]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(width, 4.8), sharex=True,
                                      gridspec_kw={"height_ratios": [1, 2.2]})
    inten = features[:T, feature_names.index("intensity")]
    top.fill_between(t, inten, step="post", alpha=0.5, color="tab:blue", label="song intensity")
    top.plot(t, features[:T, feature_names.index("polyphony")], color="tab:orange", lw=1, label="polyphony")
    if "section_start" in feature_names:
        col = features[:T, feature_names.index("section_start")]
        first = [b for b in grid.bar_starts if S <= b < S + T and col[b - S] > 0.5]
        for k, b in enumerate(first):
            for ax in (top, bottom):
                ax.axvline(grid.starts[b], color="tab:red", ls="--", lw=1.2, zorder=1,
                           label="section start" if (k == 0 and ax is top) else None)
    top.set_ylabel("song")
    top.set_ylim(0, 1.05)
    top.legend(loc="upper right", fontsize=8)
    steps, classes = np.nonzero(drums.hits[:T])
    vel = drums.velocity[:T][steps, classes]
    x = t[steps] + drums.offset[:T][steps, classes] * grid.durations[S:S + T][steps]
    if highlight is not None and highlight[1] > S and highlight[0] < S + T:
        a, b = max(highlight[0], S), min(highlight[1], S + T)
        end = grid.starts[b] if b < grid.num_steps else grid.starts[-1] + grid.durations[-1]
        bottom.axvspan(grid.starts[a], end, color="tab:orange", alpha=0.12, zorder=0)
    bottom.scatter(x, classes, s=10 + 50 * vel, c=vel, cmap="viridis", vmin=0, vmax=1, marker="s")
    bottom.set_yticks(range(len(CLASS_NAMES)))
    bottom.set_yticklabels(CLASS_NAMES, fontsize=8)
    bottom.set_ylim(-0.7, len(CLASS_NAMES) - 0.3)
    bottom.set_xlabel("seconds")
    for ax in (top, bottom):
        for b in grid.bar_starts:
            if S <= b < S + T:
                ax.axvline(grid.starts[b], color="0.8", lw=0.6, zorder=0)
    top.set_title(title)
    fig.tight_layout()
    return fig


def plot_history(csv_path, ax=None):
    """Loss curves from a training ``history.csv``."""
    import csv

    import matplotlib.pyplot as plt

    rows = list(csv.DictReader(open(csv_path)))
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    epochs = [int(r["epoch"]) for r in rows]
    for key in ("loss", "val_loss"):
        ax.plot(epochs, [float(r[key]) for r in rows], marker="o", label=key)
    ax.set_xlabel("epoch")
    ax.legend()
    return ax
