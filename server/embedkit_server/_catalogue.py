"""The models and cortecs providers the reference server knows, and how a cortecs request picks a provider.

The catalogue is the reference server's own: it imitates the shape of the real services (dimensions, which
models take `output_dimension`, providers that differ by region, quantization, speed and price), not their
live model lists or prices. Beside the embedding models, Mistral's side has one fine-tuned model (a completion
model: Mistral fine-tunes no embedding model), so that every operation of Mistral's models API has something to
act on: it is listed and retrieved, renamed, archived and deleted (its changing state lives in `_models.py`,
per server), and cannot embed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._errors import APIError


@dataclass(frozen=True)
class EmbeddingModel:
    """An embedding model: its vector size, and whether callers may ask for a shorter or longer one."""

    name: str
    default_dimension: int
    max_dimension: int
    created: int
    description: str
    # Mistral serves versioned ids (`mistral-embed-2312`) and keeps the plain name as an alias of the latest one
    # (third-party reports of the real `/v1/models`, 2025-2026). Vectors are keyed by `name`, so every id of a model
    # gives the
    # same vector.
    version: str | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        """Every id this model answers to: the versioned one first, then the plain name."""
        return (self.version, self.name) if self.version else (self.name,)

    @property
    def flexible(self) -> bool:
        """Whether `output_dimension` may differ from the default (Matryoshka-style truncation)."""
        return self.max_dimension != self.default_dimension

    def dimension_for(self, requested: float | None) -> int:
        """The vector size to serve, or a 400 that says what this model allows.

        `requested` has passed the contract's `integer` check, which JSON Schema also grants to 256.0.
        """
        if requested is None:
            return self.default_dimension
        requested = int(requested)
        if not self.flexible and requested != self.default_dimension:
            raise APIError(
                400,
                f"Model {self.name} does not support output_dimension (its vectors have "
                f"{self.default_dimension} dimensions)",
                type_="invalid_request_error",
                param="output_dimension",
            )
        if requested > self.max_dimension:
            raise APIError(
                400,
                f"output_dimension must be at most {self.max_dimension} for {self.name}, got {requested}",
                type_="invalid_request_error",
                param="output_dimension",
            )
        return requested


# Every id a Mistral model answers to, versioned ids and aliases alike.
MISTRAL_MODELS = {
    model_id: model
    for model in (
        EmbeddingModel(
            "mistral-embed", 1024, 1024, 1702252800, "Official mistral-embed Mistral AI model", "mistral-embed-2312"
        ),
        EmbeddingModel(
            "codestral-embed",
            1536,
            3072,
            1748390400,
            "Embeddings for code; up to 3072 dimensions",
            "codestral-embed-2505",
        ),
    )
    for model_id in model.ids
}

# Every capability flag of Mistral's model cards (`ModelCapabilities`), in the contract's order. None is about
# embeddings: an embedding model has them all false (the contract's `list_models` says so).
CAPABILITIES = (
    "completion_chat",
    "function_calling",
    "reasoning",
    "completion_fim",
    "fine_tuning",
    "vision",
    "ocr",
    "classification",
    "moderation",
    "audio",
    "audio_transcription",
    "audio_transcription_realtime",
    "audio_speech",
    "unified_resources",
)
# The organisation that owns this server's fine-tuned models (`owned_by`; Mistral names an organisation by id).
ORGANISATION = "org-reference-server"
WORKSPACE = "workspace-reference-server"


@dataclass(frozen=True)
class FineTunedModel:
    """A fine-tuned model as it was created; its name, description and archived flag change per server."""

    id: str
    root: str
    root_version: str
    job: str  # the fine-tuning job that made it (a uuid; no such job runs here)
    created: int
    name: str | None
    description: str | None
    max_context_length: int = 32768
    # Mistral's fine-tuned chat models keep their root's chat and tool-calling capabilities.
    capabilities: tuple[str, ...] = ("completion_chat", "function_calling")


FINE_TUNED_MODELS = {
    model.id: model
    for model in (
        FineTunedModel(
            "ft:open-mistral-7b:9c2a6d51:20260115:7f3e9b24",
            root="open-mistral-7b",
            root_version="0.1",
            job="3f9a2c1e-7b4d-4e8a-9c6f-1d2e3f4a5b6c",
            created=1768435200,
            name="support-replies",
            description="A completion model fine-tuned on support replies (a catalogue entry: it cannot embed)",
        ),
    )
}

CORTECS_MODELS = {
    model.name: model
    for model in (
        EmbeddingModel("mistral-embed", 1024, 1024, 1702252800, "mistral-embed, served by cortecs providers"),
        EmbeddingModel("bge-m3", 1024, 1024, 1706745600, "BAAI bge-m3, multilingual"),
        EmbeddingModel("multilingual-e5-large", 1024, 1024, 1688169600, "intfloat multilingual-e5-large"),
    )
}
# Who made each model (`owned_by` on cortecs' `/v1/models`).
OWNERS = {"mistral-embed": "mistralai", "bge-m3": "BAAI", "multilingual-e5-large": "intfloat"}
# cortecs' `/v1/models` filters by tag and defaults to `Instruct` (chat models); which tag it gives embedding
# models is not documented: `Embedding` here is this server's assumption.
EMBEDDING_TAG = "Embedding"
# Prices are kept in EUR (cortecs' default currency) and converted at these fixed rates: this server's own
# figures, not a live exchange rate.
EUR_RATES = {"EUR": 1.0, "USD": 1.08, "GBP": 0.85, "CHF": 0.94}


@dataclass(frozen=True)
class Provider:
    """A cortecs provider, with what the routing fields filter and rank on."""

    name: str
    eu_native: bool
    quantized: bool
    latency_ms: int
    # EUR per million input tokens.
    price_per_million_tokens: float
    # Keeps no data of the requests it serves: the only kind `allow_zero_data_retention` admits.
    zero_data_retention: bool = False
    # cortecs passes a provider's answer on as the provider sent it. Mistral's own API answers floats whatever
    # `encoding_format` asks (reported: anything-llm #5794, docs-mcp-server #469); the OpenAI-compatible providers
    # honour base64. An assumption
    # of this server: cortecs documents no encoding values at all.
    honours_base64: bool = True


PROVIDERS = {
    provider.name: provider
    for provider in (
        Provider(
            "mistral",
            eu_native=True,
            quantized=False,
            latency_ms=180,
            price_per_million_tokens=0.10,
            honours_base64=False,
        ),
        Provider(
            "scaleway",
            eu_native=True,
            quantized=False,
            latency_ms=140,
            price_per_million_tokens=0.08,
            zero_data_retention=True,
        ),
        Provider("nebius", eu_native=True, quantized=True, latency_ms=90, price_per_million_tokens=0.02),
        Provider(
            "ionos",
            eu_native=True,
            quantized=False,
            latency_ms=250,
            price_per_million_tokens=0.05,
            zero_data_retention=True,
        ),
        Provider("deepinfra", eu_native=False, quantized=True, latency_ms=60, price_per_million_tokens=0.01),
    )
}

SERVED_BY = {
    "mistral-embed": ("mistral", "scaleway"),
    "bge-m3": ("scaleway", "nebius", "ionos", "deepinfra"),
    "multilingual-e5-large": ("nebius", "ionos", "deepinfra"),
}


def mistral_model(name: str) -> EmbeddingModel:
    """The Mistral model of that name, or Mistral's 400 for an invalid model."""
    return _lookup(MISTRAL_MODELS, name)


def cortecs_model(name: str) -> EmbeddingModel:
    """The cortecs model of that name, or a 400 naming the models there are."""
    return _lookup(CORTECS_MODELS, name)


def _lookup(models: dict[str, EmbeddingModel], name: str) -> EmbeddingModel:
    try:
        return models[name]
    except KeyError:
        # Word for word what Mistral is reported to answer (tests/fixtures/reported/); `/v1/models` lists the ids.
        raise APIError(400, f"Invalid model: {name}", type_="invalid_model", code="1500") from None


def choose_provider(
    model: str,
    *,
    preference: str,
    allowed_providers: list[str] | None,
    eu_native: bool,
    allow_quantization: bool,
    zero_data_retention: bool = False,
) -> Provider:
    """Filter the model's providers by the constraints, then rank by the preference (ties by name)."""
    candidates = [PROVIDERS[name] for name in SERVED_BY[model]]
    if allowed_providers is not None:
        candidates = [p for p in candidates if p.name in allowed_providers]
    if eu_native:
        candidates = [p for p in candidates if p.eu_native]
    if not allow_quantization:
        candidates = [p for p in candidates if not p.quantized]
    if zero_data_retention:
        candidates = [p for p in candidates if p.zero_data_retention]
    if not candidates:
        zdr = f", allow_zero_data_retention={zero_data_retention}" if zero_data_retention else ""
        raise APIError(
            400,
            f"No provider of {model} satisfies the request (providers: {', '.join(SERVED_BY[model])}; "
            f"allowed_providers={allowed_providers}, eu_native={eu_native}, allow_quantization={allow_quantization}"
            f"{zdr})",
            type_="invalid_request_error",
            param="allowed_providers",
        )
    slowest = max(p.latency_ms for p in candidates)
    dearest = max(p.price_per_million_tokens for p in candidates)

    def rank(provider: Provider) -> tuple[float, str]:
        speed = provider.latency_ms / slowest
        cost = provider.price_per_million_tokens / dearest
        score = {"speed": speed, "cost": cost}.get(preference, speed + cost)
        return score, provider.name

    return min(candidates, key=rank)


def model_price(model: str) -> float:
    """EUR per million input tokens of `model` at its cheapest provider (what cortecs' `pricing` shows)."""
    return min(PROVIDERS[name].price_per_million_tokens for name in SERVED_BY[model])


def cortecs_model_list(tags: list[str] | None, currency: str) -> dict[str, object]:
    """The answer of cortecs' `GET /v1/models`: models with one of `tags` (default `Instruct`), in `currency`."""
    code = currency.upper()
    if code not in EUR_RATES:
        raise APIError(
            400,
            f"Unsupported currency: {currency} (supported: {', '.join(EUR_RATES)})",
            type_="invalid_request_error",
            param="currency",
        )
    rate = EUR_RATES[code]

    def pricing(eur: float) -> dict[str, object]:
        return {"input_token": round(eur * rate, 6), "output_token": 0.0, "currency": code}

    wanted = set(tags if tags else ["Instruct"])
    cards: list[dict[str, object]] = []
    if EMBEDDING_TAG in wanted:
        for name, model in CORTECS_MODELS.items():
            providers = [PROVIDERS[provider] for provider in SERVED_BY[name]]
            cards.append(
                {
                    "id": name,
                    "object": "model",
                    "created": model.created,
                    "owned_by": OWNERS[name],
                    "description": model.description,
                    "pricing": pricing(model_price(name)),
                    "providers": [
                        {
                            "name": p.name,
                            "eu_native": p.eu_native,
                            "quantized": p.quantized,
                            "zero_data_retention": p.zero_data_retention,
                            "pricing": pricing(p.price_per_million_tokens),
                        }
                        for p in providers
                    ],
                }
            )
    return {"object": "list", "data": cards}
