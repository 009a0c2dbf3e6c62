"""Quantized outputs against the reference server: bit order, offsets, and a binary search finding the float hits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from embedkit import (
    Embedder,
    binary_to_ubinary,
    hamming_distances,
    hamming_top_k,
    pack_bits,
    rescore,
    top_k,
    uint8_to_int8,
    unpack_bits,
)
from embedkit_server import DEV_TOKEN

ROOT = Path(__file__).resolve().parent.parent
CORPUS = [json.loads(line) for line in (ROOT / "demo" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
# The queries `make demo` searches with (tools/demo.py), each with the corpus topic it is about.
QUERIES = {
    "boiling pasta in salted water": "cooking",
    "telescope pictures of a galaxy": "astronomy",
    "interest rates and inflation": "finance",
    "training plan for a marathon": "running",
    "a bug in the server code": "programming",
}


@pytest.fixture(scope="module")
def embedder(server: Any) -> Iterator[Embedder]:
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, model="codestral-embed") as client:
        yield client


def test_demo_queries_and_topics_are_the_demos() -> None:
    import demo

    assert list(QUERIES) == demo.QUERIES
    assert set(QUERIES.values()) <= {row["topic"] for row in CORPUS}


@pytest.mark.parametrize("dimension", [256, 100])
def test_packed_bits_are_the_float_signs_in_big_endian_order(embedder: Embedder, dimension: int) -> None:
    texts = [row["text"] for row in CORPUS[:40]]
    floats = embedder.embed(texts, output_dimension=dimension).vectors
    ubinary = embedder.embed(texts, output_dimension=dimension, output_dtype="ubinary").vectors
    binary = embedder.embed(texts, output_dimension=dimension, output_dtype="binary").vectors
    assert ubinary.dtype == np.uint8
    assert binary.dtype == np.int8
    assert ubinary.shape == binary.shape == (40, -(-dimension // 8))
    expected = (floats > 0).astype(np.uint8)
    assert np.array_equal(unpack_bits(ubinary, dimension), expected)
    assert np.array_equal(unpack_bits(binary, dimension), expected)
    # Big-endian bit order, by hand for one byte: component 0 is the most significant bit of byte 0.
    first = sum(int(bit) << (7 - position) for position, bit in enumerate(expected[0, :8]))
    assert int(ubinary[0, 0]) == first
    # binary is ubinary offset by 128, not the same bytes read as signed.
    assert np.array_equal(binary.astype(np.int16), ubinary.astype(np.int16) - 128)
    assert np.array_equal(binary_to_ubinary(binary), ubinary)
    # Quantizing float rows locally gives the service's bytes.
    assert np.array_equal(pack_bits(floats), ubinary)
    assert np.array_equal(pack_bits(floats, signed=True), binary)


def test_uint8_is_int8_plus_128_and_int8_follows_the_floats(embedder: Embedder) -> None:
    texts = [row["text"] for row in CORPUS[:40]]
    floats = embedder.embed(texts, output_dimension=512).vectors
    int8 = embedder.embed(texts, output_dimension=512, output_dtype="int8").vectors
    uint8 = embedder.embed(texts, output_dimension=512, output_dtype="uint8").vectors
    assert int8.dtype == np.int8
    assert uint8.dtype == np.uint8
    assert np.array_equal(uint8.astype(np.int16), int8.astype(np.int16) + 128)
    assert np.array_equal(uint8_to_int8(uint8), int8)
    # Same signs as the floats wherever the byte is not zero, and nearly the same direction.
    nonzero = int8 != 0
    assert np.array_equal(np.sign(int8[nonzero]), np.sign(floats[nonzero]))
    cosines = np.sum(floats * int8, axis=1) / (np.linalg.norm(floats, axis=1) * np.linalg.norm(int8, axis=1))
    assert cosines.min() > 0.99


def test_hamming_distances_count_differing_bits() -> None:
    rows = np.array([[0b1010_0000, 0xFF], [0b0010_0000, 0x0F], [0, 0]], dtype=np.uint8)
    assert hamming_distances(rows, rows).tolist() == [[0, 5, 10], [5, 0, 5], [10, 5, 0]]
    # The signed layout gives the same distances.
    signed = (rows.astype(np.int16) - 128).astype(np.int8)
    assert np.array_equal(hamming_distances(signed, rows), hamming_distances(rows, rows))
    indices, distances = hamming_top_k(rows[2], rows, k=3)
    assert indices.tolist() == [[2, 1, 0]]
    assert distances.tolist() == [[0, 5, 10]]


def test_hamming_top_k_breaks_ties_by_index() -> None:
    corpus = np.array([[0b1000_0000], [0b0100_0000], [0b0000_0000], [0b0010_0000]], dtype=np.uint8)
    indices, distances = hamming_top_k(np.array([[0]], dtype=np.uint8), corpus, k=4)
    assert indices.tolist() == [[2, 0, 1, 3]]
    assert distances.tolist() == [[0, 1, 1, 1]]


def test_bad_inputs_are_refused_by_name() -> None:
    with pytest.raises(TypeError, match="int8 \\(binary\\) or uint8 \\(ubinary\\), not float32"):
        unpack_bits(np.zeros((1, 4), np.float32))
    with pytest.raises(ValueError, match="different output_dimension"):
        hamming_distances(np.zeros((1, 4), np.uint8), np.zeros((2, 8), np.uint8))
    with pytest.raises(ValueError, match="dimension 40 does not fit rows of 4 packed bytes"):
        unpack_bits(np.zeros((1, 4), np.uint8), 40)
    with pytest.raises(TypeError, match="needs uint8 rows, not int8"):
        uint8_to_int8(np.zeros((1, 4), np.int8))
    with pytest.raises(TypeError, match="needs float rows"):
        pack_bits(np.zeros((1, 4), np.int8))
    with pytest.raises(IndexError, match="out of range for a corpus of 2 rows"):
        rescore(np.ones((1, 3)), np.ones((2, 3)), np.array([[0, 2]]))
    with pytest.raises(ValueError, match="1 queries but 2 rows of candidates"):
        rescore(np.ones((1, 3)), np.ones((2, 3)), np.array([[0], [1]]))


def test_rescore_orders_candidates_by_cosine() -> None:
    corpus = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [-1.0, 0.0]], dtype=np.float32)
    indices, scores = rescore(np.array([[0.0, 2.0]]), corpus, np.array([[0, 1, 3]]), k=2)
    assert indices.tolist() == [[1, 0]]
    assert scores[0].tolist() == pytest.approx([0.8, 0.0])


def test_binary_search_finds_the_float_search_hits_on_the_demo_corpus(embedder: Embedder) -> None:
    texts = [row["text"] for row in CORPUS]
    topics = np.array([row["topic"] for row in CORPUS])
    queries = list(QUERIES)
    corpus_float = embedder.embed(texts).vectors
    corpus_bits = embedder.embed(texts, output_dtype="ubinary").vectors
    query_float = embedder.embed(queries).vectors
    query_bits = embedder.embed(queries, output_dtype="binary").vectors  # the other layout, on purpose
    assert corpus_bits.nbytes * 32 == corpus_float.nbytes

    float_hits, _ = top_k(query_float, corpus_float, k=5)
    bit_hits, _ = hamming_top_k(query_bits, corpus_bits, k=5)
    # Bits alone: every query's five hits are on the same topics, in the same order, as its float hits, and the
    # first is on the query's own topic (the order within a topic may differ: the bits are a coarser ranking).
    for row, topic in enumerate(QUERIES.values()):
        assert topics[float_hits[row, 0]] == topic
        assert list(topics[bit_hits[row]]) == list(topics[float_hits[row]])
    # Bits, then float rescoring of 30 candidates (a tenth of the corpus): exactly the float top five, in order.
    candidates, _ = hamming_top_k(query_bits, corpus_bits, k=30)
    rescored, scores = rescore(query_float, corpus_float, candidates, k=5)
    assert np.array_equal(rescored, float_hits)
    assert np.allclose(scores, np.take_along_axis(query_float @ corpus_float.T, float_hits, axis=1), atol=1e-5)
