"""The two services, as the generated client describes them: request bodies, routes, and their options.

Requests are built by the generated client (its attrs request models and each operation's request builder),
so the method, path and body shape come from openapi.yaml and nothing here repeats them. The wrapper sends
them with its own httpx client rather than the generated `AuthenticatedClient`, whose attrs repr would print
the key, and reads responses itself (see _decode.py) rather than through `from_dict`, which would turn every
vector component into a Python float.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

import orjson
from generated_client.api.cortecs import create_serverless_embeddings
from generated_client.api.mistral import create_embeddings, list_models
from generated_client.models import EmbeddingRequest, ServerlessEmbeddingRequest
from generated_client.types import UNSET

ServiceName = Literal["mistral", "cortecs"]


@dataclass(frozen=True)
class Options:
    """Every request field of both services; None means "the service's default"."""

    model: str | None = None
    output_dimension: int | None = None
    output_dtype: Literal["float", "int8", "uint8", "binary", "ubinary"] | None = None
    encoding_format: Literal["float", "base64"] | None = None
    preference: Literal["speed", "cost", "balanced"] | None = None
    allowed_providers: tuple[str, ...] | None = None
    eu_native: bool | None = None
    allow_quantization: bool | None = None

    def merged(self, overrides: dict[str, Any]) -> Options:
        """These options with the non-None `overrides` applied."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values["allowed_providers"] is not None:
            values["allowed_providers"] = tuple(values["allowed_providers"])
        return Options(**values)


@dataclass(frozen=True)
class Service:
    """One embeddings API: where it lives, where its key comes from, which options it takes."""

    name: ServiceName
    default_base_url: str
    key_variable: str
    base_url_variable: str
    default_model: str
    options: frozenset[str]

    def check(self, options: Options) -> None:
        """Refuse options the service does not have, naming them."""
        given = {f.name for f in fields(options) if getattr(options, f.name) is not None} - {"model"}
        foreign = sorted(given - self.options)
        if foreign:
            raise TypeError(f"{self.name} does not take {', '.join(foreign)}; its options: {sorted(self.options)}")

    def request(self, texts: list[str], options: Options) -> dict[str, Any]:
        """Httpx request arguments for embedding `texts`, built by the generated client."""
        model = options.model or self.default_model
        encoding = options.encoding_format or "base64"
        kwargs: dict[str, Any]
        if self.name == "mistral":
            body = EmbeddingRequest(
                model=model,
                input_=texts,
                output_dimension=UNSET if options.output_dimension is None else options.output_dimension,
                output_dtype=options.output_dtype or "float",
                encoding_format=encoding,
            )
            kwargs = create_embeddings._get_kwargs(body=body)
        else:
            cortecs_body = ServerlessEmbeddingRequest(
                model=model,
                input_=texts,
                preference=options.preference or UNSET,
                allowed_providers=UNSET if options.allowed_providers is None else list(options.allowed_providers),
                eu_native=UNSET if options.eu_native is None else options.eu_native,
                allow_quantization=UNSET if options.allow_quantization is None else options.allow_quantization,
                encoding_format=encoding,
            )
            kwargs = create_serverless_embeddings._get_kwargs(body=cortecs_body)
        # orjson serialises a 512-text body several times faster than the json module httpx would use.
        kwargs["content"] = orjson.dumps(kwargs.pop("json"))
        return kwargs

    def models_request(self) -> dict[str, Any]:
        """Httpx request arguments for listing models (Mistral's API has the route)."""
        return list_models._get_kwargs()


MISTRAL = Service(
    name="mistral",
    default_base_url="https://api.mistral.ai",
    key_variable="MISTRAL_API_KEY",
    base_url_variable="MISTRAL_BASE_URL",
    default_model="mistral-embed",
    options=frozenset({"output_dimension", "output_dtype", "encoding_format"}),
)

CORTECS = Service(
    name="cortecs",
    default_base_url="https://cortecs.ai",
    key_variable="CORTECS_API_KEY",
    base_url_variable="CORTECS_BASE_URL",
    default_model="mistral-embed",
    options=frozenset({"preference", "allowed_providers", "eu_native", "allow_quantization", "encoding_format"}),
)

SERVICES: dict[str, Service] = {"mistral": MISTRAL, "cortecs": CORTECS}
