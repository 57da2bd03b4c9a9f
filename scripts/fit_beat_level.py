"""Fit the beat-level score of ``neuraldrummer/beats/beat_level.py`` on songs whose beat is known.

A beat tracker can lock on twice or half the beat a listener taps. Two kinds of songs say which level is
the beat:

* songs played by hand with annotated beats (POP909's ``NNN_beat_midi.txt`` in ``SONGS/annotations/``);
* sequenced songs with drums whose grid fits their notes, in 4/4, whose drummer puts at least
  :data:`BACKBEAT_SHARE` of the snare hits on a beat on beats 2 and 4 of the file's bars: the file's
  quarter note is the level of the backbeat. They are split by md5 as the corpus splits them: fitted on
  ``train``, reported on ``validation``, ``test`` left out.

For every song, the known beats, the same beats doubled and halved (``beat_levels``) each get
``level_features`` and their squares. A logistic regression without intercept on the differences between the
known level and each other level (both signs) gives the weights: a parabola per feature, so the score
prefers levels near a centre rather than faster or slower ones. Reported: leave-one-song-out accuracy on the
annotated songs (the known level scoring best of the three; the other songs always in the fit), accuracy on
the sequenced validation songs, and the same for a model of the tempo and the bass alone (the inputs of the
model before this one), fitted the same way.

    python scripts/fit_beat_level.py ../shared/data/drumless --sequenced ../shared/data/songs \\
        ../shared/data/more_songs --limit 5000 --json reports/fit_beat_level.json

(12 minutes on 2 cores, most of it reading the sequenced songs.) Copy the printed coefficients into
``LEVEL_COEFFICIENTS``.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_downbeat import song_beats, songs  # noqa: E402
from report import write_report  # noqa: E402
from neuraldrummer.beats.beat import onset_weights  # noqa: E402
from neuraldrummer.beats.beat_level import LEVEL_FEATURES, beat_levels, level_features  # noqa: E402
from neuraldrummer.analysis.features import pitched_note_arrays  # noqa: E402
from neuraldrummer.evaluation.groove import SNARE_LIKE, read_beat_annotation  # noqa: E402
from neuraldrummer.io.midi import load_midi  # noqa: E402
from neuraldrummer.training.sources import split_for  # noqa: E402

LEVELS = ("half", "as found", "double")
#: inverse L2 strength of the logistic regression (scikit-learn's ``C``)
C = 0.3
#: a sequenced song's drummer confirms its quarter note as the beat with at least this share of the snare hits
#: on a beat on beats 2 and 4 (of at least :data:`MIN_SNARES` such hits)
BACKBEAT_SHARE = 0.7
MIN_SNARES = 16


def level_rows(beats: np.ndarray, notes: dict) -> np.ndarray:
    """``(3, F)``: :func:`level_features` of ``beats`` halved, as they are and doubled."""
    weights = onset_weights(notes["velocity"], notes["is_bass"])
    levels = beat_levels(beats, notes["start"], weights)
    return np.array([level_features(levels[name], notes, weights) for name in LEVELS])


def annotated(folder: Path, annotations: Path) -> tuple[list[str], np.ndarray]:
    names, rows = [], []
    for path in sorted(folder.glob("*.mid")):
        a = annotations / f"{path.stem}_beat_midi.txt"
        if a.exists():
            beats, _ = read_beat_annotation(a)
            names.append(path.stem)
            rows.append(level_rows(beats, pitched_note_arrays(load_midi(path).pm)))
    return names, np.array(rows)


def backbeat_confirmed(loaded, beats: np.ndarray, down: np.ndarray) -> bool:
    """Does the drummer play the backbeat on the file's quarter notes (:data:`BACKBEAT_SHARE`)?"""
    snares = np.array(sorted(n.start for i in loaded.pm.instruments if i.is_drum for n in i.notes
                             if n.pitch in SNARE_LIKE))
    if snares.size < MIN_SNARES or beats.size < 32 or not down.any():
        return False
    j = np.clip(np.searchsorted(beats, snares), 1, beats.size - 1)
    nearest = np.where(np.abs(snares - beats[j - 1]) < np.abs(beats[j] - snares), j - 1, j)
    on = np.abs(snares - beats[nearest]) < float(np.median(np.diff(beats))) / 8
    first = int(np.flatnonzero(down > 0)[0])
    return on.sum() >= MIN_SNARES and float(np.mean((nearest[on] - first) % 2 == 1)) >= BACKBEAT_SHARE


def sequenced(paths: list[str], limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Level rows and splits of the sequenced songs whose drummer confirms the quarter note."""
    rows, splits = [], []
    for _, loaded in songs(paths, limit):
        split = split_for(hashlib.md5(loaded.data).hexdigest())
        found = None if split == "test" else song_beats(loaded)
        if found is None:
            continue
        beats, down, notes, _ = found
        if backbeat_confirmed(loaded, beats, down):
            rows.append(level_rows(beats, notes))
            splits.append(split)
    return np.array(rows), np.array(splits)


def expand(X: np.ndarray, columns: list[int]) -> np.ndarray:
    X = X[..., columns]
    return np.concatenate([X, X ** 2], axis=-1)


def fit(X: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    diff = np.concatenate([X[:, 1] - X[:, 0], X[:, 1] - X[:, 2]])
    Z = np.concatenate([diff, -diff])
    y = np.r_[np.ones(len(diff)), np.zeros(len(diff))]
    return LogisticRegression(C=C, fit_intercept=False, max_iter=2000).fit(Z, y).coef_[0]


def right(X: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """Per song: does the known level score best?"""
    return np.argmax(X @ coef, axis=1) == 1


def evaluate(names: list[str], A: np.ndarray, S: np.ndarray, splits: np.ndarray, columns: list[int]) -> dict:
    P, Q = expand(A, columns), expand(S, columns)
    train, validation = Q[splits == "train"], Q[splits == "validation"]
    coef = fit(np.concatenate([P, train]))
    wrong = [names[i] for i in range(len(P)) if not right(P[i:i + 1], fit(np.concatenate([np.delete(P, i, 0),
                                                                                            train])))[0]]
    return {"coefficients": [round(float(c), 3) for c in coef],
            "annotated_leave_one_out_accuracy": round(1 - len(wrong) / max(len(P), 1), 3),
            "annotated_leave_one_out_wrong": wrong,
            "sequenced_validation_accuracy": round(float(right(validation, coef).mean()), 3),
            "sequenced_train_accuracy": round(float(right(train, coef).mean()), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("songs", type=Path, help="folder of annotated songs played by hand")
    ap.add_argument("--annotations", type=Path, help="default: SONGS/annotations")
    ap.add_argument("--sequenced", nargs="+", default=[], help="folders of sequenced songs with drums")
    ap.add_argument("--limit", type=int, default=5000, help="read at most this many sequenced songs")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    names, A = annotated(args.songs, args.annotations or args.songs / "annotations")
    S, splits = sequenced(args.sequenced, args.limit) if args.sequenced else (np.zeros((0, 3, A.shape[2])),
                                                                             np.zeros(0, str))
    counts = {s: int((splits == s).sum()) for s in ("train", "validation")}
    result = {"annotated_songs": len(A), "sequenced_songs": counts, "C": C, "features": list(LEVEL_FEATURES),
              "model": evaluate(names, A, S, splits, list(range(len(LEVEL_FEATURES)))),
              "tempo_and_bass_only": evaluate(names, A, S, splits, [0, 1])}
    write_report(result, args.json)


if __name__ == "__main__":
    main()
