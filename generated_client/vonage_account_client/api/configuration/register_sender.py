from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_code_response import ErrorCodeResponse
from ...models.problem import Problem
from ...models.register_sender_request import RegisterSenderRequest
from ...models.register_sender_response import RegisterSenderResponse
from ...models.rest_bad_request import RestBadRequest
from ...types import Response


def _get_kwargs(
    *,
    body: RegisterSenderRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/account/register-sender",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorCodeResponse | Problem | RegisterSenderResponse | RestBadRequest | None:
    if response.status_code == 200:
        response_200 = RegisterSenderResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = RestBadRequest.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorCodeResponse.from_dict(response.json())

        return response_401

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 431:
        response_431 = Problem.from_dict(response.json())

        return response_431

    if response.status_code == 500:
        response_500 = Problem.from_dict(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorCodeResponse | Problem | RegisterSenderResponse | RestBadRequest]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: RegisterSenderRequest,
) -> Response[ErrorCodeResponse | Problem | RegisterSenderResponse | RestBadRequest]:
    """Register an email sender

     Registers an email sender with the API key, for using email with Verify V2; registering an address
    again
    replaces its name and application ids. An account keeps at most 100 senders: one more is a 400
    naming
    `value`, while re-registering one of the 100 still works.

    Args:
        body (RegisterSenderRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorCodeResponse | Problem | RegisterSenderResponse | RestBadRequest]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: RegisterSenderRequest,
) -> ErrorCodeResponse | Problem | RegisterSenderResponse | RestBadRequest | None:
    """Register an email sender

     Registers an email sender with the API key, for using email with Verify V2; registering an address
    again
    replaces its name and application ids. An account keeps at most 100 senders: one more is a 400
    naming
    `value`, while re-registering one of the 100 still works.

    Args:
        body (RegisterSenderRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorCodeResponse | Problem | RegisterSenderResponse | RestBadRequest
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: RegisterSenderRequest,
) -> Response[ErrorCodeResponse | Problem | RegisterSenderResponse | RestBadRequest]:
    """Register an email sender

     Registers an email sender with the API key, for using email with Verify V2; registering an address
    again
    replaces its name and application ids. An account keeps at most 100 senders: one more is a 400
    naming
    `value`, while re-registering one of the 100 still works.

    Args:
        body (RegisterSenderRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorCodeResponse | Problem | RegisterSenderResponse | RestBadRequest]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: RegisterSenderRequest,
) -> ErrorCodeResponse | Problem | RegisterSenderResponse | RestBadRequest | None:
    """Register an email sender

     Registers an email sender with the API key, for using email with Verify V2; registering an address
    again
    replaces its name and application ids. An account keeps at most 100 senders: one more is a 400
    naming
    `value`, while re-registering one of the 100 still works.

    Args:
        body (RegisterSenderRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorCodeResponse | Problem | RegisterSenderResponse | RestBadRequest
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
