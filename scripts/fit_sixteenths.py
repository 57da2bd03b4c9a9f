"""Fit ``ODD_SIXTEENTHS_SLOPE`` and ``..._INTERCEPT`` of ``neuraldrummer/generation/takes.py``: the human
drums' share of onsets on the odd 16ths against the song's own.

For every song of a 16th-grid corpus (``neuraldrummer tokenise --steps-per-beat 4``) with pitched parts
and drums: the share of the steps where the pitched parts play that are odd 16ths
(:func:`~neuraldrummer.generation.takes.song_odd_sixteenths`, from the song's features as they are,
not augmented) and the share of the drum onsets on the same odd 16ths. A least-squares line over the
``train`` songs gives the slope and intercept; the correlation and the mean absolute error of the line
and of one constant (the training mean) on the ``validation`` songs are reported beside it.

    python scripts/fit_sixteenths.py ~/nd-work/corpus/sixteenths [--json reports/fit_sixteenths.json]

Copy the printed line's slope and intercept into ``ODD_SIXTEENTHS_SLOPE`` and ``ODD_SIXTEENTHS_INTERCEPT``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import write_report  # noqa: E402
from neuraldrummer.generation.takes import odd_steps, song_odd_sixteenths  # noqa: E402
from neuraldrummer.training.corpus import Corpus  # noqa: E402

#: songs with fewer pitched steps or drum onsets than this are left out
MIN_COUNT = 50


def shares(corpus: Corpus, split: str) -> np.ndarray:
    """``(n, 2)``: per song of ``split``, the song's odd-16th share and its drums'."""
    names = corpus.feature_names
    rows = []
    for _, a in corpus.song_arrays(split):
        onsets = a["hits"].sum(axis=1)
        plays = a["features"][:, names.index("intensity")] > 0
        if plays.sum() < MIN_COUNT or onsets.sum() < MIN_COUNT:
            continue
        song_share = song_odd_sixteenths(a["features"], names, corpus.steps_per_beat)
        rows.append((song_share, onsets[odd_steps(a["features"], names)].sum() / onsets.sum()))
    return np.asarray(rows, np.float64).reshape(-1, 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    corpus = Corpus(args.corpus)
    if corpus.steps_per_beat != 4:
        sys.exit(f"{args.corpus}: a 16th-grid corpus is needed (it has {corpus.steps_per_beat} steps a beat)")
    train, val = shares(corpus, "train"), shares(corpus, "validation")
    slope, intercept = np.polyfit(train[:, 0], train[:, 1], 1)
    report = {
        "songs": {"train": len(train), "validation": len(val)},
        "line": {"slope": round(float(slope), 3), "intercept": round(float(intercept), 3)},
        "correlation_train": round(float(np.corrcoef(train.T)[0, 1]), 3),
        "validation_mean_abs_error": {
            "line": round(float(np.abs(intercept + slope * val[:, 0] - val[:, 1]).mean()), 4),
            "training_mean": round(float(np.abs(train[:, 1].mean() - val[:, 1]).mean()), 4),
        },
    }
    write_report(report, args.json)


if __name__ == "__main__":
    main()
