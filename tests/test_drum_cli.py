"""`neuraldrummer drum`: the main job, as a user runs it."""

import os
import subprocess
import sys
from pathlib import Path

import mido
import pretty_midi
import pytest

import factory
from neuraldrummer.io.demo import compose, demo_song_path
from neuraldrummer.io.midi import midi_to_bytes

REPO = Path(__file__).resolve().parent.parent


def run(args, cwd, model=None):
    env = dict(os.environ)
    if model is not None:
        env["NEURALDRUMMER_MODEL"] = str(model)
    return subprocess.run([sys.executable, "-m", "neuraldrummer", "drum", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env=env)


def pitched(pm):
    return sorted((i.program, n.pitch, round(n.start, 4), round(n.end, 4)) for i in pm.instruments
                  if not i.is_drum for n in i.notes)


def test_drum_a_song(tiny_model, tmp_path):
    src = factory.save(factory.song(bars=8, tempos=((0, 120.0), (4 * 4 * factory.TPB, 90.0))), tmp_path / "in.mid")
    before = src.read_bytes()
    work = tmp_path / "cwd"
    work.mkdir()
    proc = run([src, "--cutoff", "0.2"], work, tiny_model)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "in_drums.mid"
    assert out.is_file() and src.read_bytes() == before
    assert list(work.iterdir()) == []  # nothing written in the working directory
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "in.mid", "in_drums.mid"]
    assert "wrote" in proc.stdout and "8 bars" in proc.stdout and len(proc.stdout.splitlines()) == 1
    mido.MidiFile(str(out))
    pm_in, pm_out = pretty_midi.PrettyMIDI(str(src)), pretty_midi.PrettyMIDI(str(out))
    drums = [i for i in pm_out.instruments if i.is_drum]
    assert len(drums) == 1 and drums[0].name == "NeuralDrummer"
    assert pitched(pm_in) == pitched(pm_out)


def test_drum_demo_song_with_shipped_model(tmp_path):
    proc = run([], tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "demo_song_drums.mid"
    assert [p.name for p in tmp_path.iterdir()] == ["demo_song_drums.mid"]
    pm = pretty_midi.PrettyMIDI(str(out))
    drums = [i for i in pm.instruments if i.is_drum]
    assert len(drums) == 1 and len(drums[0].notes) > 100
    downbeats = pm.get_downbeats()
    bars_with = {int((n.start + 0.05 > downbeats).sum()) for n in drums[0].notes}
    assert len(bars_with) >= 0.85 * len(downbeats)
    assert pitched(pm) == pitched(pretty_midi.PrettyMIDI(str(demo_song_path())))


def test_bundled_demo_song_is_reproducible():
    assert demo_song_path().read_bytes() == midi_to_bytes(compose())


@pytest.mark.parametrize("name", ["random_bytes", "empty", "text", "truncated", "folder", "missing",
                                  "no_notes", "drums_only"])
def test_drum_bad_input(bad_inputs, tiny_model, tmp_path, name):
    if name == "no_notes":
        path = factory.save(mido.MidiFile(tracks=[factory.conductor()]), tmp_path / "no_notes.mid")
    elif name == "drums_only":
        path = factory.save(factory.song(bars=2, pitched=False), tmp_path / "drums_only.mid")
    else:
        path = bad_inputs[name]
    before = path.read_bytes() if path.is_file() else None
    listing = sorted(p.name for p in path.parent.iterdir())
    proc = run([path], tmp_path, tiny_model)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 3 and str(path) in lines[0] and "Traceback" not in proc.stderr
    assert sorted(p.name for p in path.parent.iterdir()) == listing  # no output file
    if before is not None:
        assert path.read_bytes() == before


def test_drum_missing_model(tmp_path, song_path):
    proc = run([song_path, "--model", tmp_path / "nomodel"], tmp_path)
    assert proc.returncode == 1 and "nomodel" in proc.stderr and "Traceback" not in proc.stderr


def test_drum_does_not_import_tensorflow(tiny_model, song_path, tmp_path):
    code = ("import sys; from neuraldrummer.app.cli import main; "
            f"rc = main(['drum', {str(song_path)!r}, '-o', {str(tmp_path / 'o.mid')!r}, '--model', {str(tiny_model)!r}]); "
            "assert rc == 0; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'; "
            "assert 'matplotlib' not in sys.modules")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("target", [".", "..", "sub"])
def test_drum_a_folder_gets_the_one_line_error(tiny_model, tmp_path, target):
    (tmp_path / "sub").mkdir()
    proc = run([target], tmp_path / "sub" if target != "sub" else tmp_path, tiny_model)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "is a folder: give -o OUTDIR" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert list((tmp_path / "sub").iterdir()) == []


def test_a_closed_pipe_ends_quietly(tmp_path):
    src = factory.save(factory.song(bars=300), tmp_path / "long.mid")  # ~180 kB of text: more than a pipe holds
    proc = subprocess.run(f'"{sys.executable}" -m neuraldrummer to-text "{src}" --steps-per-beat 8 | head -3', shell=True,
                          capture_output=True, text=True, timeout=120)
    assert len(proc.stdout.splitlines()) == 3
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_drum_with_the_shipped_eighths_model(tmp_path, song_path):
    proc = run([song_path, "--model", "eighths", "-o", tmp_path / "e.mid"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "e.mid").is_file()


def test_a_file_whose_tempo_map_does_not_fit_is_regridded_with_a_warning(tiny_model, tmp_path):
    from test_follow_the_song import played_at

    src = factory.save(played_at(97.0), tmp_path / "wrong_map.mid")
    proc = run([src, "-o", tmp_path / "out.mid"], tmp_path, tiny_model)
    assert proc.returncode == 0, proc.stderr
    assert "tempo map does not fit" in proc.stderr and "97.0 bpm" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_two_drum_processes_writing_one_output_leave_one_whole_file(tiny_model, tmp_path, song_path):
    out = tmp_path / "same.mid"
    env = dict(os.environ, NEURALDRUMMER_MODEL=str(tiny_model))
    procs = [subprocess.Popen([sys.executable, "-m", "neuraldrummer", "drum", str(song_path), "-o", str(out),
                               "--seed", str(k)], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for k in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.mid", "song.mid"]  # no temporary files
    pm = pretty_midi.PrettyMIDI(str(out))
    assert len([i for i in pm.instruments if i.is_drum]) == 1


def test_the_cli_explains_itself(tmp_path):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "neuraldrummer", *args], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)

    alone = cli()
    assert alone.returncode == 0 and "usage: neuraldrummer" in alone.stdout and "`" not in alone.stdout
    commands = [line.split()[0] for line in alone.stdout.split("commands")[1].splitlines()[2:] if line.startswith("    ")
                and not line.startswith("     ")]
    assert commands[0] == "drum" and "models" in commands
    assert cli("--version").stdout.startswith("neuraldrummer ")
    drum_help = cli("drum", "--help").stdout
    assert "examples:" in drum_help and "funk" in drum_help and ".mp3" in drum_help
    assert "none" not in cli("styles").stdout.split()
    models = cli("models").stdout
    assert "default" in models and "16ths" in models and "18" in models
    # bad options are refused before the song is read: the song does not even exist
    for args, words in ((["--style", "nonsense"], "unknown style 'nonsense'"),
                        (["--start", "nosuch"], "unknown start pattern 'nosuch'"),
                        (["--meter", "7/8"], "--meter must read like")):
        proc = cli("drum", str(tmp_path / "missing.mid"), *args)
        assert proc.returncode == 1 and words in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_audio_without_a_name_goes_beside_the_drummed_song(tiny_model, tmp_path):
    src = factory.save(factory.song(bars=4, drums=False), tmp_path / "song.mid")
    proc = run([src, "--audio", "--cutoff", "0.2"], tmp_path, tiny_model)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.mid", "song_drums.mid", "song_drums.wav"]


def test_drafts_on_the_command_line(tiny_model, tmp_path, song_path):
    one = run([song_path, "-o", tmp_path / "one.mid", "--drafts", "1"], tmp_path, tiny_model)
    four = run([song_path, "-o", tmp_path / "four.mid", "--drafts", "4"], tmp_path, tiny_model)
    again = run([song_path, "-o", tmp_path / "again.mid", "--drafts", "4"], tmp_path, tiny_model)
    assert one.returncode == four.returncode == again.returncode == 0, one.stderr + four.stderr
    assert (tmp_path / "four.mid").read_bytes() == (tmp_path / "again.mid").read_bytes()  # same seed, same drums
    bad = run([song_path, "-o", tmp_path / "bad.mid", "--drafts", "0"], tmp_path, tiny_model)
    assert bad.returncode == 1 and "--drafts must be 1-64" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "bad.mid").exists()


@pytest.mark.parametrize("option,value,says", [("--seed", "-1", "seed must be a whole number, 0 or more, got -1"),
                                               ("--swing", "5", "swing is a fraction of a step, -0.45 to 0.45")])
def test_a_setting_out_of_range_gets_the_one_line_error(tiny_model, tmp_path, song_path, option, value, says):
    bad = run([song_path, "-o", tmp_path / "bad.mid", option, value], tmp_path, tiny_model)
    assert bad.returncode == 1 and says in bad.stderr
    assert "Traceback" not in bad.stderr and not (tmp_path / "bad.mid").exists()
