"""Training survives kill -9, and two trainings cannot write one model directory."""

import csv
import json
import os
import signal
import subprocess
import sys
import time


TINY = {"decoder_units": 8, "window_steps": 16, "batch_size": 4, "steps_per_epoch": 3, "validation_batches": 1,
        "seed": 5, "patience": 50, "reference_input": True}


def start(corpus, out, config_path, *extra):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.Popen([sys.executable, "-m", "neuraldrummer", "train", str(corpus), "--out", str(out),
                             "--config", str(config_path), "--no-metrics", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def epoch_of(out) -> int:
    try:
        return json.loads((out / "train_state.json").read_text())["epoch"]
    except (FileNotFoundError, json.JSONDecodeError):
        return 0


def wait_for(predicate, timeout=240):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_training_killed_with_sigkill_resumes_to_the_end(tiny_corpus, tmp_path):
    import random

    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({**TINY, "epochs": 30}))
    out = tmp_path / "m"
    rng = random.Random(11)
    kills = 0
    for _ in range(3):  # three kills at random moments of training (inside an epoch, or writing one)
        proc = start(tiny_corpus, out, cfg)
        before = epoch_of(out)
        assert wait_for(lambda: epoch_of(out) > before or proc.poll() is not None)
        time.sleep(rng.uniform(0.0, 0.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills == 3
    proc = start(tiny_corpus, out, cfg)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    rows = list(csv.DictReader((out / "history.csv").open()))
    assert [int(r["epoch"]) for r in rows] == list(range(1, 31))  # one row per epoch, whatever was killed
    assert epoch_of(out) == 30 and (out / "weights.npz").is_file()
    assert not list(out.glob(".*tmp*")) and not list(out.glob("*.part"))
    # as good as a run that was never interrupted (same config and seed)
    clean = tmp_path / "clean"
    proc = start(tiny_corpus, clean, cfg)
    proc.communicate(timeout=300)
    assert proc.returncode == 0
    killed_loss = json.loads((out / "train_state.json").read_text())["best_val_loss"]
    clean_loss = json.loads((clean / "train_state.json").read_text())["best_val_loss"]
    assert abs(killed_loss - clean_loss) <= 0.01 * clean_loss, (killed_loss, clean_loss)


def free_ports(n):
    import socket

    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def test_two_local_workers_train_one_model(tiny_corpus, tmp_path):
    """--strategy multi-worker under TF_CONFIG: two worker processes train one model (the same weights
    on both after training), and the chief alone writes the model directory."""
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({**TINY, "epochs": 2}))
    out = tmp_path / "m"
    temp = tmp_path / "tmp"
    temp.mkdir()
    cluster = [f"localhost:{p}" for p in free_ports(2)]
    procs = []
    for index in range(2):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TMPDIR=str(temp),
                   TF_CONFIG=json.dumps({"cluster": {"worker": cluster}, "task": {"type": "worker", "index": index}}))
        procs.append(subprocess.Popen([sys.executable, "-m", "neuraldrummer", "train", str(tiny_corpus), "--out",
                                       str(out), "--config", str(cfg), "--no-metrics", "--strategy", "multi-worker"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path))
    results = [p.communicate(timeout=300) for p in procs]
    for p, (stdout, stderr) in zip(procs, results):
        assert p.returncode == 0, stderr[-3000:]
    chief, worker = results[0][0].strip().splitlines()[-1], results[1][0].strip().splitlines()[-1]
    assert chief.startswith(f"wrote {out}") and worker.startswith("worker 1 of 2 done")
    assert chief.split("weights ")[-1] == worker.split("weights ")[-1]  # one model: the same weights on both
    rows = list(csv.DictReader((out / "history.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert (out / "weights.npz").is_file() and (out / "model.weights.h5").is_file()
    assert list(temp.iterdir()) == []  # the other worker's checkpoints went to a temporary folder, now removed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json", "m", "tmp"]


def test_a_second_training_on_the_same_directory_stops_at_once(tiny_corpus, tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({**TINY, "epochs": 500}))
    out = tmp_path / "m"
    first = start(tiny_corpus, out, cfg)
    try:
        assert wait_for(lambda: epoch_of(out) >= 1)
        began = time.time()
        second = start(tiny_corpus, out, cfg)
        _, stderr = second.communicate(timeout=120)
        assert second.returncode == 1
        assert "another 'neuraldrummer train' is writing this model directory" in stderr
        assert "Traceback" not in stderr and time.time() - began < 60
        assert first.poll() is None  # the first one goes on
    finally:
        first.kill()
        first.wait()


def test_drumming_while_train_writes_the_model_never_reads_half_a_model(tiny_corpus, tmp_path):
    """weights.npz (with the config inside) is replaced whole, so a reader sees the old model or the new."""
    import numpy as np

    import factory
    from neuraldrummer.generation.decoding import generate
    from neuraldrummer.generation.settings import GenerationSettings
    from neuraldrummer.generation.runtime import DrummerRuntime
    from neuraldrummer.analysis.song import encode_song

    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({**TINY, "epochs": 1}))
    out = tmp_path / "m"
    proc = start(tiny_corpus, out, cfg)
    assert proc.wait(timeout=300) == 0
    song = encode_song(factory.save(factory.song(bars=2), tmp_path / "s.mid"), 2, DrummerRuntime.load(out).config.feature_names)
    # a second run goes on for many more epochs (and rewrites weights.npz, config.json and the rest at its end)
    cfg.write_text(json.dumps({**TINY, "epochs": 25}))
    proc = start(tiny_corpus, out, cfg)
    loads, seen = 0, set()
    while proc.poll() is None or loads < 3:
        runtime = DrummerRuntime.load(out)  # never raises, never a mix of two models
        drums = generate(runtime, song.features, GenerationSettings(seed=loads))
        assert drums.hits.shape[0] == song.features.shape[0]
        with np.load(out / "weights.npz") as w:
            seen.add(float(np.abs(w["drums/dense/bias"]).sum()))
        loads += 1
    assert proc.returncode == 0
    assert loads >= 3 and len(seen) >= 1
