"""The one drum map: General MIDI drum pitches to drum classes and back.

The **full kit** has 18 classes. Its first nine are Magenta's canonical classes
(``drums_encoder_decoder``, used by GrooVAE and the E-GMD studies), in Magenta's order,
so a nine-class index means the same sound in both maps. The other nine are the sounds
that a drummer chooses on purpose and that Magenta folds away: side-stick, clap, pedal
hat, splash, China, ride bell, tambourine, cowbell and shakers.

Every full-kit class folds down to one of the nine (:data:`FOLD_TO_NINE`), the documented
mapping used by the evaluation and for comparing with the original design:

=============  ===========  ============================================
full kit       folds to     why
=============  ===========  ============================================
side_stick     snare        plays the snare's role (Magenta does the same)
clap           snare        backbeat role (Magenta)
pedal_hat      closed_hat   time-keeping (Magenta)
splash         crash        accent cymbal (Magenta)
china          crash        accent cymbal (Magenta puts it on the ride)
ride_bell      ride         same cymbal (Magenta)
tambourine     closed_hat   steady subdivisions (Magenta)
cowbell        snare        Magenta's choice
shaker         closed_hat   steady subdivisions (Magenta folds cabasa and
                            maracas there, the shaker 82 onto the ride)
=============  ===========  ============================================

Pitches outside the table are *unknown*: they are counted by the encoder
(:attr:`neuraldrummer.analysis.drums.DrumEncoding.unknown_pitches`), never a crash.
Decoding writes each class's canonical pitch, the first one listed.
"""

from __future__ import annotations

import numpy as np

#: (class name, one-letter text-roll symbol, pitches; the first is the canonical one)
DRUM_CLASSES: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    # --- Magenta's nine, in Magenta's order -------------------------------------------
    # Bass drum 1 and acoustic bass drum.
    ("kick", "K", (36, 35)),
    # Snares, rim shot, sticks, high Q, slap, metronome sounds, timbales, claves, castanets.
    ("snare", "S", (38, 40, 27, 28, 31, 32, 33, 34, 65, 66, 75, 85)),
    # Closed hi-hat and the short steady timekeepers (agogo, whistle, guiro, cuica, triangle).
    ("closed_hat", "h", (42, 22, 68, 71, 73, 78, 80)),
    # Open hi-hat and its open-sounding relatives.
    ("open_hat", "o", (46, 26, 67, 72, 74, 79, 81)),
    # Floor and low toms, low congas/bongos.
    ("low_tom", "L", (45, 41, 43, 29, 61, 64, 84)),
    # Mid toms.
    ("mid_tom", "M", (48, 47, 60, 63, 77, 86, 87)),
    # High toms.
    ("high_tom", "T", (50, 30, 62, 76, 83)),
    # Crash cymbals and the vibraslap.
    ("crash", "C", (49, 57, 58)),
    # Ride cymbal.
    ("ride", "R", (51, 59)),
    # --- the rest of the kit ------------------------------------------------------------
    ("side_stick", "s", (37,)),
    ("clap", "c", (39,)),
    ("pedal_hat", "p", (44,)),
    ("splash", "Y", (55,)),
    ("china", "N", (52,)),
    ("ride_bell", "B", (53,)),
    ("tambourine", "t", (54,)),
    ("cowbell", "W", (56,)),
    # Maracas, cabasa, shaker.
    ("shaker", "m", (70, 69, 82)),
)

CLASS_NAMES: tuple[str, ...] = tuple(name for name, _, _ in DRUM_CLASSES)
CLASS_SYMBOLS: tuple[str, ...] = tuple(sym for _, sym, _ in DRUM_CLASSES)
NUM_CLASSES: int = len(DRUM_CLASSES)
CANONICAL_PITCHES: tuple[int, ...] = tuple(p[0] for _, _, p in DRUM_CLASSES)

#: Magenta's nine classes: the first nine of the full kit.
NINE_CLASS_NAMES: tuple[str, ...] = CLASS_NAMES[:9]
NUM_NINE: int = 9

#: Reverse lookup built once: index by MIDI pitch (0-127), -1 for unknown pitches.
PITCH_TO_CLASS: np.ndarray = np.full(128, -1, dtype=np.int8)
for _index, (_name, _sym, _pitches) in enumerate(DRUM_CLASSES):
    for _pitch in _pitches:
        PITCH_TO_CLASS[_pitch] = _index
PITCH_TO_CLASS.setflags(write=False)

#: Full-kit class -> nine-class index (see the module table).
FOLD_TO_NINE: np.ndarray = np.array(
    list(range(9)) + [CLASS_NAMES.index(n) for n in (
        "snare", "snare", "closed_hat", "crash", "crash", "ride", "closed_hat", "snare", "closed_hat")],
    dtype=np.int64,
)
FOLD_TO_NINE.setflags(write=False)

KICK = CLASS_NAMES.index("kick")
SNARE = CLASS_NAMES.index("snare")
CLOSED_HAT = CLASS_NAMES.index("closed_hat")
OPEN_HAT = CLASS_NAMES.index("open_hat")
CRASH = CLASS_NAMES.index("crash")
RIDE = CLASS_NAMES.index("ride")
TOMS: tuple[int, ...] = tuple(CLASS_NAMES.index(n) for n in ("low_tom", "mid_tom", "high_tom"))

#: Class groups used by metrics and controls (full-kit indices).
CYMBAL_CLASSES: tuple[int, ...] = tuple(
    CLASS_NAMES.index(n) for n in ("closed_hat", "open_hat", "crash", "ride", "pedal_hat", "splash", "china",
                                   "ride_bell")
)
#: Crash, splash and China: what marks a section start.
CRASH_CLASSES: tuple[int, ...] = tuple(CLASS_NAMES.index(n) for n in ("crash", "splash", "china"))
#: the sounds that keep time: a line of hats, ride, tambourine or shaker
TIMEKEEPING_CLASSES: tuple[int, ...] = tuple(CLASS_NAMES.index(n) for n in (
    "closed_hat", "open_hat", "pedal_hat", "ride", "ride_bell", "tambourine", "shaker"))
#: onsets of one time-keeping sound in a bar that make a time-keeping line
TIMEKEEPING_ONSETS = 4

#: The six classes of the original (seed) design, for like-for-like comparisons.
SEED_DESIGN_CLASSES: tuple[int, ...] = (KICK, SNARE, CLOSED_HAT, OPEN_HAT, CRASH, RIDE)


def pitch_to_class(pitch: int) -> int:
    """Return the full-kit class index of a General MIDI drum pitch, or -1 if unknown."""
    if not 0 <= pitch < 128:
        return -1
    return int(PITCH_TO_CLASS[pitch])


def fold_to_nine(array: np.ndarray, reduce: str = "max") -> np.ndarray:
    """``(..., 18)`` full-kit array -> ``(..., 9)`` nine-class array (max over folded classes).

    A ``(..., 9)`` array is returned unchanged.
    """
    array = np.asarray(array)
    if array.shape[-1] == NUM_NINE:
        return array
    if array.shape[-1] != NUM_CLASSES:
        raise ValueError(f"expected {NUM_CLASSES} or {NUM_NINE} classes, got {array.shape[-1]}")
    out = np.array(array[..., :NUM_NINE], copy=True)
    for k in range(NUM_NINE, NUM_CLASSES):
        j = int(FOLD_TO_NINE[k])
        out[..., j] = np.maximum(out[..., j], array[..., k])
    return out


def fold_steps_to_nine(steps: np.ndarray) -> np.ndarray:
    """``(..., 3 * 18)`` step vectors (hits, velocities, offsets) -> ``(..., 3 * 9)``; nine-class
    vectors are returned unchanged."""
    steps = np.asarray(steps)
    if steps.shape[-1] == 3 * NUM_NINE:
        return steps
    C = NUM_CLASSES
    return np.concatenate([fold_to_nine(steps[..., k * C:(k + 1) * C]) for k in range(3)], axis=-1)


def expand_from_nine(array: np.ndarray, fill: float = 0) -> np.ndarray:
    """``(..., 9)`` -> ``(..., 18)``: each of the nine on its own full-kit class, ``fill`` elsewhere."""
    array = np.asarray(array)
    if array.shape[-1] == NUM_CLASSES:
        return array
    out = np.full(array.shape[:-1] + (NUM_CLASSES,), fill, dtype=array.dtype)
    out[..., :NUM_NINE] = array
    return out
