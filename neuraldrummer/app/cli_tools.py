"""``neuraldrummer`` commands around the drummer: the loop tools, the web page, the model and style lists."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_drum import SAVED_DIR, _out, resolve_model


def _require_source(src: str) -> None:
    """The loop tools' source must be there: a missing path is an error, not a folder of nothing."""
    from ..errors import MidiLoadError

    if not Path(src).exists():
        raise MidiLoadError("no such file or folder", src)


def cmd_normalise_loops(args: argparse.Namespace) -> int:
    from ..training.loops import normalise_loops

    _require_source(args.src)
    report = normalise_loops(args.src, args.output)
    _out(f"wrote {len(report.written)} loops to {args.output}; skipped {dict(report.skipped) or 'none'}")
    return 0


def cmd_combine_loops(args: argparse.Namespace) -> int:
    from ..training.loops import combine_loops

    _require_source(args.src)
    report = combine_loops(args.src, args.output, args.count, args.seed)
    _out(f"wrote {len(report.written)} combined loops to {args.output}; skipped {dict(report.skipped) or 'none'}")
    return 0


NOTEBOOKS_DIR = SAVED_DIR.parent / "notebooks"


#: The page's own words, for people who don't code (the notebook's text speaks of cells and code).
PAGE_TEXT = """# NeuralDrummer: drums for your song

1. **Upload** a MIDI file of your song (or keep the demo song). Songs played in by hand are fine:
   the drummer finds their beat and bars in the notes.
2. Press **drum**. The drum roll of the whole song appears under the song's intensity (scroll it
   sideways), with the sections found in the song marked in red, and the drummed song plays.
3. Change the **style**, **density**, **cymbals**, **syncopation** or **repetition**: the song is drummed
   again at once. **temperature** makes it wilder or tamer; **cut-off** 0 means off (the drummer
   samples freely); above 0 no hit below that probability is played. **seed** gives another take.
4. Not happy with some bars? Choose them with **bars** and press **re-roll bars**: only those bars are
   drawn again (shaded in the roll), everything else stays as it was.
5. **Download** the drummed MIDI: your song with a new drum track on channel 10, ready for your DAW.

Nothing leaves this computer: the page runs on it, and your songs stay in a temporary folder that is
removed when the page's server stops.
"""


def _write_app_page(notebook: Path, page: Path) -> None:
    """The page: the page's own text, then the code cells of the drum notebook tagged ``app`` (set-up
    and the drum studio), whose code Voila hides."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    cells = [c for c in nb.cells if "app" in c.get("metadata", {}).get("tags", []) and c.cell_type == "code"]
    nb.cells = [nbformat.v4.new_markdown_cell(PAGE_TEXT)] + cells
    nbformat.write(nb, page)


def cmd_app(args: argparse.Namespace) -> int:
    """Serve the drum notebook as a web page with its code hidden (Voila), on localhost."""
    import importlib.util
    import os
    import subprocess
    import tempfile

    from ..errors import NeuralDrummerError

    notebook = NOTEBOOKS_DIR / "drum_a_song.ipynb"
    if not notebook.is_file():
        raise NeuralDrummerError("the drum notebook is not here (run from a source checkout)", notebook)
    if importlib.util.find_spec("voila") is None:  # it runs as `python -m voila`
        raise NeuralDrummerError("Voila is not installed: pip install -r requirements.txt")
    env = dict(os.environ, PYTHONWARNINGS="ignore::DeprecationWarning,ignore::PendingDeprecationWarning")
    if args.model:
        env["NEURALDRUMMER_MODEL"] = str(resolve_model(args.model).resolve())
    with tempfile.TemporaryDirectory(prefix="neuraldrummer-app-") as work:
        # the page's files (drummed songs) are written in a folder of their own, removed at the end
        page = Path(work) / notebook.name
        _write_app_page(notebook, page)
        cmd = [sys.executable, "-m", "voila", str(page), f"--port={args.port}", "--Voila.ip=127.0.0.1",
               "--strip_sources=True", "--show_tracebacks=False",
               "--VoilaConfiguration.file_allowlist=[]",
               # a visitor who leaves frees the page's kernel: disconnected kernels idle for 2 minutes are culled
               "--MappingKernelManager.cull_interval=30", "--MappingKernelManager.cull_idle_timeout=120",
               "--Voila.log_level=ERROR"]
        if not args.open:
            cmd.append("--no-browser")
        _out(f"serving the drum page at http://127.0.0.1:{args.port}/ (Ctrl-C to stop)")
        sys.stdout.flush()
        import signal

        proc = subprocess.Popen(cmd, cwd=work, env=env)

        def stop(signum, frame):  # a terminated app stops Voila and its kernel, and removes its folder
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, stop)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            return 0
        finally:
            signal.signal(signal.SIGTERM, previous)


def cmd_models(args: argparse.Namespace) -> int:
    """The shipped models: name, grid, sounds, size and what they were trained on."""
    import json

    from ..config import CONFIG_FILE, WEIGHTS_FILE

    grids = {2: "eighths", 4: "16ths", 8: "32nds"}
    rows = []
    for folder in sorted([*SAVED_DIR.glob("*/"), *SAVED_DIR.glob("baselines/*/")]):
        if not (folder / CONFIG_FILE).is_file() or not (folder / WEIGHTS_FILE).is_file():
            continue
        config = json.loads((folder / CONFIG_FILE).read_text())
        data = json.loads((folder / "data.json").read_text()) if (folder / "data.json").is_file() else {}
        name = str(folder.relative_to(SAVED_DIR))
        songs = data.get("train_songs")
        trained = f"{songs:,} songs, {len(data.get('sources', []))} sources" if songs else "see its command.txt"
        rows.append((name, grids.get(config.get("steps_per_beat"), "?"), f"{len(config.get('drum_classes', [])) or '?'}",
                     f"{(folder / WEIGHTS_FILE).stat().st_size / 1e6:.1f} MB", trained))
    header = ("model", "grid", "sounds", "size", "trained on")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        _out("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    _out("use one with: neuraldrummer drum SONG.mid --model NAME (default: default)")
    return 0


def cmd_styles(args: argparse.Namespace) -> int:
    from ..config import STYLES

    _out("\n".join(s for s in STYLES if s != "none"))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("normalise-loops", aliases=["normalize-loops"],
                       help="map loop files named like Kick_01.mid, Hi_Hat_02.mid onto GM drum pitches")
    p.add_argument("src", help="folder of loop files")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=cmd_normalise_loops)

    p = sub.add_parser("combine-loops", help="new training loops from kick x snare x hat combinations")
    p.add_argument("src", help="folder of (normalised) kick, snare and hat loops")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--count", type=int, help="at most this many combinations (random, seeded)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_combine_loops)

    p = sub.add_parser("app", help="the drum notebook as a web page for musicians (Voila, on localhost)")
    p.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default 8866)")
    p.add_argument("--model", help="model directory or shipped model name (default: default)")
    p.add_argument("--open", action="store_true", help="open the page in the default web browser")
    p.set_defaults(func=cmd_app)

    p = sub.add_parser("models", help="list the shipped models: grid, sounds, size, what they were trained on")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("styles", help="list the styles a model can be asked for")
    p.set_defaults(func=cmd_styles)
