"""CI executes the notebooks top to bottom (from a temporary working folder)."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def execute(name: str, cwd: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def outputs(nb) -> str:
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_drum_a_song_notebook_writes_midi(tmp_path):
    nb = execute("drum_a_song.ipynb", tmp_path)
    out = tmp_path / "demo_song_drums.mid"
    assert out.is_file() and out.stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo_song_drums.mid", "demo_song_groove_continued.mid"]
    text = outputs(nb)
    assert "wrote" in text and "drum hits" in text
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(str(out))
    assert sum(i.is_drum for i in pm.instruments) == 1


def test_train_notebook_runs(tmp_path):
    nb = execute("train.ipynb", tmp_path)
    text = outputs(nb)
    assert "songs" in text and "best_val_loss" in text
    assert list(tmp_path.iterdir()) == []  # it works in a temporary folder
