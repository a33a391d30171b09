"""`python -m vonage_account_mock`: the same as the `vonage-account-mock` command."""

from vonage_account_mock.serving.cli import main

main()
