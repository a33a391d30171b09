"""connexion's full path: the app that checks and answers every request the express lane passes on.

`app` builds connexion's app over the spec with our handlers; `validation` and `security` are the validators and
security handlers wired into it; `error_handlers` turns connexion's errors into the real service's documents; and
`speedups` does once what connexion would repeat per request. Only this package imports connexion, and nothing below
it imports this package: it is built lazily, on first need, by the app factory.
"""
