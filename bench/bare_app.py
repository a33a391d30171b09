"""The ceiling of the stack: a bare Starlette app answering the same bodies, checking nothing."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SECRET = {
    "_links": {"self": {"href": "/accounts/abcd1234/secrets/ad6dc56f-07b5-46e1-a527-85530e625800"}},
    "id": "ad6dc56f-07b5-46e1-a527-85530e625800",
    "created_at": "2017-03-02T16:34:49Z",
}
UNAUTHORIZED = {"error-code": "401", "error-code-label": "authentication failed"}


async def balance(request: Request) -> Response:
    if "authorization" not in request.headers:
        return JSONResponse(UNAUTHORIZED, status_code=401)
    return JSONResponse({"value": 10.28, "autoReload": False})


async def create(request: Request) -> Response:
    await request.body()
    return JSONResponse(SECRET, status_code=201)


async def revoke(request: Request) -> Response:
    return Response(status_code=204)


app = Starlette(
    routes=[
        Route("/account/get-balance", balance),
        Route("/accounts/{api_key}/secrets", create, methods=["POST"]),
        Route("/accounts/{api_key}/secrets/{secret_id}", revoke, methods=["DELETE"]),
    ]
)
