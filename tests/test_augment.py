"""Training augmentation: the same song read as if played in by hand, or reduced to one piano part."""

import json

import numpy as np

import factory
from neuraldrummer.analysis.features import FEATURE_NAMES, analyse_song, pitched_note_arrays, song_feel
from neuraldrummer.analysis.song import encode_song
from neuraldrummer.training.augment import (RECIPES, augment_notes, drop_instrument, piano_reduction,
                                            played_by_hand)
from neuraldrummer.training.corpus import Corpus, build_corpus


def _song(tmp_path, bars=8):
    path = factory.save(factory.song(bars=bars), tmp_path / "s.mid")
    song = encode_song(path, 4)
    return song, pitched_note_arrays(song.loaded.pm)


def test_played_by_hand_moves_onsets_off_the_grid_and_spreads_velocities(tmp_path):
    song, notes = _song(tmp_path)
    rng = np.random.default_rng(0)
    hand = played_by_hand(notes, song.grid, rng)
    before, after = song_feel(notes, song.grid), song_feel(hand, song.grid)
    assert before["offgrid"] == 0.0 and after["offgrid"] > 0.05
    # a chord's notes move together: every chord of the factory song still starts at one time within 40 ms
    chord_starts = np.round(notes["start"], 3)
    for t in np.unique(chord_starts)[:8]:
        moved = hand["start"][chord_starts == t]
        assert moved.max() - moved.min() < 0.04
    # durations kept, pitches and parts unchanged, velocities in MIDI range and no longer a few fixed levels
    np.testing.assert_allclose(hand["end"] - hand["start"], notes["end"] - notes["start"], atol=1e-9)
    np.testing.assert_array_equal(hand["pitch"], notes["pitch"])
    assert hand["velocity"].min() >= 1 and hand["velocity"].max() <= 127
    assert np.unique(notes["velocity"]).size <= 2 < np.unique(hand["velocity"]).size
    # the louder notes stay louder on average
    loud = notes["velocity"] > notes["velocity"].min()
    assert 0 < loud.sum() < loud.size and hand["velocity"][loud].mean() > hand["velocity"][~loud].mean()


def test_piano_reduction_and_drop_instrument(tmp_path):
    song, notes = _song(tmp_path)
    assert set(np.unique(notes["instrument"]).tolist()) == {0, 1}
    piano = piano_reduction(notes)
    assert set(np.unique(piano["instrument"]).tolist()) == {0}
    np.testing.assert_array_equal(piano["is_bass"], notes["pitch"] < 48)
    dropped = drop_instrument(notes, 1)
    assert dropped["start"].size == (notes["instrument"] == 0).sum()


def test_augment_notes_is_deterministic_per_song_and_uses_every_recipe(tmp_path):
    song, notes = _song(tmp_path)
    recipes = set()
    for i in range(40):
        md5 = f"{i:032x}"
        a, recipe = augment_notes(notes, song.grid, md5)
        b, again = augment_notes(notes, song.grid, md5)
        assert recipe == again and recipe in RECIPES
        np.testing.assert_array_equal(a["start"], b["start"])
        recipes.add(recipe)
    assert recipes == set(RECIPES)
    one_part = drop_instrument(notes, 1)
    assert {augment_notes(one_part, song.grid, f"{i:032x}")[1] for i in range(40)} <= {"played_by_hand",
                                                                                      "piano_by_hand"}


def test_analyse_song_reads_the_given_notes(tmp_path):
    song, notes = _song(tmp_path)
    same = analyse_song(song.loaded.pm, song.grid, FEATURE_NAMES, notes=notes)[0]
    np.testing.assert_array_equal(same, song.features)
    hand = played_by_hand(notes, song.grid, np.random.default_rng(1))
    other = analyse_song(song.loaded.pm, song.grid, FEATURE_NAMES, notes=hand)[0]
    col = FEATURE_NAMES.index("song_offgrid")
    assert other[0, col] > same[0, col]
    position = [FEATURE_NAMES.index(n) for n in ("downbeat", "on_beat", "bar_phase_sin", "tempo")]
    np.testing.assert_array_equal(other[:, position], same[:, position])  # the grid is the song's own


def test_corpus_records_each_songs_augmentation(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(6):
        factory.save(factory.song(bars=4 + i, tempos=((0, 100.0 + i),)), data / f"s{i}.mid")
    build_corpus([data], tmp_path / "c", steps_per_beat=4, workers=1, progress=False)
    corpus = Corpus(tmp_path / "c")
    summary = json.loads((tmp_path / "c" / "summary.json").read_text())
    assert sum(summary["augmentations"].values()) == 6 and set(summary["augmentations"]) <= set(RECIPES)
    for song in corpus.songs:
        plain, aug = corpus.arrays(song)["features"], corpus.arrays(song, augmented=True)["features"]
        assert song["augmentation"] in RECIPES and not np.array_equal(plain, aug)


def test_drums_played_by_hand_keep_the_hits_and_loosen_as_the_song():
    from neuraldrummer.training.augment import drums_played_by_hand

    T, C = 64, 18
    y = np.zeros((T, 3 * C), np.float32)
    y[::2, 2] = 1.0  # closed hats on eighths, one level, on the grid
    y[::2, C + 2] = 100 / 127
    tight = drums_played_by_hand(y, 0.0, 4, np.random.default_rng(0))
    loose = drums_played_by_hand(y, 0.6, 4, np.random.default_rng(0))
    for out in (tight, loose):
        np.testing.assert_array_equal(out[:, :C], y[:, :C])
        assert not out[1::2].any() or not out[1::2, C:].any()  # nothing where there is no hit
    assert not tight[:, 2 * C:].any()  # a sequenced song's drums stay on the grid
    off = loose[::2, 2 * C + 2]
    assert 0.05 < np.abs(off).mean() < 0.3 and np.abs(off).max() <= 0.5
    assert np.unique(np.rint(loose[::2, C + 2] * 127)).size >= 8  # no longer one level
