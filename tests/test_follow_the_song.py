"""Issue 10: grid fit, sections and repeats, the follow measures, the full kit, archives."""

import io
import tarfile
import zipfile

import mido
import numpy as np
import pytest

import factory
from neuraldrummer.training.corpus import build_corpus, Corpus
from neuraldrummer.analysis.features import FEATURE_NAMES, pitched_note_arrays
from neuraldrummer.beats.grid import build_grid, off_grid_share, sixteenth_offsets
from neuraldrummer.beats.tempo import estimate_tempo
from neuraldrummer.io.midi import midi_to_bytes, read_midi_bytes
from neuraldrummer.analysis.song import encode_song
from neuraldrummer.analysis.structure import analyse_form

TPB = factory.TPB


def load(mid):
    return read_midi_bytes(midi_to_bytes(mid))


def played_at(qpm_music: float, bars: int = 16, seed: int = 0) -> mido.MidiFile:
    """A file whose tempo map says 120 bpm while its music plays at ``qpm_music``: the notes of a
    16th-note riff are placed, in ticks of the 120-bpm map, where they sound at ``qpm_music``."""
    rng = np.random.default_rng(seed)
    scale = 120.0 / qpm_music  # ticks of the 120 map per tick of the music
    sixteenth = TPB // 4
    notes, drums = [], []
    pattern = rng.random(16) < 0.6
    pattern[[0, 4, 8, 12]] = True
    for b in range(bars):
        for s in np.nonzero(pattern)[0]:
            tick = int(round((b * 16 + s) * sixteenth * scale))
            notes.append((tick, int(sixteenth * scale), 60 + (s % 5), 80))
        for s in range(0, 16, 2):
            tick = int(round((b * 16 + s) * sixteenth * scale))
            drums.append((tick, 30, 42, 80))
        drums.append((int(round(b * 16 * sixteenth * scale)), 30, 36, 100))
    tracks = [factory.conductor(), factory.notes_track(notes, name="riff"),
              factory.notes_track([(int(round(b * 16 * sixteenth * scale)), TPB, 40, 90) for b in range(bars)],
                                  channel=1, program=33, name="bass"),
              factory.notes_track(drums, channel=9, name="drums")]
    return mido.MidiFile(type=1, ticks_per_beat=TPB, tracks=tracks)


def test_off_grid_share_is_exact():
    loaded = load(factory.song(bars=2))
    grid = build_grid(loaded.pm, 4)
    on = grid.starts[:10]
    assert off_grid_share(grid, on) == 0.0
    sixteenth = grid.durations[0]
    assert off_grid_share(grid, on + 0.3 * sixteenth) == 1.0
    np.testing.assert_allclose(sixteenth_offsets(grid, on + 0.2 * sixteenth), 0.2, atol=1e-5)
    # on an eighth grid the 16th between two steps is still on the 16th grid
    grid8 = build_grid(loaded.pm, 2)
    assert off_grid_share(grid8, grid8.starts[:4] + grid8.durations[0] / 2) == 0.0


def test_a_wrong_tempo_map_is_detected_and_regridded():
    loaded = load(played_at(97.0))
    song = encode_song(loaded, 4)
    assert song.info["off_grid_share"] > 0.5
    assert song.info["grid"] == "regridded"
    assert song.info["estimated_qpm"] == pytest.approx(97.0, rel=2e-3)
    notes = pitched_note_arrays(loaded.pm)
    assert off_grid_share(song.grid, notes["start"]) < 0.05
    # the drums land on the new grid: eight hats per bar, kick on the downbeats
    hats = song.drums.hits[:, 2]
    assert hats.sum() == 8 * 16 and np.abs(song.drums.offset[song.drums.hits]).max() < 0.1
    kicks = np.nonzero(song.drums.hits[:, 0])[0]
    assert (song.grid.step_in_bar[kicks] == 0).all()
    # a fitting file keeps its own grid
    assert encode_song(load(factory.song(bars=4)), 4).info["grid"] == "file"
    # and the estimate itself
    qpm, _ = estimate_tempo(np.arange(64) * 60 / 97.0 / 2)
    assert qpm == pytest.approx(97.0, rel=1e-3)


def test_corpus_counts_regridded_and_misfit_files_by_source(tmp_path):
    root = tmp_path / "data" / "src"
    root.mkdir(parents=True)
    factory.save(played_at(97.0), root / "wrong_map.mid")
    factory.save(factory.song(bars=6), root / "fine.mid")
    rng = np.random.default_rng(3)  # onsets at random times: no steady tempo fits them
    notes = [(int(t), 60, 60, 80) for t in np.sort(rng.uniform(0, 40 * TPB, 300))]
    drums = [(int(t), 30, 38, 80) for t in np.sort(rng.uniform(0, 40 * TPB, 100))]
    factory.save(mido.MidiFile(type=1, ticks_per_beat=TPB, tracks=[
        factory.conductor(), factory.notes_track(notes), factory.notes_track(drums, channel=9)]), root / "free.mid")
    result = build_corpus([tmp_path / "data"], tmp_path / "c", 4, workers=1, progress=False)
    s = result.summary
    assert s["songs"] == 2 and s["regridded"] == 1
    assert s["skipped"] == {"tempo_map_does_not_fit": 1}
    assert s["by_source"]["data/src"] == {"kept": 2, "regridded": 1, "skipped_tempo_map_does_not_fit": 1}


def test_archives_are_read_without_unpacking(tmp_path):
    data = {f"band/s{i}.mid": midi_to_bytes(factory.song(bars=4 + i)) for i in range(3)}
    tar_path = tmp_path / "in" / "pack.tar.xz"
    tar_path.parent.mkdir()
    with tarfile.open(tar_path, "w:xz") as tf:
        for name, b in data.items():
            info = tarfile.TarInfo(name)
            info.size = len(b)
            tf.addfile(info, io.BytesIO(b))
        info = tarfile.TarInfo("band/readme.txt")
        info.size = 2
        tf.addfile(info, io.BytesIO(b"hi"))
    with zipfile.ZipFile(tmp_path / "in" / "more.zip", "w") as zf:
        zf.writestr("x/y.mid", midi_to_bytes(factory.song(bars=9)))
        zf.writestr("x/bad.mid", b"not midi")
    result = build_corpus([tmp_path / "in"], tmp_path / "c", 2, workers=2, progress=False)
    s = result.summary
    assert s["songs"] == 4 and s["skipped"] == {"unreadable_midi": 1}
    assert s["by_source"]["in/pack"]["kept"] == 3 and s["by_source"]["in/more"]["kept"] == 1
    corpus = Corpus(tmp_path / "c")
    assert sorted(x["steps"] for x in corpus.songs) == [32, 40, 48, 72]
    assert not list((tmp_path / "c").glob(".*"))  # no temporary files left
    assert any("pack.tar.xz::band/s0.mid" in x["path"] for x in corpus.songs)


def sectioned_song() -> mido.MidiFile:
    """8 bars A (piano, one chord per bar, a different root each bar), 8 bars B (piano, bass and a
    busy lead), then A again: sections at bars 0, 8 and 16; bars 16-23 repeat bars 0-7."""
    bar = 4 * TPB
    piano, bass, lead = [], [], []
    for b in range(24):
        section_b = 8 <= b < 16
        root = 48 + (b % 8) if not section_b else 55 + (b % 3)
        for q in range(4):
            for p in (root, root + 4, root + 7):
                piano.append((b * bar + q * TPB, TPB, p, 70))
        if section_b:
            bass.append((b * bar, 2 * TPB, root - 12, 90))
            for s in range(8):
                lead.append((b * bar + s * TPB // 2, TPB // 2, 72 + (s % 4), 90))
    return mido.MidiFile(type=1, ticks_per_beat=TPB, tracks=[
        factory.conductor(), factory.notes_track(piano), factory.notes_track(bass, channel=1, program=33, name="bass"),
        factory.notes_track(lead, channel=2, program=80, name="lead")])


def test_sections_and_repeats_are_found_from_the_song():
    loaded = load(sectioned_song())
    grid = build_grid(loaded.pm, 4)
    form = analyse_form(pitched_note_arrays(loaded.pm), grid)
    assert np.nonzero(form.section_start)[0].tolist() == [0, 8, 16]
    assert form.reference[16:].tolist() == list(range(8))
    assert (form.similarity[16:] > 0.9).all()
    assert (form.reference[:4] == -1).all()
    song = encode_song(loaded, 4)
    f = song.features
    col = FEATURE_NAMES.index
    assert f[song.grid.bar_starts[8], col("section_start")] == 1
    assert f[song.grid.bar_starts[7], col("pre_section")] == 1 and f[song.grid.bar_starts[6], col("pre_section")] == 0
    # every step of bar 16 refers to the same position of bar 0
    a = song.grid.bar_starts[16]
    np.testing.assert_array_equal(song.reference[a:a + 16], np.arange(16))


def test_markers_start_sections():
    mid = factory.song(bars=8, drums=False)
    mid.tracks[0].insert(0, mido.MetaMessage("marker", text="Chorus", time=0))
    # move the marker to bar 5 (absolute tick 5 * 4 * TPB): rebuild the conductor with it
    ev = [(0, m) for m in factory.conductor()[:-1]] + [(5 * 4 * TPB, mido.MetaMessage("marker", text="Chorus"))]
    mid.tracks[0] = factory._track(ev)
    song = encode_song(load(mid), 4)
    starts = np.nonzero(song.features[song.grid.bar_starts, FEATURE_NAMES.index("section_start")])[0]
    assert 5 in starts.tolist()


def test_follow_measures_on_hand_made_drums():
    from neuraldrummer.evaluation.metrics import follow_measures

    loaded = load(sectioned_song())
    grid = build_grid(loaded.pm, 4)
    form = analyse_form(pitched_note_arrays(loaded.pm), grid)
    times, pitches = [], []
    for b in range(24):
        a = grid.bar_starts[b]
        for s in range(0, 16, 2):
            times.append(grid.starts[a + s]); pitches.append(42)
        times.append(grid.starts[a + 3]); pitches.append(36)  # an odd 16th
        if b in (8, 16):
            times.append(grid.starts[a]); pitches.append(49)
        if b in (7, 15):  # fills before the sections
            for s in range(8, 16):
                times.append(grid.starts[a + s]); pitches.append(45)
    vel = np.where(np.array(pitches) == 42, 80, 100)
    vel[::7] = 60
    m = follow_measures(grid, form, np.array(times), np.array(pitches), vel)
    # velocities: the hats at 80 with some at 60, the kick at 100 with some at 60, toms and crashes at 100 (too few)
    by_sound = {p: np.unique(vel[np.array(pitches) == p]).size for p in (42, 36, 45)}
    assert m["velocity_levels"] == float(np.median(list(by_sound.values())))
    assert 0 < m["velocity_sd"] < 20
    assert follow_measures(grid, form, np.array(times), np.array(pitches))["velocity_levels"] is None
    assert m["crash_on_section_start"] == 1.0
    assert m["distinct_pitches"] == 4
    assert m["off_grid_share"] == 0.0
    assert m["odd_sixteenth_share"] == pytest.approx((24 + 2 * 4) / len(times))  # one kick a bar, fills
    assert m["fill_ratio"] > 3
    assert m["hits_per_bar"] == pytest.approx(len(times) / 24)
    # the repeated bars 16-23 equal bars 0-7 except the crash on bar 16
    assert 0.85 < m["repeat_similarity"] < 1.0
    late = follow_measures(grid, form, np.array(times) + 0.3 * grid.durations[0], np.array(pitches))
    assert late["off_grid_share"] == 1.0
    # a hat line in every bar, no stray hits (the toms are a fill, the crashes mark bars on their own)
    assert form.active.all() and m["timekeeping_share"] == 1.0 and m["stray_hit_share"] == 0.0
    # two bars without the hats, a lone cowbell in bar 3, a lone rim shot in bar 5 and again in bar 6
    t, p = np.array(times), np.array(pitches)
    keep = ~((p == 42) & np.isin(grid.bar[grid.nearest_step(t)[0]], (10, 11)))
    extra_t = [grid.starts[grid.bar_starts[b] + 4] for b in (3, 5, 6)]
    t, p = np.append(t[keep], extra_t), np.append(p[keep], [56, 37, 37])
    m = follow_measures(grid, form, t, p)
    assert m["timekeeping_share"] == pytest.approx(22 / 24)
    assert m["stray_hit_share"] == pytest.approx(1 / t.size)  # the cowbell; the rim shots are a part


def test_stray_hits_are_the_evaluations_strays_and_are_taken_out_where_they_may_be():
    from neuraldrummer.analysis.drum_map import CANONICAL_PITCHES, CRASH
    from neuraldrummer.analysis.drums import DrumArrays
    from neuraldrummer.evaluation.metrics import follow_measures
    from neuraldrummer.generation.strays import drop_strays, stray_hits

    loaded = load(sectioned_song())
    grid = build_grid(loaded.pm, 4)
    form = analyse_form(pitched_note_arrays(loaded.pm), grid)
    rng = np.random.default_rng(5)
    T = grid.num_steps
    hits = np.zeros((T, 18), bool)
    hits[::2, 2] = True  # hat eighths throughout
    hits[rng.random((T, 18)) < 0.004] = True  # scattered single hits of every sound
    stray = stray_hits(hits, np.append(grid.bar_starts, T))
    steps, classes = np.nonzero(hits)
    m = follow_measures(grid, form, grid.starts[steps], np.array(CANONICAL_PITCHES)[classes])
    assert stray.sum() > 5 and m["stray_hit_share"] == pytest.approx(stray.sum() / hits.sum())
    assert not stray[:, CRASH].any() and not stray[:, 2].any()
    drums = DrumArrays(hits, np.where(hits, 0.7, 0).astype(np.float32), np.zeros(hits.shape, np.float32))
    out = drop_strays(drums, np.append(grid.bar_starts, T))
    assert not stray_hits(out.hits, np.append(grid.bar_starts, T))[:, 1:].any()
    stray[:, 0] = False  # the kick's stay
    np.testing.assert_array_equal(out.hits, hits & ~stray)
    assert (out.velocity[stray] == 0).all()
    # kept steps (a prompt, the bars outside a re-roll) and spared bars keep theirs
    half = int(grid.bar_starts[8])
    np.testing.assert_array_equal(drop_strays(drums, np.append(grid.bar_starts, T), keep=half).hits[:half], hits[:half])
    spare = np.zeros(T, bool)
    spare[grid.bar_starts[grid.bar[np.nonzero(stray)[0][0]]]] = True
    assert drop_strays(drums, np.append(grid.bar_starts, T), spare).hits.sum() == out.hits.sum() + \
        stray[grid.bar == grid.bar[np.nonzero(stray)[0][0]]].sum()
    # a bar whose only hit is a stray keeps it: no bar left silent
    lone = np.zeros((T, 18), bool)
    lone[grid.bar_starts[3], 16] = True
    lone_drums = DrumArrays(lone, np.where(lone, 0.7, 0).astype(np.float32), np.zeros(lone.shape, np.float32))
    assert drop_strays(lone_drums, np.append(grid.bar_starts, T)).hits.sum() == 1
    # a lone kick with the hats stays; a lone cowbell with them goes
    lone[::2, 2] = True
    lone[grid.bar_starts[9], 0] = lone[grid.bar_starts[12] + 4, 16] = True
    kept = drop_strays(DrumArrays(lone, np.where(lone, 0.7, 0).astype(np.float32), np.zeros(lone.shape, np.float32)),
                       np.append(grid.bar_starts, T)).hits
    assert kept[grid.bar_starts[9], 0] and not kept[grid.bar_starts[12] + 4, 16] and not kept[grid.bar_starts[3], 16]


def test_the_classifier_tells_fixed_levels_from_drawn_velocities_but_not_a_part_from_itself():
    from neuraldrummer.evaluation.discriminator import FEATURES, discriminator_accuracy, segment_features

    grid = build_grid(load(sectioned_song()).pm, 4)
    def part(levels: bool, seed: int):
        r = np.random.default_rng(seed)
        times, pitches, vel = [], [], []
        for b in range(24):
            a = grid.bar_starts[b]
            for s in range(0, 16, 2):
                times.append(grid.starts[a + s]); pitches.append(42)
                vel.append(100 if levels and s % 4 == 0 else 80 if levels else int(r.integers(40, 120)))
            for s in (0, 8):
                times.append(grid.starts[a + s]); pitches.append(36); vel.append(100 if levels else int(r.integers(60, 127)))
        return segment_features(grid, np.array(times), np.array(pitches), np.array(vel))

    rows = part(True, 0)
    assert rows.shape == (6, len(FEATURES))  # 24 bars, six segments of four
    assert rows[0, FEATURES.index("velocity_levels_per_sound")] == 1.5  # hats two levels, kick one
    assert rows[0, FEATURES.index("bar_repeat")] == 1.0
    human = [part(True, k) for k in range(8)]
    apart = discriminator_accuracy(human, [part(False, 100 + k) for k in range(8)])
    assert apart["accuracy"] > 0.9 and apart["segments"] == 96
    assert "velocity" in " ".join(apart["strongest_features"])
    same = discriminator_accuracy(human, [part(True, 200 + k) for k in range(8)])
    assert same["accuracy"] <= 0.6  # the same part twice: nothing to tell them apart


def test_boosted_trees_tell_a_part_between_two_human_kinds_that_the_linear_model_misses():
    from neuraldrummer.evaluation.discriminator import boosted_accuracy, discriminator_accuracy, segment_features

    grid = build_grid(load(sectioned_song()).pm, 4)
    def part(level: int, residue: float = 0.0):
        times, pitches = [], []
        for b in range(24):
            a = grid.bar_starts[b]
            for s in range(0, 16, 2):
                times.append(grid.starts[a + s]); pitches.append(42)
            for s in (0, 8):
                times.append(grid.starts[a + s]); pitches.append(36)
            for s in (4, 12):
                times.append(grid.starts[a + s]); pitches.append(38)
        return segment_features(grid, np.array(times) + residue, np.array(pitches), np.full(len(times), level))

    # the drummers play soft or loud, a song each; ours always in between, where no line parts them
    # (16 songs a side: a tree's leaf holds at least 20 segments)
    human = [part(60 if k % 4 < 2 else 120) for k in range(16)]
    ours = [part(90) for _ in range(16)]
    linear, boosted = discriminator_accuracy(human, ours), boosted_accuracy(human, ours)
    assert boosted["segments"] == linear["segments"] == 192
    assert boosted["accuracy"] > 0.9 and linear["accuracy"] < 0.8
    assert boosted["strongest_features"][0] in ("velocity_mean", "velocity_range")
    assert boosted_accuracy(human, [part(60 if k % 4 < 2 else 120) for k in range(16)])["accuracy"] <= 0.6
    # a part read from MIDI ticks sits a hair (1e-12 s) off the grid where a drawn one sits on it: the same part
    assert np.array_equal(part(90), part(90, residue=1e-12))


def test_the_nine_class_eighths_model_runs_on_the_full_kit(tmp_path):
    from neuraldrummer.analysis.drum_map import CANONICAL_PITCHES
    from neuraldrummer.generation.drumming import drum_song
    from neuraldrummer.generation.settings import GenerationSettings
    from neuraldrummer.generation.runtime import DrummerRuntime
    from neuraldrummer.app.cli_drum import resolve_model

    runtime = DrummerRuntime.load(resolve_model("eighths"))
    assert runtime.config.num_classes == 9 and runtime.config.steps_per_beat == 2 and runtime.nine
    src = factory.save(factory.song(bars=8, drums=False), tmp_path / "s.mid")
    result = drum_song(src, tmp_path / "o.mid", runtime, GenerationSettings(seed=1))
    assert result.drums.hits.shape[1] == 18 and result.drums.hits.any()
    assert not result.drums.hits[:, 9:].any()  # the nine-class model never plays the extra sounds
    pitches = {n.pitch for i in read_midi_bytes((tmp_path / "o.mid").read_bytes()).pm.instruments if i.is_drum
               for n in i.notes}
    assert pitches <= set(CANONICAL_PITCHES[:9])


def test_the_takes_follow_the_song_density_and_groove_only_when_asked(tiny_model, monkeypatch):
    import neuraldrummer.generation.decoding as decoding
    from neuraldrummer.generation.runtime import DrummerRuntime
    from neuraldrummer.generation.settings import GenerationSettings

    calls, grooves, weights, fills, crashes = [], [], [], [], []
    real = decoding.follow_scores

    def spy(*args, **kwargs):
        calls.append(kwargs["density"])
        grooves.append(kwargs["groove"])
        weights.append((kwargs["fill_weight"], kwargs["keep_weight"]))
        fills.append(args[3])
        crashes.append(kwargs["crash"])
        return real(*args, **kwargs)

    monkeypatch.setattr(decoding, "follow_scores", spy)
    runtime = DrummerRuntime.load(tiny_model)
    song = encode_song(load(factory.song(bars=4)), runtime.config.steps_per_beat, runtime.config.feature_names)
    decoding.generate(runtime, song.features, GenerationSettings(follow_density=False), reference=song.reference)
    assert calls and not any(calls)
    calls.clear()
    decoding.generate(runtime, song.features, GenerationSettings(), reference=song.reference)
    assert any(calls) and not any(grooves)  # the groove term is off unless asked for
    grooves.clear()
    decoding.generate(runtime, song.features, GenerationSettings(follow_groove=True), reference=song.reference)
    assert any(grooves)
    weights.clear()
    decoding.generate(runtime, song.features, GenerationSettings(follow_fill_weight=1.5, follow_keep_weight=2.5),
                      reference=song.reference)
    assert weights and set(weights) == {(1.5, 2.5)}
    sections = encode_song(load(sectioned_song()), runtime.config.steps_per_beat, runtime.config.feature_names)
    fills.clear()
    decoding.generate(runtime, sections.features, GenerationSettings(), reference=sections.reference)
    assert any(fills)  # the bars before a section start, filled ...
    fills.clear()
    decoding.generate(runtime, sections.features, GenerationSettings(follow_fill_share=0.0),
                      reference=sections.reference)
    assert fills and not any(fills)  # ... or not, as the share asks
    crashes.clear()
    decoding.generate(runtime, sections.features, GenerationSettings(follow_crash_share=None),
                      reference=sections.reference)
    assert crashes and set(crashes) == {None}  # the crash on a section start left to the model ...
    crashes.clear()
    decoding.generate(runtime, sections.features, GenerationSettings(follow_crash_share=1.0),
                      reference=sections.reference)
    assert True in crashes and False not in crashes  # ... or drawn: at share 1, on every start
    # the crash cymbal raised on a drawn start's first step only where the bars come from the music
    from neuraldrummer.generation.settings import CRASH_GUIDANCE

    assert GenerationSettings().for_song({"grid": "beats"}).crash_guidance == CRASH_GUIDANCE > 0
    assert GenerationSettings().for_song({"grid": "regridded"}).crash_guidance == CRASH_GUIDANCE
    assert GenerationSettings().for_song({"grid": "file"}).crash_guidance == 0.0
    biases = []
    real_sample = decoding.sample_bar

    def spy_sample(*args, **kwargs):
        biases.append(args[-1])
        return real_sample(*args, **kwargs)

    monkeypatch.setattr(decoding, "sample_bar", spy_sample)
    decoding.generate(runtime, sections.features, GenerationSettings(follow_crash_share=1.0),
                      reference=sections.reference)
    assert biases and all(b is None for b in biases)
    biases.clear()
    decoding.generate(runtime, sections.features, GenerationSettings(follow_crash_share=1.0, crash_guidance=3.0),
                      reference=sections.reference)
    raised = [b for b in biases if b is not None]
    assert raised and all(b.max() == 3.0 and (b > 0).sum() == 1 for b in raised)
    assert len(raised) < len(biases)  # only the bars that start a section


def _basic_bar(L: int = 16) -> np.ndarray:
    """``(L, C)`` bool: a bar of the basic rock beat on a 16th grid, closed hats on the eighths, kick on 1 and 3,
    snare on 2 and 4."""
    from neuraldrummer.analysis.drum_map import CLASS_NAMES, KICK, SNARE

    bar = np.zeros((L, len(CLASS_NAMES)), bool)
    bar[::2, CLASS_NAMES.index("closed_hat")] = True
    bar[[0, 8], KICK] = bar[[4, 12], SNARE] = True
    return bar


def test_the_groove_term_prefers_a_time_keeping_line_and_keeps_toms_for_fills():
    from neuraldrummer.analysis.drum_map import CLASS_NAMES, KICK, SNARE, TOMS
    from neuraldrummer.generation.takes import follow_scores

    L, C = 16, len(CLASS_NAMES)
    groove = np.zeros((L, C), bool)
    groove[::2, CLASS_NAMES.index("closed_hat")] = True
    groove[[0, 8], KICK] = groove[[4, 12], SNARE] = True
    toms = np.zeros((L, C), bool)
    toms[::2, TOMS[2]] = True  # the toms where the hats were
    toms[[0, 8], KICK] = toms[[4, 12], SNARE] = True
    hits = np.stack([groove, toms])  # the same number of hits, 12
    assert hits[0].sum() == hits[1].sum()
    expected = np.full(2, 12.0)
    plain = follow_scores(hits, expected, 1.0, False, None, groove=False)
    assert plain[0] == plain[1]
    kept = follow_scores(hits, expected, 1.0, False, None)
    assert kept[0] > kept[1]
    # in the bar before a section, the fill term rules and toms are welcome
    fill = follow_scores(hits, expected, 1.0, True, groove)
    assert fill[1] > fill[0]


def test_the_fill_and_steadiness_weights_set_how_far_the_takes_change_or_keep_the_bar_before():
    from neuraldrummer.analysis.drum_map import TOMS
    from neuraldrummer.generation.takes import FOLLOW_FILL_WEIGHT, FOLLOW_KEEP_WEIGHT, follow_scores

    groove = _basic_bar()
    fill = groove.copy()
    fill[12:, TOMS[0]] = True  # the groove with a tom run at its end
    hits = np.stack([groove, fill])
    expected = np.full(2, float(groove.sum()))

    def gap(fill_bar: bool, **weights) -> float:
        s = follow_scores(hits, expected, 1.0, fill_bar, groove, density=False, groove=False, **weights)
        return float(s[1] - s[0])

    # before a section the fill scores higher, in proportion to the fill weight; elsewhere the bar kept scores
    # higher, in proportion to the steadiness weight; the defaults are the module's weights
    assert gap(True) > 0 and np.isclose(gap(True, fill_weight=2 * FOLLOW_FILL_WEIGHT), 2 * gap(True))
    assert gap(False) < 0 and np.isclose(gap(False, keep_weight=3 * FOLLOW_KEEP_WEIGHT), 3 * gap(False))
    assert gap(True, fill_weight=0.0) == 0 and gap(False, keep_weight=0.0) == 0


def test_fills_go_before_a_drawn_share_of_the_section_starts_more_often_before_the_bigger_changes():
    from neuraldrummer.generation.takes import fills_drawn

    bars, L = 400, 16
    bar_starts = np.arange(bars + 1) * L
    pre = np.zeros(bars * L, bool)
    novelty = np.zeros(bars * L)
    before = np.arange(3, bars, 4)  # a section starts every fourth bar, its novelty rising through the song
    for k, b in enumerate(before):
        pre[b * L:(b + 1) * L] = True
        novelty[(b + 1) * L:(b + 2) * L] = k / len(before)
    assert not fills_drawn(pre, novelty, bar_starts, 0.0, seed=0).any()
    assert fills_drawn(pre, novelty, bar_starts, 1.0, seed=0)[before * L].mean() > 0.85
    half = fills_drawn(pre, novelty, bar_starts, 0.45, seed=0)
    assert not (half & ~pre).any()  # fills only where a section follows, whole bars
    filled = half[before * L]
    assert (half.reshape(bars, L).all(axis=1) | ~half.reshape(bars, L).any(axis=1)).all()
    assert 0.3 < filled.mean() < 0.6
    weak, strong = filled[: len(before) // 2].mean(), filled[len(before) // 2:].mean()
    assert strong > weak
    assert (fills_drawn(pre, novelty, bar_starts, 0.45, seed=0) == half).all()


def test_crashes_open_a_drawn_share_of_the_section_starts_more_often_on_the_bigger_changes():
    from neuraldrummer.generation.takes import crashes_drawn

    bars, L = 2000, 16
    bar_starts = np.arange(bars + 1) * L
    start = np.zeros(bars * L, bool)
    novelty = np.zeros(bars * L)
    starts = np.arange(0, bars, 4)  # a section every fourth bar from the first, its novelty rising
    for k, b in enumerate(starts):
        start[b * L:(b + 1) * L] = True
        novelty[b * L:(b + 1) * L] = k / len(starts)
    drawn = crashes_drawn(start, novelty, bar_starts, 0.25, seed=0)
    assert sorted(drawn) == [int(b) * L for b in starts[1:]]  # every start but the song's first bar
    crash = np.array([drawn[int(b) * L] for b in starts[1:]])
    assert 0.2 < crash.mean() < 0.3
    half = np.array(list(crashes_drawn(start, novelty, bar_starts, 0.5, seed=0).values()))
    assert half[len(half) // 2:].mean() > half[: len(half) // 2].mean() + 0.04  # p 0.4-0.5 below, 0.5-0.6 above
    assert crashes_drawn(start, novelty, bar_starts, 0.25, seed=0) == drawn
    assert not any(crashes_drawn(start, novelty, bar_starts, 0.0, seed=0).values())
    assert all(crashes_drawn(start, novelty, bar_starts, 1.0, seed=3)[b * L] for b in starts[-len(starts) // 2:])
    assert crashes_drawn(np.zeros(bars * L, bool), novelty, bar_starts, 0.5, seed=0) == {}


def test_the_crash_term_keeps_the_take_whose_downbeat_crash_is_the_one_drawn():
    from neuraldrummer.analysis.drum_map import CLASS_NAMES
    from neuraldrummer.generation.takes import follow_scores

    plain = _basic_bar()
    crashed = plain.copy()
    crashed[0, CLASS_NAMES.index("closed_hat")] = False
    crashed[0, CLASS_NAMES.index("splash")] = True  # a splash counts as a crash, as the evaluation counts it
    late = plain.copy()
    late[8, CLASS_NAMES.index("crash")] = True  # a crash in mid-bar does not open it
    hits = np.stack([plain, crashed, late])
    expected = np.full(3, float(plain.sum()))
    either = follow_scores(hits, expected, 1.0, False, None)
    want = follow_scores(hits, expected, 1.0, False, None, crash=True)
    none = follow_scores(hits, expected, 1.0, False, None, crash=False)
    assert int(np.argmax(want)) == 1 and int(np.argmax(none)) != 1
    assert want[0] < either[0] and want[2] < either[2] and want[1] == either[1]
    assert none[1] < either[1] and none[0] == either[0] and none[2] == either[2]


def test_a_first_step_bias_draws_the_crash_on_the_downbeat_and_leaves_the_likelihood_the_models(tiny_model):
    from neuraldrummer.analysis.drum_map import CLASS_NAMES
    from neuraldrummer.generation.runtime import DrummerRuntime
    from neuraldrummer.generation.sampling import GuidedStepper, sample_bar
    from neuraldrummer.generation.settings import GenerationSettings

    runtime = DrummerRuntime.load(tiny_model)
    song = encode_song(load(factory.song(bars=2)), runtime.config.steps_per_beat, runtime.config.feature_names)
    stepper = GuidedStepper(runtime, song.features, 0, 0.0)
    C, crash = runtime.num_classes, CLASS_NAMES.index("crash")
    L = int(song.grid.bar_starts[1])  # the first bar
    bias = np.zeros(C, np.float32)
    bias[crash] = 30.0
    drawn = {}
    for name, b in (("plain", None), ("biased", bias)):
        drawn[name] = sample_bar(stepper, stepper.initial_state(1), np.zeros((1, 3 * C), np.float32), 16, 0, L, 0,
                                 None, GenerationSettings(), np.random.default_rng(0), None, b)
    hits, loglik = drawn["biased"][0], drawn["biased"][3]
    assert hits[:, 0, crash].all()  # every take opens with the crash ...
    assert drawn["plain"][0][:, 0, crash].mean() < 0.9
    assert not np.array_equal(hits[:, 1:, crash], np.ones_like(hits[:, 1:, crash]))  # ... only the first step biased
    assert np.isfinite(loglik).all() and (loglik < 0).all()  # scored under the model, not the bias


def test_the_density_exponent_sets_how_far_the_takes_chase_the_song_density():
    from neuraldrummer.generation.takes import follow_scores

    L, C = 16, 18
    counts = (6, 12, 24)  # three takes: sparse, the model's expectation, busy
    hits = np.zeros((len(counts), L, C), bool)
    for k, n in enumerate(counts):
        hits[k].reshape(-1)[:: (L * C) // n][:n] = True
    assert hits.sum(axis=(1, 2)).tolist() == list(counts)
    expected = np.full(3, 12.0)

    def best(relative: float, exponent: float | None) -> int:
        return int(np.argmax(follow_scores(hits, expected, relative, False, None, groove=False,
                                           density_exponent=exponent)))

    # the song twice as busy as its average bar: 0.7 takes the busy take, the default (0) keeps the model's
    assert best(2.0, 0.7) == 2 and best(2.0, None) == 1
    assert best(0.5, 1.0) == 0 and best(0.5, 0.0) == 1


def test_the_sixteenths_term_prefers_the_share_of_odd_sixteenths_the_song_asks_for():
    from neuraldrummer.analysis.drum_map import CLASS_NAMES, KICK, SNARE
    from neuraldrummer.generation.takes import (ODD_SIXTEENTHS_INTERCEPT, ODD_SIXTEENTHS_SLOPE, ODD_TOLERANCE,
                                                 follow_scores, odd_steps, sixteenths_target, song_odd_sixteenths)

    L, C = 16, len(CLASS_NAMES)
    eighths = np.zeros((L, C), bool)
    eighths[::2, CLASS_NAMES.index("closed_hat")] = True
    eighths[[0, 8], KICK] = eighths[[4, 12], SNARE] = True
    sixteenths = eighths.copy()
    sixteenths[1::2, CLASS_NAMES.index("closed_hat")] = True  # 8 of 20 onsets on the odd 16ths
    hits = np.stack([eighths, sixteenths])
    expected = np.full(2, 16.0)
    plain = follow_scores(hits, expected, 1.0, False, None, density=False, groove=False)
    assert plain[0] == plain[1] == 0.0
    busy = follow_scores(hits, expected, 1.0, False, None, density=False, groove=False, odd_target=0.4)
    still = follow_scores(hits, expected, 1.0, False, None, density=False, groove=False, odd_target=0.0)
    assert busy[1] > busy[0] and still[0] > still[1]
    assert busy[1] == 0.0  # exactly on the target: 8 / 20
    near = follow_scores(hits, expected, 1.0, False, None, density=False, groove=False,
                         odd_target=0.4 - ODD_TOLERANCE / 2)
    assert near[1] == 0.0  # within the tolerance of the target

    # the song's target: its pitched steps on the odd 16ths of each bar, times the fitted slope
    names = FEATURE_NAMES
    T = 32  # two bars of 16 steps
    f = np.zeros((T, len(names)), np.float32)
    f[[0, 16], names.index("downbeat")] = 1.0
    f[::4, names.index("on_beat")] = 1.0
    f[[0, 2, 3, 5, 16, 17], names.index("intensity")] = 0.5  # 3 of 6 on odd steps of their bar
    assert odd_steps(f, names).tolist() == [t % 2 == 1 for t in range(T)]
    assert song_odd_sixteenths(f, names, 4) == pytest.approx(0.5)
    assert sixteenths_target(f, names, 4) == pytest.approx(ODD_SIXTEENTHS_INTERCEPT + 0.5 * ODD_SIXTEENTHS_SLOPE)
    assert sixteenths_target(f, names, 2) is None  # eighth-note grid: no 16ths to count
    f[:, names.index("intensity")] = 0.0
    assert sixteenths_target(f, names, 4) is None  # nothing plays


def test_the_sixteenths_are_followed_on_the_files_grid_only(tiny_model, monkeypatch):
    import neuraldrummer.generation.decoding as decoding
    from neuraldrummer.generation.runtime import DrummerRuntime
    from neuraldrummer.generation.settings import GenerationSettings

    assert GenerationSettings().for_song({"grid": "file"}).follow_sixteenths is True
    assert GenerationSettings().for_song({"grid": "beats"}).follow_sixteenths is False
    assert GenerationSettings().for_song({"grid": "regridded"}).follow_sixteenths is False
    assert GenerationSettings(follow_sixteenths=True).for_song({"grid": "beats"}).follow_sixteenths is True

    targets = []
    real = decoding.follow_scores

    def spy(*args, **kwargs):
        targets.append(kwargs["odd_target"])
        return real(*args, **kwargs)

    monkeypatch.setattr(decoding, "follow_scores", spy)
    monkeypatch.setattr(decoding, "sixteenths_target", lambda *args: 0.25)  # the tiny model's grid is 8ths
    runtime = DrummerRuntime.load(tiny_model)
    song = encode_song(load(factory.song(bars=4)), runtime.config.steps_per_beat, runtime.config.feature_names)
    decoding.generate(runtime, song.features, GenerationSettings(follow_sixteenths=False), reference=song.reference)
    assert targets and all(t is None for t in targets)
    targets.clear()
    decoding.generate(runtime, song.features, GenerationSettings(follow_sixteenths=True), reference=song.reference)
    assert 0.25 in targets
    targets.clear()  # a syncopation control sets the off-beat share itself
    decoding.generate(runtime, song.features, GenerationSettings(follow_sixteenths=True, syncopation="high"),
                      reference=song.reference)
    assert targets and all(t is None for t in targets)
