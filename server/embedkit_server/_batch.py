"""Mistral's batch jobs: request lines, from uploaded JSONL files or inline, served in the background.

A job opens its input files when it is created (so deleting them later changes nothing: the open files are read to
the end) and reads them as a stream, a line at a time, never whole: a pass at creation counts the lines (and checks
them when the job has no model), a second one serves them, so a job's memory does not grow with its input (a line
longer than `MAX_LINE_BYTES`, the synchronous body bound, is skipped as it is read and becomes an error line). Lines
come from `input_files`, or from the job's own `requests` (inline, at most 10,000 by the contract); exactly one of
the two must be given (400 otherwise). Files and jobs belong to an organisation (`owner`): a job is made only over
its organisation's files, and is seen only by it (404 otherwise). A thread then answers its lines at
`requests_per_second` (0: as fast as it can), so tests run 100,000 texts in seconds and a demo can watch
`completed_requests` grow. Each line is served as `POST /v1/embeddings` would serve its `body`: validated against
the contract, then the service's own rules (limits, model). The job's `model`, when it has one, serves every line;
without one, each line's body must name its model, or the job is refused at once with a 400 naming the first line
that does not (a line that cannot even be read is left to become an error line, as it would with a model). Lines are
answered in a shuffled order (deterministic: seeded by the server's seed and the job's number), since Mistral does
not promise any: shuffled within windows of `WINDOW_LINES` lines, the most a job holds at once.

Line shapes (assumed; Mistral documents only "the custom_id and the response or an error", and its batch API
mirrors OpenAI's, whose shapes these are; see `BatchResultLine` in openapi.yaml); `custom_id` is optional and
null in the result of a line without one, whose `id` (`batch-<job id>-<line index>`) still tells it apart:
- answered (output file): `{"id", "custom_id", "response": {"status_code": 200, "body": <EmbeddingResponse>},
  "error": null}`;
- refused by the endpoint (error file): the same with the 4xx status and the error body (a 422 `detail`, or
  the error object of an input over the limits);
- unreadable (error file): `{"id", "custom_id": <it, or null>, "response": null, "error": {"message", "code"}}`.
A job with failed lines still ends `SUCCESS`, with `failed_requests` counting them; a job with no line ends
`FAILED`. Past `timeout_hours` (each hour lasting `hour_seconds` on this server) a job stops as
`TIMEOUT_EXCEEDED`; a cancelled one as `CANCELLED`. Either way the lines answered so far are in its files.
`GET /v1/batch/jobs/{id}?inline=true` answers a finished job with `outputs`: every result line, answered and
failed, in the order of the requests, read from its output and error files (a file deleted since contributes
nothing); before the job finishes `outputs` is null, and without `inline=true` it is left out. A deleted job is
gone at once (404); if it was still running it stops, and what it had answered is dropped with it.

Listing filters as Mistral's parameters say: `model`, `agent_id`, `status`, `created_after`, `created_by_me`
(jobs created with the key asking), and `metadata`, which keeps the jobs whose metadata holds every given
key with the given value. A negative `page` or a `page_size` below 1 answers an empty page (see `page_of`).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from . import _catalogue as catalogue
from ._errors import APIError, NotFound
from ._files_store import FileStore, page_of

FINAL = frozenset({"SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLED"})
# The longest request line read (the synchronous route's body bound); a longer one is an error line.
MAX_LINE_BYTES = 8 * 1024 * 1024
# Lines are answered in an order shuffled within windows of this many lines (or `WINDOW_BYTES` of them).
WINDOW_LINES = 1024
WINDOW_BYTES = 8 * 1024 * 1024


def _file_lines(handle: BinaryIO) -> Iterator[bytes | None]:
    """The non-blank lines of an open file from its start, one at a time; None for a line over `MAX_LINE_BYTES`.

    A too-long line is read past in pieces, never held, and still counts as a line (unless it is all blanks).
    """
    handle.seek(0)
    while True:
        line = handle.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            blank = not line.strip()
            while True:
                rest = handle.readline(MAX_LINE_BYTES)
                blank = blank and not rest.strip()
                if not rest or rest.endswith(b"\n"):
                    break
            if not blank:
                yield None
            continue
        if line.strip():
            yield line[:-1] if line.endswith(b"\n") else line


@dataclass
class _Source:
    """A job's request lines: its input files, open (so deleting them changes nothing), or its inline requests."""

    files: list[tuple[str, BinaryIO]]
    inline: list[bytes] | None = None

    def lines(self) -> Iterator[tuple[bytes | None, str]]:
        """Each request line (None: too long) and where it is, for messages; from the start at each call."""
        if self.inline is not None:
            yield from ((line, f"requests[{index}]") for index, line in enumerate(self.inline))
            return
        for file_id, handle in self.files:
            for number, line in enumerate(_file_lines(handle), 1):
                yield line, f"line {number} of file {file_id}"

    def close(self) -> None:
        """Close the input files."""
        for _, handle in self.files:
            handle.close()


@dataclass
class Job:
    """One batch job and its progress."""

    id: str
    number: int
    input_files: list[str]
    model: str | None
    metadata: dict[str, Any] | None
    timeout_hours: int
    deadline: float
    agent_id: str | None = None
    # Who created it (a digest of the key, never the key): what `created_by_me` compares.
    creator: bytes = b""
    # The organisation it belongs to (a digest): only its keys see the job.
    owner: bytes = b""
    status: str = "QUEUED"
    created_at: int = field(default_factory=lambda: int(time.time()))
    started_at: int | None = None
    completed_at: int | None = None
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    output_file: str | None = None
    error_file: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    def describe(self) -> dict[str, Any]:
        """The `BatchJob` body (without `outputs`)."""
        return {
            "id": self.id,
            "object": "batch",
            "input_files": self.input_files,
            "endpoint": "/v1/embeddings",
            "model": self.model,
            "agent_id": self.agent_id,
            "metadata": self.metadata,
            "output_file": self.output_file,
            "error_file": self.error_file,
            "errors": self.errors,
            "status": self.status,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
            "total_requests": self.total,
            "completed_requests": self.succeeded + self.failed,
            "succeeded_requests": self.succeeded,
            "failed_requests": self.failed,
        }


@dataclass(frozen=True)
class BatchSettings:
    """How jobs run on this server."""

    # Request lines answered per second by each job; 0 for as fast as the CPU allows.
    requests_per_second: float = 50.0
    # How long one hour lasts here, in seconds (3600 like the real service; tests shrink it): the hours of a job's
    # `timeout_hours`, and of a file's or a signed URL's `expiry`.
    hour_seconds: float = 3600.0
    # Seeds the order lines are answered in.
    seed: int = 0


class BatchJobs:
    """Every batch job of the server, each run by a thread of its own."""

    def __init__(
        self,
        store: FileStore,
        settings: BatchSettings,
        *,
        problems: Callable[[Any], list[dict[str, Any]]],
        embed: Callable[[dict[str, Any]], bytes],
    ) -> None:
        self.store = store
        self.settings = settings
        self._problems = problems
        self._embed = embed
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        # Observable from tests: how many jobs were created (a client must never submit twice).
        self.created = 0

    def create(self, body: dict[str, Any], creator: bytes = b"", owner: bytes = b"") -> dict[str, Any]:
        """Queue a job of `owner`'s and start running it.

        400 when not exactly one of `input_files` and `requests` is given, for an unknown model, or for a job
        without a model whose lines do not all name one; 404 for an input file unknown to `owner`.
        """
        files, requests = body.get("input_files"), body.get("requests")
        if (files is None) == (requests is None):
            given = "both were given" if files is not None else "neither was given"
            raise APIError(400, "Give exactly one of input_files (uploaded JSONL files of request lines) and "
                           f"requests (the request lines inline): {given}", param="input_files")  # fmt: skip
        model = body.get("model")
        if model is not None:
            catalogue.mistral_model(model)
        source = _Source([], [orjson.dumps(item) for item in requests] if requests is not None else None)
        try:
            for file_id in files or []:
                stored = self.store.get(file_id, owner)
                try:
                    source.files.append((file_id, stored.path.open("rb")))
                except FileNotFoundError:
                    raise NotFound("File", file_id) from None  # deleted since it was looked up
            # One pass over the lines, a line at a time: how many, and (without a job model) that each names one.
            total = 0
            for line, place in source.lines():
                total += 1
                if model is None:
                    _check_line_names_a_model(line, place)
        except BaseException:
            source.close()
            raise
        hours = body.get("timeout_hours", 24)
        with self._lock:
            self.created += 1
            job = Job(
                id=str(uuid.uuid4()),
                number=self.created,
                input_files=list(files or []),
                model=model,
                metadata=body.get("metadata"),
                timeout_hours=hours,
                deadline=time.monotonic() + hours * self.settings.hour_seconds,
                agent_id=body.get("agent_id"),
                creator=creator,
                owner=owner,
                total=total,
            )
            self._jobs[job.id] = job
        threading.Thread(target=self._run, args=(job, source), name=f"batch-{job.number}", daemon=True).start()
        return job.describe()

    def get(self, identifier: str, *, inline: bool = False, owner: bytes | None = None) -> dict[str, Any]:
        """A job of `owner`'s (None: anyone's), else 404; with `inline`, its `outputs` (null until it has finished)."""
        job = self._job(identifier, owner)
        with self._lock:
            body = job.describe()
        if inline:
            body["outputs"] = self._outputs(job) if body["status"] in FINAL else None
        return body

    def _outputs(self, job: Job) -> list[dict[str, Any]]:
        """Every result line of a finished job, in request order (the index ends each line's id)."""
        found: list[dict[str, Any]] = []
        for file_id in (job.output_file, job.error_file):
            if file_id is None:
                continue
            try:
                raw = self.store.get(file_id).path.read_bytes()
            except (NotFound, OSError):
                continue  # deleted (or expired) since: its lines are gone with it
            found.extend(orjson.loads(line) for line in raw.splitlines() if line.strip())
        found.sort(key=lambda line: int(str(line["id"]).rsplit("-", 1)[1]))
        return found

    def _job(self, identifier: str, owner: bytes | None = None) -> Job:
        with self._lock:
            job = self._jobs.get(identifier)
        if job is None or (owner is not None and job.owner != owner):
            raise NotFound("Batch job", identifier)
        return job

    def cancel(self, identifier: str, owner: bytes | None = None) -> dict[str, Any]:
        """Ask a job of `owner`'s to stop; a finished job is answered as it is."""
        job = self._job(identifier, owner)
        with self._lock:
            if job.status not in FINAL:
                job.status = "CANCELLATION_REQUESTED"
            return job.describe()

    def delete(self, identifier: str, owner: bytes | None = None) -> dict[str, Any]:
        """Forget a job of `owner`'s (`DeleteBatchJobResponse`); a running one stops at its next line; files stay."""
        with self._lock:
            job = self._jobs.get(identifier)
            if job is None or (owner is not None and job.owner != owner):
                raise NotFound("Batch job", identifier)
            del self._jobs[identifier]
            job.deleted = True
        return {"id": job.id, "object": "batch", "deleted": True}

    def listing(
        self, params: dict[str, Any], creator: bytes | None = None, owner: bytes | None = None
    ) -> dict[str, Any]:
        """One page of `owner`'s jobs, filtered and ordered as `list_batch_jobs` documents."""
        with self._lock:
            jobs = [job for job in self._jobs.values() if owner is None or job.owner == owner]
        after = params.get("created_after")
        since = datetime.fromisoformat(after.replace("Z", "+00:00")).timestamp() if after else None
        wanted: dict[str, Any] = params.get("metadata") or {}
        chosen = [
            job
            for job in jobs
            if ("model" not in params or job.model == params["model"])
            and ("agent_id" not in params or job.agent_id == params["agent_id"])
            and (not params.get("status") or job.status in params["status"])
            and (since is None or job.created_at > since)
            and (not params.get("created_by_me") or job.creator == creator)
            and all(key in (job.metadata or {}) and (job.metadata or {})[key] == value for key, value in wanted.items())
        ]
        chosen.sort(key=lambda job: job.number, reverse=params.get("order_by", "-created") == "-created")
        with self._lock:
            data = [job.describe() for job in page_of(chosen, params)]
        return {"object": "list", "data": data, "total": len(chosen)}

    def close(self) -> None:
        """Stop every running job at its next line."""
        self._closing.set()

    def _run(self, job: Job, source: _Source) -> None:
        try:
            self._serve(job, source)
        except (OSError, ValueError):
            # The server stopped and removed its files directory (or closed the inputs) under a running job:
            # nothing is left to finish.
            if not self._closing.is_set():
                raise
        finally:
            source.close()

    def _serve(self, job: Job, source: _Source) -> None:
        shuffler = random.Random(f"{self.settings.seed}:{job.number}")  # noqa: S311 - an order, not a secret
        with self._lock:
            if job.status == "QUEUED":
                job.status, job.started_at = "RUNNING", int(time.time())
        output_path, error_path = self.store.partial_path(), self.store.partial_path()
        final = "SUCCESS"
        started = time.monotonic()
        rate = self.settings.requests_per_second
        done = 0
        with output_path.open("wb") as output, error_path.open("wb") as errors:
            for first, window in _windows(source.lines()):
                order = list(range(len(window)))
                shuffler.shuffle(order)
                for position in order:
                    final = self._wait_turn(job, started + done / rate if rate else 0.0)
                    if final != "SUCCESS":
                        break
                    line, ok = self._answer(job, window[position], first + position)
                    (output if ok else errors).write(line)
                    done += 1
                    with self._lock:
                        if ok:
                            job.succeeded += 1
                        else:
                            job.failed += 1
                if final != "SUCCESS":
                    break
        if not done and final == "SUCCESS":
            final = "FAILED"
            job.errors.append({"message": "The job has no request line", "count": 1})
        self._finish(job, final, output_path, error_path)

    def _wait_turn(self, job: Job, turn: float) -> str:
        """SUCCESS once the line's turn has come, or the status that stops the job first."""
        while True:
            if job.status == "CANCELLATION_REQUESTED" or job.deleted or self._closing.is_set():
                return "CANCELLED"
            now = time.monotonic()
            if now > job.deadline:
                return "TIMEOUT_EXCEEDED"
            if now >= turn:
                return "SUCCESS"
            time.sleep(min(turn - now, 0.05))

    def _finish(self, job: Job, final: str, output_path: Path, error_path: Path) -> None:
        if job.deleted:
            # Nobody can ask for this job any more: what it answered goes with it.
            output_path.unlink(missing_ok=True)
            error_path.unlink(missing_ok=True)
            return
        files: dict[str, str | None] = {}
        for kind, path, count in (("output", output_path, job.succeeded), ("error", error_path, job.failed)):
            files[kind] = None
            if not count:
                path.unlink(missing_ok=True)
                continue
            sample_type = "batch_result" if kind == "output" else "batch_error"
            try:
                stored = self.store.adopt(path, filename=f"{job.id}_{kind}.jsonl", sample_type=sample_type,
                                          num_lines=count, owner=job.owner)  # fmt: skip
            except APIError as error:
                final = "FAILED"
                job.errors.append({"message": error.message, "count": 1})
                continue
            files[kind] = stored.id
        with self._lock:
            job.output_file, job.error_file = files["output"], files["error"]
            job.status, job.completed_at = final, int(time.time())

    def _answer(self, job: Job, raw: bytes | None, index: int) -> tuple[bytes, bool]:
        """A result line for one request line, and whether it goes to the output file (else the error file)."""
        line_id = f"batch-{job.id}-{index}"
        if raw is None:
            message = f"Line {index + 1} is longer than {MAX_LINE_BYTES} bytes"
            return _error_line(line_id, None, message, "line_too_long"), False
        try:
            item = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            return _error_line(line_id, None, f"Line {index + 1} is not valid JSON: {exc}", "invalid_json"), False
        custom_id = item.get("custom_id") if isinstance(item, dict) else None
        if not isinstance(custom_id, str | None):
            return _error_line(line_id, None, f"Line {index + 1}: custom_id must be a string", "invalid_line"), False
        if not isinstance(item, dict) or not isinstance(item.get("body"), dict):
            message = f"Line {index + 1} is not a request line: an object with an object `body` is needed"
            return _error_line(line_id, custom_id, message, "invalid_line"), False
        body = item["body"] if job.model is None else {**item["body"], "model": job.model}
        problems = self._problems(body)
        if problems:
            return _response_line(line_id, custom_id, 422, orjson.dumps({"detail": problems})), False
        try:
            answer = self._embed(body)
        except APIError as error:
            return _response_line(line_id, custom_id, error.status, orjson.dumps(error.body(0, line_id))), False
        return _response_line(line_id, custom_id, 200, answer), True


def _response_line(line_id: str, custom_id: str | None, status: int, body: bytes) -> bytes:
    return b'{"id":%s,"custom_id":%s,"response":{"status_code":%d,"body":%s},"error":null}\n' % (
        orjson.dumps(line_id), orjson.dumps(custom_id), status, body,
    )  # fmt: skip


def _error_line(line_id: str, custom_id: str | None, message: str, code: str) -> bytes:
    error = {"id": line_id, "custom_id": custom_id, "response": None, "error": {"message": message, "code": code}}
    return orjson.dumps(error) + b"\n"


def _windows(lines: Iterator[tuple[bytes | None, str]]) -> Iterator[tuple[int, list[bytes | None]]]:
    """The lines in windows of at most `WINDOW_LINES` lines or about `WINDOW_BYTES` bytes, with their first index."""
    window: list[bytes | None] = []
    first = size = 0
    for line, _ in lines:
        window.append(line)
        size += len(line) if line is not None else 0
        if len(window) >= WINDOW_LINES or size >= WINDOW_BYTES:
            yield first, window
            first, window, size = first + len(window), [], 0
    if window:
        yield first, window


def _check_line_names_a_model(raw: bytes | None, place: str) -> None:
    """For a job without a model: a 400 if this readable request line's body names none."""
    if raw is None:
        return  # unreadable either way: it becomes a line of the error file
    try:
        item = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return
    readable = isinstance(item, dict) and isinstance(item.get("body"), dict)
    if readable and not isinstance(item["body"].get("model"), str):
        named = f" (custom_id {item['custom_id']!r})" if isinstance(item.get("custom_id"), str) else ""
        raise APIError(
            400,
            f"The job has no model and {place}{named} names none in its body: give the job a model, or name "
            "one in every line's body",
            param="model",
        )
