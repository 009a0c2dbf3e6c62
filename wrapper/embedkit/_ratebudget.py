"""One rate budget for every worker that spends the same key: threads, tasks, processes, Dask workers.

The service limits an organisation, not a connection: requests per second and tokens per minute (Mistral's help
centre, help.mistral.ai: the free tier is 1 request/s and 500,000 tokens/min), and parallel workers that each pace or
retry on their own keep
tripping 429s (reported for Dask, Ray and the JS client). So every sender asks one budget first:

- `acquire(tokens)` (or `await acquire_async(tokens)`) waits until one request of `tokens` tokens fits the limits;
- `pause(seconds)` stops everyone sharing the budget, as a 429's `Retry-After` asks (but see "A wait beyond the
  bound", below);
- `observe(status, headers, tokens)` learns from an answer: a 429 pauses; `x-ratelimit-tokens-query-cost` corrects
  what was reserved to what was charged; `x-ratelimit-remaining-tokens-minute` brings the local bucket down to what
  the service says remains (never up: other clients of the key may be spending what it reports).

Each limit is a token bucket whose reservations are made ahead (the level may go below zero; a reservation waits
until it is back at zero), so senders are spaced evenly instead of polling, and one round trip to the shared state
serves each request. The bucket holds half a second of each limit: a client paces from its first request rather
than bursting a minute of tokens into an organisation that may have spent them already, and it paces 2% under the
limits, so that the service's clock and rounding never see it over them. A pause empties the buckets
and starts their refill at its end, so the requests that were waiting resume spaced out, not in lockstep, and a
little jitter is added to each pause, and to each wait behind it unless a request rate spaces them already (a
jitter on top of the rate would bring two requests closer than it allows). A pause also cancels the reservations
made before it (a generation number tells), so nobody who was already waiting sends during it.

Limits are learned, not only configured. With none given, the budget learns the service's pace from its answers,
into the shared state, so every worker of the key paces to it: `x-ratelimit-limit-tokens-minute` sets the tokens
per minute, `x-ratelimit-limit-req-minute` (or `-req-second`) the requests per second, and a 429 that is not about
tokens teaches a request rate where no header gave one. Until the first answer of a key is seen, its first request
goes alone and the others wait for it (at most `PROBE_WAIT`): a burst of a whole window into a key limited to 1
request/s would be refused but for one. Once a tokens/min limit is learned, each request reserves its exact token
count (the client's guard counts it then, `acquire` asking its cost again before each try), not the batcher's
bound (3-4x the exact count for prose: reserving it paced a free-tier job of full batches at 0.8 of its token
limit). A full batch (11,000-16,000 tokens) is more than the token bucket holds (half a second of the free tier's
500,000 tokens/min): it is reserved below zero and waits, like any reservation made ahead.

Where no header tells the request rate, it is found by probing, as few 429s as the search allows:

- A service that tells its token limits but not its request limit (Mistral's reported headers are
  `x-ratelimit-*-tokens-minute` and `-tokens-month`; its limit per second shows only as 429s) is limited per
  request too, and a client given no limit starts at `DEFAULT_LEARNED_RATE` (Mistral's free tier: 1 request/s)
  rather than releasing everything held behind the first request at once: with 16 requests in flight that burst
  was refused but for one or two (the bench's "429s only" rows: 44-47% of requests answered 429).
  A service that tells no limit at all is not paced until its first 429: most keys are not limited below what a
  client sends, and pacing them from 1 request/s would slow every job's first seconds.
- The first 429 of a key paced by nothing sets the rate to one request per `Retry-After`, or to the rate the
  service answered over the last window (`accepted_rps`, at least `LESSON_SPACING` long) when that is higher: what
  it answered, it evidently allows. Either is a rate the service has shown, not a multiplicative guess.
- Then the rate probes upward: once it has run clean for `probe_spacing` seconds (`FREE_TIER_TRUST` at the free
  tier's pace: a short job there sends no probe, each of which would be a 429) and `PROBE_ANSWERS` answers, it
  is the last good rate (`good_rps`) and the next step is `growth` times it higher: doubling at first (a slow
  start: a paid tier's 10 requests/s is found a few seconds after the first step), and after each probe
  refused, half the step (down to `MIN_GROWTH`: the search narrows on the limit) and twice the spacing (up to
  `MAX_PROBE_SPACING`: a key at its limit is refused about once a minute, not every few requests, as the
  1%-per-answer climb was).
- A 429 during a probe (the rate above the last good one) falls back to the last good rate at once; when that
  probe was the first step above the free tier's pace, the key is a free one, and the next probe is a minute
  away (`MAX_PROBE_SPACING`), not a few seconds: a free key is refused at most once a minute. A 429 at a
  rate that had run clean (the service's limit went down, or another client of the key took its share) slows to
  the rate the service answered over the last window, but never below `DECREASE` of the rate (so 429s a service
  sends at random, not for a limit, do not stall the job). Either way, at most one lesson per burst of 429s
  (`LESSON_SPACING`, or the 429's `Retry-After` if longer): the requests sent together are refused together.
- A request-rate header ends the search: its figure is the rate. A 429 at it (a busy thread sent two requests
  close together, or another client of the key took its share) slows to `DECREASE` of it, or to the rate the
  service answered if higher, and each answer after brings it 1% back towards the figure.
A limit given (`requests_per_second=`, `tokens_per_minute=`) always wins over a learned one. A request that can
never fit the tokens per minute (given or learned) is an `InputError` at once, not a wait forever.

The state lives behind one of three back ends: `LocalBackend` (a lock; the clients of one process share it by
key and URL), `FileBackend` (a row of a SQLite table, updated in `BEGIN IMMEDIATE` transactions: every process on
the machine using the file), `ActorBackend` (a Dask actor holding a `LocalBackend`: every worker of a cluster).
A client closes the budget it made when it closes (`close()`: a file's connection is released, and a closed budget
raises `ClosedError`); one passed to it is its owner's to close.

A budget is the key's, not a client's: it is named by the key and the URL (`budget_name`), never by the limits,
so every client of one key shares one state (its pause after a 429, its bucket levels), whatever limits each was
given. Each client reserves by its own limits against that shared state (a `RateBudget` is one client's handle:
its limits and the shared back end): its rates refill the levels, its capacities cut them, its waits are reckoned
at its rates, and a bucket it does not limit is left to the others (each bucket has its own refill moment). Not
the smallest limit any client gave: the state outlives its clients (in a file, across processes) and nothing tells
when the client with the smaller figure is gone, so a stale or mistyped figure would slow every later client of
the key for good, and a client told no limit would be paced by another's. Together the clients never send faster
than the largest of their limits (each request is charged to the shared levels, and no caller refills them faster
than its own rate); one with a smaller limit than the others keeps to it only roughly while they refill the
buckets faster. The service has one limit per key: clients that give two have a setting to fix, and meanwhile
the budget errs no further than the largest figure.

A wait beyond the bound: a 429 whose `Retry-After` is longer than the caller's policy accepts
(`RetryPolicy.max_retry_after`, 60 s by default) ends that call at once with `RetryAfterTooLongError`, and pauses
the others sharing the budget only `GAVE_UP_PAUSE` (a second), not the pause's cap (`max_pause`, 60 s). The
service did ask the key to wait, so the senders queued behind the refused request do not all go at once into a key
that has just refused: they hold a second, then resume at the learned pace. But a pause of the cap would only delay
them: each would then send, be told the same long wait and give up the same way (or, with a larger bound, wait it
out on its own 429, which the policy does, not the budget); it would hold the caller's own next call, and the next
process of a shared file, for a minute before that same error; and nobody agreed to wait it, as the call that was
asked has already given up. Any wait for the budget ends within `STOP_POLL` of a stop (Ctrl-C, an error elsewhere
in the call) or of `close()`.

Time is `time.monotonic()`, never the wall clock: stepping the system clock (NTP, a user, a VM's resume) must not
stall every sender, nor let them all through at once. On Linux it is `CLOCK_MONOTONIC` (checked:
`time.get_clock_info("monotonic")`), one clock for every process of the machine, counted from its boot, so the
moments stored in a `FileBackend`'s file mean the same to each process opening it (macOS and Windows read a
machine-wide since-boot counter too). It restarts at each boot, and a time namespace (some containers) may offset
it: a moment stored further ahead than any pause reaches (`WINDOW`) was read on another clock, and the budget is
clamped to now (emptied, not paused), never waited for.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import math
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import astuple, dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from ._errors import ClosedError, DeadlineExceededError, InputError

# Below these, a wait for one request would be hours (and 1e-300 would overflow a sleep): a typo, not a limit.
MIN_REQUESTS_PER_SECOND = 1 / 3600
MIN_TOKENS_PER_MINUTE = 1.0

# How much the buckets hold: half a second of each limit (at least one request). Less than the service's own
# bucket (a second of requests, a minute of tokens) by design: the first request of a burst may reach the service
# later than the others (a new connection), squeezing the burst there; the difference absorbs that.
BURST_SECONDS = 0.5
# Extra pause, as a fraction of it (at most MAX_JITTER seconds), so that budgets that are not shared (other
# machines, other clients of the key) do not resume in step either.
PAUSE_JITTER = 0.1
MAX_JITTER = 1.0
# Pace a little under the limits: the service's clock, its rounding and the moment it counts a request differ
# from ours, and a request refused for a millisecond's difference costs a whole Retry-After.
HEADROOM = 0.98
# What a 429 without a readable Retry-After pauses for.
DEFAULT_PAUSE = 1.0
# What a 429 asking a wait beyond the caller's bound pauses the others for (see the module's docstring): a second,
# so that those queued behind it do not all go at once, and not the minute nobody will wait.
GAVE_UP_PAUSE = DEFAULT_PAUSE
# The longest pause a budget may be set to take (`RateBudget(max_pause=...)`; a longer Retry-After is cut to it).
MAX_PAUSE = 120.0
# Learning: how long the other senders wait for the first answer of a key (its limits still unknown), and how often
# they look; a 429's first guess when it says nothing (Mistral's free tier: about 1 request/s); the slowest rate a
# 429 can teach; the slowdown after a burst of 429s and the speed-up after each request answered.
PROBE_WAIT = 2.0
PROBE_POLL = 0.02
DEFAULT_LEARNED_RATE = 1.0
MIN_LEARNED_RATE = 1 / 60
DECREASE = 0.7
# Back towards a header's figure after a 429 at it: 1% a request answered.
INCREASE = 1.01
# At most one slowdown per this many seconds (or the 429's Retry-After, if longer); the answered rate is measured
# over windows at least this long.
LESSON_SPACING = 1.0
# Probing for a rate no header tells (see the module's docstring): the first step (1.0: double), the smallest step
# (5%: within the pacing's own headroom of the limit), the first spacing between steps, the spacing after a probe
# was refused (several seconds, so that a probe is judged on several requests) and its cap (a key at its limit is
# refused about once a minute), and the answers a rate must get before it counts as good (two: one request
# answered tells nothing of a rate).
FIRST_GROWTH = 1.0
MIN_GROWTH = 0.05
FIRST_PROBE_SPACING = 1.0
PROBE_SPACING = 4.0
# How long the free tier's pace (DEFAULT_LEARNED_RATE) runs clean before the first probe above it. A free key's
# answers carry token headers only, under a limit of 1 request/s per key (a user's probe of the free tier's
# headers, r/MistralAI "Mistral API quota and rate limits pools analysis for Free Tier plan", 2026-02-23:
# https://www.reddit.com/r/MistralAI/comments/1rc8rwf/), so a probe at such a key is a 429; and a 5,000-text job is
# about ten requests: probing after one second made two of its twelve requests 429s (0.74 of the limit). After ten
# seconds such a job never probes, and a longer one still finds a paid tier's rate within seconds of that (the
# steps after a clean first one come FIRST_PROBE_SPACING apart).
FREE_TIER_TRUST = 10.0
MAX_PROBE_SPACING = 60.0
PROBE_ANSWERS = 2
# A probe counts only if the service answered at least this share of the pace (see `_probe`); and reservations at a
# rate being probed are made at most LEARNED_HORIZON seconds (or one request) ahead, so that a step takes effect
# at once instead of after a queue reserved at the old rate.
CONFIRM = 0.8
LEARNED_HORIZON = 1.0
# A learned request rate is paced a little further under (with HEADROOM, 95% of it): a service's bucket of one
# request a second has no room for a request sent 20 ms early after one sent 20 ms late (a busy thread, the GIL).
LEARNED_HEADROOM = 0.97
# How far ahead of the clock a stored moment can be: a pause (at most MAX_PAUSE) and its jitter. A moment further
# ahead was read on another clock (a file from a previous boot, a clock that jumped): clamped, never waited for.
WINDOW = MAX_PAUSE + MAX_JITTER


@dataclass(frozen=True)
class RateLimits:
    """The organisation's limits as the caller knows them; None means not limited.

    `requests_per_second` and `tokens_per_minute` are the two limits Mistral sets per organisation.
    """

    requests_per_second: float | None = None
    tokens_per_minute: float | None = None

    def __post_init__(self) -> None:
        for name in ("requests_per_second", "tokens_per_minute"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise InputError(f"{name} must be a positive, finite number, got {value!r}", argument=name)
            least = MIN_REQUESTS_PER_SECOND if name == "requests_per_second" else MIN_TOKENS_PER_MINUTE
            if value < least:
                raise InputError(
                    f"{name} must be at least {least:.6g} (a request would wait hours, or overflow), got {value!r}",
                    argument=name,
                )

    @property
    def enabled(self) -> bool:
        """Whether any limit is set (without one, the budget only carries pauses)."""
        return self.requests_per_second is not None or self.tokens_per_minute is not None


# (seconds to wait before sending, or None: not reserved; the generation of the reservation)
Reservation = tuple[float | None, int]


@dataclass
class BudgetState:
    """A budget's whole state: the two bucket levels, when each was last refilled, the pause, the generation.

    Nothing in it depends on the limits, so clients of one key with different limits share it (see the module's
    docstring). Each bucket has its own refill moment: a client that limits only one of them brings only that one
    up to date, and the other's refill is not lost. The moments are never before `paused_until`'s effect: a pause
    moves them to its end, so nothing refills during the pause. `generation` grows with every pause; a reservation
    made in an older one is void.
    """

    requests: float
    tokens: float
    requests_updated: float
    tokens_updated: float
    paused_until: float = 0.0
    generation: int = 0
    # What was learned from the answers (see the module's docstring): whether one was seen (1) yet, until when the
    # first request is alone in flight, the learned requests/s (0: none) and the most a header allows (0: none said),
    # the learned tokens/min (0: none), and the moment before which a 429 teaches nothing more (the same burst).
    observed: int = 0
    probe_until: float = 0.0
    learned_rps: float = 0.0
    ceiling_rps: float = 0.0
    learned_tpm: float = 0.0
    learned_at: float = 0.0
    # Requests answered (not 429) since `accepted_since`, and the rate measured over the last full window.
    accepted: int = 0
    accepted_since: float = 0.0
    accepted_rps: float = 0.0
    # Probing for a request rate no header tells (see the module's docstring): the last rate that ran clean (0: none
    # yet), the next step as a fraction of it, the seconds a rate must run clean, the moment it may step again, and
    # the answers since the last change.
    good_rps: float = 0.0
    growth: float = FIRST_GROWTH
    probe_spacing: float = FIRST_PROBE_SPACING
    probe_at: float = 0.0
    probe_answers: int = 0


@dataclass(frozen=True)
class Answer:
    """What an answer says about the limits, read from its status and headers (see `RateBudget.observe`)."""

    status: int
    cost: int
    # Requests per second and tokens per minute a header gave as the key's limits (None: not said).
    requests_limit: float | None = None
    tokens_limit: float | None = None
    charged: int | None = None
    remaining: int | None = None
    asked: float | None = None
    # A 429 asking a wait beyond the caller's bound (the call gave up): it tells no pace (a day's wait is a quota or a
    # ban, and one request per Retry-After would be one a minute), so it teaches no request rate.
    gave_up: bool = False

    @property
    def token_limited(self) -> bool:
        """A 429 about tokens: the service says fewer remain this minute than the request costs."""
        return self.remaining is not None and self.remaining < max(1, self.cost)


def effective(limits: RateLimits, state: BudgetState) -> RateLimits:
    """The limits to pace to: each one given, else the one learned (None where neither is known)."""
    requests = limits.requests_per_second or (state.learned_rps * LEARNED_HEADROOM) or None
    tokens = limits.tokens_per_minute or state.learned_tpm or None
    if requests == limits.requests_per_second and tokens == limits.tokens_per_minute:
        return limits
    return RateLimits(requests, tokens)


def _probed(state: BudgetState) -> float:
    """The request rate paced to while it is searched for (see `effective`)."""
    return state.learned_rps * LEARNED_HEADROOM


def _capacities(limits: RateLimits) -> tuple[float, float]:
    requests = max(1.0, (limits.requests_per_second or 0.0) * BURST_SECONDS)
    tokens = (limits.tokens_per_minute or 0.0) / 60 * BURST_SECONDS
    return requests, tokens


def fresh_state(now: float) -> BudgetState:
    """A budget nobody has spent yet: both buckets full (infinite: each caller's refill cuts them to its capacity).

    Not the capacities of whoever made it: the first client of a key may have no limits, or other ones.
    """
    return BudgetState(math.inf, math.inf, now, now)


def _rates(limits: RateLimits) -> tuple[float, float]:
    """Requests and tokens per second, with the headroom; 0 for a limit not set."""
    return (limits.requests_per_second or 0.0) * HEADROOM, (limits.tokens_per_minute or 0.0) / 60 * HEADROOM


def _refill(state: BudgetState, limits: RateLimits, now: float) -> None:
    """Bring the buckets `limits` limits up to `now`, at its rates and to its capacities; leave the others alone."""
    requests, tokens = _capacities(limits)
    request_rate, token_rate = _rates(limits)
    if limits.requests_per_second is not None:
        elapsed = max(0.0, now - state.requests_updated)
        state.requests = min(requests, state.requests + elapsed * request_rate)
        state.requests_updated = max(state.requests_updated, now)
    if limits.tokens_per_minute is not None:
        elapsed = max(0.0, now - state.tokens_updated)
        state.tokens = min(tokens, state.tokens + elapsed * token_rate)
        state.tokens_updated = max(state.tokens_updated, now)


def clamp(state: BudgetState, now: float) -> None:
    """A state whose moments lie further ahead than any pause reaches: start from now, empty, rather than wait.

    Those moments were read on another clock: a file written before a reboot (the monotonic clock restarts), in
    another time namespace, or by a clock that stepped back (a test's). Waiting for them could stall every sender
    for hours; emptying (not filling) the buckets keeps from a burst into a key that may have been spent meanwhile.
    """
    state.probe_until = min(state.probe_until, now + PROBE_WAIT)
    state.learned_at = min(state.learned_at, now + WINDOW)
    state.accepted_since = min(state.accepted_since, now)
    state.probe_at = min(state.probe_at, now + MAX_PROBE_SPACING)
    if max(state.requests_updated, state.tokens_updated, state.paused_until) <= now + WINDOW:
        return
    # Empty, and no queue either: reservations made on the other clock mean nothing on this one.
    state.requests = state.tokens = 0.0
    state.requests_updated = state.tokens_updated = now
    state.paused_until = min(state.paused_until, now)


def reserve(
    state: BudgetState, limits: RateLimits, cost: int, now: float, held: int | None, max_wait: float | None,
    jitter: Callable[[float], float],
) -> tuple[float | None, int]:  # fmt: skip
    """Reserve one request of `cost` tokens: (seconds to wait before sending, the reservation's generation).

    `held` is the generation of a reservation already made: still valid, it is waited for already (0 s). A wait
    longer than `max_wait` is not reserved at all: (None, generation). While the first request of a key whose limits
    are unknown is in flight, nothing is reserved: (seconds to look again, -1). Changes `state` in place.
    """
    if held is not None and held == state.generation:
        return 0.0, held
    clamp(state, now)
    limits = effective(limits, state)
    if limits.tokens_per_minute is not None and cost > limits.tokens_per_minute:
        raise never_fits(cost, limits.tokens_per_minute, learned=limits.tokens_per_minute == state.learned_tpm)
    if not limits.enabled and not state.observed:
        paused = max(0.0, state.paused_until - now)
        if state.probe_until <= now and not paused:
            state.probe_until = now + PROBE_WAIT  # this request goes first, alone
            return 0.0, state.generation
        wait = max(paused, min(PROBE_POLL, state.probe_until - now))
        if max_wait is not None and wait > max_wait:
            return None, state.generation
        return wait, -1
    _refill(state, limits, now)
    requests, tokens = state.requests, state.tokens
    if limits.requests_per_second is not None:
        requests -= 1
    if limits.tokens_per_minute is not None:
        tokens -= cost
    request_rate, token_rate = _rates(limits)
    queued = -requests / request_rate if request_rate else 0.0
    behind = max(queued, -tokens / token_rate if token_rate else 0.0, 0.0)
    paused = max(0.0, state.paused_until - now)
    probing = state.learned_rps and not state.ceiling_rps and limits.requests_per_second == _probed(state)
    if probing and request_rate and (early := queued - max(LEARNED_HORIZON, 1 / request_rate)) > PROBE_POLL:
        # Not reserved yet (see LEARNED_HORIZON): look again when it would be, at whatever rate is learned then.
        # Only the queue of requests is held back, as it is the rate being probed: a request of more tokens than
        # the token bucket holds waits past the horizon whatever happens (the bucket stops filling at its
        # capacity), and held back for that it was never reserved (a free-tier job of full batches hung).
        wait = paused + early
        if max_wait is not None and wait > max_wait:
            return None, state.generation
        return wait, -1
    wait = paused + behind
    if paused and not limits.requests_per_second:
        # Spread those resuming at the pause's end; a request rate spaces them already, and a jitter on top of it
        # would bring the next one closer than the rate (at 1 request/s, up to a tenth of a second: a 429).
        wait += jitter(paused)
    if max_wait is not None and wait > max_wait:
        return None, state.generation
    state.requests, state.tokens = requests, tokens
    return wait, state.generation


def pause(state: BudgetState, seconds: float, now: float) -> None:
    """Nobody sends for `seconds`: the buckets are empty, refill from the pause's end, reservations made are void.

    At most WINDOW: a pause stored further ahead would be taken for a moment of another clock (see `clamp`).
    """
    clamp(state, now)
    until = now + min(seconds, WINDOW)
    if until <= state.paused_until:
        return
    state.paused_until = until
    state.requests = state.tokens = 0.0
    state.requests_updated = max(state.requests_updated, until)
    state.tokens_updated = max(state.tokens_updated, until)
    state.generation += 1


def never_fits(cost: int, tokens_per_minute: float, *, learned: bool) -> InputError:
    """The error for a request larger than a whole minute of tokens: no wait would ever let it through."""
    source = "learned from the service's x-ratelimit-limit-tokens-minute" if learned else "tokens_per_minute"
    return InputError(
        f"a request of {cost} tokens can never fit a budget of {tokens_per_minute:g} tokens/min ({source}): "
        f"raise tokens_per_minute, or lower max_batch_tokens to at most {max(1, math.floor(tokens_per_minute))}",
        argument="tokens_per_minute",
    )


def learn(state: BudgetState, limits: RateLimits, answer: Answer, now: float) -> None:
    """Learn the key's limits from an answer (see the module's docstring); a 429's pause is `pause`'s."""
    clamp(state, now)
    first = not state.observed
    # When the first request was sent (its answer is this one, most likely): the service's bucket refills from then.
    probe_sent = min(now, state.probe_until - PROBE_WAIT) if state.probe_until else now
    state.observed = 1
    state.probe_until = 0.0
    if answer.requests_limit is not None:
        state.ceiling_rps = answer.requests_limit
        if not state.learned_rps or state.learned_rps > answer.requests_limit:
            if not state.learned_rps:
                # The requests sent before the limit was known spent the service's bucket: start it empty then.
                state.requests = min(state.requests, 0.0)
                state.requests_updated = max(state.paused_until, probe_sent) if first else now
            state.learned_rps = answer.requests_limit
    if answer.tokens_limit is not None:
        state.learned_tpm = answer.tokens_limit  # what remains of the minute caps the bucket (`correct`, below)
        if first and not state.learned_rps and not limits.enabled and answer.status < 400:
            # Limited, but not saying its request rate: start at Mistral's free tier and probe up from there.
            state.probe_spacing = FREE_TIER_TRUST  # `_probe` knows this start by it
            _set_rate(state, DEFAULT_LEARNED_RATE, now)
            state.requests = min(state.requests, 0.0)  # the first request spent the service's bucket
            state.requests_updated = max(state.paused_until, probe_sent)
    if answer.status != 429:
        _count_answered(state, now)
    if answer.status == 429 and not answer.token_limited and not answer.gave_up:
        if now >= state.learned_at:  # once per burst: the 429s of requests sent together teach one lesson
            _refused(state, answer, now)
            if first:
                state.requests, state.requests_updated = 0.0, max(state.requests_updated, now)
            state.learned_at = now + max(answer.asked or 0.0, LESSON_SPACING)
    elif answer.status < 400 and state.ceiling_rps and state.learned_rps < state.ceiling_rps:
        # Below a header's figure (after a 429 at it: noise, or another client of the key): back to it steadily.
        state.learned_rps = min(state.ceiling_rps, state.learned_rps * INCREASE)
    elif answer.status < 400 and state.learned_rps and not state.ceiling_rps:
        _probe(state, now)
    refund = answer.cost - answer.charged if answer.charged is not None and answer.status < 400 else 0
    if refund or answer.remaining is not None:
        correct(state, effective(limits, state), now, refund, answer.remaining)


def _set_rate(state: BudgetState, rate: float, now: float) -> None:
    """Pace to `rate` from now (capped by a header's figure): a new rate is judged on the answers from here on.

    From the end of a pause, if one is on (a 429's): nothing is sent during it, and its silence is not the rate's.
    """
    if state.ceiling_rps:
        rate = min(rate, state.ceiling_rps)
    state.learned_rps = max(MIN_LEARNED_RATE, rate)
    state.probe_at = max(now, state.paused_until) + state.probe_spacing
    state.probe_answers = 0


def _refused(state: BudgetState, answer: Answer, now: float) -> None:
    """A burst's 429 about the request rate: the rate the service has shown, or the last good one (see the docstring).

    A probe refused also halves the next step and doubles the spacing: the search narrows, and slows, near the limit.
    """
    if state.ceiling_rps:  # a header told the rate: a 429 at it is noise or another client; no search
        rate = max(state.learned_rps * DECREASE, state.accepted_rps)
        state.learned_rps = max(MIN_LEARNED_RATE, min(state.ceiling_rps, rate))
        return
    if not state.learned_rps:  # paced by nothing so far: the service's own figures, not a guess
        rate = 1 / answer.asked if answer.asked else DEFAULT_LEARNED_RATE
        _set_rate(state, max(rate, state.accepted_rps), now)
        return
    if state.good_rps and state.learned_rps > state.good_rps:
        rate = state.good_rps
        free_tier = state.good_rps == DEFAULT_LEARNED_RATE and state.growth == FIRST_GROWTH
        state.growth = max(MIN_GROWTH, state.growth / 2)
        state.probe_spacing = min(MAX_PROBE_SPACING, max(PROBE_SPACING, state.probe_spacing * 2))
        if free_tier:  # the first step above the free tier's pace refused: a free key; look again once a minute
            state.probe_spacing = MAX_PROBE_SPACING
    else:  # a rate that had run clean (or was never judged): what the service answered, within DECREASE of it
        rate = max(state.learned_rps * DECREASE, min(state.learned_rps, state.accepted_rps))
        state.good_rps = 0.0  # the rate found clean no longer is; the next that runs clean will be
        state.probe_spacing = max(PROBE_SPACING, state.probe_spacing)
    _set_rate(state, rate, now)


def _probe(state: BudgetState, now: float) -> None:
    """An answer at a rate no header gave: once the rate has run clean long enough, it is good; step above it.

    Clean means answered at about the pace, not only without 429s: requests the client sent slower (reserved at
    an older rate, or a caller that keeps fewer in flight) prove nothing about it, and stepping on them would
    climb without a test, then meet the limit from far above. Such a window starts again.
    """
    state.probe_answers += 1
    if now < state.probe_at or state.probe_answers < PROBE_ANSWERS:
        return
    changed = state.probe_at - state.probe_spacing
    paced = state.learned_rps * HEADROOM * LEARNED_HEADROOM
    if state.probe_answers / max(now - changed, 1e-9) < CONFIRM * paced:  # answers since the change, over its time
        state.probe_at, state.probe_answers = now + state.probe_spacing, 0
        return
    state.good_rps = state.learned_rps
    if state.probe_spacing == FREE_TIER_TRUST:  # the free tier's pace held: the key is paid; search up quickly
        state.probe_spacing = FIRST_PROBE_SPACING
    _set_rate(state, state.learned_rps * (1 + state.growth), now)


def _count_answered(state: BudgetState, now: float) -> None:
    """One more request answered: the answered rate is measured over windows of at least `LESSON_SPACING`.

    The first answer only starts the window (n answers span n - 1 intervals).
    """
    if not state.accepted_since:
        state.accepted_since = now
        return
    state.accepted += 1
    elapsed = now - state.accepted_since
    if elapsed >= LESSON_SPACING:
        state.accepted_rps = state.accepted / elapsed
        state.accepted, state.accepted_since = 0, now


def correct(state: BudgetState, limits: RateLimits, now: float, refund: int, remaining: int | None) -> None:
    """Give back what was reserved but not charged (`refund`; negative: more was charged), then cap the tokens.

    The cap is what the service says remains (`remaining`), never raised to it.
    """
    limits = effective(limits, state)
    if limits.tokens_per_minute is None:
        return
    clamp(state, now)
    _refill(state, limits, now)
    state.tokens = min(state.tokens + refund, _capacities(limits)[1])
    if remaining is not None:
        state.tokens = min(state.tokens, float(remaining))


def _jitter(paused: float) -> float:
    return random.uniform(0, min(MAX_JITTER, PAUSE_JITTER * paused))  # noqa: S311 - spreading, not secrecy


class Backend(Protocol):
    """Where a budget's state lives; every method is one atomic step on it."""

    def reserve(self, limits: RateLimits, cost: int, held: int | None, max_wait: float | None) -> Reservation:
        """See `reserve`."""

    def pause(self, seconds: float) -> None:
        """See `pause`."""

    def correct(self, limits: RateLimits, refund: int, remaining: int | None) -> None:
        """See `correct`."""

    def learn(self, limits: RateLimits, answer: Answer) -> None:
        """See `learn`."""

    def peek(self) -> BudgetState:
        """A copy of the state as it is now (for the progress line and tests)."""

    @property
    def blocking(self) -> bool:
        """Whether a step may block (a file lock, a network round trip): asyncio runs those in a thread."""

    def close(self) -> None:
        """Release what it holds (idempotent); then every step raises `ClosedError`."""


def _closed(what: str) -> ClosedError:
    return ClosedError(f"this rate budget's {what} is closed (its client was closed, or close() was called)")


class LocalBackend:
    """The state in this process, under a lock (held for microseconds: fine on an event loop too).

    `limits` is accepted as before and not needed: the state does not depend on them (see `fresh_state`).
    """

    blocking = False

    def __init__(self, limits: RateLimits | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._state = fresh_state(clock())
        self._lock = threading.Lock()
        self._closed = False

    def _now(self) -> float:
        # Called under the lock, so a close() is seen by every step after it.
        if self._closed:
            raise _closed("state")
        return self._clock()

    def reserve(self, limits: RateLimits, cost: int, held: int | None, max_wait: float | None) -> Reservation:
        """See `reserve`."""
        with self._lock:
            return reserve(self._state, limits, cost, self._now(), held, max_wait, _jitter)

    def pause(self, seconds: float) -> None:
        """See `pause`."""
        with self._lock:
            pause(self._state, seconds, self._now())

    def correct(self, limits: RateLimits, refund: int, remaining: int | None) -> None:
        """See `correct`."""
        with self._lock:
            correct(self._state, limits, self._now(), refund, remaining)

    def learn(self, limits: RateLimits, answer: Answer) -> None:
        """See `learn`."""
        with self._lock:
            learn(self._state, limits, answer, self._now())

    def peek(self) -> BudgetState:
        """A copy of the state."""
        return self.state

    def close(self) -> None:
        """Refuse further steps; it holds nothing else (the process's shared ones are never closed by a client)."""
        with self._lock:
            self._closed = True

    @property
    def state(self) -> BudgetState:
        """A copy of the state (for tests)."""
        with self._lock:
            return BudgetState(**vars(self._state))


# Named anew with each change of columns (the first version's `rate_budget` held wall-clock times and one refill
# moment; `rate_budget_learned` had no probing columns): an older embedkit sharing the file keeps its own table
# rather than misreading this one's rows, or this one its.
FILE_TABLE = "rate_budget_probed"
FILE_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {FILE_TABLE} (
    name TEXT PRIMARY KEY,
    requests REAL NOT NULL,
    tokens REAL NOT NULL,
    requests_updated REAL NOT NULL,
    tokens_updated REAL NOT NULL,
    paused_until REAL NOT NULL,
    generation INTEGER NOT NULL,
    observed INTEGER NOT NULL,
    probe_until REAL NOT NULL,
    learned_rps REAL NOT NULL,
    ceiling_rps REAL NOT NULL,
    learned_tpm REAL NOT NULL,
    learned_at REAL NOT NULL,
    accepted INTEGER NOT NULL,
    accepted_since REAL NOT NULL,
    accepted_rps REAL NOT NULL,
    good_rps REAL NOT NULL,
    growth REAL NOT NULL,
    probe_spacing REAL NOT NULL,
    probe_at REAL NOT NULL,
    probe_answers INTEGER NOT NULL
)
"""
_COLUMNS = (
    "requests, tokens, requests_updated, tokens_updated, paused_until, generation, observed, probe_until, "
    "learned_rps, ceiling_rps, learned_tpm, learned_at, accepted, accepted_since, accepted_rps, good_rps, growth, "
    "probe_spacing, probe_at, probe_answers"
)


class FileBackend:
    """The state as a row of a SQLite table: shared by every process on the machine that opens the same file.

    Each step is one `BEGIN IMMEDIATE` transaction (SQLite's write lock, which holds across processes on a local
    disk; not on a network filesystem). The clock is `time.monotonic()`, which every process of the machine reads
    alike (see the module's docstring; `clock` is for tests); a stored moment from another boot is clamped. The
    file may be the client's cache (a table of its own beside the vectors). A connection is opened per process
    (and again after a fork) and held until `close()`; pickling keeps the path and name only, so Dask can ship it.
    """

    blocking = True

    def __init__(
        self, path: str | os.PathLike[str], name: str, *, timeout: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.path = Path(path)
        self.name = name
        self._timeout = timeout
        self._clock = clock
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._closed = False

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "name": self.name, "_timeout": self._timeout}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], state["name"], timeout=state["_timeout"])  # type: ignore[misc]

    def _open(self) -> sqlite3.Connection:
        if self._closed:  # not reopened: close() released it for good, and a reopened one would leak again
            raise _closed("file connection")
        if self._connection is None or self._pid != os.getpid():
            connection = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            # A lost budget update costs at most a moment of pacing, never data: no need to wait for the disk.
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute(FILE_SCHEMA)
            self._connection, self._pid = connection, os.getpid()
        return self._connection

    def _step(self, change: Callable[[BudgetState, float], Any]) -> Any:
        with self._lock:
            connection = self._open()
            connection.execute("BEGIN IMMEDIATE")
            try:
                now = self._clock()
                row = connection.execute(
                    f"SELECT {_COLUMNS} FROM {FILE_TABLE} WHERE name = ?",  # noqa: S608 - constants, not input
                    (self.name,),
                ).fetchone()
                state = BudgetState(*row) if row else fresh_state(now)
                result = change(state, now)  # each change clamps moments stored on another clock first
                values = astuple(state)
                marks = ", ".join("?" * (len(values) + 1))
                connection.execute(
                    f"INSERT OR REPLACE INTO {FILE_TABLE} (name, {_COLUMNS}) VALUES ({marks})",  # noqa: S608
                    (self.name, *values),
                )
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return result

    def reserve(self, limits: RateLimits, cost: int, held: int | None, max_wait: float | None) -> Reservation:
        """See `reserve`."""
        found: Reservation = self._step(lambda state, now: reserve(state, limits, cost, now, held, max_wait, _jitter))
        return found

    def pause(self, seconds: float) -> None:
        """See `pause`."""
        self._step(lambda state, now: pause(state, seconds, now))

    def correct(self, limits: RateLimits, refund: int, remaining: int | None) -> None:
        """See `correct`."""
        self._step(lambda state, now: correct(state, limits, now, refund, remaining))

    def learn(self, limits: RateLimits, answer: Answer) -> None:
        """See `learn`."""
        self._step(lambda state, now: learn(state, limits, answer, now))

    def peek(self) -> BudgetState:
        """A copy of the state (one read transaction; the row is written back unchanged)."""
        found: BudgetState = self._step(lambda state, now: BudgetState(**vars(state)))
        return found

    def close(self) -> None:
        """Close this process's connection, once (idempotent); then every step raises `ClosedError`.

        Each open connection holds the file, its WAL and its shared-memory index open: a process that makes a
        client per job, without this, keeps them open until the garbage collector finds the client, or runs out.
        """
        with self._lock:
            self._closed = True
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class BudgetActor:
    """The state on one Dask worker, as an actor: every task of the cluster reserves through it.

    Actors run their methods one at a time on their worker, and each call is one round trip from a task.
    """

    def __init__(self, requests_per_second: float | None, tokens_per_minute: float | None) -> None:
        self._local = LocalBackend(RateLimits(requests_per_second, tokens_per_minute))

    def reserve(self, limits: RateLimits, cost: int, held: int | None, max_wait: float | None) -> Reservation:
        """See `reserve`."""
        return self._local.reserve(limits, cost, held, max_wait)

    def pause(self, seconds: float) -> None:
        """See `pause`."""
        self._local.pause(seconds)

    def correct(self, limits: RateLimits, refund: int, remaining: int | None) -> None:
        """See `correct`."""
        self._local.correct(limits, refund, remaining)

    def learn(self, limits: RateLimits, answer: Answer) -> None:
        """See `learn`."""
        self._local.learn(limits, answer)

    def peek(self) -> BudgetState:
        """See `Backend.peek`."""
        return self._local.peek()


class ActorBackend:
    """A budget held by a `BudgetActor` on a Dask cluster (a handle: picklable, usable from any worker)."""

    blocking = True

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self._closed = False

    def _handle(self) -> Any:
        if self._closed:
            raise _closed("Dask actor handle")
        return self.actor

    def bind(self) -> None:
        """Tie the handle to this worker; called from a task's thread.

        The client's own threads, which call the actor, are not Dask's and could not find the worker themselves
        (distributed's `Actor` takes it as an argument).
        """
        from distributed import Actor, get_worker

        handle = self.actor
        self.actor = Actor(handle._cls, handle._address, handle.key, worker=get_worker())  # type: ignore[no-untyped-call]

    def reserve(self, limits: RateLimits, cost: int, held: int | None, max_wait: float | None) -> Reservation:
        """See `reserve`."""
        found: Reservation = self._handle().reserve(limits, cost, held, max_wait).result()
        return found

    def pause(self, seconds: float) -> None:
        """See `pause`."""
        self._handle().pause(seconds).result()

    def correct(self, limits: RateLimits, refund: int, remaining: int | None) -> None:
        """See `correct`."""
        self._handle().correct(limits, refund, remaining).result()

    def learn(self, limits: RateLimits, answer: Answer) -> None:
        """See `learn`."""
        self._handle().learn(limits, answer).result()

    def peek(self) -> BudgetState:
        """See `Backend.peek`."""
        found: BudgetState = self._handle().peek().result()
        return found

    def close(self) -> None:
        """Refuse further steps through this handle; the actor lives on (other jobs of the key may share it)."""
        self._closed = True


def _header_number(headers: Mapping[str, str], name: str) -> float | None:
    """A header's positive, finite number (None: absent or unusable)."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number > 0 else None


def read_answer(status: int, headers: Mapping[str, str], cost: int, asked: float | None) -> Answer:
    """What an answer's status and `x-ratelimit-*` headers say about the key's limits.

    Requests: `x-ratelimit-limit-req-second`, else `x-ratelimit-limit-req-minute` / 60 (reported for api.mistral.ai,
    mistralai/client-ts#169). Tokens: `x-ratelimit-limit-tokens-minute`. Values a `RateLimits` would refuse are
    ignored (a header of 1e-300 must not stall every worker of the key).
    """
    requests = _header_number(headers, "x-ratelimit-limit-req-second")
    if requests is None and (per_minute := _header_number(headers, "x-ratelimit-limit-req-minute")) is not None:
        requests = per_minute / 60
    if requests is not None and requests < MIN_REQUESTS_PER_SECOND:
        requests = None
    tokens = _header_number(headers, "x-ratelimit-limit-tokens-minute")
    if tokens is not None and tokens < MIN_TOKENS_PER_MINUTE:
        tokens = None
    return Answer(
        status, cost, requests, tokens, _header_int(headers, "x-ratelimit-tokens-query-cost"),
        _header_int(headers, "x-ratelimit-remaining-tokens-minute"), asked,
    )  # fmt: skip


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number >= 0 else None


class RateBudget:
    """The requests and tokens every sender of one key may spend, shared through its back end.

    Usually made by the client from its arguments (`requests_per_second=`, `tokens_per_minute=`; shared in the
    process by key and URL, and through the cache's file, or `rate_budget=` a path, by every process using it);
    pass one explicitly to share it otherwise, e.g. `RateBudget.on_dask(...)` across a cluster.

    One object is one handle: `limits` are what its holder paces to, the back end's state is the key's (other
    handles, with other limits, share it: see the module's docstring). `close()` releases the handle (and the back
    end, when the handle owns it: `owns_backend`); a client closes the budgets it made, never one passed to it.
    """

    def __init__(
        self, limits: RateLimits, backend: Backend, *, max_pause: float = 60.0, owns_backend: bool = True
    ) -> None:
        if isinstance(max_pause, bool) or not isinstance(max_pause, int | float) or not 0 < max_pause <= MAX_PAUSE:
            # Stored pauses past MAX_PAUSE would be taken for moments of another clock (see `clamp`).
            raise InputError(
                f"max_pause must be in (0, {MAX_PAUSE:g}] seconds, got {max_pause!r}", argument="max_pause"
            )
        self.limits = limits
        self.backend = backend
        self.max_pause = max_pause
        self.owns_backend = owns_backend
        self._closed = False

    def __repr__(self) -> str:
        closed = ", closed" if self._closed else ""
        return f"RateBudget({self.limits!r}, {type(self.backend).__name__}{closed})"

    @property
    def closed(self) -> bool:
        """Whether `close()` was called: then every use raises `ClosedError`."""
        return self._closed

    def close(self) -> None:
        """Release this handle, and its back end if it owns it (a file's connection); idempotent.

        A handle of the process's shared state (`in_process`) leaves that state to the other clients of the key.
        """
        if self._closed:
            return
        self._closed = True
        if self.owns_backend:
            self.backend.close()

    def _check_open(self) -> None:
        if self._closed:
            raise ClosedError("this rate budget is closed (its client was closed, or close() was called)")

    @classmethod
    def in_process(cls, limits: RateLimits, name: str) -> RateBudget:
        """A handle, paced to `limits`, of the state named `name` in this process (made on first use).

        Every client of this process with that name (its key and URL) shares the state, whatever its limits.
        """
        with _REGISTRY_LOCK:
            backend = _REGISTRY.get(name)
            if backend is None:
                backend = _REGISTRY[name] = LocalBackend()
        return cls(limits, backend, owns_backend=False)

    @classmethod
    def in_file(cls, limits: RateLimits, path: str | os.PathLike[str], name: str) -> RateBudget:
        """The budget named `name` in the SQLite file at `path`: every process of the machine opening it shares it.

        The handle has a connection of its own to the file, which `close()` closes.
        """
        return cls(limits, FileBackend(path, name))

    @classmethod
    def on_dask(cls, limits: RateLimits, client: Any = None, *, name: str = "embedkit-rate-budget") -> RateBudget:
        """A budget held by an actor on the Dask cluster of `client` (default: the current one).

        The same `name` on the same cluster is the same actor, so concurrent jobs with one key share it too.
        """
        if client is None:
            from distributed import get_client

            client = get_client()
        future = client.submit(
            BudgetActor, limits.requests_per_second, limits.tokens_per_minute, actor=True, key=name, pure=False
        )
        return cls(limits, ActorBackend(future.result()))

    # --- the interface ------------------------------------------------------------------------------------------

    def acquire(
        self, tokens: int | Callable[[], int], *, deadline: float | None = None, stopped: threading.Event | None = None
    ) -> bool:
        """Wait until a request of `tokens` tokens fits; False if `stopped` was set meanwhile (nothing is sent then).

        `tokens` may be a function, asked again before each reservation: a cost that depends on what the budget
        learns during the wait (the guard's: exact once a tokens/min limit is learned). `deadline` (a
        `time.monotonic()` moment): raise `DeadlineExceededError` rather than wait past it.
        """
        cost = tokens if callable(tokens) else functools.partial(int, tokens)
        held: int | None = None
        while True:
            wait, held = self._reserve(cost(), held, deadline)
            if wait <= 0:
                return True
            if stopped is None:
                self._sleep(wait)
            elif self._wait(stopped, wait):
                return False

    def _sleep(self, seconds: float) -> None:
        """Sleep `seconds`, in slices: a `close()` from another thread ends it (`ClosedError`) within `STOP_POLL`."""
        ends = time.monotonic() + seconds
        while (left := ends - time.monotonic()) > 0:
            self._check_open()
            time.sleep(min(left, STOP_POLL))

    def _wait(self, stopped: threading.Event, seconds: float) -> bool:
        """Wait `seconds` unless `stopped` is set (True then, at once); a `close()` ends it too (`ClosedError`)."""
        ends = time.monotonic() + seconds
        while (left := ends - time.monotonic()) > 0:
            self._check_open()
            if stopped.wait(min(left, STOP_POLL)):
                return True
        return stopped.is_set()

    async def acquire_async(
        self, tokens: int | Callable[[], int], *, deadline: float | None = None, stopped: threading.Event | None = None
    ) -> bool:
        """`acquire` for asyncio: waits without blocking the event loop; False if `stopped` was set meanwhile.

        The event is looked at every `STOP_POLL` seconds of a wait, so a stopped call ends its waits at once. A
        `tokens` function is asked where the reservation is made: in a thread when the back end blocks.
        """
        cost = tokens if callable(tokens) else functools.partial(int, tokens)
        held: int | None = None
        while True:
            if self.backend.blocking:
                wait, held = await asyncio.to_thread(self._reserve_cost, cost, held, deadline)
            else:
                wait, held = self._reserve_cost(cost, held, deadline)
            if wait <= 0:
                return True
            ends = time.monotonic() + wait
            while (left := ends - time.monotonic()) > 0:
                self._check_open()  # closed meanwhile: ClosedError, not the rest of the wait
                if stopped is not None and stopped.is_set():
                    return False
                await asyncio.sleep(min(left, STOP_POLL))
            if stopped is not None and stopped.is_set():
                return False

    def _reserve_cost(self, cost: Callable[[], int], held: int | None, deadline: float | None) -> tuple[float, int]:
        return self._reserve(cost(), held, deadline)

    def _reserve(self, tokens: int, held: int | None, deadline: float | None) -> tuple[float, int]:
        self._check_open()
        max_wait = None if deadline is None else deadline - time.monotonic()
        wait, generation = self.backend.reserve(self.limits, tokens, held, max_wait)
        if wait is None:
            raise DeadlineExceededError(
                "the call's deadline would pass before the rate budget allows its next request"
                f" ({self.limits.requests_per_second} requests/s, {self.limits.tokens_per_minute} tokens/min)"
            )
        return wait, generation

    def pause(self, seconds: float) -> None:
        """Nobody sharing this budget sends for `seconds` (a little more: jitter), as a 429's Retry-After asks."""
        self._check_open()
        if seconds > 0:
            seconds = min(seconds, self.max_pause)
            self.backend.pause(seconds + _jitter(seconds))

    def observe(
        self, status: int, headers: Mapping[str, str], tokens: int, asked: float | None = None,
        max_wait: float | None = None,
    ) -> None:  # fmt: skip
        """Learn from an answer to a request of `tokens` tokens: a 429 pauses everyone; limit headers correct.

        `asked` is the wait the answer asked for (the policy reads `Retry-After`/`retry-after-ms`); `max_wait` the
        longest the caller's policy waits (`RetryPolicy.max_retry_after`): a 429 asking longer gives the call up,
        and pauses the others only `GAVE_UP_PAUSE` (see the module's docstring).
        """
        self._check_open()
        quota_spent = status == 429 and _header_int(headers, "x-ratelimit-remaining-tokens-month") == 0
        gave_up = status == 429 and asked is not None and max_wait is not None and asked > max_wait
        if status == 429 and not quota_spent:
            # Not for a spent monthly quota: the others should meet its error at once, not wait behind a pause.
            wait = DEFAULT_PAUSE if asked is None else asked
            self.pause(min(wait, GAVE_UP_PAUSE) if gave_up else wait)
        answer = read_answer(status, headers, tokens, asked)
        self.backend.learn(self.limits, replace(answer, gave_up=True) if gave_up else answer)

    def paces_tokens(self) -> bool:
        """Whether requests spend from a tokens/min budget (given, or learned from the service's headers).

        Then a request should reserve what the service will charge, its exact count, not a bound of it.
        """
        self._check_open()
        return self.limits.tokens_per_minute is not None or bool(self.backend.peek().learned_tpm)

    def pace(self) -> str | None:
        """The limits this budget paces to, for a progress line: "1 req/s, 500,000 tok/min (learned)"; None: none.

        A learned rate is shown as learned, before the headroom it is paced with.
        """
        self._check_open()
        state = self.backend.peek()
        requests = self.limits.requests_per_second or state.learned_rps or None
        tokens = self.limits.tokens_per_minute or state.learned_tpm or None
        parts = []
        if requests is not None:
            parts.append(f"{requests:.3g} req/s")
        if tokens is not None:
            parts.append(f"{tokens:,.0f} tok/min")
        if not parts:
            return None
        learned = (requests, tokens) != (self.limits.requests_per_second, self.limits.tokens_per_minute)
        return ", ".join(parts) + (" (learned)" if learned else "")


# The longest single sleep of an async wait: how soon a stop is noticed (threads wait on the event itself).
STOP_POLL = 0.05

# The process's budgets by name (key and URL), never by limits: see the module's docstring.
_REGISTRY: dict[str, LocalBackend] = {}
_REGISTRY_LOCK = threading.Lock()


def budget_name(base_url: str, secret: str) -> str:
    """The budget's name for a key at a URL: a digest, so the key itself is stored and shown nowhere.

    The limits are no part of it: the service limits the key, so every client of the key shares one budget.
    """
    return hashlib.sha256(f"{base_url}\0{secret}".encode()).hexdigest()[:32]
