"""embedkit: embed texts with Mistral AI or cortecs.ai into numpy matrices, fast, in order, and safely.

    from embedkit import Embedder, top_k

    with Embedder.mistral() as embedder:            # key from MISTRAL_API_KEY
        corpus = embedder.embed(["first text", "second text"]).vectors
        query = embedder.embed("a question").vectors
        indices, scores = top_k(query, corpus, k=1)

Built on the client generated from openapi.yaml (package `embedkit_generated`, shipped inside this
distribution), which it uses for every request body and route. Optional features are extras:
`embedkit[parquet]`, `embedkit[server]`, `embedkit[dask]`, `embedkit[langchain]` (`embedkit.langchain`),
`embedkit[llamaindex]` (`embedkit.llamaindex`).
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
    BatchJobError,
    ClosedError,
    CostLimitError,
    DeadlineExceededError,
    EmbeddingError,
    InputError,
    InputTooLongError,
    InsecureTransportError,
    InvalidRequestError,
    LineFailure,
    ModelNotFoundError,
    NotFoundError,
    PartialResult,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    UnconfirmedCreateError,
    UnknownOptionError,
    UnsupportedError,
)
from ._extras import MissingDependencyError
from ._models import ModelInfo
from ._options import EmbedOptions
from ._policy import RetryPolicy
from ._pricing import Cost, Estimate, Price
from ._quantized import (
    binary_to_ubinary,
    hamming_distances,
    hamming_top_k,
    pack_bits,
    rescore,
    uint8_to_int8,
    unpack_bits,
)
from ._ratebudget import RateBudget, RateLimits
from ._result import EmbeddingResult, Usage
from ._similarity import cosine_similarity, normalize, top_k
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncEmbedder",
    "AuthenticationError",
    "BatchJobError",
    "BatchLimits",
    "ClosedError",
    "Cost",
    "CostLimitError",
    "DeadlineExceededError",
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
    "LineFailure",
    "MissingDependencyError",
    "ModelInfo",
    "ModelNotFoundError",
    "NotFoundError",
    "PartialResult",
    "Price",
    "RateBudget",
    "RateLimitError",
    "RateLimits",
    "ResponseValidationError",
    "RetryPolicy",
    "ServerError",
    "UnconfirmedCreateError",
    "UnknownOptionError",
    "UnsupportedError",
    "Usage",
    "__version__",
    "binary_to_ubinary",
    "cosine_similarity",
    "hamming_distances",
    "hamming_top_k",
    "normalize",
    "pack_bits",
    "rescore",
    "top_k",
    "uint8_to_int8",
    "unpack_bits",
]
