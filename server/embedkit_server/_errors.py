"""Error responses in the shapes the real Mistral service is reported to send, raised anywhere in a request.

Mistral documents one error body (`{"object": "error", "message", "type", "param", "code"}`), but clients have
met several. These are third-party reports from public issue trackers, not vendor documents; each is kept with its
source and date in tests/fixtures/reported/, and listed here newest first, the order `ErrorStyle` uses:
- 401: `{"detail": "Unauthorized"}` (2026-01) and `{"message": "Unauthorized", "request_id": ...}` (2025-03);
- 422: the bare FastAPI `{"detail": [...]}` (2026-04), the older nesting `{"object": "error", "message": {"detail":
  [...]}, ...}` (2024-04, still seen 2025-12), and `{"object": "Error", "detail": [...], "message": [...], "type":
  "invalid_request_error", "code": 3001}` (2025-11);
- 429: `{"object": "error", "message": "Rate limit exceeded", "type": "rate_limited", "param": null, "code": "1300",
  "raw_status_code": 429}` (2026-09; 2026-02 without `raw_status_code`) and the bare `{"message": "Requests rate
  limit exceeded"}` (2025-06);
- every other error: the documented object, with `raw_status_code` beside it (2026-04), or without it.
`ErrorStyle` decides which shape an error takes: always the newest reported one ("latest", the default), or each in
turn ("rotate"), so that a client under test meets every shape.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, Literal

ErrorStyleName = Literal["latest", "rotate"]
ERROR_STYLES: tuple[ErrorStyleName, ...] = ("latest", "rotate")


class ErrorStyle:
    """Which reported shape each error body takes; thread-safe, deterministic in the order errors occur."""

    def __init__(self, mode: ErrorStyleName = "latest") -> None:
        if mode not in ERROR_STYLES:
            raise ValueError(f"error style must be one of {', '.join(ERROR_STYLES)}, got {mode!r}")
        self.mode = mode
        self._turns: Counter[str] = Counter()
        self._lock = threading.Lock()

    def pick(self, family: str, shapes: int) -> int:
        """The index of the shape the next error of `family` takes (0 is the latest reported)."""
        if self.mode == "latest" or shapes == 1:
            return 0
        with self._lock:
            turn = self._turns[family]
            self._turns[family] += 1
        return turn % shapes


class APIError(Exception):
    """An error response: its status, message and fields, and the shape family its body is drawn from."""

    # How many shapes the real service is reported to use for this kind of error (see the module docstring).
    shapes = 2
    family = "error"

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self, shape: int, request_id: str) -> dict[str, Any]:
        """Mistral's documented error object, with the `raw_status_code` seen beside it since 2026 (shape 0)."""
        body: dict[str, Any] = {
            "object": "error",
            "message": self.message,
            "type": self.type,
            "param": self.param,
            "code": self.code,
        }
        if shape == 0:
            body["raw_status_code"] = self.status
        return body


class NotFound(APIError):
    """404 for a model, file or job that does not exist (or was deleted, or has expired)."""

    def __init__(self, what: str, identifier: str) -> None:
        super().__init__(404, f"{what} {identifier} not found", type_="not_found")


class Unauthorized(APIError):
    """401: no key, or not a valid one. The service says only "Unauthorized", in one of two shapes."""

    shapes = 2
    family = "unauthorized"

    def __init__(self) -> None:
        super().__init__(401, "Unauthorized", type_="authentication_error")

    def body(self, shape: int, request_id: str) -> dict[str, Any]:
        """FastAPI's `{"detail": "Unauthorized"}` (the latest reported), or `{"message", "request_id"}`."""
        if shape == 0:
            return {"detail": self.message}
        return {"message": self.message, "request_id": request_id}


class RateLimited(APIError):
    """429: Mistral's `rate_limited` error (code 1300), or its bare `{"message"}` form."""

    shapes = 2
    family = "rate_limited"

    def __init__(self, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(429, "Rate limit exceeded", type_="rate_limited", code="1300", headers=headers)

    def body(self, shape: int, request_id: str) -> dict[str, Any]:
        """The documented error object with code "1300" (and `raw_status_code`), or only a message."""
        return super().body(0, request_id) if shape == 0 else {"message": "Requests rate limit exceeded"}


class RequestValidationError(APIError):
    """422: every problem found in a body, as `HTTPValidationError.detail` items, in one of three shapes."""

    shapes = 3
    family = "validation"

    def __init__(self, detail: list[dict[str, Any]]) -> None:
        super().__init__(422, f"{len(detail)} validation error(s)")
        self.detail = detail

    def body(self, shape: int, request_id: str) -> dict[str, Any]:
        """Bare (the latest reported), the older nesting in `message`, or the 2025-11 shape with code 3001."""
        if shape == 0:
            return {"detail": self.detail}
        if shape == 1:
            return {
                "object": "error",
                "message": {"detail": self.detail},
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        return {
            "object": "Error",
            "detail": self.detail,
            "message": self.detail,
            "type": "invalid_request_error",
            "code": 3001,
        }


class TooManyTokens(APIError):
    """400: a request over the token limit, in the newer wording (code 3210, 2025-10 on) or the older one (2024)."""

    shapes = 2
    family = "too_many_tokens"

    def __init__(self, limit: int, got: int) -> None:
        super().__init__(400, "Too many tokens overall, split into more batches.", param="input")
        self.limit = limit
        self.got = got

    def body(self, shape: int, request_id: str) -> dict[str, Any]:
        """As reported in 2025-10 (chroma-core/chroma#5597), or in 2024-05 (aurelio-labs/semantic-router#297)."""
        if shape == 0:
            return {
                "object": "error",
                "message": self.message,
                "type": "invalid_request_prompt",
                "param": None,
                "code": "3210",
                "raw_status_code": self.status,
            }
        return {
            "object": "error",
            "message": f"Too many tokens in batch. Max is {self.limit} got {self.got}",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
