"""What embedding costs, synchronously and through Mistral's batch API: the one price table, and the sums.

ASSUMPTIONS, to check against https://mistral.ai/pricing before relying on a figure: the prices below are
Mistral's list prices in USD per million input tokens as we recorded them on PRICES_AS_OF, and the batch API
is billed at half the synchronous price (Mistral's batch documentation says "about half"; FACTS.md). Neither
is read from the service. Override them: `price_per_million=` (Python) or `--price-per-million` (CLI).
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_AS_OF = "2026-10-01"
# USD per 1M input tokens, synchronous API (assumed; see the module docstring).
PRICES_PER_MILLION: dict[str, float] = {
    "mistral-embed": 0.10,
    "codestral-embed": 0.15,
}
BATCH_DISCOUNT = 0.5


def price_per_million(model: str) -> float | None:
    """The synchronous price of `model` (a versioned id such as mistral-embed-2312 is priced as its family)."""
    for name, price in PRICES_PER_MILLION.items():
        if model == name or model.startswith(f"{name}-"):
            return price
    return None


@dataclass(frozen=True)
class Cost:
    """Tokens a job used, what they would cost synchronously and what they cost through the batch API (USD)."""

    tokens: int
    synchronous: float | None
    batch: float | None
    price_per_million: float | None

    def describe(self) -> str:
        """One line for a person: the tokens, both prices, and where the price came from."""
        if self.price_per_million is None or self.synchronous is None or self.batch is None:
            return f"{self.tokens} tokens (no price known for this model: pass --price-per-million)"
        return (
            f"{self.tokens} tokens: ${self.batch:.4f} in batch, ${self.synchronous:.4f} synchronously "
            f"(at ${self.price_per_million:g} per 1M tokens, batch at {BATCH_DISCOUNT:.0%}; "
            f"assumed prices as of {PRICES_AS_OF}, check mistral.ai/pricing)"
        )


def cost(tokens: int, model: str, *, price: float | None = None) -> Cost:
    """The cost of `tokens` of `model`, at `price` per million if given, else the table's."""
    per_million = price if price is not None else price_per_million(model)
    if per_million is None:
        return Cost(tokens, None, None, None)
    synchronous = tokens / 1_000_000 * per_million
    return Cost(tokens, synchronous, synchronous * BATCH_DISCOUNT, per_million)
