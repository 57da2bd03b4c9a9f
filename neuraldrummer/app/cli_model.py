"""CLI commands that use a model (train, drum, continue, evaluate); registered by cli.py."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from ..errors import ConfigError


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def cmd_train(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from ..config import Config
    from ..io.midi import atomic_write_text
    from ..training.train import train

    if args.threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    config = Config.load(args.config) if args.config else None
    overrides = {k: v for k, v in (("epochs", args.epochs), ("steps_per_epoch", args.steps_per_epoch),
                                   ("seed", args.seed)) if v is not None}
    if overrides:
        config = (config or Config()).replace(**overrides)
    out = Path(args.out)
    # a progress bar within each epoch on a terminal, one line per epoch in a log
    verbose = (1 if sys.stdout.isatty() else 2) if args.progress else 0
    init = None
    if args.init_from:
        init = Path(args.init_from)
        init = init / "model.weights.h5" if init.is_dir() else init
        if not init.is_file():
            raise ConfigError("no model weights to start from (a model directory with model.weights.h5, "
                              "or a .weights.h5 file)", args.init_from)
    summary = train(args.corpus, out, config, strategy=args.strategy, verbose=verbose, init_weights=init)
    if not summary.get("chief", True):  # a worker of a cluster: the chief writes the model directory
        _out(f"worker {summary['task']} of {summary['workers']} done: best epoch {summary['best_epoch']} "
             f"val_loss {summary['best_val_loss']:.4f}, weights {summary['weights_fingerprint']}")
        return 0
    command = "neuraldrummer " + " ".join(sys.argv[1:]) if sys.argv and "neuraldrummer" in sys.argv[0] else None
    if command:
        atomic_write_text(out / "command.txt", command + "\n")
    if not args.no_metrics:
        from ..evaluation.evaluate import validation_report

        report = validation_report(out, args.corpus, 150, progress=args.progress)
        atomic_write_text(out / "metrics.json", json.dumps(report, indent=2) + "\n")
        from ..evaluation.model_card import write_model_card

        write_model_card(out)
    _out(f"wrote {out}: best epoch {summary['best_epoch']} val_loss {summary['best_val_loss']:.4f} "
         f"in {summary['seconds']:.0f} s, weights {summary['weights_fingerprint']}")
    return 0


def cmd_train_baseline(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from ..evaluation.baselines_train import train_seed_design
    from ..io.midi import atomic_write_text

    summary = train_seed_design(args.corpus, args.out, args.minutes, seed=args.seed)
    atomic_write_text(Path(args.out) / "command.txt", "neuraldrummer " + " ".join(sys.argv[1:]) + "\n")
    _out(f"wrote {args.out}: seed design, {summary['batches']} batches in {args.minutes:g} min, "
         f"best validation BCE {summary['best_val_bce_per_class']:.4f}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ..evaluation.evaluate import evaluate_songs

    baselines = None
    if args.baselines:
        baselines = Path(args.baselines_dir) if args.baselines_dir else Path(args.model).resolve().parent / "baselines"
    settings = {} if args.follow_form == "auto" else {"follow_form": args.follow_form == "on"}
    if args.follow_density != "on":
        settings["follow_density"] = False
    if args.follow_groove == "on":
        settings["follow_groove"] = True
    if args.strays == "keep":
        settings["drop_strays"] = False
    if args.temperature is not None:
        settings["temperature"] = args.temperature
    from ..generation.settings import settings_overrides

    settings.update(settings_overrides(args.set or [], "--set "))
    if args.seed:
        settings["seed"] = args.seed
    report = evaluate_songs(args.paths, args.model, args.out, baselines, args.split, args.limit,
                            progress=not args.no_progress, eighths_dir=args.eighths, settings=settings)
    _out(f"wrote {args.out}/report.json, report.md, report.png: {report['songs']} songs, "
         f"{len(report['systems'])} systems, {report['seconds']:.0f} s")
    return 0


def cmd_style_feel(args: argparse.Namespace) -> int:
    from ..training.corpus import Corpus
    from ..io.midi import atomic_write_text
    from ..config import STYLE_FEEL_FILE
    from ..training.train import style_feel

    feel = style_feel(Corpus(args.corpus))
    out = Path(args.model) / STYLE_FEEL_FILE
    atomic_write_text(out, json.dumps(feel, indent=2) + "\n")
    _out(f"wrote {out}: {len(feel)} styles")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from ..evaluation.evaluate import validation_report
    from ..io.midi import atomic_write_text
    from ..evaluation.model_card import write_model_card

    report = validation_report(args.model, args.corpus, args.limit or None, progress=True)
    atomic_write_text(Path(args.model) / "metrics.json", json.dumps(report, indent=2) + "\n")
    card = write_model_card(args.model)
    _out(f"wrote {args.model}/metrics.json and {card}: validation NLL {report['songs']['nll_bits_per_step']:.3f} "
         f"bits/step, stats distance {report['stats_distance']}")
    return 0


def cmd_model_card(args: argparse.Namespace) -> int:
    from ..evaluation.model_card import write_model_card

    _out(f"wrote {write_model_card(args.model)}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    from ..training.train import STRATEGIES

    p = sub.add_parser("train", help="train a drummer on a corpus (resumes if interrupted)")
    p.add_argument("corpus", help="corpus directory from 'neuraldrummer tokenise'")
    p.add_argument("--out", required=True, help="model directory to write (e.g. saved/mymodel)")
    p.add_argument("--config", help="JSON config (keys of neuraldrummer.config.Config)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--steps-per-epoch", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--init-from", help="start from this model's weights (same design; e.g. to fine-tune a "
                                       "model with a changed config); ignored when resuming OUT")
    p.add_argument("--strategy", default="default", choices=STRATEGIES,
                   help="tf.distribute strategy: mirrored = all local GPUs, multi-worker = TF_CONFIG cluster")
    p.add_argument("--progress", action="store_true", default=True)
    p.add_argument("--no-metrics", action="store_true", help="skip validation metrics after training")
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads for TensorFlow (default: all; e.g. 1 to train two models side by side)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("train-baseline", help="train the original (seed) design on a corpus, for comparison")
    p.add_argument("system", choices=["seed_design"])
    p.add_argument("corpus")
    p.add_argument("--out", required=True)
    p.add_argument("--minutes", type=float, default=9.0, help="wall-clock training budget (default 9)")
    p.add_argument("--seed", type=int, default=1234)
    p.set_defaults(func=cmd_train_baseline)

    p = sub.add_parser("evaluate", help="compare the model (and baselines) with the real drums of songs")
    p.add_argument("paths", nargs="+", help="MIDI songs with drums, or folders of them")
    p.add_argument("--model", default=str(Path(__file__).resolve().parents[2] / "saved" / "default"))
    p.add_argument("--baselines", action="store_true", help="also evaluate seed_design, no_song_features, rule_based")
    p.add_argument("--baselines-dir", help="where the baseline models are (default: MODEL/../baselines)")
    p.add_argument("--eighths", help="the eighth-note model compared with --baselines (default: MODEL/../eighths)")
    p.add_argument("--split", choices=["train", "validation", "test"], help="only songs of this corpus split")
    p.add_argument("--limit", type=int, help="at most this many songs")
    p.add_argument("--out", required=True, help="report directory")
    p.add_argument("--follow-form", choices=("auto", "on", "off"), default="auto",
                   help="the model's takes chosen to follow the song's form (fills, repeats, density): auto "
                        "(as drum does), on or off; to see what the choice adds")
    p.add_argument("--follow-density", choices=("on", "off"), default="on",
                   help="the takes chosen to follow the song's density (default on, as drum does)")
    p.add_argument("--follow-groove", choices=("on", "off"), default="off",
                   help="the takes chosen to keep a time-keeping line and toms to the fills (default off, as "
                        "drum does)")
    p.add_argument("--strays", choices=("drop", "keep"), default="drop",
                   help="the model's stray hits (a sound's only hit in a bar, silent either side) taken out "
                        "(default, as drum does) or kept")
    p.add_argument("--temperature", type=float, help="the model's sampling temperature (default: drum's)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="any field of GenerationSettings for the model's drums, e.g. --set velocity_temperature=1 "
                        "--set follow_density_exponent=0.35 (repeatable; values as Python literals, none/true/false)")
    p.add_argument("--seed", type=int, default=0,
                   help="song k is drummed with seed k + SEED (default 0): another take of every song, to see "
                        "how much a measure moves from take to take")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("style-feel", help="measure each style's swing and dynamics on a corpus into MODEL/style_feel.json")
    p.add_argument("corpus")
    p.add_argument("--model", required=True)
    p.set_defaults(func=cmd_style_feel)

    p = sub.add_parser("validate", help="validation metrics of a model on its corpus: MODEL/metrics.json and README.md")
    p.add_argument("model")
    p.add_argument("corpus")
    p.add_argument("--limit", type=int, default=150,
                   help="at most this many validation songs with a song (default 150; 0 = all)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("model-card", help="write MODEL/README.md from the files training left there")
    p.add_argument("model")
    p.set_defaults(func=cmd_model_card)

