"""What every script here does with its result: the report as JSON on stdout, and in ``--json FILE``."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def write_report(report: dict, path: Path | None) -> None:
    """Write ``report`` (JSON, indented) to stdout and, if ``path`` is given, to that file."""
    text = json.dumps(report, indent=2)
    sys.stdout.write(text + "\n")
    if path:
        Path(path).write_text(text + "\n")
