"""Browser fixtures: Debian's chromium driven by Playwright, and the app served for real.

The app runs on committed transactions (``committed_app``) behind werkzeug's server in a
thread on 127.0.0.1 with a free port; test data is made with the factories and committed
before the browser looks.

Without chromium at ``CHROMIUM`` (``WORKQUEUE_CHROMIUM`` overrides the path) the browser tests
are skipped, saying why; with ``WORKQUEUE_REQUIRE_BROWSER=1`` (CI sets it) they fail instead,
so a CI image that lost its chromium cannot pass green with the journeys untested.
"""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from workqueue.db import session_scope

CHROMIUM = os.environ.get("WORKQUEUE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before any fixture launches chromium: skip (or, when required, fail) without it."""
    if item.get_closest_marker("browser") is None or Path(CHROMIUM).is_file():
        return
    if os.environ.get("WORKQUEUE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"chromium not found at {CHROMIUM} and WORKQUEUE_REQUIRE_BROWSER=1: install "
                    "it (apt-get install chromium) — browser tests must run here", pytrace=False)
    pytest.skip(f"chromium not found at {CHROMIUM} (apt-get install chromium); "
                "set WORKQUEUE_REQUIRE_BROWSER=1 to make this a failure")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Never `playwright install`: launch the distribution's chromium."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True,
            "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url():
    """Replaces pytest-base-url's fixture (a method fixture pytest 9 warns about); the live
    server's URL is per test, so pages use ``live_server.url``."""
    return None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}}


class LiveServer:
    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._thread.join(timeout=10)

    def data(self):
        """A committed session for making test data (commit on leaving the block)."""
        return session_scope(self.app)


@pytest.fixture
def live_server(committed_app):
    server = LiveServer(committed_app)
    server.start()
    yield server
    server.stop()


def sign_in(page, base_url: str, username: str, password: str = "demo-password-1") -> None:
    page.goto(f"{base_url}/auth/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/auth/login")
