"""Drumming on a machine that is doing other things: whole-process time of `neuraldrummer drum`
quiet and beside a busy process, for one song and for a folder of songs.

The busy process multiplies large matrices with numpy on every core (as another numpy job or a
training would), for as long as the measurement runs.

    python benchmarks/bench_busy.py [SONG.mid] [--folder ../shared/data/drumless] [--repeat 3] [--json OUT]

Without SONG the 5-minute song of bench_drum.py is used. A 4-minute song with long controller sweeps
(about 190,000 messages, made in code) is drummed too, and bars 5-8 of the drummed result re-rolled.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, long_song, peak_rss_mb, sweep_song, write_result  # noqa: E402

BUSY = ("import numpy as np\n"
        "a = np.random.default_rng(0).random((1500, 1500))\n"
        "while True:\n"
        "    a = np.tanh(a @ a.T / 1500.0)\n")


def drum_times(song: Path, out_dir: Path, repeat: int, *extra: str) -> tuple[list[float], float]:
    walls, rss = [], 0.0
    for k in range(repeat):
        wall, peak, data = peak_rss_mb([sys.executable, "-m", "neuraldrummer", "drum", str(song), "-o",
                                        str(out_dir / f"{song.stem}_{k}.mid"), *extra])
        if data["rc"] != 0:
            raise SystemExit(data["err"])
        walls.append(round(wall, 3))
        rss = max(rss, peak)
    return walls, rss


def folder_rate(folder: Path, out_dir: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "neuraldrummer", "drum", str(folder), "-o", str(out_dir),
                           "--no-progress"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    n = len(list(out_dir.rglob("*.mid")))
    return round(n / (time.perf_counter() - started), 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("song", nargs="?", type=Path)
    ap.add_argument("--folder", type=Path, help="also drum this folder (batch, all cores)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        song = args.song
        if song is None:
            song = tmp / "five_minutes.mid"
            long_song(5.0).save(str(song))
        sweeps = tmp / "sweeps.mid"
        sweep_song(4.0).save(str(sweeps))
        for state in ("quiet", "busy"):
            busy = None
            if state == "busy":
                env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
                busy = subprocess.Popen([sys.executable, "-c", BUSY], env=env)
                time.sleep(2.0)
            try:
                out = tmp / state
                out.mkdir()
                walls, rss = drum_times(song, out, args.repeat)
                result[state] = {"seconds": walls, "max_seconds": max(walls), "peak_mb": round(rss, 1)}
                walls, rss = drum_times(sweeps, out, args.repeat)
                result[state]["sweeps"] = {"seconds": walls, "max_seconds": max(walls), "peak_mb": round(rss, 1)}
                walls, rss = drum_times(out / "sweeps_0.mid", out, args.repeat, "--redo", "5-8")
                result[state]["sweeps_redo_5_8"] = {"seconds": walls, "max_seconds": max(walls), "peak_mb": round(rss, 1)}
                if args.folder:
                    (out / "batch").mkdir()
                    result[state]["folder_songs_per_second"] = folder_rate(args.folder, out / "batch")
            finally:
                if busy is not None:
                    busy.kill()
                    busy.wait()
            print(state, result[state], flush=True)
    write_result("bench_busy", {"song": str(args.song or "5-minute song (made in code)"), **result}, args.json)


if __name__ == "__main__":
    os.chdir(REPO)
    main()
