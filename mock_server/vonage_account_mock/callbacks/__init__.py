"""The callbacks the service makes: inbound SMS and delivery receipts sent to the URLs an account's settings hold.

`payloads` builds and signs what the real service would send (pure code, no HTTP); `schema` checks every payload
against the callback spec (`callbacks.yaml`); `targets` decides which URLs may be called (loopback unless allowed);
`delivery` sends them off the request path, with retries, bounds and a record of every attempt, through `sending`
(in-process receivers, each account's share of the sending slots). It may import the
state and the spec package, never the layers above it or connexion.
"""
