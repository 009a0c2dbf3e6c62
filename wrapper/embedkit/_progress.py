"""Progress bars: a call's, on in a terminal and off otherwise, and a whole job's, moved by its calls' batches.

A bulk job (the CLI's `embed`) sends its texts in calls of thousands; a bar moved when a call ends would sit
still for seconds and then jump. So a job opens one bar and has every call it starts in a thread report to it
(`reporting_to`): the bar then moves as each batch's rows arrive, whichever call they belong to.

A terminal whose size is unknown (a pseudo-terminal nobody sized, as some containers and CI runners give,
reports 0 columns) would make tqdm draw a bar zero characters wide, that is nothing at all; such a bar is drawn
FALLBACK_WIDTH wide instead.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import IO, Any

# The width of a bar whose terminal does not say how wide it is.
FALLBACK_WIDTH = 80

_local = threading.local()


def terminal_width(stream: IO[str] | None = None) -> int | None:
    """The width of the terminal `stream` (default: stderr) writes to, or None when it does not say (0 or unknown)."""
    stream = sys.stderr if stream is None else stream
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return None
    return columns or None


def new_bar(*, total: int | None, unit: str, desc: str, file: IO[str] | None = None) -> Any:
    """A tqdm bar on `file` (default: stderr): as wide as the terminal, following resizes, or FALLBACK_WIDTH wide."""
    from tqdm import tqdm  # imported only when a bar is shown (a process without one never pays for it)

    sized = terminal_width(file) is not None
    return tqdm(
        total=total, unit=unit, desc=desc, file=file, dynamic_ncols=sized, ncols=None if sized else FALLBACK_WIDTH
    )


class SharedBar:
    """A bar several calls advance at once, from several threads (a job's calls run two at a time)."""

    def __init__(self, bar: Any) -> None:
        self._bar = bar
        self._lock = threading.Lock()

    def update(self, texts: int) -> None:
        """Texts just embedded (negative: rows given back by a batch that is being sent again)."""
        with self._lock:
            self._bar.update(texts)

    def close(self) -> None:
        """Finish the bar."""
        with self._lock:
            self._bar.close()


@contextlib.contextmanager
def reporting_to(bar: SharedBar | None) -> Iterator[None]:
    """Calls started in this thread inside the block advance `bar` at each batch instead of drawing their own."""
    previous = getattr(_local, "sink", None)
    _local.sink = bar
    try:
        yield
    finally:
        _local.sink = previous


class Progress:
    """Counts embedded texts; shows a tqdm bar (rate, ETA) on stderr when enabled, or advances a job's bar."""

    def __init__(self, total: int, batches: int, enabled: bool | None) -> None:
        self._bar: Any = None
        self._shared: SharedBar | None = getattr(_local, "sink", None)
        if self._shared is not None:  # a job's call: its batches move the job's bar
            return
        if enabled is None:
            enabled = batches > 1 and sys.stderr.isatty()
        if enabled:
            self._bar = new_bar(total=total, unit="text", desc="embedding")

    def advance(self, texts: int) -> None:
        """Texts just embedded."""
        if self._shared is not None:
            self._shared.update(texts)
        elif self._bar is not None:
            self._bar.update(texts)

    def note(self, describe: Callable[[], str | None]) -> None:
        """Show `describe()` after the bar, when one is shown: the pace the rate budget keeps, learned or given.

        Called only when there is a bar, so a job without one never reads the budget's state for it.
        """
        bar = self._shared._bar if self._shared is not None else self._bar
        if bar is None:
            return
        text = describe()
        if text:
            bar.set_postfix_str(text, refresh=False)

    def close(self) -> None:
        """Finish the call's own bar (a no-op when disabled, or when the bar is a job's)."""
        if self._bar is not None:
            self._bar.close()
