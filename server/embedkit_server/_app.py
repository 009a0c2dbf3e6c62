"""The ASGI application: routing, bearer auth, body limits and parsing, contract validation, faults, responses.

A plain ASGI callable rather than a framework: every response is JSON the contract documents (or a file's
bytes), and fault injection needs byte-level control of what is sent (a dropped or truncated body).
Order of checks, each answered with the status the contract documents: unknown route 404, wrong method 405
(with `Allow`), missing or wrong key 401, injected fault, path and query parameters 422, body over the size
limit 413, a body whose content type is not JSON (or multipart, for uploads) 422, unparseable or too deeply
nested JSON (or a malformed multipart message) 400, schema violations 422 (all of them), then the service's own
rules (unknown model, limits, routing) 400, and unknown models, files and jobs 404. Error bodies take the shapes
the real service is reported to send (`_errors.py`). Handlers are keyed on the contract's operation ids, and the
server refuses to start when the contract has an operation it does not implement. Models live in `_models.py`,
files and batch jobs in `_files_store.py` and `_batch.py`; signed URLs of files are served on a path of their
own, outside the contract and without a key (`_signed_urls.py`).

A multi-user service: files and batch jobs belong to the organisation of the key that made them, and another
organisation's are answered 404 (not listed, not read, downloaded, signed, deleted or cancelled, and no job is
made over them), as Mistral scopes them to the organisation. Each key is an organisation of its own unless
`ServerConfig.organisations` groups keys into one (its members then share files and jobs, and `created_by_me`
tells them apart). Uploads stream to disk as they arrive (`_multipart.FormReader`), so memory does not grow
with their size, and count against the storage bound as they do (`_files_store.UploadReservation`), so concurrent
uploads cannot fill the disk before one finishes; the connection timeouts that bound a slow or silent client,
sending or reading, are the runner's (`_runner.py`).

By default the server answers as the real services are reported to, not only as their documents say: the
Mistral route answers float arrays whatever `encoding_format` asks (measured against api.mistral.ai by third
parties, 2026-06 and 2026-08: anything-llm #5794, docs-mcp-server #469), and cortecs passes on what its provider
sends (its `mistral` provider
floats, the OpenAI-compatible ones base64 when asked). `ServerConfig.honour_base64` makes every route honour
base64, like an OpenAI-compatible gateway.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from . import _catalogue as catalogue
from . import _multipart as multipart
from . import _signed_urls as signed_urls
from ._batch import BatchJobs, BatchSettings
from ._contract import BUNDLED_SPEC, Contract, Operation
from ._embeddings import FLOAT_FORMATS, EmbeddingCache, FloatFormat
from ._errors import APIError, ErrorStyle, ErrorStyleName, RateLimited, RequestValidationError, Unauthorized
from ._faults import FaultPlan
from ._files_store import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_TOTAL_BYTES, FileStore
from ._limits import Limits, check
from ._models import ModelRegistry
from ._ratelimit import RateLimiter, RateLimits

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

STATS_PREFIX = "reference server stats: "
DEV_TOKEN = "dev-token"  # noqa: S105 - a published development token, not a secret
MAX_BODY_BYTES = 8 * 1024 * 1024


@dataclass
class ServerConfig:
    """Everything that changes how the reference server answers."""

    tokens: tuple[str, ...] = field(default=(DEV_TOKEN,), repr=False)
    max_body_bytes: int = MAX_BODY_BYTES
    limits: Limits = field(default_factory=Limits)
    faults: FaultPlan = field(default_factory=FaultPlan)
    latency_ms: int = 0
    # Creates (an upload, a batch job) are committed this long after their request arrived, and answered then: a
    # service still committing when its client stops waiting, so that the client cannot know whether the object
    # exists. A client that sends the create again pays twice; one that looks for it by its marker does not.
    commit_delay_ms: int = 0
    cache_texts: int = 32768
    spec_path: Path = BUNDLED_SPEC
    # False: the Mistral route answers floats whatever `encoding_format` says, as the real one is reported to.
    honour_base64: bool = False
    # How float arrays are printed: "mistral" (float16-precision values as exact decimals, ~19 bytes each, as the
    # real service prints them) or "shortest" (float32's shortest form, ~14 bytes). Base64 is the same either way.
    float_format: FloatFormat = "mistral"
    # "latest": each error in the shape most recently reported from the real service; "rotate": every reported
    # shape in turn (see _errors.py).
    error_style: ErrorStyleName = "latest"
    # Per-key requests/s and tokens/min, as the real service limits an organisation; unlimited by default.
    rate_limits: RateLimits = field(default_factory=RateLimits)
    # Files API: where files are kept (None: a temporary directory removed when the server stops), the size of one
    # upload and of all files together (413 past either).
    files_dir: Path | None = None
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_files_bytes: int = DEFAULT_MAX_TOTAL_BYTES
    batch: BatchSettings = field(default_factory=BatchSettings)
    # Groups of keys that are one organisation (they share files and batch jobs); a key in no group is one alone.
    organisations: tuple[tuple[str, ...], ...] = field(default=(), repr=False)
    # Connection timeouts, in seconds (see `_runner.GuardedProtocol`): a request's line and headers must arrive
    # within `header_timeout` of its first byte (or of the connection's opening); its body may pause no longer
    # than `body_timeout`, and must keep up `body_min_rate` bytes/s on average after a grace of `body_timeout`;
    # an idle keep-alive connection is closed after `idle_timeout`. An answer the client does not read (a download
    # read at 1 byte/s, or not at all) may wait on it no longer than `send_timeout` without progress, and must be
    # read at `send_min_rate` bytes/s on average after a grace of `send_timeout`. A slow or silent client
    # (slowloris, sending or reading) cannot hold a connection longer than these.
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    body_min_rate: float = 1000.0
    idle_timeout: float = 30.0
    send_timeout: float = 30.0
    send_min_rate: float = 1000.0
    # Print the counters (`stats_line`) on shutdown: the command does, so a benchmark running it in a process of
    # its own can read what it served and refused.
    print_stats: bool = False

    def __post_init__(self) -> None:
        if not self.tokens or any(not token for token in self.tokens):
            raise ValueError("at least one non-empty token is required")
        ErrorStyle(self.error_style)  # validates the name
        grouped = [key for group in self.organisations for key in group]
        if len(grouped) != len(set(grouped)) or not set(grouped) <= set(self.tokens):
            raise ValueError("organisations group accepted keys, each key in one group at most")
        timeouts = (self.header_timeout, self.body_timeout, self.body_min_rate, self.idle_timeout,
                    self.send_timeout, self.send_min_rate)  # fmt: skip
        if not all(math.isfinite(value) and value > 0 for value in timeouts):
            raise ValueError("the connection timeouts and the minimum rates must be finite numbers above 0")
        if self.float_format not in FLOAT_FORMATS:
            raise ValueError(f"float_format must be one of {', '.join(FLOAT_FORMATS)}, not {self.float_format!r}")


# The operations that create something billable: what `commit_delay_ms` delays.
CREATES = frozenset({"upload_file", "create_batch_job"})


@dataclass
class _Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    # A file's bytes, sent from disk a piece at a time instead of `body` (downloads).
    file: Path | None = None
    content_type: str = "application/json"


@dataclass(frozen=True)
class _Request:
    """What a handler is given.

    The parsed body (or form), the typed path and query parameters, the caller's key (whose rate budget it may
    spend), and the base URL the caller reached this server at (signed URLs point there).
    """

    body: Any
    params: dict[str, Any]
    key: bytes
    base_url: str
    # The key's organisation (a digest, never a key): what owns the files and jobs it makes.
    owner: bytes = b""


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> _Response:
    return _Response(status, orjson.dumps(payload), headers or {})


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _parse_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    # orjson refuses integers beyond 64 bits, which are valid JSON; the standard parser reads them. It also
    # reads escapes of lone UTF-16 surrogates ("\ud800"), which are not Unicode text: those are refused here.
    # orjson also refuses nesting deeper than 1024 levels, where the standard parser runs out of stack.
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        raise APIError(400, "Request body is not valid JSON: it is nested too deeply") from None
    except UnicodeEncodeError:
        raise APIError(400, "Request body is not valid JSON: it escapes a lone UTF-16 surrogate") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise APIError(400, f"Request body is not valid JSON: {exc}", type_="invalid_request_error") from None
    return value


def _is_json_media_type(content_type: bytes | None) -> bool:
    """Whether a body of this content type is read as JSON: absent, `application/json` or `application/*+json`.

    The rule of FastAPI, which Mistral's service is built on (its 422 bodies are FastAPI's): any other content
    type leaves the body as bytes, which then fail validation with a 422. Inferred, not reported.
    """
    if content_type is None:
        return True
    media_type = content_type.split(b";", 1)[0].strip().lower()
    main, _, sub = media_type.partition(b"/")
    return main == b"application" and (sub == b"json" or sub.endswith(b"+json"))


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return bytes(value)
    return None


class ReferenceServer:
    """An ASGI app implementing every operation of openapi.yaml."""

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        self.contract = Contract.load(self.config.spec_path)
        self.cache = EmbeddingCache(self.config.cache_texts, self.config.float_format)
        self.error_style = ErrorStyle(self.config.error_style)
        self._tokens = tuple(token.encode() for token in self.config.tokens)
        # Each key's organisation: a digest of the first key of its group (or of itself), so no object holds a key.
        self._owners = {token: _organisation(token) for token in self._tokens}
        for group in self.config.organisations:
            for member in group:
                self._owners[member.encode()] = _organisation(group[0].encode())
        # Observable from tests and benchmarks: requests answered, texts embedded, the most in flight at once.
        self.requests = 0
        self.inputs_embedded = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        # The time integral of `in_flight` (request-seconds): its change over a span, divided by the span's length,
        # is the average number in flight, which tells a client that keeps the pipe full from one that drains it.
        self.in_flight_seconds = 0.0
        self._in_flight_changed = time.monotonic()
        self.rate_limiter = RateLimiter(self.config.rate_limits)
        config = self.config
        self.models = ModelRegistry()
        self.files = FileStore(
            config.files_dir,
            max_total_bytes=config.max_files_bytes,
            max_file_bytes=config.max_file_bytes,
            hour_seconds=config.batch.hour_seconds,
        )
        self.signer = signed_urls.URLSigner()
        embeddings = next(op for op in self.contract.operations.values() if op.operation_id == "create_embeddings")
        # Batch lines are embedded as synchronous requests are, outside any key's synchronous rate budget.
        self.batch = BatchJobs(
            self.files, config.batch, problems=embeddings.problems, embed=lambda one: self._create_embeddings(one).body
        )
        files, jobs, models = self.files, self.batch, self.models
        # One handler per operation id of the contract.
        self._handlers: dict[str, Callable[[_Request], _Response]] = {
            "create_embeddings": lambda r: self._create_embeddings(r.body, r.key),
            "create_serverless_embeddings": lambda r: self._create_serverless_embeddings(r.body, r.key),
            "create_cortecs_embeddings": lambda r: self._create_cortecs_embeddings(r.body, r.key),
            "list_cortecs_models": lambda r: _json(
                200, catalogue.cortecs_model_list(r.params.get("tag"), r.params.get("currency", "EUR"))
            ),
            "list_models": lambda r: _json(200, models.listing(r.params), self._admit(r.key, 0)),
            "retrieve_model": lambda r: _json(200, models.card(r.params["model_id"])),
            "delete_model": lambda r: _json(200, models.delete(r.params["model_id"])),
            "update_model": lambda r: _json(200, models.update(r.params["model_id"], r.body)),
            "archive_model": lambda r: _json(200, models.archive(r.params["model_id"], archived=True)),
            "unarchive_model": lambda r: _json(200, models.archive(r.params["model_id"], archived=False)),
            "upload_file": self._upload_file,
            "list_files": lambda r: _json(200, files.listing(r.params, r.owner)),
            "retrieve_file": lambda r: _json(200, files.get(r.params["file_id"], r.owner).describe(with_deleted=True)),
            "delete_file": lambda r: _json(200, self._deleted(r.params["file_id"], r.owner)),
            "download_file": self._download_file,
            "get_file_signed_url": self._signed_url,
            "create_batch_job": lambda r: _json(200, jobs.create(r.body, _creator(r.key), r.owner)),
            "list_batch_jobs": lambda r: _json(200, jobs.listing(r.params, _creator(r.key), r.owner)),
            "get_batch_job": lambda r: _json(
                200, jobs.get(r.params["job_id"], inline=r.params.get("inline") is True, owner=r.owner)
            ),
            "delete_batch_job": lambda r: _json(200, jobs.delete(r.params["job_id"], r.owner)),
            "cancel_batch_job": lambda r: _json(200, jobs.cancel(r.params["job_id"], r.owner)),
        }
        missing = {op.operation_id for op in self.contract.operations.values()} - self._handlers.keys()
        if missing:
            raise RuntimeError(f"the contract has operations this server does not implement: {sorted(missing)}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            self.close()
            if self.config.print_stats:
                print(self.stats_line(), flush=True)
            return
        if scope["type"] != "http":
            return
        fault: str | None = None
        request_id = uuid.uuid4().hex
        self.requests += 1
        self._count_in_flight(+1)
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            try:
                fault, response = await self._handle(scope, receive)
            except APIError as error:
                shape = self.error_style.pick(error.family, error.shapes)
                response = _json(error.status, error.body(shape, request_id), error.headers)
            await self._send(send, response, fault, request_id)
        finally:
            self._count_in_flight(-1)

    def stats_line(self) -> str:
        """The counters as one line: `reference server stats: {"requests": ..., "refused": ..., ...}`."""
        counters = {
            "requests": self.requests,
            "inputs_embedded": self.inputs_embedded,
            "refused": self.rate_limiter.refused,
            "tokens_served": self.rate_limiter.tokens_served,
            "admitted_span": self.rate_limiter.admitted_span,
        }
        return STATS_PREFIX + json.dumps(counters)

    def _count_in_flight(self, change: int) -> None:
        now = time.monotonic()
        self.in_flight_seconds += self.in_flight * (now - self._in_flight_changed)
        self._in_flight_changed = now
        self.in_flight += change

    def close(self) -> None:
        """Stop running batch jobs and remove the files directory the server made."""
        self.batch.close()
        self.files.close()

    async def _handle(self, scope: Scope, receive: Receive) -> tuple[str | None, _Response]:
        path, method = scope["path"], scope["method"]
        if path.startswith(signed_urls.PREFIX):
            return None, self._signed_download(scope)
        methods = self.contract.methods(path)
        if not methods:
            raise APIError(404, f"Not Found: no operation at {path}", type_="not_found")
        if method not in methods:
            raise APIError(
                405, f"Method {method} not allowed on {path}", type_="invalid_request_error",
                headers={"allow": ", ".join(methods)},
            )  # fmt: skip
        key = self._authenticate(scope)
        fault = self.config.faults.draw()
        if fault in ("429", "500", "503"):
            raise _fault_error(fault, self.config.faults)
        if self.config.latency_ms:
            await asyncio.sleep(self.config.latency_ms / 1000)
        route, path_values = self.contract.route(path) or (path, {})
        operation = self.contract.operations[(route, method)]
        params, problems = operation.parameter_problems(path_values, _query(scope))
        if problems:
            raise RequestValidationError(problems)
        handler = self._handlers[operation.operation_id]
        owner = self._owners[key]
        if operation.media_type == "multipart/form-data":
            form = await self._read_form(scope, receive, operation)
            try:
                await self._commit_late(operation)
                return fault, handler(_Request(form, params, key, _base_url(scope), owner))
            finally:
                form["reader"].discard()  # whatever the handler did not take (a refused upload's file)
                form["reservation"].release()  # and the room it held, unless the stored file took it
        body: Any = None
        if operation.body_validator is not None:
            raw = await self._read_body(scope, receive)
            if not _is_json_media_type(_header(scope, b"content-type")):
                raise RequestValidationError(
                    [
                        {
                            "loc": ["body"],
                            "msg": "Input should be a valid dictionary or object to extract fields from",
                            "type": "model_attributes_type",
                            "input": raw[:200].decode("utf-8", errors="replace"),
                        }
                    ]
                )
            body = _parse_json(raw)
            problems = operation.problems(body)
            if problems:
                raise RequestValidationError(problems)
        await self._commit_late(operation)
        # Done here, on the event loop: embedding a request is CPU-bound either way, and the work of a model, file
        # or job operation is a little disk I/O at most.
        return fault, handler(_Request(body, params, key, _base_url(scope), owner))

    async def _commit_late(self, operation: Operation) -> None:
        """Wait `commit_delay_ms` before a create commits (the client may have given up on its answer by then)."""
        if self.config.commit_delay_ms and operation.operation_id in CREATES:
            await asyncio.sleep(self.config.commit_delay_ms / 1000)

    async def _read_form(self, scope: Scope, receive: Receive, operation: Operation) -> dict[str, Any]:
        """A multipart form, its fields validated against the operation's schema (the file streamed to disk).

        The `file` part is written to the files directory as it arrives (bounded memory, its size bound enforced
        as it streams), and counted against the storage bound as it is (`reservation`): concurrent uploads cannot
        together fill the disk past the bound before one finishes. The caller must `discard` the returned `reader`
        and `release` its `reservation` once the handler took what it keeps.
        """
        delimiter = multipart.boundary(_header(scope, b"content-type"))
        limit = self.config.max_file_bytes + 64 * 1024
        reservation = self.files.reservation()
        reader = multipart.FormReader(
            delimiter or b"-", to_disk=frozenset({"file"}), new_path=self.files.partial_path,
            max_file_bytes=self.config.max_file_bytes, on_file_bytes=reservation.grow,
        )  # fmt: skip
        try:
            async for piece in self._stream_body(scope, receive, limit):
                if delimiter is not None:
                    reader.feed(piece)
            parts = reader.finish() if delimiter is not None else {}
            # The schema sees text; `file` (format: binary) is checked for presence, its bytes are kept aside.
            fields: dict[str, Any] = {}
            for name, part in parts.items():
                if name == "file":
                    fields[name] = ""
                    continue
                try:
                    fields[name] = part.data.decode("utf-8")
                except UnicodeDecodeError:
                    fields[name] = part.data.decode("latin-1")
            typed, problems = operation.form_problems(fields)
            if problems:
                raise RequestValidationError(problems)
        except BaseException:
            reader.discard()
            reservation.release()
            raise
        return {"fields": typed, "parts": parts, "reader": reader, "reservation": reservation}

    def _upload_file(self, request: _Request) -> _Response:
        fields = request.body["fields"]
        part: multipart.Part = request.body["parts"]["file"]
        assert part.path is not None  # `file` is streamed to disk
        stored = self.files.add_path(
            part.path,
            lines=part.lines,
            filename=part.filename or "upload",
            purpose=fields.get("purpose", "batch"),
            mimetype=part.content_type,
            expiry=fields.get("expiry"),
            visibility=fields.get("visibility", "workspace"),
            owner=request.owner,
            reservation=request.body["reservation"],
        )
        return _json(200, stored.describe())

    def _deleted(self, file_id: str, owner: bytes) -> dict[str, Any]:
        return {"id": self.files.delete(file_id, owner).id, "object": "file", "deleted": True}

    def _download_file(self, request: _Request) -> _Response:
        stored = self.files.get(request.params["file_id"], request.owner)
        return _Response(200, b"", file=stored.path, content_type="application/octet-stream")

    def _signed_url(self, request: _Request) -> _Response:
        """`GetSignedUrlResponse`: a key-free URL of the file's content, valid for `expiry` hours (1 to 168)."""
        stored = self.files.get(request.params["file_id"], request.owner)
        seconds = request.params.get("expiry", 24) * self.config.batch.hour_seconds
        return _json(200, {"url": self.signer.url(request.base_url, stored.id, seconds)})

    def _signed_download(self, scope: Scope) -> _Response:
        """A signed URL's GET: the file's bytes with no key asked, 403 for a bad or expired URL, 404 for no file."""
        if scope["method"] != "GET":
            raise APIError(405, f"Method {scope['method']} not allowed on a signed URL", headers={"allow": "GET"})
        file_id = urllib.parse.unquote(scope["path"][len(signed_urls.PREFIX) :])
        refused = self.signer.check(file_id, dict(_query(scope)))
        if refused is not None:
            raise APIError(403, refused, type_="forbidden")
        stored = self.files.get(file_id)  # a genuine URL of a file deleted or expired since: 404
        return _Response(200, b"", file=stored.path, content_type="application/octet-stream")

    def _authenticate(self, scope: Scope) -> bytes:
        presented = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, credentials = value.partition(b" ")
                if scheme.lower() == b"bearer":
                    presented = credentials.strip()
                break
        # compare_digest against every token, so timing says nothing about which (or whether one) matched.
        matched = False
        for token in self._tokens:
            matched |= hmac.compare_digest(presented, token)
        if not presented or not matched:
            raise Unauthorized()
        return presented

    async def _read_body(self, scope: Scope, receive: Receive, limit: int | None = None) -> bytes:
        limit = self.config.max_body_bytes if limit is None else limit
        return b"".join([piece async for piece in self._stream_body(scope, receive, limit)])

    async def _stream_body(self, scope: Scope, receive: Receive, limit: int) -> AsyncIterator[bytes]:
        """The body's pieces as they arrive; a 413 as soon as it is declared or found longer than `limit`.

        The bytes up to the limit are given before the 413, so that a reader with a bound of its own within them (an
        upload's file part) names its own bound, whatever pieces the body arrived in.
        """
        too_large = APIError(413, f"Request body is larger than {limit} bytes", type_="invalid_request_error")
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                raise too_large
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise APIError(400, "Client disconnected before sending the whole body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                yield chunk[: len(chunk) - (size - limit)]
                raise too_large
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return

    def _admit(self, key: bytes | None, tokens: int) -> dict[str, str]:
        """Spend the key's rate budget, or raise the 429 saying when to retry; the limit headers of the answer.

        No key (a batch job's line) spends no synchronous budget. Without limits the tokens are still counted, so
        the stats' `tokens_served` is what was served whether or not limits are on.
        """
        if key is None:
            return {}
        if not self.rate_limiter.limits.enabled:
            self.rate_limiter.count(tokens)
            return {}
        wait = self.rate_limiter.admit(key, tokens)
        headers = self.rate_limiter.headers(key, tokens)
        if wait > 0:
            headers["retry-after"] = str(max(1, math.ceil(wait)))
            if self.rate_limiter.limits.request_headers:  # else only whole seconds, as `--no-request-headers` says
                headers["retry-after-ms"] = str(max(1, math.ceil(wait * 1000)))
            raise RateLimited(headers=headers)
        return headers

    def _embed(
        self,
        model: catalogue.EmbeddingModel,
        body: dict[str, Any],
        dimension: int,
        key: bytes | None,
        *,
        honours_base64: bool,
    ) -> tuple[bytes, int, dict[str, str]]:
        raw_input = body["input"]
        texts = [raw_input] if isinstance(raw_input, str) else raw_input
        tokens = check(texts, self.config.limits, model.name)
        headers = self._admit(key, tokens)
        self.inputs_embedded += len(texts)
        dtype = body.get("output_dtype", "float")
        encoding = body.get("encoding_format", "float") if honours_base64 or self.config.honour_base64 else "float"
        self.cache.warm(model.name, model.max_dimension, texts)
        fragments = (
            self.cache.fragment(model.name, model.max_dimension, text, dimension, dtype, encoding) for text in texts
        )
        # One join of the pieces: formatting each item with `%` copied every vector through bytes' formatter, which
        # cost a float body (Mistral's ~19 bytes a value) 4 ms of the server's one core, more than the client's parse.
        pieces: list[bytes] = []
        for index, fragment in enumerate(fragments):
            pieces += (b'{"object":"embedding","embedding":', fragment, b',"index":%d},' % index)
        if pieces:
            pieces[-1] = pieces[-1][:-1]
        return b"".join(pieces), tokens, headers

    def _create_embeddings(self, body: dict[str, Any], key: bytes | None = None) -> _Response:
        model = catalogue.mistral_model(body["model"])
        dimension = model.dimension_for(body.get("output_dimension"))
        items, tokens, headers = self._embed(model, body, dimension, key, honours_base64=False)
        # The model is named as it was asked for (a versioned id or its alias).
        # A join, not `%` (see `_embed`).
        head = b'{"id":"embd-%s","object":"list","model":%s,"data":[' % (
            uuid.uuid4().hex.encode(),
            orjson.dumps(body["model"]),
        )
        return _Response(200, b"".join((head, items, b'],"usage":', _usage(tokens), b"}")), headers)

    def _create_serverless_embeddings(self, body: dict[str, Any], key: bytes) -> _Response:
        model = catalogue.cortecs_model(body["model"])
        return self._routed(model, _route(model.name, body), body, key)

    def _create_cortecs_embeddings(self, body: dict[str, Any], key: bytes) -> _Response:
        """The current cortecs route: the older one's routing plus zero data retention and model fallback.

        When no provider of the model satisfies the routing fields and `enable_model_fallback` is true, the
        first model of `fallbacks` that can be served is used (unknown names and unservable ones are skipped,
        and named in the 400 if none is left); the response names the model used. Keys the contract does not
        list are passed on to providers by cortecs; this server ignores them.
        """
        model = catalogue.cortecs_model(body["model"])
        try:
            return self._routed(model, _route(model.name, body), body, key)
        except APIError as refused:
            if refused.status != 400 or not body.get("enable_model_fallback"):
                if refused.status == 400 and body.get("fallbacks"):
                    refused.message += "; fallbacks are used only with enable_model_fallback: true"
                raise
            tried = [f"{model.name}: {refused.message}"]
        for name in body.get("fallbacks") or []:
            if name not in catalogue.CORTECS_MODELS:
                tried.append(f"{name}: not a model")
                continue
            try:
                provider = _route(name, body)
            except APIError as also_refused:
                tried.append(f"{name}: {also_refused.message}")
                continue
            return self._routed(catalogue.CORTECS_MODELS[name], provider, body, key)
        raise APIError(
            400,
            "No model can serve the request, fallbacks included (" + "; ".join(tried) + ")",
            type_="invalid_request_error",
            param="fallbacks",
        )

    def _routed(
        self, model: catalogue.EmbeddingModel, provider: catalogue.Provider, body: dict[str, Any], key: bytes
    ) -> _Response:
        items, tokens, headers = self._embed(
            model, body, model.default_dimension, key, honours_base64=provider.honours_base64
        )
        answer = b'{"id":"cmpl_%s","object":"list","created":%d,"provider":%s,"model":%s,"data":[%s],"usage":%s}' % (
            uuid.uuid4().hex.encode(), int(time.time()), orjson.dumps(provider.name), orjson.dumps(model.name),
            items, _usage(tokens),
        )  # fmt: skip
        return _Response(200, answer, headers)

    async def _send(self, send: Send, response: _Response, fault: str | None, request_id: str) -> None:
        if response.file is not None:
            await self._send_file(send, response, fault, request_id)
            return
        body = response.body
        length = len(body) // 2 if fault == "truncate" else len(body)
        headers = [
            (b"content-type", response.content_type.encode()),
            (b"content-length", str(length).encode()),
            (b"x-request-id", request_id.encode()),
            *((name.encode(), value.encode()) for name, value in response.headers.items()),
        ]
        if fault == "slow":
            await asyncio.sleep(self.config.faults.slow_ms / 1000)
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        if fault == "drop":
            # Returning without the body makes the server close the connection: the client sees a dropped
            # connection after the headers.
            return
        await send({"type": "http.response.body", "body": body[:length]})

    async def _send_file(self, send: Send, response: _Response, fault: str | None, request_id: str) -> None:
        """A file from disk, a MiB at a time: a job's output may be larger than is sensible to hold in memory."""
        assert response.file is not None
        try:
            handle = response.file.open("rb")
        except FileNotFoundError:
            # Deleted between the lookup and now: as if the lookup had not found it.
            error = APIError(404, "File not found", type_="not_found")
            await self._send(send, _json(404, error.body(0, request_id)), fault, request_id)
            return
        with handle:
            size = response.file.stat().st_size
            length = size // 2 if fault == "truncate" else size
            headers = [
                (b"content-type", response.content_type.encode()),
                (b"content-length", str(length).encode()),
                (b"x-request-id", request_id.encode()),
            ]
            if fault == "slow":
                await asyncio.sleep(self.config.faults.slow_ms / 1000)
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            if fault == "drop":
                return
            remaining = length
            while remaining > 0:
                piece = handle.read(min(remaining, 1 << 20))
                if not piece:
                    break
                remaining -= len(piece)
                await send({"type": "http.response.body", "body": piece, "more_body": remaining > 0})
            if length == 0:
                await send({"type": "http.response.body", "body": b""})


def _route(model: str, body: dict[str, Any]) -> catalogue.Provider:
    """The provider a cortecs request's routing fields pick for `model` (400 when none fits)."""
    return catalogue.choose_provider(
        model,
        preference=body.get("preference") or "balanced",
        allowed_providers=body.get("allowed_providers"),
        eu_native=bool(body.get("eu_native") or False),
        # null means the default, which is true
        allow_quantization=body.get("allow_quantization") is not False,
        zero_data_retention=bool(body.get("allow_zero_data_retention") or False),
    )


def _query(scope: Scope) -> list[tuple[str, str]]:
    raw = scope.get("query_string", b"")
    return urllib.parse.parse_qsl(raw.decode("latin-1"), keep_blank_values=True) if raw else []


def _usage(tokens: int) -> bytes:
    # Upstream's `UsageInfo` keys (an embedding completes nothing, and hears no audio), and `request_count`, which
    # real Mistral responses carry beside them (reported): clients must tolerate it.
    return (
        b'{"prompt_tokens":%d,"completion_tokens":0,"total_tokens":%d,"prompt_audio_seconds":null,'
        b'"request_count":1}' % (tokens, tokens)
    )


def _organisation(key: bytes) -> bytes:
    """The owner of what a key makes: a digest, distinct from `_creator`'s, so neither can be derived from the other."""
    return hashlib.sha256(b"organisation\0" + key).digest()


def _creator(key: bytes) -> bytes:
    """Who made a batch job, as `created_by_me` compares it: a digest of the key, so no job holds a key."""
    return hashlib.sha256(key).digest()


def _base_url(scope: Scope) -> str:
    """The URL this request reached the server at (scheme and Host), the base of the signed URLs it hands out."""
    host = _header(scope, b"host")
    if host:
        authority = host.decode("latin-1")
    else:
        server = scope.get("server") or ("127.0.0.1", 80)
        authority = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{authority}"


def _fault_error(kind: str, plan: FaultPlan) -> APIError:
    retry_headers = {
        "retry-after": str(max(1, -(-plan.retry_after_ms // 1000))),
        "retry-after-ms": str(plan.retry_after_ms),
    }
    if kind == "429":
        return RateLimited(headers=retry_headers)
    if kind == "503":
        return APIError(503, "Service unavailable (injected fault)", type_="service_unavailable", headers=retry_headers)
    return APIError(500, "Internal server error (injected fault)", type_="internal_server_error")


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
