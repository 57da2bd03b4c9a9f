"""The one drum map: General MIDI drum pitches to canonical drum classes and back.

The nine classes follow Magenta's ``drums_encoder_decoder`` (used by GrooVAE and the
E-GMD studies), which maps *every* General MIDI percussion pitch 22-87 to one class:

* side-stick (37), hand clap (39) and other snare-like sounds play the snare role;
* tambourine (54), maracas, shakers, claves, cabasa and cuica play the closed-hat role
  (steady subdivisions);
* cowbell (56) plays the snare role, as in Magenta; bongos, congas and timbales fall
  onto the toms by register.

Pitches outside that table are *unknown*: they are counted by the encoder
(:attr:`neuraldrummer.drums.DrumEncoding.unknown_pitches`), never a crash.
Decoding writes each class's canonical pitch, the first one listed below.
"""

from __future__ import annotations

import numpy as np

#: (class name, one-letter text-roll symbol, pitches; the first is the canonical one)
DRUM_CLASSES: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    # Bass drum 1 and acoustic bass drum.
    ("kick", "K", (36, 35)),
    # Snares, side-stick, clap, rim shots, cowbell, and Magenta's other snare-role sounds.
    ("snare", "S", (38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85)),
    # Closed and pedal hi-hat, tambourine, shakers and other steady timekeepers.
    ("closed_hat", "h", (42, 44, 54, 68, 69, 70, 71, 73, 78, 80, 22)),
    # Open hi-hat and its open-sounding relatives.
    ("open_hat", "o", (46, 67, 72, 74, 79, 81, 26)),
    # Floor and low toms, low congas/timbales.
    ("low_tom", "L", (45, 29, 41, 43, 61, 64, 84)),
    # Mid toms.
    ("mid_tom", "M", (48, 47, 60, 63, 77, 86, 87)),
    # High toms.
    ("high_tom", "T", (50, 30, 62, 76, 83)),
    # Crash, splash and China cymbals.
    ("crash", "C", (49, 55, 57, 58)),
    # Ride cymbal, ride bell, vibraslap, bell tree.
    ("ride", "R", (51, 52, 53, 59, 82)),
)

CLASS_NAMES: tuple[str, ...] = tuple(name for name, _, _ in DRUM_CLASSES)
CLASS_SYMBOLS: tuple[str, ...] = tuple(sym for _, sym, _ in DRUM_CLASSES)
NUM_CLASSES: int = len(DRUM_CLASSES)
CANONICAL_PITCHES: tuple[int, ...] = tuple(p[0] for _, _, p in DRUM_CLASSES)

#: Reverse lookup built once: index by MIDI pitch (0-127), -1 for unknown pitches.
PITCH_TO_CLASS: np.ndarray = np.full(128, -1, dtype=np.int8)
for _index, (_name, _sym, _pitches) in enumerate(DRUM_CLASSES):
    for _pitch in _pitches:
        PITCH_TO_CLASS[_pitch] = _index
PITCH_TO_CLASS.setflags(write=False)

#: Class groups used by metrics and controls.
CYMBAL_CLASSES: tuple[int, ...] = tuple(
    CLASS_NAMES.index(n) for n in ("closed_hat", "open_hat", "crash", "ride")
)
KICK = CLASS_NAMES.index("kick")
SNARE = CLASS_NAMES.index("snare")
CLOSED_HAT = CLASS_NAMES.index("closed_hat")
OPEN_HAT = CLASS_NAMES.index("open_hat")
CRASH = CLASS_NAMES.index("crash")
RIDE = CLASS_NAMES.index("ride")
TOMS: tuple[int, ...] = tuple(CLASS_NAMES.index(n) for n in ("low_tom", "mid_tom", "high_tom"))

#: The six classes of the original (seed) design, for like-for-like comparisons.
SEED_DESIGN_CLASSES: tuple[int, ...] = (KICK, SNARE, CLOSED_HAT, OPEN_HAT, CRASH, RIDE)


def pitch_to_class(pitch: int) -> int:
    """Return the class index of a General MIDI drum pitch, or -1 if unknown."""
    if not 0 <= pitch < 128:
        return -1
    return int(PITCH_TO_CLASS[pitch])
