"""Token counts: the exact tokenizers, the bound used without them, and a mixed corpus against the server."""

from __future__ import annotations

import itertools
import random
import string
from pathlib import Path
from typing import Any

import mistral_common
import pytest
from embedkit import BatchLimits, Embedder, InputTooLongError
from embedkit._batching import fit, plan
from embedkit._tokens import TOKENIZER_FILES, ByteBound, ExactCounter, counter_for
from embedkit_server import DEV_TOKEN, BackgroundServer, count_tokens
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

DATA = Path(mistral_common.__file__).parent / "data"
FAMILIES = {"mistral-embed": "v1", "codestral-embed": "tekken"}
BOUND = ByteBound()


@pytest.fixture(scope="module")
def tokenizers() -> dict[str, Any]:
    """mistral-common's public tokenizers, the reference the fast paths are checked against."""
    return {
        family: MistralTokenizer.from_file(str(DATA / name)).instruct_tokenizer.tokenizer
        for family, name in TOKENIZER_FILES.items()
    }


def exact(model: str) -> ExactCounter:
    counter = counter_for(model, "exact")
    assert isinstance(counter, ExactCounter)
    return counter


# --- a mixed corpus, generated (seeded) ---------------------------------------------------------------------------

# Words of English prose and of this project's domain, joined into sentences.
PROSE = """
    the of and to in is that for it as with was on be by this are from at or an have not which but all
    one embedding vector model request token batch server client limit tokenizer corpus search
    similarity query Mistral cortecs Paris January 2026 performance throughput latency retrieval
"""
WORDS = PROSE.split()
CODE = [
    "def add(a: int, b: int) -> int:\n    return a + b\n",
    "for (let i = 0; i < n; i++) {\n\tsum += xs[i] * 2;\n}\n",
    "SELECT id, name FROM users WHERE age >= 21 ORDER BY name;\n",
    '#include <stdio.h>\nint main(void) { printf("%d\\n", 42); return 0; }\n',
    '{"key": [1, 2.5, null, true], "nested": {"a": "b"}}\n',
    "    if x != None and y == {}:\n        raise ValueError(f'{x!r}')\n",
]
EMOJI = ["😀", "🚀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "❤️", "🧪", "🦀", "🐍", "✨"]


def cjk(rng: random.Random, n: int) -> str:
    blocks = [(0x4E00, 0x9FFF), (0x3040, 0x309F), (0x30A0, 0x30FF), (0xAC00, 0xD7A3)]
    low, high = rng.choice(blocks)
    return "".join(chr(rng.randint(low, high)) for _ in range(n))


def english(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)) + "."


def short_text(rng: random.Random) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        return english(rng, rng.randint(3, 60))
    if kind == 1:
        return cjk(rng, rng.randint(1, 200))
    if kind == 2:
        return "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 50)))
    if kind == 3:
        return "".join(rng.choice(CODE) for _ in range(rng.randint(1, 8)))
    if kind == 4:
        return " ".join(str(rng.randint(0, 10 ** rng.randint(1, 30))) for _ in range(rng.randint(1, 40)))
    if kind == 5:
        return rng.choice([" ", "\n", "\t"]) * rng.randint(1, 300) + english(rng, 3)
    return " ".join(f(rng) for f in (lambda r: english(r, 5), lambda r: cjk(r, 20), lambda r: r.choice(EMOJI) * 3))


def long_text(rng: random.Random) -> str:
    """Around the 8192-token limit per input: some under, some over, for both tokenizers."""
    kind = rng.randrange(4)
    if kind == 0:
        return english(rng, rng.randint(7000, 9500))
    if kind == 1:
        return cjk(rng, rng.randint(4000, 9000))
    if kind == 2:
        return "".join(rng.choice(EMOJI) for _ in range(rng.randint(1500, 2600)))
    return str(rng.randint(1, 9)) * rng.randint(7900, 8400)


def corpus(seed: int = 9, size: int = 2000, long: int = 24) -> list[str]:
    rng = random.Random(seed)
    texts = [short_text(rng) for _ in range(size - long)]
    for _ in range(long):
        texts.insert(rng.randrange(len(texts) + 1), long_text(rng))
    return texts


CORPUS = corpus()


# --- the exact counters ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", FAMILIES)
def test_the_fast_batch_count_is_the_public_encode_without_special_tokens(model: str, tokenizers: Any) -> None:
    tokenizer = tokenizers[FAMILIES[model]]
    sample = [*CORPUS[:300], "a", " ", "1", "日本語"]
    expected = [max(1, len(tokenizer.encode(text, bos=False, eos=False))) for text in sample]
    assert exact(model).count(sample) == expected
    assert [count_tokens(text, model) for text in sample] == expected, "the server counts the same"


def test_both_tekken_files_count_text_alike() -> None:
    older = MistralTokenizer.from_file(str(DATA / "tekken_240718.json")).instruct_tokenizer.tokenizer
    sample = CORPUS[:300]
    assert [max(1, len(older.encode(t, bos=False, eos=False))) for t in sample] == exact("codestral-embed").count(
        sample
    )


def test_counts_are_cached_and_the_cache_is_bounded() -> None:
    counter = ExactCounter("v1", max_cached=10)
    texts = [f"text {i}" for i in range(25)]
    first = counter.count(texts)
    assert len(counter._cache) == 10
    assert counter.count(texts[-10:]) == first[-10:]
    assert ExactCounter("v1").count(["Hello world", "Hello world"]) == [2, 2], "a text twice in one batch"


@pytest.mark.parametrize("model", FAMILIES)
@pytest.mark.parametrize("budget", [1, 2, 7, 100, 8192])
def test_cutting_keeps_a_prefix_within_the_budget_by_the_same_count(model: str, budget: int) -> None:
    counter = exact(model)
    for text in CORPUS[:40] + [t for t in CORPUS if len(t) > 7000][:6]:
        cut = counter.cut(text, budget)
        assert text.startswith(cut)
        count = counter.count([cut])[0] if cut else 0
        assert count <= budget
        if counter.count([text])[0] <= budget:
            assert cut == text
        else:
            # Cut at a token's end, not byte-wise: close to the budget, not a quarter of it.
            assert count >= budget - 3 or budget < 8, (count, budget)


# --- the bound used without a tokenizer ------------------------------------------------------------------------------


def test_the_bound_is_bytes_plus_one_and_is_reached_by_some_texts() -> None:
    assert BOUND.count(["a", "日本語", "😀"]) == [2, 10, 5]
    # Tight as a per-byte bound: these reach it (v1 adds its leading "▁"), so no smaller one is safe.
    assert exact("mistral-embed").count(["1" * 500, "\n" * 500]) == [501, 501]
    assert exact("codestral-embed").count(["7" * 500]) == [500]
    assert exact("mistral-embed").count(["aA" * 250])[0] == 500, "letters too: one token a byte after the first"


def test_no_vocabulary_piece_is_empty(tokenizers: Any) -> None:
    """The argument for the bound: every token covers at least one byte (v1: one character, or one byte)."""
    tekken = tokenizers["tekken"]._model
    assert all(len(tekken.decode_single_token_bytes(i)) >= 1 for i in range(tekken.n_vocab))
    v1 = tokenizers["v1"]._model
    pieces = [v1.id_to_piece(i) for i in range(v1.get_piece_size()) if not v1.is_control(i) and not v1.is_unknown(i)]
    assert all(len(piece) >= 1 for piece in pieces)
    assert sum(v1.is_byte(i) for i in range(v1.get_piece_size())) == 256, "byte fallback covers every byte"


@pytest.mark.parametrize("model", FAMILIES)
def test_the_bound_never_undercounts_adversarial_text(model: str) -> None:
    counter = exact(model)
    texts = [
        "".join(pair) * 60 for pair in itertools.product(string.ascii_letters + string.digits + " \n\t.", repeat=2)
    ]
    texts += [chr(cp) * 3 for cp in range(0x20, 0x3000, 7)] + [chr(cp) for cp in range(0x1F300, 0x1FAFF, 3)]
    texts += ["\U0010fffd" * 40, "\x00" * 40, "\u2581" * 40, " " * 5000, "\ufdfa" * 30, *CORPUS]
    for text, found, bound in zip(texts, counter.count(texts), BOUND.count(texts), strict=True):
        assert bound >= found, (model, text[:40], bound, found)


# Strings of the pieces that cost most per byte: digits, punctuation, whitespace, emoji (ZWJ sequences, flags,
# modifiers), CJK, combining marks.
ADVERSARIAL = st.lists(
    st.sampled_from(
        [*string.digits, *string.punctuation, " ", "\n", "\t", "\r", *EMOJI, "日", "本", "é", "\u0301", "\u2581"]
    ),
    max_size=200,
).map("".join)


@pytest.mark.parametrize("model", FAMILIES)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300) | ADVERSARIAL | st.lists(st.sampled_from(CORPUS[:200]), max_size=4).map("".join))
def test_the_bound_never_undercounts_any_text(model: str, text: str) -> None:
    if text:
        assert BOUND.count([text])[0] >= exact(model).count([text])[0]


def test_the_bound_cuts_within_its_own_count() -> None:
    for text in ["日本語" * 10, "x" * 100, "😀" * 7]:
        for budget in (1, 5, 40):
            cut = BOUND.cut(text, budget)
            assert text.startswith(cut)
            assert not cut or BOUND.count([cut])[0] <= budget


# --- choosing a counter ---------------------------------------------------------------------------------------------


def test_the_choice_of_counter(monkeypatch: pytest.MonkeyPatch) -> None:
    assert counter_for("mistral-embed").exact
    assert counter_for("codestral-embed-2505", "exact") is exact("codestral-embed")
    assert isinstance(counter_for("mistral-embed", "estimate"), ByteBound)
    monkeypatch.setenv("EMBEDKIT_TOKENIZER", "estimate")
    assert isinstance(BatchLimits().counter, ByteBound)
    assert BatchLimits(tokenizer="exact").counter.exact, "an explicit choice wins over the environment"
    monkeypatch.setenv("EMBEDKIT_TOKENIZER", "fast")
    with pytest.raises(ValueError, match="EMBEDKIT_TOKENIZER must be one of"):
        BatchLimits().tokens("x")
    with pytest.raises(ValueError, match="tokenizer must be one of"):
        BatchLimits(tokenizer="fast")  # type: ignore[arg-type]
    monkeypatch.delenv("EMBEDKIT_TOKENIZER")
    # Without mistral-common: "auto" falls back to the bound, "exact" says what to install.
    monkeypatch.setattr("embedkit._tokens.exact_available", lambda: False)
    assert isinstance(BatchLimits().counter, ByteBound)
    with pytest.raises(ImportError, match=r"embedkit\[tokenizer\]"):
        BatchLimits(tokenizer="exact").tokens("x")


def test_whether_the_tokenizer_is_installed_is_looked_up_once_a_process_not_once_an_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A file's scan counts each record on its own (the per-input limit): a search of the import path each time was
    # 13 s of a 100,000-line file's 24 s run.
    import importlib.util

    from embedkit import _tokens

    looked_up = []
    real_find_spec = importlib.util.find_spec

    def counting_find_spec(name: str, package: str | None = None) -> Any:
        looked_up.append(name)
        return real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", counting_find_spec)
    _tokens.exact_available.cache_clear()
    try:
        limits = BatchLimits()
        for number in range(1000):
            assert limits.count([f"input {number}"]).mode == "lazy"
    finally:
        _tokens.exact_available.cache_clear()
    assert sorted(looked_up) == ["mistral_common", "sentencepiece"]


def test_an_over_long_input_is_named_with_its_exact_count() -> None:
    with pytest.raises(InputTooLongError, match="input 1 has 9001 tokens"):
        fit(["ok", "1" * 9000], BatchLimits(), truncate=False)
    with pytest.raises(InputTooLongError, match="input 1 may have up to 9001 tokens"):
        fit(["ok", "1" * 9000], BatchLimits(tokenizer="estimate"), truncate=False)


# --- the mixed corpus against the reference server ----------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Any:
    with BackgroundServer() as running:
        yield running


def embed_counting_refusals(
    server: Any, texts: list[str], model: str, *, truncate: bool, tokenizer: str = "auto"
) -> tuple[Any, int, list[str]]:
    """The result, the number of requests the server refused, and the texts as the client sent them."""
    limits = BatchLimits(model=model, tokenizer=tokenizer)  # type: ignore[arg-type]
    sent = fit(texts, limits, truncate=truncate)
    # A text repeated within one call is sent once (its copies get its row): plan the first occurrences.
    firsts = list(dict.fromkeys(sent))
    planned = len(list(plan(firsts, limits)))
    before, embedded = server.app.requests, server.app.inputs_embedded
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, progress=False) as embedder:
        result = embedder.embed(texts, model=model, truncate=truncate)
    requests = server.app.requests - before
    assert server.app.inputs_embedded - embedded == len(firsts)
    # Every accepted request reports request_count 1; a refused one (then split and resent) does not.
    assert result.usage.extra["request_count"] == planned
    return result, requests - planned, firsts


@pytest.mark.parametrize("model", FAMILIES)
def test_the_mixed_corpus_is_never_refused_and_billed_as_counted(server: Any, model: str) -> None:
    counter = exact(model)
    within = [text for text, n in zip(CORPUS, counter.count(CORPUS), strict=True) if n <= 8192]
    over = len(CORPUS) - len(within)
    assert over >= 3, "the corpus has inputs over the per-input limit"
    assert any(8000 <= n <= 8192 for n in counter.count(within)), "and some just under it"
    result, refused, _ = embed_counting_refusals(server, within, model, truncate=False)
    assert refused == 0
    assert result.vectors.shape[0] == len(within)
    assert result.usage.total_tokens == sum(count_tokens(text, model) for text in dict.fromkeys(within))

    result, refused, sent = embed_counting_refusals(server, CORPUS, model, truncate=True)
    assert refused == 0
    assert result.vectors.shape[0] == len(CORPUS)
    assert result.usage.total_tokens == sum(count_tokens(text, model) for text in sent)
    assert max(count_tokens(text, model) for text in sent) <= 8192


@pytest.mark.parametrize("model", FAMILIES)
def test_the_mixed_corpus_with_the_bound_only_is_never_refused(
    server: Any, model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMBEDKIT_TOKENIZER", "estimate")
    result, refused, sent = embed_counting_refusals(server, CORPUS, model, truncate=True, tokenizer="estimate")
    assert refused == 0
    assert result.vectors.shape[0] == len(CORPUS)
    assert result.usage.total_tokens == sum(count_tokens(text, model) for text in sent)


def test_the_server_without_mistral_common_falls_back_to_a_quarter_of_the_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from embedkit_server import _tokens

    monkeypatch.setattr(_tokens, "_load", lambda family: None)
    counter = _tokens.TokenCounter()
    assert not counter.exact
    assert counter.count(["", "a", "abcde", "日本語"], "mistral-embed") == [1, 1, 2, 3]
