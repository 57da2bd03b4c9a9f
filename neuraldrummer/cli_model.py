"""CLI commands that use a model (train, drum, ...); added to the parser by cli.py."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the model commands (filled in by the model layer)."""
    return None
