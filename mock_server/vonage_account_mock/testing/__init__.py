"""What a consumer's test suite uses: the pytest plugin, the test handle, generated clients bound to a mock, and
the in-process transport that calls a mock with no port at all.

`pytest_plugin` holds only fixtures (registered through the `pytest11` entry point); `handle` is `VonageMock`, the
same handle for a mock in this process or one running elsewhere; `clients` and `transport` bind clients to a mock.
This is the top of the mock's layers: it may import any other part, and none of them imports it.
"""

from vonage_account_mock.testing.clients import (
    IN_PROCESS_URL,
    AccountClient,
    account_client,
    in_process_client,
    in_process_http,
)
from vonage_account_mock.testing.handle import SeededAccount, VonageMock

__all__ = [
    "IN_PROCESS_URL",
    "AccountClient",
    "SeededAccount",
    "VonageMock",
    "account_client",
    "in_process_client",
    "in_process_http",
]
