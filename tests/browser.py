"""Debian's Chromium under Playwright, as the dashboard's browser tests and its screenshot script drive it, and a
webhook for the callbacks they trigger.

Playwright's own browser download cannot work here (no network but the package registries), so it drives the
`chromium` package that `make install` installs, headless, with everything that would call out switched off.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_missing() -> str | None:
    """Why the browser cannot start (None when it can)."""
    if CHROMIUM.exists() or shutil.which("chromium"):
        return None
    return f"{CHROMIUM} is missing: `make browser` (or `make test`) installs it (apt-get install -y chromium)"


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed on exit."""
    missing = chromium_missing()
    if missing:
        raise RuntimeError(missing)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def webhook(status_for: Callable[[str], int] = lambda path: 204) -> Iterator[str]:
    """A loopback webhook for the page's callbacks, answering `status_for(path)`; its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status_for(self.path))
            self.end_headers()

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
