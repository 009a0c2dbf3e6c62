import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.batch_job_status import BatchJobStatus
from ...models.detail_error import DetailError
from ...models.error_response import ErrorResponse
from ...models.http_validation_error import HTTPValidationError
from ...models.legacy_validation_error import LegacyValidationError
from ...models.list_batch_jobs_metadata_type_0 import ListBatchJobsMetadataType0
from ...models.list_batch_jobs_order_by import ListBatchJobsOrderBy
from ...models.list_batch_jobs_response import ListBatchJobsResponse
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    page: int | Unset = 0,
    page_size: int | Unset = 100,
    model: None | str | Unset = UNSET,
    agent_id: None | str | Unset = UNSET,
    metadata: ListBatchJobsMetadataType0 | None | Unset = UNSET,
    created_after: datetime.datetime | None | Unset = UNSET,
    created_by_me: bool | Unset = False,
    status: list[BatchJobStatus] | None | Unset = UNSET,
    order_by: ListBatchJobsOrderBy | Unset = "-created",
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["page"] = page

    params["page_size"] = page_size

    json_model: None | str | Unset
    if isinstance(model, Unset):
        json_model = UNSET
    else:
        json_model = model
    params["model"] = json_model

    json_agent_id: None | str | Unset
    if isinstance(agent_id, Unset):
        json_agent_id = UNSET
    else:
        json_agent_id = agent_id
    params["agent_id"] = json_agent_id

    json_metadata: dict[str, Any] | None | Unset
    if isinstance(metadata, Unset):
        json_metadata = UNSET
    elif isinstance(metadata, ListBatchJobsMetadataType0):
        json_metadata = metadata.to_dict()
    else:
        json_metadata = metadata
    params["metadata"] = json_metadata

    json_created_after: None | str | Unset
    if isinstance(created_after, Unset):
        json_created_after = UNSET
    elif isinstance(created_after, datetime.datetime):
        json_created_after = created_after.isoformat()
    else:
        json_created_after = created_after
    params["created_after"] = json_created_after

    params["created_by_me"] = created_by_me

    json_status: list[str] | None | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    elif isinstance(status, list):
        json_status = []
        for status_type_0_item_data in status:
            status_type_0_item: str = status_type_0_item_data
            json_status.append(status_type_0_item)

    else:
        json_status = status
    params["status"] = json_status

    json_order_by: str | Unset = UNSET
    if not isinstance(order_by, Unset):
        json_order_by = order_by

    params["order_by"] = json_order_by

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/batch/jobs",
        "params": params,
    }

    return _kwargs


def request_arguments(
    *,
    page: int | Unset = 0,
    page_size: int | Unset = 100,
    model: None | str | Unset = UNSET,
    agent_id: None | str | Unset = UNSET,
    metadata: ListBatchJobsMetadataType0 | None | Unset = UNSET,
    created_after: datetime.datetime | None | Unset = UNSET,
    created_by_me: bool | Unset = False,
    status: list[BatchJobStatus] | None | Unset = UNSET,
    order_by: ListBatchJobsOrderBy | Unset = "-created",
) -> dict[str, Any]:
    """The keyword arguments of `httpx.Client.request` for this operation, built exactly as `sync` builds them.

    For callers that send through an httpx client of their own (with their retries, rate limits and deadlines):
    the method, the URL relative to the base URL, the query, the headers and the body. Public, unlike
    `_get_kwargs` (this project's template adds it).
    """
    return _get_kwargs(
        page=page,
        page_size=page_size,
        model=model,
        agent_id=agent_id,
        metadata=metadata,
        created_after=created_after,
        created_by_me=created_by_me,
        status=status,
        order_by=order_by,
    )


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    DetailError
    | ErrorResponse
    | ErrorResponse
    | HTTPValidationError
    | LegacyValidationError
    | ListBatchJobsResponse
    | None
):
    if response.status_code == 200:
        _response_200 = response.json()
        if not isinstance(_response_200, dict):
            raise TypeError(f"response_200: expected object, got {type(_response_200).__name__}")
        response_200 = ListBatchJobsResponse.from_dict(_response_200)

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
) -> Response[
    DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError | ListBatchJobsResponse
]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    page: int | Unset = 0,
    page_size: int | Unset = 100,
    model: None | str | Unset = UNSET,
    agent_id: None | str | Unset = UNSET,
    metadata: ListBatchJobsMetadataType0 | None | Unset = UNSET,
    created_after: datetime.datetime | None | Unset = UNSET,
    created_by_me: bool | Unset = False,
    status: list[BatchJobStatus] | None | Unset = UNSET,
    order_by: ListBatchJobsOrderBy | Unset = "-created",
) -> Response[
    DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError | ListBatchJobsResponse
]:
    """List batch jobs

     The organisation's batch jobs, a page at a time, filtered by Mistral's parameters (`metadata` is an
    object
    spread over the query string; `agent_id` names a job's agent).

    Args:
        page (int | Unset):  Default: 0.
        page_size (int | Unset):  Default: 100.
        model (None | str | Unset):
        agent_id (None | str | Unset):
        metadata (ListBatchJobsMetadataType0 | None | Unset):
        created_after (datetime.datetime | None | Unset):
        created_by_me (bool | Unset):  Default: False.
        status (list[BatchJobStatus] | None | Unset):
        order_by (ListBatchJobsOrderBy | Unset):  Default: '-created'.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError | ListBatchJobsResponse]
    """

    kwargs = _get_kwargs(
        page=page,
        page_size=page_size,
        model=model,
        agent_id=agent_id,
        metadata=metadata,
        created_after=created_after,
        created_by_me=created_by_me,
        status=status,
        order_by=order_by,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    page: int | Unset = 0,
    page_size: int | Unset = 100,
    model: None | str | Unset = UNSET,
    agent_id: None | str | Unset = UNSET,
    metadata: ListBatchJobsMetadataType0 | None | Unset = UNSET,
    created_after: datetime.datetime | None | Unset = UNSET,
    created_by_me: bool | Unset = False,
    status: list[BatchJobStatus] | None | Unset = UNSET,
    order_by: ListBatchJobsOrderBy | Unset = "-created",
) -> (
    DetailError
    | ErrorResponse
    | ErrorResponse
    | HTTPValidationError
    | LegacyValidationError
    | ListBatchJobsResponse
    | None
):
    """List batch jobs

     The organisation's batch jobs, a page at a time, filtered by Mistral's parameters (`metadata` is an
    object
    spread over the query string; `agent_id` names a job's agent).

    Args:
        page (int | Unset):  Default: 0.
        page_size (int | Unset):  Default: 100.
        model (None | str | Unset):
        agent_id (None | str | Unset):
        metadata (ListBatchJobsMetadataType0 | None | Unset):
        created_after (datetime.datetime | None | Unset):
        created_by_me (bool | Unset):  Default: False.
        status (list[BatchJobStatus] | None | Unset):
        order_by (ListBatchJobsOrderBy | Unset):  Default: '-created'.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError | ListBatchJobsResponse
    """

    return sync_detailed(
        client=client,
        page=page,
        page_size=page_size,
        model=model,
        agent_id=agent_id,
        metadata=metadata,
        created_after=created_after,
        created_by_me=created_by_me,
        status=status,
        order_by=order_by,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    page: int | Unset = 0,
    page_size: int | Unset = 100,
    model: None | str | Unset = UNSET,
    agent_id: None | str | Unset = UNSET,
    metadata: ListBatchJobsMetadataType0 | None | Unset = UNSET,
    created_after: datetime.datetime | None | Unset = UNSET,
    created_by_me: bool | Unset = False,
    status: list[BatchJobStatus] | None | Unset = UNSET,
    order_by: ListBatchJobsOrderBy | Unset = "-created",
) -> Response[
    DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError | ListBatchJobsResponse
]:
    """List batch jobs

     The organisation's batch jobs, a page at a time, filtered by Mistral's parameters (`metadata` is an
    object
    spread over the query string; `agent_id` names a job's agent).

    Args:
        page (int | Unset):  Default: 0.
        page_size (int | Unset):  Default: 100.
        model (None | str | Unset):
        agent_id (None | str | Unset):
        metadata (ListBatchJobsMetadataType0 | None | Unset):
        created_after (datetime.datetime | None | Unset):
        created_by_me (bool | Unset):  Default: False.
        status (list[BatchJobStatus] | None | Unset):
        order_by (ListBatchJobsOrderBy | Unset):  Default: '-created'.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError | ListBatchJobsResponse]
    """

    kwargs = _get_kwargs(
        page=page,
        page_size=page_size,
        model=model,
        agent_id=agent_id,
        metadata=metadata,
        created_after=created_after,
        created_by_me=created_by_me,
        status=status,
        order_by=order_by,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    page: int | Unset = 0,
    page_size: int | Unset = 100,
    model: None | str | Unset = UNSET,
    agent_id: None | str | Unset = UNSET,
    metadata: ListBatchJobsMetadataType0 | None | Unset = UNSET,
    created_after: datetime.datetime | None | Unset = UNSET,
    created_by_me: bool | Unset = False,
    status: list[BatchJobStatus] | None | Unset = UNSET,
    order_by: ListBatchJobsOrderBy | Unset = "-created",
) -> (
    DetailError
    | ErrorResponse
    | ErrorResponse
    | HTTPValidationError
    | LegacyValidationError
    | ListBatchJobsResponse
    | None
):
    """List batch jobs

     The organisation's batch jobs, a page at a time, filtered by Mistral's parameters (`metadata` is an
    object
    spread over the query string; `agent_id` names a job's agent).

    Args:
        page (int | Unset):  Default: 0.
        page_size (int | Unset):  Default: 100.
        model (None | str | Unset):
        agent_id (None | str | Unset):
        metadata (ListBatchJobsMetadataType0 | None | Unset):
        created_after (datetime.datetime | None | Unset):
        created_by_me (bool | Unset):  Default: False.
        status (list[BatchJobStatus] | None | Unset):
        order_by (ListBatchJobsOrderBy | Unset):  Default: '-created'.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DetailError | ErrorResponse | ErrorResponse | HTTPValidationError | LegacyValidationError | ListBatchJobsResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            page=page,
            page_size=page_size,
            model=model,
            agent_id=agent_id,
            metadata=metadata,
            created_after=created_after,
            created_by_me=created_by_me,
            status=status,
            order_by=order_by,
        )
    ).parsed
