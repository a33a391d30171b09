"""`python -m mock_server`: the same as the `vonage-account-mock` command."""

from mock_server.cli import main

main()
