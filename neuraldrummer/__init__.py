"""NeuralDrummer: an LSTM drummer that plays along with a whole multi-instrument song.

The package reads as the data flows, one subpackage a stage, each importing only the
stages before it::

    io/          MIDI file in  ->  LoadedMidi                   (and audio out, the demo song)
    beats/       the song's beats and bars, from its tempo map or found in its notes -> step grid
    analysis/    form, song features (T, F), drums as (T, C) arrays, the drummed song written
    config.py    the frozen model config saved beside the weights
    training/    corpus -> tf.data windows -> Keras model -> weights.npz
    generation/  numpy runtime -> sampled takes -> drums for the song -> MIDI file
    evaluation/  metrics against human drummers and baselines, reports, model card
    app/         the command line and the drum studio page

``errors.py`` holds the typed errors every stage raises. Generation needs no TensorFlow.

The names people use most import from here, e.g.::

    from neuraldrummer import DrummerRuntime, GenerationSettings, encode_song, generate
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> module that defines it (imported on first use, so ``import neuraldrummer``
#: stays light and never pulls in TensorFlow)
_PUBLIC = {
    "NeuralDrummerError": "errors",
    "Config": "config",
    "load_midi": "io.midi",
    "demo_song_path": "io.demo",
    "write_audio": "io.audio",
    "build_grid": "beats.grid",
    "Grid": "beats.grid",
    "DrumArrays": "analysis.drums",
    "EncodedSong": "analysis.song",
    "encode_song": "analysis.song",
    "write_drummed_song": "analysis.writing",
    "combine": "analysis.writing",
    "combine_bytes": "analysis.writing",
    "to_text": "analysis.text_roll",
    "read_text_roll": "analysis.text_roll",
    "DrummerRuntime": "generation.runtime",
    "GenerationSettings": "generation.settings",
    "start_pattern": "generation.patterns",
    "generate": "generation.decoding",
    "drum_song": "generation.drumming",
    "redo_bars": "generation.drumming",
    "default_output_path": "generation.drumming",
    "drum_recording": "generation.drumming",
    "read_recording_song": "generation.drumming",
    "drummed_midi_bytes": "generation.drumming",
    "preview_mp3": "generation.drumming",
    "is_audio_path": "io.transcribe",
    "continue_groove": "generation.continuation",
    "drum_many": "generation.batch",
}

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
