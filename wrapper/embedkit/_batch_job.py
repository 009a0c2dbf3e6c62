"""The bulk job through Mistral's batch API: resumable, never submitting twice, results into the cache.

`embedkit embed IN OUT --batch-api` runs this before the ordinary bulk job (`_bulk.run_job`). It embeds every
input the cache does not hold yet through one batch job and stores the vectors in the cache; the ordinary job
then finds every row there and writes the same Parquet/.npy output as a synchronous run would, in input order
(any input still missing, a failed line, is embedded synchronously by it, when the user chose that).

Crash safety: the job's SQLite file (the cache) records each step before it is taken, and the ids as they come
back, in tables beside the vectors:
1. plan: the request lines are written to input files beside the cache, and the run, its files (names, no ids)
   and each line's `custom_id` with the cache keys of its texts are committed in one transaction;
2. upload: each file's id is recorded as soon as the service returns it;
3. create: the job's id is recorded as soon as the service returns it;
4. poll, then download: each output line's vectors are committed to the cache; the run is marked done last.
A process killed anywhere resumes at the step it was in. The one window that recording cannot close is between
the service accepting an upload (or a job) and the id being committed: so before uploading, the run looks for a
file of the same name (the name carries the run's id) among the service's batch files, and before creating a
job it looks for a job whose `metadata.embedkit_run` is the run's id; either found is adopted, not sent again.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ._batch_api import (
    MAX_FILE_BYTES,
    MAX_LINES_PER_FILE,
    BatchAPI,
    BatchJob,
    check_timeout_hours,
    custom_id,
    decode_line,
    line_options,
    request_line,
)
from ._batching import check_texts, fit, plan
from ._bulk import windows
from ._cache import EmbeddingCache, text_key
from ._client import Embedder
from ._core import cache_namespace
from ._errors import InputError, LineFailure
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
KEY_BYTES = 32


@dataclass
class BatchRun:
    """What one batch run did: its job, the tokens its answered lines used, and the lines that failed."""

    run: str | None = None
    job_id: str | None = None
    status: str | None = None
    inputs: int = 0
    tokens: int = 0
    failures: list[LineFailure] = field(default_factory=list)


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
    """Embed every input the cache lacks through one batch job (resuming an unfinished one), into the cache."""
    settings = embedder._settings
    if settings.service.name != "mistral":
        raise InputError("--batch-api is Mistral's batch API; it cannot run with --service cortecs")
    # Checked before any file is planned or uploaded: the job creation, last, would refuse it after the uploads.
    timeout_hours = check_timeout_hours(timeout_hours)
    options = settings.options.merged(overrides)
    settings.service.check(options)
    namespace = cache_namespace(settings, options)
    model = options.model or settings.service.default_model
    api = embedder.batch
    connection = sqlite3.connect(cache.path, timeout=60.0, isolation_level=None)
    try:
        connection.executescript(SCHEMA)
        found = connection.execute(
            "SELECT run FROM batch_runs WHERE namespace = ? AND state != 'done' ORDER BY created LIMIT 1", [namespace]
        ).fetchone()
        outcome = BatchRun()
        if found is None:
            line_extra = line_options(options.output_dimension, options.output_dtype)
            outcome.run = _plan(connection, embedder, records(), cache, namespace, model, line_extra, truncate, window)
            if outcome.run is None:
                return outcome  # everything is in the cache already
        else:
            outcome.run = found[0]
        run = outcome.run
        job = _submit(connection, api, run, model, timeout_hours)
        outcome.job_id = job.id
        job = _poll(api, job, poll_interval, progress)
        outcome.status = job.status
        dtype = options.output_dtype or "float"
        for file_id in (job.output_file, job.error_file):
            if file_id is None:
                continue
            for raw in api.read_lines(file_id):
                decoded = decode_line(raw, dtype, options.output_dimension)
                if isinstance(decoded, LineFailure):
                    outcome.failures.append(decoded)
                    continue
                row = connection.execute(
                    "SELECT keys FROM batch_lines WHERE run = ? AND custom_id = ?", [run, decoded.custom_id]
                ).fetchone()
                if row is None or len(row[0]) != KEY_BYTES * len(decoded.rows):
                    outcome.failures.append(LineFailure(decoded.custom_id, 200, "a result for no line of this run"))
                    continue
                keys = [row[0][i : i + KEY_BYTES] for i in range(0, len(row[0]), KEY_BYTES)]
                # The line's answer names the model that served it, recorded as a synchronous call's is.
                cache.put_many(namespace, keys, decoded.rows, decoded.model or None)
                outcome.inputs += len(keys)
                outcome.tokens += decoded.usage.total_tokens
        connection.execute("UPDATE batch_runs SET state = 'done', tokens = ? WHERE run = ?", [outcome.tokens, run])
        return outcome
    finally:
        connection.close()


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
) -> str | None:
    """Write the request lines of every input not in the cache to files, and record them; the run's id."""
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
    finally:
        if handle is not None:
            handle.close()
    if not lines:
        return None
    # The intent, recorded in one transaction before anything is sent.
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(
            "INSERT INTO batch_runs (run, namespace, model, state, created) VALUES (?, ?, ?, 'planned', ?)",
            [run, namespace, model, time.time()],
        )
        connection.executemany(
            "INSERT INTO batch_files (run, number, filename, path) VALUES (?, ?, ?, ?)",
            [(run, *entry) for entry in files],
        )
        connection.executemany("INSERT INTO batch_lines (run, custom_id, keys) VALUES (?, ?, ?)", lines)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return run


def _submit(connection: sqlite3.Connection, api: BatchAPI, run: str, model: str, timeout_hours: int) -> BatchJob:
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
    (job_id,) = connection.execute("SELECT job_id FROM batch_runs WHERE run = ?", [run]).fetchone()
    if job_id is not None:
        return api.status(job_id)
    orphan = next((job for job in api.jobs(model=model) if job.metadata.get("embedkit_run") == run), None)
    job = orphan or api.create_job(file_ids, model=model, metadata={"embedkit_run": run}, timeout_hours=timeout_hours)
    connection.execute("UPDATE batch_runs SET job_id = ?, state = 'submitted' WHERE run = ?", [job.id, run])
    return job


def _poll(api: BatchAPI, job: BatchJob, poll_interval: float, progress: bool) -> BatchJob:
    bar: Any = (
        tqdm(total=job.total_requests, unit="request", desc=f"batch job {job.id[:8]}", dynamic_ncols=True)
        if progress
        else None
    )

    def update(current: BatchJob) -> None:
        if bar is not None:
            bar.total = current.total_requests
            bar.n = current.completed_requests
            bar.set_postfix_str(current.status.lower(), refresh=True)

    try:
        return api.wait(job, poll_interval=poll_interval, on_update=update)
    finally:
        if bar is not None:
            bar.close()
