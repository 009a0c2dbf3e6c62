"""What embedding costs: the one price table (Mistral), prices read from cortecs' models route, and the sums.

ASSUMPTIONS, to check against https://mistral.ai/pricing before relying on a figure: the Mistral prices below
are its list prices in USD per million input tokens as we recorded them on PRICES_AS_OF, and the batch API is
billed at half the synchronous price (Mistral's batch documentation says "about half", docs.mistral.ai). Neither is
read from the service, which publishes no prices. Override them: `PRICES_PER_MILLION` (a plain dict),
`price_per_million=` (`Embedder.estimate`) or `--price-per-million` (CLI).

cortecs publishes its prices: `GET https://api.cortecs.ai/v1/models` gives each model's price per million
tokens at its cheapest provider, in EUR by default. A request that routing sends to a dearer provider costs
more, so a cortecs figure is a lower bound whenever routing fields exclude the cheapest provider.

Embedding models bill input tokens only (the output price of an embedding model is 0), so a cost is the
tokens billed times the input price.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._errors import ResponseValidationError

PRICES_AS_OF = "2026-10-01"
# USD per 1M input tokens, synchronous API (assumed; see the module docstring).
PRICES_PER_MILLION: dict[str, float] = {
    "mistral-embed": 0.10,
    "codestral-embed": 0.15,
}
BATCH_DISCOUNT = 0.5
MISTRAL_SOURCE = f"Mistral list price as of {PRICES_AS_OF}, assumed: check mistral.ai/pricing"
CORTECS_SOURCE = "cortecs /v1/models: its cheapest provider (routing to another costs more)"


def price_per_million(model: str) -> float | None:
    """The synchronous price of `model` (a versioned id such as mistral-embed-2312 is priced as its family)."""
    for name, price in PRICES_PER_MILLION.items():
        if model == name or model.startswith(f"{name}-"):
            return price
    return None


@dataclass(frozen=True)
class Price:
    """The price of a million input tokens of one model, and where the figure comes from."""

    per_million: float
    currency: str
    source: str

    def of(self, tokens: int) -> Cost:
        """What `tokens` input tokens cost at this price (a negative count, a service's wrong `usage`, is refused)."""
        _check_tokens(tokens)
        amount = tokens / 1_000_000 * self.per_million
        basis = f"{tokens} tokens at {self.per_million:g} {self.currency} per 1M ({self.source})"
        return Cost(amount, self.currency, basis)


@dataclass(frozen=True)
class Cost:
    """An amount of money, its currency, and how it was reckoned (tokens times price, and the price's source)."""

    amount: float
    currency: str
    basis: str

    def __str__(self) -> str:
        return f"{self.amount:.6g} {self.currency} ({self.basis})"

    def __add__(self, other: Cost) -> Cost:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Cost(self.amount + other.amount, self.currency, "sum of " + _without_count(self.basis))


def _check_tokens(tokens: int) -> None:
    """Refuse a negative token count: it comes from a service's `usage`, and would be priced as a refund."""
    if tokens < 0:
        raise ResponseValidationError(f"the service's usage counts {tokens} tokens: a negative count is not priced")


def _without_count(basis: str) -> str:
    # "12 tokens at 0.1 USD per 1M (...)" -> "calls at 0.1 USD per 1M (...)": a sum's basis names no one count.
    head, separator, rest = basis.partition(" tokens at ")
    return f"calls at {rest}" if separator and head.isdigit() else basis.removeprefix("sum of ")


def mistral_price(model: str, *, batch: bool = False, override: float | None = None) -> Price | None:
    """Mistral's price for `model` from the table (or `override`, USD per 1M), at the batch API's rate if asked."""
    per_million = override if override is not None else price_per_million(model)
    if per_million is None:
        return None
    source = "your price" if override is not None else MISTRAL_SOURCE
    if batch:
        return Price(per_million * BATCH_DISCOUNT, "USD", f"batch API at {BATCH_DISCOUNT:.0%} of {source}")
    return Price(per_million, "USD", source)


@dataclass(frozen=True)
class Estimate:
    """What embedding some texts will cost, counted before anything is sent.

    `tokens` are the tokens of the texts that would be sent (`cached` texts are already in the client's cache
    and cost nothing); `exact` says whether they were counted with the model's own tokenizer (Mistral's
    models with the `tokenizer` extra) rather than an upper bound (UTF-8 bytes + 1). `cost` is None when no
    price is known for the model.
    """

    model: str
    texts: int
    cached: int
    tokens: int
    exact: bool
    batch: bool
    cost: Cost | None

    def describe(self) -> str:
        """One line for a person."""
        counted = "exactly" if self.exact else "as an upper bound (install embedkit[tokenizer] for exact counts)"
        cached = f", {self.cached} already cached" if self.cached else ""
        path = "through the batch API" if self.batch else "synchronously"
        price = str(self.cost) if self.cost is not None else "no price known for this model: pass --price-per-million"
        return (
            f"{self.texts} texts{cached}, {self.tokens} tokens to send (counted {counted}) with {self.model} "
            f"{path}: {price}"
        )


@dataclass(frozen=True)
class BatchCost:
    """Tokens a batch job used, what they would cost synchronously and what they cost through the batch API (USD)."""

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


def cost(tokens: int, model: str, *, price: float | None = None) -> BatchCost:
    """The cost of a batch job's `tokens` of `model`, at `price` per million if given, else the table's."""
    _check_tokens(tokens)
    per_million = price if price is not None else price_per_million(model)
    if per_million is None:
        return BatchCost(tokens, None, None, None)
    synchronous = tokens / 1_000_000 * per_million
    return BatchCost(tokens, synchronous, synchronous * BATCH_DISCOUNT, per_million)
