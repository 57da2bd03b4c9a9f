"""What every script here does with its result: the report as JSON on stdout, and in ``--json FILE``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def write_report(report: dict, path: Path | None) -> None:
    """Write ``report`` (JSON, indented) to stdout and, if ``path`` is given, to that file."""
    text = json.dumps(report, indent=2)
    sys.stdout.write(text + "\n")
    if path:
        Path(path).write_text(text + "\n")


def corpus_arguments(doc: str) -> argparse.Namespace:
    """The arguments of a script that counts something over one split of a corpus: ``corpus``, ``--split``
    (default train) and ``--json``; ``doc`` is the script's docstring, whose first line describes it."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--split", default="train")
    ap.add_argument("--json", type=Path)
    return ap.parse_args()
