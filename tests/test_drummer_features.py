"""Controls, style, feel, continuation, loop tools and finer grids."""

import json

import mido
import numpy as np
import pytest

import factory
from neuraldrummer.app.cli import main
from neuraldrummer.generation.continuation import continue_groove, read_groove
from neuraldrummer.analysis.drum_map import CLASS_NAMES, RIDE
from neuraldrummer.errors import ConfigError, NoDrumsError
from neuraldrummer.generation.decoding import generate
from neuraldrummer.generation.patterns import start_pattern, style_groove
from neuraldrummer.generation.settings import GenerationSettings
from neuraldrummer.generation.takes import bar_measures
from neuraldrummer.training.loops import combine_loops, normalise_loops, pitch_for_name
from neuraldrummer.io.midi import load_midi, midi_to_bytes, read_midi_bytes
from neuraldrummer.generation.runtime import DrummerRuntime
from neuraldrummer.analysis.song import encode_song


def song_features(bars=8):
    return encode_song(read_midi_bytes(midi_to_bytes(factory.song(bars=bars)))).features


def uniform_runtime(model_dir):
    """A runtime whose every hit probability is 0.15 (zero weights, one bias): candidates vary
    widely around the control targets."""
    trained = DrummerRuntime.load(model_dir)
    with np.load(model_dir / "weights.npz") as w:
        weights = {k: np.zeros_like(w[k]) for k in w.files}
    C = trained.config.num_classes
    weights["drums/dense/bias"][:C] = np.log(0.075 / 0.925)  # about 11 hits a bar over the 18 classes
    return DrummerRuntime(trained.config, weights)


def test_repetition_scoring_prefers_the_bar_nearest_the_target():
    from neuraldrummer.generation.takes import score_candidates

    previous = np.zeros((8, 18), bool)
    previous[:, 2] = True  # 8 hats, 4 kicks, 4 snares: 20 hits
    previous[::2, 0] = True
    previous[1::2, 1] = True
    previous[:4, 8] = True
    cells = np.argwhere(previous)

    def keep(n):  # a sub-bar of the previous bar: Jaccard similarity n / 20
        bar = np.zeros_like(previous)
        bar[cells[:n, 0], cells[:n, 1]] = True
        return bar

    candidates = np.stack([keep(20), keep(12), keep(5)])  # similarity 1.0, 0.6, 0.25
    chosen = {level: int(np.argmax(score_candidates(candidates, np.zeros(3), {"repetition": level}, previous, 2, 10.0)))
              for level in ("low", "medium", "high")}
    assert chosen == {"low": 2, "medium": 1, "high": 0}


@pytest.mark.parametrize("control", ["cymbals", "density", "syncopation"])
def test_each_control_moves_its_measure_in_order(tiny_model, control):
    """Steering picks, per bar, the candidate nearest the target: the measure follows the level.

    (On real songs with the shipped model: benchmarks/check_controls.py.)"""
    runtime = uniform_runtime(tiny_model)
    f = song_features(12)
    measured = []
    for level in ("low", "medium", "high"):
        d = generate(runtime, f, GenerationSettings(seed=5, candidates=32, **{control: level}))
        bars = [d.hits[a:a + 8] for a in range(0, d.num_steps, 8)]
        prev = [None] + bars[:-1]
        vals = [bar_measures(b[None], p, 2, np.arange(8)).get(control) for b, p in zip(bars, prev)]
        measured.append(np.mean([v[0] for v in vals if v is not None]))
    assert measured[0] < measured[1] < measured[2], measured


def test_bad_control_level_and_controls_without_sampling(tiny_model):
    runtime = DrummerRuntime.load(tiny_model)
    with pytest.raises(ConfigError):
        generate(runtime, song_features(2), GenerationSettings(density="loud"))
    with pytest.raises(ConfigError):
        generate(runtime, song_features(2), GenerationSettings(density="low", temperature=None, cutoff=0.5))
    with pytest.raises(ConfigError):
        generate(runtime, song_features(2), GenerationSettings(style="polka"))
    with pytest.raises(ConfigError, match="velocity temperature"):
        generate(runtime, song_features(2), GenerationSettings(velocity_temperature=0.0))


def test_style_grooves_and_guidance(tiny_model):
    jazz = style_groove("jazz", 2)
    assert jazz.hits[:, RIDE].sum() > 0 and style_groove("none", 2) is None
    assert start_pattern("basic", 2, style="jazz").hits[:, RIDE].any()
    assert not start_pattern("basic", 2).hits[:, RIDE].any()
    runtime = DrummerRuntime.load(tiny_model)
    f = song_features(4)
    a = generate(runtime, f, GenerationSettings(style="jazz", style_guidance=0.0, seed=1, swing=0))
    b = generate(runtime, f, GenerationSettings(style="jazz", style_guidance=3.0, seed=1, swing=0))
    assert a.hits.shape == b.hits.shape  # guidance changes the model's outputs, never the shape
    assert not np.array_equal(a.velocity, b.velocity)


def test_swing_delays_off_beats_and_quantized_removes_it(tiny_model):
    runtime = DrummerRuntime.load(tiny_model)
    f = song_features(4)
    straight = generate(runtime, f, GenerationSettings(seed=2, cutoff=0.05, temperature=None, swing=0.0))
    swung = generate(runtime, f, GenerationSettings(seed=2, cutoff=0.05, temperature=None, swing=0.3))
    off = np.zeros(straight.num_steps, bool)
    off[1::2] = True
    assert (swung.hits == straight.hits).all()
    late = straight.hits & off[:, None]
    assert late.any()
    assert (swung.offset[late] > straight.offset[late]).all()
    on = straight.hits & ~off[:, None]
    np.testing.assert_array_equal(swung.offset[on], straight.offset[on])
    q = generate(runtime, f, GenerationSettings(seed=2, swing=0.3, quantized=True))
    assert (q.offset == 0).all()


def test_default_output_has_human_dynamics_and_timing(tiny_model, tmp_path):
    from neuraldrummer.generation.drumming import drum_song

    src = factory.save(factory.song(bars=8), tmp_path / "s.mid")
    result = drum_song(src, tmp_path / "o.mid", tiny_model, GenerationSettings(cutoff=0.05, temperature=None,
                                                                               feel="model"))
    notes = [n for i in load_midi(tmp_path / "o.mid").pm.instruments if i.is_drum for n in i.notes]
    assert len({n.velocity for n in notes}) >= 8
    assert np.abs(result.drums.offset[result.drums.hits]).max() > 0.01  # some onsets off the grid
    # the default feel follows the song: this song is sequenced, so the drums sit on the grid
    tight = drum_song(src, tmp_path / "t.mid", tiny_model, GenerationSettings(cutoff=0.05, temperature=None))
    np.testing.assert_array_equal(tight.drums.hits, result.drums.hits)
    assert np.abs(tight.drums.offset[tight.drums.hits]).max() < 1e-6
    drum_song(src, tmp_path / "q.mid", tiny_model, GenerationSettings(cutoff=0.05, temperature=None, quantized=True))
    again = encode_song(tmp_path / "q.mid")
    assert (again.drums.offset == 0).all() and again.drums.hits.any()


def test_the_song_feel_keeps_every_hit_near_its_16th():
    from neuraldrummer.analysis.drums import DrumArrays
    from neuraldrummer.generation.feel import MAX_OFFSET_16THS, fit_feel_to_song

    rng = np.random.default_rng(0)
    hits = rng.random((64, 3)) < 0.5
    offset = np.where(hits, rng.uniform(-0.5, 0.5, (64, 3)), 0.0).astype(np.float32)
    drums = DrumArrays(hits, np.full((64, 3), 0.7, np.float32), offset)
    names = ("intensity", "song_timing")
    loose_song = np.tile(np.array([[0.5, 4 * 0.4]], np.float32), (64, 1))  # onsets 0.4 of a 16th off on average
    for steps_per_beat in (4, 8):
        out = fit_feel_to_song(drums, loose_song, names, steps_per_beat)
        in_16ths = np.abs(out.offset[hits]) * 4.0 / steps_per_beat
        assert in_16ths.max() <= MAX_OFFSET_16THS + 1e-6
        assert (in_16ths > MAX_OFFSET_16THS / 2).mean() > 0.3  # a spread is kept, not the grid
    np.testing.assert_array_equal(out.hits, hits)


def test_a_song_played_by_hand_gets_a_drummers_timing():
    from neuraldrummer.analysis.drums import DrumArrays
    from neuraldrummer.generation.feel import HAND_MAX_OFFSET_16THS, fit_feel_to_song

    rng = np.random.default_rng(1)
    hits = rng.random((256, 3)) < 0.4
    drums = DrumArrays(hits, np.full((256, 3), 0.7, np.float32), np.zeros((256, 3), np.float32))
    names = ("song_offgrid", "song_timing")
    loose = np.tile(np.array([[0.3, 4 * 0.08]], np.float32), (256, 1))  # 30% of the song's onsets off the grid
    tight = np.zeros((256, 2), np.float32)
    push = np.full(256, np.nan, np.float32)
    push[::4] = 0.2  # the players lay back on every beat
    out = fit_feel_to_song(drums, loose, names, 4, push=push, seed=3)
    off = np.abs(out.offset[hits])
    assert off.max() <= HAND_MAX_OFFSET_16THS + 1e-6
    assert 0.05 <= (off > 0.125).mean() <= 0.5  # off its 16th now and then, not everywhere
    assert (off > 0.25).sum() == 0
    on_beat = hits & np.isfinite(push)[:, None]
    assert out.offset[on_beat].mean() > 0.06 > abs(float(out.offset[hits & ~on_beat].mean()))  # with the players
    again = fit_feel_to_song(drums, loose, names, 4, push=push, seed=3)
    np.testing.assert_array_equal(again.offset, out.offset)
    assert not np.array_equal(fit_feel_to_song(drums, loose, names, 4, push=push, seed=4).offset, out.offset)
    np.testing.assert_array_equal(out.hits, hits)
    # a sequenced song keeps its drums on the grid, unless it is known to be played by hand (no click)
    assert (fit_feel_to_song(drums, tight, names, 4, push=push, seed=3).offset == 0).all()
    assert (fit_feel_to_song(drums, tight, names, 4, seed=3, played_by_hand=True).offset != 0).any()
    assert (fit_feel_to_song(drums, loose, names, 4, seed=3, played_by_hand=False).offset == 0).all()


def test_under_a_song_a_little_off_the_grid_the_drummer_is_drawn_on_it_or_loose():
    from neuraldrummer.analysis.drums import DrumArrays
    from neuraldrummer.generation.feel import DRAWN_FEEL_UNTIL, drawn_on_grid, fit_feel_to_song

    rng = np.random.default_rng(2)
    hits = rng.random((128, 3)) < 0.4
    drums = DrumArrays(hits, np.where(hits, rng.uniform(0.3, 0.9, (128, 3)), 0).astype(np.float32),
                       np.where(hits, rng.uniform(-0.2, 0.2, (128, 3)), 0).astype(np.float32))
    names = ("song_offgrid", "song_timing")
    def song(share):
        return np.tile(np.array([[share, 4 * 0.05]], np.float32), (128, 1))
    draws = [drawn_on_grid(song(0.08), names, seed) for seed in range(300)]
    assert 0.55 < np.mean(draws) < 0.77  # most drummers of such songs play on the grid, not all
    assert draws == [drawn_on_grid(song(0.08), names, seed) for seed in range(300)]  # seeded
    assert not any(drawn_on_grid(song(s), names, 0) for s in (0.0, 0.03, DRAWN_FEEL_UNTIL, 0.3))
    on = next(seed for seed in range(20) if drawn_on_grid(song(0.08), names, seed))
    loose = next(seed for seed in range(20) if not drawn_on_grid(song(0.08), names, seed))
    assert (fit_feel_to_song(drums, song(0.08), names, 4, seed=on).offset == 0).all()
    assert (np.abs(fit_feel_to_song(drums, song(0.08), names, 4, seed=loose).offset[hits]) > 0.01).mean() > 0.5
    # told it was played by hand, the drummer plays loose; a sequenced song's drums sit on the grid
    assert (fit_feel_to_song(drums, song(0.08), names, 4, seed=on, played_by_hand=True).offset != 0).any()
    assert (fit_feel_to_song(drums, song(0.01), names, 4, seed=on).offset == 0).all()
    # bars re-drawn in a part keep its feel, whatever the new seed draws
    part = fit_feel_to_song(drums, song(0.08), names, 4, seed=on)
    redone = fit_feel_to_song(part, song(0.08), names, 4, keep=32, until=64, seed=loose).offset
    assert (redone == 0).all()
    part = fit_feel_to_song(drums, song(0.08), names, 4, seed=loose)
    redone = fit_feel_to_song(part, song(0.08), names, 4, keep=32, until=64, seed=on).offset
    assert (np.abs(redone[32:64][hits[32:64]]) > 0.01).mean() > 0.5


def test_a_drummer_does_not_follow_notes_on_another_subdivision_half_way():
    # triplets over a 16th grid sit a third of a 16th off it: a drum half way there is on neither
    from neuraldrummer.analysis.drums import DrumArrays
    from neuraldrummer.generation.feel import HAND_MAX_OFFSET_16THS, fit_feel_to_song

    hits = np.zeros((256, 1), bool)
    hits[::2] = True
    drums = DrumArrays(hits, np.full((256, 1), 0.7, np.float32), np.zeros((256, 1), np.float32))
    names = ("song_offgrid", "song_timing")
    loose = np.tile(np.array([[0.3, 4 * 0.08]], np.float32), (256, 1))
    push = np.full(256, np.nan, np.float32)
    push[0::4], push[2::4] = 0.1, -1 / 3  # laid back on the beats, triplets on the off-beat eighths
    out = fit_feel_to_song(drums, loose, names, 4, push=push, seed=3).offset[:, 0]
    assert out[0::4].mean() > 0.03  # with the players on the beats
    assert abs(float(out[2::4].mean())) < 0.03  # on the grid where they play another subdivision
    assert np.abs(out[hits[:, 0]]).max() <= HAND_MAX_OFFSET_16THS + 1e-6


def test_a_sequenced_song_gets_a_few_fixed_velocities_and_one_played_by_hand_keeps_its_spread():
    from neuraldrummer.analysis.drums import DrumArrays
    from neuraldrummer.generation.feel import fit_feel_to_song, sequenced_levels

    rng = np.random.default_rng(2)
    hits = np.zeros((400, 2), bool)
    hits[::2, 0] = True  # a hat on the eighths ...
    hits[::8, 1] = True  # ... and a kick on the beats
    vel = np.where(hits, rng.normal(0.6, 0.04, hits.shape), 0).astype(np.float32)
    accents = np.zeros_like(hits)
    accents[::8, 0] = True  # every beat's hat accented (a quarter of the hats)
    vel[accents] = rng.normal(0.9, 0.03, int(accents.sum()))
    drums = DrumArrays(hits, vel, np.zeros(hits.shape, np.float32))
    names = ("song_offgrid", "song_timing", "song_present")
    tight = np.tile(np.array([[0.0, 0.0, 1.0]], np.float32), (400, 1))
    out = fit_feel_to_song(drums, tight, names, 4, seed=1)
    midi = np.rint(out.velocity * 127).astype(int)
    hat, kick = np.unique(midi[hits[:, 0], 0]), np.unique(midi[hits[:, 1], 1])
    assert hat.size == 2 and kick.size == 1  # main and accent; the kick one level
    assert (midi[accents[:, 0], 0] == hat.max()).all() and (midi[hits[:, 0] & ~accents[:, 0], 0] == hat.min()).all()
    assert abs(hat.min() - 0.6 * 127) < 3 and abs(hat.max() - 0.9 * 127) < 3
    np.testing.assert_array_equal(out.hits, hits)
    # only the new hits change: a prompt of 100 steps keeps its own velocities
    kept = fit_feel_to_song(drums, tight, names, 4, keep=100, seed=1)
    np.testing.assert_array_equal(kept.velocity[:100], vel[:100])
    assert np.unique(kept.velocity[100:][hits[100:, 1], 1]).size == 1
    # under a song played by hand, or with no song at all (a groove continued alone), the spread stays
    hand = fit_feel_to_song(drums, tight, names, 4, seed=1, played_by_hand=True).velocity
    assert np.unique(hand[hits]).size > 50
    plain = hits[:, 0] & ~accents[:, 0]  # around their level with half the drawn spread, the accents kept
    assert hand[plain, 0].std() == pytest.approx(0.5 * vel[plain, 0].std(), rel=0.15)
    assert hand[accents[:, 0], 0].mean() > hand[plain, 0].mean() + 0.2
    alone = tight.copy()
    alone[:, 2] = 0
    assert np.unique(fit_feel_to_song(drums, alone, names, 4, seed=1).velocity[hits]).size > 50
    # a position's level needs most of its hits there: one loud hat of 200 snaps to the main level
    one = vel.copy()
    one[accents] = 0.6
    one[0, 0] = 1.0
    assert np.unique(sequenced_levels(one, hits, hits, np.arange(400) % 16)[hits[:, 0], 0]).size == 1
    # the positions come from the downbeat column where there is one: bars starting at step 4 move them
    shifted = np.zeros((400, 4), np.float32)
    shifted[:, 2], shifted[4::16, 3] = 1.0, 1.0
    v4 = np.rint(fit_feel_to_song(drums, shifted, names + ("downbeat",), 4, seed=1).velocity[:, 0] * 127)
    after = hits[:, 0] & (np.arange(400) >= 4)  # after a pickup of four steps, the accents are where they were
    np.testing.assert_array_equal(v4[after], midi[after, 0])


def test_the_drawn_level_is_raised_for_the_new_hits_only():
    from neuraldrummer.analysis.drums import DrumArrays
    from neuraldrummer.generation.feel import DRAWN_LEVEL_GAIN, raise_drawn_level

    hits = np.zeros((64, 3), bool)
    hits[::2, 0], hits[::8, 1] = True, True
    vel = np.where(hits, 0.5, 0.0).astype(np.float32)
    vel[8, 1] = 0.98  # an accent near the top stays at most 127
    drums = DrumArrays(hits, vel, np.zeros(hits.shape, np.float32))
    out = raise_drawn_level(drums, keep=16, until=48)
    assert DRAWN_LEVEL_GAIN > 1
    np.testing.assert_array_equal(out.velocity[:16], vel[:16])  # the prompt as it was
    np.testing.assert_array_equal(out.velocity[48:], vel[48:])  # and the drums after a re-drawn range
    inside = hits.copy()
    inside[:16], inside[48:] = False, False
    np.testing.assert_allclose(out.velocity[inside], np.minimum(vel[inside] * DRAWN_LEVEL_GAIN, 1.0), rtol=1e-6)
    assert out.velocity[~hits].max() == 0 and out.velocity.max() <= 1.0
    np.testing.assert_array_equal(out.hits, hits)
    assert raise_drawn_level(drums, gain=1.0).velocity.tolist() == vel.tolist()


def test_onset_push_and_played_by_hand_from_the_grid():
    from neuraldrummer.analysis.features import onset_push

    grid = encode_song(read_midi_bytes(midi_to_bytes(factory.song(bars=2)))).grid
    step = float(grid.starts[5] - grid.starts[4])
    push = onset_push(grid, np.array([grid.starts[4] + 0.2 * step, grid.starts[4] + 0.3 * step,
                                      grid.starts[4] + 0.1 * step, grid.starts[9] - 0.25 * step]))
    assert push.shape == (grid.num_steps,)
    assert push[4] == pytest.approx(0.2, abs=1e-3) and push[9] == pytest.approx(-0.25, abs=1e-3)
    assert np.isnan(np.delete(push, [4, 9])).all()
    assert GenerationSettings().for_song({"grid": "beats"}).played_by_hand is True
    assert GenerationSettings().for_song({"grid": "file"}).played_by_hand is None
    assert GenerationSettings().for_song({"grid": "regridded"}).played_by_hand is None  # left to its parts
    assert GenerationSettings(played_by_hand=False).for_song({"grid": "beats"}).played_by_hand is False


def test_continue_keeps_the_prompt_and_adds_bars(tiny_model, tmp_path):
    runtime = DrummerRuntime.load(tiny_model)
    path = factory.save(factory.song(bars=2, pitched=False, tempos=((0, 96.0),)), tmp_path / "groove.mid")
    groove = read_groove(path, 2)
    assert groove.tempo == pytest.approx(96.0) and groove.bar_lengths == [8, 8]
    out = continue_groove(groove, 3, runtime, GenerationSettings(seed=1))
    assert out.bar_lengths == [8] * 5 and out.drums.num_steps == 40
    np.testing.assert_array_equal(out.drums.hits[:16], groove.drums.hits)
    np.testing.assert_array_equal(out.drums.velocity[:16], groove.drums.velocity)


def test_continue_cli_from_midi_and_text(tiny_model, tmp_path, capsys):
    path = factory.save(factory.song(bars=2, pitched=False), tmp_path / "groove.mid")
    assert main(["continue", str(path), "--bars", "2", "--model", str(tiny_model)]) == 0
    out = tmp_path / "groove_continued.mid"
    song = encode_song(out)
    assert song.grid.num_bars == 4
    np.testing.assert_array_equal(song.drums.hits[:16], encode_song(path).drums.hits)
    roll = tmp_path / "groove.txt"
    assert main(["to-text", str(path), "-o", str(roll), "--steps-per-beat", "2"]) == 0  # the tiny model's grid
    assert main(["continue", str(roll), "--bars", "1", "-o", str(tmp_path / "c.mid"), "--model", str(tiny_model)]) == 0
    assert encode_song(tmp_path / "c.mid").grid.num_bars == 3
    with pytest.raises(NoDrumsError):
        read_groove(factory.save(factory.song(bars=2, drums=False), tmp_path / "nodrums.mid"), 2)
    for bars in ("0", "1001"):  # at least one bar, at most MAX_NEW_BARS: a clear error, no file
        args = ["continue", str(path), "--bars", bars, "-o", str(tmp_path / "x.mid"), "--model", str(tiny_model)]
        assert main(args) == 1
        assert not (tmp_path / "x.mid").exists()
    assert "--bars must be 1-1000, got 1001" in capsys.readouterr().err


@pytest.mark.parametrize("name,pitch", [
    ("Kick_01.mid", 36), ("Hi_Hat_02.mid", 42), ("Snare 3.mid", 38), ("Snare3.mid", 38), ("OpenHat-1.mid", 46),
    ("open hi hat.mid", 46), ("808_slide.mid", 35), ("Clap_4.mid", 39), ("Hi Tom.mid", 50), ("Ride 1.mid", 51),
    ("Crash.mid", 49), ("HH_roll.mid", 42), ("Vocal chop.mid", None), ("Melody.mid", None),
])
def test_loop_names_map_to_general_midi(name, pitch):
    assert pitch_for_name(name) == pitch


def write_loop(path, pitch_in=60, steps=(0, 2, 4, 6), step=240, bars=1, channel=0):
    notes = [(b * 8 * step + s * step, step // 2, pitch_in, 90) for b in range(bars) for s in steps]
    mid = mido.MidiFile(type=1, ticks_per_beat=480, tracks=[factory.conductor(), factory.notes_track(notes, channel=channel)])
    return factory.save(mid, path)


def test_normalise_and_combine_loops(tmp_path, bad_inputs):
    src = tmp_path / "loops"
    src.mkdir()
    write_loop(src / "Kick_01.mid", steps=(0, 4))
    write_loop(src / "Kick_02.mid", steps=(0, 3, 4), bars=2)
    write_loop(src / "Snare 3.mid", steps=(2, 6))
    write_loop(src / "Hi_Hat_02.mid", steps=tuple(range(8)))
    write_loop(src / "Vocal.mid")
    (src / "Snare_broken.mid").write_bytes(bad_inputs["truncated"].read_bytes())
    report = normalise_loops(src, tmp_path / "norm")
    assert len(report.written) == 4
    assert report.skipped == {"unknown_instrument_name": 1, "unreadable_midi": 1}
    kick = load_midi(tmp_path / "norm" / "Kick_01.mid").pm
    assert [(i.is_drum, sorted({n.pitch for n in i.notes})) for i in kick.instruments] == [(True, [36])]
    hat = encode_song(tmp_path / "norm" / "Hi_Hat_02.mid", 2)
    assert hat.drums.hits[:, CLASS_NAMES.index("closed_hat")].sum() == 8
    combined = combine_loops(tmp_path / "norm", tmp_path / "combo")
    assert len(combined.written) == 2  # 2 kicks x 1 snare x 1 hat
    songs = [encode_song(p, 2) for p in combined.written]
    lengths = sorted(s.grid.num_bars for s in songs)
    assert lengths == [1, 2]  # the 2-bar kick loop makes a 2-bar combination (others repeat)
    for s in songs:
        counts = s.drums.hits.sum(axis=0)
        assert counts[CLASS_NAMES.index("kick")] > 0 and counts[CLASS_NAMES.index("snare")] > 0
        assert counts[CLASS_NAMES.index("closed_hat")] == 8 * s.grid.num_bars
    assert len(combine_loops(tmp_path / "norm", tmp_path / "combo1", count=1).written) == 1
    for command in ("normalise-loops", "combine-loops"):  # a missing source is an error, not an empty folder
        assert main([command, str(tmp_path / "nowhere"), "-o", str(tmp_path / command)]) == 1
        assert not (tmp_path / command).exists()


@pytest.mark.parametrize("spb", [4, 8])
def test_finer_grids_end_to_end(tmp_path, spb):
    """Tokenise, train and drum on a 16th- and 32nd-note grid."""
    from neuraldrummer.config import Config
    from neuraldrummer.training.corpus import build_corpus
    from neuraldrummer.generation.drumming import drum_song
    from neuraldrummer.training.train import train

    data = tmp_path / "data"
    data.mkdir()
    for i in range(4):
        factory.save(factory.song(bars=4 + i), data / f"s{i}.mid")
    build_corpus([data], tmp_path / "c", steps_per_beat=spb, workers=1, progress=False)
    songs = json.loads((tmp_path / "c" / "songs.json").read_text())
    for k, s in enumerate(songs):
        s["split"] = "validation" if k == 0 else "train"
    (tmp_path / "c" / "songs.json").write_text(json.dumps(songs))
    config = Config(decoder_units=8, window_steps=16, batch_size=4, epochs=1, steps_per_epoch=2, validation_batches=1)
    train(tmp_path / "c", tmp_path / "m", config, verbose=0)
    assert DrummerRuntime.load(tmp_path / "m").config.steps_per_beat == spb
    result = drum_song(factory.save(factory.song(bars=3), tmp_path / "in.mid"), tmp_path / "out.mid", tmp_path / "m",
                       GenerationSettings(cutoff=0.01, temperature=None))
    assert result.drums.num_steps == 3 * 4 * spb
    assert encode_song(tmp_path / "out.mid", spb).drums.hits.any()


def test_velocity_temperature_applies_under_sequenced_songs_only(tiny_model, monkeypatch):
    import neuraldrummer.generation.sampling as sampling

    seen = []
    real = sampling.draw_feel

    def spy(step, hits, rng, runtime=None, velocity_temperature=1.0):
        seen.append(velocity_temperature)
        return real(step, hits, rng, runtime, velocity_temperature)

    monkeypatch.setattr(sampling, "draw_feel", spy)
    runtime = DrummerRuntime.load(tiny_model)
    features = song_features(4)  # the factory's song is sequenced: every onset on the grid
    generate(runtime, features, GenerationSettings(velocity_temperature=0.4))
    assert seen and set(seen) == {0.4}
    for settings in (GenerationSettings(velocity_temperature=0.4, played_by_hand=True),
                     GenerationSettings(velocity_temperature=0.4, feel="model")):
        seen.clear()
        generate(runtime, features, settings)
        assert seen and set(seen) == {1.0}
