"""Issue 17: a recording in, drums out that line up with it."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import mido
import numpy as np
import pretty_midi
import pytest

import factory
from neuraldrummer.analysis.drums import DrumArrays
from neuraldrummer.beats.grid import TempoMap, grid_from_beats
from neuraldrummer.analysis.writing import beat_aligned_midi
from neuraldrummer.errors import AudioError
from neuraldrummer.io.audio import write_audio

QPM = 100.0


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def run(args, cwd):
    return subprocess.run([sys.executable, "-m", "neuraldrummer", "drum", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env=dict(os.environ))


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """A drumless song at 100 bpm rendered to a WAV (chords on the beats, bass on the downbeats)."""
    root = tmp_path_factory.mktemp("recording")
    mid = factory.save(factory.song(bars=12, tempos=((0, QPM),), drums=False), root / "song.mid")
    return write_audio(mid, root / "demo.wav")


def test_a_recording_is_drummed_on_its_own_beats_and_mixed(recording, tmp_path):
    import soundfile

    src = tmp_path / "demo.wav"
    src.write_bytes(recording.read_bytes())
    before = md5(src)
    proc = run([src, "--with-transcription"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "notes transcribed" in proc.stdout and "demo_drums.mid" in proc.stdout
    assert md5(src) == before
    pm = pretty_midi.PrettyMIDI(str(tmp_path / "demo_drums.mid"))
    drums = [n for i in pm.instruments if i.is_drum for n in i.notes]
    assert len(drums) > 40
    # the file's beats are the recording's: its tempo is the song's (or its double or half)
    _, tempi = pm.get_tempo_changes()
    main = float(np.median(tempi))
    assert min(abs(main / QPM - r) for r in (0.5, 1.0, 2.0)) < 0.04
    # and the drum notes sound on the song's 16ths, in the recording's seconds
    sixteenth = 60.0 / QPM / 4
    starts = np.array([n.start for n in drums])
    off = np.abs(starts / sixteenth - np.round(starts / sixteenth)) * sixteenth
    assert np.mean(off < 0.03) >= 0.85
    # the transcription rides along, muted
    muted = [t for t in mido.MidiFile(str(tmp_path / "demo_drums.mid")).tracks
             if any(m.type == "control_change" and m.control == 7 and m.value == 0 for m in t)]
    assert muted and sum(m.type == "note_on" for t in muted for m in t) > 20
    # the mix: the recording's length and rate, the drums audible in it
    mix, rate = soundfile.read(str(tmp_path / "demo_drums.wav"), dtype="float32", always_2d=True)
    rec, rec_rate = soundfile.read(str(src), dtype="float32", always_2d=True)
    assert rate == rec_rate and mix.shape[0] == rec.shape[0]
    assert float(np.sqrt(np.mean((mix - rec * (np.abs(mix).max() / np.abs(rec).max())) ** 2))) > 0.01


def test_bad_recordings_get_one_line_and_leave_nothing(recording, tmp_path):
    import soundfile

    silent = tmp_path / "silent.wav"
    soundfile.write(str(silent), np.zeros((44100, 2), np.float32), 44100)
    garbage = tmp_path / "garbage.mp3"
    garbage.write_bytes(b"this is not audio at all" * 10)
    long = tmp_path / "long.wav"
    long.write_bytes(recording.read_bytes())
    cases = {silent: ([], "silent"), garbage: ([], "not a readable audio file"),
             long: (["--max-minutes", "0.1"], "the limit is 0.1 min"), tmp_path / "missing.flac": ([], "no such file")}
    for path, (extra, reason) in cases.items():
        before = md5(path) if path.exists() else None
        proc = run([path, *extra], tmp_path)
        assert proc.returncode == 1, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and path.name in lines[0] and reason in lines[0], proc.stderr
        assert not (tmp_path / f"{path.stem}_drums.mid").exists() and not (tmp_path / f"{path.stem}_drums.wav").exists()
        assert (md5(path) if path.exists() else None) == before


def test_audio_without_the_transcription_packages_names_what_to_install(monkeypatch, tmp_path, recording):
    from neuraldrummer.generation.drumming import drum_recording
    from neuraldrummer.io.transcribe import transcriber_modules

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(AudioError) as info:
        transcriber_modules()
    assert "pip install" in str(info.value) and "requirements-audio.txt" in str(info.value)
    with pytest.raises(AudioError):
        drum_recording(recording, tmp_path / "out.mid", Path(__file__).resolve().parent.parent / "saved" / "default",
                       mix_path=tmp_path / "out.wav")
    assert not list(tmp_path.iterdir())


def test_rendering_without_the_synthesizer_names_what_to_install(monkeypatch, tmp_path):
    from neuraldrummer.io import audio
    from neuraldrummer.io.audio import render_audio

    monkeypatch.setitem(sys.modules, "tinysoundfont", None)
    monkeypatch.setattr(audio, "engine", lambda: "tinysoundfont")  # not FluidSynth, where a machine has it
    song = factory.save(factory.song(bars=2, drums=False), tmp_path / "song.mid")
    with pytest.raises(AudioError) as info:
        render_audio(song, use="tinysoundfont")
    assert "tinysoundfont" in str(info.value) and "requirements-audio.txt" in str(info.value)
    with pytest.raises(AudioError):
        write_audio(song, tmp_path / "song.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.mid"]


def test_the_drums_midi_follows_beats_that_drift():
    beats = np.cumsum(np.concatenate([[0.37], np.linspace(0.5, 0.62, 40)]))  # slowing down
    positions = np.arange(beats.size) % 4
    grid = grid_from_beats(TempoMap(480, np.zeros(1), np.zeros(1), np.array([120.0])), beats, positions,
                           float(beats[-1]), 4)
    drums = DrumArrays.empty(grid.num_steps)
    on_beat = np.arange(grid.num_steps) % 4 == 0
    drums.hits[on_beat, 0] = True  # a kick on every beat
    drums.velocity[on_beat, 0] = 0.8
    mid = beat_aligned_midi(drums, grid)
    data = factory.save(mid, Path(os.environ.get("TMPDIR", "/tmp")) / "aligned_test.mid")
    pm = pretty_midi.PrettyMIDI(str(data))
    kicks = np.array(sorted(n.start for i in pm.instruments for n in i.notes))
    np.testing.assert_allclose(kicks, grid.starts[on_beat], atol=2e-3)
    np.testing.assert_allclose(kicks, beats[:kicks.size], atol=2e-3)
    # each beat is one quarter note of the file, and a bar line falls on each of the grid's downbeats
    ticks = [pm.time_to_tick(t) for t in kicks]
    assert np.allclose(np.diff(ticks), 480, atol=1)
    downbeats = pm.get_downbeats()
    for t in grid.starts[grid.bar_starts]:
        assert np.min(np.abs(downbeats - t)) < 2e-3
    data.unlink()


def test_a_folder_of_recordings_and_songs_is_drummed_and_bad_files_counted(recording, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "take1.wav").write_bytes(recording.read_bytes())
    factory.save(factory.song(bars=4, drums=False), src / "song.mid")
    (src / "broken.ogg").write_bytes(b"OggS but not really")
    proc = run([src, "-o", tmp_path / "out", "--workers", "1", "--no-progress"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "drummed 2 of 3 files" in proc.stdout and "bad_recording 1" in proc.stdout
    out = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert out == ["song_drums.mid", "take1_drums.mid", "take1_drums.wav"]


def test_transcribed_notes_below_c3_are_the_bass_as_in_a_midi_file():
    from neuraldrummer.analysis.features import BASS_PITCH, pitched_note_arrays
    from neuraldrummer.io import transcribe
    from neuraldrummer.io.transcribe import notes_to_midi

    assert transcribe.BASS_PITCH == BASS_PITCH  # the bass of a recording is read as a MIDI file's
    rng = np.random.default_rng(0)
    chords = [(i * 0.5, i * 0.5 + 0.4, int(p), 0.6, []) for i in range(64) for p in rng.integers(50, 80, 6)]
    bass = [(i * 1.0, i * 1.0 + 0.9, 36 + i % 7, 0.8, []) for i in range(32)]
    pm = notes_to_midi(chords + bass)
    tracks = {i.name: i for i in pm.instruments}
    assert sorted(n.pitch for n in tracks["bass (transcribed)"].notes) == sorted(e[2] for e in bass)
    assert min(n.pitch for n in tracks["piano (transcribed)"].notes) >= BASS_PITCH
    notes = pitched_note_arrays(pm)
    assert notes["is_bass"].sum() == len(bass) and (notes["pitch"][notes["is_bass"]] < BASS_PITCH).all()


def test_made_up_bass_notes_are_dropped_from_a_transcription():
    # basic-pitch hears the sub-octave of a left-hand note and faint low notes that were never played; a real
    # bass note is loud, and louder than the octave above it that it makes ring
    from neuraldrummer.io.transcribe import notes_to_midi, spurious_bass

    def events(level):
        loud = 0.8 * level
        return [(0.0, 0.9, 40, loud, []), (0.01, 0.5, 52, loud - 0.3 * level, []),  # bass note, quieter octave: kept
                (1.0, 1.4, 43, loud - 0.1 * level, []), (1.02, 1.4, 55, loud, []),  # sub-octave of a louder note
                (2.0, 2.4, 38, 0.2 * level, []),  # faint against the song's other low notes: dropped
                (3.0, 3.4, 43, loud - 0.1 * level, []), (3.2, 3.6, 55, loud, [])]  # octave far apart in time: kept
    assert spurious_bass(events(1.0)).tolist() == [False, False, True, False, True, False, False]
    pm = notes_to_midi(events(1.0))
    bass = {i.name: sorted(n.pitch for n in i.notes) for i in pm.instruments}["bass (transcribed)"]
    assert bass == [40, 43]
    # a soundfont whose low notes sound quieter: the floor is the song's own, so the same notes stay
    assert spurious_bass(events(0.6)).tolist() == spurious_bass(events(1.0)).tolist()
    assert spurious_bass([]).shape == (0,)
