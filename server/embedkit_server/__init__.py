"""A local server implementing openapi.yaml: deterministic embeddings, real auth and validation, fault injection.

It stands in for the Mistral and cortecs services where they cannot be reached: in development, demos, CI,
fuzzing and benchmarks.
"""

from ._app import DEV_TOKEN, ReferenceServer, ServerConfig
from ._batch import BatchSettings
from ._catalogue import CORTECS_MODELS, FINE_TUNED_MODELS, MISTRAL_MODELS, PROVIDERS
from ._embeddings import compute_vector, truncate
from ._faults import FAULT_KINDS, FaultPlan
from ._limits import Limits, estimate_tokens
from ._ratelimit import RateLimits
from ._runner import BackgroundServer, ServerProcess, serve
from ._tokens import count_tokens

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
