"""`vonage-account`: the Account API's everyday jobs from the command line.

Exit codes: 0 done; 1 a check failed (pre-flight, audit); 2 usage error (options, credentials, files);
3 authentication failed; 4 the API refused (limit reached, last secret, not found, auto-reload off, top-up failed,
invalid input); 5 rate limited, a transient or network failure that outlasted the retries, a write whose outcome is
unknown (sent, never repeated: check before running it again), or another run of the same job under way; 6 the
rotation's --store-command failed (the credentials file already holds the new secret; run the rotation again to
finish).
"""

from vonage_account_ops.cli import mcp as _mcp  # noqa: F401  (registers the `mcp` command)
from vonage_account_ops.cli.commands import main
from vonage_account_ops.cli.framework import EXIT_CHECK_FAILED, EXIT_STORE_COMMAND, EXIT_USAGE

__all__ = ["EXIT_CHECK_FAILED", "EXIT_STORE_COMMAND", "EXIT_USAGE", "main"]
