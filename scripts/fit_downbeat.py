"""Fit the downbeat model of ``neuraldrummer/beats/meter.py`` on songs whose bars are known.

The songs are sequenced songs with drums whose own grid fits their notes and which are in 4/4
throughout; their bar lines are the labels. Each song is read three ways, as in the training
corpus (``neuraldrummer.training.augment``): as it is, played by hand, and reduced to one piano part
played by hand, so the model learns evidence that songs played in on a keyboard have too. Every
beat gets :func:`~neuraldrummer.beats.meter.beat_features`; an L2-regularised logistic regression
(Newton's method) predicts whether it is a downbeat. Songs are split by md5 as the corpus splits
them: fitted on ``train``, reported on ``validation`` (share of beats whose position in the bar the
Viterbi of :func:`~neuraldrummer.beats.meter.bar_positions` gets right, and right up to half a bar),
both for the hand-set weights the tracker had before and the fitted ones.

    python scripts/fit_downbeat.py ../shared/data/songs ../shared/data/more_songs --limit 1500 \\
        --json reports/fit_downbeat.json

Copy the printed coefficients into ``DOWNBEAT_COEFFICIENTS`` and ``DOWNBEAT_INTERCEPT``.
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
from report import write_report  # noqa: E402
from neuraldrummer.analysis.features import pitched_note_arrays  # noqa: E402
from neuraldrummer.beats.grid import build_grid, off_grid_share  # noqa: E402
from neuraldrummer.beats.meter import EVIDENCE_NAMES, bar_positions, beat_evidence, beat_features  # noqa: E402
from neuraldrummer.errors import NeuralDrummerError  # noqa: E402
from neuraldrummer.io.midi import load_midi, read_midi_bytes  # noqa: E402
from neuraldrummer.training.augment import piano_reduction, played_by_hand, seed_of  # noqa: E402
from neuraldrummer.training.sources import is_archive, iter_archive, iter_midi_files, split_for  # noqa: E402

#: the hand-set weights of the tracker before this model (bass, length, bass change, change, onsets; none
#: on the other evidence or the contrasts)
HAND_SET = np.array([1.0, 1.0, 1.0, 0.5, 0.5] + [0.0] * (3 * len(EVIDENCE_NAMES) - 5))


def songs(paths: list[str], limit: int):
    """(name, LoadedMidi) of the MIDI files and archive members under ``paths``, at most ``limit``."""
    n = 0
    for f in iter_midi_files(paths):
        members = iter_archive(f) if is_archive(f) else [(str(f), None)]
        for name, data in members:
            try:
                yield name, (load_midi(name) if data is None else read_midi_bytes(data, name))
            except (NeuralDrummerError, ValueError, MemoryError, RecursionError):
                continue
            n += 1
            if n >= limit:
                return


def song_beats(loaded) -> tuple[np.ndarray, np.ndarray, dict] | None:
    """Beat times, 0/1 downbeat labels and pitched notes of a fitting 4/4 song, else ``None``."""
    pm = loaded.pm
    notes = pitched_note_arrays(pm)
    if notes["start"].size < 64:
        return None
    grid = build_grid(pm, 4)
    if set(map(tuple, grid.meters.tolist())) != {(4, 4)} or off_grid_share(grid, notes["start"]) > 0.1:
        return None
    on_beat = grid.step_in_bar % 4 == 0
    first, last = notes["start"].min(), notes["start"].max()
    keep = on_beat & (grid.starts >= first - 0.05) & (grid.starts <= last + 0.05)
    return grid.starts[keep], (grid.step_in_bar[keep] == 0).astype(np.float64), notes, grid


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 25) -> np.ndarray:
    """Weights (last one the intercept) of an L2-regularised logistic regression, by Newton's method."""
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    w = np.zeros(A.shape[1])
    reg = np.full(A.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-A @ w))
        grad = A.T @ (p - y) + reg * w
        H = (A * (p * (1 - p))[:, None]).T @ A + np.diag(reg + 1e-9)
        step = np.linalg.solve(H, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


def phase_accuracy(items: list[tuple[np.ndarray, np.ndarray]], coef: np.ndarray, intercept: float) -> dict:
    """Share of beats whose Viterbi position is the labelled one, and right modulo two beats."""
    right = half = total = 0
    for X, y in items:
        pos = bar_positions(X @ coef + intercept, 4)
        idx = np.arange(y.size)
        first = int(np.argmax(y > 0))
        true_pos = (idx - first) % 4
        right += int((pos == true_pos).sum())
        half += int((pos % 2 == true_pos % 2).sum())
        total += y.size
    return {"beats": total, "position_right": right / max(total, 1), "right_up_to_half_bar": half / max(total, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--limit", type=int, default=1500, help="songs read at most (default 1500)")
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    data = {"train": [], "validation": []}
    counts = {"read": 0, "used": 0}
    for name, loaded in songs(args.paths, args.limit):
        counts["read"] += 1
        found = song_beats(loaded)
        if found is None:
            continue
        md5 = hashlib.md5(loaded.data).hexdigest()
        split = split_for(md5)
        if split == "test":
            continue
        counts["used"] += 1
        beats, y, notes, grid = found
        rng = np.random.default_rng(seed_of(md5))
        for version in (notes, played_by_hand(notes, grid, rng), played_by_hand(piano_reduction(notes), grid, rng)):
            ev = beat_evidence(beats, version["start"], version["end"], version["pitch"], version["velocity"],
                               version["is_bass"])
            data[split].append((beat_features(ev), y))
    X = np.vstack([x for x, _ in data["train"]])
    y = np.concatenate([t for _, t in data["train"]])
    w = fit_logistic(X, y, args.l2)
    coef, intercept = w[:-1], float(w[-1])
    report = {
        "songs": counts, "train_beats": int(y.size), "validation_songs": len(data["validation"]) // 3,
        "coefficients": [round(float(c), 4) for c in coef], "intercept": round(intercept, 4),
        "validation_fitted": phase_accuracy(data["validation"], coef, intercept),
        "validation_hand_set": phase_accuracy(data["validation"], HAND_SET, 0.0),
    }
    write_report(report, args.json)


if __name__ == "__main__":
    main()
