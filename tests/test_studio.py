"""The drum studio's widgets (what the notebook and the web page show), without a browser."""

import numpy as np

import factory
from neuraldrummer.io.midi import read_midi_bytes


def test_studio_drums_replays_on_every_change_and_rerolls_only_the_bars_asked(tiny_model, tmp_path):
    from neuraldrummer.app.studio import DrumStudio

    song = factory.save(factory.song(bars=8, drums=False), tmp_path / "tune.mid")
    studio = DrumStudio(tiny_model, song, out_dir=tmp_path)
    assert studio.drums is None and "8 bars" in studio.status.value
    studio.drum()
    first = studio.drums.hits.copy()
    assert (tmp_path / "tune_drums.mid").is_file() and len(studio.player.value) > 1000
    assert 'download="tune_drums.mid"' in studio.download.value
    assert read_midi_bytes(studio.midi).pm.instruments[-1].is_drum
    studio.controls["density"].value = "high"  # a change of setting drums the song again
    assert not np.array_equal(studio.drums.hits, first)
    before = studio.drums.hits.copy()
    studio.bars.value = (3, 5)
    studio.redo()
    a, b = int(studio.song.grid.bar_starts[2]), int(studio.song.grid.bar_starts[5])
    assert np.array_equal(studio.drums.hits[:a], before[:a]) and np.array_equal(studio.drums.hits[b:], before[b:])
    assert not np.array_equal(studio.drums.hits[a:b], before[a:b])
    assert "bars 3-5 drawn again (take 1)" in studio.status.value


def test_studio_says_why_a_bad_upload_is_refused(tiny_model):
    from neuraldrummer.app.studio import DrumStudio

    studio = DrumStudio(tiny_model)
    assert not studio.load("notes.mid", b"this is not midi")
    assert "not a MIDI file" in studio.status.value and studio.song is None
    studio.drum()
    assert "upload a MIDI song first" in studio.status.value


def test_the_roll_shows_the_whole_song_in_a_box_that_scrolls(tiny_model, tmp_path):
    import base64
    import io
    import re

    import matplotlib.image

    from neuraldrummer.app.studio import DrumStudio

    widths = {}
    for bars in (8, 40):
        studio = DrumStudio(tiny_model, factory.save(factory.song(bars=bars, drums=False), tmp_path / f"s{bars}.mid"))
        studio.drum()
        assert "overflow-x:auto" in studio.roll.value and "max-width:none" in studio.roll.value
        png = base64.b64decode(re.search(r"base64,([^\"]+)", studio.roll.value).group(1))
        widths[bars] = matplotlib.image.imread(io.BytesIO(png)).shape[1]
    assert widths[40] > 2.5 * widths[8]  # 40 bars drawn, not the first 16


def test_the_page_speaks_to_musicians_not_to_coders(tmp_path):
    import nbformat

    from neuraldrummer.app.cli_tools import NOTEBOOKS_DIR, PAGE_TEXT, _write_app_page

    _write_app_page(NOTEBOOKS_DIR / "drum_a_song.ipynb", tmp_path / "page.ipynb")
    nb = nbformat.read(tmp_path / "page.ipynb", as_version=4)
    text = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert text == PAGE_TEXT and "INPUT_PATH" not in text and "run all cells" not in text.lower()
    assert "cut-off** 0 means off" in text and any("DrumStudio" in c.source for c in nb.cells)


def test_a_cut_off_of_zero_says_it_is_off(tiny_model):
    from neuraldrummer.app.studio import DrumStudio

    studio = DrumStudio(tiny_model)
    assert studio.cutoff.value == 0 and studio.cutoff.description == "cut-off (off)"
    studio.cutoff.value = 0.3
    assert studio.cutoff.description == "cut-off"


def test_the_seed_box_takes_no_negative_seed(tiny_model):
    from neuraldrummer.app.studio import DrumStudio

    studio = DrumStudio(tiny_model)
    studio.seed.value = -3  # the settings refuse a negative seed; the box keeps it at 0
    assert studio.seed.value == 0 and studio.settings().seed == 0


def test_studio_drums_an_uploaded_recording_and_plays_the_mix(tiny_model, tmp_path):
    from neuraldrummer.app.studio import DrumStudio
    from neuraldrummer.io.audio import write_audio

    song = factory.save(factory.song(bars=8, tempos=((0, 100.0),), drums=False), tmp_path / "take.mid")
    wav = write_audio(song, tmp_path / "take.wav")
    studio = DrumStudio(tiny_model, out_dir=tmp_path / "out")
    (tmp_path / "out").mkdir()
    assert studio.load("take.wav", wav.read_bytes())
    assert "notes transcribed" in studio.status.value and "100 bpm" in studio.status.value
    studio.drum()
    assert studio.drums.hits.any() and len(studio.player.value) > 1000
    assert (tmp_path / "out" / "take_drums.mid").is_file()
    pm = read_midi_bytes(studio.midi).pm
    assert [i.is_drum for i in pm.instruments] == [True]  # the drums alone, on the recording's beats
    assert abs(float(np.median(pm.get_tempo_changes()[1])) - 100.0) < 4.0
    assert not studio.load("broken.wav", b"RIFF, but nothing after it")
    assert "broken.wav" in studio.status.value and "not a readable audio file" in studio.status.value
