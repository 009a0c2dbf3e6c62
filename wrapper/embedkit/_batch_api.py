"""Mistral's batch API for embeddings: upload request lines, run a job, poll it, read its results back into rows.

`embedder.batch` (a `BatchAPI`) speaks the files and batch-job operations of openapi.yaml through the generated
client's request builders, through the client's one transport (`_transport.py`: its key, rate budget, concurrency
limit, watchdog and retry policy) on every request. The
Python surface is submit → status → fetch: `submit(texts)` uploads one JSONL file of request lines (each within
the request limits, planned as the synchronous client plans its batches) and starts a job; `fetch(job)` reads
the output file back into an `EmbeddingResult` whose row i embeds text i, mapped from each line's `custom_id`
(`rows-<start>-<stop>`: the inputs the line carries), since results come in any order. Lines that failed are
named in a `BatchJobError`, which keeps the rows that did finish (`partial`). The CLI's resumable bulk job
(`_batch_job.py`) is built from the same pieces.

Mistral's inline jobs are there too: `submit(texts, inline=True)` sends the request lines in the job's own
`requests` (no file), and `fetch` reads such a job's results from its `outputs` (`GET /v1/batch/jobs/{id}?inline=true`).
`delete(job)` deletes a job, `signed_url(file_id)` gives a key-free download link. Arguments the contract bounds
(`timeout_hours`, `metadata`, the number of inline requests, a signed URL's expiry) are checked before anything is
sent, with an `InputError` naming the argument (and the metadata key).
"""

from __future__ import annotations

import dataclasses
import io
import math
import re
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

import httpx
import numpy as np
import orjson
from embedkit_generated.api.batch import (
    cancel_batch_job,
    create_batch_job,
    delete_batch_job,
    get_batch_job,
    list_batch_jobs,
)
from embedkit_generated.api.files import download_file, get_file_signed_url, list_files, upload_file
from embedkit_generated.models import BatchJob as BatchJobBody
from embedkit_generated.models import (
    BatchJobMetadataType0,
    BatchRequest,
    CreateBatchJobRequest,
    CreateBatchJobRequestMetadataType0,
    CreateFileResponse,
    DeleteBatchJobResponse,
    FileSchema,
    GetSignedUrlResponse,
    UploadFileMultiPartBodyParams,
)
from embedkit_generated.types import UNSET, File, Unset

from ._batching import Batch, check_texts, fit, plan
from ._body import Received
from ._core import Settings, logger, refuse_unordered
from ._decode import VALUE_DTYPES, OutputMatrix, decode_into, expected_width
from ._errors import (
    APIConnectionError,
    APIError,
    BatchJobError,
    InputError,
    LineFailure,
    NotFoundError,
    PartialResult,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    UnsupportedError,
)
from ._options import check_bool, check_int
from ._policy import Outcome, Step, after_error_status, scrub_value
from ._result import EmbeddingResult, Usage
from ._security import APIKey, printable_frames, scrub_strings
from ._transport import Created

if TYPE_CHECKING:
    from ._client import Embedder

FINAL_STATUSES = frozenset({"SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLED"})
# Mistral's documented bound on request lines per input file, and a byte bound of our own (Mistral documents
# none for batch files; 512 MB is its upload limit for other files, so stay well under).
MAX_LINES_PER_FILE = 1_000_000
MAX_FILE_BYTES = 256 * 1024 * 1024
CUSTOM_ID = re.compile(r"rows-(\d+)-(\d+)")
Dtype = Literal["float", "int8", "uint8", "binary", "ubinary"]

# The bounds openapi.yaml puts on a job (components.schemas.CreateBatchJobRequest, from Mistral's own document).
# The generated models do not carry numeric or length constraints (only types), and the wrapper does not read
# the YAML at run time (a plain install has no YAML parser), so they are written here once, and
# tests/test_jobs.py::test_the_batch_bounds_are_the_contracts reads the contract to prove them equal.
# `timeout_hours`: minimum, maximum.
TIMEOUT_HOURS = (1, 168)
# `timeout_hours`' default (the contract's `default: 24`; a signed URL's `expiry` defaults to 24 too).
DEFAULT_TIMEOUT_HOURS = 24
# `metadata`: propertyNames minLength/maxLength, and additionalProperties (string) minLength/maxLength.
METADATA_KEY_LENGTH = (1, 32)
METADATA_VALUE_LENGTH = (1, 512)
# `requests`: maxItems, the most request lines a job can carry inline.
MAX_INLINE_REQUESTS = 10_000
# A signed URL's `expiry` in hours: the operation's description says "1 to 168, default 24" (prose only, so the
# generated client has just the default).
SIGNED_URL_HOURS = (1, 168)
# Metadata keys embedkit writes and reads back (`fetch` sizes its result from them; a lost answer is recovered by
# `embedkit_request`, a CLI run by `embedkit_run`): a caller's key with this prefix would silently break them.
RESERVED_PREFIX = "embedkit_"
# Polling backs off to this interval while a job makes no progress (a longer `poll_interval` is kept as it is).
MAX_POLL_INTERVAL = 60.0
# How long `wait` goes on asking through a failing status route (after the transport's own retries of each poll).
DEFAULT_OUTAGE = 600.0
# The most pages a files or jobs listing reads (100 items each): past it the listing is endless, not long.
MAX_PAGES = 1000
PAGE_SIZE = 100
# What a custom_id answered more than once gets: which copy holds the right vectors cannot be known.
REFUSED = "every copy is refused"


def check_timeout_hours(value: Any) -> int:
    """`timeout_hours` as an int within the contract's bounds, or an `InputError` naming it (nothing sent yet)."""
    return check_int("timeout_hours", value, minimum=TIMEOUT_HOURS[0], maximum=TIMEOUT_HOURS[1])


def check_metadata(metadata: Any, *, reserved: str | None = None) -> dict[str, str]:
    """A job's `metadata` as the contract allows it: string keys of 1 to 32 characters, string values of 1 to 512.

    Checked here because the service would refuse the whole job with a 422 after the input file was uploaded;
    the `InputError` names `metadata` (its `argument`) and the key at fault. Keys starting with `reserved` are
    refused too: embedkit writes them itself and reads them back.
    """
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InputError(
            f"metadata must be a mapping of strings to strings, got {type(metadata).__name__}", argument="metadata"
        )
    (key_min, key_max), (value_min, value_max) = METADATA_KEY_LENGTH, METADATA_VALUE_LENGTH
    checked: dict[str, str] = {}
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise InputError(
                f"metadata key {_shown(key)} must be a string, not {type(key).__name__}", argument="metadata"
            )
        if not key_min <= len(key) <= key_max:
            raise InputError(
                f"metadata key {_shown(key)} has {len(key)} characters; keys have {key_min} to {key_max}",
                argument="metadata",
            )
        if reserved is not None and key.startswith(reserved):
            raise InputError(
                f"metadata key {key!r} starts with {reserved!r}, which embedkit keeps for its own keys",
                argument="metadata",
            )
        if not isinstance(value, str):
            raise InputError(
                f"metadata[{key!r}] must be a string, got {_shown(value)} ({type(value).__name__})",
                argument="metadata",
            )
        if not value_min <= len(value) <= value_max:
            raise InputError(
                f"metadata[{key!r}] has {len(value)} characters; values have {value_min} to {value_max}",
                argument="metadata",
            )
        checked[key] = value
    return checked


def as_uuid(argument: str, value: Any) -> UUID:
    """A file or job id as the UUID its route's path takes, or an `InputError` naming the argument."""
    try:
        # A UUID is copied by its number: one made without it (`UUID.__new__(UUID)`) is refused here, not when
        # the route's path is built (an untyped AttributeError).
        return UUID(int=value.int) if isinstance(value, UUID) else UUID(value)
    except (TypeError, ValueError, AttributeError):
        noun = "job" if argument == "job" else "file"
        raise InputError(f"{argument} must be a {noun} id (a UUID), got {_shown(value)}", argument=argument) from None


def check_seconds(name: str, value: Any) -> float:
    """A duration in seconds: a finite number, at least 0, or an `InputError` naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InputError(f"{name} must be a finite number of seconds, at least 0, got {_shown(value)}", argument=name)
    return float(value)


def _progress(job: BatchJob) -> tuple[str, int, int]:
    """What changes while a job makes progress: a poll that sees the same is a reason to back off."""
    return job.status, job.total_requests, job.completed_requests


def _pages(page: Callable[[int], list[Any]], what: str) -> Iterator[Any]:
    """The items of a paged listing, page after page, until a short page, a page of nothing new, or `MAX_PAGES`.

    A listing is read before a create is sent again (is it there already?), so it must end: a service whose pages
    repeat (or never shrink) would otherwise be asked forever. A page that adds no item not seen before ends the
    listing; a listing still growing after `MAX_PAGES` pages is an `APIError`, not an endless loop.
    """
    seen: set[str] = set()
    for number in range(MAX_PAGES):
        data = page(number)
        fresh = [item for item in data if isinstance(item, dict) and str(item.get("id")) not in seen]
        seen.update(str(item.get("id")) for item in fresh)
        yield from fresh
        if len(data) < PAGE_SIZE or not fresh:
            return
    raise APIError(f"the list of {what} did not end after {MAX_PAGES} pages of {PAGE_SIZE}; stopped reading it")


def _batch_of(identifier: str) -> Batch:
    match = CUSTOM_ID.fullmatch(identifier)
    assert match is not None  # decode_result answers a LineResult only for an id that matches
    return Batch(int(match.group(1)), int(match.group(2)))


def _refused(decoded: LineResult, rows: int) -> LineFailure | None:
    """Why a well-formed result line cannot be used for a job of `rows` inputs, or None if it can.

    It cannot when it names inputs the job does not have (a range past its end).
    """
    batch = _batch_of(decoded.custom_id)
    if not 0 <= batch.start < batch.stop <= rows:
        return LineFailure(decoded.custom_id, 200, f"custom_id {decoded.custom_id!r} names inputs the job does not "
                           f"have (it has {rows})")  # fmt: skip
    return None


def _submitted_shape(job: BatchJob) -> tuple[int, str, int | None]:
    """The rows, dtype and dimension `submit` recorded in the job's metadata; `BatchJobError` for another job's."""
    metadata = job.metadata
    rows_text, dtype = str(metadata.get("embedkit_rows", "")), str(metadata.get("embedkit_dtype", "float"))
    dimension_text = str(metadata.get("embedkit_dimension", ""))
    if not rows_text.isdigit() or dtype not in VALUE_DTYPES or not (dimension_text == "" or dimension_text.isdigit()):
        raise BatchJobError(
            f"batch job {job.id} was not made by submit() (its metadata has no embedkit_rows, or a bad "
            "embedkit_dtype or embedkit_dimension), so its rows cannot be placed: read its files with read_lines()"
        )
    return int(rows_text), dtype, int(dimension_text) if dimension_text else None


def _job_uuid(job: BatchJob | str) -> UUID:
    return as_uuid("job", job.id if isinstance(job, BatchJob) else job)


def _shown(value: Any, limit: int = 60) -> str:
    """A value as an error message quotes it: its repr, cut (a caller's value may be any size, or not print)."""
    try:
        text = repr(value)
    except Exception:  # a caller's object whose repr raises is named by its type
        text = f"a {type(value).__name__} that cannot be printed"
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class BatchJob:
    """A batch job as last seen: plain data from the service's `BatchJob` body.

    `input_files` is empty for a job whose requests were sent inline; `outputs` holds the results the service
    answered inline (`status(job, inline=True)`), None when it sent none.
    """

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
    outputs: tuple[dict[str, Any], ...] | None = None

    @property
    def done(self) -> bool:
        """Whether the job has stopped (successfully or not): nothing will change any more."""
        return self.status in FINAL_STATUSES

    @property
    def inline(self) -> bool:
        """Whether the job's requests were sent inline (no input file), so its results come inline too."""
        return not self.input_files

    @classmethod
    def from_body(cls, body: Any) -> BatchJob:
        """Read a `BatchJob` body with the generated model (which refuses what the contract forbids)."""
        parsed = BatchJobBody.from_dict(body)

        def text(value: Any) -> str | None:
            return None if value is None or isinstance(value, Unset) else str(value)

        metadata = parsed.metadata.to_dict() if isinstance(parsed.metadata, BatchJobMetadataType0) else {}
        outputs = tuple(item.to_dict() for item in parsed.outputs) if isinstance(parsed.outputs, list) else None
        return cls(
            id=str(parsed.id),
            status=str(parsed.status),
            model=text(parsed.model),
            input_files=tuple(str(file_id) for file_id in parsed.input_files),
            output_file=text(parsed.output_file),
            error_file=text(parsed.error_file),
            total_requests=parsed.total_requests,
            completed_requests=parsed.completed_requests,
            succeeded_requests=parsed.succeeded_requests,
            failed_requests=parsed.failed_requests,
            metadata=metadata,
            errors=tuple(error.message for error in parsed.errors),
            outputs=outputs,
        )


@dataclass(frozen=True)
class LineResult:
    """One line of an output file, decoded: the rows it fills (`start` to `stop`), their vectors and usage."""

    custom_id: str
    rows: np.ndarray[Any, Any]
    usage: Usage
    model: str


def request_item(custom_id: str, texts: list[str], options: dict[str, Any]) -> dict[str, Any]:
    """One request (`{custom_id, body}`): the embeddings request body without `model` (the job's model serves it)."""
    body: dict[str, Any] = {"input": texts, **{k: v for k, v in options.items() if v is not None}}
    return {"custom_id": custom_id, "body": body}


def request_line(custom_id: str, texts: list[str], options: dict[str, Any]) -> bytes:
    """One JSONL request line of an input file (see `request_item`)."""
    return orjson.dumps(request_item(custom_id, texts, options)) + b"\n"


def line_options(output_dimension: int | None, output_dtype: str | None) -> dict[str, Any]:
    """The request fields a line carries besides its inputs; floats, which is what Mistral sends anyway.

    Mistral is reported to answer floats whatever `encoding_format` says (third-party reports: anything-llm #5794,
    docs-mcp-server #469).
    """
    return {"output_dimension": output_dimension, "output_dtype": output_dtype, "encoding_format": "float"}


def decode_line(
    raw: bytes, dtype: str, output_dimension: int | None, key: APIKey | None = None
) -> LineResult | LineFailure:
    """An output or error file line: its rows (checked as a synchronous answer is), or why it failed.

    With `key`, every string the line gives (its model, custom_id, a failure's message) is scrubbed of the key.
    """
    try:
        line = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return _failure(None, None, f"a result line is not JSON: {error}", key)
    return decode_result(line, dtype, output_dimension, key)


def _failure(custom_id: str | None, status: int | None, message: str, key: APIKey | None) -> LineFailure:
    """A line's failure, its text scrubbed of the key and THEN cut (cut first, a key could straddle the cut)."""
    if key is not None:
        message, custom_id = key.scrub(message), None if custom_id is None else key.scrub(custom_id)
    return LineFailure(custom_id, status, message[:500])


def decode_result(
    line: Any, dtype: str, output_dimension: int | None, key: APIKey | None = None
) -> LineResult | LineFailure:
    """One result, a parsed file line or an item of an inline job's `outputs`: its rows, or why it failed.

    Both have one shape (Mistral's own SDK example reads an inline output's `["response"]["body"]`, as a file
    line's); the rows are checked as a synchronous answer is. With `key`, the strings the service sent are
    scrubbed of it, as a synchronous answer's are: a service echoing the key (in `model`, in an error message)
    must not get it into a result, the cache, the job's record or a message.
    """
    custom_id = line.get("custom_id") if isinstance(line, dict) else None
    response = line.get("response") if isinstance(line, dict) else None
    if not isinstance(custom_id, str) or not isinstance(response, dict):
        problem = line.get("error") if isinstance(line, dict) else None
        message = problem.get("message") if isinstance(problem, dict) else None
        return _failure(custom_id if isinstance(custom_id, str) else None, None, str(message or line), key)
    status = response.get("status_code")
    body = response.get("body")
    if status != 200:
        message = body.get("message") if isinstance(body, dict) else None
        if isinstance(body, dict) and "detail" in body:
            message = str(body["detail"])
        return _failure(custom_id, status if isinstance(status, int) else None, str(message or body), key)
    match = CUSTOM_ID.fullmatch(custom_id)
    if match is None:
        return _failure(custom_id, 200, f"custom_id {custom_id!r} was not written by embedkit", key)
    count = int(match.group(2)) - int(match.group(1))
    if count <= 0:
        return _failure(custom_id, 200, f"custom_id {custom_id!r} names no inputs", key)
    matrix = OutputMatrix(count, VALUE_DTYPES[dtype], expected_width(dtype, output_dimension))
    try:
        decoded = decode_into(orjson.dumps(body), Batch(0, count), matrix)
    except (APIError, ValueError, TypeError) as malformed:
        # One bad line is that line's failure, not the job's: the other lines' rows are kept and committed.
        return _failure(custom_id, 200, f"the line's answer cannot be read: {malformed}", key)
    assert matrix.array is not None or count == 0
    usage = decoded.usage
    if min(usage.prompt_tokens, usage.completion_tokens, usage.total_tokens, *usage.extra.values(), 0) < 0:
        return _failure(custom_id, 200, f"the line's usage counts negative tokens ({usage.total_tokens} in all)", key)
    rows = matrix.array if matrix.array is not None else np.zeros((0, 0), VALUE_DTYPES[dtype])
    model = decoded.model if key is None else key.scrub(decoded.model)
    return LineResult(custom_id, rows, decoded.usage, model)


def scrub_job(job: BatchJob, key: APIKey) -> BatchJob:
    """`job` with the key masked in every string the service sent: names, ids, errors, metadata, inline outputs.

    Inline outputs (every vector as JSON numbers) are walked only when their text holds the key at all.
    """
    job = scrub_strings(job, key)
    changes: dict[str, Any] = {}
    metadata = scrub_value(job.metadata, key)
    if metadata != job.metadata:
        changes["metadata"] = metadata
    if job.outputs is not None:
        text = orjson.dumps(job.outputs).decode()
        if key.scrub(text) != text:
            changes["outputs"] = tuple(scrub_value(item, key) for item in job.outputs)
    return dataclasses.replace(job, **changes) if changes else job


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

    def _job(self, body: Any) -> BatchJob:
        """A `BatchJob` body read, and scrubbed of the key (a service may echo it in any string it sends back)."""
        return scrub_job(BatchJob.from_body(body), self._settings.key)

    # --- one request, with the retry policy ---------------------------------------------------------------

    def _send(
        self,
        build: Callable[[], dict[str, Any]],
        *,
        into: Path | None = None,
        created: Created | None = None,
    ) -> Any:
        """Send a request built afresh for each attempt (an upload's body is a stream) through the client's transport.

        Answers the parsed JSON body (a damaged one is retried, as `embed` does), or, with `into`, streams a 200
        body to that file. A create passes `created`: a lost answer is confirmed by looking for what it made, never
        by sending it again (see _transport.py), and what is found is the answer.
        """
        settings = self._settings

        def request() -> dict[str, Any]:
            built = build()
            built["url"] = settings.base_url + built["url"]
            built["auth"] = settings.auth  # the key is revealed inside httpx only
            return built

        bodies: list[Any] = []

        def answer(received: Received) -> Outcome:
            response = received.response
            if response.status_code != 200:
                outcome = after_error_status(response, settings.key)
                # A files or jobs request is not a batch of inputs: "too large" cannot be split, it fails.
                return Outcome(Step.FAIL, outcome.error) if outcome.step is Step.SPLIT else outcome
            if into is None:
                try:
                    bodies.append(orjson.loads(received.content))
                except orjson.JSONDecodeError as damaged:
                    return Outcome(Step.RETRY, APIConnectionError(f"the response body is not JSON: {damaged}"))
            return Outcome(Step.DONE)

        def stream(http: httpx.Client, prepared: dict[str, Any]) -> Received:
            assert into is not None
            response = self._stream(prepared, into)
            return Received(response, response.content if response.status_code != 200 else b"")

        outcome = self._embedder._transport.exchange(
            request, answer, read=None if into is None else stream, created=created, bounded=into is None
        )
        if outcome.found is not None:
            return outcome.found
        return bodies[0] if bodies else None

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
            kwargs = upload_file.request_arguments(body=UploadFileMultiPartBodyParams(file=payload, purpose="batch"))
            # The generated builder fixes the boundary to "+++"; httpx draws a random one when none is given.
            kwargs["headers"].pop("Content-Type", None)
            return kwargs

        def recover() -> Any:
            same = [f for f in self.find_files(filename) if f.filename == filename and f.bytes_ == len(content)]
            return same[0].to_dict() if same else None

        found = Created(marker=filename, what="batch input file", lookup=recover)
        return str(CreateFileResponse.from_dict(self._send(build, created=found)).id)

    def find_files(self, search: str) -> list[FileSchema]:
        """Every batch file whose name contains `search` (all pages; see `_pages` for how an endless listing ends)."""

        def page(number: int) -> list[Any]:
            build = partial(list_files.request_arguments, page=number, page_size=PAGE_SIZE, search=search,
                            purpose="batch")  # fmt: skip
            return list(self._send(build).get("data") or [])

        # A file's name is the service's echo of ours: scrubbed, like every string it sends back.
        return [FileSchema.from_dict(scrub_value(item, self._settings.key)) for item in _pages(page, "files")]

    @printable_frames
    def signed_url(self, file_id: str, expiry_hours: int = 24) -> str:
        """A URL from which anyone holding it can download the file, without the key, for `expiry_hours` hours.

        For handing a job's output to another process or machine (Mistral's own SDK downloads a job's output this
        way) without sharing the key; treat the URL as a secret until it expires. `expiry_hours` is checked
        against the bounds the contract's description gives (1 to 168) before anything is sent.
        """
        identifier = as_uuid("file_id", file_id)
        hours = check_int("expiry_hours", expiry_hours, minimum=SIGNED_URL_HOURS[0], maximum=SIGNED_URL_HOURS[1])
        body = self._send(partial(get_file_signed_url.request_arguments, identifier, expiry=hours))
        return self._settings.key.scrub(GetSignedUrlResponse.from_dict(body).url)

    def create_job(
        self,
        file_ids: list[str] | None,
        *,
        model: str,
        metadata: dict[str, str] | None = None,
        timeout_hours: int = DEFAULT_TIMEOUT_HOURS,
        requests: list[dict[str, Any]] | None = None,
    ) -> BatchJob:
        """Start a job over uploaded files, or over `requests` sent inline (`{custom_id, body}` items, at most 10,000).

        `metadata.embedkit_request` marks the job, to find it if an answer is lost. `timeout_hours` and `metadata`
        are checked against the contract's bounds before anything is sent (`InputError` naming them).
        """
        hours = check_timeout_hours(timeout_hours)
        marker = uuid.uuid4().hex
        marked = {**check_metadata(metadata, reserved="embedkit_request"), "embedkit_request": marker}
        if (file_ids is None) == (requests is None):
            raise InputError("give either file_ids or requests (inline), not both or neither", argument="requests")
        if requests is not None and not 1 <= len(requests) <= MAX_INLINE_REQUESTS:
            raise InputError(
                f"an inline job carries 1 to {MAX_INLINE_REQUESTS} requests, got {len(requests)}", argument="requests"
            )
        body = CreateBatchJobRequest(
            input_files=UNSET if file_ids is None else [as_uuid("file_ids", f) for f in file_ids],
            requests=UNSET if requests is None else [BatchRequest.from_dict(item) for item in requests],
            endpoint="/v1/embeddings",
            model=model,
            metadata=CreateBatchJobRequestMetadataType0.from_dict(marked),
            timeout_hours=hours,
        )

        def build() -> dict[str, Any]:
            kwargs = create_batch_job.request_arguments(body=body)
            kwargs["content"] = orjson.dumps(kwargs.pop("json"))
            return kwargs

        def recover() -> Any:
            newest = self._send(partial(list_batch_jobs.request_arguments, page=0, page_size=100, model=model))
            mine = [
                job for job in newest.get("data") or () if (job.get("metadata") or {}).get("embedkit_request") == marker
            ]
            return mine[0] if mine else None

        return self._job(self._send(build, created=Created(marker=marker, what="batch job", lookup=recover)))

    def jobs(self, *, model: str | None = None) -> Iterator[BatchJob]:
        """Every job (of `model`, if given), newest first, page after page (see `_pages` for how it ends)."""

        def page(number: int) -> list[Any]:
            build = partial(list_batch_jobs.request_arguments, page=number, page_size=PAGE_SIZE,
                            model=model if model else UNSET)  # fmt: skip
            return list(self._send(build).get("data") or [])

        yield from (self._job(item) for item in _pages(page, "batch jobs"))

    @printable_frames
    def status(self, job: BatchJob | str, *, inline: bool = False) -> BatchJob:
        """The job as it is now; with `inline=True`, with the results the service holds inline (`outputs`).

        Inline results are for jobs whose requests were sent inline (`job.inline`): the service puts every result,
        vectors included, in this one answer, so asking it of a large file-based job would make a huge body.
        """
        identifier = _job_uuid(job)
        flag = True if check_bool("inline", inline) else UNSET
        return self._job(self._send(partial(get_batch_job.request_arguments, identifier, inline=flag)))

    @printable_frames
    def cancel(self, job: BatchJob | str) -> BatchJob:
        """Ask the job to stop (the lines answered so far stay in its files)."""
        identifier = _job_uuid(job)
        return self._job(self._send(partial(cancel_batch_job.request_arguments, identifier)))

    @printable_frames
    def delete(self, job: BatchJob | str) -> bool:
        """Delete the job: later requests for it get 404 (`NotFoundError`). Its files stay; True once it is gone.

        Deleting is idempotent, so it is retried like any read; a 404 on a retry means an earlier attempt, whose
        answer was lost, already deleted it, and is success. A 404 on the first attempt (no such job) is raised.
        """
        identifier = _job_uuid(job)
        try:
            body = self._send(partial(delete_batch_job.request_arguments, identifier))
        except NotFoundError as gone:
            if gone.attempts > 1:
                return True
            raise
        deleted = DeleteBatchJobResponse.from_dict(body).deleted
        return True if isinstance(deleted, Unset) else deleted

    @printable_frames
    def wait(
        self,
        job: BatchJob | str,
        *,
        poll_interval: float = 5.0,
        on_update: Callable[[BatchJob], None] | None = None,
        timeout: float | None = None,
        outage: float = DEFAULT_OUTAGE,
    ) -> BatchJob:
        """Poll until the job has stopped; `on_update` sees every state (for a progress bar).

        Polls every `poll_interval` seconds while the job makes progress, and backs off (doubling, up to
        `MAX_POLL_INTERVAL` or `poll_interval` if longer) while it makes none: a job that sits QUEUED, or RUNNING
        with nothing counted, is not asked hundreds of times a minute. A service that fails the poll (a 5xx, a 429,
        a dropped connection) after the transport's own retries is asked again, with the same backoff, for up to
        `outage` seconds in a row: an outage on the status route must not end a job that is still running (the
        job and the money spent on it are not lost by stopping to look). `timeout` (seconds, None: no limit) bounds
        the whole wait: past it, `BatchJobError` says the job is still running and can be waited for again.
        """
        interval = check_seconds("poll_interval", poll_interval)
        if timeout is not None:
            timeout = check_seconds("timeout", timeout)
        outage = check_seconds("outage", outage)
        _job_uuid(job)  # a bad id is an InputError before anything is sent
        started = time.monotonic()
        ceiling = max(interval, MAX_POLL_INTERVAL)
        delay, failing_since = interval, None
        current: BatchJob | str = job
        seen: tuple[str, int, int] | None = None
        while True:
            try:
                latest = self.status(current)
            except (ServerError, RateLimitError, APIConnectionError) as error:
                failing_since = time.monotonic() if failing_since is None else failing_since
                if time.monotonic() - failing_since > outage:
                    raise
                logger.warning("polling batch job %s failed (%s); asking again", _job_uuid(current), error.message)
                delay = min(delay * 2.0, ceiling)
            else:
                failing_since = None
                if on_update is not None:
                    on_update(latest)
                if latest.done:
                    return latest
                progress = _progress(latest)
                delay = interval if seen is None or progress != seen else min(delay * 2.0, ceiling)
                current, seen = latest, progress
            if timeout is not None and time.monotonic() + delay > started + timeout:
                shown = current.status if isinstance(current, BatchJob) else "not seen yet"
                raise BatchJobError(
                    f"batch job {_job_uuid(current)} is still {shown} after {time.monotonic() - started:.0f} s "
                    f"(timeout {timeout:g} s); it goes on running: wait for it again (from the CLI: rerun the command)"
                )
            time.sleep(delay)

    @printable_frames
    def download(self, file_id: str, into: Path) -> None:
        """A file's content, streamed to `into` (the whole download is retried if it breaks off)."""
        identifier = as_uuid("file_id", file_id)
        self._send(partial(download_file.request_arguments, identifier), into=into)

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
        timeout_hours: int = DEFAULT_TIMEOUT_HOURS,
        inline: bool = False,
    ) -> BatchJob:
        """Start a batch job embedding `texts` (checked and planned as `embed` would); `fetch` reads it back.

        By default all lines go in one uploaded input file, so at most 1M lines (about 500M inputs); the CLI's
        `--batch-api` splits larger inputs into several files and resumes after a crash. With `inline=True` the
        lines travel in the job's own `requests` instead (at most 10,000: `InputError` naming `inline` beyond),
        saving the upload and, in `fetch`, the downloads. Inline is asked for, never chosen for you: an inline
        job's results come back inside one JSON answer (every vector as JSON numbers, read into memory at once,
        where a file is streamed to disk), and the job creation request carries every text in one body, so
        what suits a few thousand short texts does not suit 10,000 lines of 512 texts each.

        `metadata` (string to string, keys of 1 to 32 characters, values of 1 to 512, none starting with
        `embedkit_`) and `timeout_hours` (1 to 168) are checked before anything is sent or uploaded.
        """
        settings = self._settings
        if settings.service.name != "mistral":
            raise UnsupportedError(f"the batch API is Mistral's; this client is for {settings.service.name}")
        texts = refuse_unordered(texts)  # a set has no order to map rows back to, as in `embed`
        hours = check_timeout_hours(timeout_hours)
        extra_metadata = check_metadata(metadata, reserved=RESERVED_PREFIX)
        inline = check_bool("inline", inline)
        options = settings.options.merged(
            {"model": model, "output_dimension": output_dimension, "output_dtype": output_dtype}
        )
        model_name = options.model or settings.service.default_model
        # Counted with the job's model's tokenizer, as `embed` counts (Tekken for codestral-embed).
        limits = settings.limits.for_model(model_name)
        checked = fit(check_texts(texts), limits, truncate=truncate)
        if not checked:
            raise InputError("no texts: a batch job embeds at least one", argument="texts")
        extra = line_options(options.output_dimension, options.output_dtype)
        job_metadata = {**extra_metadata, "embedkit_rows": str(len(checked)),
                        "embedkit_dtype": options.output_dtype or "float"}  # fmt: skip
        if options.output_dimension is not None:  # an empty value is refused by the contract: no key, no dimension
            job_metadata["embedkit_dimension"] = str(options.output_dimension)
        if inline:
            batches = list(plan(checked, limits))
            if len(batches) > MAX_INLINE_REQUESTS:
                raise InputError(
                    f"{len(checked)} inputs make {len(batches)} request lines; an inline job carries at most "
                    f"{MAX_INLINE_REQUESTS}: pass inline=False to upload them as a file",
                    argument="inline",
                )
            items = [request_item(custom_id(b.start, b.stop), checked[b.start : b.stop], extra) for b in batches]
            job = self.create_job(None, requests=items, model=model_name, metadata=job_metadata, timeout_hours=hours)
            logger.debug("batch job %s: %d inputs in %d inline requests", job.id, len(checked), len(items))
            return job
        lines = b"".join(
            request_line(custom_id(batch.start, batch.stop), checked[batch.start : batch.stop], extra)
            for batch in plan(checked, limits)
        )
        file_id = self.upload(lines, f"embedkit-{uuid.uuid4().hex}.jsonl")
        job = self.create_job([file_id], model=model_name, metadata=job_metadata, timeout_hours=hours)
        logger.debug("batch job %s: %d inputs in %d bytes of request lines", job.id, len(checked), len(lines))
        return job

    @printable_frames
    def fetch(self, job: BatchJob | str) -> EmbeddingResult:
        """The vectors of a finished job submitted by `submit`, row i for text i; `BatchJobError` if any line failed.

        A file-based job's results are read from its output and error files (streamed to disk); an inline job's
        from its `outputs`, asked for with `status(job, inline=True)` (falling back to its files, should the
        service answer no `outputs` but files).
        """
        job = self.status(job)
        if not job.done:
            raise BatchJobError(f"batch job {job.id} is still {job.status}; wait() for it first")
        if job.inline:
            job = self.status(job, inline=True)
        rows, dtype, dimension = _submitted_shape(job)
        matrix = OutputMatrix(rows, VALUE_DTYPES[dtype], expected_width(dtype, dimension))
        usage, model = Usage(), job.model or ""
        failures: list[LineFailure] = []
        copies: Counter[str] = Counter()
        for decoded in self._results(job, dtype, dimension):  # streamed: a job's results may be large
            if isinstance(decoded, LineFailure):
                failures.append(decoded)
                continue
            copies[decoded.custom_id] += 1
            refused = _refused(decoded, rows)
            if refused is not None:
                failures.append(refused)
                continue
            batch = _batch_of(decoded.custom_id)
            if copies[decoded.custom_id] > 1:
                matrix.completed[batch.start : batch.stop] = False  # the copy taken before is refused with this one
                continue
            try:
                target = matrix.rows_for(batch, decoded.rows.shape[1])
            except ResponseValidationError as mixed:
                failures.append(LineFailure(decoded.custom_id, 200, str(mixed)))
                continue
            target[:] = decoded.rows
            matrix.commit(batch, target)
            usage, model = usage + decoded.usage, decoded.model or model
        # Which copy of a custom_id answered twice holds the right vectors cannot be known: every copy is refused.
        failures.extend(
            LineFailure(name, 200, f"custom_id {name!r} is answered {count} times in the job's results: {REFUSED}")
            for name, count in copies.items()
            if count > 1
        )
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

    def _results(self, job: BatchJob, dtype: str, dimension: int | None) -> Iterator[LineResult | LineFailure]:
        """Every result of a finished job, decoded: its inline `outputs` if it has them, else its files' lines."""
        if job.outputs is not None:
            for item in job.outputs:
                yield decode_result(item, dtype, dimension, self._settings.key)
            return
        for file_id in (job.output_file, job.error_file):
            if file_id is not None:
                for raw in self.read_lines(file_id):
                    yield decode_line(raw, dtype, dimension, self._settings.key)
