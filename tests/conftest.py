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
