"""Mistral's batch API for embeddings: upload request lines, run a job, poll it, read its results back into rows.

`embedder.batch` (a `BatchAPI`) speaks the files and batch-job operations of openapi.yaml through the generated
client's request builders, with the client's key, timeout and retry policy (`_retry.py`) on every request. The
Python surface is submit → status → fetch: `submit(texts)` uploads one JSONL file of request lines (each within
the request limits, planned as the synchronous client plans its batches) and starts a job; `fetch(job)` reads
the output file back into an `EmbeddingResult` whose row i embeds text i, mapped from each line's `custom_id`
(`rows-<start>-<stop>`: the inputs the line carries), since results come in any order. Lines that failed are
named in a `BatchJobError`, which keeps the rows that did finish (`partial`). The CLI's resumable bulk job
(`_batch_job.py`) is built from the same pieces.
"""

from __future__ import annotations

import io
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

import httpx
import numpy as np
import orjson
from generated_client.api.mistral import (
    cancel_batch_job,
    create_batch_job,
    download_file,
    get_batch_job,
    list_batch_jobs,
    list_files,
    upload_file,
)
from generated_client.models import BatchJob as BatchJobBody
from generated_client.models import (
    BatchJobMetadataType0,
    BatchJobRequest,
    BatchJobRequestMetadataType0,
    FileList,
    FileObject,
    FileUpload,
)
from generated_client.types import UNSET, File

from ._batching import Batch, check_texts, fit, plan
from ._core import Settings, logger
from ._decode import VALUE_DTYPES, OutputMatrix, decode_into, expected_width
from ._errors import APIConnectionError, APIError, PartialResult
from ._policy import (
    Attempts,
    Outcome,
    Step,
    after_exception,
    is_retryable_status,
    next_wait,
    retry_after,
    status_error,
)
from ._result import EmbeddingResult, Usage

if TYPE_CHECKING:
    from ._client import Embedder

FINAL_STATUSES = frozenset({"SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLED"})
# Mistral's documented bound on request lines per input file, and a byte bound of our own (Mistral documents
# none for batch files; 512 MB is its upload limit for other files, so stay well under).
MAX_LINES_PER_FILE = 1_000_000
MAX_FILE_BYTES = 256 * 1024 * 1024
CUSTOM_ID = re.compile(r"rows-(\d+)-(\d+)")
Dtype = Literal["float", "int8", "uint8", "binary", "ubinary"]


@dataclass(frozen=True)
class BatchJob:
    """A batch job as last seen: plain data from the service's `BatchJob` body."""

    id: str
    status: str
    model: str | None
    input_files: tuple[str, ...]
    output_file: str | None
    error_file: str | None
    total_requests: int
    completed_requests: int
    succeeded_requests: int
    failed_requests: int
    metadata: dict[str, Any] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

    @property
    def done(self) -> bool:
        """Whether the job has stopped (successfully or not): nothing will change any more."""
        return self.status in FINAL_STATUSES

    @classmethod
    def from_body(cls, body: Any) -> BatchJob:
        """Read a `BatchJob` body with the generated model (which refuses what the contract forbids)."""
        parsed = BatchJobBody.from_dict(body)

        def text(value: Any) -> str | None:
            return value if isinstance(value, str) else None

        metadata = parsed.metadata.to_dict() if isinstance(parsed.metadata, BatchJobMetadataType0) else {}
        return cls(
            id=str(parsed.id),
            status=str(parsed.status),
            model=text(parsed.model),
            input_files=tuple(parsed.input_files),
            output_file=text(parsed.output_file),
            error_file=text(parsed.error_file),
            total_requests=parsed.total_requests,
            completed_requests=parsed.completed_requests,
            succeeded_requests=parsed.succeeded_requests,
            failed_requests=parsed.failed_requests,
            metadata=metadata,
            errors=tuple(error.message for error in parsed.errors),
        )


class BatchJobError(APIError):
    """A batch job that did not embed every input: why, which lines failed, and the rows that did finish."""

    def __init__(self, message: str, *, failures: list[LineFailure] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.failures = failures or []


@dataclass(frozen=True)
class LineFailure:
    """One request line the job could not serve: its custom_id, the status (None if unread) and the message."""

    custom_id: str | None
    status: int | None
    message: str


@dataclass(frozen=True)
class LineResult:
    """One line of an output file, decoded: the rows it fills (`start` to `stop`), their vectors and usage."""

    custom_id: str
    rows: np.ndarray[Any, Any]
    usage: Usage
    model: str


def request_line(custom_id: str, texts: list[str], options: dict[str, Any]) -> bytes:
    """One JSONL request line: the embeddings request body without `model` (the job's model serves it)."""
    body: dict[str, Any] = {"input": texts, **{k: v for k, v in options.items() if v is not None}}
    return orjson.dumps({"custom_id": custom_id, "body": body}) + b"\n"


def line_options(output_dimension: int | None, output_dtype: str | None) -> dict[str, Any]:
    """The request fields a line carries besides its inputs; floats, which is what Mistral sends anyway.

    Mistral is reported to answer floats whatever `encoding_format` says (FACTS.md).
    """
    return {"output_dimension": output_dimension, "output_dtype": output_dtype, "encoding_format": "float"}


def decode_line(raw: bytes, dtype: str, output_dimension: int | None) -> LineResult | LineFailure:
    """An output or error file line: its rows (checked as a synchronous answer is), or why it failed."""
    try:
        line = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return LineFailure(None, None, f"a result line is not JSON: {error}")
    custom_id = line.get("custom_id") if isinstance(line, dict) else None
    response = line.get("response") if isinstance(line, dict) else None
    if not isinstance(custom_id, str) or not isinstance(response, dict):
        problem = line.get("error") if isinstance(line, dict) else None
        message = problem.get("message") if isinstance(problem, dict) else None
        return LineFailure(custom_id if isinstance(custom_id, str) else None, None, str(message or line)[:500])
    status = response.get("status_code")
    body = response.get("body")
    if status != 200:
        message = body.get("message") if isinstance(body, dict) else None
        if isinstance(body, dict) and "detail" in body:
            message = str(body["detail"])
        return LineFailure(custom_id, status if isinstance(status, int) else None, str(message or body)[:500])
    match = CUSTOM_ID.fullmatch(custom_id)
    if match is None:
        return LineFailure(custom_id, 200, f"custom_id {custom_id!r} was not written by embedkit")
    count = int(match.group(2)) - int(match.group(1))
    matrix = OutputMatrix(count, VALUE_DTYPES[dtype], expected_width(dtype, output_dimension))
    decoded = decode_into(orjson.dumps(body), Batch(0, count), matrix)
    assert matrix.array is not None or count == 0
    rows = matrix.array if matrix.array is not None else np.zeros((0, 0), VALUE_DTYPES[dtype])
    return LineResult(custom_id, rows, decoded.usage, decoded.model)


def custom_id(start: int, stop: int) -> str:
    """The custom_id of the line carrying inputs `start` to `stop` (exclusive)."""
    return f"rows-{start}-{stop}"


class BatchAPI:
    """Mistral's batch API through one `Embedder`'s connection, key and retry policy."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    @property
    def _settings(self) -> Settings:
        return self._embedder._settings

    # --- one request, with the retry policy ---------------------------------------------------------------

    def _send(
        self,
        build: Callable[[], dict[str, Any]],
        *,
        into: Path | None = None,
        recover: Callable[[], Any] | None = None,
    ) -> Any:
        """Send a request built afresh for each attempt (an upload's body is a stream); retry as `_retry` says.

        Answers the parsed JSON body (a damaged one is retried, as `embed` does), or, with `into`, streams a 200
        body to that file. A request that is not idempotent passes `recover`: before each retry it looks for
        what the lost attempt may have created, and what it finds is the answer (nothing is created twice).
        """
        settings = self._settings
        attempts = Attempts(settings.retry)
        while True:
            attempts.count += 1
            if attempts.count > 1 and recover is not None:
                found = recover()
                if found is not None:
                    return found
            request = build()
            request["url"] = settings.base_url + request["url"]
            request["auth"] = settings.auth  # the key is revealed inside httpx only
            try:
                http = self._embedder._http
                response = http.request(**request) if into is None else self._stream(request, into)
            except httpx.HTTPError as failure:
                time.sleep(next_wait(after_exception(failure), attempts))
                continue
            if response.status_code == 200:
                if into is not None:
                    return None
                try:
                    return orjson.loads(response.content)
                except orjson.JSONDecodeError as damaged:
                    outcome = Outcome(Step.RETRY, APIConnectionError(f"the response body is not JSON: {damaged}"))
                    time.sleep(next_wait(outcome, attempts))
                    continue
            refused = status_error(response, settings.key)
            if not is_retryable_status(response.status_code):
                refused.attempts = attempts.count
                raise refused
            time.sleep(next_wait(Outcome(Step.RETRY, refused, retry_after(response.headers)), attempts))

    def _stream(self, request: dict[str, Any], into: Path) -> httpx.Response:
        with self._embedder._http.stream(**request) as response:
            if response.status_code != 200:
                response.read()
                return response
            expected = response.headers.get("content-length")
            size = 0
            with into.open("wb") as handle:
                for piece in response.iter_bytes(1 << 20):
                    handle.write(piece)
                    size += len(piece)
            if expected is not None and expected.isdigit() and int(expected) != size:
                raise httpx.ReadError(f"download cut short: {size} of {expected} bytes")
            return response

    # --- files and jobs -------------------------------------------------------------------------------------

    def upload(self, content: bytes, filename: str) -> str:
        """Upload a batch input file; its id."""

        def build() -> dict[str, Any]:
            payload = File(payload=io.BytesIO(content), file_name=filename, mime_type="application/jsonl")
            kwargs = upload_file._get_kwargs(body=FileUpload(file=payload, purpose="batch"))
            # The generated builder fixes the boundary to "+++"; httpx draws a random one when none is given.
            kwargs["headers"].pop("Content-Type", None)
            return kwargs

        def recover() -> Any:
            same = [f for f in self.find_files(filename) if f.filename == filename and f.bytes_ == len(content)]
            return same[0].to_dict() if same else None

        return str(FileObject.from_dict(self._send(build, recover=recover)).id)

    def find_files(self, search: str) -> list[FileObject]:
        """Every batch file whose name contains `search` (all pages)."""
        found: list[FileObject] = []
        page = 0
        while True:
            listing = FileList.from_dict(self._send(partial(list_files._get_kwargs, page=page, page_size=100,
                                                            search=search, purpose="batch")))  # fmt: skip
            found.extend(listing.data)
            if len(listing.data) < 100:
                return found
            page += 1

    def create_job(
        self, file_ids: list[str], *, model: str, metadata: dict[str, str] | None = None, timeout_hours: int = 24
    ) -> BatchJob:
        """Start a job over uploaded files (`metadata.embedkit_request` marks it, to find it if an answer is lost)."""
        marker = uuid.uuid4().hex
        metadata = {**(metadata or {}), "embedkit_request": marker}
        body = BatchJobRequest(
            input_files=list(file_ids),
            endpoint="/v1/embeddings",
            model=model,
            metadata=BatchJobRequestMetadataType0.from_dict(metadata),
            timeout_hours=timeout_hours,
        )

        def build() -> dict[str, Any]:
            kwargs = create_batch_job._get_kwargs(body=body)
            kwargs["content"] = orjson.dumps(kwargs.pop("json"))
            return kwargs

        def recover() -> Any:
            newest = self._send(partial(list_batch_jobs._get_kwargs, page=0, page_size=100, model=model))
            mine = [job for job in newest["data"] if (job.get("metadata") or {}).get("embedkit_request") == marker]
            return mine[0] if mine else None

        return BatchJob.from_body(self._send(build, recover=recover))

    def jobs(self, *, model: str | None = None) -> Iterator[BatchJob]:
        """Every job (of `model`, if given), newest first, page after page."""
        page = 0
        while True:
            build = partial(list_batch_jobs._get_kwargs, page=page, page_size=100, model=model if model else UNSET)
            data = self._send(build).get("data", [])
            yield from (BatchJob.from_body(item) for item in data)
            if len(data) < 100:
                return
            page += 1

    def status(self, job: BatchJob | str) -> BatchJob:
        """The job as it is now."""
        identifier = job.id if isinstance(job, BatchJob) else job
        return BatchJob.from_body(self._send(lambda: get_batch_job._get_kwargs(UUID(identifier))))

    def cancel(self, job: BatchJob | str) -> BatchJob:
        """Ask the job to stop (the lines answered so far stay in its files)."""
        identifier = job.id if isinstance(job, BatchJob) else job
        return BatchJob.from_body(self._send(lambda: cancel_batch_job._get_kwargs(UUID(identifier))))

    def wait(
        self, job: BatchJob | str, *, poll_interval: float = 5.0, on_update: Callable[[BatchJob], None] | None = None
    ) -> BatchJob:
        """Poll until the job has stopped; `on_update` sees every state (for a progress bar)."""
        current = self.status(job)
        while True:
            if on_update is not None:
                on_update(current)
            if current.done:
                return current
            time.sleep(poll_interval)
            current = self.status(current)

    def download(self, file_id: str, into: Path) -> None:
        """A file's content, streamed to `into` (the whole download is retried if it breaks off)."""
        self._send(lambda: download_file._get_kwargs(UUID(file_id)), into=into)

    def read_lines(self, file_id: str) -> Iterator[bytes]:
        """A file's lines, from a temporary copy on disk (a job's output can be larger than memory should hold)."""
        with tempfile.TemporaryDirectory(prefix="embedkit-batch-") as directory:
            path = Path(directory) / "content.jsonl"
            self.download(file_id, path)
            with path.open("rb") as handle:
                for line in handle:
                    if line.strip():
                        yield line

    # --- the Python surface: submit, status, fetch ----------------------------------------------------------

    def submit(
        self,
        texts: str | Iterable[str],
        *,
        model: str | None = None,
        output_dimension: int | None = None,
        output_dtype: Dtype | None = None,
        truncate: bool = False,
        metadata: dict[str, str] | None = None,
        timeout_hours: int = 24,
    ) -> BatchJob:
        """Start a batch job embedding `texts` (checked and planned as `embed` would); `fetch` reads it back.

        All lines go in one input file, so at most 1M lines (about 500M inputs); the CLI's `--batch-api` splits
        larger inputs into several files and resumes after a crash.
        """
        settings = self._settings
        if settings.service.name != "mistral":
            raise TypeError("the batch API is Mistral's; this client is for cortecs")
        options = settings.options.merged(
            {"model": model, "output_dimension": output_dimension, "output_dtype": output_dtype}
        )
        model_name = options.model or settings.service.default_model
        # Counted with the job's model's tokenizer, as `embed` counts (Tekken for codestral-embed).
        limits = settings.limits.for_model(model_name)
        checked = fit(check_texts(texts), limits, truncate=truncate)
        extra = line_options(options.output_dimension, options.output_dtype)
        lines = b"".join(
            request_line(custom_id(batch.start, batch.stop), checked[batch.start : batch.stop], extra)
            for batch in plan(checked, limits)
        )
        file_id = self.upload(lines, f"embedkit-{uuid.uuid4().hex}.jsonl")
        job_metadata = {**(metadata or {}), "embedkit_rows": str(len(checked)),
                        "embedkit_dtype": options.output_dtype or "float",
                        "embedkit_dimension": str(options.output_dimension or "")}  # fmt: skip
        job = self.create_job([file_id], model=model_name, metadata=job_metadata, timeout_hours=timeout_hours)
        logger.debug("batch job %s: %d inputs in %d bytes of request lines", job.id, len(checked), len(lines))
        return job

    def fetch(self, job: BatchJob | str) -> EmbeddingResult:
        """The vectors of a finished job submitted by `submit`, row i for text i; `BatchJobError` if any line failed."""
        job = self.status(job)
        if not job.done:
            raise BatchJobError(f"batch job {job.id} is still {job.status}; wait() for it first")
        rows = int(job.metadata.get("embedkit_rows", "0"))
        dtype = str(job.metadata.get("embedkit_dtype", "float"))
        dimension_text = str(job.metadata.get("embedkit_dimension", ""))
        dimension = int(dimension_text) if dimension_text.isdigit() else None
        matrix = OutputMatrix(rows, VALUE_DTYPES[dtype], expected_width(dtype, dimension))
        usage, model = Usage(), job.model or ""
        failures: list[LineFailure] = []
        for file_id in (job.output_file, job.error_file):
            if file_id is None:
                continue
            for raw in self.read_lines(file_id):
                decoded = decode_line(raw, dtype, dimension)
                if isinstance(decoded, LineFailure):
                    failures.append(decoded)
                    continue
                match = CUSTOM_ID.fullmatch(decoded.custom_id)
                assert match is not None
                batch = Batch(int(match.group(1)), int(match.group(2)))
                target = matrix.rows_for(batch, decoded.rows.shape[1])
                target[:] = decoded.rows
                matrix.commit(batch, target)
                usage, model = usage + decoded.usage, decoded.model or model
        missing = int((~matrix.completed).sum())
        if failures or missing or job.status != "SUCCESS":
            error = BatchJobError(
                f"batch job {job.id} ended {job.status}: {missing} of {rows} inputs not embedded, "
                f"{len(failures)} lines failed" + (f" (first: {failures[0].message})" if failures else ""),
                failures=failures,
            )
            error.partial = PartialResult(matrix.array, matrix.completed.copy(), usage)
            raise error
        vectors = matrix.array if matrix.array is not None else np.empty((0, 0), VALUE_DTYPES[dtype])
        return EmbeddingResult(vectors=vectors, model=model, usage=usage)
