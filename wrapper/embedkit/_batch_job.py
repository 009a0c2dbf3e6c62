"""The bulk job through Mistral's batch API: a state machine persisted before every step, results into the cache.

`embedkit embed IN OUT --batch-api` runs this before the ordinary bulk job (`_bulk.run_job`). It embeds every
input the cache does not hold yet through one batch job and stores the vectors in the cache; the ordinary job
then finds every row there and writes the same Parquet/.npy output as a synchronous run would, in input order
(an input still missing, a failed line, is embedded synchronously by it only when the user chose that:
`--batch-retry`, decided by the CLI from the failures this module reports).

A run is keyed by its inputs: a digest of the namespace (service, model and every option that changes a vector),
of `truncate`, and of every input text in order. An unfinished run is resumed only by a run over the same inputs,
so one cache shared by two input files keeps their jobs apart, and a job, once created, is never created again
for the same inputs, however the run was interrupted (Ctrl-C, SIGKILL, an outage while polling).

The states, each recorded in the job's SQLite file (the cache) before the step that leaves it is taken:
1. `planned`: the request lines are written to files beside the cache (`OUT.cache.sqlite.batch/<run>/`), and
   the run, its files (names, no ids) and each line's `custom_id` with the cache keys of its texts are committed
   in one transaction; each file's id is recorded as soon as the service returns it;
2. `submitted`: the job's id is recorded as soon as the service returns it; the run polls it (backing off, with a
   deadline, through outages: `BatchAPI.wait`);
3. `finished`: the job has stopped, and its status and output/error files are recorded; a job the service no
   longer knows (404: deleted, or lost in a restart) is recorded as stopped with the status `NOT_FOUND` and no
   files. The results are then read, and each line is committed as soon as it is verified: its vectors into the
   cache and the line marked `ok` (a resumed read skips those), or the line marked `failed` with why. Every copy
   of a `custom_id` answered more than once is refused, and so is a line whose width differs from the run's;
4. `done`: every line is `ok`, `failed`, or had no result (the job was cancelled, timed out, forgotten, or its
   download was cut short): those are the run's failures, which the CLI's `--batch-retry` policy ends. The
   request line files (the texts) are removed.
The one window recording cannot close is between the service accepting an upload (or a job) and the id being
committed: so before uploading, the run looks for a file of the same name (the name carries the run's id) among
the service's batch files, and before creating a job it looks for a job whose `metadata.embedkit_run` is the run's
id; either found is adopted, not sent again.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from tqdm import tqdm

from ._batch_api import (
    MAX_FILE_BYTES,
    MAX_LINES_PER_FILE,
    BatchAPI,
    BatchJob,
    check_seconds,
    check_timeout_hours,
    custom_id,
    decode_line,
    line_options,
    request_line,
)
from ._batching import check_texts, fit, plan
from ._bulk import windows
from ._cache import EmbeddingCache, cache_error, text_key
from ._client import Embedder
from ._core import cache_namespace, logger
from ._decode import expected_width
from ._errors import BatchJobError, InputError, LineFailure, NotFoundError
from ._files import Record

SCHEMA = """
CREATE TABLE IF NOT EXISTS batch_runs (
    run TEXT PRIMARY KEY, namespace TEXT NOT NULL, model TEXT NOT NULL, state TEXT NOT NULL,
    job_id TEXT, tokens INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS batch_files (
    run TEXT NOT NULL, number INTEGER NOT NULL, filename TEXT NOT NULL, path TEXT NOT NULL, file_id TEXT,
    PRIMARY KEY (run, number)
);
CREATE TABLE IF NOT EXISTS batch_lines (
    run TEXT NOT NULL, custom_id TEXT NOT NULL, keys BLOB NOT NULL, PRIMARY KEY (run, custom_id)
);
"""
# Columns added since the tables were first written (a cache made by an older embedkit gains them when opened):
# the run's inputs digest, the job's final status and files, the width its rows have; each line's outcome.
COLUMNS = {
    "batch_runs": ("inputs TEXT", "status TEXT", "output_file TEXT", "error_file TEXT", "width INTEGER"),
    "batch_lines": ("outcome TEXT", "http_status INTEGER", "message TEXT"),
}
KEY_BYTES = 32
# A job's status when the service answers 404 for it: deleted, or forgotten in a restart.
NOT_FOUND = "NOT_FOUND"
# How long past the job's own `timeout_hours` the run polls before giving up for now (it can be resumed later).
POLL_GRACE_SECONDS = 3600.0
# How long a step waits for a lock another process holds on the cache before that is a `CacheLockedError`.
LOCK_WAIT_SECONDS = 30.0


@dataclass
class BatchRun:
    """What one batch run did: its job, how it ended, the inputs and tokens of its answered lines, what failed.

    `failures` holds every line that gave no vectors: refused by the service, unreadable, or with no result at all
    (`missing` of them: the job was cancelled, timed out, forgotten, or its results were cut short).
    """

    run: str | None = None
    job_id: str | None = None
    status: str | None = None
    inputs: int = 0
    tokens: int = 0
    failures: list[LineFailure] = field(default_factory=list)
    missing: int = 0


def batch_recorded(path: str | Path) -> bool:
    """Whether the cache file at `path` records a batch run: then it is a resume record, never litter to delete."""
    if not Path(path).exists():
        return False
    try:
        connection = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, timeout=10.0)
    except sqlite3.Error:
        return False
    try:
        if connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'batch_runs'").fetchone() is None:
            return False
        return connection.execute("SELECT 1 FROM batch_runs LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return False
    finally:
        connection.close()


def inputs_digest(namespace: str, truncate: bool, records: Iterable[Record]) -> str:
    """What keys a run: the namespace, `truncate`, and every input text in order (lengths prefixed)."""
    digest = hashlib.sha256(f"{namespace}\0{truncate}\0".encode())
    for record in records:
        data = (
            record.text.encode("utf-8", "surrogatepass") if isinstance(record.text, str) else repr(record.text).encode()
        )
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def _open(path: Path) -> sqlite3.Connection:
    """The job's connection, with the run tables in their current shape (columns added in one transaction)."""
    connection = sqlite3.connect(path, timeout=LOCK_WAIT_SECONDS, isolation_level=None)
    connection.executescript(SCHEMA)
    missing = [
        (table, column)
        for table, columns in COLUMNS.items()
        for column in columns
        if column.split()[0] not in {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
    ]
    if missing:
        connection.execute("BEGIN IMMEDIATE")
        try:
            for table, column in missing:
                present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
                if column.split()[0] not in present:  # another process may have added it meanwhile
                    connection.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
    return connection


def _unfinished(connection: sqlite3.Connection, namespace: str, inputs: str) -> str | None:
    """The unfinished run over these inputs, if any.

    A run recorded before runs were keyed by their inputs is adopted by the first run of its namespace that looks
    (it was that namespace's one run then, as older versions resumed it), and keyed by that run's inputs.
    """
    found = connection.execute(
        "SELECT run FROM batch_runs WHERE namespace = ? AND inputs = ? AND state != 'done' ORDER BY created LIMIT 1",
        [namespace, inputs],
    ).fetchone()
    if found is not None:
        return str(found[0])
    legacy = connection.execute(
        "SELECT run FROM batch_runs WHERE namespace = ? AND inputs IS NULL AND state != 'done' ORDER BY created "
        "LIMIT 1",
        [namespace],
    ).fetchone()
    if legacy is None:
        return None
    connection.execute("UPDATE batch_runs SET inputs = ? WHERE run = ?", [inputs, legacy[0]])
    return str(legacy[0])


def run_batch(
    embedder: Embedder,
    records: Callable[[], Iterable[Record]],
    cache: EmbeddingCache,
    *,
    overrides: dict[str, Any],
    truncate: bool,
    window: int = 4096,
    poll_interval: float = 10.0,
    timeout_hours: int = 24,
    progress: bool = False,
) -> BatchRun:
    """Embed every input the cache lacks through one batch job (resuming this input's unfinished one), into the cache.

    Failed and missing lines are reported in the `BatchRun`, never embedded here: what to do with them is the
    caller's policy. Interrupted anywhere, the next call over the same inputs resumes where this one stopped.
    """
    settings = embedder._settings
    if settings.service.name != "mistral":
        raise InputError("--batch-api is Mistral's batch API; it cannot run with --service cortecs")
    # Checked before any file is planned or uploaded: the job creation, last, would refuse it after the uploads.
    timeout_hours = check_timeout_hours(timeout_hours)
    poll_interval = check_seconds("poll_interval", poll_interval)
    options = settings.options.merged(overrides)
    settings.service.check(options)
    namespace = cache_namespace(settings, options)
    model = options.model or settings.service.default_model
    dtype = options.output_dtype or "float"
    api = embedder.batch
    inputs = inputs_digest(namespace, truncate, records())
    try:
        return _run(api, embedder, records, cache, namespace, model, dtype, options, truncate, window, inputs,
                    poll_interval, timeout_hours, progress)  # fmt: skip
    except sqlite3.Error as error:
        # A locked or damaged cache is the cache's typed error, naming the file and the way out, as the ordinary
        # job's is: never a raw sqlite3 traceback.
        raise cache_error(cache.path, error) from error


def _run(
    api: BatchAPI,
    embedder: Embedder,
    records: Callable[[], Iterable[Record]],
    cache: EmbeddingCache,
    namespace: str,
    model: str,
    dtype: str,
    options: Any,
    truncate: bool,
    window: int,
    inputs: str,
    poll_interval: float,
    timeout_hours: int,
    progress: bool,
) -> BatchRun:
    """The run's steps from its recorded state on (see `run_batch`)."""
    connection = _open(cache.path)
    try:
        run = _unfinished(connection, namespace, inputs)
        if run is None:
            line_extra = line_options(options.output_dimension, options.output_dtype)
            run = _plan(
                connection, embedder, records(), cache, namespace, model, line_extra, truncate, window, inputs=inputs
            )
            if run is None:
                return BatchRun()  # everything is in the cache already
        state = _state(connection, run)
        if state == "planned":
            _submit(connection, api, run, model, timeout_hours)
            state = _state(connection, run)
        if state == "submitted":
            _poll(connection, api, run, poll_interval, timeout_hours, progress)
            state = _state(connection, run)
        if state == "finished":
            _collect(connection, api, cache, run, namespace, dtype, options.output_dimension)
        return _outcome(connection, run)
    finally:
        connection.close()


def _state(connection: sqlite3.Connection, run: str) -> str:
    return str(connection.execute("SELECT state FROM batch_runs WHERE run = ?", [run]).fetchone()[0])


def _plan(
    connection: sqlite3.Connection,
    embedder: Embedder,
    records: Iterable[Record],
    cache: EmbeddingCache,
    namespace: str,
    model: str,
    line_extra: dict[str, Any],
    truncate: bool,
    window: int,
    *,
    inputs: str | None = None,
) -> str | None:
    """Write the request lines of every input not in the cache to files, and record them; the run's id.

    Recorded in one transaction that first looks again for an unfinished run over the same `inputs`: of two
    processes planning the same inputs at once, the second adopts the first's run instead of making its own.
    """
    # Counted with the job's model's tokenizer, as `embed` counts (Tekken for codestral-embed).
    limits = embedder._settings.limits.for_model(model)
    run = uuid.uuid4().hex
    directory = Path(f"{cache.path}.batch") / run
    directory.mkdir(parents=True, exist_ok=True)
    files: list[tuple[int, str, str]] = []
    lines: list[tuple[str, str, bytes]] = []
    seen: set[bytes] = set()
    position = read = 0
    handle: Any = None
    file_lines = file_bytes = 0
    try:
        for chunk in windows(records, window):
            try:
                texts = fit(check_texts([record.text for record in chunk]), limits, truncate=truncate)
            except InputError as error:
                if error.index is None:
                    raise
                bad = chunk[error.index]
                raise type(error)(
                    f"record {bad.id} (input {read + error.index}): {error}", index=read + error.index
                ) from error
            read += len(chunk)
            keys = [text_key(text) for text in texts]
            cached = cache.get_many(namespace, keys)
            pending = []
            for text, key in zip(texts, keys, strict=True):
                if key not in cached and key not in seen:
                    seen.add(key)
                    pending.append((text, key))
            pending_texts = [text for text, _ in pending]
            for batch in plan(pending_texts, limits):
                identifier = custom_id(position + batch.start, position + batch.stop)
                line = request_line(identifier, pending_texts[batch.start : batch.stop], line_extra)
                if handle is None or file_lines >= MAX_LINES_PER_FILE or file_bytes + len(line) > MAX_FILE_BYTES:
                    if handle is not None:
                        handle.close()
                    filename = f"embedkit-{run}-{len(files)}.jsonl"
                    path = directory / filename
                    files.append((len(files), filename, str(path)))
                    handle, file_lines, file_bytes = path.open("wb"), 0, 0
                handle.write(line)
                file_lines, file_bytes = file_lines + 1, file_bytes + len(line)
                lines.append((run, identifier, b"".join(key for _, key in pending[batch.start : batch.stop])))
            position += len(pending)
    except BaseException:
        _remove_files(cache.path, run)
        raise
    finally:
        if handle is not None:
            handle.close()
    if not lines:
        _remove_files(cache.path, run)
        return None
    # The intent, recorded in one transaction before anything is sent.
    connection.execute("BEGIN IMMEDIATE")
    try:
        other = None if inputs is None else _unfinished(connection, namespace, inputs)
        if other is None:
            connection.execute(
                "INSERT INTO batch_runs (run, namespace, model, state, created, inputs) "
                "VALUES (?, ?, ?, 'planned', ?, ?)",
                [run, namespace, model, time.time(), inputs],
            )
            connection.executemany(
                "INSERT INTO batch_files (run, number, filename, path) VALUES (?, ?, ?, ?)",
                [(run, *entry) for entry in files],
            )
            connection.executemany("INSERT INTO batch_lines (run, custom_id, keys) VALUES (?, ?, ?)", lines)
    except BaseException:
        connection.execute("ROLLBACK")
        _remove_files(cache.path, run)
        raise
    connection.execute("COMMIT")
    if other is not None:
        _remove_files(cache.path, run)
        return other
    return run


def _remove_files(cache_path: Path, run: str) -> None:
    """Remove a run's request line files (the texts), and the `.batch` folder once no run has any left."""
    directory = Path(f"{cache_path}.batch")
    shutil.rmtree(directory / run, ignore_errors=True)
    with suppress(OSError):
        directory.rmdir()  # only when empty


def _submit(connection: sqlite3.Connection, api: BatchAPI, run: str, model: str, timeout_hours: int) -> None:
    """Upload the run's files and create its job, each unless already done (recorded, or found orphaned)."""
    file_ids = []
    rows = connection.execute(
        "SELECT number, filename, path, file_id FROM batch_files WHERE run = ? ORDER BY number", [run]
    ).fetchall()
    for number, filename, path, file_id in rows:
        if file_id is None:
            content = Path(path).read_bytes()
            orphans = [f for f in api.find_files(filename) if f.filename == filename and f.bytes_ == len(content)]
            file_id = str(orphans[0].id) if orphans else api.upload(content, filename)
            connection.execute(
                "UPDATE batch_files SET file_id = ? WHERE run = ? AND number = ?", [file_id, run, number]
            )
        file_ids.append(file_id)
    orphan = next((job for job in api.jobs(model=model) if job.metadata.get("embedkit_run") == run), None)
    job = orphan or api.create_job(file_ids, model=model, metadata={"embedkit_run": run}, timeout_hours=timeout_hours)
    connection.execute("UPDATE batch_runs SET job_id = ?, state = 'submitted' WHERE run = ?", [job.id, run])


def _poll(
    connection: sqlite3.Connection, api: BatchAPI, run: str, poll_interval: float, timeout_hours: int, progress: bool
) -> None:
    """Wait for the run's job to stop, and record how it ended (a job the service forgot ends `NOT_FOUND`)."""
    (job_id,) = connection.execute("SELECT job_id FROM batch_runs WHERE run = ?", [run]).fetchone()
    bar: Any = tqdm(unit="request", desc=f"batch job {str(job_id)[:8]}", dynamic_ncols=True) if progress else None

    def update(current: BatchJob) -> None:
        if bar is not None:
            bar.total = current.total_requests
            bar.n = current.completed_requests
            bar.set_postfix_str(current.status.lower(), refresh=True)

    status: str = NOT_FOUND
    files: tuple[str | None, str | None] = (None, None)
    try:
        job = api.wait(
            job_id,
            poll_interval=poll_interval,
            on_update=update,
            timeout=timeout_hours * 3600.0 + POLL_GRACE_SECONDS,
        )
        status, files = job.status, (job.output_file, job.error_file)
    except NotFoundError:
        pass  # the service forgot the job: it ends NOT_FOUND, with no files to read
    finally:
        if bar is not None:
            bar.close()
    connection.execute(
        "UPDATE batch_runs SET state = 'finished', status = ?, output_file = ?, error_file = ? WHERE run = ?",
        [status, *files, run],
    )


def _peek(raw: bytes) -> tuple[str | None, int | None]:
    """A result line's `custom_id` and the width of its first vector (None when unreadable): the first pass."""
    try:
        line = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(line, dict) or not isinstance(line.get("custom_id"), str):
        return None, None
    body = (line.get("response") or {}).get("body") if isinstance(line.get("response"), dict) else None
    data = body.get("data") if isinstance(body, dict) else None
    first = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
    embedding = first.get("embedding")
    return line["custom_id"], len(embedding) if isinstance(embedding, list) else None


def _collect(
    connection: sqlite3.Connection,
    api: BatchAPI,
    cache: EmbeddingCache,
    run: str,
    namespace: str,
    dtype: str,
    dimension: int | None,
) -> None:
    """Read the finished job's results, committing each line as it is verified; then mark the run done.

    Two passes over the downloaded files: the first counts each `custom_id` (a duplicate refuses every copy, so the
    order the lines come in cannot choose the vectors) and the widths (the run's width is the one asked for, else
    the one already recorded, else the most common); the second decodes and commits. A file that cannot be
    downloaded any more (404) contributes nothing: its lines end as missing.
    """
    row = connection.execute("SELECT output_file, error_file, width FROM batch_runs WHERE run = ?", [run]).fetchone()
    file_ids, width = [file_id for file_id in row[:2] if file_id is not None], row[2]
    pending = {
        name: keys
        for name, keys in connection.execute(
            "SELECT custom_id, keys FROM batch_lines WHERE run = ? AND (outcome IS NULL OR outcome != 'ok')", [run]
        )
    }
    with tempfile.TemporaryDirectory(prefix="embedkit-batch-") as directory:
        paths = []
        for number, file_id in enumerate(file_ids):
            path = Path(directory) / f"{number}.jsonl"
            try:
                api.download(file_id, path)
            except NotFoundError:
                continue
            paths.append(path)
        counts: Counter[str] = Counter()
        widths: Counter[int] = Counter()
        for path in paths:
            for raw in _lines(path):
                name, seen_width = _peek(raw)
                if name is not None:
                    counts[name] += 1
                    if seen_width is not None:
                        widths[seen_width] += 1
        width = width or expected_width(dtype, dimension) or (widths.most_common(1)[0][0] if widths else None)
        for path in paths:
            for raw in _lines(path):
                _commit_line(connection, api, cache, run, namespace, dtype, dimension, raw, counts, pending, width)
                if width is None:
                    width = connection.execute("SELECT width FROM batch_runs WHERE run = ?", [run]).fetchone()[0]
    connection.execute("UPDATE batch_runs SET state = 'done' WHERE run = ?", [run])
    _remove_files(cache.path, run)


def _lines(path: Path) -> Iterable[bytes]:
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                yield line


def _commit_line(
    connection: sqlite3.Connection,
    api: BatchAPI,
    cache: EmbeddingCache,
    run: str,
    namespace: str,
    dtype: str,
    dimension: int | None,
    raw: bytes,
    counts: Counter[str],
    pending: dict[str, bytes],
    width: int | None,
) -> None:
    """Verify one result line and commit it: its vectors into the cache and the line `ok`, or the line `failed`."""
    # Scrubbed of the key: its model goes into the cache, its failure into the run's record and the final message.
    decoded = decode_line(raw, dtype, dimension, api._settings.key)
    name = decoded.custom_id
    if name is None or name not in pending:
        # Unreadable without an id (its line ends missing), or a line committed by an earlier read; any other
        # custom_id names no line of this run, and nothing is committed from it.
        if name is not None and counts[name] and not _known(connection, run, name):
            logger.warning("batch run %s: a result line for custom_id %r, no line of this run: ignored", run, name)
        return
    keys = pending[name]
    failure: LineFailure | None = None
    if counts[name] > 1:
        failure = LineFailure(name, 200, f"custom_id {name!r} is answered {counts[name]} times: every copy is refused")
    elif isinstance(decoded, LineFailure):
        failure = decoded
    elif len(keys) != KEY_BYTES * len(decoded.rows):
        failure = LineFailure(name, 200, f"the line answers {len(decoded.rows)} rows for {len(keys) // KEY_BYTES}")
    elif width is not None and int(decoded.rows.shape[1]) != width:
        failure = LineFailure(name, 200, f"the line's vectors have {decoded.rows.shape[1]} values, the job's {width}")
    if failure is not None:
        connection.execute(
            "UPDATE batch_lines SET outcome = 'failed', http_status = ?, message = ? WHERE run = ? AND custom_id = ?",
            [failure.status, failure.message, run, name],
        )
        return
    assert not isinstance(decoded, LineFailure)
    split = [keys[i : i + KEY_BYTES] for i in range(0, len(keys), KEY_BYTES)]
    # The line's answer names the model that served it, recorded as a synchronous call's is.
    cache.put_many(namespace, split, decoded.rows, decoded.model or None)
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(
            "UPDATE batch_lines SET outcome = 'ok', http_status = 200, message = NULL WHERE run = ? AND custom_id = ?",
            [run, name],
        )
        connection.execute(
            "UPDATE batch_runs SET tokens = tokens + ?, width = coalesce(width, ?) WHERE run = ?",
            [decoded.usage.total_tokens, int(decoded.rows.shape[1]), run],
        )
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    del pending[name]


def _known(connection: sqlite3.Connection, run: str, name: str) -> bool:
    query = "SELECT 1 FROM batch_lines WHERE run = ? AND custom_id = ?"
    return connection.execute(query, [run, name]).fetchone() is not None


def _outcome(connection: sqlite3.Connection, run: str) -> BatchRun:
    """The run as recorded: its job, how it ended, its committed inputs and tokens, and its failed or missing lines."""
    job_id, status, tokens, state = connection.execute(
        "SELECT job_id, status, tokens, state FROM batch_runs WHERE run = ?", [run]
    ).fetchone()
    outcome = BatchRun(run=run, job_id=job_id, status=status, tokens=int(tokens))
    ended = status or state
    for name, keys, result, http_status, message in connection.execute(
        "SELECT custom_id, keys, outcome, http_status, message FROM batch_lines WHERE run = ? ORDER BY rowid", [run]
    ):
        if result == "ok":
            outcome.inputs += len(keys) // KEY_BYTES
        elif result == "failed":
            outcome.failures.append(LineFailure(name, http_status, message or "failed"))
        else:
            outcome.missing += 1
            why = (
                "the service no longer knows the job (404: deleted, or lost in a restart)"
                if status == NOT_FOUND
                else f"the job ended {ended} without a result for this line"
            )
            outcome.failures.append(LineFailure(name, None, f"no result: {why}"))
    return outcome


def describe(outcome: BatchRun) -> str:
    """One line for the final message: the job, how it ended, and what it did not embed (never "0 failed" then)."""
    failed = len(outcome.failures) - outcome.missing
    parts = [f"{outcome.inputs} inputs embedded"]
    if failed:
        parts.append(f"{failed} lines failed")
    if outcome.missing:
        parts.append(f"{outcome.missing} lines with no result")
    if not outcome.failures:
        parts.append("0 lines failed")
    return f"batch job {outcome.job_id}: {outcome.status}, " + ", ".join(parts)


def raise_for(outcome: BatchRun, policy: str) -> None:
    """`BatchJobError` naming what a run left unembedded, when the `--batch-retry` policy ends it there."""
    if not outcome.failures:
        return
    first = outcome.failures[0]
    raise BatchJobError(
        f"{describe(outcome)} (first: {first.custom_id}: {first.message}); --batch-retry {policy}: not embedded "
        "synchronously. Rerun with --batch-retry sync to embed them synchronously, or batch for another job",
        failures=outcome.failures,
    )
