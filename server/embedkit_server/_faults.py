"""Seeded fault injection, so clients can be tested against the failures real networks and services produce.

Off by default. With a rate and a seed, the n-th authenticated request draws from one `random.Random(seed)`
sequence: the same seed gives the same fault sequence for the same order of requests, in any process. A fault
never changes what a successful response contains; it only replaces or damages the response it falls on.

Kinds:
- `429`: rate limited, with `Retry-After` (whole seconds) and `retry-after-ms`;
- `500`, `503`: server errors (503 with `Retry-After`);
- `drop`: the status line and headers are sent, then the connection is closed before any body byte;
- `truncate`: a 200 whose body is cut in half (a complete HTTP message carrying broken JSON);
- `slow`: the right response, after a delay.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass, field

FAULT_KINDS = ("429", "500", "503", "drop", "truncate", "slow")


@dataclass
class FaultPlan:
    """Which requests fail, and how; `rate == 0` means none do."""

    rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = FAULT_KINDS
    retry_after_ms: int = 50
    slow_ms: int = 1500
    _random: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)
    _drawn: int = field(init=False, default=0)
    # The latest draws (None for no fault), for tests and for anyone wondering what a run went through.
    recent: deque[str | None] = field(init=False, repr=False, default_factory=lambda: deque(maxlen=10_000))

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be within [0, 1], got {self.rate}")
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"fault kinds must be among {', '.join(FAULT_KINDS)}, got {', '.join(self.kinds)}")
        self._random = random.Random(self.seed)  # noqa: S311 - reproducibility, not secrecy

    def draw(self) -> str | None:
        """The fault for the next request, or None. Two draws per request keep the sequence independent of kinds."""
        if self.rate == 0.0:
            return None
        with self._lock:
            self._drawn += 1
            roll, pick = self._random.random(), self._random.random()
            fault = self.kinds[int(pick * len(self.kinds))] if roll < self.rate else None
            self.recent.append(fault)
        return fault

    @property
    def drawn(self) -> int:
        """How many requests have drawn so far."""
        return self._drawn
