"""What a service says about its models, as plain data: `Embedder.models()`, `Embedder.model_info(id)`, `list_models()`.

The answers are read tolerantly (only what embedkit uses is checked): a card may carry fields or values this
version does not know, so the generated models, whose enums are closed, are not used here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._errors import InputError, ModelNotFoundError, ResponseValidationError
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


def read_model(payload: object, service: str) -> ModelInfo:
    """The card of a one-model answer (Mistral's `GET /v1/models/{model_id}`: a base or a fine-tuned model)."""
    return _card(None, payload, service)


def check_model_id(model_id: Any) -> str:
    """A model id or alias to look up: a non-empty string, or an `InputError` naming `model_id` (nothing sent)."""
    if not isinstance(model_id, str) or not model_id.strip():
        raise InputError(f"model_id must be a non-empty model id, got {model_id!r}", argument="model_id")
    return model_id


def find_model(models: list[ModelInfo], model_id: str, service: str) -> ModelInfo:
    """The card of `model_id` among a models list, by id or by alias; `ModelNotFoundError` if none has it.

    For a service without a route for one model (cortecs): its list holds every card the key may use. The error
    has no `status`: the service answered the list, and nothing in it was this model.
    """
    for model in models:
        if model_id == model.id or model_id in model.aliases:
            return model
    raise ModelNotFoundError(f"{service} lists no model {model_id!r} ({len(models)} models listed)")


def _card(position: int | None, card: Any, service: str) -> ModelInfo:
    name = "the model card" if position is None else f"model card {position}"
    identifier = card.get("id") if isinstance(card, dict) else None
    if not isinstance(identifier, str) or not identifier:
        raise ResponseValidationError(f"{name} has no string `id`")
    description = card.get("description")
    description = description if isinstance(description, str) else None
    if service == "mistral":
        aliases = tuple(a for a in card.get("aliases") or () if isinstance(a, str))
        return ModelInfo(identifier, mistral_price(identifier), description, aliases=aliases)
    return ModelInfo(identifier, _cortecs_price(name, card.get("pricing")), description,
                     providers=_provider_names(card.get("providers")))  # fmt: skip


def _cortecs_price(name: str, pricing: Any) -> Price:
    amount = pricing.get("input_token") if isinstance(pricing, dict) else None
    currency = pricing.get("currency") if isinstance(pricing, dict) else None
    if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0 or not isinstance(currency, str):
        raise ResponseValidationError(f"{name} has no usable `pricing` (input_token, currency), got {pricing!r}")
    return Price(float(amount), currency, CORTECS_SOURCE)


def _provider_names(providers: Any) -> tuple[str, ...]:
    # cortecs does not document the items' shape: a name, or an object with a `name` (the reference server's).
    names = []
    for provider in providers if isinstance(providers, list) else ():
        name = provider.get("name") if isinstance(provider, dict) else provider
        if isinstance(name, str) and name:
            names.append(name)
    return tuple(names)
