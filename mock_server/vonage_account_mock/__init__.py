"""A stateful, spec-driven mock of the Vonage Account API.

The parts, bottom up: `state` (accounts and the API's rules), `layers` (the ASGI layers and the express lane),
`callbacks` (inbound SMS and delivery receipts sent to the accounts' webhooks), `control` (the control API),
`full_path` (connexion, built on first need), the app factory `app` that stacks them, then `serving` (servers, TLS,
the CLI, Prism) and `testing` (the pytest plugin, the test handle, clients).
The specs themselves live in `vonage_account_spec`.
"""

import warnings

# connexion imports starlette's TestClient at import time, and starlette warns about its httpx backend there;
# the warning concerns starlette's test client, not the mock.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
# connexion 3.3 still uses jsonschema's deprecated RefResolver; consumers running with -W error must not fail on it.
warnings.filterwarnings("ignore", category=DeprecationWarning, module="connexion")

from vonage_account_mock.app import AccountMockApp, create_app  # noqa: E402
from vonage_account_mock.state.models import AccountBackend, AccountSeed, AutoReload, Settings  # noqa: E402

__all__ = ["AccountBackend", "AccountMockApp", "AccountSeed", "AutoReload", "Settings", "create_app"]
