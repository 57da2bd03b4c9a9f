"""Fit the downbeat model of ``neuraldrummer/beats/meter.py`` for notes transcribed from recordings.

Notes transcribed from audio hold and split differently from notes played in on a keyboard, so the
downbeat evidence of ``meter.beat_evidence`` means something else there. For every annotated song
(``SONGS/annotations/NNN_beat_midi.txt``): render the MIDI to audio with the soundfont ``drum --audio``
uses (the rendered audio keeps the MIDI's times, so the annotation holds), transcribe it as ``drum
SONG.wav`` does, and take :func:`~neuraldrummer.beats.meter.beat_features` at the annotated beats,
labelled by the annotated downbeats. An L2-regularised logistic regression (scikit-learn, ``C`` below)
is fitted on all songs; leave-one-song-out, the share of the bar lines the Viterbi of
:func:`~neuraldrummer.beats.meter.bar_positions` puts on an annotated downbeat is reported for the
model of sequenced songs (``DOWNBEAT_COEFFICIENTS``) and for the refit.

    python scripts/fit_downbeat_transcribed.py ../shared/data/drumless --json reports/fit_downbeat_transcribed.json
        [--cache DIR]   (keep the transcriptions there and reuse them)

Copy the printed coefficients into ``DOWNBEAT_COEFFICIENTS_TRANSCRIBED`` and ``..._INTERCEPT_TRANSCRIBED``.
``--evidence N`` fits on the first N kinds of evidence of ``EVIDENCE_NAMES`` only (the shipped model: 5; with
all 9 it put more bar lines on the annotated downbeats at the annotated beats but cost grooves on the
beats tracked in the recordings, see ``meter.py``); the sequenced model is then read on the same columns.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import write_report  # noqa: E402
from neuraldrummer.analysis.features import pitched_note_arrays  # noqa: E402
from neuraldrummer.beats.meter import (DOWNBEAT_COEFFICIENTS, DOWNBEAT_INTERCEPT, EVIDENCE_NAMES,  # noqa: E402
                                          bar_positions, beat_evidence, beat_features)
from neuraldrummer.evaluation.groove import read_beat_annotation  # noqa: E402

#: inverse L2 strength of the logistic regression (scikit-learn's ``C``)
C = 1.0
#: kinds of evidence the shipped model for transcribed notes uses (the first of EVIDENCE_NAMES)
TRANSCRIBED_EVIDENCE = 5


def transcription(path: Path, cache: Path | None):
    """The song rendered to audio and transcribed (a PrettyMIDI), from ``cache`` if it is there."""
    import pretty_midi

    from neuraldrummer.io.audio import write_audio
    from neuraldrummer.io.transcribe import read_recording, transcribe

    cached = cache / path.name if cache else None
    if cached and cached.exists():
        return pretty_midi.PrettyMIDI(str(cached))
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "song.wav"
        write_audio(path, wav)
        notes = transcribe(*read_recording(wav))
    if cached:
        notes.write(str(cached))
    return notes


def on_downbeats(score: np.ndarray, labels: np.ndarray) -> float:
    """Share of the bar lines chosen by the Viterbi over ``score`` that fall on a labelled downbeat."""
    chosen = bar_positions(score, 4) == 0
    return float(labels[chosen].mean()) if chosen.any() else 0.0


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("songs", type=Path)
    ap.add_argument("--annotations", type=Path, help="default: SONGS/annotations")
    ap.add_argument("--cache", type=Path, help="folder to keep the transcriptions in and reuse them from")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--evidence", type=int, default=TRANSCRIBED_EVIDENCE,
                    help=f"fit on the first N kinds of evidence of EVIDENCE_NAMES only, the others weighted 0 "
                         f"(default {TRANSCRIBED_EVIDENCE}, as shipped)")
    args = ap.parse_args()
    ann = args.annotations or args.songs / "annotations"
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
    E = len(EVIDENCE_NAMES)
    kinds = np.arange(E) < args.evidence
    used = np.concatenate([kinds, np.repeat(kinds, 2)])  # the evidence columns, then two contrasts each
    names, X, Y = [], [], []
    for path in sorted(args.songs.glob("*.mid")):
        a = ann / f"{path.stem}_beat_midi.txt"
        if not a.exists():
            continue
        notes = pitched_note_arrays(transcription(path, args.cache))
        beats, downbeats = read_beat_annotation(a)
        evidence = beat_evidence(beats, notes["start"], notes["end"], notes["pitch"], notes["velocity"],
                                 notes["is_bass"])
        names.append(path.stem)
        X.append(beat_features(evidence)[:, used])
        Y.append(np.isin(np.round(beats, 3), np.round(downbeats, 3)).astype(int))
        sys.stderr.write(f"{path.name}\n")

    def fitted(keep: list[int]):
        return LogisticRegression(C=C, max_iter=2000).fit(np.concatenate([X[i] for i in keep]),
                                                          np.concatenate([Y[i] for i in keep]))

    sequenced = np.asarray(DOWNBEAT_COEFFICIENTS)[used]
    shipped = [on_downbeats(x @ sequenced + DOWNBEAT_INTERCEPT, y) for x, y in zip(X, Y)]
    loo = []
    for i in range(len(X)):
        m = fitted([j for j in range(len(X)) if j != i])
        loo.append(on_downbeats(X[i] @ m.coef_[0] + m.intercept_[0], Y[i]))
    m = fitted(list(range(len(X))))
    coefficients = np.zeros(used.size)
    coefficients[used] = m.coef_[0]
    result = {
        "songs": len(X), "C": C, "evidence": list(EVIDENCE_NAMES[:args.evidence]),
        "coefficients": [round(float(c), 3) for c in coefficients], "intercept": round(float(m.intercept_[0]), 3),
        "bar_lines_on_downbeats_mean": {"sequenced_model": round(float(np.mean(shipped)), 3),
                                        "refit_leave_one_out": round(float(np.mean(loo)), 3)},
        "songs_with_at_least_0.8": {"sequenced_model": round(float(np.mean(np.array(shipped) >= 0.8)), 3),
                                    "refit_leave_one_out": round(float(np.mean(np.array(loo) >= 0.8)), 3)},
        "per_song": {n: [round(a, 3), round(b, 3)] for n, a, b in zip(names, shipped, loo)},
    }
    write_report(result, args.json)


if __name__ == "__main__":
    main()
