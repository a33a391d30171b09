"""The ASGI layers in front of the state, and the express lane that answers well-formed calls without connexion.

In the order a request meets them: the journal (`journal`), the wire fixes real clients need (`wire`), the crash
guard and error documents (`problems`), the router built from the spec's path templates (`routing`), the fault plans
(`faults`), and the express lane (`express`), which checks and answers a call with compiled validators through the
thin HTTP glue of `handlers`. `limits` bounds the shape of a request (parameters, form fields, JSON depth, integer
length) for the wire fixes and the journal. `asgi` and `context` are the helpers they share. These modules may
import the state and the spec package, never connexion or the full path: a request that needs connexion is passed
on to it.
"""
