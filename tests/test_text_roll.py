import numpy as np
import pytest

import factory
from neuraldrummer.analysis.drums import DrumArrays
from neuraldrummer.errors import TextRollError
from neuraldrummer.io.midi import midi_to_bytes, read_midi_bytes
from neuraldrummer.analysis.roll_midi import roll_to_midi_bytes
from neuraldrummer.analysis.song import encode_song
from neuraldrummer.analysis.text_roll import continuation_pairs, from_text, to_text


def random_drums(steps, seed=0):
    rng = np.random.default_rng(seed)
    hits = rng.random((steps, 18)) < 0.3
    vel = np.where(hits, rng.choice([0.25, 0.6, 0.9], size=hits.shape), 0).astype(np.float32)
    return DrumArrays(hits, vel, np.zeros(hits.shape, np.float32))


def test_text_round_trip_is_exact():
    drums = random_drums(8 + 6 + 8)
    text = to_text(drums, [8, 6, 8], 2, [(4, 4), (3, 4), (4, 4)])
    roll = from_text(text)
    np.testing.assert_array_equal(roll.drums.hits, drums.hits)
    np.testing.assert_array_equal(roll.drums.velocity, drums.velocity)
    assert roll.bar_lengths == [8, 6, 8]
    assert roll.meters == [(4, 4), (3, 4), (4, 4)]
    assert to_text(roll.drums, roll.bar_lengths, 2, roll.meters) == text


def test_text_layout():
    drums = DrumArrays.from_hits(np.eye(18, dtype=bool)[[0, 17]], velocity=0.9)
    text = to_text(drums, [2])
    lines = text.splitlines()
    assert lines[-3] == "| bar 1" and lines[-2] == "X" + "-" * 17 and lines[-1] == "-" * 17 + "X"


def test_nine_column_roll_reads_into_the_full_kit():
    roll = from_text("| bar 1\nX-------x\n--x------\n")
    assert roll.drums.hits.shape == (2, 18)
    assert roll.drums.hits[0].nonzero()[0].tolist() == [0, 8]  # kick, ride
    assert roll.drums.hits[1].nonzero()[0].tolist() == [2]  # closed hat


def test_midi_to_text_to_midi(tmp_path):
    song = encode_song(read_midi_bytes(midi_to_bytes(factory.song(bars=2))))
    text = to_text(song.drums, [8, 8], 2, song.grid.meters)
    back = encode_song(read_midi_bytes(roll_to_midi_bytes(from_text(text), tempo=120)))
    np.testing.assert_array_equal(back.drums.hits, song.drums.hits)


@pytest.mark.parametrize("bad", ["", "# only a comment\n", "xx\n", "| bar 1\nxxxxxxxxQ\n", "| barre\n---------\n"])
def test_bad_rolls_raise(bad):
    with pytest.raises(TextRollError):
        from_text(bad)


def test_continuation_pairs():
    drums = random_drums(32)
    pair = continuation_pairs(drums, [8, 8, 8, 8], 2)
    assert from_text(pair["prompt"]).drums.hits.shape == (16, 18)
    np.testing.assert_array_equal(from_text(pair["completion"]).drums.hits, drums.hits[16:])
    assert continuation_pairs(drums[:16], [8, 8], 2) is None
