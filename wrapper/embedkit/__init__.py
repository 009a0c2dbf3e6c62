"""embedkit: embed texts with Mistral AI or cortecs.ai into numpy matrices, fast, in order, and safely.

    from embedkit import Embedder, top_k

    with Embedder.mistral() as embedder:            # key from MISTRAL_API_KEY
        corpus = embedder.embed(["first text", "second text"]).vectors
        query = embedder.embed("a question").vectors
        indices, scores = top_k(query, corpus, k=1)

Built on the client generated from openapi.yaml (package `embedkit_generated`, shipped inside this
distribution), which it uses for every request body and route. Optional features are extras:
`embedkit[parquet]`, `embedkit[server]`, `embedkit[dask]`, `embedkit[langchain]` (`embedkit.langchain`),
`embedkit[llamaindex]` (`embedkit.llamaindex`), `embedkit[ann]` (approximate search: `embedkit index`).
"""

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._async_client import AsyncEmbedder
    from ._batching import BatchLimits
    from ._cache import EmbeddingCache
    from ._chunking import ChunkedResult, Chunking
    from ._client import Embedder
    from ._errors import (
        APIConnectionError,
        APIError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BatchJobError,
        CacheCorruptError,
        CacheError,
        CacheLockedError,
        ClosedError,
        CostLimitError,
        DeadlineExceededError,
        EmbeddingError,
        InputError,
        InputTooLongError,
        InsecureTransportError,
        InvalidAPIKeyError,
        InvalidRequestError,
        LineFailure,
        ModelNotFoundError,
        NotFoundError,
        PartialResult,
        QuotaExhaustedError,
        RateLimitError,
        ResponseTooLargeError,
        ResponseValidationError,
        RetryAfterTooLongError,
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

# Where each public name lives. `import embedkit` (and so `embedkit --version`) imports none of these modules:
# the client pulls in asyncio, sqlite3, simdjson and the generated models, and a process that only asks for the
# version, or imports one helper, should not pay for them. Each is imported on first use (PEP 562).
_LAZY: dict[str, str] = {
    "AsyncEmbedder": "._async_client",
    "BatchLimits": "._batching",
    "EmbeddingCache": "._cache",
    "Chunking": "._chunking",
    "ChunkedResult": "._chunking",
    "Embedder": "._client",
    "APIConnectionError": "._errors",
    "APIError": "._errors",
    "APIStatusError": "._errors",
    "APITimeoutError": "._errors",
    "AuthenticationError": "._errors",
    "BatchJobError": "._errors",
    "CacheCorruptError": "._errors",
    "CacheError": "._errors",
    "CacheLockedError": "._errors",
    "ClosedError": "._errors",
    "CostLimitError": "._errors",
    "DeadlineExceededError": "._errors",
    "EmbeddingError": "._errors",
    "InputError": "._errors",
    "InputTooLongError": "._errors",
    "InsecureTransportError": "._errors",
    "InvalidAPIKeyError": "._errors",
    "InvalidRequestError": "._errors",
    "LineFailure": "._errors",
    "ModelNotFoundError": "._errors",
    "NotFoundError": "._errors",
    "PartialResult": "._errors",
    "QuotaExhaustedError": "._errors",
    "RateLimitError": "._errors",
    "RetryAfterTooLongError": "._errors",
    "ResponseTooLargeError": "._errors",
    "ResponseValidationError": "._errors",
    "ServerError": "._errors",
    "UnconfirmedCreateError": "._errors",
    "UnknownOptionError": "._errors",
    "UnsupportedError": "._errors",
    "MissingDependencyError": "._extras",
    "ModelInfo": "._models",
    "EmbedOptions": "._options",
    "RetryPolicy": "._policy",
    "Cost": "._pricing",
    "Estimate": "._pricing",
    "Price": "._pricing",
    "binary_to_ubinary": "._quantized",
    "hamming_distances": "._quantized",
    "hamming_top_k": "._quantized",
    "pack_bits": "._quantized",
    "rescore": "._quantized",
    "uint8_to_int8": "._quantized",
    "unpack_bits": "._quantized",
    "RateBudget": "._ratebudget",
    "RateLimits": "._ratebudget",
    "EmbeddingResult": "._result",
    "Usage": "._result",
    "cosine_similarity": "._similarity",
    "normalize": "._similarity",
    "top_k": "._similarity",
}


def __getattr__(name: str) -> Any:
    """Import the module that defines `name` on first use, and keep the name here so later lookups are direct."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'embedkit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncEmbedder",
    "AuthenticationError",
    "BatchJobError",
    "BatchLimits",
    "CacheCorruptError",
    "CacheError",
    "CacheLockedError",
    "ChunkedResult",
    "Chunking",
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
    "InvalidAPIKeyError",
    "InvalidRequestError",
    "LineFailure",
    "MissingDependencyError",
    "ModelInfo",
    "ModelNotFoundError",
    "NotFoundError",
    "PartialResult",
    "Price",
    "QuotaExhaustedError",
    "RateBudget",
    "RateLimitError",
    "RateLimits",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "RetryAfterTooLongError",
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
