"""What a service says about its models, as plain data: `Embedder.models()` and, for ids only, `list_models()`.

Both answers are read tolerantly (only what embedkit uses is checked): a card may carry fields or values this
version does not know, so the generated models, whose enums are closed, are not used here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._errors import ResponseValidationError
from ._pricing import CORTECS_SOURCE, Price, mistral_price


@dataclass(frozen=True)
class ModelInfo:
    """One model a key may use: its id, its price per million input tokens, and (cortecs) who serves it.

    `price` is cortecs' own figure (its cheapest provider) or, for Mistral, which publishes none, the dated
    table in `_pricing` (None for a model the table does not know). `aliases` are Mistral's other ids of the
    same model; `providers` are cortecs' providers of it.
    """

    id: str
    price: Price | None
    description: str | None = None
    aliases: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()


def read_models(payload: object, service: str) -> list[ModelInfo]:
    """The cards of a models answer (`GET /v1/models` of Mistral or of cortecs' current API)."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise ResponseValidationError("the models answer has no `data` array")
    return [_card(position, card, service) for position, card in enumerate(data)]


def _card(position: int, card: Any, service: str) -> ModelInfo:
    identifier = card.get("id") if isinstance(card, dict) else None
    if not isinstance(identifier, str) or not identifier:
        raise ResponseValidationError(f"model card {position} has no string `id`")
    description = card.get("description")
    description = description if isinstance(description, str) else None
    if service == "mistral":
        aliases = tuple(a for a in card.get("aliases") or () if isinstance(a, str))
        return ModelInfo(identifier, mistral_price(identifier), description, aliases=aliases)
    return ModelInfo(identifier, _cortecs_price(position, card.get("pricing")), description,
                     providers=_provider_names(card.get("providers")))  # fmt: skip


def _cortecs_price(position: int, pricing: Any) -> Price:
    amount = pricing.get("input_token") if isinstance(pricing, dict) else None
    currency = pricing.get("currency") if isinstance(pricing, dict) else None
    if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0 or not isinstance(currency, str):
        raise ResponseValidationError(
            f"model card {position} has no usable `pricing` (input_token, currency), got {pricing!r}"
        )
    return Price(float(amount), currency, CORTECS_SOURCE)


def _provider_names(providers: Any) -> tuple[str, ...]:
    # cortecs does not document the items' shape: a name, or an object with a `name` (the reference server's).
    names = []
    for provider in providers if isinstance(providers, list) else ():
        name = provider.get("name") if isinstance(provider, dict) else provider
        if isinstance(name, str) and name:
            names.append(name)
    return tuple(names)
