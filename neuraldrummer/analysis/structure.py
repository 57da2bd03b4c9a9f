"""Song form from the pitched parts alone: bars, section starts and repeats.

How sections and repeats are found (written down for the evaluation, issue 10):

* **Bar descriptors.** For every bar: its pitched onsets per grid position (the rhythm),
  a 12-bin chroma of its onsets weighted by velocity (the harmony), which pitched
  instruments sound in it (the instrumentation) and its onset count (the density).
* **Self-similarity.** The cosine similarity of the concatenated, normalised descriptors of
  every pair of bars of equal length is the bar-level self-similarity matrix (SSM).
* **Novelty.** A 2x4-bar checkerboard kernel slid along the SSM's diagonal gives a novelty
  curve (Foote 2000): high where the four bars before are alike, the four after are alike,
  and the two groups differ. Scaled to 0-1 per song.
* **Section starts.** A bar starts a section when the song plays in it and it is the first
  such bar or follows a silent bar, the set of sounding instruments of the two bars from it
  differs from that of the two bars before (Jaccard < 0.5), the mean onset density of the
  four bars from it differs from the four before by a factor of 1.6 or more, the novelty
  curve peaks there above 0.5, or a MIDI marker falls on or just before its downbeat.
  Starts closer than two bars to the previous one are dropped (silence-based ones excepted).
* **Repeats.** For every bar, the *reference bar* is the most similar bar at least four bars
  earlier (same length), where similarity looks at the bar and its neighbours
  (0.25 x previous + 0.5 x this + 0.25 x next). A reference needs similarity >= 0.6.
  The drummer receives the drums of the reference bar at the same position as an input
  (the human drums in training, its own in generation), so a second chorus can play what
  the first one did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..beats.grid import Grid

#: Minimum distance (bars) between a bar and the earlier bar it may repeat.
MIN_REPEAT_LAG = 4
#: A reference bar needs at least this (context) similarity.
MIN_REPEAT_SIMILARITY = 0.6
NOVELTY_HALF = 4


@dataclass
class SongForm:
    """Bar-level form of a song.

    Attributes
    ----------
    active
        ``(B,)`` bool: any pitched note sounds in the bar.
    onsets
        ``(B,)`` float: pitched onsets in the bar.
    novelty
        ``(B,)`` float in [0, 1].
    section_start
        ``(B,)`` bool.
    reference
        ``(B,)`` int: the earlier bar this bar repeats, -1 if none.
    similarity
        ``(B,)`` float: context similarity to the reference bar (0 if none).
    """

    active: np.ndarray
    onsets: np.ndarray
    novelty: np.ndarray
    section_start: np.ndarray
    reference: np.ndarray
    similarity: np.ndarray

    def reference_steps(self, grid: Grid) -> np.ndarray:
        """``(T,)`` int32: for each step, the step at the same position of its bar's reference, or -1."""
        ref = self.reference[grid.bar]
        out = np.where(ref >= 0, grid.bar_starts[np.maximum(ref, 0)] + grid.step_in_bar, -1)
        return out.astype(np.int32)


def _normalise_rows(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.where(norm > 0, x / np.maximum(norm, 1e-9), 0.0)


def analyse_form(notes: dict[str, np.ndarray], grid: Grid, marker_times: np.ndarray | None = None) -> SongForm:
    """Sections and repeats of a song's pitched ``notes`` (see
    :func:`neuraldrummer.analysis.features.pitched_note_arrays`) on its ``grid``."""
    B = grid.num_bars
    lengths = np.asarray(grid.bar_lengths, np.int64)
    max_len = int(lengths.max()) if B else 1
    if notes["start"].size == 0 or B == 0:
        z = np.zeros(B)
        return SongForm(z.astype(bool), z, z, z.astype(bool), np.full(B, -1), z)
    step, _ = grid.nearest_step(notes["start"])
    bar = grid.bar[step]
    pos = grid.step_in_bar[step].astype(np.int64)
    vel = notes["velocity"] / 127.0
    # rhythm: onsets per position (bars shorter than the longest are zero-padded)
    rhythm = np.zeros((B, max_len))
    np.add.at(rhythm, (bar, np.minimum(pos, max_len - 1)), 1.0)
    chroma = np.zeros((B, 12))
    np.add.at(chroma, (bar, notes["pitch"].astype(np.int64) % 12), vel)
    inst = notes.get("instrument", np.zeros(step.size, np.int64)).astype(np.int64)
    n_inst = int(inst.max()) + 1
    # instruments sounding in a bar: any note overlapping it
    first_bar = bar
    end_step, _ = grid.nearest_step(np.maximum(notes["end"] - 1e-3, notes["start"]))
    last_bar = np.maximum(grid.bar[end_step], first_bar)
    playing = np.zeros((B, n_inst), bool)
    span = np.minimum(last_bar - first_bar, 16)  # long drones: mark at most 16 bars
    for k in range(int(span.max()) + 1):
        sel = span >= k
        playing[np.minimum(first_bar[sel] + k, B - 1), inst[sel]] = True
    active = playing.any(axis=1)
    onsets = rhythm.sum(axis=1)

    desc = np.concatenate([_normalise_rows(rhythm), _normalise_rows(chroma),
                           0.7 * _normalise_rows(playing.astype(np.float64))], axis=1)
    desc = _normalise_rows(desc)
    ssm = desc @ desc.T
    same_len = lengths[:, None] == lengths[None, :]
    ssm = np.where(same_len, ssm, 0.0)

    # novelty: checkerboard kernel along the diagonal
    h = NOVELTY_HALF
    novelty = np.zeros(B)
    for b in range(1, B):
        a0, e0 = max(0, b - h), min(B, b + h)
        if b - a0 < 1 or e0 - b < 1:
            continue
        within = (ssm[a0:b, a0:b].mean() + ssm[b:e0, b:e0].mean()) / 2
        across = ssm[a0:b, b:e0].mean()
        novelty[b] = max(within - across, 0.0)
    if novelty.max() > 0:
        novelty = novelty / novelty.max()

    start = np.zeros(B, bool)
    forced = np.zeros(B, bool)
    for b in range(B):
        if not active[b]:
            continue
        if b == 0 or not active[b - 1]:
            start[b] = forced[b] = True
            continue
        before = playing[max(0, b - 2):b].any(axis=0)
        after = playing[b:b + 2].any(axis=0)
        union = (before | after).sum()
        changed_here = (playing[b] != playing[b - 1]).any()
        if union and changed_here and (before & after).sum() / union < 0.5:
            start[b] = True
        d_before, d_after = onsets[max(0, b - 4):b].mean(), onsets[b:b + 4].mean()
        if b >= 2 and max(d_before, d_after) >= 4 and max(d_before, d_after) >= 1.6 * max(min(d_before, d_after), 1e-9):
            start[b] = True
        if (h <= b <= B - h and novelty[b] >= 0.5 and novelty[b] >= novelty[b - 1]
                and (b + 1 >= B or novelty[b] >= novelty[b + 1])):
            start[b] = True
    if marker_times is not None and len(marker_times):
        mstep, moff = grid.nearest_step(np.asarray(marker_times, np.float64))
        for s in mstep:
            b = int(grid.bar[s])
            if grid.step_in_bar[s] > grid.bar_length[s] // 2 and b + 1 < B:
                b += 1
            if active[b]:
                start[b] = True
    last = -10
    for b in range(B):
        if start[b]:
            if b - last < 2 and not forced[b]:
                start[b] = False
            else:
                last = b

    # repeats: most similar bar at least MIN_REPEAT_LAG earlier, in context
    # neighbours that do not exist (before the first bar, after the last) do not count
    prev_sim = np.zeros_like(ssm)
    prev_sim[1:, 1:] = ssm[:-1, :-1]
    next_sim = np.zeros_like(ssm)
    next_sim[:-1, :-1] = ssm[1:, 1:]
    has_prev = np.zeros_like(ssm)
    has_prev[1:, 1:] = 1.0
    has_next = np.zeros_like(ssm)
    has_next[:-1, :-1] = 1.0
    context = (0.5 * ssm + 0.25 * prev_sim + 0.25 * next_sim) / (0.5 + 0.25 * has_prev + 0.25 * has_next)
    reference = np.full(B, -1, np.int64)
    similarity = np.zeros(B)
    for b in range(MIN_REPEAT_LAG, B):
        if not active[b]:
            continue
        cand = context[b, :b - MIN_REPEAT_LAG + 1] * active[:b - MIN_REPEAT_LAG + 1]
        r = int(np.argmax(cand[::-1]))  # ties: the latest
        r = b - MIN_REPEAT_LAG - r
        if cand[r] >= MIN_REPEAT_SIMILARITY and lengths[r] == lengths[b]:
            reference[b], similarity[b] = r, float(cand[r])
    return SongForm(active, onsets, novelty, start, reference, similarity)
