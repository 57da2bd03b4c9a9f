"""Command-line interface: ``neuraldrummer COMMAND ...``.

Heavy imports (TensorFlow, matplotlib) happen inside the commands that need them, so
``drum``, ``inspect`` and the text tools start fast. Expected failures print one line
``neuraldrummer: error: FILE: reason`` and exit with status 1 (2 for usage errors).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from ..errors import ConfigError, CorpusError, NeuralDrummerError

logger = logging.getLogger("neuraldrummer")


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


# --- data layer commands ------------------------------------------------------------

def cmd_inspect(args: argparse.Namespace) -> int:
    from ..analysis.drum_map import CLASS_NAMES
    from ..analysis.song import encode_song

    song = encode_song(args.song, args.steps_per_beat)
    info, pm = song.info, song.loaded.pm
    _out(f"{song.path}")
    _out(f"  tempo(s): {', '.join(f'{t:g}' for t in info['tempos'])} bpm; meter(s): {', '.join(info['meters'])}")
    _out(f"  length: {info['seconds']:.1f} s, {info['bars']} bars, {info['steps']} steps of 1/{4 * args.steps_per_beat} note")
    from ..analysis.song import describe_grid

    _out(f"  grid: {describe_grid(info)}")
    for inst in pm.instruments:
        kind = "drums" if inst.is_drum else f"program {inst.program}"
        _out(f"  instrument: {inst.name.strip() or '(unnamed)'} [{kind}], {len(inst.notes)} notes")
    counts = song.drums.hits.sum(axis=0)
    present = [f"{n} {int(c)}" for n, c in zip(CLASS_NAMES, counts) if c]
    _out(f"  drum classes: {', '.join(present) if present else 'none'}")
    problems = []
    if info["unknown_drum_pitches"]:
        problems.append(f"unmapped drum pitches {info['unknown_drum_pitches']}")
    if info["drum_only"]:
        problems.append("no pitched instruments (drum-only file)")
    if not info["drum_notes"]:
        problems.append("no drums")
    if len(info["tempos"]) > 1:
        problems.append(f"tempo changes between {len(info['tempos'])} tempos")
    _out(f"  notes: {'; '.join(problems) if problems else 'no problems found'}")
    return 0


def cmd_to_text(args: argparse.Namespace) -> int:
    from ..errors import NoDrumsError
    from ..io.midi import atomic_write_text
    from ..analysis.song import encode_song
    from ..analysis.text_roll import to_text

    song = encode_song(args.song, args.steps_per_beat)
    if not song.has_drums:
        raise NoDrumsError("no drum notes to write as a text roll", song.path)
    text = to_text(song.drums, song.grid.bar_lengths, args.steps_per_beat, song.grid.meters)
    if args.output:
        atomic_write_text(args.output, text)
        _out(f"wrote {args.output} ({song.grid.num_bars} bars)")
    else:
        sys.stdout.write(text)
    return 0


def cmd_from_text(args: argparse.Namespace) -> int:
    from ..io.midi import atomic_write_bytes
    from ..analysis.roll_midi import roll_to_midi_bytes
    from ..analysis.text_roll import read_text_roll

    path = Path(args.roll)
    roll = read_text_roll(path)
    out = Path(args.output) if args.output else path.with_suffix(".mid")
    atomic_write_bytes(out, roll_to_midi_bytes(roll, args.tempo))
    _out(f"wrote {out} ({len(roll.bar_lengths)} bars at {args.tempo:g} bpm)")
    return 0


def cmd_text_pairs(args: argparse.Namespace) -> int:
    from ..training.sources import find_midi_files
    from ..io.midi import atomic_write_text
    from ..analysis.song import encode_song
    from ..analysis.text_roll import continuation_pairs
    from collections import Counter

    if args.bars < 1:
        raise ConfigError(f"--bars must be at least 1, got {args.bars}")
    lines, skipped = [], Counter()
    for path in find_midi_files(args.paths):
        try:
            song = encode_song(path, args.steps_per_beat)
        except NeuralDrummerError as exc:
            skipped[exc.reason] += 1
            continue
        if not song.has_drums:
            skipped["no_drums"] += 1
            continue
        pair = continuation_pairs(song.drums, song.grid.bar_lengths, args.bars, args.steps_per_beat)
        if pair is None:
            skipped["too_short"] += 1
            continue
        lines.append(json.dumps({"source": str(path), "prompt_bars": args.bars, **pair}))
    if not lines:  # nothing to write: say why, leave no empty file
        raise CorpusError(f"no pairs from {sum(skipped.values())} files (skipped: {dict(skipped)})")
    atomic_write_text(args.output, "\n".join(lines) + ("\n" if lines else ""))
    _out(f"wrote {args.output}: {len(lines)} pairs; skipped {dict(skipped) or 'none'}")
    return 0


def cmd_tokenise(args: argparse.Namespace) -> int:
    from ..training.corpus import build_corpus

    result = build_corpus(args.paths, args.output, args.steps_per_beat, args.workers,
                          progress=not args.no_progress)
    s = result.summary
    _out(f"wrote {result.out_dir}: {s['songs']} songs, {s['steps']} steps from {s['files']} files "
         f"in {s['seconds']:.1f} s; skipped {s['skipped'] or 'none'}")
    return 0


# --- parser -------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="neuraldrummer", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="NeuralDrummer writes a drum track for a whole song: give it a MIDI file without drums and "
                    "it plays along,\non the song's own beats and bars, and writes the song with a new drum track.",
        epilog="examples:\n"
               "  neuraldrummer drum my_song.mid                  # writes my_song_drums.mid beside it\n"
               "  neuraldrummer drum my_song.mid --audio           # ... and my_song_drums.wav to listen to\n"
               "  neuraldrummer drum album/ -o drummed/            # every song of a folder, on all cores\n"
               "  neuraldrummer drum --help                        # every option of drum\n"
               "  neuraldrummer app --open                         # the drum studio as a web page\n")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    parser.add_argument("--version", action="version", version=f"neuraldrummer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands (neuraldrummer COMMAND --help "
                                                                       "for each)")
    from . import cli_drum, cli_tools

    cli_drum.add_commands(sub)
    cli_tools.add_commands(sub)

    def spb(p: argparse.ArgumentParser, default: int = 4) -> None:
        p.add_argument("--steps-per-beat", type=int, default=default, choices=(2, 4, 8),
                       help=f"grid steps per quarter note (2 = eighths, 4 = 16ths, 8 = 32nds; default {default}, "
                            "the shipped model's grid)" if default == 4 else
                       f"grid steps per quarter note (2 = eighths, 4 = 16ths, 8 = 32nds; default {default})")

    p = sub.add_parser("inspect", help="tempo, meter, bars, the grid used and why, instruments and drums of a song")
    p.add_argument("song", help="a MIDI file")
    spb(p)
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("to-text", help="write a song's drums as a text drum-roll")
    p.add_argument("song", help="a MIDI file with drums")
    p.add_argument("-o", "--output", help="output .txt (default: standard output)")
    spb(p)
    p.set_defaults(func=cmd_to_text)

    p = sub.add_parser("from-text", help="turn a text drum-roll into a drum MIDI file")
    p.add_argument("roll", help="a text drum-roll (.txt, as to-text writes it)")
    p.add_argument("-o", "--output", help="output .mid (default: ROLL with .mid suffix)")
    p.add_argument("--tempo", type=float, default=120.0, help="bpm (default 120)")
    p.set_defaults(func=cmd_from_text)

    p = sub.add_parser("text-pairs", help="'first N bars -> the rest' JSON lines for language models")
    p.add_argument("paths", nargs="+", help="MIDI files and folders")
    p.add_argument("-o", "--output", required=True, help="output .jsonl")
    p.add_argument("--bars", type=int, default=2, help="prompt bars (default 2)")
    spb(p, 2)
    p.set_defaults(func=cmd_text_pairs)

    p = sub.add_parser("tokenise", aliases=["tokenize"], help="build a training corpus from MIDI files and folders")
    p.add_argument("paths", nargs="+", help="MIDI files, folders and .tar/.tar.gz/.tar.xz/.zip archives")
    p.add_argument("-o", "--output", required=True, help="corpus directory")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    spb(p)
    p.set_defaults(func=cmd_tokenise)

    from . import cli_model

    cli_model.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # `neuraldrummer` alone: what it can do
        parser.print_help()
        return 0
    if args.command != "train" and "numpy" not in sys.modules:
        # one BLAS thread for the runtime's small products (many threads stall on a busy machine);
        # set before numpy loads so that batch workers inherit it too
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="neuraldrummer: %(levelname)s: %(message)s" if args.verbose
                        else "neuraldrummer: warning: %(message)s")
    try:
        return int(args.func(args) or 0)
    except NeuralDrummerError as exc:
        sys.stderr.write(f"neuraldrummer: error: {exc}\n")
        return 1
    except BrokenPipeError:  # e.g. `neuraldrummer inspect SONG | head -3`: end quietly
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        sys.stderr.write("neuraldrummer: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
