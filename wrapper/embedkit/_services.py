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

from ._errors import UnknownOptionError, UnsupportedError
from ._options import Options

ServiceName = Literal["mistral", "cortecs"]


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
            raise UnknownOptionError(
                f"{self.name} does not take {', '.join(foreign)}; its options: {', '.join(sorted(self.options))}",
                argument=foreign[0],
            )

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
        """Httpx request arguments for listing models.

        Only Mistral's route is in the contract: cortecs serves its models elsewhere (FACTS.md, "cortecs.ai's
        current API"), and asking Mistral's route at a cortecs URL would only get a confusing 404.
        """
        if self.name != "mistral":
            raise UnsupportedError(f"listing models is not available for {self.name}: the contract has no route for it")
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
