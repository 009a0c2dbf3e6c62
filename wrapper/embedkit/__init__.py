"""embedkit: embed texts with Mistral AI or cortecs.ai into numpy matrices, fast, in order, and safely.

    from embedkit import Embedder, top_k

    with Embedder.mistral() as embedder:            # key from MISTRAL_API_KEY
        corpus = embedder.embed(["first text", "second text"]).vectors
        query = embedder.embed("a question").vectors
        indices, scores = top_k(query, corpus, k=1)

Built on the client generated from openapi.yaml (package `generated_client`), which it uses for every
request body and route.
"""

from ._async_client import AsyncEmbedder
from ._batching import BatchLimits
from ._cache import EmbeddingCache
from ._client import Embedder
from ._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    CostLimitError,
    EmbeddingError,
    InputError,
    InputTooLongError,
    InsecureTransportError,
    InvalidRequestError,
    ModelNotFoundError,
    NotFoundError,
    PartialResult,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    UnknownOptionError,
    UnsupportedError,
)
from ._models import ModelInfo
from ._options import EmbedOptions
from ._policy import RetryPolicy
from ._pricing import Cost, Estimate, Price
from ._result import EmbeddingResult, Usage
from ._similarity import cosine_similarity, normalize, top_k

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncEmbedder",
    "AuthenticationError",
    "BatchLimits",
    "Cost",
    "CostLimitError",
    "EmbedOptions",
    "Embedder",
    "EmbeddingCache",
    "EmbeddingError",
    "EmbeddingResult",
    "Estimate",
    "InputError",
    "InputTooLongError",
    "InsecureTransportError",
    "InvalidRequestError",
    "ModelInfo",
    "ModelNotFoundError",
    "NotFoundError",
    "PartialResult",
    "Price",
    "RateLimitError",
    "ResponseValidationError",
    "RetryPolicy",
    "ServerError",
    "UnknownOptionError",
    "UnsupportedError",
    "Usage",
    "cosine_similarity",
    "normalize",
    "top_k",
]
