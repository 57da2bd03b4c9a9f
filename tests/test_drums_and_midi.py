
import io

import mido
import numpy as np
import pytest

import factory
from neuraldrummer.analysis.drum_map import (CANONICAL_PITCHES, CLASS_NAMES, FOLD_TO_NINE, NINE_CLASS_NAMES, NUM_CLASSES,
                                    PITCH_TO_CLASS, expand_from_nine, fold_to_nine, pitch_to_class)
from neuraldrummer.analysis.drums import DrumArrays
from neuraldrummer.errors import EmptySongError, MidiLoadError, NoPitchedNotesError, NeuralDrummerError
from neuraldrummer.io.midi import load_midi, midi_to_bytes, read_midi_bytes
from neuraldrummer.analysis.song import encode_song
from neuraldrummer.analysis.writing import DRUM_TRACK_NAME, write_drummed_song


def load(mid):
    return read_midi_bytes(midi_to_bytes(mid))


def pitched_notes(pm):
    return sorted((i.program, n.pitch, round(n.start, 6), round(n.end, 6), n.velocity)
                  for i in pm.instruments if not i.is_drum for n in i.notes)


def test_drum_map_is_consistent():
    assert NUM_CLASSES == 18 and CLASS_NAMES[:9] == NINE_CLASS_NAMES
    assert NINE_CLASS_NAMES == ("kick", "snare", "closed_hat", "open_hat", "low_tom", "mid_tom", "high_tom",
                                "crash", "ride")
    for k, pitch in enumerate(CANONICAL_PITCHES):
        assert PITCH_TO_CLASS[pitch] == k
    assert CLASS_NAMES[pitch_to_class(37)] == "side_stick"
    assert CLASS_NAMES[pitch_to_class(39)] == "clap"
    assert CLASS_NAMES[pitch_to_class(44)] == "pedal_hat"
    assert pitch_to_class(10) == -1 and pitch_to_class(200) == -1
    # every General MIDI percussion pitch 27-87 has a class, and folds to Magenta's role
    for pitch in range(27, 88):
        assert pitch_to_class(pitch) >= 0, pitch
    role = {37: "snare", 39: "snare", 44: "closed_hat", 55: "crash", 52: "crash", 53: "ride", 54: "closed_hat",
            56: "snare", 70: "closed_hat", 36: "kick", 49: "crash"}
    for pitch, name in role.items():
        assert NINE_CLASS_NAMES[FOLD_TO_NINE[pitch_to_class(pitch)]] == name, pitch


def test_fold_and_expand_between_full_kit_and_nine():
    hits = np.zeros((3, NUM_CLASSES), bool)
    hits[0, CLASS_NAMES.index("side_stick")] = True
    hits[1, CLASS_NAMES.index("splash")] = True
    hits[2, CLASS_NAMES.index("kick")] = True
    nine = fold_to_nine(hits)
    assert nine.shape == (3, 9)
    assert nine[0].nonzero()[0].tolist() == [NINE_CLASS_NAMES.index("snare")]
    assert nine[1].nonzero()[0].tolist() == [NINE_CLASS_NAMES.index("crash")]
    assert nine[2].nonzero()[0].tolist() == [0]
    back = expand_from_nine(nine)
    assert back.shape == (3, NUM_CLASSES) and not back[:, 9:].any()
    np.testing.assert_array_equal(back[:, :9], nine)


def test_encode_rock_beat_classes_velocities_offsets():
    song = encode_song(load(factory.song(bars=2)))
    hits, vel = song.drums.hits, song.drums.velocity
    k, s, h = CLASS_NAMES.index("kick"), CLASS_NAMES.index("snare"), CLASS_NAMES.index("closed_hat")
    assert hits[:, k].nonzero()[0].tolist() == [0, 4, 8, 12]
    assert hits[:, s].nonzero()[0].tolist() == [2, 6, 10, 14]
    assert hits[:, h].all()
    assert vel[0, k] == np.float32(110 / 127) and vel[4, k] == np.float32(90 / 127)
    assert (song.drums.offset == 0).all()
    assert hits.sum() == 16 + 8


def test_micro_timing_offsets_are_kept():
    mid = factory.song(bars=1, drums=False)
    # a snare 30 ticks late on step 2 (step = 240 ticks)
    mid.tracks.append(factory.notes_track([(480 + 30, 60, 38, 70)], channel=9, name="drums"))
    song = encode_song(load(mid))
    s = CLASS_NAMES.index("snare")
    assert song.drums.hits[2, s]
    np.testing.assert_allclose(song.drums.offset[2, s], 30 / 240, atol=1e-6)


def test_unknown_pitches_are_counted_not_crashed():
    mid = factory.song(bars=1, drums=False)
    mid.tracks.append(factory.notes_track([(0, 60, 12, 70), (240, 60, 12, 70), (480, 60, 36, 90)], channel=9))
    song = encode_song(load(mid))
    assert song.info["unknown_drum_pitches"] == {12: 2}
    assert song.drums.hits.sum() == 1


def test_several_drum_tracks_merge():
    mid = factory.song(bars=1, drums=False)
    mid.tracks.append(factory.notes_track([(0, 60, 36, 90)], channel=9, name="kick"))
    mid.tracks.append(factory.notes_track([(480, 60, 38, 90), (0, 60, 36, 50)], channel=9, name="snare"))
    song = encode_song(load(mid))
    assert song.drums.hits.sum() == 2  # the two kicks on step 0 merge, the louder wins
    assert song.drums.velocity[0, 0] == np.float32(90 / 127)
    assert song.info["merged_drum_notes"] == 1


def test_pitched_track_on_drum_pitches_is_not_drums():
    mid = factory.song(bars=1, drums=False)
    mid.tracks.append(factory.notes_track([(0, 240, 36, 90), (480, 240, 38, 90)], channel=2, program=0, name="lowpiano"))
    song = encode_song(load(mid))
    assert not song.drums.hits.any()


def _write_and_read(tmp_path, loaded, song, drums, **kw):
    out = write_drummed_song(loaded, drums, song.grid, tmp_path / "out.mid", **kw)
    return out, load_midi(out)


@pytest.mark.parametrize("type0", [False, True])
def test_round_trip_keeps_drums_and_pitched_notes(tmp_path, type0):
    mid = factory.song(bars=4, tempos=((0, 120.0), (2 * 4 * factory.TPB, 90.0)), type0=type0)
    loaded = load(mid)
    song = encode_song(loaded)
    out, back = _write_and_read(tmp_path, loaded, song, song.drums)
    again = encode_song(back)
    np.testing.assert_array_equal(again.drums.hits, song.drums.hits)
    np.testing.assert_array_equal(np.rint(again.drums.velocity * 127), np.rint(song.drums.velocity * 127))
    assert pitched_notes(back.pm) == pitched_notes(loaded.pm)
    drum_tracks = [i for i in back.pm.instruments if i.is_drum]
    assert len(drum_tracks) == 1 and drum_tracks[0].name == DRUM_TRACK_NAME
    # tempo changes, meter and key kept
    np.testing.assert_allclose(back.pm.get_tempo_changes()[1], [120.0, 90.0], rtol=1e-5)  # microseconds per quarter
    assert [(t.numerator, t.denominator) for t in back.pm.time_signature_changes] == [(4, 4)]
    assert [k.key_number for k in back.pm.key_signature_changes] == [0]
    # drums follow the tempo change: the first kick after it is at 4 s + 2 beats * 2/3 s
    kick_times = sorted(n.start for n in drum_tracks[0].notes if n.pitch == 36)
    np.testing.assert_allclose(kick_times[:6], [0, 1, 2, 3, 4, 4 + 2 * 60 / 90], atol=1e-3)


def test_new_drums_replace_or_keep_existing(tmp_path):
    loaded = load(factory.song(bars=2))
    song = encode_song(loaded)
    only_kicks = DrumArrays.empty(song.grid.num_steps)
    only_kicks.hits[::8, 0] = True
    only_kicks.velocity[::8, 0] = 0.5
    _, back = _write_and_read(tmp_path, loaded, song, only_kicks)
    drums = [i for i in back.pm.instruments if i.is_drum]
    assert len(drums) == 1 and len(drums[0].notes) == 2
    assert {n.velocity for n in drums[0].notes} == {64}
    out2 = write_drummed_song(loaded, only_kicks, song.grid, tmp_path / "keep.mid", keep_drums=True)
    kept = [i for i in load_midi(out2).pm.instruments if i.is_drum]
    assert sum(len(i.notes) for i in kept) == 2 + 24


def test_quantized_output_has_no_offsets(tmp_path):
    loaded = load(factory.song(bars=1))
    song = encode_song(loaded)
    drums = DrumArrays(song.drums.hits, song.drums.velocity, np.where(song.drums.hits, 0.2, 0).astype(np.float32))
    _, late = _write_and_read(tmp_path, loaded, song, drums)
    assert np.allclose(encode_song(late).drums.offset[drums.hits], 0.2, atol=0.01)
    out = write_drummed_song(loaded, drums, song.grid, tmp_path / "q.mid", quantized=True)
    assert (encode_song(load_midi(out)).drums.offset == 0).all()


def test_refuses_to_overwrite_input(song_path):
    loaded = load_midi(song_path)
    song = encode_song(loaded)
    before = song_path.read_bytes()
    with pytest.raises(NeuralDrummerError, match="overwrite"):
        write_drummed_song(loaded, song.drums, song.grid, song_path)
    assert song_path.read_bytes() == before


@pytest.mark.parametrize("name,reason", [
    ("random_bytes", "not a MIDI file"), ("empty", "empty file"), ("text", "not a MIDI file"),
    ("truncated", "corrupt"), ("folder", "directory"), ("missing", "no such file"),
])
def test_bad_files_raise_midi_load_error(bad_inputs, name, reason):
    with pytest.raises(MidiLoadError, match=reason) as info:
        load_midi(bad_inputs[name])
    assert str(bad_inputs[name]) in str(info.value)


def test_corrupt_bytes_after_a_valid_header():
    data = bytearray(midi_to_bytes(factory.song(bars=1)))
    data[14:40] = b"\xff" * 26  # smash the first track chunk
    with pytest.raises(MidiLoadError):
        read_midi_bytes(bytes(data))


def test_song_without_notes():
    mid = mido.MidiFile(type=1, ticks_per_beat=480, tracks=[factory.conductor()])
    with pytest.raises(EmptySongError):
        encode_song(load(mid))


def test_drums_only_song_when_pitched_required():
    with pytest.raises(NoPitchedNotesError):
        encode_song(load(factory.song(bars=1, pitched=False)), require_pitched=True)


def test_a_song_with_many_controller_events_keeps_every_event_and_its_tracks_bytes(tmp_path):
    """Tracks without drums are copied byte for byte (no message objects for a controller sweep); the
    drum track is replaced; every other event is kept."""
    from neuraldrummer.io.midi import track_chunks as _track_chunks

    mid = factory.song(bars=4)
    sweep = mido.MidiTrack([mido.Message("control_change", channel=1, control=11, value=k % 128, time=3)
                            for k in range(2000)])
    sweep.append(mido.MetaMessage("end_of_track", time=0))
    mid.tracks.append(sweep)
    src = factory.save(mid, tmp_path / "sweeps.mid")
    song = encode_song(src, 4)
    out = write_drummed_song(song.loaded, song.drums, song.grid, tmp_path / "out.mid")
    before, after = _track_chunks(src.read_bytes()), _track_chunks(out.read_bytes())
    drum_tracks = [k for k, t in enumerate(mido.MidiFile(str(src)).tracks)
                   if any(m.type == "note_on" and m.channel == 9 for m in t)]
    assert [c for k, c in enumerate(before) if k not in drum_tracks] == after[:len(before) - len(drum_tracks)]

    def events(path, drums):
        out = []
        for track in mido.MidiFile(str(path)).tracks:
            tick = 0
            for m in track:
                tick += m.time
                if not m.is_meta and (getattr(m, "channel", None) == 9) == drums:
                    out.append((tick, str(m.copy(time=0))))
        return sorted(out)

    assert events(out, drums=False) == events(src, drums=False)  # every non-drum event, at its tick
    hits = [e for e in events(src, drums=True) if "note_on" in e[1]]
    assert [e for e in events(out, drums=True) if "note_on" in e[1]] == hits  # the song's drums, re-encoded
    assert _track_chunks(b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0MTrk\x00\x00\x00\x09\x00") is None


def _sweep_song(bars: int = 24) -> mido.MidiFile:
    """A song whose bulk is controller, pitch-bend and aftertouch sweeps (a track of its own and mixed into
    the piano's track, with running status), over 256 KB."""
    mid = factory.song(bars=bars)
    sweep = mido.MidiTrack()
    for k in range(40000):
        sweep.append(mido.Message("control_change", channel=1, control=1 + k % 3, value=k % 128, time=1))
        if k % 7 == 0:
            sweep.append(mido.Message("pitchwheel", channel=1, pitch=(k % 100) * 50, time=0))
        if k % 11 == 0:
            sweep.append(mido.Message("aftertouch", channel=1, value=k % 128, time=0))
    sweep.append(mido.MetaMessage("end_of_track", time=0))
    mid.tracks.append(sweep)
    piano = next(t for t in mid.tracks if any(m.type == "note_on" and m.channel != 9 for m in t))
    mixed = mido.MidiTrack()
    for m in piano:
        if m.type == "note_on":
            mixed.append(mido.Message("control_change", channel=m.channel, control=64, value=127, time=m.time))
            m = m.copy(time=0)
        mixed.append(m)
    mid.tracks[mid.tracks.index(piano)] = mixed
    return mid


def test_a_lean_parse_leaves_out_only_controllers_and_the_output_is_the_same(tmp_path, monkeypatch):
    import neuraldrummer.io.midi as midi_io

    src = factory.save(_sweep_song(), tmp_path / "sweeps.mid")
    data = src.read_bytes()
    monkeypatch.setattr(midi_io, "LEAN_MIN_BYTES", 1024)  # the file is 169 KB (mido saves with running status)
    lean = midi_io.load_midi(src)
    assert lean.lean
    monkeypatch.setattr(midi_io, "LEAN_MIN_BYTES", 1 << 40)
    full = midi_io.load_midi(src)
    assert not full.lean
    notes = lambda pm: [(i.program, i.is_drum, n.pitch, n.velocity, n.start, n.end) for i in pm.instruments  # noqa: E731
                        for n in i.notes]
    assert notes(lean.pm) == notes(full.pm)
    assert lean.pm.get_tempo_changes()[1].tolist() == full.pm.get_tempo_changes()[1].tolist()
    for k in range(len(full.mido_file.tracks)):  # every message of every track, on demand
        assert [str(m) for m in lean.full_track(k)] == [str(m) for m in full.full_track(k)]
    song_lean, song_full = encode_song(lean, 4), encode_song(full, 4)
    a = write_drummed_song(song_lean.loaded, song_lean.drums, song_lean.grid, tmp_path / "a.mid")
    b = write_drummed_song(song_full.loaded, song_full.drums, song_full.grid, tmp_path / "b.mid")
    assert a.read_bytes() == b.read_bytes()
    # irregular files are parsed in full (and mido says what is wrong)
    assert midi_io.lean_midi_bytes(data[:-3]) is None
    assert midi_io.lean_midi_bytes(midi_to_bytes(factory.song(bars=2))) is None  # nothing to leave out


def test_splicing_a_lean_song_copies_its_untouched_tracks_and_keeps_every_event(tmp_path, monkeypatch):
    import neuraldrummer.io.midi as midi_io
    from neuraldrummer.analysis.writing import splice_drums, splice_drums_bytes

    monkeypatch.setattr(midi_io, "LEAN_MIN_BYTES", 1024)
    src = factory.save(_sweep_song(), tmp_path / "sweeps.mid")
    song = encode_song(src, 4)
    assert song.loaded.lean and song.has_drums
    lo, hi = int(song.grid.bar_starts[4]), int(song.grid.bar_starts[8])
    drums = DrumArrays(song.drums.hits.copy(), song.drums.velocity, song.drums.offset)
    drums.hits[lo:hi] = False
    drums.hits[lo:hi:4, 0] = True  # four-on-the-floor in bars 5-8
    drums.velocity[lo:hi:4, 0] = 0.8
    fast = splice_drums_bytes(song.loaded, drums, song.grid.ticks, lo, hi)
    full = midi_to_bytes(splice_drums(song.loaded, drums, song.grid.ticks, lo, hi))

    def events(data):
        out = []
        for track in mido.MidiFile(file=io.BytesIO(data)).tracks:
            tick = 0
            for m in track:
                tick += m.time
                out.append((tick, str(m.copy(time=0))))
        return sorted(out)

    assert events(fast) == events(full)
    sweep_chunk = midi_io.track_chunks(src.read_bytes())[-1]
    assert sweep_chunk in midi_io.track_chunks(fast)  # the sweep track, byte for byte


def test_the_drum_track_is_encoded_as_mido_encodes_it():
    from neuraldrummer.analysis.writing import drum_track, drum_track_bytes
    from neuraldrummer.io.midi import track_bytes

    loaded = load(factory.song(bars=4))
    song = encode_song(loaded)
    rng = np.random.default_rng(3)
    T = song.grid.num_steps
    drums = DrumArrays(rng.random((T, NUM_CLASSES)) < 0.3, rng.random((T, NUM_CLASSES)).astype(np.float32),
                       rng.uniform(-0.45, 0.45, (T, NUM_CLASSES)).astype(np.float32))
    drums.hits[1:, 0] |= drums.hits[:-1, 0]  # hits on neighbouring steps: note-offs and note-ons at one tick
    for quantized in (False, True):
        raw = drum_track_bytes(drums, song.grid, quantized, name="Drums ä")
        assert raw == track_bytes(drum_track(drums, song.grid, quantized, name="Drums ä"))
        assert len(mido.MidiFile(file=io.BytesIO(b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0" + raw)).tracks[0]) > 100
    empty = DrumArrays.empty(T)
    assert drum_track_bytes(empty, song.grid) == track_bytes(drum_track(empty, song.grid))
