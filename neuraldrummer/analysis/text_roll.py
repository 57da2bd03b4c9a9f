"""Drums as a plain-text drum-roll (after the LLM drum study), and back.

One line per step, one character per drum class, a ``|`` line before each bar::

    # neuraldrummer drum-roll v1
    # steps_per_beat: 2
    # columns: K S h o L M T C R s c p Y N B t W m = kick snare closed_hat ... shaker
    # symbols: - rest, g ghost (velocity < 0.35), x hit, X accent (velocity >= 0.75)
    | bar 1 4/4
    XxX-----X---------
    --x---------------
    ...

One column per class of the full kit (see :mod:`neuraldrummer.analysis.drum_map`); a roll with nine
columns (the first design's classes) is read too. Hits round-trip exactly; velocities
round-trip to their level (ghost, normal, accent).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .drum_map import CLASS_NAMES, CLASS_SYMBOLS, NUM_CLASSES, NUM_NINE
from .drums import DrumArrays
from ..errors import TextRollError

HEADER = "# neuraldrummer drum-roll v1"
REST, GHOST, HIT, ACCENT = "-", "g", "x", "X"
#: Velocity written back for each symbol.
LEVEL_VELOCITY = {GHOST: 0.25, HIT: 0.6, ACCENT: 0.9}
GHOST_BELOW, ACCENT_FROM = 0.35, 0.75
_BAR_RE = re.compile(r"^\|\s*bar\s+\d+(?:\s+(\d+)/(\d+))?\s*$")


@dataclass
class TextRoll:
    """A parsed text drum-roll."""

    drums: DrumArrays
    bar_lengths: list[int]
    meters: list[tuple[int, int] | None]
    steps_per_beat: int


def velocity_symbol(velocity: np.ndarray) -> np.ndarray:
    """Symbol per velocity (array of one-character strings)."""
    return np.where(velocity < GHOST_BELOW, GHOST, np.where(velocity >= ACCENT_FROM, ACCENT, HIT))


def to_text(drums: DrumArrays, bar_lengths: list[int] | np.ndarray, steps_per_beat: int = 2,
            meters: list[tuple[int, int]] | np.ndarray | None = None) -> str:
    """Render drums as a text roll. ``bar_lengths`` must add up to the number of steps."""
    bar_lengths = [int(b) for b in bar_lengths]
    if sum(bar_lengths) != drums.num_steps:
        raise TextRollError(f"bar lengths add up to {sum(bar_lengths)}, drums have {drums.num_steps} steps")
    symbols = np.where(drums.hits, velocity_symbol(drums.velocity), REST)
    lines = [
        HEADER,
        f"# steps_per_beat: {steps_per_beat}",
        "# columns: " + " ".join(CLASS_SYMBOLS) + " = " + " ".join(CLASS_NAMES),
        f"# symbols: {REST} rest, {GHOST} ghost (velocity < {GHOST_BELOW}), {HIT} hit, "
        f"{ACCENT} accent (velocity >= {ACCENT_FROM})",
    ]
    step = 0
    for b, length in enumerate(bar_lengths):
        meter = "" if meters is None else f" {int(meters[b][0])}/{int(meters[b][1])}"
        lines.append(f"| bar {b + 1}{meter}")
        lines.extend("".join(row) for row in symbols[step:step + length])
        step += length
    return "\n".join(lines) + "\n"


def from_text(text: str) -> TextRoll:
    """Parse a text roll written by :func:`to_text` (or by hand, or by a language model)."""
    steps_per_beat = 2
    rows: list[str] = []
    bar_lengths: list[int] = []
    meters: list[tuple[int, int] | None] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            match = re.match(r"#\s*steps_per_beat:\s*(\d+)", line)
            if match:
                steps_per_beat = int(match.group(1))
            continue
        if line.startswith("|"):
            match = _BAR_RE.match(line)
            if not match:
                raise TextRollError(f"line {number}: bad bar separator {line!r}")
            bar_lengths.append(0)
            meters.append((int(match.group(1)), int(match.group(2))) if match.group(1) else None)
            continue
        if len(line) not in (NUM_CLASSES, NUM_NINE) or set(line) - {REST, GHOST, HIT, ACCENT}:
            raise TextRollError(
                f"line {number}: expected {NUM_CLASSES} (full kit) or {NUM_NINE} (nine classes) characters "
                f"of '{REST}{GHOST}{HIT}{ACCENT}', got {line!r}"
            )
        line = line.ljust(NUM_CLASSES, REST)  # a nine-class roll: the first nine columns of the full kit
        if not bar_lengths:
            bar_lengths.append(0)
            meters.append(None)
        rows.append(line)
        bar_lengths[-1] += 1
    if not rows:
        raise TextRollError("no drum steps in the text roll")
    grid = np.array([list(r) for r in rows])
    hits = grid != REST
    velocity = np.zeros(grid.shape, np.float32)
    for symbol, value in LEVEL_VELOCITY.items():
        velocity[grid == symbol] = value
    drums = DrumArrays(hits, velocity, np.zeros(grid.shape, np.float32))
    return TextRoll(drums, [b for b in bar_lengths], meters, steps_per_beat)


def read_text_roll(path) -> TextRoll:
    """Read and parse a text roll file; errors name the file."""
    from pathlib import Path

    from ..errors import MidiLoadError

    path = Path(path)
    if not path.is_file():
        raise MidiLoadError("no such file" if not path.exists() else "not a file", path)
    try:
        return from_text(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise TextRollError("not a text file", path) from exc
    except TextRollError as exc:
        raise TextRollError(exc.message, path) from exc


def continuation_pairs(drums: DrumArrays, bar_lengths: list[int], prompt_bars: int,
                       steps_per_beat: int = 2) -> dict | None:
    """One "first N bars -> the rest" example, or ``None`` if the song is too short."""
    bar_lengths = [int(b) for b in bar_lengths]
    if len(bar_lengths) <= prompt_bars:
        return None
    split = sum(bar_lengths[:prompt_bars])
    return {
        "prompt": to_text(drums[:split], bar_lengths[:prompt_bars], steps_per_beat),
        "completion": to_text(drums[split:], bar_lengths[prompt_bars:], steps_per_beat),
    }
