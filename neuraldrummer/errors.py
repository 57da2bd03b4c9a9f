"""Typed errors: one base class, one subclass per way a song or model can fail.

Expected failures (a corrupt file, a song with no notes, a missing model) raise a
subclass of :class:`NeuralDrummerError`; the CLI turns them into a one-line message
and a non-zero exit status, and the corpus builder counts them by ``reason``.
"""

from __future__ import annotations

from pathlib import Path


class NeuralDrummerError(Exception):
    """Base class of every expected NeuralDrummer failure.

    Parameters
    ----------
    message
        What went wrong, in a few words.
    path
        The file it concerns, if any; included in ``str(error)``.
    """

    #: Short machine-readable reason, used as the key of skip counts.
    reason = "error"

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.message = message
        self.path = None if path is None else Path(path)
        super().__init__(f"{self.path}: {message}" if self.path is not None else message)


class MidiLoadError(NeuralDrummerError):
    """The file is missing, unreadable, or not a valid MIDI file."""

    reason = "unreadable_midi"


class EmptySongError(NeuralDrummerError):
    """The MIDI file parses but holds no notes at all (or has zero length)."""

    reason = "no_notes"


class NoPitchedNotesError(NeuralDrummerError):
    """The song has no pitched (non-drum) notes, so there is nothing to drum along to."""

    reason = "no_pitched_notes"


class NoDrumsError(NeuralDrummerError):
    """A drum track was required (e.g. a groove prompt) but none was found."""

    reason = "no_drums"


class SongTooLongError(NeuralDrummerError):
    """The song is implausibly long for its tempo map (likely a corrupt file)."""

    reason = "too_long"


class TextRollError(NeuralDrummerError):
    """A text drum-roll could not be parsed."""

    reason = "bad_text_roll"


class ConfigError(NeuralDrummerError):
    """A configuration value is invalid or inconsistent."""

    reason = "bad_config"


class ModelNotFoundError(NeuralDrummerError):
    """A model directory lacks its weights or config."""

    reason = "no_model"


class CorpusError(NeuralDrummerError):
    """A corpus directory is missing, empty or inconsistent."""

    reason = "bad_corpus"


class TrainingBusyError(NeuralDrummerError):
    """Another ``train`` is already writing this model directory."""

    reason = "training_busy"


class AudioError(NeuralDrummerError):
    """The song could not be rendered to audio, or audio could not be read (packages missing)."""

    reason = "audio_failed"


class RecordingError(AudioError):
    """A recording given to drum is missing, unreadable, empty, silent, too long or without music."""

    reason = "bad_recording"
