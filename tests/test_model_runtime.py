"""The Keras model, training (resume), and the numpy runtime that replaces it at run time."""

import json

import numpy as np
import pytest

import factory
from neuraldrummer.training.corpus import Corpus
from neuraldrummer.errors import ConfigError, ModelNotFoundError
from neuraldrummer.generation.decoding import generate
from neuraldrummer.generation.patterns import start_pattern
from neuraldrummer.generation.settings import GenerationSettings
from neuraldrummer.generation.runtime import DrummerRuntime, sigmoid


def test_runtime_matches_keras(tiny_model, tiny_corpus):
    from neuraldrummer.training.dataset import drum_targets, previous_steps
    from neuraldrummer.training.model import LOOKAHEAD_STEPS, build_model

    runtime = DrummerRuntime.load(tiny_model)
    corpus = Corpus(tiny_corpus)
    for song in [s for s in corpus.songs if not s["drum_only"]][:3]:
        a = corpus.arrays(song)
        y = drum_targets(a)
        T = y.shape[0]
        model = build_model(runtime.config, T)
        model.load_weights(tiny_model / "model.weights.h5")
        feats = np.concatenate([a["features"], np.zeros((LOOKAHEAD_STEPS, a["features"].shape[1]), np.float32)])
        assert (a["reference"] >= 0).any()  # the songs repeat: the reference input is exercised
        ref = runtime.reference_drums(a["hits"], a["reference"])
        assert ref.any()
        out = model({"prev_drums": previous_steps(y)[None], "features": feats[None],
                     "style": np.array([2], np.int32), "ref_drums": ref[None]}, training=False)
        out = np.asarray(out)[0]
        ours = runtime.teacher_forced(a["features"], y, style=2, reference=a["reference"])
        C = runtime.config.num_classes
        assert np.abs(sigmoid(out[:, :C]) - sigmoid(ours.logits)).max() <= 1e-4
        assert np.abs(out[:, C:2 * C] - ours.velocity).max() <= 1e-4
        assert np.abs(out[:, 2 * C:3 * C] - ours.offset).max() <= 1e-4
        kv, ko = runtime.config.velocity_bins, runtime.config.offset_bins
        assert kv and ko  # the categorical velocity and timing heads
        np.testing.assert_allclose(out[:, 3 * C:3 * C + C * kv].reshape(T, C, kv), ours.velocity_logits, atol=1e-4)
        np.testing.assert_allclose(out[:, 3 * C + C * kv:].reshape(T, C, ko), ours.offset_logits, atol=1e-4)


def test_bin_logits_of_the_hits_alone_equal_the_full_heads(tiny_model):
    runtime = DrummerRuntime.load(tiny_model)
    rng = np.random.default_rng(0)
    static = runtime.static_input(rng.normal(size=(4, runtime.config.num_features)).astype(np.float32))
    prev = rng.random((3, 3 * 18)).astype(np.float32)
    full, _ = runtime.step(static[1], prev, runtime.initial_state(3), bins=True)
    lean, _ = runtime.step(static[1], prev, runtime.initial_state(3))
    assert lean.velocity_logits is None and lean.hidden.shape == (3, runtime.units)
    rows, classes = np.array([0, 2, 2, 1]), np.array([5, 0, 17, 3])
    vlog, olog = runtime.bin_logits(lean.hidden[rows], classes)
    np.testing.assert_allclose(vlog, full.velocity_logits[rows, classes], atol=1e-5)
    np.testing.assert_allclose(olog, full.offset_logits[rows, classes], atol=1e-5)
    # the same from the whole batch's outputs and each hit's row, as sampling asks (two hits of one class in
    # one row, a class played in two rows)
    rows, classes = np.array([2, 0, 2, 1, 0]), np.array([5, 5, 5, 17, 0])
    vlog, olog = runtime.bin_logits(lean.hidden, classes, rows=rows)
    np.testing.assert_allclose(vlog, full.velocity_logits[rows, classes], atol=1e-5)
    np.testing.assert_allclose(olog, full.offset_logits[rows, classes], atol=1e-5)


def test_velocity_and_timing_are_drawn_from_the_heads_distribution():
    from neuraldrummer.generation.runtime import StepOutput
    from neuraldrummer.generation.sampling import draw_feel

    k, C, kv, ko = 4000, 2, 8, 5
    vlog = np.full((k, C, kv), -30.0, np.float32)
    vlog[:, 0, 6] = vlog[:, 0, 2] = 0.0  # class 0: accent or ghost note, half and half
    vlog[:, 1, 5] = 0.0  # class 1: one level
    olog = np.full((k, C, ko), -30.0, np.float32)
    olog[:, :, 2] = 0.0  # on the grid
    step = StepOutput(np.zeros((k, C)), np.full((k, C), 0.5), np.full((k, C), 0.3), vlog, olog)
    hits = np.ones((k, C), bool)
    hits[0, 1] = False
    vel, off = draw_feel(step, hits, np.random.default_rng(0))
    assert set(np.unique(vel[:, 0]).tolist()) == {2.5 / 8, 6.5 / 8}
    assert 0.45 < (vel[:, 0] > 0.5).mean() < 0.55  # not the mean: accents and ghost notes
    assert set(np.unique(vel[1:, 1]).tolist()) == {5.5 / 8} and vel[0, 1] == 0.0 and off[0, 1] == 0.0
    assert not off.any()  # the middle bin is exactly on the grid, not near it
    # without the categorical heads: the regression means, as before
    plain = StepOutput(step.logits, step.velocity, step.offset)
    vel, off = draw_feel(plain, hits, np.random.default_rng(0))
    assert set(np.unique(vel[hits]).tolist()) == {0.5} and np.allclose(off[hits], 0.3)



def test_velocity_temperature_sharpens_the_draw_toward_the_likelier_level():
    from neuraldrummer.generation.runtime import StepOutput
    from neuraldrummer.generation.sampling import draw_feel

    k, C, kv = 4000, 1, 8
    vlog = np.full((k, C, kv), -30.0, np.float32)
    vlog[:, 0, 6], vlog[:, 0, 2] = 0.0, -np.log(3.0)  # accent 3 to 1 against the ghost note
    step = StepOutput(np.zeros((k, C)), np.full((k, C), 0.5), np.zeros((k, C)), vlog, None)
    hits = np.ones((k, C), bool)
    plain, _ = draw_feel(step, hits, np.random.default_rng(0))
    sharp, _ = draw_feel(step, hits, np.random.default_rng(0), velocity_temperature=0.5)
    loud_plain, loud_sharp = (plain > 0.5).mean(), (sharp > 0.5).mean()
    assert 0.72 < loud_plain < 0.78  # 3 : 1 at temperature 1
    assert 0.88 < loud_sharp < 0.92  # 9 : 1 at temperature 0.5: the same two levels, the likelier more often
    assert set(np.unique(sharp).tolist()) == {2.5 / 8, 6.5 / 8}

def test_training_writes_everything_and_resumes(tiny_corpus, tmp_path):
    from neuraldrummer.config import Config
    from neuraldrummer.training.train import train

    config = Config(decoder_units=8, window_steps=16, batch_size=4, epochs=1, steps_per_epoch=2,
                    validation_batches=1, seed=3)
    out = tmp_path / "m"
    first = train(tiny_corpus, out, config, verbose=0)
    assert first["epoch"] == 1 and not first["resumed"]
    for name in ("config.json", "weights.npz", "model.weights.h5", "history.csv",
                 "loss.png", "data.json", "train_state.json"):
        assert (out / name).is_file(), name
    state = json.loads((out / "train_state.json").read_text())
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == sorted(
        {state["last_checkpoint"], state["best_checkpoint"]}) == ["best-0001.weights.h5", "last-0001.weights.h5"]
    again = train(tiny_corpus, out, config.replace(epochs=2), verbose=0)
    assert again["resumed"] and again["epoch"] == 2
    rows = (out / "history.csv").read_text().splitlines()
    assert rows[0].startswith("epoch") and len(rows) == 3
    assert not list(out.glob("*.tmp*")) and not list(out.glob(".*"))
    data = json.loads((out / "data.json").read_text())
    assert data["train_songs"] + data["validation_songs"] == 7


def test_runtime_errors(tmp_path):
    with pytest.raises(ModelNotFoundError):
        DrummerRuntime.load(tmp_path / "nothing")
    (tmp_path / "half").mkdir()
    with pytest.raises(ModelNotFoundError, match="config.json"):
        DrummerRuntime.load(tmp_path / "half")


def features_of(bars=8):
    from neuraldrummer.io.midi import midi_to_bytes, read_midi_bytes
    from neuraldrummer.analysis.song import encode_song

    return encode_song(read_midi_bytes(midi_to_bytes(factory.song(bars=bars))))


def test_sampling_is_seeded(tiny_model):
    runtime = DrummerRuntime.load(tiny_model)
    f = features_of().features
    a = generate(runtime, f, GenerationSettings(temperature=1.5, cutoff=0.01, seed=1))
    b = generate(runtime, f, GenerationSettings(temperature=1.5, cutoff=0.01, seed=1))
    c = generate(runtime, f, GenerationSettings(temperature=1.5, cutoff=0.01, seed=2))
    np.testing.assert_array_equal(a.hits, b.hits)
    assert a.hits.any() and not np.array_equal(a.hits, c.hits)


def test_cutoff_orders_density(tiny_model):
    runtime = DrummerRuntime.load(tiny_model)
    f = features_of().features
    dense = generate(runtime, f, GenerationSettings(cutoff=0.05, temperature=None)).hits.sum()
    sparse = generate(runtime, f, GenerationSettings(cutoff=0.95, temperature=None)).hits.sum()
    assert generate(runtime, f, GenerationSettings(cutoff=0.05, temperature=None)).hits.sum() == dense  # deterministic
    assert dense > sparse


def test_prompt_is_kept(tiny_model):
    runtime = DrummerRuntime.load(tiny_model)
    song = features_of()
    prompt = song.drums[:16]
    out = generate(runtime, song.features, GenerationSettings(), prompt=prompt)
    np.testing.assert_array_equal(out.hits[:16], prompt.hits)
    np.testing.assert_array_equal(out.velocity[:16], prompt.velocity)
    assert out.num_steps == song.grid.num_steps


@pytest.mark.parametrize("name,steps", [("basic", 16), ("count-in", 8), ("blank", 0), ("random", 16)])
def test_start_patterns(name, steps):
    pattern = start_pattern(name, 2, seed=1)
    assert pattern.num_steps == steps
    if name == "basic":
        assert pattern.hits[:, 0].nonzero()[0].tolist() == [0, 4, 8, 12]
        assert pattern.hits[:, 1].nonzero()[0].tolist() == [2, 6, 10, 14]


def test_start_pattern_from_loop_and_errors(tmp_path):
    loop = factory.save(factory.song(bars=2, pitched=False), tmp_path / "loop.mid")
    pattern = start_pattern(loop, 2)
    assert pattern.num_steps == 16 and pattern.hits.sum() == 24
    with pytest.raises(ConfigError):
        start_pattern("polka", 2)


def test_song_dropout_blanks_song_features_in_some_training_windows(tiny_corpus):
    from neuraldrummer.config import Config
    from neuraldrummer.training.dataset import WindowDataset
    from neuraldrummer.analysis.feature_policy import SONG_FEATURES

    corpus = Corpus(tiny_corpus)
    songs = [s for s in corpus.songs if not s["drum_only"]]
    config = Config(window_steps=16, batch_size=64, song_dropout=0.5, song_weight=1.0)
    cols = [config.feature_names.index(n) for n in SONG_FEATURES]
    feats = WindowDataset(corpus, songs, config, 1, seed=0)[0][0]["features"]
    blank = (feats[:, :, cols] == 0).all(axis=(1, 2))
    assert 10 < blank.sum() < 54  # about half of 64 windows
    fixed = WindowDataset(corpus, songs, config, 1, seed=0, fixed=True)[0][0]["features"]
    assert not (fixed[:, :, cols] == 0).all(axis=(1, 2)).any()  # validation windows keep the song
    with pytest.raises(ConfigError):
        Config(song_dropout=1.5)


def test_history_dropout_removes_sounds_from_the_drum_history_but_not_from_the_targets(tiny_corpus):
    from neuraldrummer.config import Config
    from neuraldrummer.training.dataset import WindowDataset, drop_history

    rng = np.random.default_rng(0)
    C = 18
    prev = np.zeros((32, 3 * C), np.float32)
    prev[::2, 0], prev[::2, C], prev[1::4, 2] = 1.0, 0.8, 1.0
    ref = prev[:, :C].copy()
    before = prev.copy()
    drop_history(prev, ref, 32, C, rng)
    lost = [c for c in (0, 2) if prev[16:, c].sum() == 0]
    assert lost  # at least one sound is gone from the second half on
    changed = np.nonzero((prev != before).any(axis=1))[0]
    assert changed.min() >= 0 and (prev[:changed.min()] == before[:changed.min()]).all()
    assert all(ref[16:, c].sum() == 0 for c in lost)

    corpus = Corpus(tiny_corpus)
    songs = [s for s in corpus.songs if not s["drum_only"]]
    config = Config(window_steps=16, batch_size=32, song_weight=1.0, reference_input=True, history_dropout=1.0)
    x, target, weight = WindowDataset(corpus, songs, config, 1, seed=0)[0]
    Cm = config.num_classes
    # the history is the targets one step later, less what was dropped: never more
    shifted = np.zeros_like(target[:, :, :Cm])
    shifted[:, 1:] = target[:, :-1, :Cm]
    assert (x["prev_drums"][:, 1:, :Cm] <= shifted[:, 1:]).all()
    assert (x["prev_drums"][:, 1:, :Cm] < shifted[:, 1:]).any()
    plain = WindowDataset(corpus, songs, config.replace(history_dropout=0.0), 1, seed=0)[0]
    fixed = WindowDataset(corpus, songs, config, 1, seed=0, fixed=True)[0]
    assert (fixed[0]["prev_drums"][:, 1:] == fixed[1][:, :-1]).all()  # validation windows keep their history
    assert plain[1].shape == target.shape
    with pytest.raises(ConfigError):
        Config(history_dropout=1.5)
