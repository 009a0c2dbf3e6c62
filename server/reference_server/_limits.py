"""The request limits the real Mistral service enforces, and the token estimate they are counted with.

No tokenizer is downloaded: tokens are estimated as one per four UTF-8 bytes, rounded up, at least one per
input. The same number is reported in `usage`, so a client can predict both the limit check and the bill.
The limits and their messages are the ones third parties report from the real service (see FACTS.md), so a
client that recognises "Too many tokens in batch" or "Too many inputs" works against both.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._errors import APIError

BYTES_PER_TOKEN = 4


@dataclass(frozen=True)
class Limits:
    """What one request may carry."""

    max_inputs: int = 512
    max_tokens_per_request: int = 16384
    max_tokens_per_input: int = 8192


def estimate_tokens(text: str) -> int:
    """Tokens counted for one input: ceil(UTF-8 bytes / 4), at least 1."""
    return max(1, -(-len(text.encode("utf-8")) // BYTES_PER_TOKEN))


def check(texts: list[str], limits: Limits) -> int:
    """Total tokens of the request, or a 400 saying which limit it breaks (and, per input, which index)."""
    if len(texts) > limits.max_inputs:
        raise APIError(
            400,
            f"Too many inputs in request, split into more batches. Max is {limits.max_inputs} got {len(texts)}",
            param="input",
            code="3210",  # the code Mistral is reported to send with this message (FACTS.md)
        )
    total = 0
    for index, text in enumerate(texts):
        tokens = estimate_tokens(text)
        if tokens > limits.max_tokens_per_input:
            raise APIError(
                400,
                f"Too many tokens in input {index}. Max is {limits.max_tokens_per_input} got {tokens}",
                param="input",
            )
        total += tokens
    if total > limits.max_tokens_per_request:
        raise APIError(
            400,
            f"Too many tokens in batch. Max is {limits.max_tokens_per_request} got {total}",
            param="input",
        )
    return total
