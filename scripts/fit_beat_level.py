"""Fit the beat-level score of ``neuraldrummer/analysis/beat.py`` on songs played by hand with annotated beats.

A beat tracker can lock on twice or half the beat a listener taps. For every annotated song, the
annotated beats, the same beats doubled and halved (``beat_levels``) each get
``level_features`` (log2 of the tempo over 80 bpm, log2 of the bass onsets per beat over 0.4) and
their squares. A logistic regression without intercept on the differences between the annotated level
and each other level (both signs) gives the weights: a parabola per feature, so the score prefers
levels near a centre rather than faster or slower ones. Leave-one-song-out accuracy (the annotated
level scoring best of the three) is reported beside the fit on all songs.

    python scripts/fit_beat_level.py ../shared/data/drumless [--json reports/fit_beat_level.json]

Copy the printed coefficients into ``LEVEL_COEFFICIENTS``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import write_report  # noqa: E402
from neuraldrummer.analysis.beat import beat_levels, level_features, onset_weights  # noqa: E402
from neuraldrummer.analysis.features import pitched_note_arrays  # noqa: E402
from neuraldrummer.evaluation.groove import read_beat_annotation  # noqa: E402
from neuraldrummer.io.midi import load_midi  # noqa: E402

LEVELS = ("half", "as found", "double")
#: inverse L2 strength of the logistic regression (scikit-learn's ``C``)
C = 0.3


def song_features(path: Path, annotation: Path) -> np.ndarray:
    """``(3, 4)``: for the annotated beats halved, as annotated and doubled, the level features and
    their squares."""
    notes = pitched_note_arrays(load_midi(path).pm)
    beats, _ = read_beat_annotation(annotation)
    levels = beat_levels(beats, notes["start"], onset_weights(notes["velocity"], notes["is_bass"]))
    x = np.array([level_features(levels[name], notes["start"], notes["is_bass"]) for name in LEVELS])
    return np.stack([x, x ** 2], axis=2).reshape(3, -1)


def fit(X: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    diff = np.concatenate([X[:, 1] - X[:, 0], X[:, 1] - X[:, 2]])
    Z = np.concatenate([diff, -diff])
    y = np.r_[np.ones(len(diff)), np.zeros(len(diff))]
    return LogisticRegression(C=C, fit_intercept=False, max_iter=1000).fit(Z, y).coef_[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("songs", type=Path)
    ap.add_argument("--annotations", type=Path, help="default: SONGS/annotations")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    ann = args.annotations or args.songs / "annotations"
    names, X = [], []
    for path in sorted(args.songs.glob("*.mid")):
        a = ann / f"{path.stem}_beat_midi.txt"
        if a.exists():
            names.append(path.stem)
            X.append(song_features(path, a))
    X = np.array(X)
    coef = fit(X)
    wrong = [names[i] for i in range(len(X))
             if int(np.argmax(X[i] @ fit(np.delete(X, i, axis=0)))) != 1]
    in_sample = float(np.mean(np.argmax(X @ coef, axis=1) == 1))
    result = {"songs": len(X), "C": C, "coefficients": [round(float(c), 2) for c in coef],
              "in_sample_accuracy": round(in_sample, 3),
              "leave_one_out_accuracy": round(1 - len(wrong) / len(X), 3), "leave_one_out_wrong": wrong}
    write_report(result, args.json)


if __name__ == "__main__":
    main()
