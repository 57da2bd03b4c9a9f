"""CI executes the notebooks top to bottom the way Jupyter does (``jupyter nbconvert --execute``),
each from a temporary working folder."""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def execute(name: str, cwd: Path) -> nbformat.NotebookNode:
    """Run ``jupyter nbconvert --execute`` on a copy of the notebook in ``cwd``; the executed notebook."""
    shutil.copy(NOTEBOOKS / name, cwd / name)
    jupyter = Path(sys.executable).parent / "jupyter"
    out_dir = cwd / "_executed"
    proc = subprocess.run([str(jupyter), "nbconvert", "--to", "notebook", "--execute", name, "--output-dir",
                           str(out_dir), "--ExecutePreprocessor.timeout=300"], cwd=cwd, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = nbformat.read(out_dir / name, as_version=4)
    shutil.rmtree(out_dir)
    (cwd / name).unlink()
    return nb


def outputs(nb) -> str:
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_drum_a_song_notebook_writes_midi_and_audio(tmp_path):
    nb = execute("drum_a_song.ipynb", tmp_path)
    out = tmp_path / "demo_song_drums.mid"
    assert out.is_file() and out.stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo_song_drums.mid", "demo_song_drums.wav",
                                                          "demo_song_groove_continued.mid"]
    text = outputs(nb)
    assert "wrote" in text and "drum hits" in text and "outside them identical: True" in text
    import pretty_midi

    from neuraldrummer.io.audio import read_wav

    pm = pretty_midi.PrettyMIDI(str(out))
    assert sum(i.is_drum for i in pm.instruments) == 1
    audio, rate = read_wav(tmp_path / "demo_song_drums.wav")
    assert abs(audio.shape[0] / rate - pm.get_end_time()) < 2.0 and abs(audio).max() > 0.05
    players = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if "<audio" in str(o.get("data", {}).get("text/html", ""))]
    assert len(players) >= 3  # the song, the re-rolled bars, the continued groove


def test_train_notebook_runs(tmp_path):
    nb = execute("train.ipynb", tmp_path)
    text = outputs(nb)
    assert "songs" in text and "best_val_loss" in text
    assert list(tmp_path.iterdir()) == []  # it works in a temporary folder
