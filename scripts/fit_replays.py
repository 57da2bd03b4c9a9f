"""Count ``REPLAY_SHARES`` of ``neuraldrummer/generation/takes.py``: how often drummers play a bar exactly as the bar
before, or as the bar two before, between the fills, just before a section start and on one.

For every song of a 16th-grid corpus (``neuraldrummer tokenise --steps-per-beat 4``) of one split with at least
:data:`MIN_HITS` drum hits, every bar from the third on that is as long as the two before it, where the song plays
and the drums play in it and in the bar before: is its drum part (which sounds on which steps) the same as the bar
before's, and if not, as the bar two before's? By where the bar is, as the drummer sees it: starting a section
(the ``section_start`` feature), just before one (``pre_section``), or between them ("groove"); and over all of
them, the same for the bars after a bar that opens with a crash (a crash, splash or China on its first two steps).

    python scripts/fit_replays.py ~/nd-work/corpus/sixteenths [--split train] [--json reports/fit_replays.json]

Copy the two shares of each place into ``REPLAY_SHARES``, those after a crash into ``REPLAY_SHARES_AFTER_CRASH``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import corpus_arguments, write_report  # noqa: E402
from neuraldrummer.analysis.drum_map import CRASH_CLASSES  # noqa: E402
from neuraldrummer.analysis.features import bar_index  # noqa: E402
from neuraldrummer.training.corpus import Corpus  # noqa: E402

#: songs with fewer drum hits are left out
MIN_HITS = 100
PLACES = ("groove", "before_section", "section_start")


def bar_rows(corpus: Corpus, split: str) -> list[tuple[str, bool, bool, float, bool]]:
    """Per bar counted (see above): its place, whether it repeats the bar before, whether (not that) the bar two
    before, its Jaccard similarity to the bar before, and whether the bar before opens with a crash."""
    names = corpus.feature_names
    rows = []
    for _, a in corpus.song_arrays(split):
        f, hits = a["features"], a["hits"] > 0
        if hits.sum() < MIN_HITS:
            continue
        b = bar_index(f, names)
        starts = np.concatenate([[0], np.nonzero(np.diff(b))[0] + 1, [len(b)]])
        pre = f[:, names.index("pre_section")] > 0.5
        section = f[:, names.index("section_start")] > 0.5
        active = f[:, names.index("active")] > 0.5
        crashes = [c for c in CRASH_CLASSES if c < hits.shape[1]]
        for k in range(2, len(starts) - 1):
            a0, a1, a2, e2 = (int(x) for x in starts[k - 2:k + 2])
            L = e2 - a2
            if not (a2 - a1 == a1 - a0 == L) or not (hits[a2:e2].any() and hits[a1:a2].any() and active[a2:e2].any()):
                continue
            place = "before_section" if pre[a2] else "section_start" if section[a2] else "groove"
            this, before, two = hits[a2:e2], hits[a1:a2], hits[a0:a1]
            same = bool(np.array_equal(this, before))
            rows.append((place, same, not same and bool(np.array_equal(this, two)),
                         float((this & before).sum() / max((this | before).sum(), 1)),
                         bool(before[:2][:, crashes].any())))
    return rows


def main() -> None:
    args = corpus_arguments(__doc__)
    rows = bar_rows(Corpus(args.corpus), args.split)
    places = {}
    for place in PLACES + ("after_a_crash",):
        x = [r for r in rows if r[0] == place or (place == "after_a_crash" and r[4])]
        if x:
            places[place] = {"bars": len(x), "as_the_bar_before": round(float(np.mean([r[1] for r in x])), 3),
                             "as_the_bar_two_before": round(float(np.mean([r[2] for r in x])), 3),
                             "jaccard_with_the_bar_before": round(float(np.mean([r[3] for r in x])), 3)}
    write_report({"corpus": str(args.corpus), "split": args.split, "places": places}, args.json)


if __name__ == "__main__":
    main()
