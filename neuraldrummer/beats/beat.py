"""Beats of a song from its notes: for songs played by hand, whose tempo map may mean nothing.

Three ways to the beats, tried in this order by :func:`neuraldrummer.analysis.song.fit_grid`:

* **the file's tempo map, shifted** (:func:`shifted_tempo_map_beats`). Many songs played in by
  hand were saved with a tempo map that follows the playing but starts at an arbitrary phase: the
  music starts a fraction of a beat after tick 0, so every onset is off the file's own grid. In
  the file's ticks the onsets are then periodic; the phase on the 16th note period where most onset
  ticks sit gives the shift (:func:`~neuraldrummer.beats.tempo.modal_phase`), and the 16th that
  carries the most onsets is the beat.
* **one constant tempo** (:func:`constant_tempo_beats`, from
  :func:`~neuraldrummer.beats.tempo.estimate_tempo`), for music played to a click whose file
  says another tempo;
* **a dynamic-programming beat tracker** (:func:`track_beats`, after Ellis 2007 as in
  ``librosa.beat.beat_track``, with the tempo as part of its state as in the bar-pointer models
  of madmom) over the notes' onset strength, for files whose tempo map is unrelated to the music.
  It trades beats on strong onsets against a tempo that changes slowly from beat to beat, so the
  beats follow the tempo as it drifts without jumping onto the off-beat.

All return beat times in seconds. A beat tracker can lock on twice or half the beat the music is
felt in (a ballad at 60 bpm whose 16ths read as eighths of 120):
:func:`~neuraldrummer.beats.beat_level.choose_beat_level` takes the level a listener would tap from the tempo,
the bass's onsets per beat and how the notes fall on the beats. :mod:`.meter` finds the bars.
"""

from __future__ import annotations

import numpy as np

from .grid import TempoMap
from .tempo import modal_phase

#: frames per second of the onset-strength envelope
FPS = 100
#: the tempo prior of the tracker: a log-normal around this many beats per minute ...
PRIOR_BPM = 100.0
#: ... with this standard deviation in octaves
PRIOR_OCTAVES = 1.0
#: how strongly the tracker holds each beat's spacing to the song's global beat period (:func:`track_beats`; in
#: Ellis's tracker, whose only such term it was, "tightness", 100 in librosa) ...
TIGHTNESS = 40.0
#: ... and to the spacing of the beat before (a tempo changes slowly: 1000 x the squared log ratio, 0.4 for a 2%
#: change, 160 for a jump of half a beat). Chosen on the 40 annotated drumless songs without the click and played
#: again with a drifting tempo (``check_handplayed.py --drift``), grids alone, in a scratch count of the sixteenth
#: session: beat F 0.871-0.888 -> 0.904-0.907 under three drifts of 0.05, 0.848 -> 0.907 under 0.08, 0.945 ->
#: 0.946 without the drift, against the Ellis tracker with tightness 100 (librosa's); of 200, 400, 1000, 2000
#: and 4000 with 0, 10, 20 and 40, the most steady of the best
STEADINESS = 1000.0
#: the spacings the tracker considers, as multiples of the global beat period
SPACING_RANGE = (0.7, 1.4)


def onset_weights(velocity: np.ndarray, is_bass: np.ndarray) -> np.ndarray:
    """Weight of each note onset in the beat evidence: louder notes and bass notes count more."""
    return (np.asarray(velocity, np.float64) / 127.0 + 0.1) * (1.0 + np.asarray(is_bass, np.float64))


#: which 16th of a beat is the beat: the one whose onsets carry the most weight times how long their notes last,
#: capped at this many seconds (:func:`held_weights`). Where a song's chords are stabbed on the off-beats, the
#: bass and the held chords still start on the beat; by onset weight alone the grid of 15 of the 28 sequenced
#: training songs whose drummer's backbeat it missed sat an eighth off (``benchmarks/check_drummed_beats.py``)
HELD_CAP_SECONDS = 2.0


def held_weights(weights: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Onset ``weights`` times how long each note lasts (seconds, at most :data:`HELD_CAP_SECONDS`): the weights
    that choose which 16th is the beat (``beat_weights`` of :func:`constant_tempo_beats` and the others)."""
    return np.asarray(weights, np.float64) * np.minimum(np.asarray(end) - np.asarray(start), HELD_CAP_SECONDS)


def strongest_sixteenth(positions: np.ndarray, weights: np.ndarray) -> int:
    """Which of the four 16ths of a beat (0-3) carries the most onset weight: the beat itself.

    ``positions`` are onset positions in 16ths from any 16th line (fractions allowed)."""
    pos = np.round(np.asarray(positions)).astype(np.int64) % 4
    return int(np.argmax(np.bincount(pos, weights=weights, minlength=4)))


def shifted_tempo_map_beats(tempo: TempoMap, onsets: np.ndarray, weights: np.ndarray,
                            end_time: float, beat_weights: np.ndarray | None = None) -> np.ndarray:
    """Beats of the file's tempo map, shifted by a constant number of ticks to fit the onsets.

    Parameters
    ----------
    tempo
        The file's tempo map.
    onsets, weights
        ``(N,)`` note onset times (seconds) and their weights.
    end_time
        Seconds at which the song ends.
    beat_weights
        ``(N,)`` the weights that choose which 16th is the beat (:func:`held_weights`; default ``weights``).

    Returns
    -------
    ``(K,)`` float64 beat times in seconds, from the last beat at or before 0 s to the first
    after ``end_time``.
    """
    ticks = tempo.time_to_tick(np.asarray(onsets, np.float64))
    sixteenth = tempo.resolution / 4.0
    phase = modal_phase(ticks, np.asarray(weights, np.float64), sixteenth)
    beat = phase + strongest_sixteenth((ticks - phase) / sixteenth,
                                       weights if beat_weights is None else beat_weights) * sixteenth
    beat -= np.ceil(beat / tempo.resolution) * tempo.resolution  # the last beat at or before tick 0
    end_tick = float(tempo.time_to_tick(end_time)) + tempo.resolution
    return tempo.tick_to_time(np.arange(beat, end_tick + 1e-9, tempo.resolution))


def constant_tempo_beats(qpm: float, onsets: np.ndarray, weights: np.ndarray, end_time: float,
                         beat_weights: np.ndarray | None = None) -> np.ndarray:
    """Beats at one constant tempo whose 16ths pass where most onsets sit (:func:`modal_phase`), on the
    16th that carries the most onsets (by ``beat_weights``, default ``weights``), from the last beat at or before
    0 s to the first after ``end_time``."""
    beat = 60.0 / qpm
    first = modal_phase(onsets, weights, beat / 4)
    first += strongest_sixteenth((np.asarray(onsets) - first) / (beat / 4),
                                 weights if beat_weights is None else beat_weights) * beat / 4
    first -= np.ceil(first / beat) * beat
    return first + beat * np.arange(int(np.ceil((end_time - first) / beat)) + 2)


def position_in_beat(beats: np.ndarray, onsets: np.ndarray) -> np.ndarray:
    """``(N,)`` where each of ``onsets`` falls in its beat of ``beats`` (sorted, at least two): 0 on the beat, 0.5
    halfway to the next; before the first beat or after the last, counted from the first or the last interval."""
    beats, onsets = np.asarray(beats, np.float64), np.asarray(onsets, np.float64)
    idx = np.clip(np.searchsorted(beats, onsets, side="right") - 1, 0, beats.size - 2)
    return (onsets - beats[idx]) / np.maximum(beats[idx + 1] - beats[idx], 1e-9)


def off_beat_grid_share(beats: np.ndarray, onsets: np.ndarray, tolerance: float = 1 / 32) -> float:
    """Share of ``onsets`` further than ``tolerance`` (in beats) from every 16th and every eighth-note
    triplet of the local beat: how badly ``beats`` fit the music (triplet feels count as fitting)."""
    beats, onsets = np.asarray(beats, np.float64), np.asarray(onsets, np.float64)
    if onsets.size == 0 or beats.size < 2:
        return 1.0
    frac = position_in_beat(beats, onsets)
    d16 = np.abs(frac * 4 - np.round(frac * 4)) / 4
    d3 = np.abs(frac * 3 - np.round(frac * 3)) / 3
    return float((np.minimum(d16, d3) > tolerance).mean())


def onset_envelope(onsets: np.ndarray, weights: np.ndarray, end_time: float, fps: int = FPS) -> np.ndarray:
    """``(N,)`` onset strength per frame: onset weights spread by a 20 ms Gaussian, unit variance."""
    n = int(np.ceil(end_time * fps)) + 1
    env = np.bincount(np.clip(np.round(np.asarray(onsets) * fps).astype(np.int64), 0, n - 1),
                      weights=weights, minlength=n).astype(np.float64)
    k = np.arange(-6, 7)
    env = np.convolve(env, np.exp(-0.5 * (k / 2.0) ** 2), mode="same")
    return env / max(float(env.std()), 1e-9)


def estimate_beat_period(env: np.ndarray, fps: int = FPS, bpm_range: tuple[float, float] = (40.0, 200.0)) -> float:
    """Beat period in frames: the autocorrelation peak of the envelope under a log-normal tempo prior."""
    lags = np.arange(int(fps * 60 / bpm_range[1]), int(fps * 60 / bpm_range[0]) + 1)
    x = env - env.mean()
    spectrum = np.fft.rfft(x, 2 * x.size)
    ac = np.fft.irfft(spectrum * np.conj(spectrum))[: x.size]
    ac = ac[lags] / (x.size - lags)
    bpm = 60.0 * fps / lags
    prior = np.exp(-0.5 * (np.log2(bpm / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)
    return float(lags[int(np.argmax(np.maximum(ac, 0) * prior))])


def bar_repetition(env: np.ndarray, beats: np.ndarray, beats_per_bar: int = 4, fps: int = FPS) -> float:
    """How much the music repeats a bar of ``beats_per_bar`` of ``beats`` later: the autocorrelation of
    the onset envelope ``env`` (:func:`onset_envelope`) at that lag (the best within 30 ms of it), over the
    envelope's variance. Music repeats its bars, so the beat whose bar repeats is the song's; a dotted
    quarter's "bar" of four falls a beat and a half off the song's bars and repeats less."""
    x = env - env.mean()
    lag = int(round(beats_per_bar * float(np.median(np.diff(beats))) * fps))
    best = 0.0
    for k in range(max(lag - 3, 1), min(lag + 4, x.size)):
        best = max(best, float(x[:-k] @ x[k:]) / (x.size - k))
    return best / max(float(x.var()), 1e-12)


def _beat_path(local: np.ndarray, period: float, tightness: float, steadiness: float) -> np.ndarray:
    """Frames of the best chain of beats over the onset strength ``local`` ``(N,)``: each beat scores its
    strength, less ``tightness`` times the squared log ratio of its spacing from the beat before to ``period``
    and ``steadiness`` times that of its spacing to the spacing before. The state is (frame, spacing); a chain
    may start at any frame. All frames within the shortest spacing of each other depend only on earlier ones,
    so they are scored together; the scores are kept for the last frames only (a ring as long as the longest
    spacing and a block), the back-pointers for all, one byte each."""
    n = local.size
    spacing = np.arange(int(np.floor(period * SPACING_RANGE[0])), int(np.ceil(period * SPACING_RANGE[1])) + 1)
    spacing = spacing[spacing >= 1]
    change = (-steadiness * np.log(spacing[:, None] / spacing[None, :]) ** 2).astype(np.float32)  # [this, before]
    prior = (-tightness * np.log(spacing / period) ** 2).astype(np.float32)
    local = np.asarray(local, np.float32)
    shortest, ring = int(spacing[0]), int(spacing[-1]) + int(spacing[0]) + int(period) + 1
    score = np.full((ring, spacing.size), -np.inf, np.float32)  # row t % ring: frame t
    back = np.full((n, spacing.size), -1, np.int8 if spacing.size <= 127 else np.int16)
    first = np.arange(min(shortest, n))
    score[first % ring] = local[first, None] + prior[None, :]
    for t0 in range(shortest, n, shortest):
        frames = np.arange(t0, min(t0 + shortest, n))
        before = frames[:, None] - spacing[None, :]  # the beat before, for each frame and spacing
        inside = before >= 0
        cand = score[np.where(inside, before, 0) % ring] + change[None, :, :]
        j = np.argmax(cand, axis=2)
        best = np.where(inside, np.take_along_axis(cand, j[:, :, None], axis=2)[:, :, 0], -np.inf)
        start = best <= 0  # a chain begins here
        score[frames % ring] = local[frames, None] + prior[None, :] + np.where(start, 0.0, best)
        back[frames] = np.where(start, -1, j)
    # the last beat: the best-scoring one in the final period
    tail = np.arange(max(0, n - int(period)), n)
    t = int(tail[np.argmax(score[tail % ring].max(axis=1))])
    k = int(np.argmax(score[t % ring]))
    path = []
    while True:
        path.append(t)
        j = int(back[t, k])
        if j < 0:
            return np.asarray(path[::-1], np.float64)
        t, k = t - int(spacing[k]), j


def track_beats(onsets: np.ndarray, weights: np.ndarray, end_time: float, fps: int = FPS,
                tightness: float = TIGHTNESS, qpm: float | None = None,
                beat_weights: np.ndarray | None = None, steadiness: float = STEADINESS) -> np.ndarray:
    """Beat times (seconds) by dynamic programming over the notes' onset strength.

    Each beat's score is its onset strength plus the best score of a beat before it, 0.7 to 1.4 global beat
    periods earlier, less ``tightness`` times the squared log ratio of that spacing to the period and
    ``steadiness`` times that of that spacing to the spacing before (:func:`_beat_path`). Ellis (2007) has the
    first term alone, so a few beats of syncopation pay for a jump onto the off-beat and a drifting tempo
    pays at every beat; with the second, the beats drift with the tempo and keep their phase. Beats are
    extended at the global period to cover 0 s to ``end_time``, and moved to the 16th that carries the most
    onsets. ``qpm``: the global period from this tempo instead of the envelope's autocorrelation
    (:func:`estimate_beat_period`); ``beat_weights``: the weights that choose that 16th (:func:`held_weights`;
    default ``weights``).
    """
    env = onset_envelope(onsets, weights, end_time, fps)
    period = estimate_beat_period(env, fps) if qpm is None else fps * 60.0 / qpm
    k = np.arange(-int(period), int(period) + 1)
    local = np.convolve(env, np.exp(-0.5 * (k * 32.0 / period) ** 2), mode="same")
    times = _beat_path(local, period, tightness, steadiness) / fps
    if times.size < 2:
        times = np.arange(0.0, end_time + period / fps, period / fps)
    step = period / fps
    before = times[0] - step * np.arange(int(np.ceil(times[0] / step)), 0, -1)
    after = times[-1] + step * np.arange(1, int(np.ceil((end_time - times[-1]) / step)) + 2)
    times = np.concatenate([before, times, after])
    # which 16th of the tracked beat is the beat: onsets placed in 16ths of the local beat
    shift = strongest_sixteenth(4.0 * position_in_beat(times, onsets), weights if beat_weights is None else beat_weights)
    if shift:
        grid = np.arange(times.size, dtype=np.float64) + shift / 4.0
        times = np.interp(grid, np.arange(times.size), times,
                          right=times[-1] + shift / 4.0 * (times[-1] - times[-2]))
        times = np.concatenate([[times[0] - (times[1] - times[0])], times])
    return times


#: a run of tracked beats off the steady grid shorter than this many beats is a slip of the tracker
#: (:func:`mend_slips`); a longer one is the song's own tempo change, and stays
SLIP_BEATS = 8
#: ... unless it stays on the steady grid's off-beats (all but a fifth of its beats at either end between 0.4 and
#: 0.6 of a beat from the grid's) and is shorter than this: a passage whose syncopations pulled the tracker onto
#: the off-beat (014 of the drumless songs without the click, three passages of 20 beats), not a change of tempo,
#: whose beats would drift from the steady grid's rather than sit half a beat from them
OFF_BEAT_SLIP_BEATS = 64


def _nearest(grid: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Index of the beat of ``grid`` (sorted, at least two) nearest each of ``times``."""
    j = np.clip(np.searchsorted(grid, times), 1, grid.size - 1)
    return np.where(np.abs(times - grid[j - 1]) < np.abs(grid[j] - times), j - 1, j)


def mend_slips(tracked: np.ndarray, steady: np.ndarray, slip_beats: int = SLIP_BEATS) -> np.ndarray:
    """The ``tracked`` beats with their short slips mended from the ``steady`` (constant-tempo) beats.

    Under a hand-played ballad whose 8ths are as strong as its beats, the tracker now and then slips onto
    the off-beat for a few beats and back. Where the tracked beats agree with the steady grid (within an
    eighth of a beat, at the steady grid's level nearest the tracker's) they are kept; a run of fewer than
    ``slip_beats`` beats that disagree between two that agree is replaced by the steady beats between
    them, if there are as many of those (a slip moves the beats, it does not add or drop one). A longer run
    is mended only where it stays half a beat from the steady grid (:data:`OFF_BEAT_SLIP_BEATS`): a passage
    of syncopations can hold the tracker on the off-beat for a few bars. Other longer runs (a tempo change
    the steady grid cannot follow) and the runs at either end stay as tracked. ``steady`` at no level within
    4% of the tracker's tempo leaves the beats as tracked."""
    tracked, steady = np.asarray(tracked, np.float64), np.asarray(steady, np.float64)
    if tracked.size < 3 or steady.size < 3:
        return tracked
    period = float(np.median(np.diff(tracked)))
    ratio = float(np.median(np.diff(steady))) / period
    level = None
    for k in (1, 2, 4):
        if abs(np.log2(ratio * k)) < 0.06:  # the steady beats k times as fast: every k-th
            level = steady[::k]
        elif abs(np.log2(ratio / k)) < 0.06:  # k times as slow: k beats between each two
            level = np.interp(np.arange(0, steady.size - 1 + 1e-9, 1 / k), np.arange(steady.size), steady)
        if level is not None:
            break
    if level is None or level.size < 2:
        return tracked
    near = _nearest(level, tracked)
    agree = np.abs(tracked - level[near]) < period / 8
    out, i, n = [], 0, tracked.size
    while i < n:
        if agree[i]:
            out.append(tracked[i])
            i += 1
            continue
        k = i
        while k < n and not agree[k]:
            k += 1
        between = level[near[i - 1] + 1:near[k]] if 0 < i and k < n else level[:0]
        if k - i < slip_beats:
            slip = between.size == k - i  # a short slip: as many beats, on the steady grid
        else:  # a long one only where it stays on the steady grid's off-beats (half a beat from its beats)
            offset = np.abs(tracked[i:k] - level[near[i:k]]) / period
            low, high = np.percentile(offset, [20, 80])
            slip = k - i < OFF_BEAT_SLIP_BEATS and between.size > 0 and low > 0.4 and high < 0.6
        if slip:
            out.extend(between.tolist())
        else:
            out.extend(tracked[i:k].tolist())
        i = k
    out = np.asarray(out)
    return out[np.concatenate([[True], np.diff(out) > period / 4])]  # no beat twice where runs meet


#: a run of tracked beats off the steady grid at the start or the end of a song is the song's own (a free intro, a
#: last chorus that pulls ahead) where it lasts at least this many beats and does not sit on the steady grid's
#: off-beats (:func:`steady_with_tracked_ends`)
END_RUN_BEATS = 32


def steady_with_tracked_ends(tracked: np.ndarray, steady: np.ndarray, end_beats: int = END_RUN_BEATS) -> np.ndarray:
    """The ``steady`` beats (at the ``tracked`` beats' level), but where the song starts or ends off them: the tracked
    beats before the first one that agrees with a steady beat (within an eighth of a beat), or after the last, where
    there are at least ``end_beats`` of them and their median distance from the steady beats is not near half a
    beat (between 0.35 and 0.65: a slip onto the off-beat, see :func:`mend_slips`). Shorter runs and the runs between
    (the tracker pulled off the beat where the onsets are few, or a beat skipped) take the steady beats."""
    tracked, steady = np.asarray(tracked, np.float64), np.asarray(steady, np.float64)
    if tracked.size < 2 or steady.size < 2:
        return steady
    period = float(np.median(np.diff(tracked)))
    near = _nearest(steady, tracked)
    offset = (tracked - steady[near]) / period
    agree = np.flatnonzero(np.abs(offset) < 1 / 8)
    if agree.size == 0:
        return steady

    def own(run: slice) -> bool:  # long enough, and not half a beat off (the offsets are at most half a beat)
        size = len(range(*run.indices(tracked.size)))
        return size >= end_beats and abs(float(np.median(offset[run]))) < 0.35

    first, last = int(agree[0]), int(agree[-1])
    out = steady
    if own(slice(0, first)):
        out = np.concatenate([tracked[:first], out[out >= steady[near[first]] - period / 4]])
    if own(slice(last + 1, None)):
        out = np.concatenate([out[out <= steady[near[last]] + period / 4], tracked[last + 1:]])
    return out


#: :func:`beat_drift` reads the tracker's distance from the reference beats through a running median of this many
#: beats, so that slips shorter than half of it do not count
DRIFT_WINDOW = 17


def beat_drift(beats: np.ndarray, reference: np.ndarray, onsets: np.ndarray, window: int = DRIFT_WINDOW) -> float:
    """How far ``beats`` depart from ``reference`` beats of the same tempo while the music plays: of the beats
    between the first and the last onset, the distance (in beats of ``reference``, signed) to the nearest
    reference beat, through a running median of ``window`` beats, its 75th percentile in size. A tracker that
    follows a steady grid with a slip now and then stays near 0 (a hundredth of a beat in the 40 annotated
    songs played by hand, with their own maps, a scratch count); one that follows music drifting from the grid,
    a twentieth of a beat or more through a quarter of the song."""
    beats, reference, onsets = (np.asarray(a, np.float64) for a in (beats, reference, onsets))
    inside = beats[(beats >= onsets.min()) & (beats <= onsets.max())] if onsets.size else beats[:0]
    if inside.size == 0 or reference.size < 2:
        return 0.0
    position = np.interp(inside, reference, np.arange(reference.size, dtype=np.float64))
    off = position - np.round(position)
    if off.size >= window:
        off = np.median(np.lib.stride_tricks.sliding_window_view(off, window), axis=1)
    return float(np.percentile(np.abs(off), 75))
