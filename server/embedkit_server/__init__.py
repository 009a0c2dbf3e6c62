"""A local server implementing openapi.yaml: deterministic embeddings, real auth and validation, fault injection.

It stands in for the Mistral and cortecs services where they cannot be reached: in development, demos, CI,
fuzzing and benchmarks.
"""

try:
    from ._app import DEV_TOKEN, ReferenceServer, ServerConfig
    from ._batch import BatchSettings
    from ._catalogue import CORTECS_MODELS, FINE_TUNED_MODELS, MISTRAL_MODELS, PROVIDERS
    from ._embeddings import compute_vector, truncate
    from ._faults import FAULT_KINDS, FaultPlan
    from ._limits import Limits, estimate_tokens
    from ._ratelimit import RateLimits
    from ._runner import BackgroundServer, ServerProcess, serve
    from ._tokens import count_tokens
except ModuleNotFoundError as _missing:
    # The server ships in every install, its dependencies (uvicorn, jsonschema-rs, PyYAML) in the `server` extra: a
    # plain install must say which extra to add, not leave the user with a bare module name. Still a
    # ModuleNotFoundError with the same `name`, so callers that handle missing modules (`embedkit serve`) keep working;
    # a module of our own that fails to import is a real fault and is raised unchanged.
    if _missing.name is None or _missing.name.split(".")[0] == __name__:
        raise
    raise ModuleNotFoundError(
        f"the reference server needs the optional dependency {_missing.name!r}, which is not installed: "
        "pip install 'embedkit[server]'",
        name=_missing.name,
    ) from _missing

__all__ = [
    "CORTECS_MODELS",
    "DEV_TOKEN",
    "FAULT_KINDS",
    "FINE_TUNED_MODELS",
    "MISTRAL_MODELS",
    "PROVIDERS",
    "BackgroundServer",
    "BatchSettings",
    "FaultPlan",
    "Limits",
    "RateLimits",
    "ReferenceServer",
    "ServerConfig",
    "ServerProcess",
    "compute_vector",
    "count_tokens",
    "estimate_tokens",
    "serve",
    "truncate",
]
