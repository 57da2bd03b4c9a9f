"""Issue 16: bars played again, as drummers repeat a groove between the fills, instead of every bar drawn afresh."""

import numpy as np

import factory
from neuraldrummer.analysis.features import bar_index
from neuraldrummer.analysis.song import encode_song
from neuraldrummer.io.midi import midi_to_bytes, read_midi_bytes
from test_follow_the_song import sectioned_song


def load(mid):
    return read_midi_bytes(midi_to_bytes(mid))


def _bars(hits: np.ndarray, features: np.ndarray, names) -> list[np.ndarray]:
    b = bar_index(features, names)
    return [hits[b == k] for k in range(int(b.max()) + 1)]


def test_a_replayed_take_plays_the_bar_given_and_is_scored_by_the_model(tiny_model):
    from neuraldrummer.generation.runtime import DrummerRuntime
    from neuraldrummer.generation.sampling import GuidedStepper, sample_bar
    from neuraldrummer.generation.settings import GenerationSettings

    runtime = DrummerRuntime.load(tiny_model)
    song = encode_song(load(factory.song(bars=2)), runtime.config.steps_per_beat, runtime.config.feature_names)
    stepper = GuidedStepper(runtime, song.features, 0, 0.0)
    C, L = runtime.num_classes, int(song.grid.bar_starts[1])
    again = np.zeros((2, L, C), bool)
    again[0, ::4, 0] = True  # the first state plays a kick on every beat again; the second draws its own
    state = stepper.join([stepper.initial_state(1)] * 2)
    hits, vel, off, loglik, *_ = sample_bar(stepper, state, np.zeros((2, 3 * C), np.float32), 5, 0, L, 0, None,
                                            GenerationSettings(), np.random.default_rng(0), replay=again)
    assert np.array_equal(hits[4], again[0])  # the first state's last take is the bar given ...
    assert (vel[4][again[0]] > 0).all() and (vel[4][~again[0]] == 0).all()  # ... its velocities drawn for its hits
    assert np.isfinite(loglik).all() and loglik[4] < 0  # ... scored under the model
    assert not any(np.array_equal(hits[k], again[0]) for k in range(5, 10))  # the second state drew all five
    plain = sample_bar(stepper, state, np.zeros((2, 3 * C), np.float32), 5, 0, L, 0, None, GenerationSettings(),
                       np.random.default_rng(0))
    assert not np.array_equal(plain[0][4], again[0])


def test_the_drummer_plays_bars_again_at_the_drawn_shares_and_not_where_a_crash_is_drawn(tiny_model, monkeypatch):
    import neuraldrummer.generation.decoding as decoding
    from neuraldrummer.generation.runtime import DrummerRuntime
    from neuraldrummer.generation.settings import GenerationSettings

    runtime = DrummerRuntime.load(tiny_model)
    names = runtime.config.feature_names
    song = encode_song(load(sectioned_song()), runtime.config.steps_per_beat, names)
    start = song.features[:, names.index("section_start")] > 0.5
    pre = song.features[:, names.index("pre_section")] > 0.5
    b = bar_index(song.features, names)
    groove = [k for k in range(2, int(b.max()) + 1) if not start[b == k].any() and not pre[b == k].any()]
    base = dict(drafts=1, drop_strays=False, follow_crash_share=1.0, follow_form=False)

    def repeats(settings) -> tuple[float, list[bool]]:
        bars = _bars(decoding.generate(runtime, song.features, settings).hits, song.features, names)
        same = [np.array_equal(bars[k], bars[k - 1]) for k in range(1, len(bars))]
        return float(np.mean([same[k - 1] for k in groove])), [same[k - 1] for k in range(1, len(bars))
                                                               if start[b == k].any()]

    monkeypatch.setattr(decoding, "REPLAY_SHARES", {c: (1.0, 0.0) for c in
                                                    ("groove", "before_section", "section_start")})
    monkeypatch.setattr(decoding, "REPLAY_SHARES_AFTER_CRASH", (1.0, 0.0))
    always, at_starts = repeats(GenerationSettings(**base))
    assert always >= 0.75  # every groove bar is played again, unless the model finds it less likely than its takes
    assert not any(at_starts)  # a crash is drawn on every section start: those bars are drawn, with their crash
    never, _ = repeats(GenerationSettings(replay_bars=False, **base))
    assert never < always
    monkeypatch.setattr(decoding, "REPLAY_SHARES", {c: (0.0, 0.0) for c in
                                                    ("groove", "before_section", "section_start")})
    monkeypatch.setattr(decoding, "REPLAY_SHARES_AFTER_CRASH", (0.0, 0.0))
    assert repeats(GenerationSettings(**base))[0] == never  # at share 0 the same as none: no take is spent


def test_bars_are_played_again_only_where_the_takes_follow_the_song(tiny_model, monkeypatch):
    import neuraldrummer.generation.decoding as decoding
    from neuraldrummer.generation.runtime import DrummerRuntime
    from neuraldrummer.generation.settings import GenerationSettings

    runtime = DrummerRuntime.load(tiny_model)
    song = encode_song(load(factory.song(bars=8)), runtime.config.steps_per_beat, runtime.config.feature_names)
    monkeypatch.setattr(decoding, "REPLAY_SHARES", {c: (1.0, 0.0) for c in
                                                    ("groove", "before_section", "section_start")})
    replays = []
    real = decoding.sample_bar

    def spy(*args, **kwargs):
        replays.append(kwargs.get("replay"))
        return real(*args, **kwargs)

    monkeypatch.setattr(decoding, "sample_bar", spy)
    decoding.generate(runtime, song.features, GenerationSettings(drafts=1))
    assert any(r is not None for r in replays)
    for settings in (GenerationSettings(replay_bars=False), GenerationSettings(density="high"),
                     GenerationSettings(temperature=None, cutoff=0.3), GenerationSettings(follow=0.0)):
        replays.clear()
        decoding.generate(runtime, song.features, settings)
        assert replays and all(r is None for r in replays), settings


def test_a_bar_played_again_takes_the_drums_of_the_bar_its_music_repeats_where_they_differ(tiny_model, monkeypatch):
    import neuraldrummer.generation.decoding as decoding
    from neuraldrummer.generation.runtime import DrummerRuntime
    from neuraldrummer.generation.settings import GenerationSettings

    runtime = DrummerRuntime.load(tiny_model)
    names = runtime.config.feature_names
    song = encode_song(load(sectioned_song()), runtime.config.steps_per_beat, names)
    monkeypatch.setattr(decoding, "REPLAY_SHARES", {c: (1.0, 0.0) for c in
                                                    ("groove", "before_section", "section_start")})
    monkeypatch.setattr(decoding, "REPLAY_SHARES_AFTER_CRASH", (1.0, 0.0))
    monkeypatch.setattr(decoding, "REPLAY_KEEPS_REFERENCE", 1.01)  # always the reference bar's drums where one is
    settings = GenerationSettings(drafts=1, drop_strays=False, follow_crash_share=0.0, follow_form=True)
    hits = decoding.generate(runtime, song.features, settings, reference=song.reference).hits
    ref = np.asarray(song.reference)
    b = bar_index(song.features, names)
    copied = [k for k in range(int(b.max()) + 1) if (ref[b == k] >= 0).all()]
    assert copied  # bars 16-23 repeat bars 0-7
    same = [np.array_equal(hits[b == k], hits[ref[b == k]]) for k in copied]
    assert np.mean(same) >= 0.75


def test_a_bar_that_opens_with_a_crash_is_played_again_at_its_own_share(tiny_model, monkeypatch):
    import neuraldrummer.generation.decoding as decoding
    from neuraldrummer.analysis.drum_map import CRASH_CLASSES
    from neuraldrummer.generation.runtime import DrummerRuntime
    from neuraldrummer.generation.settings import GenerationSettings

    runtime = DrummerRuntime.load(tiny_model)
    names = runtime.config.feature_names
    song = encode_song(load(sectioned_song()), runtime.config.steps_per_beat, names)
    crashes = [c for c in CRASH_CLASSES if c < runtime.num_classes]
    monkeypatch.setattr(decoding, "REPLAY_SHARES", {c: (1.0, 0.0) for c in
                                                    ("groove", "before_section", "section_start")})
    settings = GenerationSettings(drafts=1, drop_strays=False, follow_crash_share=1.0, crash_guidance=30.0,
                                  follow_form=False)

    def after_crash() -> list[bool]:
        bars = _bars(decoding.generate(runtime, song.features, settings).hits, song.features, names)
        return [np.array_equal(bars[k], bars[k - 1]) for k in range(1, len(bars))
                if bars[k - 1][:2][:, crashes].any() and bars[k].any()]

    monkeypatch.setattr(decoding, "REPLAY_SHARES_AFTER_CRASH", (0.0, 0.0))
    never = after_crash()
    assert never and not any(never)  # the section starts open with a crash; the bars after them are drawn
    monkeypatch.setattr(decoding, "REPLAY_SHARES_AFTER_CRASH", (1.0, 0.0))
    always = after_crash()
    assert always and np.mean(always) >= 0.5
