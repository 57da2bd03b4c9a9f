"""Time `neuraldrummer tokenise` on a data folder (default: ../shared/data songs + groove).

    python benchmarks/bench_tokenise.py [PATH ...] [--json OUT]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, write_result  # noqa: E402

from neuraldrummer.corpus import build_corpus  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*", default=[str(REPO.parent / "shared/data/songs"),
                                                     str(REPO.parent / "shared/data/groove")])
    parser.add_argument("--json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        result = build_corpus(args.paths, tmp, progress=False)
        seconds = time.perf_counter() - t
    s = result.summary
    write_result("tokenise", {
        "command": "neuraldrummer tokenise " + " ".join(args.paths) + " -o CORPUS",
        "files": s["files"], "songs_kept": s["songs"], "skipped": s["skipped"], "steps": s["steps"],
        "seconds": round(seconds, 2), "files_per_second": round(s["files"] / seconds, 1),
        "bytes_per_step_on_disk": s["bytes_per_step"],
    }, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
