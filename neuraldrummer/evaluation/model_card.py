"""Write ``MODEL_DIR/README.md`` (the model card) from the files training left there."""

from __future__ import annotations

import json
from pathlib import Path

from ..io.midi import atomic_write_text

TEMPLATE = """# NeuralDrummer model: {name}

Written by `neuraldrummer model-card {path}` from the files in this folder.

## How it was made
- Commands: `neuraldrummer tokenise {inputs} -o {corpus}{spb_flag}`, then
  `{command}; metrics and this card: `neuraldrummer validate {path} {corpus}`
- Config: `config.json` (grid 1/{grid} notes, {classes} drum classes, {features} song features, decoder LSTM {units} units)
- Best epoch {best_epoch} of {epochs} (early stopping, patience {patience}); validation loss {val_loss:.4f}
- Training data: {train_songs} songs ({train_steps} steps, {drum_only} of them drum-only GMD performances);
  validation: {val_songs} songs ({val_steps} steps), split by song. Sources: {sources}.
- Corpus: {corpus_songs} songs kept of {corpus_files} files; skipped {skipped}; {regridded} songs
  re-gridded because their tempo map did not fit their notes.
- Loss curve: `history.csv`, `loss.png`.
- Style feel (`style_feel.json`: each GMD style's swing and dynamics, from the training split):
  written by training, or for an existing model by `neuraldrummer style-feel {corpus} --model {path}`.

## Validation metrics (`metrics.json`)
| | songs with pitched instruments | GMD drum-only |
|---|---|---|
| teacher-forced NLL, bits per step ({classes} classes) | {nll_song:.3f} | {nll_gmd:.3f} |
| next-step micro F1 at cut-off 0.5 | {f1_song:.3f} | {f1_gmd:.3f} |

Freely generated drums (default decoding: sampling at temperature 1, seeded) on the
{val_with_song} validation songs, against the songs' real drums:

| statistic | generated | human |
|---|---|---|
{stats_rows}

Distance of the statistics' distributions (mean one-minus-overlap, 0 = identical): {dist}.
Least share of active bars with drums on any validation song: {min_bars}.

## Training data by source and licence
{source_table}

Part of the data is **CC BY-NC-SA 4.0 (non-commercial, share-alike)** and part has no licence
stated (fan-made sequences collected from the web, like the Lakh MIDI Dataset): use this model for
research and non-commercial work only. For a permissively trained model, train on the permissive
sources alone (set `"sources"` in the config).
"""

#: Licence of each source of ../shared/data (from its README), by folder or archive name.
SOURCE_LICENCES = {
    "freedoom": "BSD-3-Clause", "mma-examples": "GPL-2.0+", "openmsx": "GPL-2.0", "planetblupi": "GPL-3.0+",
    "tegridy-birthday": "CC BY-NC-SA 4.0", "tegridy-children": "CC BY-NC-SA 4.0",
    "tegridy-children-named": "CC BY-NC-SA 4.0", "tegridy-karaoke": "CC BY-NC-SA 4.0",
    "tegridy-original": "Apache-2.0 repository (Tegridy)", "tegridy-rare": "CC BY-NC-SA 4.0",
    "tegridy-select": "CC BY-NC-SA 4.0 (Lakh MIDI files)", "tegridy-extra": "CC BY-NC-SA 4.0",
    "groove": "CC BY 4.0 (Groove MIDI Dataset)", "ultimate-midi-scraper": "none stated (research only)",
    "reubenson-midi-archive": "none stated (research only)", "robertbogankang-midi_files": "none stated (research only)",
    "riddim-dubroom": "CC BY-NC-SA", "simutrans": "Artistic-1.0", "riddim-lakhsubset": "CC BY 4.0",
    "blasphemer": "BSD-3-Clause", "riddim-baroquedub": "CC Sampling 1.0", "dmidiplayer": "GPL-2.0+",
}


def licence_of(source: str) -> str:
    parts = source.split("/")
    for name in reversed(parts):
        if name in SOURCE_LICENCES:
            return SOURCE_LICENCES[name]
    if parts and parts[0] == "groove":
        return SOURCE_LICENCES["groove"]
    return "unknown"


def source_table(data: dict) -> str:
    train = data.get("train_songs_by_source", {})
    val = data.get("validation_songs_by_source", {})
    if not train:
        return "(not recorded)"
    rows = ["| source | licence | train songs | validation songs |", "|---|---|---|---|"]
    for source in sorted(set(train) | set(val)):
        rows.append(f"| {source} | {licence_of(source)} | {train.get(source, 0)} | {val.get(source, 0)} |")
    return "\n".join(rows)

STAT_ROWS = ("hits_per_bar", "bars_with_drums", "backbeat", "syncopation", "repetition", "cymbal_hits_per_bar",
             "density_crash", "crash_on_section_start", "density_intensity_corr")


def write_model_card(model_dir: str | Path) -> Path:
    from ..errors import ModelNotFoundError

    d = Path(model_dir)
    for name in ("config.json", "train_state.json", "data.json", "metrics.json"):
        if not (d / name).is_file():
            raise ModelNotFoundError(f"no {name} here: a model card needs a trained model with its metrics "
                                     "('neuraldrummer train', then 'neuraldrummer validate')", d)
    config = json.loads((d / "config.json").read_text())
    state = json.loads((d / "train_state.json").read_text())
    data = json.loads((d / "data.json").read_text())
    metrics = json.loads((d / "metrics.json").read_text())
    lines = (d / "command.txt").read_text().strip().splitlines() if (d / "command.txt").exists() else ["(unknown)"]
    commands = [n for n in lines if not n.startswith("#")] or ["(unknown)"]
    command = "`, then `".join(commands) + "`" + "".join(f" ({n.lstrip('# ')})" for n in lines if n.startswith("#"))
    gen, hum = metrics["generated"], metrics["human"]
    rows = "\n".join(f"| {k} | {gen[k]:.3f} | {hum[k]:.3f} |" for k in STAT_ROWS if gen.get(k) is not None and hum.get(k) is not None)
    text = TEMPLATE.format(
        name=d.name, path=d, command=command, grid=4 * config["steps_per_beat"], classes=len(config["drum_classes"]),
        features=len(config["feature_names"]), units=config["decoder_units"], best_epoch=state["best_epoch"],
        epochs=state["epoch"], patience=config["patience"], val_loss=state["best_val_loss"],
        train_songs=data["train_songs"], train_steps=data["train_steps"], drum_only=data["train_drum_only_songs"],
        val_songs=data["validation_songs"], val_steps=data["validation_steps"], sources=", ".join(data["sources"]),
        nll_song=metrics["songs"]["nll_bits_per_step"], f1_song=metrics["songs"]["next_step_f1"],
        nll_gmd=metrics.get("drum_only", {}).get("nll_bits_per_step", float("nan")),
        f1_gmd=metrics.get("drum_only", {}).get("next_step_f1", float("nan")),
        val_with_song=metrics["validation_songs_with_song"], stats_rows=rows, dist=metrics["stats_distance"],
        min_bars=metrics["generated_bars_with_drums_min"],
        inputs=" ".join(data.get("corpus_summary", {}).get("inputs", ["FOLDERS"])),
        spb_flag="" if config["steps_per_beat"] == 2 else f" --steps-per-beat {config['steps_per_beat']}",
        corpus_songs=data.get("corpus_summary", {}).get("songs", "?"),
        corpus_files=data.get("corpus_summary", {}).get("files", "?"),
        skipped=data.get("corpus_summary", {}).get("skipped", "?"),
        regridded=data.get("corpus_summary", {}).get("regridded", 0),
        source_table=source_table(data), corpus=data.get("corpus", "CORPUS"),
    )
    out = d / "README.md"
    atomic_write_text(out, text)
    return out
