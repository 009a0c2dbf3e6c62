"""The cache (issues 21 and 23): keyed by the service not its spelling, one request per distinct text, no larger
than the .npy of its vectors, every row checked on read, and a file it cannot use a typed error before anything is
paid.

Every damage scenario ends with zero wrong rows: either the vectors the service computes (damaged rows dropped
and embedded again), or a `CacheError` naming the file and the way out. Each scenario draws from its own seed.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from embedkit import CacheCorruptError, CacheError, CacheLockedError, Embedder, EmbeddingCache
from embedkit._cache import DEFLATED, NARROWED, checksum, decode_row, encode_rows, service_identity, text_key
from embedkit_server import DEV_TOKEN, BackgroundServer
from embedkit_server._embeddings import compute_vectors

pytestmark = pytest.mark.timeout(300)


def texts_for(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    words = ["cat", "mat", "revenue", "kitten", "sun", "dog", "quarter", "rug", "cloud", "river", "stone", "glass"]
    return [f"{seed}-{i} " + " ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) for i in range(count)]


def expected(texts: list[str], model: str = "mistral-embed", width: int = 1024) -> np.ndarray[Any, Any]:
    return compute_vectors(model, width, texts)


def fill(url: str, path: Path, texts: list[str]) -> None:
    with Embedder.mistral(base_url=url, api_key=DEV_TOKEN, cache=path, batch_size=64) as embedder:
        embedder.embed(texts)


def wrong_rows(url: str, path: Path, texts: list[str]) -> tuple[int, int]:
    """Embed `texts` through the (damaged) cache: how many rows differ from the service's, and rows dropped."""
    cache = EmbeddingCache(path)
    try:
        with Embedder.mistral(base_url=url, api_key=DEV_TOKEN, cache=cache, batch_size=64) as embedder:
            vectors = embedder.embed(texts).vectors
        return int((~np.all(vectors == expected(texts), axis=1)).sum()), cache.dropped
    finally:
        cache.close()


def checkpoint(path: Path) -> None:
    """Everything in the main file (no WAL), as a cache at rest after its last writer closed is."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


# --- keyed by the service ----------------------------------------------------------------------------------------


def test_spellings_of_one_service_are_one_identity() -> None:
    same = [
        "http://127.0.0.1:8000", "http://localhost:8000/", "HTTP://LocalHost:8000//", "http://[::1]:8000",
        "http://127.0.0.2:8000", "http://localhost.:8000",
    ]  # fmt: skip
    assert {service_identity(url) for url in same} == {"http://127.0.0.1:8000"}
    assert service_identity("https://API.mistral.ai:443/") == service_identity("https://api.mistral.ai")
    assert service_identity("https://api.cortecs.ai/v1/") == "https://api.cortecs.ai/v1"
    assert service_identity("http://127.0.0.1:8001") != service_identity("http://127.0.0.1:8000"), "another port"
    assert service_identity("https://user:secret@example.com") == "https://example.com", "no user part kept"


def test_localhost_and_127_0_0_1_share_the_cache(server: Any, tmp_path: Path) -> None:
    """issue 21: `localhost` vs `127.0.0.1` re-paid 5,000 texts. Seed 2101."""
    texts = texts_for(2101, 300)
    path = tmp_path / "c.sqlite"
    fill(server.url, path, texts)
    before = server.app.inputs_embedded
    other = server.url.replace("127.0.0.1", "localhost") + "/"
    with Embedder.mistral(base_url=other, api_key=DEV_TOKEN, cache=path) as embedder:
        again = embedder.embed(texts)
    assert (again.cached, again.usage.total_tokens, server.app.inputs_embedded - before) == (300, 0, 0)
    assert np.array_equal(again.vectors, expected(texts))


# --- one request per distinct text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cached", [False, True])
def test_identical_texts_in_one_call_are_sent_once(server: Any, tmp_path: Path, cached: bool) -> None:
    """issue 21: identical texts in one run were each sent. Seed 2102."""
    rng = random.Random(2102)
    distinct = texts_for(2102, 120)
    texts = [rng.choice(distinct) for _ in range(700)]
    unique = list(dict.fromkeys(texts))
    cache = tmp_path / "c.sqlite" if cached else None
    before = server.app.inputs_embedded
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, cache=cache, batch_size=50) as embedder:
        result = embedder.embed(texts)
        alone = embedder.embed(unique) if not cached else None
    assert server.app.inputs_embedded - before == len(unique) * (1 if cached else 2)
    assert np.array_equal(result.vectors, expected(texts))
    if alone is not None:
        assert result.usage.total_tokens == alone.usage.total_tokens, "billed for each distinct text once"
    else:
        assert len(EmbeddingCache(cache)) == len(unique)  # type: ignore[arg-type]


def test_the_async_client_sends_identical_texts_once(server: Any) -> None:
    """Seed 2106."""
    import asyncio

    from embedkit import AsyncEmbedder

    rng = random.Random(2106)
    distinct = texts_for(2106, 50)
    texts = [rng.choice(distinct) for _ in range(300)]

    async def main() -> Any:
        async with AsyncEmbedder.mistral(base_url=server.url, api_key=DEV_TOKEN, batch_size=20) as embedder:
            return await embedder.embed(texts)

    before = server.app.inputs_embedded
    result = asyncio.run(main())
    assert server.app.inputs_embedded - before == len(set(texts))
    assert np.array_equal(result.vectors, expected(texts))


def test_repeats_mixed_with_cache_hits_fill_every_row(server: Any, tmp_path: Path) -> None:
    """Hits, first occurrences and copies scattered through one call. Seed 2103."""
    rng = random.Random(2103)
    known, fresh = texts_for(2103, 40), texts_for(21030, 40)
    path = tmp_path / "c.sqlite"
    fill(server.url, path, known)
    texts = [rng.choice(known + fresh) for _ in range(400)]
    before = server.app.inputs_embedded
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, cache=path, batch_size=16) as embedder:
        result = embedder.embed(texts)
    assert server.app.inputs_embedded - before == len(set(texts) - set(known))
    assert result.cached == sum(text in set(known) for text in texts)
    assert np.array_equal(result.vectors, expected(texts))


def test_an_estimate_counts_repeated_texts_once(server: Any) -> None:
    texts = texts_for(2105, 30)
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder:
        once, thrice = embedder.estimate(texts), embedder.estimate(texts * 3)
    assert (thrice.tokens, thrice.texts) == (once.tokens, 90)


# --- size ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("dtype", "width", "itemsize"), [("float", 1024, 4), ("int8", 1024, 1)])
def test_rows_hold_the_dtypes_own_bytes_and_no_text(
    server: Any, tmp_path: Path, dtype: str, width: int, itemsize: int
) -> None:
    """issue 21: 100k texts gave a 469 MB cache. A row is its vector (at most its bytes), the text's hash, a little."""
    texts = texts_for(2104, 1500)
    path = tmp_path / "c.sqlite"
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, cache=path, output_dtype=dtype) as embedder:
        embedder.embed(texts)
    checkpoint(path)
    with sqlite3.connect(path) as connection:
        stored = connection.execute("SELECT MAX(LENGTH(data)), MIN(codec), MAX(codec) FROM vectors").fetchone()
    connection.close()
    assert stored[0] <= width * itemsize
    if dtype == "float":  # the reference server's values are float16 values, as Mistral's are: narrowed, deflated
        assert stored[1:] == (NARROWED | DEFLATED, NARROWED | DEFLATED)
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, cache=path, output_dtype=dtype) as embedder:
        again = embedder.embed(texts)
    assert again.cached == len(texts)
    assert again.vectors.dtype.itemsize == itemsize
    if dtype == "float":
        assert np.array_equal(again.vectors, expected(texts)), "read back bit for bit"
    content = path.read_bytes()
    assert texts[7].encode() not in content, "the text itself is never stored"
    assert b"mistral-embed" in content
    assert content.count(b'"output_dtype"') <= 2, "the namespace is stored once (and its index entry)"
    vector_bytes = len(texts) * width * itemsize
    # Per row: the vector, 32 bytes of hash and its index entry, a few small columns; pages nearly full.
    assert len(content) <= vector_bytes * 1.12 + len(texts) * 160 + 8 * 65536


def test_the_cache_of_a_job_is_no_larger_than_its_npy_output(server: Any, tmp_path: Path) -> None:
    """issue 21: the cache must be at most as large as the output. 2,000 rows of 1,024 float32s, from the CLI."""
    corpus = tmp_path / "in.txt"
    corpus.write_text("\n".join(texts_for(2114, 2000)) + "\n")
    output, cache = tmp_path / "out.npy", tmp_path / "out.npy.cache.sqlite"
    done = run_cli("embed", str(corpus), str(output), "--base-url", server.url)
    assert done.returncode == 0, done.stderr
    checkpoint(cache)
    assert cache.stat().st_size <= output.stat().st_size
    assert cache.stat().st_size <= 0.6 * output.stat().st_size, "float16 values (as Mistral's are) take half or less"


def test_full_precision_float32_rows_are_no_larger_than_their_npy(tmp_path: Path) -> None:
    """Rows whose values are not float16 values (another service, another model) still fit in the .npy's size."""
    rng = np.random.default_rng(2115)
    rows = rng.standard_normal((2000, 1024)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    path, matrix = tmp_path / "c.sqlite", tmp_path / "rows.npy"
    keys = [text_key(str(i)) for i in range(len(rows))]
    cache = EmbeddingCache(path)
    try:
        for start in range(0, len(rows), 128):  # as a job commits them: a batch at a time
            cache.put_many("n", keys[start : start + 128], rows[start : start + 128])
        found = cache.get_many("n", keys)
    finally:
        cache.close()
    assert np.array_equal(
        np.frombuffer(b"".join(found[key].data for key in keys), np.float32).reshape(rows.shape), rows
    )
    checkpoint(path)
    np.save(matrix, rows)
    assert path.stat().st_size <= matrix.stat().st_size


def test_every_kind_of_row_is_stored_losslessly() -> None:
    """Narrowing is bit for bit (NaN, signed zeros, infinities, subnormals, values float16 cannot hold)."""
    rng = np.random.default_rng(2116)
    half_values = rng.standard_normal((4, 256)).astype(np.float16).astype(np.float32)
    specials = np.array([[np.nan, -0.0, np.inf, -np.inf, 6e-8, 1e-30, 70000.0, 0.1]], np.float32)
    half_specials = np.array([[np.nan, -0.0, np.inf, -np.inf, 6e-8, 0.0, 65504.0, 0.5]], np.float16).astype(np.float32)
    for rows in (
        half_values, specials, half_specials, rng.standard_normal((3, 1024)).astype(np.float32),
        rng.integers(-128, 128, (3, 1024)).astype(np.int8), rng.integers(0, 256, (3, 128)).astype(np.uint8),
        np.zeros((2, 1024), np.float32), rng.standard_normal((2, 64)),
    ):  # fmt: skip
        for row, (codec, stored) in zip(rows, encode_rows(rows), strict=True):
            assert len(stored) <= row.nbytes
            assert decode_row(rows.dtype.str, rows.shape[1], codec, stored) == row.tobytes()
    assert all(codec & NARROWED for codec, _ in encode_rows(half_values))
    assert not encode_rows(specials)[0][0] & NARROWED, "1e-30 and 70000 are not float16 values"
    assert encode_rows(half_specials)[0][0] & NARROWED


def test_a_cache_of_the_previous_layout_is_read_and_its_rows_made_compact(server: Any, tmp_path: Path) -> None:
    """A cache written before rows were compact (no codec column, the dtype's own bytes) serves its rows as they
    are; a row written again takes its compact form. Seed 2117."""
    texts = texts_for(2117, 60)
    path = tmp_path / "previous.sqlite"
    fill(server.url, path, texts)
    with sqlite3.connect(path) as connection:  # back to the previous layout: raw rows, their checksums, no codec
        rows = connection.execute("SELECT text_sha256 FROM vectors").fetchall()
        raw = {text_key(text): row.tobytes() for text, row in zip(texts, expected(texts), strict=True)}
        for (key,) in rows:
            connection.execute(
                "UPDATE vectors SET data = ?, checksum = ? WHERE text_sha256 = ?",
                [raw[key], checksum(key, raw[key]), key],  # codec 0: the checksum the previous layout gave
            )
        connection.execute("ALTER TABLE vectors DROP COLUMN codec")
    connection.close()
    before = server.app.inputs_embedded
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, cache=path) as embedder:
        result = embedder.embed(texts)
    assert (result.cached, server.app.inputs_embedded - before) == (60, 0)
    assert np.array_equal(result.vectors, expected(texts))
    with sqlite3.connect(path) as connection:
        (namespace,) = connection.execute("SELECT name FROM namespaces").fetchone()
    connection.close()
    cache = EmbeddingCache(path)
    try:  # ten rows written again (as a call that re-embeds them would): in their compact form now
        cache.put_many(namespace, [text_key(t) for t in texts[:10]], expected(texts[:10]))
    finally:
        cache.close()
    with sqlite3.connect(path) as connection:
        codecs = connection.execute("SELECT codec, COUNT(*) FROM vectors GROUP BY codec ORDER BY codec").fetchall()
    connection.close()
    assert codecs == [(None, 50), (NARROWED | DEFLATED, 10)]
    assert wrong_rows(server.url, path, texts) == (0, 0)


# --- integrity of rows ---------------------------------------------------------------------------------------------


def vector_offsets(path: Path, texts: list[str], rng: random.Random, count: int) -> list[tuple[int, int]]:
    """Where `count` of the stored vectors start in the file, with their lengths (as stored: compact)."""
    content = path.read_bytes()
    chosen = rng.sample(range(len(texts)), count)
    with sqlite3.connect(path) as connection:
        stored = [
            connection.execute("SELECT data FROM vectors WHERE text_sha256 = ?", [text_key(texts[i])]).fetchone()[0]
            for i in chosen
        ]
    connection.close()
    found = []
    for data in stored:
        at = content.find(data)
        assert at > 0
        found.append((at, len(data)))
    return found


def test_flipped_bytes_in_stored_vectors_give_no_wrong_row(server: Any, tmp_path: Path) -> None:
    """issue 23: 64 flipped bytes served 53-56 wrong rows, silently. Seed 2305."""
    rng = random.Random(2305)
    texts = texts_for(2305, 400)
    path = tmp_path / "c.sqlite"
    fill(server.url, path, texts)
    checkpoint(path)
    places = vector_offsets(path, texts, rng, 64)
    with path.open("r+b") as file:
        for at, size in places:
            file.seek(at + rng.randrange(size))
            byte = file.read(1)
            file.seek(-1, os.SEEK_CUR)
            file.write(bytes([byte[0] ^ (1 << rng.randrange(8))]))
    wrong, dropped = wrong_rows(server.url, path, texts)
    assert (wrong, dropped) == (0, 64)
    assert wrong_rows(server.url, path, texts) == (0, 0), "dropped rows were stored again, intact"


@pytest.mark.parametrize("seed", [2306, 2307, 2308])
def test_random_kilobytes_over_the_file_give_no_wrong_row(server: Any, tmp_path: Path, seed: int) -> None:
    """issue 23: 4 KiB of random bytes served 1-2 wrong rows. Either every row is right, or a typed error."""
    rng = random.Random(seed)
    texts = texts_for(seed, 400)
    path = tmp_path / "c.sqlite"
    fill(server.url, path, texts)
    checkpoint(path)
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(rng.randrange(65536, size - 4096))
        file.write(rng.randbytes(4096))
    outcome: int | str
    try:
        outcome = wrong_rows(server.url, path, texts)[0]
    except CacheCorruptError as error:
        outcome = str(error)
    if isinstance(outcome, str):  # a typed error naming the file and the way out
        assert str(path) in outcome
        assert "delete it" in outcome
        assert "--no-cache" in outcome
    else:
        assert outcome == 0, "no wrong row"


def test_a_blob_short_and_one_long_give_no_wrong_row(server: Any, tmp_path: Path) -> None:
    """issue 23: a blob 4 bytes short followed by one 4 bytes long served 115 wrong rows. Seed 2309."""
    rng = random.Random(2309)
    texts = texts_for(2309, 300)
    path = tmp_path / "c.sqlite"
    fill(server.url, path, texts)
    with sqlite3.connect(path) as connection:
        keys = [row[0] for row in connection.execute("SELECT text_sha256 FROM vectors ORDER BY rowid")]
        pairs = rng.sample(range(len(keys) - 1), 40)
        for index in pairs:  # one row loses its last 4 bytes, the next gains 4
            connection.execute(
                "UPDATE vectors SET data = substr(data, 1, length(data) - 4) WHERE text_sha256 = ?", [keys[index]]
            )
            connection.execute("UPDATE vectors SET data = data || x'00000000' WHERE text_sha256 = ?", [keys[index + 1]])
        # Same length, other bytes: two rows' vectors swapped (the checksum covers the key too).
        first, second = keys[0], keys[-1]
        connection.execute(
            "UPDATE vectors SET data = (SELECT data FROM vectors WHERE text_sha256 = ?) WHERE text_sha256 = ?",
            [second, first],
        )
    connection.close()
    damaged = len({k for i in pairs for k in (i, i + 1)}) + 1
    assert wrong_rows(server.url, path, texts) == (0, damaged)


def test_rows_of_an_earlier_version_are_still_read(server: Any, tmp_path: Path) -> None:
    """A cache of the layout before this one (JSON namespace in each row, no checksum) serves its rows."""
    texts = texts_for(2310, 50)
    path = tmp_path / "old.sqlite"
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN) as embedder:
        from embedkit._core import cache_namespace

        namespace = cache_namespace(embedder._settings, embedder._settings.options)
    from embedkit._cache import text_key

    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE vectors (namespace TEXT NOT NULL, text_sha256 BLOB NOT NULL, dtype TEXT NOT NULL, "
        "width INTEGER NOT NULL, data BLOB NOT NULL, served_model TEXT, PRIMARY KEY (namespace, text_sha256)) "
        "WITHOUT ROWID"
    )
    connection.executemany(
        "INSERT INTO vectors VALUES (?, ?, '<f4', 1024, ?, NULL)",
        [(namespace, text_key(text), row.tobytes()) for text, row in zip(texts, expected(texts), strict=True)],
    )
    connection.commit()
    connection.close()
    before = server.app.inputs_embedded
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, cache=path) as embedder:
        result = embedder.embed(texts)
    assert (result.cached, server.app.inputs_embedded - before) == (50, 0)
    assert np.array_equal(result.vectors, expected(texts))


# --- files it cannot use -------------------------------------------------------------------------------------------


def made(tmp_path: Path) -> Path:
    path = tmp_path / "c.sqlite"
    cache = EmbeddingCache(path)
    rows = np.ones((3000, 256), np.float32)
    cache.put_many("n", [i.to_bytes(32, "big") for i in range(3000)], rows)
    cache.close()
    checkpoint(path)
    return path


def test_a_truncated_cache_is_a_typed_error_naming_it(tmp_path: Path) -> None:
    path = made(tmp_path)
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size // 2)
    with pytest.raises(CacheCorruptError) as raised:
        EmbeddingCache(path)
    assert str(path) in str(raised.value)
    assert "cut short" in str(raised.value)
    assert "delete it" in str(raised.value)
    assert raised.value.path == str(path)


def test_a_zeroed_header_is_a_typed_error_naming_it(tmp_path: Path) -> None:
    path = made(tmp_path)
    with path.open("r+b") as file:
        file.write(bytes(100))
    with pytest.raises(CacheCorruptError, match="not an SQLite database") as raised:
        EmbeddingCache(path)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize("kind", ["directory", "missing directory", "unwritable"])
def test_a_path_that_cannot_hold_a_cache_is_a_typed_error(tmp_path: Path, kind: str) -> None:
    path = {
        "directory": tmp_path,
        "missing directory": tmp_path / "nowhere" / "c.sqlite",
        "unwritable": Path("/proc/self/embedkit-cache.sqlite"),  # no file can be made there, even by root
    }[kind]
    with pytest.raises(CacheError) as raised:
        EmbeddingCache(path)
    assert str(path) in str(raised.value)
    assert "--cache" in str(raised.value)


def test_a_locked_cache_is_a_typed_error_within_seconds_not_a_minute(tmp_path: Path) -> None:
    """issue 23: a locked cache was a raw sqlite3 traceback after 63 s."""
    path = made(tmp_path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        began = time.monotonic()
        with pytest.raises(CacheLockedError) as raised:
            EmbeddingCache(path)
        assert time.monotonic() - began < 30
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert str(path) in str(raised.value)
    assert "wait" in str(raised.value)
    assert "--no-cache" in str(raised.value)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "MISTRAL_API_KEY": DEV_TOKEN, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "embedkit", *args], capture_output=True, text=True, timeout=120, env=environment,
        check=False,
    )  # fmt: skip


def test_estimate_with_a_text_file_as_cache_is_one_line_naming_it(server: Any, tmp_path: Path) -> None:
    corpus = tmp_path / "in.txt"
    corpus.write_text("one\ntwo\n")
    notes = tmp_path / "notes.txt"
    notes.write_text("these are my notes, not a cache\n" * 10)
    done = run_cli("estimate", str(corpus), "--cache", str(notes), "--base-url", server.url)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "CacheCorruptError" in done.stderr
    assert str(notes) in done.stderr
    assert notes.read_text().startswith("these are my notes"), "the file is left as it was"


def test_an_unusable_cache_fails_before_any_text_is_paid(tmp_path: Path) -> None:
    """issue 23: the cache is checked for writability before the first request. Seed 2311."""
    corpus = tmp_path / "in.txt"
    corpus.write_text("\n".join(texts_for(2311, 200)) + "\n")
    with BackgroundServer() as fresh:
        for cache in ("/proc/self/c.sqlite", str(tmp_path)):
            done = run_cli("embed", str(corpus), str(tmp_path / "out.npy"), "--cache", cache, "--base-url", fresh.url)
            assert done.returncode == 1
            assert "Traceback" not in done.stderr
            assert "CacheError" in done.stderr
        assert fresh.app.inputs_embedded == 0


# --- the CLI -------------------------------------------------------------------------------------------------------


def test_the_final_message_counts_damaged_rows_dropped(server: Any, tmp_path: Path) -> None:
    """issue 23: a bad row is dropped, re-fetched, and counted in the final message. Seed 2312."""
    rng = random.Random(2312)
    texts = texts_for(2312, 200)
    corpus = tmp_path / "in.txt"
    corpus.write_text("\n".join(texts) + "\n")
    output, cache = tmp_path / "out.npy", tmp_path / "out.npy.cache.sqlite"
    assert run_cli("embed", str(corpus), str(output), "--base-url", server.url).returncode == 0
    checkpoint(cache)
    places = vector_offsets(cache, texts, rng, 9)
    with cache.open("r+b") as file:
        for at, size in places:
            file.seek(at + rng.randrange(size))
            file.write(b"\xff")
    done = run_cli("embed", str(corpus), str(output), "--base-url", server.url, "--overwrite")
    assert done.returncode == 0, done.stderr
    assert "191 from the cache" in done.stderr
    assert "9 damaged cache rows dropped and embedded again" in done.stderr
    assert np.array_equal(np.load(output), expected(texts))


def test_cache_stats_and_prune(server: Any, tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    fill(server.url, path, texts_for(2313, 120))
    with Embedder.mistral(base_url=server.url, api_key=DEV_TOKEN, cache=path, model="codestral-embed") as embedder:
        embedder.embed(texts_for(2313, 30))
    stats = run_cli("cache", "stats", str(path))
    assert stats.returncode == 0, stats.stderr
    assert "150 rows" in stats.stdout
    assert "mistral-embed float: 120 rows" in stats.stdout
    assert "codestral-embed float: 30 rows" in stats.stdout
    refused = run_cli("cache", "prune", str(path))
    assert refused.returncode == 1
    assert "--all" in refused.stderr
    pruned = run_cli("cache", "prune", str(path), "--model", "codestral-embed")
    assert pruned.returncode == 0
    assert "deleted 30 rows" in pruned.stdout
    assert "120 left" in pruned.stdout
    kept = run_cli("cache", "prune", str(path), "--older-than", "1")
    assert "deleted 0 rows" in kept.stdout, "rows written just now are not a day old"
    everything = run_cli("cache", "prune", str(path), "--base-url", server.url.replace("127.0.0.1", "localhost"))
    assert "deleted 120 rows" in everything.stdout
    assert "0 left" in everything.stdout
    missing = run_cli("cache", "stats", str(tmp_path / "none.sqlite"))
    assert missing.returncode == 1
    assert "no cache at" in missing.stderr
    assert not (tmp_path / "none.sqlite").exists()
