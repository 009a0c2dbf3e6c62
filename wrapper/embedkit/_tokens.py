"""Counting an input's tokens before sending it: exactly with Mistral's tokenizer, else a bound that never undercounts.

With `mistral-common` installed (`pip install embedkit[tokenizer]`), inputs are counted with the tokenizer files
its wheel ships (no download). Which tokenizer each model uses is not documented by Mistral; assumed here:
`codestral-embed` (and its versioned ids) uses Tekken (`tekken_240911.json`), every other model the v1
SentencePiece tokenizer (`tokenizer.model.v1`), which LangChain's MistralAIEmbeddings also uses for mistral-embed
(a third-party choice). cortecs' non-Mistral models are counted with v1 too, as a stand-in: their own
tokenizers are not shipped. Special tokens (BOS/EOS) are not counted. The reference server makes the same
choices in its own copy of this logic (the server and the client do not import each other).

Without mistral-common, `ByteBound` counts UTF-8 bytes + 1. That never undercounts either tokenizer:
- Tekken is byte-level BPE: its tokens split the input's UTF-8 bytes into non-empty pieces, so there are at most
  as many tokens as bytes.
- v1 is SentencePiece BPE with byte fallback and no normalisation: it encodes "▁" + the text (spaces as "▁");
  every piece covers at least one character of that, except byte-fallback pieces, which cover one UTF-8 byte of
  a character missing from the vocabulary. So there are at most 1 + (UTF-8 bytes) pieces; the 1 is the leading
  "▁", which may stand alone ("1" is ["▁", "1"]).
No bound computed from character classes can be lower: digit strings, newline runs and strings such as
"aAaA..." reach one token per byte in both tokenizers (measured), and byte-fallback characters cost their UTF-8
length. For English prose and code the bound is about 3 to 4 times the exact count (smaller batches, and
`truncate=True` cuts earlier than it must): install the `tokenizer` extra for exact counts.
`tests/test_tokens.py` checks bound >= exact on adversarial and property-generated text.

When the tokenizer loads: loading one costs more CPU than a whole call of a few thousand short texts, and tens of
MiB (Tekken several times v1's). So with "auto" (the default), a call's texts are counted by the
bound first (`TokenCounts`), and only the texts whose bound could change a decision are counted exactly: an
input whose bound is over the per-input limit, the texts of a batch the bound would cut for tokens (see
`_batching.plan`), and every text whose count is spent or billed (a tokens/min rate budget, an estimate). A call
of short texts never loads it; every decision is still the one exact counts would make.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

#: How inputs are counted: "exact" counts every input with Mistral's tokenizer (needs mistral-common);
#: "estimate" is `ByteBound` only, never loading a tokenizer; "auto" makes the decisions exact counts would make
#: when mistral-common is installed, counting exactly only where the bound could change one (see the module
#: docstring), else is "estimate". The environment variable EMBEDKIT_TOKENIZER overrides "auto" (e.g. to measure
#: the estimate).
TokenizerChoice = Literal["auto", "exact", "estimate"]
TOKENIZER_CHOICES = ("auto", "exact", "estimate")
TOKENIZER_VARIABLE = "EMBEDKIT_TOKENIZER"

#: The tokenizer file of each family, inside mistral-common's `data` directory.
TOKENIZER_FILES = {"v1": "tokenizer.model.v1", "tekken": "tekken_240911.json"}


def family_for(model: str) -> str:
    """The tokenizer family assumed for `model` (see the module docstring); versioned ids count as their alias."""
    return "tekken" if model.startswith("codestral-embed") else "v1"


class TokenCounter(Protocol):
    """Counts tokens of inputs, and cuts an input to a token budget, by one and the same count."""

    @property
    def exact(self) -> bool:
        """Whether counts are the tokenizer's own, rather than an upper bound."""
        ...

    def count(self, texts: Sequence[str]) -> list[int]:
        """The token count of each text, at least 1 each."""
        ...

    def cut(self, text: str, max_tokens: int) -> str:
        """The longest prefix of `text` (at a character boundary) that `count` finds within `max_tokens`."""
        ...


@dataclass(frozen=True)
class ByteBound:
    """UTF-8 bytes + 1: an upper bound on both Mistral tokenizers' counts (the argument is in the module docstring)."""

    exact: bool = False

    def count(self, texts: Sequence[str]) -> list[int]:
        """The bound for each text."""
        return [len(text.encode("utf-8")) + 1 for text in texts]

    def cut(self, text: str, max_tokens: int) -> str:
        """The prefix of at most `max_tokens - 1` bytes, at a character boundary."""
        return text.encode("utf-8")[: max(0, max_tokens - 1)].decode("utf-8", errors="ignore")


class ExactCounter:
    """Mistral's tokenizer for one family, through mistral-common, with an LRU cache of counts per text.

    Counting may be on a call's path (long texts, full batches, a tokens/min budget: see `TokenCounts`): uncached
    texts are counted in one batch call into the tokenizer's native code, and a text seen before costs a
    dictionary lookup.
    """

    exact = True

    def __init__(self, family: str, max_cached: int = 1 << 16) -> None:
        import mistral_common
        from mistral_common.tokens.tokenizers.sentencepiece import SentencePieceTokenizer

        path = Path(mistral_common.__file__).parent / "data" / TOKENIZER_FILES[family]
        self.family = family
        self.max_cached = max_cached
        self._cache: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()
        self._encode_batch: Callable[[list[str]], list[list[int]]]
        self._ends: Callable[[str], list[int]]
        if family == "tekken":
            # The tiktoken encoding itself: its batch call runs in Rust and gives the ids Tekkenizer.encode does,
            # less the offset of special ids, which does not change a count (tested).
            encoding = tekken_encoding(path)
            self._encode_batch = encoding.encode_ordinary_batch
            self._ends = lambda text: _byte_ends([len(b) for b in encoding.decode_tokens_bytes(encoding.encode(text))])
        else:
            processor: Any = SentencePieceTokenizer(path)._model
            self._encode_batch = processor.encode
            self._ends = lambda text: [
                end - 1 for end in _byte_ends([_piece_bytes(p) for p in processor.encode(text, out_type=str)])
            ]

    def count(self, texts: Sequence[str]) -> list[int]:
        """The exact count of each text (no BOS/EOS), at least 1 each."""
        counts: list[int | None] = []
        missing: dict[str, int] = {}
        with self._lock:
            for text in texts:
                found = self._cache.get(text)
                if found is None:
                    missing[text] = 0
                else:
                    self._cache.move_to_end(text)
                counts.append(found)
        if missing:
            for text, ids in zip(missing, self._encode_batch(list(missing)), strict=True):
                missing[text] = max(1, len(ids))
            with self._lock:
                self._cache.update(missing)
                while len(self._cache) > self.max_cached:
                    self._cache.popitem(last=False)
        return [missing[text] if found is None else found for text, found in zip(texts, counts, strict=True)]

    def cut(self, text: str, max_tokens: int) -> str:
        """Cut after the token `max_tokens`, then recount: a prefix may tokenize differently, so repeat until it fits.

        For v1 the ends are read from the pieces, less the leading "▁" SentencePiece adds (not in the text).
        """
        while self.count([text])[0] > max_tokens:
            # The UTF-8 byte offset where token `max_tokens` ends; a cut inside a character drops that character.
            end = self._ends(text)[max_tokens - 1]
            shorter = text.encode("utf-8")[:end].decode("utf-8", errors="ignore")
            # Always progress: a prefix as long as the text would loop forever.
            text = shorter if len(shorter) < len(text) else text[:-1]
        return text


def tekken_encoding(path: Path) -> Any:
    """The tiktoken encoding of a Tekken file, built as `Tekkenizer.from_file` builds it, but faster.

    Tekkenizer also lists every token's text: two thirds of its load time, and not needed to count. The counts
    are checked against Tekkenizer's in the tests.
    """
    import tiktoken
    from mistral_common.tokens.tokenizers.tekken import _reload_mergeable_ranks

    data = json.loads(path.read_text(encoding="utf-8"))
    config = data["config"]
    ranks = _reload_mergeable_ranks(
        data["vocab"], max_vocab=config["default_vocab_size"] - config["default_num_special_tokens"]
    )
    return tiktoken.Encoding(name=path.stem, pat_str=config["pattern"], mergeable_ranks=ranks, special_tokens={})


def _piece_bytes(piece: str) -> int:
    """The UTF-8 bytes of the text a SentencePiece piece stands for: "▁" is a space, "<0xNN>" a single byte.

    A literal "▁" in the text (3 bytes) is read as a space here, which only makes a cut shorter than it could
    be, never over the budget (the cut is recounted).
    """
    if len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
        return 1
    return len(piece.replace("\u2581", " ").encode("utf-8"))


def _byte_ends(lengths: list[int]) -> list[int]:
    """Where each token ends, in UTF-8 bytes from the start, given the tokens' byte lengths."""
    ends, total = [], 0
    for length in lengths:
        total += length
        ends.append(total)
    return ends


_COUNTERS: dict[tuple[str, str], TokenCounter] = {}
_COUNTERS_LOCK = threading.Lock()


@functools.cache
def exact_available() -> bool:
    """Whether mistral-common is installed, so exact counts are possible.

    Found without importing it: the answer is needed on every call's path, the import only when counting. Looked
    up once a process: a search of the import path costs about 0.1 ms, and a file's scan asks once per input (a
    100,000-line file's run took 24 s, 11 s without the lookups).
    """
    # sentencepiece is an extra of mistral-common (ours pulls it in): without it v1 cannot be loaded.
    return all(importlib.util.find_spec(name) is not None for name in ("mistral_common", "sentencepiece"))


#: What a choice means in this process: every count exact, bounds only, or bounds made exact where they matter.
Mode = Literal["exact", "estimate", "lazy"]


def mode_of(choice: TokenizerChoice) -> Mode:
    """What `choice` means here: "auto" reads EMBEDKIT_TOKENIZER, then is "lazy" if mistral-common is installed."""
    if choice not in TOKENIZER_CHOICES:
        raise ValueError(f"tokenizer must be one of {TOKENIZER_CHOICES}, got {choice!r}")
    if choice == "auto":
        override = os.environ.get(TOKENIZER_VARIABLE, "auto")
        if override not in TOKENIZER_CHOICES:
            raise ValueError(f"{TOKENIZER_VARIABLE} must be one of {TOKENIZER_CHOICES}, got {override!r}")
        choice = override  # type: ignore[assignment]
    if choice == "estimate":
        return "estimate"
    if choice == "exact":
        if not exact_available():
            raise ImportError("exact token counts need mistral-common: pip install 'embedkit[tokenizer]'")
        return "exact"
    return "lazy" if exact_available() else "estimate"


def counter_for(model: str, choice: TokenizerChoice = "auto") -> TokenCounter:
    """The counter decisions rely on for `model`: exact unless only the bound is available or asked for.

    Shared per process, since loading a tokenizer takes up to a second or two; calling this loads it.
    """
    if mode_of(choice) == "estimate":
        return ByteBound()
    family = family_for(model)
    with _COUNTERS_LOCK:
        if ("exact", family) not in _COUNTERS:
            _COUNTERS["exact", family] = ExactCounter(family)
        return _COUNTERS["exact", family]


class TokenCounts:
    """The token counts of some texts: each an upper bound, made exact when a decision asks for it.

    `values[i]` is text i's count (exact, or the bound, which is never lower); `make_exact` counts texts with
    the tokenizer (loading it then, in mode "lazy"). In mode "exact" every value is exact from the start; in
    mode "estimate" none ever is. One object serves one list of texts (a call's, a window's), so a text is
    counted exactly at most once.
    """

    def __init__(self, texts: Sequence[str], model: str, choice: TokenizerChoice = "auto") -> None:
        self.texts = texts
        self.model = model
        self.mode = mode_of(choice)
        self._counter: TokenCounter | None = None
        if self.mode == "exact":
            self.values = self.counter.count(texts)
            self._exact: set[int] | None = None  # None: every value is exact (or, in mode "estimate", none)
        else:
            self.values = ByteBound().count(texts)
            self._exact = set() if self.mode == "lazy" else None

    @property
    def counter(self) -> TokenCounter:
        """The counter exact decisions use (loads the tokenizer, except in mode "estimate")."""
        if self._counter is None:
            self._counter = ByteBound() if self.mode == "estimate" else counter_for(self.model, "exact")
        return self._counter

    @property
    def exact(self) -> bool:
        """Whether every value is exact."""
        if self.mode != "lazy":
            return self.mode == "exact"
        return self._exact is not None and len(self._exact) == len(self.values)

    @property
    def refinable(self) -> bool:
        """Whether `make_exact` can still change a value (mode "lazy", some values still bounds)."""
        return self.mode == "lazy" and not self.exact

    def is_exact(self, index: int) -> bool:
        """Whether `values[index]` is the tokenizer's count, rather than the bound."""
        return self.mode == "exact" or (self._exact is not None and index in self._exact)

    def make_exact(self, indexes: Iterable[int] | None = None) -> None:
        """Count the texts at `indexes` (default: all) exactly, in one batch call; a no-op except in mode "lazy"."""
        if self._exact is None:
            return
        wanted = range(len(self.values)) if indexes is None else indexes
        missing = [index for index in wanted if index not in self._exact]
        if not missing:
            return
        for index, count in zip(missing, self.counter.count([self.texts[i] for i in missing]), strict=True):
            self.values[index] = count
        self._exact.update(missing)
