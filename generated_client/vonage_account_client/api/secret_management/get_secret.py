from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.secret import Secret
from ...models.validation_problem import ValidationProblem
from ...types import Response


def _get_kwargs(
    api_key: str,
    secret_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/accounts/{api_key}/secrets/{secret_id}".format(
            api_key=quote(str(api_key), safe=""),
            secret_id=quote(str(secret_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | Secret | ValidationProblem | None:
    if response.status_code == 200:
        response_200 = Secret.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ValidationProblem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

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
) -> Response[Problem | Secret | ValidationProblem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    api_key: str,
    secret_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[Problem | Secret | ValidationProblem]:
    """Get one API secret

     The id and creation time of one active secret.

    Args:
        api_key (str):  Example: abcd1234.
        secret_id (str):  Example: ad6dc56f-07b5-46e1-a527-85530e625800.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Secret | ValidationProblem]
    """

    kwargs = _get_kwargs(
        api_key=api_key,
        secret_id=secret_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    api_key: str,
    secret_id: str,
    *,
    client: AuthenticatedClient,
) -> Problem | Secret | ValidationProblem | None:
    """Get one API secret

     The id and creation time of one active secret.

    Args:
        api_key (str):  Example: abcd1234.
        secret_id (str):  Example: ad6dc56f-07b5-46e1-a527-85530e625800.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Secret | ValidationProblem
    """

    return sync_detailed(
        api_key=api_key,
        secret_id=secret_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    api_key: str,
    secret_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[Problem | Secret | ValidationProblem]:
    """Get one API secret

     The id and creation time of one active secret.

    Args:
        api_key (str):  Example: abcd1234.
        secret_id (str):  Example: ad6dc56f-07b5-46e1-a527-85530e625800.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Secret | ValidationProblem]
    """

    kwargs = _get_kwargs(
        api_key=api_key,
        secret_id=secret_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    api_key: str,
    secret_id: str,
    *,
    client: AuthenticatedClient,
) -> Problem | Secret | ValidationProblem | None:
    """Get one API secret

     The id and creation time of one active secret.

    Args:
        api_key (str):  Example: abcd1234.
        secret_id (str):  Example: ad6dc56f-07b5-46e1-a527-85530e625800.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Secret | ValidationProblem
    """

    return (
        await asyncio_detailed(
            api_key=api_key,
            secret_id=secret_id,
            client=client,
        )
    ).parsed
