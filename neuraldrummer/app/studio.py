"""The drum studio: one ipywidgets panel to drum a song, hear it, re-roll bars and download it.

Used by ``notebooks/drum_a_song.ipynb`` and, with its code hidden, by ``neuraldrummer app``
(Voilà). Upload a MIDI song or a recording (transcribed, then drummed on its own beats; the
player plays the recording mixed with the drums), or start from the demo song; choose style, controls and
cut-off, press *drum* (after that, every change of a setting drums it again): the roll is drawn,
the song plays inline (rendered with
:mod:`neuraldrummer.io.audio`, pip only) and a download link appears. *re-roll bars* draws only
the chosen bars again; every other drum note stays as it was.
"""

from __future__ import annotations

import base64
import html
import io
import logging
from pathlib import Path

import numpy as np

from ..config import STYLES
from ..errors import NeuralDrummerError
from ..generation.decoding import generate
from ..generation.settings import DEFAULT_TEMPERATURE, GenerationSettings
from ..io.midi import atomic_write_bytes, read_midi_bytes
from ..generation.runtime import DrummerRuntime
from ..analysis.song import EncodedSong, encode_song

logger = logging.getLogger(__name__)

#: sample rate of the audio played in the page (stereo MP3: about 1 MB a minute, which every browser plays)
PAGE_SAMPLE_RATE = 22050


def audio_widget_value(midi: bytes, sample_rate: int = PAGE_SAMPLE_RATE) -> bytes:
    """MP3 bytes of a MIDI song, for ``ipywidgets.Audio(format="mpeg")`` or ``IPython.display.Audio``."""
    from ..io.audio import audio_bytes, render_audio

    return audio_bytes(render_audio(midi, sample_rate), sample_rate, ".mp3")


def download_link(name: str, data: bytes, mime: str = "audio/midi") -> str:
    """An HTML link that saves ``data`` as ``name`` (a data URI: works offline, in Jupyter and Voilà)."""
    payload = base64.b64encode(data).decode("ascii")
    safe = html.escape(name, quote=True)
    return (f'<a class="nd-download" download="{safe}" href="data:{mime};base64,{payload}" '
            f'style="font-weight:bold">download {safe}</a>')


class DrumStudio:
    """Widgets and state of one drumming session (one song at a time).

    Parameters
    ----------
    model
        Model directory or loaded runtime.
    song
        A MIDI file to start with (``None``: wait for an upload).
    out_dir
        Where drummed files are written (``SONG_drums.mid`` and ``.wav``); ``None`` writes nothing.
    """

    def __init__(self, model: str | Path | DrummerRuntime, song: str | Path | None = None,
                 out_dir: str | Path | None = None) -> None:
        import ipywidgets as w

        self.runtime = model if isinstance(model, DrummerRuntime) else DrummerRuntime.load(model)
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.song: EncodedSong | None = None
        self.name = "song"
        self.drums = None
        self.midi: bytes | None = None
        self.takes = 0
        levels = ["model", "low", "medium", "high"]
        from ..io.transcribe import AUDIO_INPUT_SUFFIXES

        self.recording = None  # a Recording when the song came as audio
        self.upload = w.FileUpload(accept=",".join((".mid", ".midi") + AUDIO_INPUT_SUFFIXES), multiple=False,
                                   description="upload song")
        self.style = w.Dropdown(options=list(STYLES), value="none", description="style")
        self.controls = {name: w.Dropdown(options=levels, value="model", description=name)
                         for name in ("density", "cymbals", "syncopation", "repetition")}
        self.cutoff = w.FloatSlider(value=0.0, min=0.0, max=0.95, step=0.05, description="cut-off",
                                    continuous_update=False, readout_format=".2f",
                                    tooltip="0: the drummer follows the song (sampling); above 0: the original "
                                            "design's fixed cut-off, lower is busier",
                                    style={"description_width": "initial"})

        def name_cutoff(change=None) -> None:  # 0 means no cut-off: say so beside the slider
            self.cutoff.description = "cut-off (off)" if self.cutoff.value == 0 else "cut-off"

        self.cutoff.observe(name_cutoff, names="value")
        name_cutoff()
        self.temperature = w.FloatSlider(value=DEFAULT_TEMPERATURE, min=0.5, max=1.5, step=0.05,
                                         description="temperature", continuous_update=False,
                                         style={"description_width": "initial"})
        self.humanise = w.Checkbox(value=True, description="humanise (velocity and timing)", indent=False)
        self.seed = w.BoundedIntText(value=0, min=0, max=2**31 - 1, description="seed", layout=w.Layout(width="160px"))
        self.drum_button = w.Button(description="drum", button_style="primary", icon="play")
        self.bars = w.IntRangeSlider(value=(1, 1), min=1, max=1, description="bars", continuous_update=False)
        self.redo_button = w.Button(description="re-roll bars", icon="refresh", disabled=True)
        self.status = w.HTML("upload a MIDI song, or press drum for the loaded one")
        self.roll = w.HTML("")
        self.player = w.Audio(value=b"", format="mpeg", autoplay=False, loop=False)
        self.download = w.HTML("")
        self.upload.observe(self._on_upload, names="value")
        self.drum_button.on_click(lambda _: self.drum())
        self.redo_button.on_click(lambda _: self.redo())
        # every change of a setting drums the song again (and it plays), once it has been drummed
        for control in (self.cutoff, self.temperature, self.style, self.humanise, *self.controls.values()):
            control.observe(self._on_change, names="value")
        self.widget = w.VBox([
            w.HBox([self.upload, self.drum_button, self.seed]),
            w.HBox([self.style, self.cutoff, self.temperature]),
            w.HBox(list(self.controls.values())[:2] + [self.humanise]),
            w.HBox(list(self.controls.values())[2:]),
            w.HBox([self.bars, self.redo_button]),
            self.status, self.roll, self.player, self.download,
        ])
        if song is not None:
            self.load(Path(song).name, Path(song).read_bytes())

    # -- state -----------------------------------------------------------------------------------
    def load(self, name: str, data: bytes) -> bool:
        """Read a song (bytes of a MIDI file or of a recording); on a bad file, say why in the status line."""
        from ..io.transcribe import is_audio_path

        recording = None
        try:
            if is_audio_path(name):
                recording = self._read_recording(name, data)
                song = recording.song
            else:
                loaded = read_midi_bytes(data, name)
                cfg = self.runtime.config
                song = encode_song(loaded, cfg.steps_per_beat, cfg.feature_names, require_pitched=True)
        except NeuralDrummerError as exc:
            self._say(f"could not read {exc}", error=True)
            return False
        self.song, self.name, self.drums, self.midi, self.takes = song, Path(name).stem, None, None, 0
        self.recording = recording
        self.bars.max = song.grid.num_bars
        self.bars.value = (1, min(4, song.grid.num_bars))
        self.redo_button.disabled = True
        self.download.value = ""
        if recording is not None:
            self._say(f"{html.escape(name)}: {sum(len(i.notes) for i in recording.notes.instruments)} notes "
                      f"transcribed, {song.grid.num_bars} bars found at about {song.info.get('estimated_qpm', 0):.0f} "
                      f"bpm; press drum")
        else:
            self._say(f"{html.escape(name)}: {song.grid.num_bars} bars at "
                      f"{'/'.join(f'{t:g}' for t in song.info['tempos'])} bpm; press drum")
        return True

    def _read_recording(self, name: str, data: bytes):
        import tempfile

        from ..generation.drumming import read_recording_song

        self._say(f"transcribing {html.escape(name)} ...")
        with tempfile.TemporaryDirectory(prefix="neuraldrummer-upload-") as tmp:
            path = Path(tmp) / Path(name).name
            path.write_bytes(data)
            try:
                return read_recording_song(path, self.runtime)
            except NeuralDrummerError as exc:  # name the upload, not the temporary copy
                raise type(exc)(exc.message, Path(name).name) from exc

    def settings(self, seed: int | None = None) -> GenerationSettings:
        controls = {k: (None if c.value == "model" else c.value) for k, c in self.controls.items()}
        cutoff = float(self.cutoff.value) or None
        temperature = None if (cutoff and not any(controls.values())) else float(self.temperature.value)
        return GenerationSettings(cutoff=cutoff, temperature=temperature,
                                  seed=self.seed.value if seed is None else seed, style=self.style.value, quantized=not self.humanise.value, **controls)

    # -- actions ---------------------------------------------------------------------------------
    def drum(self) -> None:
        """Drum the whole song with the current settings."""
        if self.song is None:
            self._say("upload a MIDI song first", error=True)
            return
        self._say("drumming ...")
        settings = self.settings()
        self.drums = generate(self.runtime, self.song.features, settings.for_song(self.song.info),
                              reference=self.song.reference, push=self.song.push)
        self.takes = 0
        self._publish(settings, f"{int(self.drums.hits.sum())} drum hits")

    def redo(self) -> None:
        """Draw the bars of the bar-range control again (another take each press)."""
        if self.song is None or self.drums is None:
            self._say("drum the song first", error=True)
            return
        first, last = self.bars.value
        grid = self.song.grid
        r0 = int(grid.bar_starts[first - 1])
        r1 = int(grid.bar_starts[last]) if last < grid.num_bars else grid.num_steps
        self.takes += 1
        settings = self.settings(seed=self.seed.value * 1000 + self.takes)
        self.drums = generate(self.runtime, self.song.features, settings.for_song(self.song.info), prompt=self.drums,
                              reference=self.song.reference, redo=(r0, r1),
                              push=self.song.push)
        self._publish(settings, f"bars {first}-{last} drawn again (take {self.takes})", (r0, r1))

    # -- helpers ---------------------------------------------------------------------------------
    def _on_upload(self, change) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
        if self.load(item["name"], bytes(item["content"])):
            self.drum()

    def _on_change(self, _change) -> None:
        if self.song is not None and self.drums is not None:
            self.drum()

    def _say(self, text: str, error: bool = False) -> None:
        self.status.value = f'<span style="color:{"#b00" if error else "inherit"}">{text}</span>'

    def _publish(self, settings: GenerationSettings, what: str, highlight=None) -> None:
        import matplotlib.pyplot as plt

        from ..evaluation.plotting import plot_drum_roll

        song = self.song
        from ..generation.drumming import drummed_midi_bytes, preview_mp3

        # a recording's drums go on its own beats, and the player plays the recording mixed with them
        self.midi = drummed_midi_bytes(song, self.drums, self.recording, settings.quantized)
        name = f"{self.name}_drums.mid"
        if self.out_dir is not None:
            atomic_write_bytes(self.out_dir / name, self.midi)
        # the whole song, about 0.9 inch a bar, in a box that scrolls sideways
        fig = plot_drum_roll(song.grid, song.features, self.drums, highlight=highlight,
                             title=f"{self.name}: {what}", width=max(12.0, 0.9 * song.grid.num_bars))
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=72, bbox_inches="tight")
        plt.close(fig)
        picture = base64.b64encode(buffer.getvalue()).decode("ascii")
        self.roll.value = (f'<div class="nd-roll" style="overflow-x:auto;max-width:100%">'
                           f'<img alt="drum roll" src="data:image/png;base64,{picture}" style="max-width:none"></div>')
        try:
            self.player.value = preview_mp3(song, self.drums, self.recording, settings.quantized, PAGE_SAMPLE_RATE)
        except NeuralDrummerError as exc:
            self._say(f"drummed, but no audio: {exc}", error=True)
        self.download.value = download_link(name, self.midi)
        self.redo_button.disabled = False
        self._say(f"{html.escape(what)}; {np.count_nonzero(self.drums.hits.any(axis=1))} steps with drums")
