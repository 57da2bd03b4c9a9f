"""Render MIDI to audio with FluidSynth, when it and a General MIDI soundfont are installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

SOUNDFONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/soundfonts/FluidR3_GM.sf2",
              "/usr/share/sounds/sf2/default-GM.sf2", "/usr/share/soundfonts/default.sf2")
HOW_TO = ("To listen, install FluidSynth and a General MIDI soundfont, e.g. on Debian/Ubuntu: "
          "sudo apt-get install fluidsynth fluid-soundfont-gm (macOS: brew install fluid-synth and any GM .sf2).")


def find_soundfont() -> Path | None:
    for p in SOUNDFONTS:
        if Path(p).is_file():
            return Path(p)
    return None


def can_render() -> bool:
    return shutil.which("fluidsynth") is not None and find_soundfont() is not None


def render_wav(midi_path: str | Path, wav_path: str | Path, sample_rate: int = 44100) -> Path:
    """Render ``midi_path`` to ``wav_path``; raises RuntimeError with install hints if impossible."""
    sf = find_soundfont()
    if shutil.which("fluidsynth") is None or sf is None:
        raise RuntimeError(HOW_TO)
    subprocess.run(["fluidsynth", "-ni", "-g", "0.8", "-F", str(wav_path), "-r", str(sample_rate), str(sf),
                    str(midi_path)], check=True, capture_output=True)
    return Path(wav_path)
