"""The control API (`/_mock/...`): what a test may do to a mock — reset, accounts, journal, fault plans, callbacks.

`operations` is the one implementation (`MockControl`), used in-process by the test handle and over HTTP;
`http` is its glue: the connexion handlers and the gate that keeps the control API off or behind a token;
`dashboard` serves the web page over it (`static/`: HTML, one JavaScript module, CSS) and its sign-in cookie.
It may import the state, the layers whose data it exposes (journal, faults) and the callbacks, never connexion.
"""
