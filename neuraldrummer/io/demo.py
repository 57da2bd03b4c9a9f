"""The bundled demo song, composed in code (deterministic).

A drumless pop song in C major at 100 bpm: intro (4 bars, piano), verse (8 bars,
piano and bass), chorus (8 bars, piano, bass and lead, louder), bridge (4 bars at
88 bpm, sparse), chorus again (8 bars, back at 100 bpm) and a 2-bar ending. Sections
are marked with MIDI markers. Regenerate the shipped file with::

    python -m neuraldrummer.io.demo -o neuraldrummer/assets/demo_song.mid
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

import mido

TPB = 480
BAR = 4 * TPB
CHORDS = {  # root (bass, MIDI pitch) and triad (piano)
    "C": (36, (60, 64, 67)), "Am": (45, (57, 60, 64)), "F": (41, (57, 60, 65)), "G": (43, (55, 59, 62)),
    "Dm": (38, (57, 62, 65)), "Em": (40, (55, 59, 64)),
}
SECTIONS = [  # name, bars, progression (one chord per bar), tempo, energy 0-2
    ("intro", 4, ["C", "Am", "F", "G"], 100, 0),
    ("verse", 8, ["C", "Am", "F", "G"] * 2, 100, 1),
    ("chorus", 8, ["F", "G", "C", "Am"] * 2, 100, 2),
    ("bridge", 4, ["Dm", "Em", "F", "G"], 88, 0),
    ("chorus", 8, ["F", "G", "C", "Am"] * 2, 100, 2),
    ("ending", 2, ["C", "C"], 100, 0),
]
MELODY = [  # chorus lead: (beat offset in bar, length in beats, scale degree offset from chord top)
    (0, 1, 0), (1, 0.5, 2), (1.5, 0.5, 0), (2, 1, -1), (3, 1, 0),
]


def _track(name: str, program: int, channel: int, notes: list[tuple[int, int, int, int]]) -> mido.MidiTrack:
    events = [(0, 0, mido.MetaMessage("track_name", name=name)),
              (0, 1, mido.Message("program_change", channel=channel, program=program))]
    for start, length, pitch, vel in notes:
        events.append((start, 3, mido.Message("note_on", channel=channel, note=pitch, velocity=vel)))
        events.append((start + length, 2, mido.Message("note_off", channel=channel, note=pitch, velocity=0)))
    track, last = mido.MidiTrack(), 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - last))
        last = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def compose() -> mido.MidiFile:
    """Build the demo song."""
    conductor = [(0, mido.MetaMessage("track_name", name="Demo song")),
                 (0, mido.MetaMessage("time_signature", numerator=4, denominator=4)),
                 (0, mido.MetaMessage("key_signature", key="C"))]
    piano, bass, lead = [], [], []
    bar = 0
    tempo = None
    for name, bars, progression, bpm, energy in SECTIONS:
        start = bar * BAR
        conductor.append((start, mido.MetaMessage("marker", text=name)))
        if bpm != tempo:
            conductor.append((start, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))))
            tempo = bpm
        for k, chord in enumerate(progression):
            t0 = (bar + k) * BAR
            root, triad = CHORDS[chord]
            last_bar = name == "ending" and k == bars - 1
            if energy == 0:
                if last_bar:
                    piano += [(t0, BAR, p, 70) for p in triad]
                    bass.append((t0, BAR, root, 80))
                else:  # arpeggio in eighths
                    for e in range(8):
                        piano.append((t0 + e * TPB // 2, TPB // 2, triad[e % 3] + (12 if e >= 4 else 0), 55 + 5 * (e % 2 == 0)))
                    if name == "bridge":
                        bass.append((t0, 2 * TPB, root, 70))
            else:
                vel = 70 if energy == 1 else 92
                hits = (0, 1.5, 2, 3.5) if energy == 1 else (0, 1, 2, 2.5, 3)
                for h in hits:
                    piano += [(t0 + int(h * TPB), TPB // 2, p, vel - (8 if h % 1 else 0)) for p in triad]
                pattern = (0, 2, 2.5) if energy == 1 else (0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5)
                for h in pattern:
                    bass.append((t0 + int(h * TPB), TPB // 2 - 20, root + (12 if energy == 2 and h % 1 else 0), vel + 5))
                if energy == 2:
                    top = triad[-1] + 12
                    for beat, length, step in MELODY:
                        lead.append((t0 + int(beat * TPB), int(length * TPB) - 10, top + step * 2 - (k % 2), 96))
        bar += bars
    conductor_track, last = mido.MidiTrack(), 0
    for tick, msg in sorted(conductor, key=lambda e: e[0]):
        conductor_track.append(msg.copy(time=tick - last))
        last = tick
    conductor_track.append(mido.MetaMessage("end_of_track", time=0))
    mid = mido.MidiFile(type=1, ticks_per_beat=TPB)
    mid.tracks += [conductor_track, _track("Piano", 0, 0, piano), _track("Bass", 33, 1, bass),
                   _track("Lead", 80, 2, lead)]
    return mid


def demo_song_path() -> Path:
    """Path of the bundled demo song."""
    return Path(str(resources.files("neuraldrummer") / "assets" / "demo_song.mid"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write the demo song")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    from .midi import atomic_write_bytes, midi_to_bytes

    atomic_write_bytes(args.output, midi_to_bytes(compose()))
    sys.stdout.write(f"wrote {args.output}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
