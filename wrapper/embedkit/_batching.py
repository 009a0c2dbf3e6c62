"""Checking inputs and cutting them into requests the service accepts, before anything is sent.

Tokens are counted by `_tokens`: first by a bound that never undercounts (UTF-8 bytes + 1), then, when
mistral-common is installed (the `tokenizer` extra), exactly with Mistral's own tokenizer for the call's model
wherever the bound could change a decision: an input whose bound is over the per-input limit (`fit`: is it
really too long, where to cut it), and the texts of a batch the bound would cut for tokens (`plan`: exact
counts fill it as full as they allow). So the batches and errors are exactly those of exact counts, and a call
whose batches fit by the bound never loads the tokenizer (a load costs more than such a call). Without
mistral-common the bound decides, so a planned batch is never refused for size, at the price of smaller batches.
Should the service still say "Too many tokens" (a model whose tokenizer is not the assumed one), the batch is
split and sent again (see the clients).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from ._errors import InputError, InputTooLongError
from ._tokens import TOKENIZER_CHOICES, TokenCounter, TokenCounts, TokenizerChoice, counter_for


@dataclass(frozen=True)
class BatchLimits:
    """How much one request may carry, and how its tokens are counted; the defaults are Mistral's (as reported).

    `model` picks the tokenizer (each call sets it to the model it embeds with); `tokenizer` is "auto" (exact
    decisions when mistral-common is installed, counting exactly only where they need it), "exact" (every input
    counted exactly) or "estimate" (the never-undercounting byte bound only).
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
        """The counter exact decisions use (shared per process; calling this loads the tokenizer)."""
        return counter_for(self.model, self.tokenizer)

    def count(self, texts: Sequence[str]) -> TokenCounts:
        """The texts' counts: bounds, made exact where a decision needs it (without loading a tokenizer before)."""
        return TokenCounts(texts, self.model, self.tokenizer)

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


def fit(texts: list[str], limits: BatchLimits, *, truncate: bool) -> list[str]:
    """Inputs within the per-input limit: truncated if asked, else an `InputTooLongError` naming the index.

    Only an input whose bound is over the limit can be; those (and only those) are counted exactly.
    """
    counts = limits.count(texts)
    over = [index for index, tokens in enumerate(counts.values) if tokens > limits.max_input_tokens]
    if not over:
        return texts
    counts.make_exact(over)
    fitted = list(texts)
    for index in over:
        tokens = counts.values[index]
        if tokens <= limits.max_input_tokens:
            continue
        if not truncate:
            counted = "has" if counts.is_exact(index) else "may have up to"
            raise InputTooLongError(
                f"input {index} {counted} {tokens} tokens, over the limit of {limits.max_input_tokens} "
                "per input; shorten it or pass truncate=True",
                index=index,
            )
        fitted[index] = counts.counter.cut(texts[index], limits.max_input_tokens)
        if not fitted[index].strip():
            # Truncation must not turn a text into an empty input, which the service refuses (or embeds as noise).
            raise InputTooLongError(
                f"input {index} cannot be truncated to {limits.max_input_tokens} tokens without emptying it",
                index=index,
            )
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


def plan(texts: list[str], limits: BatchLimits, counts: TokenCounts | None = None) -> Iterator[Batch]:
    """Consecutive batches, in input order, each within the input count and token budget: those exact counts give.

    Texts are added while their counts fit; where bounds would cut a batch for tokens, the batch's texts are
    counted exactly first (each text at most once), and the cut is made only if the exact counts say so. Bounds
    are never below exact counts, so a batch the bounds let through is one exact counts would too. `counts`
    are the caller's (it may need them afterwards: `values` then holds the counts the plan settled on).
    """
    counts = limits.count(texts) if counts is None else counts
    values = counts.values
    start, tokens = 0, 0
    exact_from = 0  # texts of the current batch before this index are counted exactly already
    for index in range(len(texts)):
        if index > start:
            if index - start >= limits.max_inputs:
                yield Batch(start, index)
                start, tokens = index, 0
            elif tokens + values[index] > limits.max_tokens:
                if counts.refinable:
                    first = max(start, exact_from)
                    before = sum(values[first:index])
                    counts.make_exact(range(first, index + 1))
                    tokens += sum(values[first:index]) - before
                    exact_from = index + 1
                if tokens + values[index] > limits.max_tokens:
                    yield Batch(start, index)
                    start, tokens = index, 0
        tokens += values[index]
    if start < len(texts):
        yield Batch(start, len(texts))
