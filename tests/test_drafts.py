"""Whole-song drafts: the part that keeps a groove is kept (generation/drafts.py)."""

import numpy as np

import factory
from neuraldrummer.analysis.drum_map import CLASS_NAMES, KICK, SNARE, TOMS
from neuraldrummer.analysis.drums import DrumArrays
from neuraldrummer.analysis.features import FEATURE_NAMES
from neuraldrummer.analysis.song import encode_song
from neuraldrummer.generation.drafts import groove_measures, groove_score, is_groove
from neuraldrummer.io.midi import midi_to_bytes, read_midi_bytes


def _song(bars=8):
    return encode_song(read_midi_bytes(midi_to_bytes(factory.song(bars=bars))), 4)


def _part(song, pattern):
    """Drums with ``pattern`` ((step in bar, class) pairs) in every bar of ``song``."""
    T, C = song.features.shape[0], len(CLASS_NAMES)
    hits = np.zeros((T, C), bool)
    for t in range(T):
        for step, cls in pattern:
            if song.grid.step_in_bar[t] == step:
                hits[t, cls] = True
    return DrumArrays(hits, hits.astype(np.float32) * 0.7, np.zeros((T, C), np.float32))


def test_a_groove_scores_above_the_parts_a_drawn_drummer_falls_into():
    song = _song()
    names = FEATURE_NAMES
    hat = CLASS_NAMES.index("closed_hat")
    rock = _part(song, [(0, KICK), (8, KICK), (4, SNARE), (12, SNARE)] + [(s, hat) for s in range(0, 16, 2)])
    m = groove_measures(rock, song.features, names)
    assert m["kick_on_downbeats"] == 1.0 and m["backbeat"] == 1.0 and m["toms"] == 0.0
    assert m["line"] > 0.5 and m["top_sound"] < 0.7
    # toms and a snare on every beat, no kick on the bar: what the drawn drummer fell into
    toms = _part(song, [(s, TOMS[0]) for s in range(16)] + [(s, SNARE) for s in range(0, 16, 4)])
    t = groove_measures(toms, song.features, names)
    assert t["kick_on_downbeats"] == 0.0 and t["backbeat"] == 0.5 and t["toms"] > 0.7 and t["line"] == 0.0
    # one sound doing everything, and no back beat at all, lose against the groove
    hats_only = _part(song, [(s, hat) for s in range(16)] + [(0, KICK)])
    h = groove_measures(hats_only, song.features, names)
    assert h["top_sound"] > 0.7 and h["backbeat"] == 0.0
    four_on_the_floor = _part(song, [(s, KICK) for s in (0, 4, 8, 12)] + [(s, hat) for s in range(0, 16, 2)])
    assert groove_measures(four_on_the_floor, song.features, names)["backbeat"] == 0.0
    scores = [groove_score(p, song.features, names) for p in (rock, toms, hats_only, four_on_the_floor)]
    assert scores[0] > max(scores[1:])
    assert scores[3] > scores[2] > scores[1]
    assert [is_groove(p, song.features, names) for p in (rock, toms, hats_only, four_on_the_floor)] == [
        True, False, False, False]
    # a back beat in one bar of eight: every snare on a back beat, but no back beat
    sparse = _part(song, [(0, KICK), (8, KICK)] + [(s, hat) for s in range(0, 16, 2)])
    sparse.hits[np.flatnonzero(song.grid.step_in_bar == 4)[:1], SNARE] = True
    s = groove_measures(sparse, song.features, names)
    assert s["backbeat"] == 1.0 and s["backbeat_bars"] == 1 / 8 and m["backbeat_bars"] == 1.0
    assert not is_groove(sparse, song.features, names)
    assert groove_score(sparse, song.features, names) < scores[0] - 0.5


def test_drafts_are_scored_as_they_will_be_written_without_their_stray_hits():
    from neuraldrummer.generation.drafts import keep_best
    from neuraldrummer.generation.strays import drop_strays

    song = _song()
    names = FEATURE_NAMES
    hat, ride = CLASS_NAMES.index("closed_hat"), CLASS_NAMES.index("ride")
    # kick, hat and ride whose only snares are lone hits on back beats (strays), against a rock beat
    # whose hats are two thirds of its hits (a crowded part loses some of its score)
    lone = _part(song, [(0, KICK), (8, KICK)] + [(s, hat) for s in (0, 4, 8, 12)] + [(s, ride) for s in (2, 6, 10, 14)])
    lone.hits[np.flatnonzero(song.grid.step_in_bar == 4)[::2], SNARE] = True  # every second bar: strays
    rock = _part(song, [(0, KICK), (8, KICK), (4, SNARE), (12, SNARE)] + [(s, hat) for s in range(0, 16, 2)])
    bar_starts = np.concatenate([np.flatnonzero(song.grid.step_in_bar == 0), [song.features.shape[0]]])

    def clean(part):
        return drop_strays(part, bar_starts)

    assert groove_score(lone, song.features, names) > groove_score(rock, song.features, names)
    assert keep_best([lone, rock], song.features, names).hits.tolist() == lone.hits.tolist()
    kept = keep_best([clean(lone), clean(rock)], song.features, names)
    assert kept.hits.tolist() == rock.hits.tolist()  # without its stray snares the first has no back beat
    assert not clean(lone).hits[:, SNARE].any()


def test_the_stepper_batches_drafts_and_splits_them_back(tiny_model):
    from neuraldrummer.generation.runtime import DrummerRuntime
    from neuraldrummer.generation.sampling import GuidedStepper

    runtime = DrummerRuntime.load(tiny_model)
    song = _song(4)
    for style, guidance in ((0, 0.0), (1, 2.0)):  # one condition, and three with a style
        stepper = GuidedStepper(runtime, song.features, style, guidance)
        rng = np.random.default_rng(0)
        states = [tuple(rng.random(x.shape).astype(np.float32) for x in stepper.initial_state(2)) for _ in range(3)]
        joined = stepper.join(states)
        assert joined[0].shape[0] == stepper.conditions * 6
        for got, want in zip(stepper.split(joined, 3), states):
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])
        # each of R states expanded to k copies, side by side
        one = stepper.join([stepper.select(s, 2, 0) for s in states])
        expanded = stepper.split(stepper.expand(one, 4), 3)
        for r, s in enumerate(expanded):
            for j in range(4):
                np.testing.assert_array_equal(stepper.select(s, 4, j)[0], stepper.select(states[r], 2, 0)[0])


def test_drafts_keep_the_best_scored_part_and_stay_reproducible(tiny_model, monkeypatch):
    import neuraldrummer.generation.decoding as decoding
    import neuraldrummer.generation.drafts as drafts
    from neuraldrummer.generation.runtime import DrummerRuntime
    from neuraldrummer.generation.settings import GenerationSettings

    runtime = DrummerRuntime.load(tiny_model)
    song = encode_song(read_midi_bytes(midi_to_bytes(factory.song(bars=8))), runtime.config.steps_per_beat,
                       runtime.config.feature_names)
    seen = []

    def busiest(drums, features, names, keep=0, compound=False):  # a score that prefers the busiest draft
        seen.append(int(drums.hits.sum()))
        return float(drums.hits.sum())

    monkeypatch.setattr(drafts, "groove_score", busiest)
    settings = GenerationSettings(drafts=4, draft_rounds=1, drop_strays=False, seed=5)
    out = decoding.generate(runtime, song.features, settings, reference=song.reference)
    assert len(seen) == 4 and len(set(seen)) > 1  # four different drafts were drawn
    assert int(out.hits.sum()) == max(seen)
    again = decoding.generate(runtime, song.features, settings, reference=song.reference)
    np.testing.assert_array_equal(out.hits, again.hits)
    np.testing.assert_array_equal(out.velocity, again.velocity)
    seen.clear()
    decoding.generate(runtime, song.features, GenerationSettings(drafts=1, seed=5), reference=song.reference)
    assert seen == []  # one draft: nothing to choose


def test_the_song_is_drawn_again_only_while_no_draft_keeps_a_groove(tiny_model, monkeypatch):
    import neuraldrummer.generation.decoding as decoding
    from neuraldrummer.generation.runtime import DrummerRuntime
    from neuraldrummer.generation.settings import GenerationSettings

    runtime = DrummerRuntime.load(tiny_model)
    song = encode_song(read_midi_bytes(midi_to_bytes(factory.song(bars=8))), runtime.config.steps_per_beat,
                       runtime.config.feature_names)
    chosen = []

    def keep_best(parts, features, names, keep=0, compound=False):
        chosen.append(len(parts))
        return parts[-1]

    def generate(groove, **kw):
        chosen.clear()
        monkeypatch.setattr(decoding, "is_groove", lambda *a, **k: groove)
        monkeypatch.setattr(decoding, "keep_best", keep_best)
        settings = GenerationSettings(drafts=3, drop_strays=False, seed=5, **kw)
        return decoding.generate(runtime, song.features, settings, reference=song.reference)

    once = generate(True)
    assert chosen == [3]  # the first round keeps a groove: no other
    np.testing.assert_array_equal(once.hits, generate(True, draft_rounds=1).hits)
    again = generate(False)
    assert chosen == [3, 4, 4]  # no groove: two more rounds, each new draft against the best so far
    assert not np.array_equal(again.hits, once.hits)  # the last round's drafts are new ones
    np.testing.assert_array_equal(again.hits, generate(False).hits)  # and reproducible
    generate(False, draft_rounds=1)
    assert chosen == [3]


def test_every_second_draft_starts_from_the_basic_beat_where_the_bars_come_from_the_music(tiny_model, monkeypatch):
    import neuraldrummer.generation.decoding as decoding
    from neuraldrummer.generation.runtime import DrummerRuntime
    from neuraldrummer.generation.settings import ALTERNATE_START, GenerationSettings

    settings = GenerationSettings()
    assert settings.for_song({"grid": "beats"}).alternate_start == ALTERNATE_START == "basic"
    assert settings.for_song({"grid": "regridded"}).alternate_start == "basic"
    assert settings.for_song({"grid": "file"}).alternate_start == "none"
    assert GenerationSettings(alternate_start="none").for_song({"grid": "beats"}).alternate_start == "none"
    # the patterns the drafts are primed with
    primed = []
    real = decoding.start_pattern

    def spy(name, *args, **kwargs):
        primed.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(decoding, "start_pattern", spy)
    runtime = DrummerRuntime.load(tiny_model)
    song = encode_song(read_midi_bytes(midi_to_bytes(factory.song(bars=4))), runtime.config.steps_per_beat,
                       runtime.config.feature_names)
    decoding.generate(runtime, song.features, GenerationSettings(alternate_start="basic"), reference=song.reference)
    assert primed == ["blank", "basic"]
    primed.clear()
    decoding.generate(runtime, song.features, GenerationSettings(alternate_start="none"), reference=song.reference)
    assert primed == ["blank"]
    primed.clear()
    decoding.generate(runtime, song.features, GenerationSettings(alternate_start="basic", drafts=1),
                      reference=song.reference)
    assert primed == ["blank"]


def test_in_twelve_eight_the_back_beat_is_on_the_second_and_fourth_dotted_quarter():
    # a song in 12/8 (bars of 24 16ths): kick on dotted quarters 1 and 3, snare on 2 and 4, hats on the eighths
    song = encode_song(read_midi_bytes(midi_to_bytes(factory.song(bars=12, meters=((0, 12, 8),)))), 4)
    names = FEATURE_NAMES
    assert set(song.info["meters"]) == {"12/8"} and song.grid.bar_length[0] == 24
    hat = CLASS_NAMES.index("closed_hat")
    eighths = [(s, hat) for s in range(0, 24, 2) if s not in (6, 18)]  # the hand on the snare there
    twelve_eight = _part(song, [(0, KICK), (4, KICK), (12, KICK), (6, SNARE), (18, SNARE)] + eighths)
    # the same drums with the snare on quarter notes 2, 4 and 6, the back beat of a bar of six quarter notes
    six_four = _part(song, [(0, KICK), (12, KICK), (4, SNARE), (12, SNARE), (20, SNARE)] + eighths)
    compound = groove_measures(twelve_eight, song.features, names, compound=True)
    assert compound["backbeat"] == 1.0 and compound["backbeat_bars"] == 1.0 and compound["kick_on_downbeats"] == 1.0
    assert is_groove(twelve_eight, song.features, names, compound=True)
    assert not is_groove(six_four, song.features, names, compound=True)
    assert groove_score(twelve_eight, song.features, names, compound=True) > groove_score(
        six_four, song.features, names, compound=True) + 0.5
    # read as six quarter notes, the 12/8 groove has no back beat at all, and the other one wins
    assert not is_groove(twelve_eight, song.features, names)
    assert groove_score(six_four, song.features, names) > groove_score(twelve_eight, song.features, names)


def test_the_drafts_read_a_song_s_bars_as_compound_where_its_grid_is_in_eighths():
    from neuraldrummer.generation.settings import GenerationSettings

    assert GenerationSettings().for_song({"meters": ["12/8", "2/8"]}).compound_meter is True
    assert GenerationSettings().for_song({"meters": ["6/8"]}).compound_meter is True
    assert GenerationSettings().for_song({"meters": ["3/4", "4/4"]}).compound_meter is False
    assert GenerationSettings().for_song({"meters": ["4/4", "6/8"]}).compound_meter is False  # one bar of 6/8
    assert GenerationSettings(compound_meter=False).for_song({"meters": ["12/8"]}).compound_meter is False
