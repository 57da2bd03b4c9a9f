"""The package reads as the data flows: each stage imports only the stages before it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import neuraldrummer

PACKAGE = Path(neuraldrummer.__file__).resolve().parent
#: the stages in the order the data flows through them
STAGES = ("errors", "io", "beats", "analysis", "config", "training", "generation", "evaluation", "app")


def _stage(module: str) -> str:
    """``neuraldrummer.beats.grid`` -> ``beats``; the package's own attributes (``__version__``)
    count as the first stage."""
    part = module.split(".")[1]
    return STAGES[0] if part.startswith("__") else part


def _imports(path: Path) -> list[str]:
    """Every neuraldrummer module imported anywhere in ``path`` (function-level imports too)."""
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    package = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            else:
                names = [node.module or ""]
            out += [n for n in names if n.startswith("neuraldrummer.")]
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.startswith("neuraldrummer.")]
    return out


def test_no_module_imports_a_later_stage():
    modules = [p for p in PACKAGE.rglob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert len(modules) > 30
    seen_stages = set()
    for path in modules:
        here = _stage(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
        seen_stages.add(here)
        for target in _imports(path):
            there = _stage(target)
            assert STAGES.index(there) <= STAGES.index(here), f"{path.relative_to(PACKAGE)} imports {target}"
    assert seen_stages == set(STAGES)


def test_generation_and_the_public_names_import_no_tensorflow():
    code = ("import sys, pkgutil, importlib, neuraldrummer, neuraldrummer.generation as g\n"
            "for m in pkgutil.iter_modules(g.__path__): importlib.import_module(f'neuraldrummer.generation.{m.name}')\n"
            "for name in neuraldrummer.__all__: getattr(neuraldrummer, name)\n"
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_public_names_come_from_the_top_level():
    from neuraldrummer import DrummerRuntime, GenerationSettings, encode_song, generate, write_drummed_song
    from neuraldrummer.analysis.song import encode_song as deep_encode
    from neuraldrummer.generation.decoding import generate as deep_generate

    assert encode_song is deep_encode and generate is deep_generate
    assert DrummerRuntime.__module__ == "neuraldrummer.generation.runtime"
    assert GenerationSettings().temperature > 0 and callable(write_drummed_song)
