"""Make positively generated requests serviceable, so the fuzzer can demand that every one is served.

A body can match the contract and still be refused for reasons the contract cannot express: an unknown
model (of an embeddings request or of a batch job), an `output_dimension` the model does not have, more
tokens than a request may carry, routing constraints no cortecs provider meets, a batch job with both or
neither of `input_files` and `requests`, a base model's id where only a fine-tuned model will do. For positive
cases only (negative ones are left as generated, to be rejected), this hook picks a real model, keeps inputs
within the limits, keeps routing satisfiable, gives a job exactly one source of request lines, and names no base
model where a fine-tuned one is asked for. `filter_case` leaves out the few cases that cannot reach the server as
what they were generated to be (a form's null; a negative value in a query parameter that takes any text).
Then `positive_data_acceptance` and `negative_data_rejection` keep their strict defaults: a valid request that
is not served, or an invalid one that is, is a failure.

The model names can be changed for deployments with other catalogues: FUZZ_MISTRAL_MODELS,
FUZZ_CORTECS_MODELS, FUZZ_CORTECS_PROVIDERS and FUZZ_CORTECS_CURRENCIES (comma-separated; defaults fit the
reference server).
"""

from __future__ import annotations

import functools
import os
import zlib
from pathlib import Path
from typing import Any

from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import TestPhase

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
# The operations that only a fine-tuned model can undergo.
FINE_TUNED_ONLY = frozenset(
    {
        "DELETE /v1/models/{model_id}",
        "PATCH /v1/fine_tuning/models/{model_id}",
        "POST /v1/fine_tuning/models/{model_id}/archive",
        "DELETE /v1/fine_tuning/models/{model_id}/archive",
    }
)
CURRENCIES = _names("FUZZ_CORTECS_CURRENCIES", "EUR,USD")


# What the upload's link to `create_batch_job` may write into a job's body besides its model (openapi.yaml).
_LINKED_JOB_FIELDS = {"input_files": ["00000000-0000-4000-8000-000000000000"], "endpoint": "/v1/embeddings"}


def map_case(context: Any, case: Any) -> Any:
    """Rewrite a positive case into one the service can serve; keep negative cases negative on the wire.

    A batch job is judged by its body rather than by the mode it was generated in (see below).
    """
    body = case.body
    job = context.operation.label == "POST /v1/batch/jobs" and isinstance(body, dict) and case.meta is not None
    judged = body
    if job and case.meta.phase.name == TestPhase.STATEFUL:
        # The upload's link fills `input_files` (and `model`) after this hook, whatever the mode: `requests` would
        # make a job with both, which the server refuses even when the rest is valid.
        body.pop("requests", None)
        # It sets each of its fields on a coin of its own: a body its link makes valid by `input_files` and
        # `endpoint` alone reached the server with the model it was generated with, and was refused (400).
        judged = {**body, **_LINKED_JOB_FIELDS}
    if job and _job_schema().is_valid(judged):
        # Made serviceable whatever its mode: a negative case whose invalid value a link overwrites is valid by
        # the time it is sent.
        return _serviceable_job(case)
    if case.meta is not None and case.meta.generation.mode == GenerationMode.NEGATIVE:
        return _form_field_survives(context, case)
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return case
    label = context.operation.label
    if label in FINE_TUNED_ONLY and isinstance(case.path_parameters, dict):
        # Only a fine-tuned model can be changed or deleted; a base model's id (which the fuzzer learns from the
        # model list) is refused with a 400. Mistral's fine-tuned ids start with `ft:`: any other id is made one,
        # which names no model (404) unless it names a fine-tuned one.
        model_id = str(case.path_parameters.get("model_id", ""))
        if not model_id.startswith("ft:"):
            case.path_parameters["model_id"] = f"ft:{model_id}"
        return case
    if label == "GET /v1/batch/jobs" and isinstance(case.query, dict) and isinstance(case.query.get("metadata"), dict):
        # `metadata` is spread over the query string: a key named like a declared parameter would be sent twice.
        declared = {parameter.name for parameter in context.operation.query}
        case.query["metadata"] = {k: v for k, v in case.query["metadata"].items() if k not in declared}
        return case
    if label == "GET /models" and isinstance(case.query, dict) and "currency" in case.query:
        # Any string is a valid currency code to the contract; a server converts to the ones it knows.
        currency = str(case.query["currency"])
        case.query["currency"] = CURRENCIES[zlib.crc32(currency.encode()) % len(CURRENCIES)]
        return case
    if not isinstance(body, dict):
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


def _serviceable_job(case: Any) -> Any:
    """A valid batch job the server can start.

    Its model must exist (and then no line needs to name one); its input files are whatever the case names (404
    if unknown). Exactly one of `input_files` and `requests` is kept: the other is dropped (the one chosen by the
    body itself), and a job with neither gets no input file (it then fails, as a job without lines does).
    """
    body = case.body
    choice = zlib.crc32(repr(sorted(body.items(), key=str)).encode())
    body["model"] = MISTRAL_MODELS[choice % len(MISTRAL_MODELS)]
    if body.get("input_files") is not None and body.get("requests") is not None:
        body.pop("requests" if choice % 2 else "input_files")
    if body.get("input_files") is None and body.get("requests") is None:
        body["input_files"] = []
    return case


def filter_case(context: Any, case: Any) -> bool:
    """Leave out the cases that cannot reach the server as what they were generated to be.

    - A valid upload with a form field generated as null (`expiry: null`, which the schema allows): a multipart
      form has no null, and schemathesis writes it as the text "null", which is no integer, so the server refuses
      it (as FastAPI would) and `positive_data_acceptance` would call that a failure. Such a case cannot be
      rewritten here instead (dropping the field): schemathesis then re-validates the body, cannot validate the
      file's bytes, and takes the upload for an invalid one.
    - An invalid case whose every invalid value is one that is never sent as generated: a value in a query
      parameter that accepts any text (`search`, `mimetypes`, `provider`...: whatever was generated, `false` or
      `{}`, arrives as text, which is valid there), or a malformed `Authorization` header, which the run replaces
      with its own key (conftest's `auth_for`, and the `--header` of `make fuzz`). The server rightly serves
      what it receives, and `negative_data_rejection` would call that a failure.
    """
    if case.meta is None:
        return True
    if case.meta.generation.mode == GenerationMode.NEGATIVE:
        return not _negation_never_sent(context, case)
    if context.operation.label != "POST /v1/files" or not isinstance(case.body, dict):
        return True
    return all(value is not None for value in case.body.values())


def _negation_never_sent(context: Any, case: Any) -> bool:
    data = case.meta.phase.data
    targets = [(m.parameter_location, m.parameter) for m in getattr(data, "mutations", ()) or ()]
    if not targets:
        targets = [(getattr(data, "parameter_location", None), getattr(data, "parameter", None))]
    free = {parameter.name for parameter in context.operation.query if _accepts_any_text(parameter.optimized_schema)}
    sent_headers = {str(name).lower() for name in case.headers or {}}

    def replaced_or_free(location: Any, name: Any) -> bool:
        if location == ParameterLocation.QUERY:
            return name in free
        is_key = location == ParameterLocation.HEADER and str(name).lower() == "authorization"
        return is_key and "authorization" in sent_headers

    return all(replaced_or_free(location, name) for location, name in targets)


def _accepts_any_text(schema: dict[str, Any]) -> bool:
    """Whether every query value (or repetition of values) is valid for this parameter's schema."""
    branches = [branch for branch in schema.get("anyOf", [schema]) if branch.get("type") != "null"]
    if len(branches) != 1:
        return False
    value = branches[0]
    if value.get("type") == "array":
        if value.keys() & {"minItems", "maxItems", "uniqueItems"}:
            return False
        value = value.get("items", {})
    constraints = {"enum", "const", "pattern", "format", "minLength", "maxLength", "$ref", "anyOf", "oneOf", "allOf"}
    return value.get("type") == "string" and not value.keys() & constraints


def _form_field_survives(context: Any, case: Any) -> Any:
    """An invalid upload stays invalid on the wire, where a form has no types.

    A field generated as a list goes out as one part per item (`["batch"]` as `purpose=batch`, `[]` as nothing),
    and schemathesis marks some values invalid that are not: it negates one branch of `expiry`'s `anyOf: [integer,
    null]` and then sends an integer. It cannot tell, since it cannot validate a body holding a file's bytes. So
    lists, objects and nulls become a text no field of the form accepts, and a form that would still be valid as
    sent (read as the contract reads it, by the reference server's own reading) gets an `expiry` that is no
    integer: `negative_data_rejection` then checks a refusal the server does owe.
    """
    if context.operation.label != "POST /v1/files" or not isinstance(case.body, dict):
        return case
    for name, value in list(case.body.items()):
        if name != "file" and (value is None or isinstance(value, list | dict)):
            case.body[name] = f"not-a-{name}"
    if "file" in case.body:
        fields = {name: "" if name == "file" else _wire_text(value) for name, value in case.body.items()}
        _, problems = _operation("upload_file").form_problems(fields)
        if not problems:
            case.body["expiry"] = "not-an-integer"
    return case


def _wire_text(value: Any) -> str:
    """A form field's value as schemathesis sends it: JSON's spelling for booleans, Python's `str` otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@functools.cache
def _job_schema() -> Any:
    """The validator of a batch job's body, formats included (schemathesis counts a malformed uuid as invalid)."""
    import jsonschema_rs
    import yaml

    spec = yaml.safe_load((Path(__file__).resolve().parent.parent / "openapi.yaml").read_text(encoding="utf-8"))
    schema = spec["paths"]["/v1/batch/jobs"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return jsonschema_rs.Draft202012Validator({**schema, "components": spec["components"]}, validate_formats=True)


@functools.cache
def _operation(operation_id: str) -> Any:
    """An operation of openapi.yaml as the reference server reads and validates it: the contract's own rules."""
    from embedkit_server._contract import Contract

    contract = Contract.load(Path(__file__).resolve().parent.parent / "openapi.yaml")
    return next(op for op in contract.operations.values() if op.operation_id == operation_id)
