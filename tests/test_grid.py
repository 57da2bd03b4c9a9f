import numpy as np
import pytest

import factory
from neuraldrummer.beats.grid import build_grid
from neuraldrummer.io.midi import read_midi_bytes, midi_to_bytes


def grid_of(mid, spb=2):
    return build_grid(read_midi_bytes(midi_to_bytes(mid)).pm, spb)


def test_four_four_at_120_bpm_has_eighth_steps_of_a_quarter_second():
    grid = grid_of(factory.song(bars=4))
    assert grid.num_steps == 32
    assert grid.num_bars == 4
    np.testing.assert_allclose(grid.starts[:9], np.arange(9) * 0.25)
    assert grid.downbeat.nonzero()[0].tolist() == [0, 8, 16, 24]
    assert grid.on_beat.sum() == 16


def test_tempo_change_moves_the_step_times():
    # 120 bpm for 2 bars (4 s), then 60 bpm: eighth = 0.5 s
    mid = factory.song(bars=4, tempos=((0, 120.0), (2 * 4 * factory.TPB, 60.0)))
    grid = grid_of(mid)
    np.testing.assert_allclose(grid.starts[15], 3.75)
    np.testing.assert_allclose(grid.starts[16], 4.0)
    np.testing.assert_allclose(grid.starts[17], 4.5)
    np.testing.assert_allclose(grid.durations[16:20], 0.5)
    assert grid.qpm[0] == 120 and grid.qpm[20] == 60


@pytest.mark.parametrize("num,den,steps", [(3, 4, 6), (6, 8, 6), (5, 4, 10), (7, 8, 7)])
def test_meters_give_steps_per_bar(num, den, steps):
    bars = 3
    bar_ticks = num * 4 * factory.TPB // den
    mid = factory.song(bars=bars, meters=((0, num, den),), drums=False)
    # make the song exactly 3 bars long in this meter
    mid.tracks[1] = factory.notes_track([(0, bars * bar_ticks, 60, 80)])
    mid.tracks = mid.tracks[:2]
    grid = grid_of(mid)
    assert grid.num_bars == bars
    assert set(grid.bar_length.tolist()) == {steps}
    assert grid.num_steps == bars * steps


def test_meter_change_mid_song():
    # 2 bars of 4/4 then 3/4
    mid = factory.song(bars=4, meters=((0, 4, 4), (2 * 4 * factory.TPB, 3, 4)), drums=False)
    grid = grid_of(mid)
    assert grid.bar_length[grid.bar_starts].tolist()[:4] == [8, 8, 6, 6]
    assert grid.meters[:3].tolist() == [[4, 4], [4, 4], [3, 4]]
    np.testing.assert_allclose(grid.starts[grid.bar_starts[3]], 4.0 + 1.5)


@pytest.mark.parametrize("spb", [2, 4, 8])
def test_steps_per_beat(spb):
    grid = grid_of(factory.song(bars=2), spb)
    assert grid.num_steps == 2 * 4 * spb
    np.testing.assert_allclose(grid.durations, 0.5 / spb)


def test_nearest_step_and_offset():
    grid = grid_of(factory.song(bars=2))
    steps, offsets = grid.nearest_step(np.array([0.0, 0.3, 0.37, 0.26]))
    assert steps.tolist() == [0, 1, 1, 1]
    np.testing.assert_allclose(offsets, [0.0, 0.2, 0.48, 0.04], atol=1e-6)
