"""How a musician works: hear it, re-roll bars, drum a folder, continue a groove verbatim."""

import os
import subprocess
import sys
from collections import Counter

import mido
import numpy as np
import pretty_midi
import pytest

import factory
from neuraldrummer.io.audio import read_wav, render_audio

TPB = factory.TPB
BAR = 4 * TPB


def run(cmd, args, cwd, model):
    env = dict(os.environ, NEURALDRUMMER_MODEL=str(model))
    return subprocess.run([sys.executable, "-m", "neuraldrummer", cmd, *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env=env)


def drum_events(path, lo=None, hi=None, inside=False):
    """Every drum-channel note message as (tick, type, note, velocity, channel), optionally only those whose
    note-on tick lies outside (or inside) [lo, hi)."""
    mid = mido.MidiFile(str(path))
    out = []
    for track in mid.tracks:
        tick, open_at = 0, {}
        for msg in track:
            tick += msg.time
            if msg.type not in ("note_on", "note_off") or msg.channel != 9:
                continue
            if msg.type == "note_on" and msg.velocity > 0:
                open_at.setdefault(msg.note, []).append(tick)
                start = tick
            else:
                start = open_at[msg.note].pop(0) if open_at.get(msg.note) else tick
            if lo is not None and ((lo <= start < hi) != inside):
                continue
            out.append((tick, msg.type if msg.velocity or msg.type == "note_off" else "note_off", msg.note,
                        msg.velocity, msg.channel))
    return Counter(out)


def test_drum_writes_audio_of_the_songs_length_with_the_drums_audible(tiny_model, tmp_path):
    src = factory.save(factory.song(bars=6, drums=False), tmp_path / "song.mid")
    proc = run("drum", [src, "--audio", tmp_path / "song.wav", "--cutoff", "0.2"], tmp_path, tiny_model)
    assert proc.returncode == 0, proc.stderr
    audio, rate = read_wav(tmp_path / "song.wav")
    drummed = pretty_midi.PrettyMIDI(str(tmp_path / "song_drums.mid"))
    assert sum(len(i.notes) for i in drummed.instruments if i.is_drum) > 10
    assert audio.shape[1] == 2 and abs(audio.shape[0] / rate - drummed.get_end_time()) < 1.0
    # the drums are audible: the drummed audio differs clearly from the song alone
    alone = render_audio(src, rate)
    n = min(len(alone), len(audio))
    diff = np.sqrt(np.mean((audio[:n] - alone[:n]) ** 2))
    assert diff > 0.2 * np.sqrt(np.mean(alone[:n] ** 2))


def piano_bytes(notes) -> bytes:
    """A MIDI file of ``notes`` on a piano, as bytes."""
    import io

    pm = pretty_midi.PrettyMIDI()
    pm.instruments.append(pretty_midi.Instrument(program=0))
    pm.instruments[0].notes += notes
    buf = io.BytesIO()
    pm.write(buf)
    return buf.getvalue()


def test_rendered_notes_sound_at_their_pitch():
    """The synthesizer plays each note at its pitch: the lowest strong peak of a piano note's spectrum is its
    fundamental (symusic 0.5.9 sounded the A at 110 Hz at 233 Hz)."""
    rate = 44100
    for pitch in (40, 45, 57, 69):
        audio = render_audio(piano_bytes([pretty_midi.Note(100, pitch, 0.1, 1.5)]), rate)
        audio = audio[int(0.2 * rate):int(1.4 * rate), 0]
        magnitude = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
        freqs = np.fft.rfftfreq(audio.size, 1 / rate)
        strong = (magnitude > 0.2 * magnitude.max()) & (magnitude >= np.roll(magnitude, 1)) & (
            magnitude >= np.roll(magnitude, -1))
        lowest = float(freqs[strong & (freqs > 20)].min())
        assert abs(12 * np.log2(lowest / pretty_midi.note_number_to_hz(pitch))) < 0.5, (pitch, lowest)


def test_rendered_notes_sound_on_time_to_the_end_of_a_long_song():
    """Thousands of events do not push the audio late: a note after 3,000 others sounds at its time."""
    rate = 44100
    notes = [pretty_midi.Note(90, 60 + i % 12, 0.05 * i, 0.05 * i + 0.02) for i in range(3000)]
    last = 0.05 * 3000 + 3.0
    audio = np.abs(render_audio(piano_bytes(notes + [pretty_midi.Note(120, 48, last, last + 0.5)]), rate)[:, 0])
    window = audio[int((last - 0.5) * rate):int((last + 0.5) * rate)]
    onset = last - 0.5 + np.argmax(window > 0.1 * window.max()) / rate
    assert abs(onset - last) < 0.003, onset - last


def test_audio_formats(tiny_model, tmp_path, song_path):
    import soundfile

    for suffix in (".flac", ".ogg", ".mp3"):
        out = tmp_path / f"song{suffix}"
        proc = run("drum", [song_path, "-o", tmp_path / "d.mid", "--audio", out], tmp_path, tiny_model)
        assert proc.returncode == 0, proc.stderr
        info = soundfile.info(str(out))
        assert info.channels == 2 and abs(info.duration - 8.0) < 1.5, (suffix, info.duration)


def test_audio_gets_a_clear_error_before_anything_is_written(tiny_model, tmp_path, song_path):
    proc = run("drum", [song_path, "--audio", tmp_path / "x.aiff"], tmp_path, tiny_model)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.mid"]


def test_the_audio_is_rendered_with_the_soundfont_asked_for(tiny_model, tmp_path, monkeypatch):
    """``--soundfont`` renders a song's audio, alone and in a batch, with that soundfont; a missing one, one that
    is no soundfont, or one given where no audio is written gets one line before anything is written."""
    import shutil

    from neuraldrummer.app.cli import main
    from neuraldrummer.io import audio

    src = factory.save(factory.song(bars=4, drums=False), tmp_path / "song.mid")
    other = factory.save(factory.song(bars=3, drums=False), tmp_path / "other.mid")
    mine = tmp_path / "mine.sf2"
    shutil.copy(audio.bundled_soundfont(), mine)
    used = []
    render = audio._render_tinysoundfont
    monkeypatch.setattr(audio, "engine", lambda: "tinysoundfont")
    monkeypatch.setattr(audio, "_render_tinysoundfont",
                        lambda data, rate, sf=None: used.append(sf) or render(data, rate, sf))
    monkeypatch.setenv("NEURALDRUMMER_MODEL", str(tiny_model))
    out = tmp_path / "out"
    out.mkdir()
    assert main(["drum", str(src), "-o", str(out / "one.mid"), "--audio", str(out / "one.wav"),
                 "--soundfont", str(mine), "--cutoff", "0.2"]) == 0
    assert main(["drum", str(src), str(other), "-o", str(out / "many"), "--audio", "--workers", "1", "--no-progress",
                 "--soundfont", str(mine), "--cutoff", "0.2"]) == 0
    assert used == [mine] * 3 and read_wav(out / "one.wav")[0].shape[0] > 0
    assert len(list((out / "many").glob("*.wav"))) == 2

    (tmp_path / "bad.sf2").write_bytes(b"not a soundfont")
    body = b"sfbk" + b"LIST" + (4).to_bytes(4, "little") + b"INFO" + b"garbage" * 10
    (tmp_path / "corrupt.sf2").write_bytes(b"RIFF" + len(body).to_bytes(4, "little") + body)
    for sf, extra, words in (("missing.sf2", ["--audio"], "no such soundfont"),
                             ("bad.sf2", ["--audio"], "not a soundfont"),
                             (str(mine), [], "add --audio"),
                             # a soundfont's header over a body that does not load: found only when rendering
                             ("corrupt.sf2", ["--audio"], "could not render"),
                             ("corrupt.sf2", ["--audio", tmp_path / "x.wav", "--redo", "1-2"], "could not render")):
        before = sorted(p.name for p in tmp_path.iterdir())
        song = out / "one.mid" if "--redo" in extra else src
        proc = run("drum", [song, "-o", tmp_path / "x.mid", "--soundfont", sf, *extra], tmp_path, tiny_model)
        assert proc.returncode == 1 and words in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == before
    # in a batch the song fails for that reason and leaves no MIDI of its own
    proc = run("drum", [src, other, "-o", tmp_path / "batch", "--audio", "--workers", "1", "--no-progress",
                        "--soundfont", tmp_path / "corrupt.sf2"], tmp_path, tiny_model)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    assert list((tmp_path / "batch").glob("*")) == []


@pytest.mark.parametrize("extra", [[], ["--density", "high"]])
def test_redo_draws_only_the_bars_asked_for(tiny_model, tmp_path, extra):
    src = factory.save(factory.song(bars=10, drums=False), tmp_path / "song.mid")
    assert run("drum", [src, "--cutoff", "0.2"], tmp_path, tiny_model).returncode == 0
    drummed = tmp_path / "song_drums.mid"
    before = drummed.read_bytes()
    proc = run("drum", [drummed, "--redo", "4-6", "--seed", "3", *extra], tmp_path, tiny_model)
    assert proc.returncode == 0, proc.stderr
    assert "bars 4-6 drawn again" in proc.stdout
    redone = tmp_path / "song_drums_redo.mid"
    assert drummed.read_bytes() == before  # the input is never touched
    lo, hi = 3 * BAR - TPB // 4, 6 * BAR - TPB // 4  # a note belongs to its nearest eighth (the model's step)
    assert drum_events(redone, lo, hi) == drum_events(drummed, lo, hi)  # outside the range: every note as it was
    assert drum_events(redone, lo, hi, inside=True) != drum_events(drummed, lo, hi, inside=True)
    pm = pretty_midi.PrettyMIDI(str(redone))
    onsets = [n.start for i in pm.instruments if i.is_drum for n in i.notes]
    for bar in range(3, 6):  # no bar of the range left empty while the song plays (1 bar = 2 s at 120 bpm)
        assert any(2.0 * bar - 0.1 <= t < 2.0 * (bar + 1) - 0.1 for t in onsets), bar
    before_pitched = sorted((n.pitch, n.start) for i in pretty_midi.PrettyMIDI(str(drummed)).instruments
                            if not i.is_drum for n in i.notes)
    assert sorted((n.pitch, n.start) for i in pm.instruments if not i.is_drum for n in i.notes) == before_pitched


def test_redo_seeds_give_other_takes_and_bad_ranges_get_one_line(tiny_model, tmp_path):
    src = factory.save(factory.song(bars=8, drums=False), tmp_path / "song.mid")
    assert run("drum", [src, "--cutoff", "0.2"], tmp_path, tiny_model).returncode == 0
    drummed = tmp_path / "song_drums.mid"
    takes = []
    for seed in (1, 2):
        out = tmp_path / f"take{seed}.mid"
        assert run("drum", [drummed, "--redo", "2-5", "--seed", seed, "-o", out], tmp_path, tiny_model).returncode == 0
        takes.append(drum_events(out, 1 * BAR, 5 * BAR, inside=True))
    assert takes[0] != takes[1]
    for bad in (["--redo", "7-12"], ["--redo", "x"], ["--redo", "5-2"]):
        proc = run("drum", [drummed, *bad, "-o", tmp_path / "bad.mid"], tmp_path, tiny_model)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "bad.mid").exists()
    proc = run("drum", [src, "--redo", "1-2", "-o", tmp_path / "bad.mid"], tmp_path, tiny_model)
    assert proc.returncode == 1 and "no drums" in proc.stderr and not (tmp_path / "bad.mid").exists()


def test_drum_many_songs_and_folders(tiny_model, tmp_path, bad_inputs):
    albums = tmp_path / "albums"
    (albums / "one").mkdir(parents=True)
    for i in range(3):
        factory.save(factory.song(bars=4 + i, drums=i % 2 == 0), albums / ("one" if i else ".") / f"s{i}.mid")
    for name in ("random_bytes", "empty", "text", "truncated"):
        (albums / f"bad_{name}.mid").write_bytes(bad_inputs[name].read_bytes())
    factory.save(factory.song(bars=2, pitched=False), albums / "one" / "drums_only.mid")
    (albums / "notes.txt").write_text("not a song, and not a .mid: not an input")
    single = factory.save(factory.song(bars=3), tmp_path / "single.mid")
    snapshot = {p: p.read_bytes() for p in albums.rglob("*") if p.is_file()}
    out = tmp_path / "out"
    proc = run("drum", [single, albums, "-o", out, "--workers", "2", "--cutoff", "0.2"], tmp_path, tiny_model)
    assert proc.returncode == 0, proc.stderr
    summary = proc.stdout.strip().splitlines()[-1]
    assert summary.startswith("drummed 4 of 9 files") and "songs/s" in summary
    assert summary.endswith("skipped 5: unreadable_midi 4, no_pitched_notes 1"), summary
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == ["one/s1_drums.mid", "one/s2_drums.mid", "s0_drums.mid", "single_drums.mid"]
    for path in out.rglob("*.mid"):
        assert sum(i.is_drum and len(i.notes) > 0 for i in pretty_midi.PrettyMIDI(str(path)).instruments) == 1
    assert {p: p.read_bytes() for p in albums.rglob("*") if p.is_file()} == snapshot
    assert "Traceback" not in proc.stderr

    # nothing drummed: non-zero exit; a folder without -o: one line
    only_bad = tmp_path / "only_bad"
    only_bad.mkdir()
    (only_bad / "x.mid").write_bytes(b"junk")
    proc = run("drum", [only_bad, tmp_path / "missing.mid", "-o", tmp_path / "out2"], tmp_path, tiny_model)
    assert proc.returncode == 1 and "drummed 0 of 2 files" in proc.stdout
    assert not any((tmp_path / "out2").rglob("*.mid")) if (tmp_path / "out2").exists() else True
    proc = run("drum", [albums], tmp_path, tiny_model)
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1 and "give -o OUTDIR" in proc.stderr


def test_many_files_without_o_go_beside_each(tiny_model, tmp_path):
    a = factory.save(factory.song(bars=3), tmp_path / "a.mid")
    b = factory.save(factory.song(bars=4), tmp_path / "b.mid")
    proc = run("drum", [a, b, "--workers", "1", "--no-progress"], tmp_path, tiny_model)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "a_drums.mid").is_file() and (tmp_path / "b_drums.mid").is_file()


def groove_file(path):
    """A played groove: pedal hats, a splash, a ride bell, ghost notes, off-grid timing, odd note lengths."""
    notes = []
    for bar in range(2):
        base = bar * BAR
        for e in range(8):
            tick = base + e * TPB // 2 + (7 if e % 2 else -3) * (bar + 1)
            notes.append((max(tick, 0), 50 + e, 44 if e % 2 else 42, 37 + 9 * e))
        notes += [(base, 120, 36, 111), (base + TPB + 11, 90, 38, 97), (base + 3 * TPB - 5, 60, 38, 23),
                  (base + 2 * TPB, 200, 55, 88), (base + 3 * TPB + 240, 100, 53, 66)]
    mid = mido.MidiFile(type=1, ticks_per_beat=TPB)
    mid.tracks.append(factory.conductor(((0, 97.0),)))
    mid.tracks.append(factory.notes_track(notes, channel=9, name="my kit"))
    return factory.save(mid, path)


def test_continue_keeps_every_note_of_the_groove_verbatim(tiny_model, tmp_path):
    src = groove_file(tmp_path / "groove.mid")
    proc = run("continue", [src, "--bars", "3"], tmp_path, tiny_model)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "groove_continued.mid"
    kept, got = drum_events(src), drum_events(out)
    assert kept - got == Counter()  # every note message of the prompt, unchanged (tick, pitch, velocity, channel)
    new = got - kept
    assert new and min(t for t, *_ in new) >= 2 * BAR - TPB // 4  # the new notes come after the groove
    assert max(t for t, *_ in new) > 4 * BAR  # ... and carry on for the new bars
    names = [m.name for t in mido.MidiFile(str(out)).tracks for m in t if m.type == "track_name"]
    assert "my kit" in names
    proc = run("continue", [src, "--bars", "2", "--tempo", "120", "-o", tmp_path / "t.mid"], tmp_path, tiny_model)
    assert proc.returncode == 1 and "--tempo is for text rolls" in proc.stderr


def test_spliced_notes_stay_inside_the_range_on_a_fractional_grid(tmp_path):
    """A re-gridded song's step ticks are fractional: new notes (early ones too) must not round to a
    tick before the range, where they would count as changed notes outside it."""
    from neuraldrummer.analysis.drums import DrumArrays
    from neuraldrummer.io.midi import load_midi
    from neuraldrummer.analysis.writing import splice_drums

    src = factory.save(factory.song(bars=4), tmp_path / "s.mid")
    loaded = load_midi(src)
    step_ticks = np.arange(65) * 119.7 + 0.4  # 64 steps, fractional ticks
    drums = DrumArrays.empty(64)
    drums.hits[16, 0] = drums.hits[31, 1] = True
    drums.velocity[16, 0] = drums.velocity[31, 1] = 0.8
    drums.offset[16, 0], drums.offset[31, 1] = -0.3, 0.45
    mid = splice_drums(loaded, drums, step_ticks, 16, 32)
    path = tmp_path / "out.mid"
    mid.save(str(path))
    lo, hi = (step_ticks[15] + step_ticks[16]) / 2, (step_ticks[31] + step_ticks[32]) / 2  # steps 16-31
    inside = drum_events(path, lo, hi, inside=True)
    assert sum(v for (t, kind, *_), v in inside.items() if kind == "note_on") == 2
    assert drum_events(path, lo, hi) == drum_events(src, lo, hi)


@pytest.mark.parametrize("push", [-3, 3])
def test_redo_keeps_notes_played_just_ahead_of_or_behind_the_bar_lines(tiny_model, tmp_path, push):
    """At 180 bpm a drummer's kick and hat 2 ms (3 ticks) ahead of bar 5's line belong to bar 5, not to the
    re-rolled bars 3-4 before it; and those 2 ms behind bar 3's line belong to bar 3 and are drawn again."""
    drums, piano = [], []
    for bar in range(8):
        for e in range(8):
            t = max(0, bar * BAR + e * TPB // 2 + push)
            drums.append((t, 30, 42, 70 + e))
            if e in (0, 4):
                drums.append((t, 30, 36, 100))
            if e in (2, 6):
                drums.append((t, 30, 38, 90))
        piano += [(bar * BAR + q * TPB, TPB, 60 + q, 70) for q in range(4)]
    mid = mido.MidiFile(type=1, ticks_per_beat=TPB)
    mid.tracks += [factory.conductor(((0, 180.0),)), factory.notes_track(piano, name="piano"),
                   factory.notes_track(drums, channel=9, name="kit")]
    src = factory.save(mid, tmp_path / "fast.mid")
    proc = run("drum", [src, "--redo", "3-4", "--cutoff", "0.2", "-o", tmp_path / "redo.mid"], tmp_path, tiny_model)
    assert proc.returncode == 0, proc.stderr
    lo, hi = 2 * BAR - TPB // 4, 4 * BAR - TPB // 4  # the eighths of bars 3-4, each note by its nearest eighth
    kept = drum_events(tmp_path / "redo.mid", lo, hi)
    assert kept == drum_events(src, lo, hi)  # every note outside the bars, note for note
    assert kept[(4 * BAR + push, "note_on", 36, 100, 9)] == 1  # bar 5's kick, ahead of or behind its line
    assert kept[(2 * BAR + push, "note_on", 36, 100, 9)] == 0  # bar 3's kick belongs to the range: drawn again


def test_continue_keeps_notes_played_ahead_of_the_bar_line_where_it_carries_on(tiny_model, tmp_path):
    """A groove cut 20 ms before its third bar whose drummer played the kick and hat of bar 3 26 ms early:
    those notes are part of the groove and stay in the output, as every other note does."""
    bpm = 110.0
    early = 2 * BAR - int(round(0.026 * bpm / 60 * TPB))
    notes = [(bar * BAR + e * TPB // 2, 20, 42, 70) for bar in range(2) for e in range(8)]
    notes += [(bar * BAR + q * TPB, 20, 36 if q % 2 == 0 else 38, 100) for bar in range(2) for q in range(4)]
    notes += [(early, 5, 36, 110), (early, 5, 42, 80)]
    mid = mido.MidiFile(type=1, ticks_per_beat=TPB)
    mid.tracks += [factory.conductor(((0, bpm),)), factory.notes_track(notes, channel=9, name="kit")]
    src = factory.save(mid, tmp_path / "cut.mid")
    proc = run("continue", [src, "--bars", "2", "-o", tmp_path / "more.mid"], tmp_path, tiny_model)
    assert proc.returncode == 0, proc.stderr
    kept, got = drum_events(src), drum_events(tmp_path / "more.mid")
    assert kept - got == Counter()
    assert max(t for t, *_ in got - kept) > 3 * BAR  # and it carries on
