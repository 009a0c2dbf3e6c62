"""Long documents split into overlapping chunks that each fit the model, with the spans to find them again.

The split is by the model's own tokens (Mistral's tokenizer through mistral-common, the `tokenizer` extra), so
a chunk of `max_tokens` is what the service counts, not a guess in characters. Without the tokenizer, the
never-undercounting byte bound of `_tokens.ByteBound` stands in: chunks are then cut at `max_tokens - 1` UTF-8
bytes (at a character boundary), which is safe but about three times smaller than it could be. A document whose
bound already fits is one chunk and never loads the tokenizer.

Every chunk keeps where it came from: the document's position, its own index in the document, and the character
offsets of its text (`document[start:end] == chunk.text`), because a hit in a chunk is useless unless the reader
can be shown where it is. Consecutive chunks share `overlap` tokens, so a sentence cut at one chunk's end is
whole in the next.

Pooling (`pool=True`) turns the chunks back into one vector per document: the mean of the chunks' unit-length
vectors, each weighted by its token count, so that a short tail chunk counts for less than a full one, and
normalised to unit length again when `normalize=True` (otherwise its length, at most 1, says how much the
chunks agree). Pooling needs float vectors: quantised codes have no meaningful mean. A bulk job pools the same way
(`embedkit embed --chunk-tokens N --pool`): its chunk records carry their token counts and their document, and
`PooledOutput` writes one row per document, with the document's id, text and columns, to any output.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ._batching import check_texts
from ._core import refuse_unordered
from ._errors import InputError
from ._files import Record
from ._result import EmbeddingResult
from ._similarity import normalize as unit_rows
from ._tokens import ExactCounter, TokenCounter

if TYPE_CHECKING:
    from ._base import BaseEmbedder
    from ._files import NpyOutput, ParquetOutput


@dataclass(frozen=True)
class Chunking:
    """How to split: at most `max_tokens` per chunk, `overlap` tokens shared by neighbours, optionally pooled.

    `embed(texts, chunking=512)` is short for `chunking=Chunking(512)`.
    """

    max_tokens: int
    overlap: int = 0
    pool: bool = False

    def __post_init__(self) -> None:
        # Checked at construction, so that a bad setting is refused by name before any text is read or sent.
        for name in ("max_tokens", "overlap"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise InputError(f"chunking {name} must be an integer, got {value!r}", argument="chunking")
        if self.max_tokens < 2:
            raise InputError(f"chunking max_tokens must be at least 2, got {self.max_tokens}", argument="chunking")
        if not 0 <= self.overlap < self.max_tokens:
            raise InputError(
                f"chunking overlap must be at least 0 and below max_tokens ({self.max_tokens}), got {self.overlap}",
                argument="chunking",
            )
        if not isinstance(self.pool, bool):
            raise InputError(f"chunking pool must be True or False, got {self.pool!r}", argument="chunking")

    @classmethod
    def of(cls, value: Chunking | int) -> Chunking:
        """The setting a caller passed: a `Chunking`, or a whole number of tokens per chunk."""
        if isinstance(value, Chunking):
            return value
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise InputError(
                f"chunking must be a Chunking or a number of tokens per chunk, got {value!r}", argument="chunking"
            )
        return cls(int(value))


@dataclass(frozen=True)
class Chunk:
    """One chunk: its document's position in the input, its index in that document, its span and tokens."""

    document: int
    index: int
    start: int
    end: int
    tokens: int
    text: str


@dataclass(frozen=True)
class ChunkedResult(EmbeddingResult):
    """An `EmbeddingResult` of chunked documents: row i embeds `chunks[i]`, or document i when `pooled`."""

    chunks: tuple[Chunk, ...] = ()
    pooled: bool = False


def split_text(text: str, counter: TokenCounter, max_tokens: int, overlap: int = 0) -> list[tuple[int, int, int]]:
    """The spans `(start, end, tokens)` of `text`'s chunks, in characters, each within `max_tokens` by `counter`.

    Neighbours share about `overlap` tokens. Whitespace-only chunks are left out unless the text has nothing else.
    """
    whole = counter.count([text])[0]
    if whole <= max_tokens:
        return [(0, len(text), whole)]
    data = text.encode("utf-8")
    # Where each character ends, in bytes: a token's end in bytes becomes a character offset (rounded down when a
    # byte-fallback token ends inside a character).
    char_ends = np.cumsum(np.fromiter((len(c.encode("utf-8")) for c in text), dtype=np.int64, count=len(text)))
    if isinstance(counter, ExactCounter):
        ends = [min(end, len(data)) for end in counter._ends(text)]
        window = max_tokens
    else:
        # The bound counts bytes + 1: one "token" per byte, one token of the window kept for the + 1.
        ends = list(range(1, len(data) + 1))
        window = max_tokens - 1
        overlap = min(overlap, window - 1)

    def to_char(byte: int) -> int:
        return int(np.searchsorted(char_ends, byte, side="right"))

    spans: list[tuple[int, int, int]] = []
    first = 0
    total = len(ends)
    while first < total:
        last = min(first + window, total)
        start = 0 if first == 0 else to_char(ends[first - 1])
        while True:
            end = len(text) if last == total else max(to_char(ends[last - 1]), start + 1)
            tokens = counter.count([text[start:end]])[0]
            # A piece may tokenize into a token or two more than its share of the whole (a word cut differently,
            # SentencePiece's leading "▁"): drop tokens from its end until it fits.
            if tokens <= max_tokens or last - first <= 1:
                break
            last -= 1
        spans.append((start, end, tokens))
        if last >= total:
            break
        first = max(last - overlap, first + 1)
    kept = [span for span in spans if text[span[0] : span[1]].strip()]
    return kept or spans[:1]


@dataclass(frozen=True)
class ChunkPlan:
    """The chunks of a call's documents, to embed as one call's inputs and to turn back into a result."""

    chunking: Chunking
    chunks: tuple[Chunk, ...]
    documents: int

    @classmethod
    def make(cls, texts: str | Iterable[str], chunking: Chunking | int, counter: TokenCounter) -> ChunkPlan:
        """Check the inputs as `embed` does, then split each one."""
        setting = Chunking.of(chunking)
        documents = check_texts(refuse_unordered(texts))
        chunks = [
            Chunk(position, index, start, end, tokens, document[start:end])
            for position, document in enumerate(documents)
            for index, (start, end, tokens) in enumerate(
                split_text(document, counter, setting.max_tokens, setting.overlap)
            )
        ]
        return cls(setting, tuple(chunks), len(documents))

    @property
    def texts(self) -> list[str]:
        """The chunks' texts, in order: the inputs to embed."""
        return [chunk.text for chunk in self.chunks]

    def result(self, embedded: EmbeddingResult, *, normalize: bool = False) -> ChunkedResult:
        """The result of embedding `texts`, with the chunks attached, pooled per document if asked."""
        fields = {f.name: getattr(embedded, f.name) for f in dataclasses.fields(EmbeddingResult)}
        if self.chunking.pool:
            fields["vectors"] = pool(embedded.vectors, self.chunks, self.documents, normalize=normalize)
        return ChunkedResult(**fields, chunks=self.chunks, pooled=self.chunking.pool)


def pool(
    vectors: np.ndarray[Any, Any], chunks: Sequence[Chunk], documents: int, *, normalize: bool = False
) -> np.ndarray[Any, np.dtype[np.float32]]:
    """One vector per document: the token-weighted mean of its chunks' unit vectors (see the module docstring)."""
    if vectors.dtype.kind != "f":
        raise InputError(
            f"pooling needs float vectors, not {vectors.dtype} codes: embed with output_dtype='float' to pool",
            argument="chunking",
        )
    weights = np.array([chunk.tokens for chunk in chunks], dtype=np.float32)
    owners = np.array([chunk.document for chunk in chunks], dtype=np.intp)
    pooled = np.zeros((documents, vectors.shape[1]), dtype=np.float32)
    np.add.at(pooled, owners, unit_rows(vectors) * weights[:, None])
    totals = np.zeros(documents, dtype=np.float32)
    np.add.at(totals, owners, weights)
    pooled /= np.maximum(totals, 1e-30)[:, None]
    return unit_rows(pooled) if normalize else pooled


@dataclass(frozen=True)
class ChunkRecord(Record):
    """A chunk of an input record: a `Record` of its own, with its token count and the record it is part of.

    Both are what pooling needs (the weight, and the row to write for the document); neither is written as a column.
    """

    tokens: int = 0
    parent: Record | None = field(default=None, repr=False, compare=False)


def chunk_records(records: Iterable[Record], counter: TokenCounter, chunking: Chunking) -> Iterator[ChunkRecord]:
    """Each record's chunks as records of their own: id `PARENT#INDEX`, the parent's columns, the chunk's span.

    A bulk job embeds these like any record, one row per chunk (see `_files.ParquetOutput`, `chunked=True`), or
    one row per record when pooled (`PooledOutput`).
    """
    for record in records:
        for index, (start, end, tokens) in enumerate(
            split_text(record.text, counter, chunking.max_tokens, chunking.overlap)
        ):
            yield ChunkRecord(
                f"{record.id}#{index}", record.text[start:end], record.columns,
                parent_id=record.id, chunk_index=index, char_start=start, char_end=end, tokens=tokens, parent=record,
            )  # fmt: skip


class PooledOutput:
    """A bulk job's output of one row per document: its chunks' vectors pooled as `pool` does, as they arrive.

    Takes windows of `ChunkRecord`s (in input order, a document's chunks consecutive, as `chunk_records` yields
    them) and writes each document's row, under its own id, text and columns, to `output` (an output opened
    without chunk columns) once its last chunk has come: a document cut by a window's end waits for the next.
    Memory holds one window's documents and one running sum.
    """

    def __init__(self, output: ParquetOutput | NpyOutput, *, normalize: bool = False) -> None:
        self.output = output
        self.normalize = normalize
        self.rows = 0
        self._document: Record | None = None
        self._sum: np.ndarray[Any, np.dtype[np.float64]] | None = None
        self._weight = 0.0

    def write(self, records: list[Record], vectors: np.ndarray[Any, Any]) -> None:
        """Add one window of chunk rows; write the documents it completes."""
        if vectors.dtype.kind != "f":
            raise InputError(
                f"pooling needs float vectors, not {vectors.dtype} codes: embed with --output-dtype float to pool",
                argument="pool",
            )
        units = unit_rows(vectors)
        done: list[Record] = []
        rows: list[np.ndarray[Any, Any]] = []
        for record, unit in zip(records, units, strict=True):
            if not isinstance(record, ChunkRecord) or record.parent is None:
                raise TypeError("PooledOutput takes the records of chunk_records")
            if record.parent is not self._document:
                if self._document is not None:
                    done.append(self._document)
                    rows.append(self._pooled())
                self._document, self._sum, self._weight = record.parent, np.zeros(len(unit)), 0.0
            assert self._sum is not None
            self._sum += unit * record.tokens
            self._weight += record.tokens
        if done:
            self._write(done, rows)

    def _pooled(self) -> np.ndarray[Any, Any]:
        assert self._sum is not None
        mean = self._sum / max(self._weight, 1e-30)
        return unit_rows(mean[None, :])[0] if self.normalize else mean

    def _write(self, documents: list[Record], rows: list[np.ndarray[Any, Any]]) -> None:
        self.output.write(documents, np.vstack(rows).astype(np.float32))
        self.rows += len(documents)

    def finish(self) -> None:
        """Write the last document's row, then finish the output."""
        if self._document is not None:
            self._write([self._document], [self._pooled()])
            self._document = self._sum = None
        self.output.finish()

    def abort(self) -> None:
        """Drop the output's partial files."""
        self.output.abort()


def job_counter(embedder: BaseEmbedder[Any], chunking: Chunking, model: str | None) -> TokenCounter:
    """The counter a bulk job splits with: the model's, after refusing chunks the service could never take."""
    limits = embedder._settings.limits.for_model(model or embedder.model)
    if chunking.max_tokens > limits.max_input_tokens:
        raise InputError(
            f"--chunk-tokens {chunking.max_tokens} is over the per-input limit of {limits.max_input_tokens} tokens: "
            "chunks that long could not be sent",
            argument="chunk_tokens",
        )
    return limits.counter
