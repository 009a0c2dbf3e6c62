"""What a call returns: plain data, a numpy matrix whose row i embeds input i."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._pricing import Cost


@dataclass(frozen=True)
class Usage:
    """Tokens billed, summed over every request of a call; unknown counters the service adds are summed too."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    extra: Mapping[str, int] = field(default_factory=dict)

    def __add__(self, other: Usage) -> Usage:
        extra = dict(self.extra)
        for key, value in other.extra.items():
            extra[key] = extra.get(key, 0) + value
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.total_tokens + other.total_tokens,
            extra,
        )

    @classmethod
    def from_json(cls, usage: Mapping[str, Any]) -> Usage:
        """Read a response's `usage` object (integers only; anything else is not a counter).

        A negative count is a wrong answer, not a counter: summed and priced, it would read as a refund.
        """
        # Any negative number, an integer or not (a parser may read an integer past 64 bits as a float).
        negative = next(
            (name for name, value in usage.items() if isinstance(value, int | float) and not isinstance(value, bool)
             and value < 0), None,
        )  # fmt: skip
        if negative is not None:
            from ._errors import ResponseValidationError

            raise ResponseValidationError(f"the answer's usage counts {negative} = {usage[negative]}: a negative count")
        counters = {k: v for k, v in usage.items() if isinstance(v, int) and not isinstance(v, bool)}
        return cls(
            counters.pop("prompt_tokens", 0),
            counters.pop("completion_tokens", 0),
            counters.pop("total_tokens", 0),
            counters,
        )


@dataclass(frozen=True)
class EmbeddingResult:
    """The vectors of one call, in input order, with what produced them and what it cost.

    `vectors` is float32 for `output_dtype="float"`, int8/uint8 for the byte dtypes, and packed int8/uint8 (eight
    components per byte) for `binary`/`ubinary`. `model` is the model that served every row, as the service named it
    (`mistral-embed-2312` for a call asking `mistral-embed`, an alias the service moves to newer versions): all rows
    come from that one model, cached ones included (cached rows of another are embedded again). A call served wholly
    from the cache names the model the cache recorded for its rows, or the one asked for when the cache does not
    know it (rows cached by versions that did not record it). `providers` lists the cortecs providers that served
    the call's batches, in order of first use (empty for Mistral). `cached` counts the rows read from the client's
    cache instead of being sent. `encodings` counts the batches answered in each encoding (`{"float": 3}`): the real
    Mistral is reported to answer float arrays even to a base64 request (third-party reports: anything-llm #5794,
    docs-mcp-server #469), which is
    decoded the same way but costs about four times the bytes. `cost` is what the call's billed tokens cost (cache
    hits are free), when the model's price is known: Mistral's from the dated table in `_pricing`, cortecs' once the
    client has read its models route (`models()` or `estimate()`); None otherwise.
    """

    vectors: np.ndarray[Any, Any]
    model: str
    usage: Usage
    providers: tuple[str, ...] = ()
    cached: int = 0
    encodings: Mapping[str, int] = field(default_factory=dict)
    cost: Cost | None = None

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def dimension(self) -> int:
        """Values per vector (bytes per vector for the packed binary dtypes)."""
        return int(self.vectors.shape[1])
