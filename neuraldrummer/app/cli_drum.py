"""``neuraldrummer drum`` and friends: the main job, without TensorFlow."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ModelNotFoundError


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


SAVED_DIR = Path(__file__).resolve().parents[2] / "saved"


def default_model_dir() -> Path:
    """``saved/default`` of the source checkout (``NEURALDRUMMER_MODEL`` overrides it)."""
    import os

    env = os.environ.get("NEURALDRUMMER_MODEL")
    if env:
        return resolve_model(env)
    return SAVED_DIR / "default"


def resolve_model(name: str | Path | None) -> Path:
    """A model directory, or the name of a shipped one (``default``, ``eighths``: ``saved/NAME``)."""
    if name is None:
        return default_model_dir()
    path = Path(name)
    if path.is_dir():
        return path
    shipped = SAVED_DIR / str(name)
    if len(path.parts) == 1 and shipped.is_dir():
        return shipped
    raise ModelNotFoundError("no model here (train one, pass --model DIR, or a shipped model: default, eighths)",
                             path)


def _settings(args: argparse.Namespace):
    from ..generation.settings import GenerationSettings

    from ..generation.settings import DEFAULT_DRAFTS, DEFAULT_TEMPERATURE

    # --cutoff alone: the original design's deterministic threshold; otherwise sampling
    if args.temperature is None and args.cutoff is None:
        temperature = DEFAULT_TEMPERATURE
    else:
        temperature = args.temperature
    return GenerationSettings(cutoff=args.cutoff, temperature=temperature, seed=args.seed,
                              start=getattr(args, "start", "auto"), style=args.style, quantized=args.quantized,
                              style_guidance=args.style_strength, swing=args.swing, density=args.density,
                              cymbals=args.cymbals, syncopation=args.syncopation, repetition=args.repetition,
                              feel=args.feel, regrid="off" if getattr(args, "keep_grid", False) else "auto",
                              beats_per_bar=parse_meter(getattr(args, "meter", None)),
                              drafts=getattr(args, "drafts", None) or DEFAULT_DRAFTS)


def parse_meter(text: str | None) -> int | None:
    """``"4/4"`` or ``"4"`` -> 4 beats per bar; ``None`` -> ``None``."""
    if text is None:
        return None
    from ..errors import ConfigError

    head, _, den = str(text).partition("/")
    try:
        beats = int(head)
        ok = 1 <= beats <= 16 and (not den or int(den) == 4)
    except ValueError:
        ok = False
    if not ok:
        raise ConfigError(f"--meter must read like 4/4 or 3/4 (quarter-note beats per bar), not '{text}'")
    return beats


def check_settings(args: argparse.Namespace) -> None:
    """Refuse bad options at once, before any song or model is read."""
    from ..config import STYLES
    from ..errors import ConfigError
    from ..generation.patterns import START_PATTERNS

    if args.style not in STYLES:
        raise ConfigError(f"unknown style '{args.style}'; styles: {', '.join(s for s in STYLES if s != 'none')}")
    start = getattr(args, "start", "auto")
    if start not in START_PATTERNS and Path(start).suffix.lower() not in (".mid", ".midi"):
        raise ConfigError(f"unknown start pattern '{start}'; use {', '.join(START_PATTERNS)} or a drum loop .mid")
    parse_meter(getattr(args, "meter", None))
    if getattr(args, "drafts", None) is not None and not 1 <= args.drafts <= 64:
        raise ConfigError(f"--drafts must be 1-64, got {args.drafts}")
    if getattr(args, "redo", None):
        from ..generation.drumming import parse_bar_range

        parse_bar_range(args.redo)


def cmd_drum(args: argparse.Namespace) -> int:
    import time

    from ..io.demo import demo_song_path
    from ..io.transcribe import is_audio_path
    from ..errors import ConfigError, MidiLoadError
    from ..generation.drumming import default_output_path, drum_song, parse_bar_range, redo_bars

    started = time.perf_counter()
    check_settings(args)
    inputs = list(args.inputs)
    batch = len(inputs) > 1 or any(Path(p).is_dir() for p in inputs)
    if batch:
        return _drum_batch(args, inputs)
    if args.audio and args.audio != "each":
        from ..io.audio import AUDIO_SUFFIXES

        if Path(args.audio).suffix.lower() not in AUDIO_SUFFIXES:
            raise ConfigError(f"audio is written as {', '.join(AUDIO_SUFFIXES)}, not '{Path(args.audio).suffix}'",
                              args.audio)
    if not inputs:
        source = demo_song_path()
        output = Path(args.output) if args.output else Path.cwd() / "demo_song_drums.mid"
    else:
        source = Path(inputs[0])
        if not source.name:
            raise MidiLoadError("is a folder, not a MIDI file", source)
        output = Path(args.output) if args.output else None
        if args.redo and output is None:
            output = source.with_name(f"{source.stem}_redo.mid")
        elif output is None:
            output = default_output_path(source)
        elif output.is_dir():
            output = output / default_output_path(source).name
    recording = bool(inputs) and is_audio_path(source)
    if args.audio == "each" or (args.audio is None and recording):
        args.audio = str(Path(output).with_suffix(".wav"))  # beside the drummed MIDI
    _check_soundfont(args, bool(args.audio))
    model = resolve_model(args.model)
    if recording:
        return _drum_recording(args, source, output, model, started)
    if args.redo:
        result = redo_bars(source, output, model, parse_bar_range(args.redo), _settings(args),
                           audio_path=args.audio or None, soundfont=args.soundfont)
    else:
        result = drum_song(source, output, model, _settings(args), keep_drums=args.keep_drums,
                           audio_path=args.audio or None, soundfont=args.soundfont)
    audio = f" and {args.audio}" if args.audio else ""
    grid = result.song.grid
    tempos = "/".join(f"{t:g}" for t in result.song.info["tempos"])
    what = f"bars {args.redo} drawn again" if args.redo else f"{int(result.drums.hits.sum())} drum hits"
    _out(f"wrote {result.output}{audio}: {grid.num_bars} bars at {tempos} bpm, {what}, "
         f"{time.perf_counter() - started:.2f} s")
    return 0


def _check_soundfont(args: argparse.Namespace, renders: bool) -> None:
    """``--soundfont``: only where audio is written, and a soundfont that loads, before any work."""
    from ..errors import ConfigError
    from ..io.audio import check_soundfont

    if args.soundfont is None:
        return
    if not renders:
        raise ConfigError("--soundfont renders audio: add --audio to write the drummed song as audio", args.soundfont)
    check_soundfont(args.soundfont)


def _drum_recording(args: argparse.Namespace, source: Path, output: Path, model: Path, started: float) -> int:
    """``drum RECORDING``: the drums as MIDI that follows the recording, and the recording mixed with them."""
    import sys
    import time

    from ..errors import ConfigError
    from ..generation.drumming import drum_recording

    if args.redo or args.keep_drums or args.keep_grid:
        raise ConfigError("--redo, --keep-drums and --keep-grid are for MIDI songs; a recording is drummed "
                          "on the beats found in it", source)
    if args.max_minutes is not None and args.max_minutes <= 0:
        raise ConfigError(f"--max-minutes must be positive, got {args.max_minutes}")
    result = drum_recording(source, output, model, _settings(args), mix_path=Path(args.audio),
                            with_transcription=args.with_transcription,
                            max_seconds=None if args.max_minutes is None else 60.0 * args.max_minutes,
                            progress=not args.no_progress and sys.stderr.isatty(), soundfont=args.soundfont)
    info, grid = result.song.info, result.song.grid
    _out(f"wrote {result.output} and {args.audio}: {result.info['transcribed_notes']} notes transcribed, "
         f"{grid.num_bars} bars of {info.get('beats_per_bar', 4)} beats found at about "
         f"{info.get('estimated_qpm', 0):.0f} bpm, {int(result.drums.hits.sum())} drum hits, "
         f"{time.perf_counter() - started:.1f} s")
    return 0


def _drum_batch(args: argparse.Namespace, inputs: list[str]) -> int:
    import logging

    from ..generation.batch import drum_many, plan_outputs
    from ..errors import ConfigError
    from ..io.transcribe import is_audio_path

    if args.redo:
        raise ConfigError("--redo works on one drummed song at a time")
    if args.audio not in (None, "each"):
        raise ConfigError("with many songs, --audio takes no file name: each song's audio goes beside its MIDI")
    out_dir = Path(args.output) if args.output else None
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise ConfigError("-o must be a folder when drumming many songs", out_dir)
    pairs = plan_outputs(inputs, out_dir)
    if not pairs:
        raise ConfigError("no MIDI files (.mid, .midi) or recordings found in " + ", ".join(inputs))
    _check_soundfont(args, args.audio == "each" or any(is_audio_path(src) for src, _ in pairs))
    model = resolve_model(args.model)
    report = drum_many(pairs, model, _settings(args), keep_drums=args.keep_drums, workers=args.workers,
                       progress=not args.no_progress, audio=args.audio == "each", soundfont=args.soundfont)
    log = logging.getLogger("neuraldrummer")
    for _, message in report.failures:
        log.warning("skipped %s", message)
    _out(report.summary(out_dir))
    return 0 if report.drummed else 1


def cmd_continue(args: argparse.Namespace) -> int:
    import time

    from ..generation.continuation import continue_groove, groove_midi_bytes, read_groove
    from ..io.midi import write_midi
    from ..generation.runtime import DrummerRuntime

    started = time.perf_counter()
    runtime = DrummerRuntime.load(resolve_model(args.model))
    spb = runtime.config.steps_per_beat
    groove = read_groove(args.groove, spb, args.tempo)
    result = continue_groove(groove, args.bars, runtime, _settings(args))
    src = Path(args.groove)
    out = Path(args.output) if args.output else src.with_name(f"{src.stem}_continued.mid")
    write_midi(groove_midi_bytes(result, spb, args.quantized), out, src)
    _out(f"wrote {out}: {len(groove.bar_lengths)} bars kept + {args.bars} new at {groove.tempo:g} bpm, "
         f"{time.perf_counter() - started:.2f} s")
    return 0


def add_common_generation_args(p: argparse.ArgumentParser) -> None:
    from ..generation.settings import DEFAULT_TEMPERATURE

    p.add_argument("--model", help="model directory, or a shipped model: default (16ths, full kit) or eighths "
                                   "(the first design's eighth-note, nine-class model); default: default")
    p.add_argument("--cutoff", type=float, default=None,
                   help="alone: play a hit when the model's probability >= CUTOFF (deterministic, the original "
                        "design; lower = busier). With --temperature: never play below CUTOFF")
    p.add_argument("--temperature", type=float, default=None,
                   help=f"sample hits at this temperature (default {DEFAULT_TEMPERATURE:g} unless --cutoff is "
                        "given alone; <1 = safer and more repetitive, >1 = wilder)")
    p.add_argument("--seed", type=int, default=0, help="random seed for sampling (same seed, same drums)")
    p.add_argument("--drafts", type=int, default=None,
                   help="play the whole song this many times side by side and keep the take that keeps a groove "
                        "best (kick on the bar, back beat, a time-keeping line, toms in the fills); where none "
                        "grooves, play it as many times again, up to 3 rounds; default 4, 1 = the first take. "
                        "Sampling without a style only")
    p.add_argument("--style", default="none", help="GMD style (see 'neuraldrummer styles'); default none")
    p.add_argument("--style-strength", type=float, default=2.0,
                   help="how strongly the style pulls against the song (0 = song only; default 2)")
    p.add_argument("--swing", type=float, default=None,
                   help="delay off-beat onsets by this fraction of a step, -0.45 to 0.45 (default: the style's own, "
                        "0 without style)")
    p.add_argument("--quantized", action="store_true", help="snap every onset to the grid (velocities stay)")
    p.add_argument("--feel", choices=("song", "model"), default="song",
                   help="timing and dynamics: 'song' = fitted to the song (default): under a sequenced song "
                        "on the grid with a few fixed velocities a sound, under one played by hand with the "
                        "players' timing and accents; 'model' = as the model draws them")
    levels = ("low", "medium", "high")
    p.add_argument("--density", choices=levels, help="how many hits (absent: the model's own choice)")
    p.add_argument("--cymbals", choices=levels, help="how many cymbal hits (hats, ride, crash)")
    p.add_argument("--syncopation", choices=levels, help="how many onsets off the quarter-note beats")
    p.add_argument("--repetition", choices=levels, help="how alike neighbouring bars are")


def add_commands(sub: argparse._SubParsersAction) -> None:
    from ..config import STYLES

    p = sub.add_parser(
        "drum", help="write a drum track for a song, or many (default: the bundled demo song)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write a drum track for a MIDI song: the same song comes out with a new drum track on channel "
                    "10.\nThe input is never changed; the output appears whole or not at all.",
        epilog="examples:\n"
               "  neuraldrummer drum my_song.mid                      # my_song_drums.mid beside it\n"
               "  neuraldrummer drum my_song.mid --audio              # ... and my_song_drums.wav\n"
               "  neuraldrummer drum my_song.mid --style funk --density high --seed 3\n"
               "  neuraldrummer drum my_song_drums.mid --redo 17-24   # draw bars 17-24 again, keep the rest\n"
               "  neuraldrummer drum my_song.mid --meter 3/4          # a waltz played by hand: bars of three\n"
               "  neuraldrummer drum album/ -o drummed/               # a folder, on all cores\n"
               "  neuraldrummer drum my_demo.wav                      # a recording: my_demo_drums.mid and .wav\n\n"
               f"styles: {', '.join(s for s in STYLES if s != 'none')}\n"
               "models: neuraldrummer models")
    p.add_argument("inputs", nargs="*", metavar="INPUT",
                   help="MIDI songs, recordings (.wav .flac .ogg .mp3 .aiff: transcribed, then drummed) and "
                        "folders of them (default: the bundled demo song)")
    p.add_argument("-o", "--output", help="output MIDI (default: INPUT_drums.mid beside the input); with many "
                                          "songs or a folder: the output folder")
    p.add_argument("--redo", metavar="A-B", help="draw bars A to B (from 1) of a drummed song again; every drum "
                                                 "note outside them stays as it was (default output INPUT_redo.mid)")
    p.add_argument("--audio", nargs="?", const="each", metavar="OUT",
                   help="also write the drummed song as audio: OUT.wav, .flac, .ogg or .mp3 (pip-only synthesizer; "
                        "FluidSynth when installed). Without a name: a WAV beside each drummed MIDI")
    p.add_argument("--soundfont", metavar="SF2", default=None,
                   help="a General MIDI soundfont (.sf2, .sf3) to render the audio with (default: the small one "
                        "pretty_midi ships, or FluidSynth's system soundfont where FluidSynth is installed)")
    p.add_argument("--with-transcription", action="store_true",
                   help="for a recording: add the transcribed parts to the drums' MIDI as muted tracks")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="for a recording: the longest one to read (default 15 minutes)")
    p.add_argument("--workers", type=int, default=None, help="processes for many songs (default: all cores)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar for many songs")
    add_common_generation_args(p)
    p.add_argument("--start", default="auto",
                   help="start pattern: basic, count-in, blank, random, or a drum MIDI loop (default auto: blank for "
                        "the default model when sampling, it finds its own groove; basic for the eighths model, "
                        "a style, or --cutoff alone)")
    p.add_argument("--keep-drums", action="store_true", help="keep the song's own drums beside the new ones")
    p.add_argument("--meter", metavar="N/4", help="beats per bar where the bars come from the music (songs whose "
                   "file meter is 1/4 or 2/4 or whose tempo map does not fit, recordings); default: 3 or 4, as the "
                   "music repeats; with --redo give the same as when drumming")
    p.add_argument("--keep-grid", action="store_true",
                   help="keep the file's own tempo map and meter even where they do not fit the music")
    p.set_defaults(func=cmd_drum)

    p = sub.add_parser("continue", help="keep a groove (MIDI or text roll) and continue it for N bars")
    p.add_argument("groove", help="drum MIDI file or text drum-roll (.txt)")
    p.add_argument("--bars", type=int, default=8, help="bars to add, 1-1000 (default 8)")
    p.add_argument("-o", "--output", help="output MIDI (default: GROOVE_continued.mid beside it)")
    p.add_argument("--tempo", type=float, help="bpm (default: the groove's own; 120 for a text roll)")
    add_common_generation_args(p)
    p.set_defaults(func=cmd_continue, start="blank")
