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
from ._base import EmbedOptions
from ._batching import BatchLimits
from ._cache import EmbeddingCache
from ._client import Embedder
from ._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    EmbeddingError,
    InputError,
    InputTooLongError,
    InsecureTransportError,
    InvalidRequestError,
    NotFoundError,
    PartialResult,
    RateLimitError,
    ResponseValidationError,
    ServerError,
)
from ._result import EmbeddingResult, Usage
from ._retry import RetryPolicy
from ._similarity import cosine_similarity, normalize, top_k

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncEmbedder",
    "AuthenticationError",
    "BatchLimits",
    "EmbedOptions",
    "Embedder",
    "EmbeddingCache",
    "EmbeddingError",
    "EmbeddingResult",
    "InputError",
    "InputTooLongError",
    "InsecureTransportError",
    "InvalidRequestError",
    "NotFoundError",
    "PartialResult",
    "RateLimitError",
    "ResponseValidationError",
    "RetryPolicy",
    "ServerError",
    "Usage",
    "cosine_similarity",
    "normalize",
    "top_k",
]
