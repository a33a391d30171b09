"""A stateful, spec-driven mock of the Vonage Account API."""

import warnings

# connexion imports starlette's TestClient at import time, and starlette warns about its httpx backend there;
# the warning concerns starlette's test client, not the mock.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
# connexion 3.3 still uses jsonschema's deprecated RefResolver; consumers running with -W error must not fail on it.
warnings.filterwarnings("ignore", category=DeprecationWarning, module="connexion")

from mock_server.app import AccountMockApp, create_app  # noqa: E402
from mock_server.models import AccountBackend, AccountSeed, AutoReload, Settings  # noqa: E402

__all__ = ["AccountBackend", "AccountMockApp", "AccountSeed", "AutoReload", "Settings", "create_app"]
