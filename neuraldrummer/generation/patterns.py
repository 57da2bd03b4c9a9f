"""Start patterns that prime the drummer before bar 1, style grooves, and loops cut into bars.

A start pattern is fed through the LSTM (teacher forced, over the song's first bars) so the
drummer starts "in" that groove; the pattern itself is not written. ``blank`` starts from silence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..analysis.drum_map import CLOSED_HAT, KICK, NUM_CLASSES, SNARE
from ..analysis.drums import DrumArrays
from ..errors import ConfigError, NoDrumsError


START_PATTERNS = ("auto", "basic", "count-in", "blank", "random")
#: Two-bar priming grooves per style, on a 16th-note grid of one 4/4 bar: class -> 16
#: characters, digits 1-9 are velocity levels (9 = loudest). Written out here, not copied
#: from any data set. Styles without an entry use the basic rock beat.
STYLE_GROOVES: dict[str, dict[str, str]] = {
    "rock": {"kick": "9-------7-7-----", "snare": "----9-------9---", "closed_hat": "7-5-7-5-7-5-7-5-"},
    "jazz": {"ride": "8---6--48---6--4", "closed_hat": "----7-------7---", "kick": "3-------3-------",
             "snare": "-------------2--"},
    "funk": {"kick": "9-----7---7---5-", "snare": "----9--3-3--9--3", "closed_hat": "6464646464646464"},
    "hiphop": {"kick": "9------7--7-----", "snare": "----9-------9---", "closed_hat": "6-5-6-5-6-5-6-5-"},
    "latin": {"kick": "7--6----7--6----", "snare": "5--5--5---5--5--", "closed_hat": "5-5-5-5-5-5-5-5-"},
    "reggae": {"kick": "--------9-------", "snare": "--------9-------", "closed_hat": "--5---5---5---5-"},
    "punk": {"kick": "9-7-9-7-9-7-9-7-", "snare": "----9-------9---", "crash": "8-------8-------"},
    "soul": {"kick": "8-----6-8-------", "snare": "----8-------8--3", "closed_hat": "6-4-6-4-6-4-6-4-"},
}


def style_groove(style: str, steps_per_beat: int) -> DrumArrays | None:
    """The priming groove of a style (two bars), or ``None`` if the style has none."""
    from ..analysis.drum_map import CLASS_NAMES

    spec = STYLE_GROOVES.get(style)
    if spec is None:
        return None
    bar = 4 * steps_per_beat
    d = DrumArrays.empty(2 * bar)
    for name, pattern in spec.items():
        c = CLASS_NAMES.index(name)
        for i, ch in enumerate(pattern):
            if ch == "-":
                continue
            step = i * steps_per_beat // 4
            if i * steps_per_beat % 4:  # a 16th position the grid cannot hold (eighth grid)
                continue
            for b in range(2):
                d.hits[b * bar + step, c] = True
                d.velocity[b * bar + step, c] = int(ch) / 9
    return d


def start_pattern(name: str | Path, steps_per_beat: int, seed: int = 0, style: str = "none") -> DrumArrays:
    """A priming pattern: ``basic`` rock beat (or the style's groove when a style is given),
    ``count-in``, ``blank``, ``random``, or a drum MIDI loop."""
    bar = 4 * steps_per_beat
    spb = steps_per_beat
    if str(name) == "basic" and style != "none":
        groove = style_groove(style, steps_per_beat)
        if groove is not None:
            return groove
    if str(name) == "blank":
        return DrumArrays.empty(0)
    if str(name) == "basic":
        d = DrumArrays.empty(2 * bar)
        eighth = max(1, spb // 2)
        d.hits[::eighth, CLOSED_HAT] = True
        d.hits[::2 * spb, KICK] = True
        d.hits[spb::2 * spb, SNARE] = True
        d.velocity[d.hits] = 0.7
        d.velocity[::bar][d.hits[::bar]] = 0.9
        return d
    if str(name) == "count-in":
        d = DrumArrays.empty(bar)
        d.hits[::spb, CLOSED_HAT] = True
        d.velocity[d.hits] = 0.6
        return d
    if str(name) == "random":
        rng = np.random.default_rng(seed)
        density = np.zeros(NUM_CLASSES)
        density[:9] = [0.25, 0.15, 0.5, 0.05, 0.03, 0.03, 0.03, 0.02, 0.05]
        d = DrumArrays.empty(2 * bar)
        d.hits[:] = rng.random((2 * bar, NUM_CLASSES)) < density
        d.velocity[d.hits] = rng.uniform(0.4, 0.9, size=int(d.hits.sum()))
        return d
    path = Path(name)
    if path.suffix.lower() not in (".mid", ".midi") and not path.exists():
        raise ConfigError(f"unknown start pattern {name!r}; use one of {START_PATTERNS} or a drum MIDI loop")
    from ..analysis.song import encode_song

    loop = encode_song(path, steps_per_beat)
    if not loop.has_drums:
        raise NoDrumsError("start loop has no drum notes", path)
    # trim trailing empty bars
    last = int(np.nonzero(loop.drums.hits.any(axis=1))[0].max())
    end = int(loop.grid.bar_starts[loop.grid.bar[last]] + loop.grid.bar_length[last])
    return loop.drums[:end]


def cut_into_bars(pattern: DrumArrays, steps_per_beat: int) -> list[np.ndarray]:
    """A loop's hits cut into 4/4 bars (the loop files' usual meter)."""
    bar = 4 * steps_per_beat
    return [pattern.hits[i:i + bar] for i in range(0, pattern.num_steps - bar + 1, bar)]
