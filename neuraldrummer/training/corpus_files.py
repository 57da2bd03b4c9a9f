"""A corpus on disk while it is built: per-song arrays appended to raw files, the journal that lets an
interrupted build resume, and ``songs.json`` written from the journal at the end
(:func:`neuraldrummer.training.corpus.build_corpus` drives them)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np

from ..analysis.features import FEATURE_NAMES
from ..errors import CorpusError

logger = logging.getLogger(__name__)

JOURNAL = ".tokenise.journal"


def _array_specs() -> dict[str, tuple[np.dtype, tuple[int, ...]]]:
    from ..analysis.drum_map import NUM_CLASSES

    F = len(FEATURE_NAMES)
    return {"hits": (np.dtype(np.uint8), (NUM_CLASSES,)), "velocity": (np.dtype(np.uint8), (NUM_CLASSES,)),
            "offset": (np.dtype(np.int8), (NUM_CLASSES,)), "features": (np.dtype(np.float16), (F,)),
            "features_aug": (np.dtype(np.float16), (F,)), "reference": (np.dtype(np.int32), ())}


class ArrayWriter:
    """Appends per-song arrays to raw files, then turns them into ``.npy`` (chunked copies).

    ``rows`` steps already in the raw files (a resumed build) are kept; anything written after
    them (by a build killed mid-song) is cut off first.
    """

    def __init__(self, out_dir: Path, rows: int = 0) -> None:
        self.out_dir = out_dir
        self.specs = _array_specs()
        self.rows = rows
        self.handles: dict[str, object] = {}
        for key, (dtype, tail) in self.specs.items():
            raw = out_dir / f".{key}.raw"
            handle = open(raw, "r+b" if raw.exists() and rows else "wb")
            handle.truncate(rows * dtype.itemsize * int(np.prod(tail, dtype=np.int64)))
            handle.seek(0, os.SEEK_END)
            self.handles[key] = handle

    def append(self, arrays: dict[str, np.ndarray]) -> None:
        for key, (dtype, tail) in self.specs.items():
            a = np.ascontiguousarray(arrays[key], dtype=dtype)
            if a.shape[1:] != tail:
                raise CorpusError(f"array {key} has shape {a.shape}, expected (steps, {tail})")
            self.handles[key].write(a.tobytes())
        self.rows += int(arrays["hits"].shape[0])

    def flush(self) -> None:
        for handle in self.handles.values():
            handle.flush()

    def finish(self) -> None:
        """Write every ``KEY.npy`` (atomically); the raw files stay until :meth:`remove_raw`.

        A ``.npy`` file is a header followed by the array's bytes in C order, which is what the raw
        file holds: the header is written, then the raw bytes are copied in 16 MB chunks (no memory
        map, whose written pages would count against the process however large the corpus)."""
        import shutil

        for key, handle in self.handles.items():
            handle.close()
            dtype, tail = self.specs[key]
            raw = self.out_dir / f".{key}.raw"
            final = self.out_dir / f"{key}.npy"
            tmp = self.out_dir / f".{key}.npy.part"
            size = self.rows * dtype.itemsize * int(np.prod(tail, dtype=np.int64))
            header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
                      "shape": (self.rows, *tail)}
            with open(raw, "rb") as src, open(tmp, "wb") as out:
                np.lib.format.write_array_header_2_0(out, header)
                shutil.copyfileobj(src, out, 1 << 24)
                if src.tell() != size:
                    raise CorpusError(f"{raw} holds {src.tell()} bytes, expected {size}")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, final)

    def remove_raw(self) -> None:
        for key in self.specs:
            (self.out_dir / f".{key}.raw").unlink(missing_ok=True)

    def close(self) -> None:
        for handle in self.handles.values():
            if not handle.closed:
                handle.close()


def read_journal(out_dir: Path, header: dict) -> list[dict] | None:
    """The entries of an interrupted build with the same inputs, or ``None`` (start afresh).
    A last line cut short by a kill is dropped (and cut from the file)."""
    path = out_dir / JOURNAL
    if not path.exists():
        return None
    entries, good = [], 0
    with open(path, "rb") as f:
        first = f.readline()
        try:
            if json.loads(first) != header:
                logger.warning("%s: an interrupted build of other inputs or settings is here; starting afresh", out_dir)
                return None
        except ValueError:
            return None
        good = f.tell()
        for line in f:
            try:
                entries.append(json.loads(line))
            except ValueError:
                break  # cut short by a kill: everything after it is redone
            good += len(line)
    with open(path, "r+b") as f:
        f.truncate(good)
    return entries


def write_songs_json(out_dir: Path) -> None:
    """``songs.json`` from the journal, one song at a time (index and start in journal order)."""
    start, index = 0, 0
    tmp = out_dir / ".songs.json.part"
    with open(out_dir / JOURNAL, "rb") as src, open(tmp, "wb") as out:
        src.readline()
        out.write(b"[")
        for line in src:
            song = json.loads(line).get("song")
            if song is None:
                continue
            song = {"index": index, "start": start, **song}
            out.write((b",\n" if index else b"\n") + json.dumps(song).encode())
            start += song["steps"]
            index += 1
        out.write(b"\n]\n")
    os.replace(tmp, out_dir / "songs.json")
