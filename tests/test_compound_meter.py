"""Songs in 12/8 played by hand: the beat found divides in three, and the grid is the one a file in 12/8 has."""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest

from neuraldrummer.analysis.song import describe_grid, encode_song
from neuraldrummer.beats.compound import compound_beats, divides_in_three
from neuraldrummer.evaluation.groove import beat_f


def twelve_eight(path, dotted: np.ndarray, seed: int = 0, jitter: float = 0.01) -> np.ndarray:
    """A piano song in 12/8 played by hand on the dotted-quarter beats ``dotted`` (seconds), four a bar from the
    first: bass and a held chord on the bar's first beat, bass on its third, an arpeggio of three eighths on every
    beat, a melody note on each beat; saved at 120 bpm in 2/4 as a keyboard program would. Returns the bar starts."""
    rng = np.random.default_rng(seed)
    pm = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(2, 4, 0.0))
    piano, melody = pretty_midi.Instrument(0, name="PIANO"), pretty_midi.Instrument(0, name="MELODY")
    roots = [0, 5, 7, 9, 2, 5, 7, 0]

    def jit(t):
        return max(0.0, t + rng.uniform(-jitter, jitter))

    for k in range(len(dotted) - 1):
        bar, pos = divmod(k, 4)
        root, t, nxt = roots[bar % len(roots)], dotted[k], dotted[k + 1]
        if pos in (0, 2):
            end = dotted[min(k + 4 - pos, len(dotted) - 1)]
            piano.notes.append(pretty_midi.Note(95 if pos == 0 else 80, 36 + root, jit(t), end))
        if pos == 0:
            for p in (60, 64, 67):
                piano.notes.append(pretty_midi.Note(60, p + root, jit(t), dotted[min(k + 4, len(dotted) - 1)]))
        for j, p in enumerate((48, 55, 52)):
            s = t + j * (nxt - t) / 3
            piano.notes.append(pretty_midi.Note(50 + 15 * (j == 0), p + root, jit(s), s + 0.3 * (nxt - t)))
        melody.notes.append(pretty_midi.Note(int(rng.integers(60, 85)), 72 + int(rng.integers(0, 8)), jit(t),
                                             t + 0.9 * (nxt - t)))
    pm.instruments += [piano, melody]
    pm.write(str(path))
    return dotted[:-1:4]


def test_a_beat_divides_in_three_only_where_its_thirds_carry_the_onsets():
    beats = np.arange(0.0, 60.0, 0.8)
    triplets = (beats[:-1, None] + 0.8 * np.arange(3)[None, :] / 3).ravel()
    assert divides_in_three(beats, triplets)
    straight = (beats[:-1, None] + 0.8 * np.arange(4)[None, :] / 4).ravel()
    assert not divides_in_three(beats, straight)
    swung = (beats[:-1, None] + 0.8 * np.array([0.0, 2 / 3])[None, :]).ravel()  # swung eighths alone
    assert not divides_in_three(beats, swung)
    assert not divides_in_three(beats, np.concatenate([swung, triplets[1::15]]))  # a triplet now and then
    # a few triplet fills in a song of straight 16ths
    assert not divides_in_three(beats, np.concatenate([straight, triplets[:30]]))


def test_dotted_quarters_become_the_quarter_notes_of_a_bar_of_twelve_eighths():
    dotted = np.arange(9) * 0.9  # two bars of four dotted quarters
    positions = np.arange(9) % 4
    beats, pos = compound_beats(dotted, positions)
    np.testing.assert_allclose(np.diff(beats), 0.6)  # two eighths of 0.3 s
    assert pos.tolist() == [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0]
    # a bar cut short after three dotted quarters (nine eighths): its last grid beat is one eighth long
    beats, pos = compound_beats(np.arange(9) * 0.9, np.array([0, 1, 2, 0, 1, 2, 3, 0, 1]))
    assert pos.tolist()[:7] == [0, 1, 2, 3, 4, 0, 1]
    np.testing.assert_allclose(np.diff(beats)[:5], [0.6, 0.6, 0.6, 0.6, 0.3])


@pytest.mark.parametrize("bpm", [60.0, 72.0])
def test_a_song_in_twelve_eight_played_by_hand_gets_the_grid_of_twelve_eight(tmp_path, bpm):
    # dotted quarters at about 60 or 72 bpm, drifting a little, 24 bars, saved at 120 bpm in 2/4
    ibi = np.linspace(60 / bpm, 60 / (bpm * 1.04), 24 * 4)
    dotted = 0.41 + np.concatenate([[0.0], np.cumsum(ibi)])
    bar_starts = twelve_eight(tmp_path / "s.mid", dotted)
    song = encode_song(tmp_path / "s.mid", 4)
    g = song.grid
    assert song.info["grid"] in ("beats", "regridded") and song.info["meter"] == "12/8", song.info
    assert set(map(tuple, g.meters.tolist())) >= {(12, 8)} and "12/8" in describe_grid(song.info)
    # every eighth of the song is a step of the grid: its beat is two of them, its 16ths half of one
    eighths = (dotted[:-1, None] + np.diff(dotted)[:, None] * np.arange(3)[None, :] / 3).ravel()
    beats = g.starts[g.step_in_bar % 4 == 0]
    assert beat_f(eighths[::2][:len(eighths) // 2], beats) > 0.95 or beat_f(eighths[1::2], beats) > 0.95
    j = np.clip(np.searchsorted(g.starts, eighths), 1, g.starts.size - 1)
    dist = np.minimum(np.abs(eighths - g.starts[j - 1]), np.abs(g.starts[j] - eighths))
    assert np.mean(dist < 0.25 * 60 / bpm / 6) > 0.95  # within a quarter of a 16th
    # the bars start where the song's do
    assert beat_f(bar_starts, g.starts[g.step_in_bar == 0]) > 0.9
