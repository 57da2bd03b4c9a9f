"""Folders and archives of MIDI files -> a compact, memory-mappable training corpus.

Layout of ``CORPUS_DIR``::

    hits.npy          (N, C) uint8   0/1 per step and drum class (full kit), all songs concatenated
    velocity.npy      (N, C) uint8   MIDI velocity 0-127 (0 where no hit)
    offset.npy        (N, C) int8    micro-timing, round(offset * 127), fraction of a step
    features.npy      (N, F) float16 song features (see neuraldrummer.analysis.features)
    features_aug.npy  (N, F) float16 the same song read another way: an instrument dropped, or played
                                     by hand (see neuraldrummer.training.augment)
    reference.npy     (N,)   int32   song-local step whose drums this step may repeat, -1 if none
    songs.json        per song: start, steps, bars, path, md5, source, split, grid fit, meta
    summary.json      {"songs", "steps", "files", "skipped": {reason: count}, "by_source", ...}

Files are read in worker processes (all cores), at most a few at a time in flight, and
each result is appended to the arrays on disk at once, so memory stays flat however many
files there are. ``.tar``, ``.tar.gz``, ``.tar.xz``, ``.tgz`` and ``.zip`` archives are
read member by member without unpacking (:mod:`.sources`). A file that fails with a
:class:`~neuraldrummer.errors.NeuralDrummerError` is skipped and counted by reason, and so
is a song whose tempo map does not fit its notes and cannot be re-estimated
(``tempo_map_does_not_fit``); songs re-gridded from their notes are counted per source.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import CorpusError, NeuralDrummerError
from ..analysis.features import FEATURE_NAMES
from ..io.midi import atomic_write_text
from .augment import AUGMENT_VERSION
from .corpus_files import JOURNAL, ArrayWriter, read_journal, write_songs_json
from .sources import MEMBER_SEP, is_archive, iter_archive, iter_midi_files, read_gmd_info, source_of, split_for

logger = logging.getLogger(__name__)

SPLITS = ("train", "validation", "test")
#: Array files of a corpus: name -> (dtype, per-step width or None for 1-D).
ARRAYS = ("hits", "velocity", "offset", "features", "features_aug", "reference")


def _encode_one(args: tuple[str, bytes | None, int]) -> dict:
    """Worker: encode one file (from its path or its bytes); never raises for expected failures."""
    path_str, data, steps_per_beat = args
    from ..analysis.features import analyse_song, pitched_note_arrays
    from ..io.midi import load_midi, read_midi_bytes
    from ..analysis.song import encode_song, marker_times  # imported in the worker
    from .augment import augment_notes

    try:
        loaded = load_midi(path_str) if data is None else read_midi_bytes(data, path_str)
        song = encode_song(loaded, steps_per_beat)
        if song.info.get("grid") == "misfit":
            return {"path": path_str, "error": "tempo_map_does_not_fit",
                    "message": f"{path_str}: tempo map does not fit the notes "
                               f"({song.info['off_grid_share']:.0%} of onsets off its 16th grid)"}
        md5 = hashlib.md5(loaded.data).hexdigest()
        features_aug, recipe = song.features, None
        notes = pitched_note_arrays(loaded.pm)
        if notes["start"].size:
            aug_notes, recipe = augment_notes(notes, song.grid, md5)
            features_aug = analyse_song(loaded.pm, song.grid, song.feature_names, marker_times(loaded, song.grid),
                                        notes=aug_notes)[0]
    except NeuralDrummerError as exc:
        return {"path": path_str, "error": exc.reason, "message": str(exc)}
    except (MemoryError, RecursionError, ValueError, OverflowError) as exc:  # pathological files
        return {"path": path_str, "error": "unreadable_midi", "message": f"{path_str}: {exc}"}
    drums = song.drums
    if not drums.hits.any():
        return {"path": path_str, "error": "no_drums", "message": f"{path_str}: no drum notes"}
    return {
        "path": path_str,
        "md5": md5,
        "info": song.info,
        "augmentation": recipe,
        "hits": drums.hits.astype(np.uint8),
        "velocity": np.rint(drums.velocity * 127).astype(np.uint8),
        "offset": np.rint(np.clip(drums.offset, -0.5, 0.5) * 127).astype(np.int8),
        "features": song.features.astype(np.float16),
        "features_aug": features_aug.astype(np.float16),
        "reference": song.reference.astype(np.int32),
    }


@dataclass
class BuildResult:
    summary: dict
    out_dir: Path


def _jobs(files: Iterator[Path], steps_per_beat: int,
          done: set[str] | frozenset = frozenset()) -> Iterator[tuple[str, bytes | None, int]]:
    """Work for the pool: each file (or archive member) not in ``done`` (a resumed build's)."""
    for f in files:
        if is_archive(f):
            for name, data in iter_archive(f, done):
                yield name, data, steps_per_beat
        elif str(f) not in done:
            yield str(f), None, steps_per_beat


def _bounded_map(func, jobs: Iterator, workers: int) -> Iterator[dict]:
    """``map`` over a process pool with at most ``4 * workers`` jobs in flight (flat memory)."""
    if workers <= 1:
        for job in jobs:
            yield func(job)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending = set()
        for job in jobs:
            pending.add(pool.submit(func, job))
            if len(pending) >= 4 * workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
        for fut in pending:
            yield fut.result()


def build_corpus(
    inputs: list[str | Path],
    out_dir: str | Path,
    steps_per_beat: int = 2,
    workers: int | None = None,
    progress: bool = True,
) -> BuildResult:
    """Tokenise every MIDI file under ``inputs`` (folders, files, archives) into ``out_dir``.

    Memory stays flat whatever the number of files: results are appended to raw array files
    and to a journal (``.tokenise.journal``, one line per file) as they come, at most a few files
    in flight. A build that is interrupted (even by ``kill -9``) resumes when the same command
    is run again: files in the journal are not read again, and array rows written after the
    journal's last complete line are cut off. ``songs.json`` and the ``.npy`` arrays are written
    at the end; the journal and raw files are then removed.

    Returns
    -------
    BuildResult
        ``summary`` is also written to ``out_dir/summary.json``.
    """
    from ..config import SUPPORTED_STEPS_PER_BEAT
    from ..errors import ConfigError

    if steps_per_beat not in SUPPORTED_STEPS_PER_BEAT:
        raise ConfigError(f"steps_per_beat must be one of {SUPPORTED_STEPS_PER_BEAT}")
    started = time.perf_counter()
    roots = [Path(p) for p in inputs]
    missing = [p for p in roots if not p.exists()]
    gmd = read_gmd_info(roots)
    out_dir = Path(out_dir)
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1
    header = {"journal": 1, "inputs": [str(p.resolve()) for p in roots], "steps_per_beat": steps_per_beat,
              "feature_names": list(FEATURE_NAMES), "augment_version": AUGMENT_VERSION}

    skipped: Counter = Counter({"missing_path": len(missing)} if missing else {})
    by_source: dict[str, Counter] = {}
    examples: dict[str, str] = {}
    seen_md5: set[str] = set()
    totals: Counter = Counter()  # songs, regridded, drum_only, split:*
    augmentations: Counter = Counter()  # recipe -> songs
    done: set[str] = set()

    def count(entry: dict) -> None:
        counts = by_source.setdefault(entry["source"], Counter())
        reason = entry.get("skipped")
        if reason:
            skipped[reason] += 1
            counts[f"skipped_{reason}"] += 1
            if entry.get("message"):
                examples.setdefault(reason, entry["message"])
            return
        song = entry["song"]
        seen_md5.add(song["md5"])
        counts["kept"] += 1
        counts["regridded"] += song["grid"] == "regridded"
        augmentations[song.get("augmentation") or "none"] += 1
        totals.update(songs=1, steps=song["steps"], regridded=song["grid"] == "regridded",
                      drum_only=song["drum_only"], **{f"split:{song['split']}": 1})

    entries = read_journal(out_dir, header)
    resumed = entries is not None
    for entry in entries or []:
        done.add(entry["path"])
        count(entry)
    if resumed:
        logger.info("resuming %s: %d files done", out_dir, len(done))
    journal = open(out_dir / JOURNAL, "ab" if resumed else "wb")
    if not resumed:
        journal.write(json.dumps(header).encode() + b"\n")
    writer = ArrayWriter(out_dir, totals["steps"])
    seen_files = len(done)

    def record(entry: dict) -> None:
        writer.flush()  # the arrays first: a journal line promises its rows are on disk
        journal.write(json.dumps(entry).encode() + b"\n")
        journal.flush()
        count(entry)

    try:
        jobs = _jobs(iter_midi_files([p for p in roots if p.exists()]), steps_per_beat, done)
        for res in _progress(_bounded_map(_encode_one, jobs, workers), None, progress, len(done)):
            seen_files += 1
            path = Path(res["path"])
            source = source_of(path, roots)
            if "error" in res:
                record({"path": res["path"], "source": source, "skipped": res["error"], "message": res["message"]})
                continue
            if res["md5"] in seen_md5:
                record({"path": res["path"], "source": source, "skipped": "duplicate"})
                continue
            labels = gmd.get(path.resolve(), {}) if MEMBER_SEP not in str(path) else {}
            split = labels.get("split") or split_for(res["md5"])
            song = {
                "steps": int(res["hits"].shape[0]), "path": str(path),
                "md5": res["md5"], "source": source, "split": split,
                "drum_only": bool(res["info"]["drum_only"]), "style": labels.get("genre", "none") or "none",
                "gmd": labels or None, "grid": res["info"].get("grid", "file"),
                "augmentation": res["augmentation"],
                **{k: res["info"][k] for k in ("bars", "seconds", "tempos", "meters", "off_grid_share")},
            }
            writer.append(res)
            record({"path": res["path"], "source": source, "song": song})
        if not totals["songs"]:
            journal.close()
            writer.close()
            if created:  # nothing to keep: no half-made corpus folder left behind
                shutil.rmtree(out_dir, ignore_errors=True)
            raise CorpusError(f"no usable songs among {seen_files} files (skipped: {dict(skipped)})")
        journal.close()
        writer.finish()
        write_songs_json(out_dir)
    finally:
        writer.close()
        if not journal.closed:
            journal.close()
    summary = {
        "songs": int(totals["songs"]),
        "steps": int(totals["steps"]),
        "files": seen_files + len(missing),
        "skipped": dict(sorted(skipped.items())),
        "skipped_examples": examples,
        "by_source": {k: dict(sorted(v.items())) for k, v in sorted(by_source.items())},
        "regridded": int(totals["regridded"]),
        "drum_only_songs": int(totals["drum_only"]),
        "splits": {s: int(totals[f"split:{s}"]) for s in SPLITS},
        "steps_per_beat": steps_per_beat,
        "feature_names": list(FEATURE_NAMES),
        "augment_version": AUGMENT_VERSION,
        "augmentations": dict(sorted(augmentations.items())),
        "bytes_per_step": int(sum(np.load(out_dir / f"{k}.npy", mmap_mode="r")[:1].nbytes for k in ARRAYS)),
        "seconds": round(time.perf_counter() - started, 2),
        "resumed": resumed,
        "inputs": [str(p) for p in roots],
    }
    atomic_write_text(out_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
    (out_dir / JOURNAL).unlink()  # the build is complete: nothing to resume
    writer.remove_raw()
    logger.info("corpus %s: %d songs, %d steps, skipped %s", out_dir, totals["songs"], totals["steps"], dict(skipped))
    return BuildResult(summary, out_dir)


def _progress(iterable, total: int | None, enabled: bool, initial: int = 0):
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, initial=initial, unit="file", desc="tokenise", dynamic_ncols=True)


class Corpus:
    """Read-only view of a corpus directory (arrays memory-mapped)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.summary = json.loads((self.path / "summary.json").read_text())
            self.songs: list[dict] = json.loads((self.path / "songs.json").read_text())
            self.hits = np.load(self.path / "hits.npy", mmap_mode="r")
            self.velocity = np.load(self.path / "velocity.npy", mmap_mode="r")
            self.offset = np.load(self.path / "offset.npy", mmap_mode="r")
            self.features = np.load(self.path / "features.npy", mmap_mode="r")
            aug = self.path / "features_aug.npy"
            self.features_aug = np.load(aug, mmap_mode="r") if aug.exists() else self.features
            ref = self.path / "reference.npy"
            self.reference = (np.load(ref, mmap_mode="r") if ref.exists()
                              else np.full(self.hits.shape[0], -1, np.int32))
        except FileNotFoundError as exc:
            raise CorpusError(f"not a corpus directory (missing {Path(exc.filename).name})", self.path) from exc
        except (OSError, ValueError) as exc:
            raise CorpusError(f"cannot read corpus: {exc}", self.path) from exc

    @property
    def steps_per_beat(self) -> int:
        return int(self.summary["steps_per_beat"])

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(self.summary["feature_names"])

    def select(self, split: str | None = None, sources: tuple[str, ...] = ()) -> list[dict]:
        """Songs of one split whose source contains any of ``sources`` (all if empty)."""
        return [
            s for s in self.songs
            if (split is None or s["split"] == split)
            and (not sources or any(src in s["source"] for src in sources))
        ]

    def song_arrays(self, split: str | None = None, with_song_only: bool = True):
        """``(song, arrays)`` for each song of ``split`` (:meth:`select`, :meth:`arrays`), the drum-only
        performances left out where ``with_song_only``."""
        for song in self.select(split):
            if with_song_only and song.get("drum_only"):
                continue
            yield song, self.arrays(song)

    def arrays(self, song: dict, lo: int = 0, hi: int | None = None, augmented: bool = False) -> dict[str, np.ndarray]:
        """One song's arrays (steps ``lo..hi`` of it), decoded to float32 (hits as float32 0/1).

        ``reference`` stays song-local (``-1`` where none).
        """
        hi = song["steps"] if hi is None else min(hi, song["steps"])
        a, b = song["start"] + lo, song["start"] + hi
        feats = self.features_aug if augmented else self.features
        return {
            "hits": np.asarray(self.hits[a:b], np.float32),
            "velocity": np.asarray(self.velocity[a:b], np.float32) / 127.0,
            "offset": np.asarray(self.offset[a:b], np.float32) / 127.0,
            "features": np.asarray(feats[a:b], np.float32),
            "reference": np.asarray(self.reference[a:b], np.int64),
        }
