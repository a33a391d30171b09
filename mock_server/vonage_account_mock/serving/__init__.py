"""Running a mock on a socket: the threaded and blocking servers, local TLS, the `vonage-account-mock` command,
and Stoplight Prism wrapped as a second, stateless mock or a validating proxy.

It builds apps through the app factory and may import anything below it; nothing else of the mock imports it but
the test tools.
"""

from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_mock.serving.tls import TlsFiles, make_tls_files

__all__ = ["ThreadedMockServer", "TlsFiles", "make_tls_files"]
