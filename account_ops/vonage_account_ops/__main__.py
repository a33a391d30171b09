"""`python -m vonage_account_ops`: the same as the `vonage-account` command."""

from vonage_account_ops.cli import main

main()
