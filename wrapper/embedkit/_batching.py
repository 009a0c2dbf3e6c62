"""Checking inputs and cutting them into requests the service accepts, before anything is sent.

Tokens are counted by `_tokens`: exactly, with Mistral's own tokenizer for the call's model, when mistral-common
is installed (the `tokenizer` extra); otherwise by a bound that never undercounts (UTF-8 bytes + 1), so a
planned batch is never refused for size, at the price of smaller batches. Should the service still say "Too
many tokens" (a model whose tokenizer is not the assumed one), the batch is split and sent again (see the
clients).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from ._errors import InputError, InputTooLongError
from ._tokens import TOKENIZER_CHOICES, TokenCounter, TokenizerChoice, counter_for


@dataclass(frozen=True)
class BatchLimits:
    """How much one request may carry, and how its tokens are counted; the defaults are Mistral's (FACTS.md).

    `model` picks the tokenizer (each call sets it to the model it embeds with); `tokenizer` is "auto" (exact
    when mistral-common is installed), "exact" or "estimate" (the never-undercounting byte bound).
    """

    max_inputs: int = 512
    max_tokens: int = 16384
    max_input_tokens: int = 8192
    model: str = "mistral-embed"
    tokenizer: TokenizerChoice = "auto"

    def __post_init__(self) -> None:
        for name in ("max_inputs", "max_tokens", "max_input_tokens"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.max_input_tokens > self.max_tokens:
            raise ValueError("max_input_tokens cannot exceed max_tokens")
        if self.tokenizer not in TOKENIZER_CHOICES:
            raise ValueError(f"tokenizer must be one of {TOKENIZER_CHOICES}, got {self.tokenizer!r}")

    def for_model(self, model: str) -> BatchLimits:
        """The same limits, counting with `model`'s tokenizer: a call knows its model only when it starts."""
        return self if model == self.model else replace(self, model=model)

    @property
    def counter(self) -> TokenCounter:
        """The counter these limits use (shared per process: loading a tokenizer takes a second)."""
        return counter_for(self.model, self.tokenizer)

    def tokens(self, text: str) -> int:
        """The token count of one input: exact, or an upper bound."""
        return self.counter.count([text])[0]


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
    """The longest prefix of `text`, cut at a character boundary, within the per-input limit by the same count."""
    return limits.counter.cut(text, limits.max_input_tokens)


def fit(texts: list[str], limits: BatchLimits, *, truncate: bool) -> list[str]:
    """Inputs within the per-input limit: truncated if asked, else an `InputTooLongError` naming the index."""
    counter = limits.counter
    fitted = []
    for index, (text, tokens) in enumerate(zip(texts, counter.count(texts), strict=True)):
        if tokens > limits.max_input_tokens:
            if not truncate:
                counted = "has" if counter.exact else "may have up to"
                raise InputTooLongError(
                    f"input {index} {counted} {tokens} tokens, over the limit of {limits.max_input_tokens} "
                    "per input; shorten it or pass truncate=True",
                    index=index,
                )
            text = counter.cut(text, limits.max_input_tokens)
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


def plan(texts: list[str], limits: BatchLimits, costs: Sequence[int] | None = None) -> Iterator[Batch]:
    """Consecutive batches, in input order, each within the input count and token budget.

    `costs` are the texts' token counts when the caller has them already (it spends them from the rate budget).
    """
    start, tokens = 0, 0
    for index, cost in enumerate(limits.counter.count(texts) if costs is None else costs):
        if index > start and (index - start >= limits.max_inputs or tokens + cost > limits.max_tokens):
            yield Batch(start, index)
            start, tokens = index, 0
        tokens += cost
    if start < len(texts):
        yield Batch(start, len(texts))
