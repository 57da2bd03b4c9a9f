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
