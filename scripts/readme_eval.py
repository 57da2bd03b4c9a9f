"""Print README's "How good is it?" section from reports/test/report.json and benchmark JSON files.

    python scripts/readme_eval.py reports/test/report.json BENCH_DIR
"""

import json
import sys
from pathlib import Path

report = json.loads(Path(sys.argv[1]).read_text())
bench = Path(sys.argv[2])
cols = ("nll_bits_per_step", "next_step_f1", "stats_distance", "hits_per_bar", "syncopation", "repetition", "backbeat",
        "crash_on_section_start", "density_intensity_corr", "bars_with_drums")
out = [f"On the {report['songs']} songs of the test split of `../shared/data/songs` (never used in training or model choice):", "",
       "```bash", "neuraldrummer evaluate ../shared/data/songs --split test --baselines --out reports/test", "```", "",
       "| system | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
for name, row in report["systems"].items():
    out.append(f"| {name} | " + " | ".join("–" if row.get(c) is None else f"{row[c]:.3f}" for c in cols) + " |")
ours = report["systems"]["neuraldrummer"]
out += ["", f"Likelihood, F1 and statistics use the six classes every system has ({', '.join(report['like_for_like_classes'])}). "
        f"On all nine classes the model scores {ours['nll_bits_per_step_9_classes']:.3f} bits per step and F1 "
        f"{ours['next_step_f1_9_classes']:.3f}. The whole run took {report['seconds']:.0f} s. "
        "Full report: `reports/test/report.md`, plots: `reports/test/report.png`.", ""]
dec = json.loads((bench / "decoding.json").read_text())
out += [f"Decoding, on {dec['songs']} validation songs (`{dec['command']}`):", "",
        "| decoding | stats_distance | least bars with drums | hits_per_bar | crashes/bar | open hats/bar | repetition | backbeat |",
        "|---|---|---|---|---|---|---|---|"]
for name, r in dec["settings"].items():
    out.append(f"| {name} | {r.get('stats_distance', '–')} | {r.get('bars_with_drums_min', '–')} | {r['hits_per_bar']} | "
               f"{r['density_crash']} | {r['density_open_hat']} | {r['repetition']} | {r['backbeat']} |")
ctl = json.loads((bench / "controls.json").read_text())
out += ["", f"Controls, style and feel on {ctl['songs']} unseen drumless songs (`{ctl['command']}`); each control's "
        "own measure of the output (hits per bar, cymbal hits per bar, share of onsets off the quarter-note beats, "
        "similarity of neighbouring bars):", "", "| control | low | medium | high |", "|---|---|---|---|"]
for name, r in ctl["controls"].items():
    out.append(f"| {name} | {r['low']} | {r['medium']} | {r['high']} |")
out += ["", f"Ride share: `--style jazz` {ctl['ride_share']['jazz']}, `--style rock` {ctl['ride_share']['rock']}. "
        f"Default output: {ctl['default_distinct_velocities']} distinct velocities, "
        f"{100 * ctl['default_share_of_onsets_off_grid']:.0f}% of onsets off the grid; `--quantized`: "
        f"{ctl['quantized_onsets_off_grid']} off the grid."]
con = json.loads((bench / "continue.json").read_text())
out += ["", f"Groove continuation on {con['beats']} GMD test beats, 2-bar prompts (`{con['command']}`): prompts kept and "
        f"bars added: {con['prompts_kept_and_bars_added']}; bar-to-bar repetition {con['repetition_generated']} "
        f"against the human continuation's {con['repetition_human']} (difference {con['difference']})."]
print("\n".join(out))
