"""The ASGI layers in front of the state, and the express lane that answers well-formed calls without connexion.

In the order a request meets them (`app.create_app` stacks them): the crash guard (`problems`), which answers a bug
anywhere inside with a 500 problem document; the control API's gate (in the `control` part, above this one); the
journal (`journal`); the wire fixes real clients need (`wire`); the router built from the spec's path templates
(`routing`); the fault plans (`faults`); and the express lane (`express`), which checks and answers a call with
compiled validators through the thin HTTP glue of `handlers`, or hands it on to connexion's full path.
`limits` bounds the shape of a request (parameters, form fields, JSON depth, integer length) for the wire fixes and
the journal. `asgi` and `context` are the helpers they share. These modules may
import the state and the spec package, never connexion or the full path: a request that needs connexion is passed
on to it.
"""
