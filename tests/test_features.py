import numpy as np

import factory
from neuraldrummer.analysis.features import FEATURE_NAMES, feature_index
from neuraldrummer.analysis.song import encode_song
from neuraldrummer.io.midi import read_midi_bytes, midi_to_bytes


def encode(mid, **kw):
    return encode_song(read_midi_bytes(midi_to_bytes(mid)), **kw)


def test_features_ignore_drum_notes():
    with_drums = encode(factory.song(bars=4, drums=True))
    without = encode(factory.song(bars=4, drums=False))
    assert with_drums.drums.hits.any() and not without.drums.hits.any()
    np.testing.assert_array_equal(with_drums.features, without.features)


def test_feature_shape_range_and_columns():
    song = encode(factory.song(bars=4))
    f = song.features
    assert f.shape == (32, len(FEATURE_NAMES)) and f.dtype == np.float32
    intensity = f[:, feature_index("intensity")]
    assert 0 <= intensity.min() and intensity.max() == 1.0
    # chords on every quarter note -> onsets on even steps only
    assert (intensity[1::2] == 0).all() and (intensity[0::2] > 0).all()
    # bass note at each downbeat
    assert f[:, feature_index("bass_onsets")].nonzero()[0].tolist() == [0, 8, 16, 24]
    assert (f[:, feature_index("active")] == 1).all()
    assert f[:, feature_index("downbeat")].nonzero()[0].tolist() == [0, 8, 16, 24]
    np.testing.assert_allclose(f[:, feature_index("tempo")], 120 / 200)
    assert (f[:, feature_index("song_present")] == 1).all()


def test_drum_only_file_has_no_song_features():
    song = encode(factory.song(bars=2, pitched=False))
    f = song.features
    for name in ("intensity", "polyphony", "bass_onsets", "active", "song_present"):
        assert (f[:, feature_index(name)] == 0).all()
    assert song.info["drum_only"]


def test_silence_is_inactive():
    mid = factory.song(bars=4, drums=False)
    # only the first bar plays
    mid.tracks[1] = factory.notes_track([(0, 4 * factory.TPB, 60, 80), (15 * factory.TPB, 10, 61, 80)])
    mid.tracks = mid.tracks[:2]
    f = encode(mid).features
    active = f[:, feature_index("active")]
    assert active[:8].all() and not active[9:29].any()
