import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import factory  # noqa: E402


@pytest.fixture
def song_path(tmp_path):
    """4 bars of 4/4 at 120 bpm: piano, bass and a rock beat."""
    return factory.save(factory.song(), tmp_path / "song.mid")


BAD_FILES = {
    "random_bytes": bytes(range(256)) * 4,
    "empty": b"",
    "text": b"this is not a midi file\n",
}


@pytest.fixture
def bad_inputs(tmp_path, song_path):
    """Bad inputs by name: random bytes, empty, text, truncated, a folder named .mid, missing."""
    out = {}
    for name, data in BAD_FILES.items():
        p = tmp_path / f"{name}.mid"
        p.write_bytes(data)
        out[name] = p
    p = tmp_path / "truncated.mid"
    p.write_bytes(song_path.read_bytes()[:60])
    out["truncated"] = p
    d = tmp_path / "folder.mid"
    d.mkdir()
    out["folder"] = d
    out["missing"] = tmp_path / "missing.mid"
    return out


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory):
    """A corpus of a few songs built in code (songs with drums and one drum-only beat)."""
    from neuraldrummer.training.corpus import build_corpus

    root = tmp_path_factory.mktemp("tiny_data")
    for i in range(6):
        factory.save(factory.song(bars=6 + i, tempos=((0, 100.0 + 10 * i),)), root / f"song{i}.mid")
    factory.save(factory.song(bars=8, pitched=False), root / "beat.mid")
    out = tmp_path_factory.mktemp("tiny_corpus")
    build_corpus([root], out, workers=1, progress=False)
    # every song in train and validation so both splits are non-empty
    import json

    songs = json.loads((out / "songs.json").read_text())
    for k, s in enumerate(songs):
        s["split"] = "validation" if k % 3 == 0 else "train"
    (out / "songs.json").write_text(json.dumps(songs))
    return out


@pytest.fixture(scope="session")
def tiny_model(tiny_corpus, tmp_path_factory):
    """A tiny drummer trained for a few batches on the tiny corpus."""
    from neuraldrummer.config import Config
    from neuraldrummer.training.train import train

    out = tmp_path_factory.mktemp("tiny_model")
    config = Config(decoder_units=16, window_steps=16, batch_size=8, epochs=2, steps_per_epoch=3,
                    validation_batches=1, patience=5, seed=7, reference_input=True, drop_instrument=0.3,
                    song_dropout=0.2, velocity_bins=8, offset_bins=5)
    train(tiny_corpus, out, config, verbose=0)
    return out
