"""Where songs come from: MIDI files in folders and archives, their source names, GMD's labels, splits.

Archives (``.tar``, ``.tar.gz``, ``.tar.xz``, ``.tgz``, ``.zip``) are read member by member without
unpacking; a member's path is the archive's path, :data:`MEMBER_SEP` and the member's name.
"""

from __future__ import annotations

import csv
import os
import tarfile
import zipfile
from pathlib import Path
from typing import Iterator

from ..io.midi import MIDI_SUFFIXES

ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".zip")
#: Separates an archive's path from a member's name in a song's path.
MEMBER_SEP = "::"


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def find_midi_files(paths: list[str | Path]) -> list[Path]:
    """Every MIDI-named entry under the given files and folders, sorted, de-duplicated.

    Entries named like MIDI files are returned even if they are folders or unreadable:
    the builder counts those as skipped instead of silently ignoring them.
    """
    return sorted(set(iter_midi_files(paths)))


def iter_midi_files(paths: list[str | Path]) -> Iterator[Path]:
    """:func:`find_midi_files` as a stream (folders walked in sorted order, one at a time)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and path.suffix.lower() not in MIDI_SUFFIXES:
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files + [d for d in dirs if d.lower().endswith(MIDI_SUFFIXES)]):
                    if name.lower().endswith(MIDI_SUFFIXES + ARCHIVE_SUFFIXES):
                        yield Path(root) / name
        else:
            yield path


def iter_archive(path: Path, skip: set[str] | frozenset = frozenset()) -> Iterator[tuple[str, bytes]]:
    """``(archive::member, bytes)`` for each MIDI member, read sequentially (no unpacking);
    members named in ``skip`` are passed over without reading them."""
    if path.name.lower().endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            for info in sorted(zf.infolist(), key=lambda i: i.filename):
                name = f"{path}{MEMBER_SEP}{info.filename}"
                if not info.is_dir() and info.filename.lower().endswith(MIDI_SUFFIXES) and name not in skip:
                    yield name, zf.read(info)
        return
    with tarfile.open(path, mode="r:*") as tf:
        for member in tf:
            name = f"{path}{MEMBER_SEP}{member.name}"
            if member.isfile() and member.name.lower().endswith(MIDI_SUFFIXES) and name not in skip:
                handle = tf.extractfile(member)
                if handle is not None:
                    yield name, handle.read()


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
