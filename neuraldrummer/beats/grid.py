"""The song's own step grid, built from its tempo map and time signatures.

One *beat* here is a quarter note, the unit of MIDI tempo, and a step is
``1 / steps_per_beat`` of it: with the default ``steps_per_beat=2`` a step is an eighth
note in every meter (4/4 bars have 8 steps, 3/4 bars 6, 6/8 bars 6, 5/4 bars 10).
pretty_midi's ``get_beats`` would make 6/8 beats dotted quarters, which gives a
different step length in each meter; we therefore lay the grid in ticks, bar by bar
from the time signatures, and convert ticks to seconds through the tempo map, so the
grid (and the drums written on it) follows every tempo change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pretty_midi

from ..errors import EmptySongError, SongTooLongError

#: Refuse grids longer than this many steps (about 6 hours of eighths at 120 bpm).
MAX_STEPS = 100_000


@dataclass(frozen=True)
class TempoMap:
    """Piecewise-constant tempo: anchors in ticks and seconds, and quarter notes per minute."""

    resolution: int
    anchor_ticks: np.ndarray  # (K,) float64
    anchor_times: np.ndarray  # (K,) float64 seconds
    qpm: np.ndarray  # (K,) float64

    @classmethod
    def from_pretty_midi(cls, pm: pretty_midi.PrettyMIDI) -> "TempoMap":
        times, qpm = pm.get_tempo_changes()
        times = np.asarray(times, dtype=np.float64)
        qpm = np.asarray(qpm, dtype=np.float64)
        if times.size == 0 or times[0] > 0:
            times = np.concatenate([[0.0], times])
            qpm = np.concatenate([[120.0], qpm])
        qpm = np.where(qpm > 0, qpm, 120.0)
        ticks = np.zeros_like(times)
        per_second = qpm * pm.resolution / 60.0  # ticks per second in each segment
        ticks[1:] = np.cumsum(np.diff(times) * per_second[:-1])
        return cls(int(pm.resolution), ticks, times, qpm)

    def tick_to_time(self, ticks: np.ndarray) -> np.ndarray:
        ticks = np.asarray(ticks, dtype=np.float64)
        k = np.clip(np.searchsorted(self.anchor_ticks, ticks, side="right") - 1, 0, None)
        return self.anchor_times[k] + (ticks - self.anchor_ticks[k]) * 60.0 / (
            self.qpm[k] * self.resolution
        )

    def time_to_tick(self, times: np.ndarray) -> np.ndarray:
        times = np.asarray(times, dtype=np.float64)
        k = np.clip(np.searchsorted(self.anchor_times, times, side="right") - 1, 0, None)
        return self.anchor_ticks[k] + (times - self.anchor_times[k]) * self.qpm[k] * self.resolution / 60.0

    def qpm_at(self, times: np.ndarray) -> np.ndarray:
        k = np.clip(np.searchsorted(self.anchor_times, np.asarray(times), side="right") - 1, 0, None)
        return self.qpm[k]


@dataclass(frozen=True)
class Grid:
    """Step grid of one song.

    Attributes
    ----------
    steps_per_beat
        Steps per quarter note (2 = eighths, 4 = sixteenths, 8 = 32nds).
    ticks
        ``(T + 1,)`` float64: tick of each step start, and the end of the last step.
    times
        ``(T + 1,)`` float64 seconds of the same boundaries.
    bar
        ``(T,)`` int32 bar index of each step.
    step_in_bar
        ``(T,)`` int16 position of the step inside its bar (0 = downbeat).
    bar_length
        ``(T,)`` int16 number of steps in the step's bar.
    bar_starts
        ``(B,)`` int64 first step of each bar.
    meters
        ``(B, 2)`` int16 time signature (numerator, denominator) of each bar.
    qpm
        ``(T,)`` float32 tempo (quarter notes per minute) at each step.
    tempo_map
        The tempo map used to convert ticks to seconds.
    """

    steps_per_beat: int
    ticks: np.ndarray
    times: np.ndarray
    bar: np.ndarray
    step_in_bar: np.ndarray
    bar_length: np.ndarray
    bar_starts: np.ndarray
    meters: np.ndarray
    qpm: np.ndarray
    tempo_map: TempoMap

    @property
    def num_steps(self) -> int:
        return int(self.bar.shape[0])

    @property
    def num_bars(self) -> int:
        return int(self.bar_starts.shape[0])

    @property
    def bar_lengths(self) -> list[int]:
        """Number of steps in each bar."""
        return self.bar_length[self.bar_starts].tolist()

    @property
    def starts(self) -> np.ndarray:
        """``(T,)`` seconds at which each step starts."""
        return self.times[:-1]

    @property
    def durations(self) -> np.ndarray:
        """``(T,)`` seconds each step lasts."""
        return np.diff(self.times)

    @property
    def downbeat(self) -> np.ndarray:
        """``(T,)`` bool, True on the first step of each bar."""
        return self.step_in_bar == 0

    @property
    def on_beat(self) -> np.ndarray:
        """``(T,)`` bool, True on quarter-note positions of the bar."""
        return self.step_in_bar % self.steps_per_beat == 0

    def nearest_step(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Snap times (seconds) to the nearest step.

        Returns
        -------
        steps
            ``int64`` step index, clipped to the grid.
        offsets
            ``float32`` signed distance to that step in fractions of the step,
            within ``[-0.5, 0.5]`` inside the grid.
        """
        times = np.asarray(times, dtype=np.float64)
        starts = self.starts
        right = np.clip(np.searchsorted(starts, times, side="left"), 0, self.num_steps - 1)
        left = np.clip(right - 1, 0, self.num_steps - 1)
        choose_left = np.abs(times - starts[left]) <= np.abs(starts[right] - times)
        steps = np.where(choose_left, left, right)
        durations = self.durations[steps]
        offsets = (times - starts[steps]) / np.maximum(durations, 1e-9)
        return steps.astype(np.int64), offsets.astype(np.float32)


def _meters(pm: pretty_midi.PrettyMIDI, tempo: TempoMap) -> list[tuple[float, int, int]]:
    """Time signatures as (tick, numerator, denominator), 4/4 at 0 if none is given."""
    out: list[tuple[float, int, int]] = []
    for ts in sorted(pm.time_signature_changes, key=lambda t: t.time):
        num, den = int(ts.numerator), int(ts.denominator)
        if num <= 0 or den <= 0:
            continue
        tick = float(np.round(tempo.time_to_tick(ts.time)))
        if out and abs(out[-1][0] - tick) < 1e-6:
            out[-1] = (tick, num, den)
        else:
            out.append((tick, num, den))
    if not out or out[0][0] > 0:
        out.insert(0, (0.0, 4, 4))
    return out


def build_grid(
    pm: pretty_midi.PrettyMIDI, steps_per_beat: int = 2, end_time: float | None = None
) -> Grid:
    """Build the step grid of a song, covering every bar that starts before its end.

    Parameters
    ----------
    pm
        The song.
    steps_per_beat
        Steps per quarter note.
    end_time
        Seconds at which the song ends; default ``pm.get_end_time()``.

    Raises
    ------
    EmptySongError
        If the song has zero length.
    SongTooLongError
        If the grid would exceed :data:`MAX_STEPS` steps.
    """
    tempo = TempoMap.from_pretty_midi(pm)
    end_time = pm.get_end_time() if end_time is None else float(end_time)
    if not np.isfinite(end_time) or end_time <= 0:
        raise EmptySongError("song has zero length")
    end_tick = float(tempo.time_to_tick(end_time))
    step_ticks = tempo.resolution / steps_per_beat
    meters = _meters(pm, tempo)

    bar_first_ticks: list[np.ndarray] = []
    bar_lengths: list[int] = []
    bar_meters: list[tuple[int, int]] = []
    total_steps = 0
    for k, (start, num, den) in enumerate(meters):
        if start >= end_tick:
            break
        stop = meters[k + 1][0] if k + 1 < len(meters) else end_tick
        bar_ticks = num * 4.0 / den * tempo.resolution
        steps_in_bar = max(1, int(round(bar_ticks / step_ticks)))
        n_bars = int(np.ceil((stop - start) / bar_ticks - 1e-9))
        if k + 1 >= len(meters):  # last meter: bars until the song's end
            n_bars = max(1, n_bars)
        for b in range(n_bars):
            bar_start = start + b * bar_ticks
            # A meter change in the middle of a bar cuts that bar short.
            if k + 1 < len(meters):
                n = min(steps_in_bar, int(np.ceil((stop - bar_start) / step_ticks - 1e-9)))
            else:
                n = steps_in_bar
            if n <= 0:
                continue
            bar_first_ticks.append(bar_start + step_ticks * np.arange(n))
            bar_lengths.append(n)
            bar_meters.append((num, den))
            total_steps += n
            if total_steps > MAX_STEPS:
                raise SongTooLongError(f"song is longer than {MAX_STEPS} grid steps")

    lengths = np.asarray(bar_lengths, dtype=np.int64)
    ticks = np.concatenate(bar_first_ticks)
    last_bar_end = ticks[-1] + step_ticks
    ticks = np.concatenate([ticks, [last_bar_end]])
    bar_starts, bar, step_in_bar = _bars(lengths)
    times = tempo.tick_to_time(ticks)
    return Grid(
        steps_per_beat=int(steps_per_beat),
        ticks=ticks,
        times=times,
        bar=bar,
        step_in_bar=step_in_bar,
        bar_length=lengths[bar].astype(np.int16),
        bar_starts=bar_starts,
        meters=np.asarray(bar_meters, dtype=np.int16).reshape(-1, 2),
        qpm=tempo.qpm_at(times[:-1]).astype(np.float32),
        tempo_map=tempo,
    )


# --- does the tempo map fit the music? -------------------------------------------------

#: An onset is *off the 16th grid* when it is further than this fraction of a 16th note from
#: the nearest 16th (at 120 bpm: 15.6 ms). Onsets placed at random are off with
#: probability 0.75; sequenced music is off about 0% of the time, music played by hand 10-40%.
OFF_GRID_TOLERANCE = 0.125
#: A tempo map whose share of pitched onsets off its 16th grid exceeds this does not fit.
MISFIT_SHARE = 0.5


def sixteenth_offsets(grid: Grid, times: np.ndarray) -> np.ndarray:
    """Signed distance of each time to the nearest 16th note of ``grid``, in 16ths ([-0.5, 0.5])."""
    times = np.asarray(times, np.float64)
    if times.size == 0:
        return np.zeros(0, np.float32)
    steps, offsets = grid.nearest_step(times)
    per16 = 4 / grid.steps_per_beat  # 16ths per step
    position = (grid.step_in_bar[steps] % max(grid.steps_per_beat, 1)) * per16 + offsets * per16
    return (position - np.round(position)).astype(np.float32)


def off_grid_share(grid: Grid, times: np.ndarray, tolerance: float = OFF_GRID_TOLERANCE) -> float:
    """Share of ``times`` (seconds) further than ``tolerance`` 16ths from the grid's nearest 16th."""
    off = sixteenth_offsets(grid, times)
    return float((np.abs(off) > tolerance).mean()) if off.size else 0.0


def constant_tempo_grid(tempo: TempoMap, qpm: float, phase: float, end_time: float, steps_per_beat: int = 2,
                        downbeat_onsets: np.ndarray | None = None, onsets: np.ndarray | None = None) -> Grid:
    """A 4/4 grid at a constant ``qpm`` whose 16ths pass through ``phase`` (seconds).

    ``tempo`` (the file's own tempo map) turns the grid's seconds into the file's ticks, so
    drums written on this grid land where the music is. The beats are the 16th lines on
    which most ``onsets`` fall, and the bar lines go where the ``downbeat_onsets`` (e.g. bass
    onsets) fall most often on beat 1; steps before the first full bar form a pickup bar.
    """
    step = 60.0 / qpm / steps_per_beat
    beat = 60.0 / qpm
    sixteenth = beat / 4
    first_beat = phase % sixteenth
    if onsets is not None and np.asarray(onsets).size:
        pos = np.round((np.asarray(onsets) - first_beat) / sixteenth).astype(np.int64) % 4
        first_beat += int(np.argmax(np.bincount(pos, minlength=4))) * sixteenth
    bar_steps = 4 * steps_per_beat
    bar = 4 * beat
    # which of the four beats is the downbeat
    offset_beats = 0
    if downbeat_onsets is not None and np.asarray(downbeat_onsets).size:
        pos = np.round((np.asarray(downbeat_onsets) - first_beat) / beat).astype(np.int64) % 4
        offset_beats = int(np.argmax(np.bincount(pos, minlength=4)))
    first_downbeat = first_beat + offset_beats * beat
    first_downbeat -= np.floor(first_downbeat / bar) * bar  # earliest downbeat >= 0
    pickup = int(np.floor(first_downbeat / step + 1e-9))
    start = first_downbeat - pickup * step
    if start > 0.5 * step:  # music starting at 0 s belongs to a step just before it, not after
        pickup += 1
        start -= step
    total = pickup + int(np.ceil(max(end_time - first_downbeat, step) / bar - 1e-9)) * bar_steps
    if total > MAX_STEPS:
        raise SongTooLongError(f"song is longer than {MAX_STEPS} grid steps")
    times = start + step * np.arange(total + 1)
    lengths = np.asarray(([pickup] if pickup else []) + [bar_steps] * ((total - pickup) // bar_steps), np.int64)
    meters = np.tile(np.array([[4, 4]], np.int16), (lengths.size, 1))
    return _grid_on_times(tempo, times, lengths, meters, steps_per_beat)


def _bars(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bars of ``lengths`` steps -> (first step of each bar, bar of each step, step in its bar)."""
    bar_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    bar = np.repeat(np.arange(lengths.size, dtype=np.int32), lengths)
    return bar_starts, bar, (np.arange(bar.size) - bar_starts[bar]).astype(np.int16)


def _grid_on_times(tempo: TempoMap, times: np.ndarray, lengths: np.ndarray, meters: np.ndarray,
                   steps_per_beat: int) -> Grid:
    """A grid whose step boundaries are ``times`` (``(T + 1,)`` seconds) in bars of ``lengths`` steps; the
    file's ``tempo`` map turns them into its ticks, and each step's tempo comes from its length."""
    bar_starts, bar, step_in_bar = _bars(lengths)
    return Grid(
        steps_per_beat=int(steps_per_beat),
        ticks=tempo.time_to_tick(times),
        times=times,
        bar=bar,
        step_in_bar=step_in_bar,
        bar_length=lengths[bar].astype(np.int16),
        bar_starts=bar_starts,
        meters=meters,
        qpm=(60.0 / (np.diff(times) * steps_per_beat)).astype(np.float32),
        tempo_map=tempo,
    )


def grid_from_beats(tempo: TempoMap, beats: np.ndarray, positions: np.ndarray, end_time: float,
                    steps_per_beat: int = 2, unit: int = 4) -> Grid:
    """A grid on given beats (seconds) with bars where ``positions`` (each beat's place in its
    bar, 0 = downbeat) say.

    Each beat is cut into ``steps_per_beat`` equal steps, so the grid follows the beats as the
    tempo drifts. A bar of ``n`` beats gets the meter ``n/4`` (``2n/8`` with ``unit`` 8: a compound meter, two
    eighths a beat); beats before the first downbeat form a pickup bar. Steps that start more than half a step
    before 0 s or after ``end_time`` are left out. ``tempo`` (the file's own tempo map) turns the seconds into
    the file's ticks, so drums written on this grid land where the music is.
    """
    beats = np.asarray(beats, np.float64)
    positions = np.asarray(positions, np.int64)
    if beats.size < 2:
        raise EmptySongError("too few beats for a grid")
    frac = np.arange(steps_per_beat) / steps_per_beat
    times = (beats[:-1, None] + np.diff(beats)[:, None] * frac[None, :]).ravel()
    step_beat = np.repeat(np.arange(beats.size - 1), steps_per_beat)
    step_len = np.repeat(np.diff(beats) / steps_per_beat, steps_per_beat)
    keep = (times >= -0.5 * step_len) & (times < end_time)
    first, last = int(np.argmax(keep)), int(keep.size - np.argmax(keep[::-1]))
    times, step_beat = times[first:last], step_beat[first:last]
    if times.size > MAX_STEPS:
        raise SongTooLongError(f"song is longer than {MAX_STEPS} grid steps")
    downbeat_step = (positions[step_beat] == 0) & (np.arange(times.size) % steps_per_beat == (-first) % steps_per_beat)
    downbeat_step[0] = True
    lengths = np.diff(np.append(np.nonzero(downbeat_step)[0], times.size)).astype(np.int64)
    end = times[-1] + (beats[step_beat[-1] + 1] - beats[step_beat[-1]]) / steps_per_beat
    beats_in_bar = np.maximum(1, np.round(lengths / steps_per_beat)).astype(np.int16)
    meters = np.stack([beats_in_bar * (unit // 4), np.full_like(beats_in_bar, unit)], axis=1)
    return _grid_on_times(tempo, np.append(times, end), lengths, meters, steps_per_beat)
