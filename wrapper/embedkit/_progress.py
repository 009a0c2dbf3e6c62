"""A progress bar for calls of several batches: on in a terminal, off otherwise, switchable per client or call."""

from __future__ import annotations

import sys
from typing import Any


class Progress:
    """Counts embedded texts; shows a tqdm bar (rate, ETA) on stderr when enabled."""

    def __init__(self, total: int, batches: int, enabled: bool | None) -> None:
        if enabled is None:
            enabled = batches > 1 and sys.stderr.isatty()
        self._bar: Any = None
        if enabled:
            from tqdm import tqdm  # imported only when a bar is shown (~2 MiB a process without one never pays)

            self._bar = tqdm(total=total, unit="text", desc="embedding", dynamic_ncols=True)

    def advance(self, texts: int) -> None:
        """Texts just embedded."""
        if self._bar is not None:
            self._bar.update(texts)

    def close(self) -> None:
        """Finish the bar (a no-op when disabled)."""
        if self._bar is not None:
            self._bar.close()
