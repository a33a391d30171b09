from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.country_pricing import CountryPricing
from ...models.error_code_response import ErrorCodeResponse
from ...models.pricing_error_response import PricingErrorResponse
from ...models.problem import Problem
from ...models.rest_bad_request import RestBadRequest
from ...models.service_type import ServiceType
from ...types import UNSET, Response


def _get_kwargs(
    type_: ServiceType,
    *,
    country: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["country"] = country

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/account/get-pricing/outbound/{type_}".format(
            type_=quote(str(type_), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CountryPricing | ErrorCodeResponse | PricingErrorResponse | Problem | RestBadRequest | None:
    if response.status_code == 200:
        response_200 = CountryPricing.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = RestBadRequest.from_dict(response.json())

        return response_400

    if response.status_code == 401:

        def _parse_response_401(data: object) -> ErrorCodeResponse | PricingErrorResponse:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_401_type_0 = PricingErrorResponse.from_dict(data)

                return response_401_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_401_type_1 = ErrorCodeResponse.from_dict(data)

            return response_401_type_1

        response_401 = _parse_response_401(response.json())

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
) -> Response[CountryPricing | ErrorCodeResponse | PricingErrorResponse | Problem | RestBadRequest]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    type_: ServiceType,
    *,
    client: AuthenticatedClient,
    country: str,
) -> Response[CountryPricing | ErrorCodeResponse | PricingErrorResponse | Problem | RestBadRequest]:
    """Get the outbound pricing of one country

     The outbound price of a service in one country, per network.

    Args:
        type_ (ServiceType): An outbound service. Example: sms.
        country (str):  Example: GB.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CountryPricing | ErrorCodeResponse | PricingErrorResponse | Problem | RestBadRequest]
    """

    kwargs = _get_kwargs(
        type_=type_,
        country=country,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    type_: ServiceType,
    *,
    client: AuthenticatedClient,
    country: str,
) -> CountryPricing | ErrorCodeResponse | PricingErrorResponse | Problem | RestBadRequest | None:
    """Get the outbound pricing of one country

     The outbound price of a service in one country, per network.

    Args:
        type_ (ServiceType): An outbound service. Example: sms.
        country (str):  Example: GB.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CountryPricing | ErrorCodeResponse | PricingErrorResponse | Problem | RestBadRequest
    """

    return sync_detailed(
        type_=type_,
        client=client,
        country=country,
    ).parsed


async def asyncio_detailed(
    type_: ServiceType,
    *,
    client: AuthenticatedClient,
    country: str,
) -> Response[CountryPricing | ErrorCodeResponse | PricingErrorResponse | Problem | RestBadRequest]:
    """Get the outbound pricing of one country

     The outbound price of a service in one country, per network.

    Args:
        type_ (ServiceType): An outbound service. Example: sms.
        country (str):  Example: GB.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CountryPricing | ErrorCodeResponse | PricingErrorResponse | Problem | RestBadRequest]
    """

    kwargs = _get_kwargs(
        type_=type_,
        country=country,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    type_: ServiceType,
    *,
    client: AuthenticatedClient,
    country: str,
) -> CountryPricing | ErrorCodeResponse | PricingErrorResponse | Problem | RestBadRequest | None:
    """Get the outbound pricing of one country

     The outbound price of a service in one country, per network.

    Args:
        type_ (ServiceType): An outbound service. Example: sms.
        country (str):  Example: GB.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CountryPricing | ErrorCodeResponse | PricingErrorResponse | Problem | RestBadRequest
    """

    return (
        await asyncio_detailed(
            type_=type_,
            client=client,
            country=country,
        )
    ).parsed
