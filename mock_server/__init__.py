"""A stateful, spec-driven mock of the Vonage Account API."""

from mock_server.app import AccountMockApp, create_app
from mock_server.models import AccountBackend, AccountSeed, AutoReload, Settings

__all__ = ["AccountBackend", "AccountMockApp", "AccountSeed", "AutoReload", "Settings", "create_app"]
