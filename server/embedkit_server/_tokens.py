"""Token counts as Mistral's own tokenizers give them, for `usage` and for the request limits.

The tokenizer files ship inside the `mistral-common` wheel (Apache-2.0): nothing is downloaded, at install or at
run time. Which tokenizer each embedding model uses is not documented by Mistral; what is assumed here:

- `mistral-embed` (and any model not listed below): the v1 SentencePiece tokenizer (`tokenizer.model.v1`, the
  Mistral 7B / Mixtral one). LangChain's MistralAIEmbeddings counts mistral-embed with the Mixtral tokenizer, the
  same v1 family (a third-party choice, not Mistral's statement). cortecs' other models (bge-m3,
  multilingual-e5-large) use tokenizers mistral-common does not ship; they are counted with v1 as a stand-in.
- `codestral-embed`: Tekken (`tekken_240911.json`), the tokenizer of Mistral's models since mid-2024, Codestral
  among them. An assumption; `tekken_240718.json` counts text identically (tested), so the choice between the
  two files does not matter.

Special tokens (BOS/EOS) are not counted: an embedding input is not a chat turn, and nothing public says the
service bills them. Every input counts at least 1 token.

Without `mistral-common` installed (the `tokenizer` extra), counts fall back to the old estimate, ceil(UTF-8
bytes / 4): close for English, up to 4x under for CJK text, emoji and code.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BYTES_PER_TOKEN = 4

#: The tokenizer file of each family, inside mistral-common's `data` directory.
TOKENIZER_FILES = {"v1": "tokenizer.model.v1", "tekken": "tekken_240911.json"}


def family_for(model: str) -> str:
    """The tokenizer family assumed for `model` (see the module docstring); versioned ids count as their alias."""
    return "tekken" if model.startswith("codestral-embed") else "v1"


def estimate(text: str) -> int:
    """The fallback without a tokenizer: ceil(UTF-8 bytes / 4), at least 1."""
    return max(1, -(-len(text.encode("utf-8", "surrogatepass")) // BYTES_PER_TOKEN))


def _load(family: str) -> Callable[[list[str]], list[int]] | None:
    """A batch counter for the family, or None when mistral-common is not installed."""
    try:
        import mistral_common
        import sentencepiece  # noqa: F401  (an extra of mistral-common, needed for v1)
        from mistral_common.tokens.tokenizers.sentencepiece import SentencePieceTokenizer
    except ImportError:
        return None
    path = Path(mistral_common.__file__).parent / "data" / TOKENIZER_FILES[family]
    if family == "tekken":
        # The tiktoken encoding itself: its batch call runs in Rust, and gives the ids Tekkenizer.encode does
        # (less the offset of special ids, which does not change a count; tested).
        encoding = tekken_encoding(path)
        return lambda texts: [len(ids) for ids in encoding.encode_ordinary_batch(texts)]
    processor: Any = SentencePieceTokenizer(path)._model
    return lambda texts: [len(ids) for ids in processor.encode(texts)]


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


class TokenCounter:
    """Counts tokens per model, exactly when mistral-common is installed, with an LRU cache of counts per text.

    The server embeds tens of thousands of short texts a second in the benchmarks: counts are computed for all
    of a request's uncached texts in one batch call, and a text seen before costs a dictionary lookup.
    """

    def __init__(self, max_cached: int = 1 << 16) -> None:
        self.max_cached = max_cached
        self._counters: dict[str, Callable[[list[str]], list[int]] | None] = {}
        self._cache: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def exact(self) -> bool:
        """Whether counts come from Mistral's tokenizers rather than the bytes/4 estimate."""
        return self._counter("v1") is not None

    def _counter(self, family: str) -> Callable[[list[str]], list[int]] | None:
        with self._lock:
            if family not in self._counters:
                self._counters[family] = _load(family)
            return self._counters[family]

    def count(self, texts: Sequence[str], model: str) -> list[int]:
        """The token count of each text for `model`, at least 1 each."""
        family = family_for(model)
        counter = self._counter(family)
        if counter is None:
            return [estimate(text) for text in texts]
        counts: list[int | None] = []
        missing: dict[str, int] = {}
        with self._lock:
            for text in texts:
                key = (family, text)
                found = self._cache.get(key)
                if found is None:
                    missing[text] = 0
                else:
                    self._cache.move_to_end(key)
                counts.append(found)
        if missing:
            for text, computed in zip(missing, counter(list(missing)), strict=True):
                missing[text] = max(1, computed)
            with self._lock:
                for text, computed in missing.items():
                    self._cache[(family, text)] = computed
                while len(self._cache) > self.max_cached:
                    self._cache.popitem(last=False)
        return [missing[text] if found is None else found for text, found in zip(texts, counts, strict=True)]


COUNTER = TokenCounter()


def count_tokens(text: str, model: str = "mistral-embed") -> int:
    """The tokens the server counts for one input of `model`: in `usage` and against the limits."""
    return COUNTER.count([text], model)[0]
