"""The request limits the real Mistral service enforces, counted in the tokens `usage` reports.

Tokens are counted by `_tokens` (Mistral's own tokenizers when mistral-common is installed, which the `server`
extra does), so a client that counts with the same tokenizer can predict both the limit check and the bill.
The limits, messages and codes are the ones third parties report from the real service (each kept
with its public source in tests/fixtures/reported/): too many inputs, and too many tokens in the request, are 400s
with code 3210 (the token
one also in its older wording, "Too many tokens in batch. Max is N got M", which `--error-style rotate` sends in
turn). An input over the per-input limit has no reported wording; this server names the input.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._errors import APIError, TooManyTokens
from ._tokens import COUNTER, count_tokens

# The name this count had while it was an estimate; kept so that code written against it keeps meaning
# "what the server counts".
estimate_tokens = count_tokens


@dataclass(frozen=True)
class Limits:
    """What one request may carry."""

    max_inputs: int = 512
    max_tokens_per_request: int = 16384
    max_tokens_per_input: int = 8192


def check(texts: list[str], limits: Limits, model: str = "mistral-embed") -> int:
    """Total tokens of the request, or a 400 saying which limit it breaks (and, per input, which index)."""
    if len(texts) > limits.max_inputs:
        # Word for word as reported (raphaelmansuy/edgequake-llm#74, 2026-05): the limit is not in the message.
        raise APIError(400, "Too many inputs in request, split into more batches.", code="3210")
    total = 0
    for index, tokens in enumerate(COUNTER.count(texts, model)):
        if tokens > limits.max_tokens_per_input:
            raise APIError(
                400,
                f"Too many tokens in input {index}. Max is {limits.max_tokens_per_input} got {tokens}",
                param="input",
            )
        total += tokens
    if total > limits.max_tokens_per_request:
        raise TooManyTokens(limits.max_tokens_per_request, total)
    return total
