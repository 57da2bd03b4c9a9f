"""Screenshot of `neuraldrummer app` after drumming a real song with the shipped model.

    python scripts/app_screenshot.py [SONG.mid] [-o reports/app.png]

Drives the page in headless Chromium as tests/test_app.py does (load, upload, drum, re-roll bars,
download); needs Debian's chromium and chromium-driver.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from test_app import browser, drive, free_port, serve, stop  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("song", nargs="?", default=str(REPO.parent / "shared/data/drumless/001.mid"))
    parser.add_argument("-o", "--output", default=str(REPO / "reports/app.png"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        downloads = tmp / "downloads"
        downloads.mkdir()
        port = free_port()
        server = serve(port, tmp, tmp / "server.log")
        driver = None
        try:
            driver = browser(downloads)
            got = drive(driver, port, Path(args.song).resolve(), downloads)
            driver.execute_script("window.scrollTo(0, 0);")
            driver.save_screenshot(args.output)
            sys.stdout.write(f"downloaded {got.name} ({got.stat().st_size} bytes); wrote {args.output}\n")
        finally:
            if driver is not None:
                driver.quit()
            stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
