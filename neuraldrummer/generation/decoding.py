"""Drums for a whole song, bar by bar: :func:`generate`.

Each bar is sampled as several takes from the same state (:mod:`.sampling`) and one is kept
(:mod:`.takes`): by the user's controls, by how it follows the song, or, when re-rolling a range,
by how the range leads into the kept bar after it. At the drummers' shares a bar is played again
instead: the bar before or the one before that (:data:`~.takes.REPLAY_SHARES`). The whole song is
drawn as several drafts side by side in one batch; each loses its stray hits (:mod:`.strays`) and the
one that keeps a groove best is kept (:mod:`.drafts`); where none keeps a groove, the song is drawn
again (``draft_rounds``). Then the feel is fitted to the song (:mod:`.feel`), swing and quantisation
applied.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..analysis.drum_map import CRASH, CRASH_CLASSES
from ..analysis.drums import DrumArrays
from ..errors import ConfigError
from .drafts import is_groove, keep_best
from .feel import fit_feel_to_song, raise_drawn_level, song_played_by_hand
from .patterns import START_PATTERNS, cut_into_bars, start_pattern
from .runtime import DrummerRuntime, one_blas_thread
from .sampling import GuidedStepper, sample_bar, step_input
from .settings import GenerationSettings
from .strays import drop_strays
from .takes import (NO_SONG_STEADINESS, REPLAY_KEEPS_REFERENCE, REPLAY_SHARES, REPLAY_SHARES_AFTER_CRASH,
                    crashes_drawn, fills_drawn, follow_scores, score_candidates, sixteenths_target)


def _reference_hits(out: DrumArrays, reference: np.ndarray | None, a: int, e: int) -> np.ndarray | None:
    """Hits already played at the reference steps of steps ``a..e`` (zeros where none)."""
    if reference is None:
        return None
    r = np.asarray(reference[a:e])
    valid = (r >= 0) & (r < a)
    refs = np.zeros((e - a, out.hits.shape[1]), np.float32)
    refs[valid] = out.hits[r[valid]]
    return refs


def generate(runtime: DrummerRuntime, features: np.ndarray, settings: GenerationSettings,
             prompt: DrumArrays | None = None, grid_steps: np.ndarray | None = None,
             reference: np.ndarray | None = None, redo: tuple[int, int] | None = None,
             push: np.ndarray | None = None) -> DrumArrays:
    """Drums for a whole song (``features`` is ``(T, F)``), optionally continuing ``prompt``.

    With a ``prompt`` of ``P`` steps, steps ``0..P-1`` are the prompt (kept exactly)
    and generation continues from step ``P``. With controls set, each bar is chosen among
    ``settings.candidates`` sampled bars by log-likelihood under the model minus the
    distance of its measures to the targets. ``reference`` ``(T,)`` gives each step's
    reference step (see :mod:`neuraldrummer.analysis.structure`): the drums already played there
    are fed to models that take them, so repeated music gets repeated drums.

    ``push`` ``(T,)`` (``EncodedSong.push``): where the song's onsets fall against each step; under a
    song played by hand the drums move with them (:func:`neuraldrummer.generation.feel.fit_feel_to_song`).

    ``redo`` ``(r0, r1)``: steps of whole bars to draw again, ``prompt`` holding the song's
    drums for every step; everything outside the range is returned as it was in ``prompt``
    (see :func:`_redraw_range` for how a take is chosen).
    """
    with one_blas_thread():
        return _generate(runtime, features, settings, prompt, reference, redo, push)


@dataclasses.dataclass
class _Draft:
    """One whole-song take being drawn: its drums so far, the LSTM state and last step after them, its last bar."""

    out: DrumArrays
    state: tuple
    prev: np.ndarray
    previous_bar: np.ndarray | None = None


def _generate(runtime: DrummerRuntime, features: np.ndarray, settings: GenerationSettings,
              prompt: DrumArrays | None, reference: np.ndarray | None, redo: tuple[int, int] | None,
              push: np.ndarray | None = None) -> DrumArrays:
    from ..analysis.features import bar_index

    config = runtime.config
    settings.validate(config)
    style = config.styles.index(settings.style)
    stepper = GuidedStepper(runtime, features, style, settings.style_guidance)
    T = features.shape[0]
    C = runtime.num_classes
    rng = np.random.default_rng(settings.seed)
    controls = settings.active_controls()
    start = settings.start
    if str(start) == "auto":
        # a form-aware model finds its own groove when sampling; the deterministic cut-off never
        # leaves silence on its own (nothing reaches 0.5 from a blank start), so it starts from a beat
        start = ("blank" if "bar_onsets" in config.feature_names and settings.style == "none"
                 and settings.temperature is not None else "basic")
    pattern = (start_pattern(start, config.steps_per_beat, settings.seed, settings.style)
               if prompt is None else DrumArrays.empty(0))
    loop_bars = cut_into_bars(pattern, config.steps_per_beat) if (
        prompt is None and settings.loop_similarity is not None and str(start) not in START_PATTERNS) else []
    K = settings.candidates if (controls or loop_bars) else 1
    names = config.feature_names
    follow = (settings.follow > 0 and settings.temperature is not None
              and not config.blank_song_features  # a no-song ablation does not follow the song either
              and all(n in names for n in ("bar_onsets", "pre_section")))
    if follow:
        K = max(K, settings.follow_candidates)
    if controls and settings.temperature is None:
        raise ConfigError("controls need sampling: give a temperature (the default) rather than --cutoff alone")

    def primed(pattern: DrumArrays):
        """The state and last step after the start pattern (not written); a prompt replaces it."""
        state = stepper.initial_state(1)
        prev = np.zeros((1, 3 * C), np.float32)
        for t in range(pattern.num_steps):
            _, state = stepper.step(t, prev, state)
            prev = step_input(pattern, t)[None, :]
        return state, prev

    # a sequenced song's velocities are drawn sharper (a part's few levels, not a level that wanders);
    # under a song played by hand, and with the model's own feel, at the model's own spread
    draw = settings
    if settings.feel != "song" or song_played_by_hand(features, names, settings.played_by_hand):
        draw = dataclasses.replace(settings, velocity_temperature=1.0)

    P = 0 if prompt is None else min(prompt.num_steps, T)
    # whole-song drafts side by side in one batch; the one that keeps a groove is kept (.drafts)
    n_drafts = (settings.drafts if (prompt is None and redo is None and settings.temperature is not None
                                    and settings.style == "none") else 1)
    starts = [primed(pattern)]
    alternate = settings.alternate_start
    if n_drafts > 1 and str(settings.start) == "auto" and alternate not in ("auto", "none") and alternate != start:
        # every second draft starts from another groove: draws from one start share its habits
        starts.append(primed(start_pattern(alternate, config.steps_per_beat, settings.seed, settings.style)))
    drafts = [_Draft(DrumArrays.empty(T, C), *starts[i % len(starts)]) for i in range(n_drafts)]
    bars = bar_index(features, config.feature_names)
    bar_starts = np.concatenate([[0], np.nonzero(np.diff(bars))[0] + 1, [T]])
    if redo is not None:
        if prompt is None or prompt.num_steps < T:
            raise ConfigError("re-rolling bars needs the song's drums for every step")
        r0, r1 = int(redo[0]), int(redo[1])
        if not (0 <= r0 < r1 <= T) or r0 not in bar_starts or r1 not in bar_starts:
            raise ConfigError(f"the steps to re-roll ({r0}-{r1}) are not whole bars of the song")
        P = r0  # the drums before the range are played in; the range is drawn again
    spb = config.steps_per_beat
    active = features[:, config.feature_names.index("active")] > 0.5
    if follow:
        bar_density = features[:, names.index("bar_onsets")]
        mean_density = float(bar_density[active].mean()) if active.any() else 0.0
        pre_section = features[:, names.index("pre_section")] > 0.5
        if settings.follow_fill_share is not None and "novelty" in names:
            pre_section = fills_drawn(pre_section, features[:, names.index("novelty")], bar_starts,
                                      settings.follow_fill_share, settings.seed)
        crashes = ({} if settings.follow_crash_share is None or not {"section_start", "novelty"} <= set(names)
                   else crashes_drawn(features[:, names.index("section_start")] > 0.5,
                                      features[:, names.index("novelty")], bar_starts, settings.follow_crash_share,
                                      settings.seed))
        # where a crash is drawn, the takes' first step is drawn with the crash cymbal's log-odds raised, so that
        # some take has one to keep even where the model seldom crashes (songs played by hand)
        crash_bias = np.zeros(C, np.float32)
        crash_bias[CRASH] = settings.crash_guidance or 0.0  # the crash cymbal: every kit has it
        odd_target = (sixteenths_target(features, names, spb) if settings.follow_sixteenths is not False
                      and "density" not in controls and "syncopation" not in controls else None)
    # bars played again, as drummers do between the fills (.takes.REPLAY_SHARES)
    replay = (follow and settings.replay_bars and "section_start" in names and not controls and not loop_bars
              and settings.style == "none")
    if replay:
        section_start = features[:, names.index("section_start")] > 0.5
        replay_rng = np.random.default_rng([settings.seed, 29])
        crash_classes = [c for c in CRASH_CLASSES if c < C]

    def replayed(take: _Draft, a: int, e: int, refs: np.ndarray | None) -> np.ndarray | None:
        """The bar that ``take`` plays again at ``a..e``, the bar before or the one before that (drawn at the
        shares of :data:`~.takes.REPLAY_SHARES`), or ``None``. Not where a crash is drawn on a section start.
        ``refs``: the drums already played at the steps whose music these repeat (:func:`_reference_hits`)."""
        if not replay or e <= P or not active[a:e].any() or (section_start[a] and crashes.get(a)):
            return None
        context = "before_section" if pre_section[a] else "section_start" if section_start[a] else "groove"
        shares, L, u = REPLAY_SHARES[context], e - a, replay_rng.random()
        before = int(bar_starts[max(int(np.searchsorted(bar_starts, a)) - 1, 0)])
        if before < a and take.out.hits[before:before + 2][:, crash_classes].any():
            shares = REPLAY_SHARES_AFTER_CRASH  # a bar that opens with a crash is seldom played again
        if u >= sum(shares):
            return None
        back = 1 if u < shares[0] else 2
        s = a - back * L
        i = int(np.searchsorted(bar_starts, s))
        if s < 0 or bar_starts[i] != s or bar_starts[i + 1] != s + L or bar_starts[i + back] != a \
                or not take.out.hits[s:s + L].any():
            return None  # the bar played again is a whole bar as long as this one, the bars between it too
        again = take.out.hits[s:s + L]
        if settings.follow_form is not False and refs is not None and (np.asarray(reference[a:e]) >= 0).all():
            # where the music repeats an earlier bar whose drums differ from those played again, the drums of that
            # bar instead: the same music gets the same drums
            repeated = refs > 0.5
            if repeated.any() and (repeated & again).sum() < REPLAY_KEEPS_REFERENCE * (repeated | again).sum():
                return repeated
        return again.copy()

    def play_bar(bar_number: int, a: int, e: int, takes: list[_Draft]) -> None:
        """Draw bar ``a..e`` of each draft (takes chosen as set out above, all drafts in one batch)."""
        song_plays = bool(active[a:e].any())
        drawn: dict = {}
        pending = list(range(len(takes)))
        bar_refs = [_reference_hits(take.out, reference, a, e) for take in takes]  # None without a reference
        again = [replayed(take, a, e, refs) for take, refs in zip(takes, bar_refs)]
        Kb = K + 1 if any(x is not None for x in again) else K
        for _ in range(1 + (settings.refill_silent_bars if settings.temperature is not None else 0)):
            refs = None if reference is None else np.stack([bar_refs[i] for i in pending])
            batch = sample_bar(stepper, stepper.join([takes[i].state for i in pending]),
                               np.concatenate([takes[i].prev for i in pending]), Kb, a, e, P, prompt, draw, rng, refs,
                               crash_bias if follow and settings.crash_guidance and song_plays and crashes.get(a)
                               else None,
                               replay=None if Kb == K else np.stack([np.zeros((e - a, C), bool) if again[i] is None
                                                              else again[i] for i in pending]))
            states = stepper.split(batch[4], len(pending))
            silent = []
            for j, i in enumerate(pending):
                part = slice(j * Kb, (j + 1) * Kb)
                drawn[i] = (*(x[part] for x in batch[:4]), states[j], batch[5][part], batch[6][part],
                            None if refs is None else refs[j])
                if song_plays and not drawn[i][0].any() and e > P:
                    silent.append(i)
            pending = silent
            if not pending:
                break
        for i, take in enumerate(takes):
            hits, vel, off, loglik, cand_state, cand_prev, expected, refs = drawn[i]
            if again[i] is not None and _plausible(loglik):
                best = Kb - 1  # the bar played again
            else:
                best = _choose(bar_number, a, e, take.previous_bar, song_plays, hits[:K], loglik[:K], expected[:K],
                               refs) if K > 1 else 0
            take.state = stepper.select(cand_state, Kb, best) if Kb > 1 else cand_state
            take.out.hits[a:e], take.out.velocity[a:e], take.out.offset[a:e] = hits[best], vel[best], off[best]
            take.prev, take.previous_bar = cand_prev[best:best + 1], hits[best]

    def _plausible(loglik: np.ndarray) -> bool:
        """Whether the model finds the bar played again (the last take) at least as likely as the least likely of
        its own takes: a bar the music has left behind is drawn anew."""
        return bool(loglik[-1] >= loglik[:-1].min())

    def _choose(bar_number, a, e, previous_bar, song_plays, hits, loglik, expected, refs) -> int:
        """The take kept among ``hits`` (K, L, C) of one draft."""
        loop_bar = loop_bars[bar_number % len(loop_bars)] if loop_bars else None
        if controls or loop_bar is not None:
            score = score_candidates(hits, loglik, controls, previous_bar, spb, settings.control_strength,
                                     loop_bar, settings.loop_similarity)
        else:  # candidates drawn only to follow the song: no pull toward the likeliest (plainest) bar
            score = np.zeros(K)
        if follow:  # without a song (a groove to continue) only the steadiness terms count
            rel = (float(bar_density[a]) + 0.05) / (mean_density + 0.05)
            weight = settings.follow * (1.0 if song_plays else NO_SONG_STEADINESS)
            form = settings.follow_form is not False
            score = score + weight * follow_scores(
                hits, expected, rel, bool(pre_section[a]) and song_plays and form, previous_bar,
                None if refs is None or not form else refs > 0.5,
                density=(song_plays and settings.follow_density and "density" not in controls
                         and "cymbals" not in controls),
                steadiness="repetition" not in controls and loop_bar is None,
                groove=(song_plays and settings.follow_groove and "density" not in controls
                        and "cymbals" not in controls and loop_bar is None),
                density_exponent=settings.follow_density_exponent,
                fill_weight=settings.follow_fill_weight, keep_weight=settings.follow_keep_weight,
                odd_target=odd_target if song_plays and loop_bar is None else None,
                crash=crashes.get(a) if song_plays and "cymbals" not in controls else None)
        if song_plays and e > P:  # never keep a silent take while the song plays
            score = np.where(hits.any(axis=(1, 2)), score, -np.inf)
        if follow and not song_plays and prompt is not None and not controls and loop_bar is None:
            # continuing a groove with no song: draw the take with probability softmax(score)
            p = np.exp(score - score.max())
            return int(rng.choice(K, p=p / p.sum()))
        if follow and not song_plays and not controls and loop_bar is None:
            return 0  # a bar where the song is silent: any take (a pull would keep silence going)
        return int(np.argmax(score))

    for bar_number, (a, e) in enumerate(zip(bar_starts[:-1], bar_starts[1:])):
        a, e = int(a), int(e)
        if e <= P:  # a prompt bar: teacher-force it (a prompt has one draft)
            take = drafts[0]
            for t in range(a, e):
                _, take.state = stepper.step(t, take.prev, take.state)
                take.out.hits[t], take.out.velocity[t], take.out.offset[t] = \
                    prompt.hits[t], prompt.velocity[t], prompt.offset[t]
                take.prev = step_input(take.out, t)[None, :]
            take.previous_bar = take.out.hits[a:e].copy()
            continue
        if redo is not None:
            ranges = [(n, int(x), int(y)) for n, (x, y) in enumerate(zip(bar_starts[:-1], bar_starts[1:]))
                      if r0 <= x < r1]
            nxt = int(bar_starts[np.searchsorted(bar_starts, r1) + 1]) if r1 < T else r1
            out = drafts[0].out
            _redraw_range(play_bar, ranges, drafts[0], prompt, stepper, reference, r0, r1, nxt,
                          settings.redo_candidates)
            out.hits[r1:], out.velocity[r1:], out.offset[r1:] = prompt.hits[r1:], prompt.velocity[r1:], \
                prompt.offset[r1:]
            break
        play_bar(bar_number, a, e, drafts)

    spare = features[:, names.index("pre_section")] > 0.5 if "pre_section" in names else None

    def clean(part: DrumArrays) -> DrumArrays:
        if not settings.drop_strays:
            return part
        return drop_strays(part, bar_starts, spare, P, None if redo is None else r1)
    compound = bool(settings.compound_meter)
    out = keep_best([clean(d.out) for d in drafts], features, names, P, compound)  # scored as written: no strays
    for _ in range(settings.draft_rounds - 1 if n_drafts > 1 else 0):
        if is_groove(out, features, names, P, compound):
            break
        # no draft keeps a groove: the drummer plays the song again (rng goes on, so new drafts)
        drafts = [_Draft(DrumArrays.empty(T, C), *starts[i % len(starts)]) for i in range(n_drafts)]
        for bar_number, (a, e) in enumerate(zip(bar_starts[:-1], bar_starts[1:])):
            play_bar(bar_number, int(a), int(e), drafts)
        out = keep_best([out] + [clean(d.out) for d in drafts], features, names, P, compound)  # ties: the earlier
    if settings.feel == "song":  # the level the model expects, not the one its own draws drift to
        out = raise_drawn_level(out, P, None if redo is None else r1)
    if settings.feel == "song" and settings.swing is None and not config.blank_song_features:
        out = fit_feel_to_song(out, features, config.feature_names, config.steps_per_beat, P,
                               None if redo is None else r1, push, settings.seed, settings.played_by_hand)
    swing = settings.swing if settings.swing is not None else runtime.style_swing(settings.style)
    if swing:
        off_beat = (features[:, config.feature_names.index("on_beat")] < 0.5)
        late = out.hits & off_beat[:, None]
        late[:P] = False
        if redo is not None:
            late[r1:] = False
        out.offset[late] = np.clip(out.offset[late] + swing, -0.45, 0.45)
    if settings.quantized:
        q = out.quantized()
        if redo is not None:  # only the drawn bars
            q.offset[:r0], q.offset[r1:] = out.offset[:r0], out.offset[r1:]
        out = q
    return out


def _redraw_range(play_bar, ranges, start: _Draft, kept: DrumArrays, stepper: "GuidedStepper",
                  reference, r0: int, r1: int, nxt: int, candidates: int) -> None:
    """Draw steps ``r0..r1`` ``candidates`` times from the draft ``start`` and keep, in its drums,
    the take under which the kept next bar (``r1..nxt`` of ``kept``) is likeliest: the new bars
    lead into the drums after them. A take identical to the kept bars counts only if all are."""
    out = start.out
    best = None
    for _ in range(max(1, candidates)):
        take = _Draft(out, start.state, start.prev, start.previous_bar)
        for n, a, e in ranges:
            play_bar(n, a, e, [take])
        state, prev = take.state, take.prev
        fit = 0.0
        refs = _reference_hits(out, reference, r1, nxt)
        for j, t in enumerate(range(r1, nxt)):
            step, state = stepper.step(t, prev, state, None if refs is None else refs[j][None])
            z, h = step.logits[0], kept.hits[t]
            fit -= float((np.maximum(z, 0) - z * h + np.log1p(np.exp(-np.abs(z)))).sum())
            prev = step_input(kept, t)[None, :]
        if np.array_equal(out.hits[r0:r1], kept.hits[r0:r1]):
            fit -= 1e9  # the same bars again: not a re-roll
        if best is None or fit > best[0]:
            best = (fit, out.hits[r0:r1].copy(), out.velocity[r0:r1].copy(), out.offset[r0:r1].copy())
    out.hits[r0:r1], out.velocity[r0:r1], out.offset[r0:r1] = best[1:]
