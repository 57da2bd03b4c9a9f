"""Count ``DRAWN_ON_GRID_SHARE`` of ``neuraldrummer/generation/feel.py``: how many drummers play on the grid under
songs whose parts are off it by so much.

For every song of a 16th-grid corpus (``neuraldrummer tokenise --steps-per-beat 4``) of one split with pitched parts
and at least :data:`MIN_HITS` drum hits: the share of its pitched onsets off the grid (the ``song_offgrid``
feature, as the drummer sees it) and the share of its drum hits further than an eighth of a 16th from their
step. A drummer plays on the grid where at most :data:`ON_GRID_AT_MOST` of the hits are off it. Per band of
the song's share, the share of such drummers, the median share of hits off the grid of the others, and the
number of songs.

    python scripts/fit_drummer_timing.py ~/nd-work/corpus/sixteenths [--split train] [--json reports/fit_drummer_timing.json]

Copy the bands from 0.05 to 0.15 into ``DRAWN_ON_GRID_SHARE``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import corpus_arguments, write_report  # noqa: E402
from neuraldrummer.beats.grid import OFF_GRID_TOLERANCE  # noqa: E402
from neuraldrummer.training.corpus import Corpus  # noqa: E402

#: songs with fewer drum hits are left out
MIN_HITS = 100
#: a drummer whose share of hits off the grid is at most this plays on the grid
ON_GRID_AT_MOST = 0.02
#: the bands of the song's share of onsets off the grid (lower edges; the last runs to 1)
BANDS = (0.0, 0.001, 0.02, 0.05, 0.10, 0.15, 0.20, 0.30, 0.45)


def song_rows(corpus: Corpus, split: str) -> np.ndarray:
    """``(n, 2)``: per song of ``split``, its parts' share of onsets off the grid and its drums'."""
    names = corpus.feature_names
    rows = []
    for _, a in corpus.song_arrays(split):
        hits = a["hits"] > 0
        if hits.sum() < MIN_HITS:
            continue
        song_share = float(np.median(a["features"][:, names.index("song_offgrid")]))
        offsets = a["offset"][hits] * 4.0 / corpus.steps_per_beat  # in 16ths
        rows.append((song_share, float((np.abs(offsets) > OFF_GRID_TOLERANCE).mean())))
    return np.asarray(rows, np.float64).reshape(-1, 2)


def main() -> None:
    args = corpus_arguments(__doc__)
    corpus = Corpus(args.corpus)
    rows = song_rows(corpus, args.split)
    edges = list(BANDS) + [1.01]
    bands = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        x = rows[(rows[:, 0] >= lo) & (rows[:, 0] < hi)]
        if not len(x):
            continue
        loose = x[x[:, 1] > ON_GRID_AT_MOST, 1]
        bands.append({"song_off_grid_from": lo, "songs": int(len(x)),
                      "drummers_on_grid": round(float((x[:, 1] <= ON_GRID_AT_MOST).mean()), 3),
                      "loose_drummers_off_grid_median": round(float(np.median(loose)), 3) if loose.size else None})
    write_report({"corpus": str(args.corpus), "split": args.split, "songs": int(len(rows)), "bands": bands},
                 args.json)


if __name__ == "__main__":
    main()
