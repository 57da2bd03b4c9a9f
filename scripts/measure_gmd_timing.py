"""How far Groove MIDI drummers play from the click: the spread behind ``HAND_TIMING_SD_16THS``.

The Groove MIDI Dataset was recorded to a click at a constant tempo, so each drum onset's distance
from the nearest 16th of that tempo is the drummer's timing. Swing and a steady push or lay-back are
the groove's, not its spread: the median offset of each 16th position in the beat is taken out
before the standard deviation is measured. Performances with fewer than ``--min-notes`` notes (most
of the dataset's one-bar fills) are left out.

    python scripts/measure_gmd_timing.py ../shared/data/groove [--json reports/gmd_timing.json]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pretty_midi
from report import write_report


def timing_spread(path: Path, min_notes: int) -> tuple[float, float] | None:
    """Standard deviation of a performance's onsets from the click's 16ths (in 16ths, swing taken
    out) and the share further than an eighth of a 16th; None if it is too short."""
    pm = pretty_midi.PrettyMIDI(str(path))
    sixteenth = 60.0 / pm.get_tempo_changes()[1][0] / 4.0
    times = np.array([n.start for inst in pm.instruments for n in inst.notes])
    if times.size < min_notes:
        return None
    position = times / sixteenth
    offset = position - np.rint(position)
    in_beat = np.rint(position).astype(int) % 4
    for k in range(4):
        at = in_beat == k
        if at.any():
            offset[at] -= np.median(offset[at])
    return float(offset.std()), float((np.abs(offset) > 0.125).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("groove", type=Path, help="the Groove MIDI Dataset folder")
    ap.add_argument("--min-notes", type=int, default=50)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    rows = [r for p in sorted(args.groove.rglob("*.mid")) if (r := timing_spread(p, args.min_notes))]
    sd = np.array([r[0] for r in rows])
    off = np.array([r[1] for r in rows])
    result = {"performances": len(rows), "sd_16ths_median": round(float(np.median(sd)), 4),
              "sd_16ths_quartiles": [round(float(q), 4) for q in np.percentile(sd, [25, 75])],
              "off_eighth_of_16th_median": round(float(np.median(off)), 4)}
    write_report(result, args.json)


if __name__ == "__main__":
    main()
