"""Make positively generated requests serviceable, so the fuzzer can demand that every one is served.

A body can match the contract and still be refused for reasons the contract cannot express: an unknown
model (of an embeddings request or of a batch job), an `output_dimension` the model does not have, more
tokens than a request may carry, routing constraints no cortecs provider meets. For positive cases only
(negative ones are left as generated, to be rejected), this hook picks a real model, keeps inputs within the
limits, and keeps routing satisfiable.
Then `positive_data_acceptance` keeps its strict default: a valid request that is not served is a failure.

The model names can be changed for deployments with other catalogues: FUZZ_MISTRAL_MODELS,
FUZZ_CORTECS_MODELS, FUZZ_CORTECS_PROVIDERS and FUZZ_CORTECS_CURRENCIES (comma-separated; defaults fit the
reference server).
"""

from __future__ import annotations

import os
import zlib
from typing import Any

from schemathesis import GenerationMode

# Within every limit: at most 64 items are generated, 250 characters are at most 1000 UTF-8 bytes (250 tokens),
# and 64 x 250 tokens stay under 16384.
MAX_CHARACTERS = 250


def _names(variable: str, default: str) -> list[str]:
    return [name.strip() for name in os.environ.get(variable, default).split(",") if name.strip()]


MISTRAL_MODELS = _names("FUZZ_MISTRAL_MODELS", "mistral-embed,codestral-embed")
CORTECS_MODELS = _names("FUZZ_CORTECS_MODELS", "mistral-embed,bge-m3,multilingual-e5-large")
# EU-based, unquantized providers that, together, serve every cortecs model with and without zero data retention
# (scaleway and ionos keep no data): any routing stays satisfiable.
CORTECS_PROVIDERS = _names("FUZZ_CORTECS_PROVIDERS", "mistral,scaleway,ionos")
FLEXIBLE_DIMENSIONS = {"codestral-embed": 3072}
CURRENCIES = _names("FUZZ_CORTECS_CURRENCIES", "EUR,USD")


def map_case(context: Any, case: Any) -> Any:
    """Rewrite a positive embeddings case into one the service can serve; keep negative cases negative on the wire."""
    if case.meta is not None and case.meta.generation.mode == GenerationMode.NEGATIVE:
        return _form_field_survives(context, _undeclared_query_survives(context, case))
    body = case.body
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return case
    label = context.operation.label
    if label == "GET /models" and isinstance(case.query, dict) and "currency" in case.query:
        # Any string is a valid currency code to the contract; a server converts to the ones it knows.
        currency = str(case.query["currency"])
        case.query["currency"] = CURRENCIES[zlib.crc32(currency.encode()) % len(CURRENCIES)]
        return case
    if not isinstance(body, dict):
        return case
    if label == "POST /v1/batch/jobs":
        # A batch job's model must exist too; its input files are whatever the case names (404 if unknown).
        body["model"] = MISTRAL_MODELS[zlib.crc32(repr(sorted(body.items(), key=str)).encode()) % len(MISTRAL_MODELS)]
        return case
    if label == "POST /v1/embeddings":
        models = MISTRAL_MODELS
    elif label in ("POST /api/v1/models/serverless/embeddings", "POST /embeddings"):
        models = CORTECS_MODELS
    else:
        return case
    # Chosen from the body itself, so the same generated case always becomes the same request.
    model = models[zlib.crc32(repr(sorted(body.items(), key=str)).encode()) % len(models)]
    body["model"] = model
    if isinstance(body.get("input"), str):
        body["input"] = body["input"][:MAX_CHARACTERS]
    elif isinstance(body.get("input"), list):
        body["input"] = [text[:MAX_CHARACTERS] for text in body["input"][:64]]
    if "output_dimension" in body and body["output_dimension"] is not None:
        largest = FLEXIBLE_DIMENSIONS.get(model)
        body["output_dimension"] = 1 + (body["output_dimension"] - 1) % largest if largest else None
    if isinstance(body.get("allowed_providers"), list):
        body["allowed_providers"] = [*body["allowed_providers"], *CORTECS_PROVIDERS]
    return case


def _undeclared_query_survives(context: Any, case: Any) -> Any:
    """An undeclared query parameter valued None, [] or {} is generated as invalid but never sent.

    The HTTP client drops such a parameter from the URL, so the server sees a valid request and serves it, and
    `negative_data_rejection` calls that a failure. Giving it a value keeps the request as invalid as generated.
    """
    if not isinstance(case.query, dict):
        return case
    declared = {parameter.name for parameter in context.operation.query}
    for name, value in list(case.query.items()):
        if name not in declared and value in (None, [], {}):
            case.query[name] = "undeclared"
    return case


def _form_field_survives(context: Any, case: Any) -> Any:
    """A multipart `purpose` generated as a list or null is sent as valid fields (each item, or none at all).

    A form has no types: `["batch"]` goes out as `purpose=batch`, and null as no field (the default). Either way
    the server sees a valid upload, which `negative_data_rejection` would count as invalid data accepted.
    """
    if context.operation.label == "POST /v1/files" and isinstance(case.body, dict):
        purpose = case.body.get("purpose", "absent")
        if purpose is None or isinstance(purpose, list | dict):
            case.body["purpose"] = "not-a-purpose"
    return case
