"""Loop tools (after the trap-beat generator): name-based mapping of single-instrument loop
files to General MIDI drum pitches, and augmentation by recombining kick, snare and hat loops.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import mido
import numpy as np

from ..errors import NeuralDrummerError
from ..io.midi import atomic_write_bytes, load_midi, midi_to_bytes

logger = logging.getLogger(__name__)

#: (pattern on the normalised file name, General MIDI drum pitch); first match wins, so
#: specific names ("open hat", "hi tom") come before general ones ("hat", "tom").
NAME_TO_PITCH: tuple[tuple[str, int], ...] = (
    (r"open ?(hi ?)?hats?|\bohh?\b", 46),
    (r"pedal ?(hi ?)?hats?", 44),
    (r"(closed ?)?hi ?hats?|\bhh\b|\bchh?\b|\bhats?\b", 42),
    (r"\b808\b|sub ?kick", 35),
    (r"kick|\bbd\b|bass ?drum|\bkik\b", 36),
    (r"rim|side ?stick|cross ?stick", 37),
    (r"snare|\bsd\b|\bsnr\b", 38),
    (r"clap|\bclp\b", 39),
    (r"(high|hi) ?tom", 50),
    (r"mid ?tom", 48),
    (r"(low|floor) ?tom|\btoms?\b", 45),
    (r"crash|splash|china", 49),
    (r"ride", 51),
    (r"cowbell", 56),
    (r"tamb|shaker|maraca|perc", 54),
)


def pitch_for_name(name: str) -> int | None:
    """General MIDI drum pitch for a loop file name like ``Kick_01.mid`` or ``Hi Hat 2.mid``."""
    text = re.sub(r"[_\-.]+", " ", Path(name).stem.lower())
    text = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", text)  # Snare3 -> snare 3
    text = re.sub(r"\s+", " ", text).strip()
    for pattern, pitch in NAME_TO_PITCH:
        if re.search(pattern, text):
            return pitch
    return None


@dataclass
class LoopReport:
    written: list[Path] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)


def normalise_loops(src: str | Path, out: str | Path) -> LoopReport:
    """Map every note of each loop file onto its instrument's GM drum pitch, on channel 10."""
    from .sources import find_midi_files

    report = LoopReport()
    out = Path(out)
    for path in find_midi_files([src]):
        pitch = pitch_for_name(path.name)
        if pitch is None:
            report.skipped["unknown_instrument_name"] += 1
            continue
        try:
            loaded = load_midi(path)
        except NeuralDrummerError as exc:
            report.skipped[exc.reason] += 1
            continue
        mid = loaded.mido_file  # absolute ticks (see midi_io)
        new = mido.MidiFile(type=1, ticks_per_beat=mid.ticks_per_beat)
        notes = 0
        for track in mid.tracks:
            events, last = mido.MidiTrack(), 0
            for msg in track:
                if msg.type in ("note_on", "note_off"):
                    msg = msg.copy(channel=9, note=pitch)
                    notes += msg.type == "note_on" and msg.velocity > 0
                elif not msg.is_meta and hasattr(msg, "channel"):
                    continue  # programs and controllers of the source instrument
                events.append(msg.copy(time=int(msg.time) - last))
                last = int(msg.time)
            new.tracks.append(events)
        if notes == 0:
            report.skipped["no_notes"] += 1
            continue
        target = out / path.relative_to(src).with_suffix(".mid") if Path(src).is_dir() else out / path.name
        atomic_write_bytes(target, midi_to_bytes(new))
        report.written.append(target)
    return report


ROLES = {"kick": (35, 36), "snare": (37, 38, 39, 40), "hat": (42, 44, 46)}


def role_of(path: Path) -> str | None:
    pitch = pitch_for_name(path.name)
    for role, pitches in ROLES.items():
        if pitch in pitches:
            return role
    return None


def combine_loops(src: str | Path, out: str | Path, count: int | None = None, seed: int = 0,
                  steps_per_beat: int = 8) -> LoopReport:
    """New drum loops from every (or ``count`` random) kick x snare x hat combination.

    Each loop is read on a 32nd-note grid (micro-timing and velocities kept); shorter
    loops repeat to the length of the longest one in the combination.
    """
    from .sources import find_midi_files
    from ..analysis.drums import DrumArrays
    from ..analysis.roll_midi import drum_midi
    from ..analysis.song import encode_song

    report = LoopReport()
    loops: dict[str, list] = {r: [] for r in ROLES}
    for path in find_midi_files([src]):
        role = role_of(path)
        if role is None:
            report.skipped["not_kick_snare_or_hat"] += 1
            continue
        try:
            song = encode_song(path, steps_per_beat)
        except NeuralDrummerError as exc:
            report.skipped[exc.reason] += 1
            continue
        if not song.has_drums:
            report.skipped["no_drums"] += 1
            continue
        bar = 4 * steps_per_beat
        steps = int(np.ceil(song.drums.num_steps / bar) * bar)
        drums = DrumArrays.concatenate([song.drums, DrumArrays.empty(steps - song.drums.num_steps)])
        loops[role].append((path, drums, float(song.grid.qpm[0])))
    combos = list(itertools.product(*(range(len(loops[r])) for r in ROLES)))
    if count is not None and count < len(combos):
        rng = np.random.default_rng(seed)
        combos = [combos[i] for i in sorted(rng.choice(len(combos), size=count, replace=False))]
    out = Path(out)
    for n, (k, s, h) in enumerate(combos):
        parts = [loops["kick"][k], loops["snare"][s], loops["hat"][h]]
        length = max(p[1].num_steps for p in parts)
        total = DrumArrays.empty(length)
        for _, drums, _ in parts:
            reps = int(np.ceil(length / drums.num_steps))
            tiled = DrumArrays.concatenate([drums] * reps)[:length]
            louder = tiled.hits & (tiled.velocity >= total.velocity)
            total.hits |= tiled.hits
            total.velocity[louder] = tiled.velocity[louder]
            total.offset[louder] = tiled.offset[louder]
        bar = 4 * steps_per_beat
        target = out / f"combo_{n:04d}_{parts[0][0].stem}+{parts[1][0].stem}+{parts[2][0].stem}.mid"
        atomic_write_bytes(target, midi_to_bytes(drum_midi(total, [bar] * (length // bar), steps_per_beat,
                                                           parts[0][2])))
        report.written.append(target)
    return report
