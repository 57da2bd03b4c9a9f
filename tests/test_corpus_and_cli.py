import json
import subprocess
import sys

import numpy as np
import pytest

import factory
from neuraldrummer.app.cli import main
from neuraldrummer.training.corpus import Corpus, build_corpus
from neuraldrummer.training.sources import split_for
from neuraldrummer.analysis.features import FEATURE_NAMES


def make_folder(tmp_path, bad_inputs):
    root = tmp_path / "data"
    (root / "band").mkdir(parents=True)
    for i in range(3):
        factory.save(factory.song(bars=2 + i), root / "band" / f"song{i}.mid")
    factory.save(factory.song(bars=2), root / "band" / "copy.mid")  # same bytes as song0
    factory.save(factory.song(bars=3, drums=False), root / "band" / "nodrums.mid")
    (root / "drums" / "s1").mkdir(parents=True)
    factory.save(factory.song(bars=2, pitched=False), root / "drums" / "s1" / "beat.mid")
    (root / "drums" / "info.csv").write_text(
        "drummer,style,bpm,split,midi_filename\nd1,funk/groove1,120,test,s1/beat.mid\n")
    for name in ("random_bytes", "empty", "text", "truncated"):
        (root / "band" / f"bad_{name}.mid").write_bytes(bad_inputs[name].read_bytes())
    (root / "band" / "folder.mid").mkdir()
    return root


def test_corpus_builder_counts_skips_and_keeps_going(tmp_path, bad_inputs):
    root = make_folder(tmp_path, bad_inputs)
    result = build_corpus([root / "band", root / "drums"], tmp_path / "corpus", workers=2, progress=False)
    s = json.loads((tmp_path / "corpus" / "summary.json").read_text())
    assert s == {**s, "songs": 4, "files": 11}
    assert s["skipped"] == {"duplicate": 1, "no_drums": 1, "unreadable_midi": 5}
    assert s["steps"] == 16 + 24 + 32 + 16
    assert s["drum_only_songs"] == 1
    corpus = Corpus(tmp_path / "corpus")
    assert corpus.hits.shape == (s["steps"], 18) and corpus.hits.dtype == np.uint8
    assert corpus.reference.shape == (s["steps"],) and corpus.features_aug.shape == corpus.features.shape
    assert corpus.features.dtype == np.float16 and isinstance(corpus.hits, np.memmap)
    beat = [x for x in corpus.songs if x["drum_only"]][0]
    assert beat["split"] == "test" and beat["style"] == "funk" and beat["source"] == "drums/s1"
    for song in corpus.songs:
        if not song["drum_only"]:
            assert song["split"] == split_for(song["md5"])
    arrays = corpus.arrays(corpus.songs[0])
    # one bar of the rock beat: 8 hats, 2 kicks, 2 snares
    assert arrays["hits"].sum() == 12 * corpus.songs[0]["bars"]
    # hits, velocity, offset (18 each), features and augmented features (float16), reference (int32)
    assert result.summary["bytes_per_step"] == 18 * 3 + 2 * 2 * len(FEATURE_NAMES) + 4


def test_split_is_deterministic_and_balanced():
    import hashlib

    splits = [split_for(hashlib.md5(str(i).encode()).hexdigest()) for i in range(2000)]
    assert splits == [split_for(hashlib.md5(str(i).encode()).hexdigest()) for i in range(2000)]
    assert 0.75 < splits.count("train") / 2000 < 0.85


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "neuraldrummer", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", ["random_bytes", "empty", "text", "truncated", "folder", "missing"])
@pytest.mark.parametrize("command", ["inspect", "to-text"])
def test_cli_bad_input_is_one_line_no_traceback(bad_inputs, name, command):
    before = bad_inputs[name].read_bytes() if bad_inputs[name].is_file() else None
    proc = run_cli(command, bad_inputs[name])
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad_inputs[name]) in lines[0] and "Traceback" not in proc.stderr
    if before is not None:
        assert bad_inputs[name].read_bytes() == before


def test_cli_inspect_and_text_round_trip(tmp_path, song_path, capsys):
    assert main(["inspect", str(song_path)]) == 0
    out = capsys.readouterr().out
    assert "120 bpm" in out and "4/4" in out and "4 bars" in out and "kick 8" in out
    roll = tmp_path / "roll.txt"
    assert main(["to-text", str(song_path), "-o", str(roll)]) == 0
    assert main(["from-text", str(roll), "-o", str(tmp_path / "back.mid")]) == 0
    assert main(["to-text", str(tmp_path / "back.mid"), "-o", str(tmp_path / "roll2.txt")]) == 0
    assert (tmp_path / "roll2.txt").read_text() == roll.read_text()


def test_cli_text_pairs(tmp_path, bad_inputs, capsys):
    root = make_folder(tmp_path, bad_inputs)
    out = tmp_path / "pairs.jsonl"
    assert main(["text-pairs", str(root), "--bars", "2", "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 2  # song1 (3 bars) and song2 (4 bars); the 2-bar files are too short
    assert all(r["prompt"].count("| bar") == 2 for r in rows)
    assert "unreadable_midi" in capsys.readouterr().out
    # no pairs at all, or no prompt: the one-line error and no file
    assert main(["text-pairs", str(root), "--bars", "50", "-o", str(tmp_path / "none.jsonl")]) == 1
    assert main(["text-pairs", str(root), "--bars", "0", "-o", str(tmp_path / "zero.jsonl")]) == 1
    assert not (tmp_path / "none.jsonl").exists() and not (tmp_path / "zero.jsonl").exists()
    assert "no pairs from" in capsys.readouterr().err


def test_cli_tokenise(tmp_path, bad_inputs, capsys):
    root = make_folder(tmp_path, bad_inputs)
    assert main(["tokenise", str(root), "-o", str(tmp_path / "c"), "--no-progress", "--workers", "1"]) == 0
    assert "4 songs" in capsys.readouterr().out
    # nothing usable: an error, and no half-made corpus folder; a training run on it makes no folder either
    assert main(["tokenise", str(tmp_path / "nowhere"), "-o", str(tmp_path / "empty"), "--no-progress"]) == 1
    assert main(["train", str(tmp_path / "nowhere"), "--out", str(tmp_path / "model")]) == 1
    assert not (tmp_path / "empty").exists() and not (tmp_path / "model").exists()


def test_tokenise_killed_with_sigkill_resumes_without_redoing_files(tmp_path):
    """An interrupted tokenise resumes from its journal: the files it had done are not read again,
    and the corpus is the same as an uninterrupted build's."""
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    import numpy as np

    data = tmp_path / "data"
    data.mkdir()
    for i in range(60):
        factory.save(factory.song(bars=4 + i % 7, tempos=((0, 90.0 + i),)), data / f"s{i:02d}.mid")
    (data / "bad.mid").write_bytes(b"junk")

    def run(out, *extra):
        return subprocess.Popen([sys.executable, "-m", "neuraldrummer", "-v", "tokenise", str(data), "-o", str(out),
                                 "--workers", "1", "--no-progress", *extra], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=dict(os.environ))

    out = tmp_path / "corpus"
    journal = out / ".tokenise.journal"
    proc = run(out)
    end = time.time() + 120
    while time.time() < end and proc.poll() is None:
        if journal.exists() and journal.read_bytes().count(b"\n") >= 15:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = journal.read_bytes().count(b"\n") - 1
    assert 10 <= done < 61 and not (out / "songs.json").exists()
    proc = run(out)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert "files done" in stderr and "resuming" in stderr
    resumed_at = int(stderr.split("resuming")[1].split(":")[1].split("files done")[0])
    assert resumed_at >= done - 1, (resumed_at, done)  # at most a line cut short by the kill is redone
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resumed"] and summary["songs"] == 60 and summary["skipped"] == {"unreadable_midi": 1}
    assert not journal.exists() and not list(out.glob(".*"))

    clean = tmp_path / "clean"
    proc = run(clean)
    assert proc.wait(timeout=300) == 0
    assert json.loads((clean / "songs.json").read_text()) == json.loads((out / "songs.json").read_text())
    for key in ("hits", "velocity", "offset", "features", "features_aug", "reference"):
        np.testing.assert_array_equal(np.load(clean / f"{key}.npy"), np.load(out / f"{key}.npy"))
