"""Drum many songs at once: files and folders (recursively) into one output folder, on all cores.

Bad files are skipped and counted by reason (:attr:`NeuralDrummerError.reason`); nothing is
written for them. Each worker process loads the model once (numpy only, no TensorFlow).
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MidiLoadError, NeuralDrummerError
from .drumming import default_output_path, drum_song
from .settings import GenerationSettings
from ..io.midi import MIDI_SUFFIXES
from .runtime import DrummerRuntime

logger = logging.getLogger(__name__)


@dataclass
class BatchReport:
    """What :func:`drum_many` did."""

    drummed: list[Path] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    #: ``(input, one-line message)`` of every skipped file
    failures: list[tuple[Path, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def songs_per_second(self) -> float:
        return len(self.drummed) / self.seconds if self.seconds > 0 else 0.0

    def summary(self, out_dir: Path | None = None) -> str:
        total = len(self.drummed) + sum(self.skipped.values())
        where = f" into {out_dir}" if out_dir is not None else ""
        line = (f"drummed {len(self.drummed)} of {total} files{where} in {self.seconds:.1f} s "
                f"({self.songs_per_second:.2f} songs/s)")
        if self.skipped:
            reasons = ", ".join(f"{reason} {n}" for reason, n in self.skipped.most_common())
            line += f"; skipped {sum(self.skipped.values())}: {reasons}"
        return line


def _is_midi(path: Path) -> bool:
    """A MIDI song or a recording (audio in needs the optional transcription packages)."""
    from ..io.transcribe import AUDIO_INPUT_SUFFIXES

    return path.suffix.lower() in MIDI_SUFFIXES + AUDIO_INPUT_SUFFIXES


def plan_outputs(inputs: list[str | Path], out_dir: Path | None) -> list[tuple[Path, Path]]:
    """``(song, output)`` for every file named and every MIDI file or recording under every folder named.

    With ``out_dir``, a named file goes to ``out_dir/NAME_drums.mid`` and a file found in a
    folder keeps its place below that folder; without it, each output lies beside its input
    (folders then need ``out_dir``). Files inside ``out_dir`` are not inputs. Two songs that
    would share an output name get ``_2``, ``_3`` ...
    """
    out_root = None if out_dir is None else Path(out_dir).resolve()
    pairs: list[tuple[Path, Path]] = []
    taken: set[Path] = set()

    def add(src: Path, out: Path) -> None:
        base, n = out, 1
        while out.resolve() in taken:
            n += 1
            out = base.with_name(f"{base.stem}_{n}{base.suffix}")
        taken.add(out.resolve())
        pairs.append((src, out))

    for item in inputs:
        path = Path(item)
        if path.is_dir():
            if out_dir is None:
                raise MidiLoadError("is a folder: give -o OUTDIR to drum every MIDI file in it", path)
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames.sort()
                here = Path(dirpath)
                if out_root is not None and (here.resolve() == out_root or out_root in here.resolve().parents):
                    dirnames[:] = []
                    continue
                for name in sorted(filenames):
                    src = here / name
                    if _is_midi(src):
                        rel = src.relative_to(path)
                        add(src, Path(out_dir) / rel.parent / default_output_path(src).name)
        else:  # a file (or a missing path: drum_song reports it as skipped)
            add(path, default_output_path(path) if out_dir is None else Path(out_dir) / default_output_path(path).name)
    return pairs


_RUNTIME: DrummerRuntime | None = None


def _init_worker(model_dir: str) -> None:
    global _RUNTIME
    _RUNTIME = DrummerRuntime.load(model_dir)


def _drum_one(job: tuple[str, str, GenerationSettings, bool, bool, str | None]) -> tuple[str, str | None, str | None]:
    """``(input, error reason or None, message)``; never raises for a bad song."""
    src, out, settings, keep_drums, audio, soundfont = job
    try:
        from ..io.transcribe import is_audio_path

        if is_audio_path(src):  # a recording: its drums as MIDI, and always its mix beside them
            from .drumming import drum_recording

            drum_recording(src, out, _RUNTIME, settings, mix_path=Path(out).with_suffix(".wav"), soundfont=soundfont)
            return src, None, None
        drum_song(src, out, _RUNTIME, settings, keep_drums=keep_drums,
                  audio_path=Path(out).with_suffix(".wav") if audio else None, soundfont=soundfont)
        return src, None, None
    except NeuralDrummerError as exc:
        return src, exc.reason, str(exc)
    except Exception as exc:  # an unexpected failure on one song must not stop the batch
        logger.debug("unexpected failure on %s", src, exc_info=True)
        return src, "internal_error", f"{src}: {type(exc).__name__}: {exc}"


def drum_many(pairs: list[tuple[Path, Path]], model_dir: str | Path, settings: GenerationSettings,
              keep_drums: bool = False, workers: int | None = None, progress: bool = True,
              audio: bool = False, soundfont: str | Path | None = None) -> BatchReport:
    """Drum every ``(song, output)`` pair on ``workers`` processes (default: all cores); with ``audio``, each
    song's audio beside its MIDI, rendered with ``soundfont`` (default the renderer's own)."""
    from tqdm import tqdm

    started = time.perf_counter()
    report = BatchReport()
    outputs = dict(pairs)
    sf = None if soundfont is None else str(soundfont)
    jobs = [(str(src), str(out), settings, keep_drums, audio, sf) for src, out in pairs]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    bar = tqdm(total=len(jobs), unit="song", desc="drumming", disable=not progress, leave=False)
    try:
        if workers == 1:
            _init_worker(str(model_dir))
            results = (_drum_one(job) for job in jobs)
            for src, reason, message in results:
                _collect(report, outputs, src, reason, message)
                bar.update(1)
        else:
            with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(str(model_dir),)) as pool:
                for future in as_completed([pool.submit(_drum_one, job) for job in jobs]):
                    _collect(report, outputs, *future.result())
                    bar.update(1)
    finally:
        bar.close()
    report.seconds = time.perf_counter() - started
    report.failures.sort()
    return report


def _collect(report: BatchReport, outputs: dict, src: str, reason: str | None, message: str | None) -> None:
    if reason is None:
        report.drummed.append(outputs[Path(src)])
    else:
        report.skipped[reason] += 1
        report.failures.append((Path(src), message or reason))
