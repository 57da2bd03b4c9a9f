"""CLI commands that use a model (train, drum, continue, evaluate); registered by cli.py."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def cmd_train(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from .config import Config
    from .midi_io import atomic_write_text
    from .train import train

    config = Config.load(args.config) if args.config else None
    overrides = {k: v for k, v in (("epochs", args.epochs), ("steps_per_epoch", args.steps_per_epoch),
                                   ("seed", args.seed)) if v is not None}
    if overrides:
        config = (config or Config()).replace(**overrides)
    out = Path(args.out)
    summary = train(args.corpus, out, config, strategy=args.strategy, verbose=2 if args.progress else 0)
    command = "neuraldrummer " + " ".join(sys.argv[1:]) if sys.argv and "neuraldrummer" in sys.argv[0] else None
    if command:
        atomic_write_text(out / "command.txt", command + "\n")
    if not args.no_metrics:
        from .evaluate import validation_report

        report = validation_report(out, args.corpus)
        atomic_write_text(out / "metrics.json", json.dumps(report, indent=2) + "\n")
    _out(f"wrote {out}: best epoch {summary['best_epoch']} val_loss {summary['best_val_loss']:.4f} "
         f"in {summary['seconds']:.0f} s")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    from .train import STRATEGIES

    p = sub.add_parser("train", help="train a drummer on a corpus (resumes if interrupted)")
    p.add_argument("corpus", help="corpus directory from 'neuraldrummer tokenise'")
    p.add_argument("--out", required=True, help="model directory to write (e.g. saved/mymodel)")
    p.add_argument("--config", help="JSON config (keys of neuraldrummer.config.Config)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--steps-per-epoch", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--strategy", default="default", choices=STRATEGIES,
                   help="tf.distribute strategy: mirrored = all local GPUs, multi-worker = TF_CONFIG cluster")
    p.add_argument("--progress", action="store_true", default=True)
    p.add_argument("--no-metrics", action="store_true", help="skip validation metrics after training")
    p.set_defaults(func=cmd_train)

    from . import cli_drum

    cli_drum.add_commands(sub)
