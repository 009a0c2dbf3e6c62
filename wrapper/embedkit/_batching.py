"""Checking inputs and cutting them into requests the service accepts, before anything is sent.

Tokens are estimated without a tokenizer (nothing to download): ceil(UTF-8 bytes / `bytes_per_token`), at
least one per input. The default of 4 matches the reference server's count and English text on Mistral's
tokenizer; where the real count turns out higher, the service says "Too many tokens" and the batch is split
and sent again (see the clients), so the estimate only has to be close, not exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ._errors import InputError, InputTooLongError


@dataclass(frozen=True)
class BatchLimits:
    """How much one request may carry; the defaults are Mistral's (FACTS.md)."""

    max_inputs: int = 512
    max_tokens: int = 16384
    max_input_tokens: int = 8192
    bytes_per_token: int = 4

    def __post_init__(self) -> None:
        for name in ("max_inputs", "max_tokens", "max_input_tokens", "bytes_per_token"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_input_tokens > self.max_tokens:
            raise ValueError("max_input_tokens cannot exceed max_tokens")

    def tokens(self, text: str) -> int:
        """The estimated token count of one input."""
        return max(1, -(-len(text.encode("utf-8")) // self.bytes_per_token))


def check_texts(texts: str | Iterable[str]) -> list[str]:
    """The inputs as a list of non-empty strings, or an `InputError` naming the first bad index."""
    if isinstance(texts, str):
        texts = [texts]
    elif isinstance(texts, bytes | bytearray) or texts is None:
        raise InputError(f"texts must be a string or an iterable of strings, got {type(texts).__name__}")
    checked = []
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise InputError(f"input {index} is {type(text).__name__}, not a string", index=index)
        if not text:
            raise InputError(f"input {index} is an empty string; the service cannot embed it", index=index)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InputError(f"input {index} is not valid Unicode text ({error.reason})", index=index) from None
        checked.append(text)
    return checked


def truncate_to(text: str, limits: BatchLimits) -> str:
    """The longest prefix of `text`, cut at a character boundary, within the per-input token limit."""
    budget = limits.max_input_tokens * limits.bytes_per_token
    encoded = text.encode("utf-8")
    if len(encoded) <= budget:
        return text
    return encoded[:budget].decode("utf-8", errors="ignore")


def fit(texts: list[str], limits: BatchLimits, *, truncate: bool) -> list[str]:
    """Inputs within the per-input limit: truncated if asked, else an `InputTooLongError` naming the index."""
    fitted = []
    for index, text in enumerate(texts):
        tokens = limits.tokens(text)
        if tokens > limits.max_input_tokens:
            if not truncate:
                raise InputTooLongError(
                    f"input {index} has about {tokens} tokens, over the limit of {limits.max_input_tokens} "
                    "per input; shorten it or pass truncate=True",
                    index=index,
                )
            text = truncate_to(text, limits)
        fitted.append(text)
    return fitted


@dataclass(frozen=True)
class Batch:
    """Inputs `start` to `stop` (exclusive) of the call, sent as one request."""

    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start

    def halves(self) -> tuple[Batch, Batch]:
        """The batch split in two, for a service that found it too large after all."""
        middle = self.start + len(self) // 2
        return Batch(self.start, middle), Batch(middle, self.stop)


def plan(texts: list[str], limits: BatchLimits) -> Iterator[Batch]:
    """Consecutive batches, in input order, each within the input count and token budget."""
    start, tokens = 0, 0
    for index, text in enumerate(texts):
        cost = limits.tokens(text)
        if index > start and (index - start >= limits.max_inputs or tokens + cost > limits.max_tokens):
            yield Batch(start, index)
            start, tokens = index, 0
        tokens += cost
    if start < len(texts):
        yield Batch(start, len(texts))
