"""The services, as the generated client describes them: request bodies, routes, and their options.

Mistral, cortecs' current API (`cortecs`: `POST /embeddings` and `GET /models` on `https://api.cortecs.ai/v1`)
and cortecs' older serverless route (`cortecs-serverless`, on `https://cortecs.ai`).

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
from embedkit_generated.api.cortecs import create_cortecs_embeddings, create_serverless_embeddings, list_cortecs_models
from embedkit_generated.api.embeddings import create_embeddings
from embedkit_generated.api.models import list_models, retrieve_model
from embedkit_generated.models import CortecsEmbeddingRequest, EmbeddingRequest, ServerlessEmbeddingRequest
from embedkit_generated.types import UNSET

from ._errors import InputError, UnknownOptionError, UnsupportedError
from ._options import Options

# "cortecs" is cortecs' current API (api.cortecs.ai/v1); "cortecs-serverless" its older route, the seed's.
ServiceName = Literal["mistral", "cortecs", "cortecs-serverless"]
# The tag cortecs' `/v1/models` is asked for: it lists chat models (`Instruct`) unless told otherwise, and does not
# document the tag of its embedding models; `Embedding` is an assumption (the reference server's).
CORTECS_EMBEDDING_TAG = "Embedding"


@dataclass(frozen=True)
class Service:
    """One embeddings API: where it lives, where its key comes from, which options it takes."""

    name: ServiceName
    default_base_url: str
    key_variable: str
    base_url_variable: str
    default_model: str
    options: frozenset[str]
    # The name vectors are cached under: cortecs' two APIs route to the same models and providers, so they compute
    # the same vectors (the base URL, also in the cache key, still separates their hosts).
    family: str = ""

    def check(self, options: Options) -> None:
        """Refuse options the service does not have, naming them, and fallbacks that would silently do nothing."""
        given = {f.name for f in fields(options) if getattr(options, f.name) is not None} - {"model"}
        foreign = sorted(given - self.options)
        if foreign:
            hint = " (cortecs' current API has it: service 'cortecs')" if self.name == "cortecs-serverless" else ""
            raise UnknownOptionError(
                f"{self.name} does not take {', '.join(foreign)}{hint}; its options: {', '.join(sorted(self.options))}",
                argument=foreign[0],
            )
        if options.fallbacks and not options.enable_model_fallback:
            raise InputError("fallbacks are used only with enable_model_fallback=True; pass both", argument="fallbacks")

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
            kwargs = create_embeddings.request_arguments(body=body)
        else:
            # The routing fields both cortecs APIs share; the current one adds three.
            routing: dict[str, Any] = {
                "model": model,
                "input_": texts,
                "preference": options.preference or UNSET,
                "allowed_providers": _unset(options.allowed_providers),
                "eu_native": _unset(options.eu_native),
                "allow_quantization": _unset(options.allow_quantization),
                "encoding_format": encoding,
            }
            if self.name == "cortecs-serverless":
                kwargs = create_serverless_embeddings.request_arguments(body=ServerlessEmbeddingRequest(**routing))
            else:
                cortecs_body = CortecsEmbeddingRequest(
                    **routing,
                    allow_zero_data_retention=_unset(options.allow_zero_data_retention),
                    enable_model_fallback=_unset(options.enable_model_fallback),
                    fallbacks=_unset(options.fallbacks),
                )
                kwargs = create_cortecs_embeddings.request_arguments(body=cortecs_body)
        # orjson serialises a 512-text body several times faster than the json module httpx would use.
        kwargs["content"] = orjson.dumps(kwargs.pop("json"))
        return kwargs

    def models_request(self, *, currency: str = "EUR") -> dict[str, Any]:
        """Httpx request arguments for listing models: Mistral's `/v1/models`, or cortecs' with pricing.

        cortecs' older API has no models route of its own (its models are the current API's, on another host).
        """
        if self.name == "mistral":
            return list_models.request_arguments()
        if self.name == "cortecs":
            return list_cortecs_models.request_arguments(tag=[CORTECS_EMBEDDING_TAG], currency=currency)
        raise UnsupportedError(
            f"{self.name} has no models route; list cortecs' models with its current API (service 'cortecs')"
        )

    def model_request(self, model_id: str) -> dict[str, Any]:
        """Httpx request arguments for one model's card: Mistral's `GET /v1/models/{model_id}` (ids and aliases).

        cortecs has no such route (its cards are read from its models list instead: see `Embedder.model_info`).
        """
        if self.name == "mistral":
            return retrieve_model.request_arguments(model_id)
        raise UnsupportedError(f"{self.name} has no route for one model; read it from its models list")


def _unset(value: Any) -> Any:
    """A request field left out (UNSET) when the caller gave no value; a tuple sent as a JSON list."""
    if value is None:
        return UNSET
    return list(value) if isinstance(value, tuple) else value


MISTRAL = Service(
    name="mistral",
    default_base_url="https://api.mistral.ai",
    key_variable="MISTRAL_API_KEY",
    base_url_variable="MISTRAL_BASE_URL",
    default_model="mistral-embed",
    options=frozenset({"output_dimension", "output_dtype", "encoding_format"}),
    family="mistral",
)

_ROUTING = frozenset({"preference", "allowed_providers", "eu_native", "allow_quantization", "encoding_format"})

CORTECS = Service(
    name="cortecs",
    default_base_url="https://api.cortecs.ai/v1",
    key_variable="CORTECS_API_KEY",
    base_url_variable="CORTECS_BASE_URL",
    default_model="mistral-embed",
    options=_ROUTING | {"allow_zero_data_retention", "enable_model_fallback", "fallbacks"},
    family="cortecs",
)

# The older route (the seed's). Its own base-URL variable: its base URL is not the current API's, and a base
# URL meant for one would send the other's path to the wrong place.
CORTECS_SERVERLESS = Service(
    name="cortecs-serverless",
    default_base_url="https://cortecs.ai",
    key_variable="CORTECS_API_KEY",
    base_url_variable="CORTECS_SERVERLESS_BASE_URL",
    default_model="mistral-embed",
    options=_ROUTING,
    family="cortecs",
)

SERVICES: dict[str, Service] = {"mistral": MISTRAL, "cortecs": CORTECS, "cortecs-serverless": CORTECS_SERVERLESS}
