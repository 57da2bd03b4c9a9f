"""Groove continuation on GMD test beats: keep a 2-bar prompt, continue for as many bars as the
human played, and compare bar-to-bar repetition (mean Jaccard similarity of neighbouring bars)
with the human continuation. And, as `neuraldrummer continue BEAT.mid` writes it: is every note
message of each whole test beat (time, pitch, velocity, channel) in the output unchanged?

    python benchmarks/check_continue.py [GMD_DIR] [--prompt-bars 2] [--max-bars 8] [--json OUT]
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections import Counter
from pathlib import Path

import mido
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, write_result  # noqa: E402

from neuraldrummer.generation.continuation import Groove, continue_groove, groove_midi_bytes, read_groove  # noqa: E402
from neuraldrummer.errors import NeuralDrummerError  # noqa: E402
from neuraldrummer.generation.settings import GenerationSettings  # noqa: E402
from neuraldrummer.generation.runtime import DrummerRuntime  # noqa: E402


def repetition(hits: np.ndarray, lengths: list[int]) -> float | None:
    starts = np.concatenate([[0], np.cumsum(lengths)])
    bars = [hits[a:b] for a, b in zip(starts[:-1], starts[1:])]
    sims = [(x & y).sum() / (x | y).sum() for x, y in zip(bars[:-1], bars[1:]) if x.shape == y.shape and (x | y).any()]
    return float(np.mean(sims)) if sims else None


def note_messages(data: bytes) -> Counter:
    """Every note message as (absolute tick, on/off, pitch, velocity, channel)."""
    mid = mido.MidiFile(file=io.BytesIO(data))
    out: Counter = Counter()
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type in ("note_on", "note_off"):
                out[(tick, msg.type, msg.note, msg.velocity, msg.channel)] += 1
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("gmd", nargs="?", default=str(REPO.parent / "shared/data/groove"))
    parser.add_argument("--model", default=str(REPO / "saved" / "default"))
    parser.add_argument("--prompt-bars", type=int, default=2)
    parser.add_argument("--max-bars", type=int, default=8)
    parser.add_argument("--json")
    args = parser.parse_args()
    runtime = DrummerRuntime.load(args.model)
    spb = runtime.config.steps_per_beat
    rows = list(csv.DictReader(open(Path(args.gmd) / "info.csv")))
    beats = [r for r in rows if r["split"] == "test" and r["beat_type"] == "beat" and r["time_signature"] == "4-4"]
    gen, hum, kept = [], [], True
    verbatim, notes_checked, notes_missing = 0, 0, 0
    for k, row in enumerate(beats):
        path = Path(args.gmd) / row["midi_filename"]
        try:
            full = read_groove(path, spb)
        except NeuralDrummerError:
            continue
        # the whole beat as the groove, continued for 4 bars as the CLI writes it
        written = note_messages(groove_midi_bytes(continue_groove(full, 4, runtime, GenerationSettings(seed=k)), spb))
        given = note_messages(path.read_bytes())
        missing = sum((given - written).values())
        verbatim += missing == 0
        notes_checked += sum(given.values())
        notes_missing += missing
        n = min(len(full.bar_lengths) - args.prompt_bars, args.max_bars)
        if n < 2:
            continue
        split = sum(full.bar_lengths[:args.prompt_bars])
        prompt = Groove(full.drums[:split], full.bar_lengths[:args.prompt_bars], full.meters[:args.prompt_bars], full.tempo)
        out = continue_groove(prompt, n, runtime, GenerationSettings(seed=k))
        kept &= bool(np.array_equal(out.drums.hits[:split], prompt.drums.hits))
        kept &= len(out.bar_lengths) == args.prompt_bars + n
        human_end = split + sum(full.bar_lengths[args.prompt_bars:args.prompt_bars + n])
        g = repetition(out.drums.hits[split:], out.bar_lengths[args.prompt_bars:])
        h = repetition(full.drums.hits[split:human_end], full.bar_lengths[args.prompt_bars:args.prompt_bars + n])
        if g is not None and h is not None:
            gen.append(g)
            hum.append(h)
    write_result("check_continue", {
        "command": f"python benchmarks/check_continue.py {args.gmd} --prompt-bars {args.prompt_bars} --max-bars {args.max_bars}",
        "beats": len(gen), "prompts_kept_and_bars_added": kept,
        "whole_beats_continued": len(beats), "beats_with_every_note_verbatim": verbatim,
        "note_messages_checked": notes_checked, "note_messages_changed_or_lost": notes_missing,
        "repetition_generated": round(float(np.mean(gen)), 4), "repetition_human": round(float(np.mean(hum)), 4),
        "difference": round(abs(float(np.mean(gen)) - float(np.mean(hum))), 4),
        "mean_abs_difference_per_beat": round(float(np.mean(np.abs(np.array(gen) - np.array(hum)))), 4),
    }, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
