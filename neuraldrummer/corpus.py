"""Folders of MIDI files -> a compact, memory-mappable training corpus.

Layout of ``CORPUS_DIR``::

    hits.npy       (N, C) uint8   0/1 per step and drum class, all songs concatenated
    velocity.npy   (N, C) uint8   MIDI velocity 0-127 (0 where no hit)
    offset.npy     (N, C) int8    micro-timing, round(offset * 127), fraction of a step
    features.npy   (N, F) float16 song features (see neuraldrummer.features)
    songs.json     per song: start, steps, bars, path, md5, source, split, meta
    summary.json   {"songs", "steps", "files", "skipped": {reason: count}, ...}

Files are read in worker processes (all cores); a file that fails with a
:class:`~neuraldrummer.errors.NeuralDrummerError` is skipped and counted by reason.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import CorpusError, NeuralDrummerError
from .features import FEATURE_NAMES
from .midi_io import atomic_write_text

logger = logging.getLogger(__name__)

MIDI_SUFFIXES = (".mid", ".midi", ".kar", ".smf")
SPLITS = ("train", "validation", "test")


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
                    if name.lower().endswith(MIDI_SUFFIXES):
                        found.add(Path(root) / name)
        else:
            found.add(path)
    return sorted(found)


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


def _encode_one(args: tuple[str, int]) -> dict:
    """Worker: encode one file; never raises for expected failures."""
    path_str, steps_per_beat = args
    from .song import encode_song  # imported in the worker

    try:
        song = encode_song(path_str, steps_per_beat)
    except NeuralDrummerError as exc:
        return {"path": path_str, "error": exc.reason, "message": str(exc)}
    except (MemoryError, RecursionError, ValueError, OverflowError) as exc:  # pathological files
        return {"path": path_str, "error": "unreadable_midi", "message": f"{path_str}: {exc}"}
    drums = song.drums
    if not drums.hits.any():
        return {"path": path_str, "error": "no_drums", "message": f"{path_str}: no drum notes"}
    return {
        "path": path_str,
        "md5": hashlib.md5(song.loaded.data).hexdigest(),
        "info": song.info,
        "hits": drums.hits.astype(np.uint8),
        "velocity": np.rint(drums.velocity * 127).astype(np.uint8),
        "offset": np.rint(np.clip(drums.offset, -0.5, 0.5) * 127).astype(np.int8),
        "features": song.features.astype(np.float16),
    }


@dataclass
class BuildResult:
    summary: dict
    out_dir: Path


def build_corpus(
    inputs: list[str | Path],
    out_dir: str | Path,
    steps_per_beat: int = 2,
    workers: int | None = None,
    progress: bool = True,
) -> BuildResult:
    """Tokenise every MIDI file under ``inputs`` into ``out_dir``.

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
    jobs = [(str(f), steps_per_beat) for f in files]
    results: list[dict] = []
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            iterator = pool.map(_encode_one, jobs, chunksize=8)
            results = list(_progress(iterator, len(jobs), progress))
    else:
        results = [_encode_one(j) for j in _progress(jobs, len(jobs), progress)]

    skipped: Counter = Counter({"missing_path": len(missing)} if missing else {})
    examples: dict[str, str] = {}
    seen_md5: set[str] = set()
    songs: list[dict] = []
    arrays: dict[str, list[np.ndarray]] = {"hits": [], "velocity": [], "offset": [], "features": []}
    start = 0
    for res in results:
        if "error" in res:
            skipped[res["error"]] += 1
            examples.setdefault(res["error"], res["message"])
            continue
        if res["md5"] in seen_md5:
            skipped["duplicate"] += 1
            continue
        seen_md5.add(res["md5"])
        path = Path(res["path"])
        labels = gmd.get(path.resolve(), {})
        split = labels.get("split") or split_for(res["md5"])
        steps = int(res["hits"].shape[0])
        songs.append({
            "index": len(songs), "start": start, "steps": steps, "path": str(path),
            "md5": res["md5"], "source": source_of(path, roots), "split": split,
            "drum_only": bool(res["info"]["drum_only"]), "style": labels.get("genre", "none") or "none",
            "gmd": labels or None, **{k: res["info"][k] for k in ("bars", "seconds", "tempos", "meters")},
        })
        for key in arrays:
            arrays[key].append(res[key])
        start += steps
    if not songs:
        raise CorpusError(f"no usable songs among {len(files)} files (skipped: {dict(skipped)})")
    for key, parts in arrays.items():
        np.save(out_dir / f"{key}.npy", np.concatenate(parts))
    atomic_write_text(out_dir / "songs.json", json.dumps(songs, indent=1) + "\n")
    summary = {
        "songs": len(songs),
        "steps": int(start),
        "files": len(files) + len(missing),
        "skipped": dict(sorted(skipped.items())),
        "skipped_examples": examples,
        "drum_only_songs": sum(s["drum_only"] for s in songs),
        "splits": {s: sum(x["split"] == s for x in songs) for s in SPLITS},
        "steps_per_beat": steps_per_beat,
        "feature_names": list(FEATURE_NAMES),
        "bytes_per_step": int(sum(p[0].itemsize * p[0].shape[1] for p in arrays.values())),
        "seconds": round(time.perf_counter() - started, 2),
        "inputs": [str(p) for p in roots],
    }
    atomic_write_text(out_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
    logger.info("corpus %s: %d songs, %d steps, skipped %s", out_dir, len(songs), start, dict(skipped))
    return BuildResult(summary, out_dir)


def _progress(iterable, total: int, enabled: bool):
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

    def arrays(self, song: dict) -> dict[str, np.ndarray]:
        """One song's arrays, decoded to float32 (hits as float32 0/1)."""
        a, b = song["start"], song["start"] + song["steps"]
        return {
            "hits": np.asarray(self.hits[a:b], np.float32),
            "velocity": np.asarray(self.velocity[a:b], np.float32) / 127.0,
            "offset": np.asarray(self.offset[a:b], np.float32) / 127.0,
            "features": np.asarray(self.features[a:b], np.float32),
        }
