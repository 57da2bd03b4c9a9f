"""CI executes the notebooks top to bottom the way Jupyter does (``jupyter nbconvert --execute``),
each from a temporary working folder."""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


#: seconds a notebook cell may take (see :func:`execute`)
CELL_TIMEOUT = 60


def execute(name: str, cwd: Path, replace: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """Run ``jupyter nbconvert --execute`` on a copy of the notebook in ``cwd`` (with the code of its
    cells edited as ``replace`` says, as a user edits a cell); the executed notebook."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for old, new in (replace or {}).items():
        cells = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        assert cells, old
        for c in cells:
            c.source = c.source.replace(old, new)
    nbformat.write(nb, cwd / name)
    jupyter = Path(sys.executable).parent / "jupyter"
    out_dir = cwd / "_executed"
    # a cell's timeout of 60 s, over ten times the longest cell here (5 s): now and then nbclient notices a reply
    # only when its timeout runs out (the kernel sent it at once; the cell then completes without an error), so
    # a timeout of 300 s made a notebook test take five minutes
    proc = subprocess.run([str(jupyter), "nbconvert", "--to", "notebook", "--execute", name, "--output-dir",
                           str(out_dir), f"--ExecutePreprocessor.timeout={CELL_TIMEOUT}"], cwd=cwd,
                          capture_output=True, text=True, timeout=600)
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


def test_drum_a_song_notebook_takes_a_recording(tmp_path):
    import factory
    from neuraldrummer.io.audio import read_wav, write_audio

    song = factory.save(factory.song(bars=16, tempos=((0, 100.0),), drums=False), tmp_path / "take.mid")
    write_audio(song, tmp_path / "take.wav")
    song.unlink()
    nb = execute("drum_a_song.ipynb", tmp_path, {"INPUT_PATH = demo_song_path()": 'INPUT_PATH = Path("take.wav")'})
    assert {"take_drums.mid", "take_drums.wav"} <= {p.name for p in tmp_path.iterdir()}
    assert "from the music" in outputs(nb)  # the grid: beats and bars found in the recording
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(str(tmp_path / "take_drums.mid"))
    assert [i.is_drum for i in pm.instruments] == [True]
    mix, rate = read_wav(tmp_path / "take_drums.wav")
    rec, rec_rate = read_wav(tmp_path / "take.wav")
    assert rate == rec_rate and mix.shape == rec.shape


def test_train_notebook_runs(tmp_path):
    """The training notebook on tiny songs built here (as a user points ``DATA_PATHS`` at a folder of
    their own), with a tiny model: it needs no data beside the repository."""
    import factory

    songs = tmp_path / "my_songs"
    songs.mkdir()
    for k in range(6):
        factory.save(factory.song(bars=8, tempos=((0, 96.0 + 8 * k),)), songs / f"song{k}.mid")
    nb = execute("train.ipynb", tmp_path, {
        "DATA_PATHS = [": f"DATA_PATHS = [Path({str(songs)!r})]  # was: [",
        "config = Config(epochs=3, steps_per_epoch=15, validation_batches=4, batch_size=32, decoder_units=64)":
            "config = Config(epochs=1, steps_per_epoch=2, validation_batches=1, batch_size=4, decoder_units=8, "
            "window_steps=16)"})
    text = outputs(nb)
    assert "6 songs" in text and "best_val_loss" in text
    assert [p.name for p in tmp_path.iterdir()] == ["my_songs"]  # it works in a temporary folder
