"""The state and rules of the Account API: accounts, secrets, balance, settings, senders, pricing, seeds.

`models` owns the accounts and enforces the API's rules (the two-secret limit, the last-secret guard, exact balance
arithmetic, sub-account management); `exceptions` holds one domain error per error the API answers, each carrying
its wire shape; `pricing` the shipped price list; `seed` reads seed files. This package imports nothing of HTTP
(no starlette, connexion, uvicorn or httpx) and nothing else of the mock: every transport drives the same state.
"""
