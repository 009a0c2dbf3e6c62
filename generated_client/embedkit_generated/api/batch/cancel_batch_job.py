from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.batch_job import BatchJob
from ...models.detail_error import DetailError
from ...models.error_response import ErrorResponse
from ...models.http_validation_error import HTTPValidationError
from ...models.legacy_validation_error import LegacyValidationError
from ...types import Response


def _get_kwargs(
    job_id: UUID,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/batch/jobs/{job_id}/cancel".format(
            job_id=quote(str(job_id), safe=""),
        ),
    }

    return _kwargs


def request_arguments(
    job_id: UUID,
) -> dict[str, Any]:
    """The keyword arguments of `httpx.Client.request` for this operation, built exactly as `sync` builds them.

    For callers that send through an httpx client of their own (with their retries, rate limits and deadlines):
    the method, the URL relative to the base URL, the query, the headers and the body. Public, unlike
    `_get_kwargs` (this project's template adds it).
    """
    return _get_kwargs(
        job_id=job_id,
    )


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> BatchJob | DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError | None:
    if response.status_code == 200:
        _response_200 = response.json()
        if not isinstance(_response_200, dict):
            raise TypeError(f"response_200: expected object, got {type(_response_200).__name__}")
        response_200 = BatchJob.from_dict(_response_200)

        return response_200

    if response.status_code == 400:
        _response_400 = response.json()
        if not isinstance(_response_400, dict):
            raise TypeError(f"response_400: expected object, got {type(_response_400).__name__}")
        response_400 = ErrorResponse.from_dict(_response_400)

        return response_400

    if response.status_code == 401:

        def _parse_response_401(data: object) -> DetailError | ErrorResponse:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                _response_401_type_0 = data
                if not isinstance(_response_401_type_0, dict):
                    raise TypeError(f"response_401_type_0: expected object, got {type(_response_401_type_0).__name__}")
                response_401_type_0 = ErrorResponse.from_dict(_response_401_type_0)

                return response_401_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError(f"response_401: expected dict[str, Any], got {type(data).__name__}")
            _response_401_type_1 = data
            if not isinstance(_response_401_type_1, dict):
                raise TypeError(f"response_401_type_1: expected object, got {type(_response_401_type_1).__name__}")
            response_401_type_1 = DetailError.from_dict(_response_401_type_1)

            return response_401_type_1

        response_401 = _parse_response_401(response.json())

        return response_401

    if response.status_code == 403:
        _response_403 = response.json()
        if not isinstance(_response_403, dict):
            raise TypeError(f"response_403: expected object, got {type(_response_403).__name__}")
        response_403 = ErrorResponse.from_dict(_response_403)

        return response_403

    if response.status_code == 404:
        _response_404 = response.json()
        if not isinstance(_response_404, dict):
            raise TypeError(f"response_404: expected object, got {type(_response_404).__name__}")
        response_404 = ErrorResponse.from_dict(_response_404)

        return response_404

    if response.status_code == 422:

        def _parse_response_422(data: object) -> HTTPValidationError | LegacyValidationError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                _response_422_type_0 = data
                if not isinstance(_response_422_type_0, dict):
                    raise TypeError(f"response_422_type_0: expected object, got {type(_response_422_type_0).__name__}")
                response_422_type_0 = HTTPValidationError.from_dict(_response_422_type_0)

                return response_422_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError(f"response_422: expected dict[str, Any], got {type(data).__name__}")
            _response_422_type_1 = data
            if not isinstance(_response_422_type_1, dict):
                raise TypeError(f"response_422_type_1: expected object, got {type(_response_422_type_1).__name__}")
            response_422_type_1 = LegacyValidationError.from_dict(_response_422_type_1)

            return response_422_type_1

        response_422 = _parse_response_422(response.json())

        return response_422

    if response.status_code == 429:
        _response_429 = response.json()
        if not isinstance(_response_429, dict):
            raise TypeError(f"response_429: expected object, got {type(_response_429).__name__}")
        response_429 = ErrorResponse.from_dict(_response_429)

        return response_429

    if response.status_code == 500:
        _response_500 = response.json()
        if not isinstance(_response_500, dict):
            raise TypeError(f"response_500: expected object, got {type(_response_500).__name__}")
        response_500 = ErrorResponse.from_dict(_response_500)

        return response_500

    if response.status_code == 502:
        _response_502 = response.json()
        if not isinstance(_response_502, dict):
            raise TypeError(f"response_502: expected object, got {type(_response_502).__name__}")
        response_502 = ErrorResponse.from_dict(_response_502)

        return response_502

    if response.status_code == 503:
        _response_503 = response.json()
        if not isinstance(_response_503, dict):
            raise TypeError(f"response_503: expected object, got {type(_response_503).__name__}")
        response_503 = ErrorResponse.from_dict(_response_503)

        return response_503

    if response.status_code == 504:
        _response_504 = response.json()
        if not isinstance(_response_504, dict):
            raise TypeError(f"response_504: expected object, got {type(_response_504).__name__}")
        response_504 = ErrorResponse.from_dict(_response_504)

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[BatchJob | DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    job_id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> Response[BatchJob | DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError]:
    """Cancel a batch job

     Asks a queued or running job to stop: it is `CANCELLATION_REQUESTED` until the lines in progress
    finish,
    then `CANCELLED`, with the results so far in its output and error files. A job that has already
    finished
    is answered unchanged (the reference server's choice; Mistral documents nothing on it).

    Args:
        job_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BatchJob | DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError]
    """

    kwargs = _get_kwargs(
        job_id=job_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    job_id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> BatchJob | DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError | None:
    """Cancel a batch job

     Asks a queued or running job to stop: it is `CANCELLATION_REQUESTED` until the lines in progress
    finish,
    then `CANCELLED`, with the results so far in its output and error files. A job that has already
    finished
    is answered unchanged (the reference server's choice; Mistral documents nothing on it).

    Args:
        job_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BatchJob | DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError
    """

    return sync_detailed(
        job_id=job_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    job_id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> Response[BatchJob | DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError]:
    """Cancel a batch job

     Asks a queued or running job to stop: it is `CANCELLATION_REQUESTED` until the lines in progress
    finish,
    then `CANCELLED`, with the results so far in its output and error files. A job that has already
    finished
    is answered unchanged (the reference server's choice; Mistral documents nothing on it).

    Args:
        job_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BatchJob | DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError]
    """

    kwargs = _get_kwargs(
        job_id=job_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    job_id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> BatchJob | DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError | None:
    """Cancel a batch job

     Asks a queued or running job to stop: it is `CANCELLATION_REQUESTED` until the lines in progress
    finish,
    then `CANCELLED`, with the results so far in its output and error files. A job that has already
    finished
    is answered unchanged (the reference server's choice; Mistral documents nothing on it).

    Args:
        job_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BatchJob | DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError
    """

    return (
        await asyncio_detailed(
            job_id=job_id,
            client=client,
        )
    ).parsed
