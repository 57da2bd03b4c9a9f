"""Baselines: the seed design (Keras and its numpy runtime) and the rule-based drummer."""

import numpy as np

import factory
from neuraldrummer.evaluation.baselines import (SEED_CLASSES, SeedRuntime, build_seed_model, export_seed_weights, rule_based,
                                     seed_generate_batch, seed_windows)
from neuraldrummer.analysis.drum_map import CLOSED_HAT, CRASH, KICK, SNARE
from neuraldrummer.io.midi import midi_to_bytes, read_midi_bytes
from neuraldrummer.analysis.song import encode_song


def test_seed_runtime_matches_keras(tmp_path):
    model = build_seed_model(units=16)
    rng = np.random.default_rng(0)
    # move the batch-norm statistics away from their initial values
    for layer in ("bn_0", "bn_1"):
        bn = model.get_layer(layer)
        bn.moving_mean.assign(rng.normal(size=bn.moving_mean.shape).astype("float32"))
        bn.moving_variance.assign(rng.uniform(0.5, 2, size=bn.moving_variance.shape).astype("float32"))
    export_seed_weights(model, tmp_path / "w.npz", dtype=np.float32)
    runtime = SeedRuntime.load(tmp_path / "w.npz")
    hits = rng.random((40, 9)) < 0.3
    windows = seed_windows(hits, rng.random(40).astype(np.float32))
    keras_p = model.predict(windows, verbose=0)
    ours = 1 / (1 + np.exp(-runtime.logits(windows)))
    assert np.abs(keras_p - ours).max() <= 1e-4


def test_seed_windows_shift():
    hits = np.zeros((10, 9), bool)
    hits[3, SEED_CLASSES[0]] = True
    w = seed_windows(hits, np.arange(10, dtype=np.float32))
    assert w.shape == (10, 8, 7)
    assert w[4, -1, 0] == 1 and w[3, :, 0].sum() == 0  # step 4 sees step 3's kick as its last input
    assert w[4, -1, -1] == 4  # and the intensity of the step it predicts


def test_seed_batch_generation_shapes(tmp_path):
    model = build_seed_model(units=8)
    export_seed_weights(model, tmp_path / "w.npz")
    runtime = SeedRuntime.load(tmp_path / "w.npz")
    out = seed_generate_batch(runtime, [np.ones(12, np.float32), np.ones(5, np.float32)])
    assert [d.num_steps for d in out] == [12, 5]
    # a model whose output is always "hit" plays every seed class on every step
    bias = {k: v for k, v in np.load(tmp_path / "w.npz").items()}
    bias["seed_design/out/bias"] = np.full(6, 30.0, np.float16)
    np.savez(tmp_path / "w2.npz", **bias)
    always = seed_generate_batch(SeedRuntime.load(tmp_path / "w2.npz"), [np.zeros(4, np.float32)])[0]
    assert always.hits[:, SEED_CLASSES].all() and always.velocity[always.hits].min() == 1.0
    assert not out[0].hits[:, [c for c in range(9) if c not in SEED_CLASSES]].any()


def test_rule_based_rock_beat_with_crash_on_section_start():
    song = encode_song(read_midi_bytes(midi_to_bytes(factory.song(bars=4))))
    d = rule_based(song.features, 2)
    assert d.hits[:, KICK].nonzero()[0].tolist() == [0, 4, 8, 12, 16, 20, 24, 28]
    assert d.hits[:, SNARE].nonzero()[0].tolist() == [2, 6, 10, 14, 18, 22, 26, 30]
    assert d.hits[0, CRASH] and not d.hits[0, CLOSED_HAT] and d.hits[1:8, CLOSED_HAT].all()
