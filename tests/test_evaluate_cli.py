"""`evaluate`, `style-feel`, `model-card` and `from-text` error handling through the CLI."""

import json
import shutil
import subprocess
import sys

import pytest

import factory
from neuraldrummer.app.cli import main


def test_evaluate_writes_report_with_systems(tiny_model, tmp_path, capsys):
    songs = tmp_path / "songs"
    songs.mkdir()
    for i in range(3):
        factory.save(factory.song(bars=4 + i), songs / f"s{i}.mid")
    factory.save(factory.song(bars=4, drums=False), songs / "nodrums.mid")
    factory.save(factory.song(bars=4, pitched=False), songs / "drumsonly.mid")
    (songs / "bad.mid").write_bytes(b"junk")
    # baselines folder with the no-song ablation only (a copy of the tiny model will do)
    base = tmp_path / "baselines"
    shutil.copytree(tiny_model, base / "no_song_features")
    out = tmp_path / "report"
    assert main(["evaluate", str(songs), "--model", str(tiny_model), "--baselines", "--baselines-dir", str(base),
                 "--out", str(out), "--no-progress"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["songs"] == 3
    assert report["skipped"] == {"no_drums": 1, "drum_only": 1, "unreadable_midi": 1}
    assert set(report["systems"]) == {"neuraldrummer", "no_song_features", "rule_based", "human"}
    ours = report["systems"]["neuraldrummer"]
    assert ours["nll_bits_per_step"] > 0 and 0 <= ours["next_step_f1"] <= 1
    assert report["systems"]["human"]["backbeat"] == 1.0  # the factory's rock beat
    assert report["systems"]["human"]["stats_distance"] is None
    assert report["systems"]["rule_based"]["nll_bits_per_step"] is None
    assert (out / "report.md").read_text().count("|") > 20 and (out / "report.png").stat().st_size > 1000
    # the follow table: the human's rock beat keeps time with its hats in every bar, no stray hits
    human = report["follow"]["human"]
    assert human["timekeeping_share"] == 1.0 and human["stray_hit_share_median"] == 0.0
    assert "timekeeping_share" in (out / "report.md").read_text()
    # without the take choice (what it adds): the same songs, another drum part
    off = tmp_path / "report_off"
    assert main(["evaluate", str(songs), "--model", str(tiny_model), "--follow-form", "off", "--temperature", "1.3",
                 "--set", "velocity_temperature=0.5", "--set", "follow_density_exponent=none", "--seed", "7",
                 "--out", str(off), "--no-progress"]) == 0
    again = json.loads((off / "report.json").read_text())
    assert again["songs"] == 3 and again["follow"]["human"] == report["follow"]["human"]
    assert again["settings"] == {"follow_form": False, "temperature": 1.3, "velocity_temperature": 0.5,
                                 "follow_density_exponent": None, "seed": 7}
    assert report["settings"] == {}
    # a setting that does not exist: one line naming it, no report
    proc = subprocess.run([sys.executable, "-m", "neuraldrummer", "evaluate", str(songs), "--model", str(tiny_model),
                           "--set", "velocity=3", "--out", str(tmp_path / "never")], capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "--set velocity=3" in proc.stderr
    assert not (tmp_path / "never").exists()


def test_style_feel_and_model_card(tiny_model, tiny_corpus, tmp_path):
    model = tmp_path / "m"
    shutil.copytree(tiny_model, model)
    assert main(["style-feel", str(tiny_corpus), "--model", str(model)]) == 0
    assert json.loads((model / "style_feel.json").read_text()) == {}  # the tiny corpus has no GMD styles
    (model / "metrics.json").write_text(json.dumps({
        "validation_songs_with_song": 1, "songs": {"nll_bits_per_step": 1.0, "next_step_f1": 0.5},
        "generated": {"hits_per_bar": 3.0}, "human": {"hits_per_bar": 4.0}, "stats_distance": 0.1,
        "generated_bars_with_drums_min": 0.9}))
    assert main(["model-card", str(model)]) == 0
    card = (model / "README.md").read_text()
    assert "| hits_per_bar | 3.000 | 4.000 |" in card and "CC BY-NC-SA" in card
    proc = subprocess.run([sys.executable, "-m", "neuraldrummer", "model-card", str(tmp_path / "nothing")],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "no config.json here" in proc.stderr


@pytest.mark.parametrize("content", [None, b"\x00\xff\xfe binary", b"xx\n"])
def test_from_text_bad_input(tmp_path, content):
    path = tmp_path / "roll.txt"
    if content is not None:
        path.write_bytes(content)
    proc = subprocess.run([sys.executable, "-m", "neuraldrummer", "from-text", str(path)], capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and str(path) in proc.stderr
    assert not (tmp_path / "roll.mid").exists()
