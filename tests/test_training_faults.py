"""Training survives kill -9, and two trainings cannot write one model directory."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

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
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({**TINY, "epochs": 5}))
    out = tmp_path / "m"
    kills = 0
    for target in (1, 3):  # kill it twice, after it has finished some epochs
        proc = start(tiny_corpus, out, cfg)
        assert wait_for(lambda: epoch_of(out) >= target or proc.poll() is not None)
        time.sleep(0.3)  # somewhere inside the next epoch
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 1
    proc = start(tiny_corpus, out, cfg)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    rows = list(csv.DictReader((out / "history.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4, 5]  # one row per epoch, whatever was killed
    assert epoch_of(out) == 5 and (out / "weights.npz").is_file()
    assert not list(out.glob(".*tmp*")) and not list(out.glob("*.part"))


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
