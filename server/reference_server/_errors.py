"""The error bodies the contract documents, raised anywhere in a request and turned into one response."""

from __future__ import annotations

from typing import Any


class APIError(Exception):
    """An error response in Mistral's shape: `{"object": "error", "message", "type", "param", "code"}`."""

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

    def body(self) -> dict[str, Any]:
        """The JSON body of the response."""
        return {"object": "error", "message": self.message, "type": self.type, "param": self.param, "code": self.code}


class RequestValidationError(Exception):
    """A 422: every problem found in a body, as `HTTPValidationError.detail` items."""

    def __init__(self, detail: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(detail)} validation error(s)")
        self.detail = detail
