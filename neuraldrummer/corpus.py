"""Folders and archives of MIDI files -> a compact, memory-mappable training corpus.

Layout of ``CORPUS_DIR``::

    hits.npy          (N, C) uint8   0/1 per step and drum class (full kit), all songs concatenated
    velocity.npy      (N, C) uint8   MIDI velocity 0-127 (0 where no hit)
    offset.npy        (N, C) int8    micro-timing, round(offset * 127), fraction of a step
    features.npy      (N, F) float16 song features (see neuraldrummer.features)
    features_aug.npy  (N, F) float16 the same with one pitched instrument dropped (augmentation)
    reference.npy     (N,)   int32   song-local step whose drums this step may repeat, -1 if none
    songs.json        per song: start, steps, bars, path, md5, source, split, grid fit, meta
    summary.json      {"songs", "steps", "files", "skipped": {reason: count}, "by_source", ...}

Files are read in worker processes (all cores), at most a few at a time in flight, and
each result is appended to the arrays on disk at once, so memory stays flat however many
files there are. ``.tar``, ``.tar.gz``, ``.tar.xz``, ``.tgz`` and ``.zip`` archives are
read member by member without unpacking. A file that fails with a
:class:`~neuraldrummer.errors.NeuralDrummerError` is skipped and counted by reason, and so
is a song whose tempo map does not fit its notes and cannot be re-estimated
(``tempo_map_does_not_fit``); songs re-gridded from their notes are counted per source.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import tarfile
import time
import zipfile
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from .errors import CorpusError, NeuralDrummerError
from .features import FEATURE_NAMES
from .midi_io import atomic_write_text

logger = logging.getLogger(__name__)

MIDI_SUFFIXES = (".mid", ".midi", ".kar", ".smf")
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".zip")
SPLITS = ("train", "validation", "test")
#: Separates an archive's path from a member's name in a song's path.
MEMBER_SEP = "::"
#: Array files of a corpus: name -> (dtype, per-step width or None for 1-D).
ARRAYS = ("hits", "velocity", "offset", "features", "features_aug", "reference")


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def find_midi_files(paths: list[str | Path]) -> list[Path]:
    """Every MIDI-named entry under the given files and folders, sorted, de-duplicated.

    Entries named like MIDI files are returned even if they are folders or unreadable:
    the builder counts those as skipped instead of silently ignoring them.
    """
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and path.suffix.lower() not in MIDI_SUFFIXES:
            for root, dirs, files in os.walk(path):
                for name in files + dirs:
                    if name.lower().endswith(MIDI_SUFFIXES + ARCHIVE_SUFFIXES):
                        found.add(Path(root) / name)
        else:
            found.add(path)
    return sorted(found)


def iter_archive(path: Path) -> Iterator[tuple[str, bytes]]:
    """``(archive::member, bytes)`` for each MIDI member, read sequentially (no unpacking)."""
    if path.name.lower().endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            for info in sorted(zf.infolist(), key=lambda i: i.filename):
                if not info.is_dir() and info.filename.lower().endswith(MIDI_SUFFIXES):
                    yield f"{path}{MEMBER_SEP}{info.filename}", zf.read(info)
        return
    with tarfile.open(path, mode="r:*") as tf:
        for member in tf:
            if member.isfile() and member.name.lower().endswith(MIDI_SUFFIXES):
                handle = tf.extractfile(member)
                if handle is not None:
                    yield f"{path}{MEMBER_SEP}{member.name}", handle.read()


def read_gmd_info(paths: list[str | Path]) -> dict[Path, dict]:
    """Groove MIDI Dataset labels (style, bpm, split, ...) keyed by resolved MIDI path."""
    labels: dict[Path, dict] = {}
    for raw in paths:
        root = Path(raw)
        info = root / "info.csv"
        if not (root.is_dir() and info.is_file()):
            continue
        with info.open(newline="") as handle:
            for row in csv.DictReader(handle):
                name = row.get("midi_filename")
                if not name:
                    continue
                labels[(root / name).resolve()] = {
                    "style": row.get("style", ""),
                    "genre": row.get("style", "").split("/")[0],
                    "bpm": float(row["bpm"]) if row.get("bpm") else None,
                    "beat_type": row.get("beat_type"),
                    "time_signature": row.get("time_signature"),
                    "split": row.get("split"),
                    "drummer": row.get("drummer"),
                }
    return labels


def split_for(md5: str, fractions: tuple[float, float] = (0.8, 0.1)) -> str:
    """Deterministic split of a song from its content hash (same file, same split)."""
    bucket = int(md5[:8], 16) / 0xFFFFFFFF
    if bucket < fractions[0]:
        return "train"
    if bucket < fractions[0] + fractions[1]:
        return "validation"
    return "test"


def source_of(path: Path, roots: list[Path]) -> str:
    """A short source label: the input folder name plus the first sub-folder."""
    if MEMBER_SEP in str(path):  # an archive member: the archive's name without its suffix
        archive = Path(str(path).split(MEMBER_SEP)[0])
        name = archive.name
        for suffix in sorted(ARCHIVE_SUFFIXES, key=len, reverse=True):
            if name.lower().endswith(suffix):
                name = name[: -len(suffix)]
                break
        parent = archive.parent.name
        return f"{parent}/{name}" if parent else name
    resolved = path.resolve()
    for root in roots:
        try:
            rel = resolved.relative_to(root.resolve())
        except ValueError:
            continue
        parts = rel.parts
        head = root.resolve().name
        return f"{head}/{parts[0]}" if len(parts) > 1 else head
    return path.parent.name


def _encode_one(args: tuple[str, bytes | None, int]) -> dict:
    """Worker: encode one file (from its path or its bytes); never raises for expected failures."""
    path_str, data, steps_per_beat = args
    from .features import analyse_song, pitched_instrument_count
    from .midi_io import load_midi, read_midi_bytes
    from .song import encode_song, marker_times  # imported in the worker

    try:
        loaded = load_midi(path_str) if data is None else read_midi_bytes(data, path_str)
        song = encode_song(loaded, steps_per_beat)
        if song.info.get("grid") == "misfit":
            return {"path": path_str, "error": "tempo_map_does_not_fit",
                    "message": f"{path_str}: tempo map does not fit the notes "
                               f"({song.info['off_grid_share']:.0%} of onsets off its 16th grid)"}
        md5 = hashlib.md5(loaded.data).hexdigest()
        n_inst = pitched_instrument_count(loaded.pm)
        features_aug = song.features
        if n_inst >= 2:
            drop = int(md5[8:16], 16) % n_inst
            features_aug = analyse_song(loaded.pm, song.grid, song.feature_names, marker_times(loaded, song.grid),
                                        drop)[0]
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


def _jobs(files: list[Path], steps_per_beat: int) -> Iterator[tuple[str, bytes | None, int]]:
    for f in files:
        if is_archive(f):
            for name, data in iter_archive(f):
                yield name, data, steps_per_beat
        else:
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


class _ArrayWriter:
    """Appends per-song arrays to raw files, then turns them into ``.npy`` (chunked copies)."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.handles: dict[str, object] = {}
        self.meta: dict[str, tuple[np.dtype, tuple[int, ...]]] = {}
        self.rows = 0

    def append(self, arrays: dict[str, np.ndarray]) -> None:
        for key in ARRAYS:
            a = np.ascontiguousarray(arrays[key])
            if key not in self.handles:
                self.handles[key] = open(self.out_dir / f".{key}.raw", "wb")
                self.meta[key] = (a.dtype, a.shape[1:])
            self.handles[key].write(a.tobytes())
        self.rows += int(arrays["hits"].shape[0])

    def finish(self) -> None:
        for key, handle in self.handles.items():
            handle.close()
            dtype, tail = self.meta[key]
            raw = self.out_dir / f".{key}.raw"
            final = self.out_dir / f"{key}.npy"
            tmp = self.out_dir / f".{key}.npy.part"
            out = np.lib.format.open_memmap(tmp, mode="w+", dtype=dtype, shape=(self.rows, *tail))
            flat = out.reshape(-1) if out.size else out
            chunk = 1 << 24
            with open(raw, "rb") as src:
                pos = 0
                while True:
                    data = src.read(chunk * dtype.itemsize)
                    if not data:
                        break
                    block = np.frombuffer(data, dtype)
                    flat[pos:pos + block.size] = block
                    pos += block.size
            out.flush()
            del out, flat
            os.replace(tmp, final)
            raw.unlink()

    def abort(self) -> None:
        for key, handle in self.handles.items():
            handle.close()
            (self.out_dir / f".{key}.raw").unlink(missing_ok=True)


def build_corpus(
    inputs: list[str | Path],
    out_dir: str | Path,
    steps_per_beat: int = 2,
    workers: int | None = None,
    progress: bool = True,
) -> BuildResult:
    """Tokenise every MIDI file under ``inputs`` (folders, files, archives) into ``out_dir``.

    Returns
    -------
    BuildResult
        ``summary`` is also written to ``out_dir/summary.json``.
    """
    from .config import SUPPORTED_STEPS_PER_BEAT
    from .errors import ConfigError

    if steps_per_beat not in SUPPORTED_STEPS_PER_BEAT:
        raise ConfigError(f"steps_per_beat must be one of {SUPPORTED_STEPS_PER_BEAT}")
    started = time.perf_counter()
    roots = [Path(p) for p in inputs]
    missing = [p for p in roots if not p.exists()]
    files = find_midi_files([p for p in roots if p.exists()])
    gmd = read_gmd_info(roots)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1

    skipped: Counter = Counter({"missing_path": len(missing)} if missing else {})
    by_source: dict[str, Counter] = {}
    examples: dict[str, str] = {}
    seen_md5: set[str] = set()
    songs: list[dict] = []
    writer = _ArrayWriter(out_dir)
    start = 0
    seen_files = 0
    try:
        for res in _progress(_bounded_map(_encode_one, _jobs(files, steps_per_beat), workers), None, progress):
            seen_files += 1
            path = Path(res["path"])
            source = source_of(path, roots)
            counts = by_source.setdefault(source, Counter())
            if "error" in res:
                skipped[res["error"]] += 1
                counts[f"skipped_{res['error']}"] += 1
                examples.setdefault(res["error"], res["message"])
                continue
            if res["md5"] in seen_md5:
                skipped["duplicate"] += 1
                counts["skipped_duplicate"] += 1
                continue
            seen_md5.add(res["md5"])
            counts["kept"] += 1
            counts["regridded"] += res["info"].get("grid") == "regridded"
            labels = gmd.get(path.resolve(), {}) if MEMBER_SEP not in str(path) else {}
            split = labels.get("split") or split_for(res["md5"])
            steps = int(res["hits"].shape[0])
            songs.append({
                "index": len(songs), "start": start, "steps": steps, "path": str(path),
                "md5": res["md5"], "source": source, "split": split,
                "drum_only": bool(res["info"]["drum_only"]), "style": labels.get("genre", "none") or "none",
                "gmd": labels or None, "grid": res["info"].get("grid", "file"),
                **{k: res["info"][k] for k in ("bars", "seconds", "tempos", "meters", "off_grid_share")},
            })
            writer.append(res)
            start += steps
        if not songs:
            raise CorpusError(f"no usable songs among {seen_files} files (skipped: {dict(skipped)})")
        writer.finish()
    except BaseException:
        writer.abort()
        raise
    atomic_write_text(out_dir / "songs.json", json.dumps(songs, indent=1) + "\n")
    summary = {
        "songs": len(songs),
        "steps": int(start),
        "files": seen_files + len(missing),
        "skipped": dict(sorted(skipped.items())),
        "skipped_examples": examples,
        "by_source": {k: dict(sorted(v.items())) for k, v in sorted(by_source.items())},
        "regridded": sum(s["grid"] == "regridded" for s in songs),
        "drum_only_songs": sum(s["drum_only"] for s in songs),
        "splits": {s: sum(x["split"] == s for x in songs) for s in SPLITS},
        "steps_per_beat": steps_per_beat,
        "feature_names": list(FEATURE_NAMES),
        "bytes_per_step": int(sum(np.load(out_dir / f"{k}.npy", mmap_mode="r")[:1].nbytes for k in ARRAYS)),
        "seconds": round(time.perf_counter() - started, 2),
        "inputs": [str(p) for p in roots],
    }
    atomic_write_text(out_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
    logger.info("corpus %s: %d songs, %d steps, skipped %s", out_dir, len(songs), start, dict(skipped))
    return BuildResult(summary, out_dir)


def _progress(iterable, total: int | None, enabled: bool):
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, unit="file", desc="tokenise", dynamic_ncols=True)


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
