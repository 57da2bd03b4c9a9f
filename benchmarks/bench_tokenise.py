"""Speed and peak memory of `neuraldrummer tokenise` (the whole process tree: the builder and its
worker processes), on the given folders, files and archives.

    python benchmarks/bench_tokenise.py PATH [PATH ...] [--workers N] [--json OUT]

Default: all of ../shared/data (songs, the Groove MIDI Dataset, more_songs with its archives,
the metal drum tracks and the drumless songs). Memory is the largest sum of the resident set
sizes of the `tokenise` process and its children, sampled every 0.1 s from /proc (Linux).
Run it on a part of the data and on all of it to see that memory does not grow with the input.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, write_result  # noqa: E402

DATA = REPO.parent / "shared" / "data"
ALL = ["songs", "groove", "more_songs", "metallica", "drumless"]


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return out


def tree_rss_mb(pid: int) -> float:
    todo, total = [pid], 0
    while todo:
        p = todo.pop()
        total += _rss_kb(p)
        todo += _children(p)
    return total / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*", default=[str(DATA / name) for name in ALL])
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "corpus"
        cmd = [sys.executable, "-m", "neuraldrummer", "tokenise", *args.paths, "-o", str(out), "--no-progress",
               "--steps-per-beat", "4"] + (["--workers", str(args.workers)] if args.workers else [])
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        peak = {"mb": 0.0, "parent": 0.0}

        def sample() -> None:
            while proc.poll() is None:
                peak["mb"] = max(peak["mb"], tree_rss_mb(proc.pid))
                peak["parent"] = max(peak["parent"], _rss_kb(proc.pid) / 1024)
                time.sleep(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stdout, stderr = proc.communicate()
        seconds = time.perf_counter() - started
        sampler.join()
        if proc.returncode != 0:
            sys.stderr.write(stderr[-2000:])
            return 1
        s = json.loads((out / "summary.json").read_text())
    write_result("tokenise", {
        "command": "neuraldrummer tokenise " + " ".join(args.paths) + " -o CORPUS --steps-per-beat 4",
        "files": s["files"], "songs_kept": s["songs"], "skipped": s["skipped"], "steps": s["steps"],
        "seconds": round(seconds, 1), "files_per_second": round(s["files"] / seconds, 1),
        "peak_memory_mb_all_processes": round(peak["mb"], 1), "peak_memory_mb_builder": round(peak["parent"], 1),
        "workers": args.workers or os.cpu_count(), "bytes_per_step_on_disk": s["bytes_per_step"],
    }, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
